//! The job store without HTTP: a job's life, and a worker's late answer refused after a
//! client's cancel.
//!
//! `cargo run -p ch05-job-status --example job_store`

use ch03_context::Context;
use ch05_job_status::{JobId, JobStore, Outcome, Status, StoreConfig, TransitionError};

fn main() {
    // ANCHOR: example
    let store = JobStore::new(StoreConfig::default());
    let id = JobId::random().expect("randomness");
    let (ctx, cancel) = Context::background().with_cancel();
    store.insert(id, "primes", cancel).expect("room");

    store.start(id).expect("pending → running"); // a worker took it
    store.cancel(id).expect("running → cancelled"); // a client's DELETE came first
    assert!(
        ctx.is_done(),
        "the cancel reached the work through its context"
    );

    // The worker finishes anyway and reports: too late, and refused.
    let late = store.finish(id, Outcome::Completed(serde_json::json!({ "primes": 25 })));
    assert_eq!(
        late,
        Err(TransitionError::Illegal {
            from: Status::Cancelled,
            to: Status::Completed
        })
    );
    let view = store.view(id).expect("still stored");
    // ANCHOR_END: example
    println!(
        "job_store: job {} is {} (the worker's late result was refused)",
        view.id,
        view.status.as_str()
    );
}
