//! The tally through the store's events, without HTTP: every way a job enters and leaves is
//! counted once, so a drain is never left waiting for a job that is gone.

use ch03_context::Context;
use ch05_job_status::{JobId, JobStore, Outcome, StoreConfig};
use ch10_graceful_shutdown::{JobTally, Tally};
use std::sync::Arc;
use std::time::Instant;

fn store() -> (JobStore, Arc<JobTally>) {
    let tally = Arc::new(JobTally::default());
    (
        JobStore::new(StoreConfig::default()).with_events(tally.clone()),
        tally,
    )
}

fn insert(store: &JobStore) -> JobId {
    let id = JobId::random().expect("randomness");
    let (_ctx, cancel) = Context::background().with_cancel();
    store.insert(id, "sleep", cancel).expect("room");
    id
}

#[test]
fn a_refused_submission_is_withdrawn_and_leaves_nothing_to_wait_for() {
    let (store, tally) = store();
    let id = insert(&store);
    assert_eq!(tally.snapshot().unfinished(), 1);
    store.remove(id); // the queue was full, or closed
    assert_eq!(tally.snapshot(), Tally::default());
    assert!(
        tally.wait_settled(Some(Instant::now())),
        "nothing left to wait for"
    );
}

#[test]
fn a_job_cancelled_at_the_deadline_and_then_withdrawn_is_counted_once() {
    let (store, tally) = store();
    let id = insert(&store);
    assert_eq!(store.cancel_unfinished("the drain deadline passed"), 1);
    store.remove(id); // its submission, half-way through, finds the pool closed
    let counts = tally.snapshot();
    assert_eq!(
        (counts.accepted, counts.cancelled, counts.unfinished()),
        (1, 1, 0)
    );
}

#[test]
fn every_ending_is_counted_once() {
    let (store, tally) = store();
    let ids: Vec<JobId> = (0..3).map(|_| insert(&store)).collect();
    for id in &ids {
        store.start(*id).expect("pending → running");
    }
    store
        .finish(ids[0], Outcome::Completed(serde_json::json!(1)))
        .expect("completed");
    store
        .finish(ids[1], Outcome::Failed("no".to_owned()))
        .expect("failed");
    store.cancel(ids[2]).expect("cancelled");
    // A late worker's answer for the cancelled job is refused, and not counted again.
    assert!(
        store
            .finish(ids[2], Outcome::Completed(serde_json::json!(3)))
            .is_err()
    );
    let counts = tally.snapshot();
    assert_eq!(
        (
            counts.accepted,
            counts.completed,
            counts.failed,
            counts.cancelled
        ),
        (3, 1, 1, 1)
    );
    assert!(tally.wait_settled(Some(Instant::now())));
}
