//! loom model of the drain's wait: the job that ends last wakes the drain waiting for it, in
//! every interleaving — with the broken twin that forgets to wake, which loom catches.
//!
//! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release -p ch10-graceful-shutdown --test loom`
#![cfg(loom)]

use ch05_job_status::{JobEvents, Status};
use ch10_graceful_shutdown::JobTally;
use loom::sync::Arc;
use loom::thread;
use sync_shim::model;

/// How a worker reports a job's end: the real event, or its broken twin.
type Finish = fn(&JobTally, Status);

// ANCHOR: model
/// Two jobs accepted; two workers end them at once while the drain waits, with no deadline,
/// for the tally to settle. The drain must wake — loom reports a deadlock if it sleeps on.
fn last_job_wakes_the_drain(finish: Finish) {
    let tally = Arc::new(JobTally::default());
    tally.accepted();
    tally.accepted();
    let workers: Vec<_> = [Status::Completed, Status::Cancelled]
        .into_iter()
        .map(|status| {
            let tally = Arc::clone(&tally);
            thread::spawn(move || finish(&tally, status))
        })
        .collect();
    assert!(tally.wait_settled(None), "settled");
    let counts = tally.snapshot();
    assert_eq!(
        (counts.completed, counts.cancelled, counts.unfinished()),
        (1, 1, 0)
    );
    for worker in workers {
        worker.join().expect("a worker ends");
    }
}
// ANCHOR_END: model

// ANCHOR: loom_tests
#[test]
fn the_last_job_to_end_wakes_the_drain() {
    model::check(|| last_job_wakes_the_drain(|tally, status| tally.finished(status)));
}

#[test]
#[ignore = "fails on purpose; run by `loom_catches_the_drain_left_asleep`"]
fn broken_finish_without_waking() {
    model::check(|| last_job_wakes_the_drain(JobTally::finished_without_waking_broken));
}

#[test]
fn loom_catches_the_drain_left_asleep() {
    let output = model::assert_model_fails("broken_finish_without_waking", "deadlock");
    println!("{output}");
}
// ANCHOR_END: loom_tests
