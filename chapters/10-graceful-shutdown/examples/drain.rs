//! A drain without HTTP: a store that tells a tally of every job, workers that end their jobs,
//! and a drain that waits — by a deadline — for the last one, then cancels what is left.
//!
//! `cargo run -p ch10-graceful-shutdown --example drain`

use ch03_context::Context;
use ch05_job_status::{JobId, JobStore, Outcome, StoreConfig};
use ch10_graceful_shutdown::JobTally;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    let tally = Arc::new(JobTally::default());
    let store = Arc::new(JobStore::new(StoreConfig::default()).with_events(tally.clone()));
    let mut ids = Vec::new();
    for _ in 0..4 {
        let id = JobId::random().expect("randomness");
        let (_ctx, cancel) = Context::background().with_cancel();
        store.insert(id, "sleep", cancel).expect("room");
        ids.push(id);
    }
    // Three workers finish their jobs after 10, 20 and 30 ms; the fourth job never ends.
    let workers: Vec<_> = ids[..3]
        .iter()
        .enumerate()
        .map(|(n, &id)| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                store.start(id).expect("pending → running");
                std::thread::sleep(Duration::from_millis(10 * (n as u64 + 1)));
                store
                    .finish(id, Outcome::Completed(serde_json::json!(n)))
                    .expect("running → completed");
            })
        })
        .collect();
    let started = Instant::now();
    let settled = tally.wait_settled(Some(started + Duration::from_millis(200)));
    println!(
        "settled by the deadline: {settled} ({:?}); tally {:?}",
        started.elapsed(),
        tally.snapshot()
    );
    let cancelled = store.cancel_unfinished("the drain deadline passed");
    println!(
        "cancelled at the deadline: {cancelled}; tally {:?}",
        tally.snapshot()
    );
    assert!(tally.wait_settled(None));
    println!("unfinished now: {}", tally.snapshot().unfinished());
    for worker in workers {
        worker.join().expect("a worker ends");
    }
}
