//! The store's bound and memory: TTL expiry, oldest-finished eviction, refusal when full of
//! unfinished jobs, and transitions refused outside the diagram.

use ch03_context::Context;
use ch05_job_status::{JobId, JobStore, Outcome, Status, StoreConfig, StoreFull, TransitionError};
use std::time::Duration;

fn store(capacity: usize, ttl: Duration) -> JobStore {
    JobStore::new(StoreConfig {
        capacity,
        shards: 1,
        ttl,
        preallocate: true,
        ..StoreConfig::default()
    })
}

fn add(store: &JobStore) -> Result<JobId, StoreFull> {
    let id = JobId::random().expect("randomness");
    let (_ctx, cancel) = Context::background().with_cancel();
    store.insert(id, "sleep", cancel).map(|()| id)
}

fn complete(store: &JobStore, id: JobId) {
    store.start(id).expect("pending → running");
    store
        .finish(id, Outcome::Completed(serde_json::json!(1)))
        .expect("running → completed");
}

#[test]
fn the_oldest_finished_job_makes_room() {
    let store = store(2, Duration::from_secs(600));
    let oldest = add(&store).unwrap();
    let newer = add(&store).unwrap();
    complete(&store, oldest);
    complete(&store, newer);
    let third = add(&store).unwrap();
    assert!(store.view(oldest).is_none(), "evicted");
    assert!(store.view(newer).is_some());
    assert!(store.view(third).is_some());
}

#[test]
fn a_store_full_of_unfinished_jobs_refuses() {
    let store = store(2, Duration::from_secs(600));
    add(&store).unwrap();
    add(&store).unwrap();
    assert_eq!(add(&store), Err(StoreFull));
}

#[test]
fn finished_jobs_expire_after_the_ttl() {
    let store = store(4, Duration::ZERO);
    let id = add(&store).unwrap();
    assert!(store.view(id).is_some(), "unfinished jobs never expire");
    complete(&store, id);
    assert!(
        store.view(id).is_none(),
        "finished, and older than a TTL of zero"
    );
    add(&store).unwrap();
    assert_eq!(store.len(), 1, "the expired job was purged on insert");
}

#[test]
fn moves_outside_the_diagram_are_refused() {
    let store = store(4, Duration::from_secs(600));
    let id = add(&store).unwrap();
    assert_eq!(
        store.finish(id, Outcome::Completed(serde_json::json!(1))),
        Err(TransitionError::Illegal {
            from: Status::Pending,
            to: Status::Completed
        }),
        "a job completes only after running"
    );
    store.cancel(id).expect("pending → cancelled");
    assert_eq!(
        store.start(id),
        Err(TransitionError::Illegal {
            from: Status::Cancelled,
            to: Status::Running
        }),
        "a job cancelled in the queue is never started"
    );
    let unknown = JobId::random().unwrap();
    assert_eq!(store.cancel(unknown), Err(TransitionError::NotFound));
}

#[test]
fn cancelling_a_job_cancels_its_context() {
    let store = store(4, Duration::from_secs(600));
    let id = JobId::random().unwrap();
    let (ctx, cancel) = Context::background().with_cancel();
    store.insert(id, "sleep", cancel).unwrap();
    store.start(id).unwrap();
    assert!(!ctx.is_done());
    store.cancel(id).unwrap();
    assert!(ctx.is_done(), "DELETE reaches the work through its context");
}

/// The store counts what it holds, and `remove` forgets a job entirely (the submit path uses
/// it for a job the queue refused: it never ran, and must not linger as `pending`).
#[test]
fn the_store_counts_its_jobs_and_remove_forgets_one() {
    let store = store(4, Duration::from_secs(60));
    assert!(store.is_empty());
    let id = add(&store).expect("room");
    add(&store).expect("room");
    assert_eq!((store.len(), store.is_empty()), (2, false));
    store.remove(id);
    assert_eq!(store.len(), 1);
    assert!(store.view(id).is_none(), "a removed job is gone");
}

/// Counts the answers a responder delivers.
#[derive(Default)]
struct Deliveries(std::sync::atomic::AtomicUsize);

impl http_loop::Deliver for Deliveries {
    fn deliver(&self, _: http_loop::slab::Key, _: u64, _: http_loop::Response) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// A forgotten long poll is dismissed, not dropped: its responder delivers nothing (a dropped
/// one would deliver a 500, and wake the loop for it).
#[test]
fn a_forgotten_waiter_delivers_nothing() {
    let store = store(4, Duration::from_secs(60));
    let id = add(&store).expect("room");
    let deliveries = std::sync::Arc::new(Deliveries::default());
    let key = http_loop::slab::Key {
        index: 0,
        generation: 0,
    };
    let responder = http_loop::Responder::new(deliveries.clone(), key, 0);
    let waiter = ch05_job_status::WaiterId::next();
    store.await_result(id, waiter, responder);
    store.forget_waiter(id, waiter);
    complete(&store, id); // nobody waits any more
    assert_eq!(deliveries.0.load(std::sync::atomic::Ordering::SeqCst), 0);
}

/// The per-status counts follow every change: a submission, each move, an eviction, a
/// withdrawal, a cancel.
#[test]
fn the_counts_follow_every_change() {
    let store = store(2, Duration::from_secs(600));
    let a = add(&store).expect("room");
    assert_eq!(store.counts(), [1, 0, 0, 0, 0]);
    store.start(a).expect("pending → running");
    assert_eq!(store.counts(), [0, 1, 0, 0, 0]);
    store
        .finish(a, Outcome::Completed(serde_json::json!(1)))
        .expect("running → completed");
    assert_eq!(store.counts(), [0, 0, 1, 0, 0]);
    let b = add(&store).expect("room");
    let c = add(&store).expect("room, made by evicting a");
    assert_eq!(store.counts(), [2, 0, 0, 0, 0], "the evicted job is gone");
    store.remove(c);
    assert_eq!(store.counts(), [1, 0, 0, 0, 0], "the withdrawn job is gone");
    store.cancel(b).expect("pending → cancelled");
    assert_eq!(store.counts(), [0, 0, 0, 0, 1]);
}

/// An expired job is purged from the counts when they are read.
#[test]
fn the_counts_leave_out_expired_jobs() {
    let store = store(4, Duration::ZERO);
    let id = add(&store).expect("room");
    complete(&store, id);
    assert!(store.view(id).is_none(), "expired");
    assert_eq!(store.counts(), [0; 5]);
}

/// A job cancelled by a drain and then withdrawn leaves a stale place in the line of finished
/// jobs; it does not hold up the expiry of those behind it.
#[test]
fn a_withdrawn_finished_job_does_not_block_expiry() {
    let store = store(4, Duration::ZERO);
    let a = add(&store).expect("room");
    store.cancel(a).expect("pending → cancelled");
    store.remove(a);
    let b = add(&store).expect("room");
    complete(&store, b);
    add(&store).expect("room");
    assert_eq!(store.len(), 1, "b expired behind the stale place");
}

/// A completed job has a result and no error, in both of its views.
#[test]
fn a_completed_job_shows_no_error() {
    let store = store(4, Duration::from_secs(600));
    let id = add(&store).expect("room");
    complete(&store, id);
    assert_eq!(store.view(id).expect("kept").error, None);
    let answer = store.view_response(id).expect("kept");
    let body: serde_json::Value = serde_json::from_slice(answer.body()).expect("JSON");
    assert_eq!(body.get("error"), None, "{body}");
    let failed = add(&store).expect("room");
    store.start(failed).expect("pending → running");
    store
        .finish(failed, Outcome::Failed("no disk".to_owned()))
        .expect("running → failed");
    assert_eq!(
        store.view(failed).expect("kept").error.as_deref(),
        Some("no disk")
    );
}

/// The results kept are bounded in bytes, not only in number: past the budget, the oldest
/// finished jobs go, and the one that just finished stays.
#[test]
fn results_are_bounded_in_bytes() {
    let store = JobStore::new(StoreConfig {
        capacity: 100,
        shards: 1,
        result_bytes: 2_500,
        ..StoreConfig::default()
    });
    let big = serde_json::json!("x".repeat(998)); // 1,000 bytes of JSON text
    let ids: Vec<JobId> = (0..3).map(|_| add(&store).expect("room")).collect();
    for &id in &ids {
        store.start(id).expect("pending → running");
        store
            .finish(id, Outcome::Completed(big.clone()))
            .expect("running → completed");
    }
    assert!(
        store.view(ids[0]).is_none(),
        "3,000 bytes > 2,500: the oldest went"
    );
    assert!(store.view(ids[1]).is_some());
    assert!(
        store.view(ids[2]).is_some(),
        "the one that just finished stays"
    );
    let huge = serde_json::json!("y".repeat(10_000));
    let last = add(&store).expect("room");
    store.start(last).expect("pending → running");
    store
        .finish(last, Outcome::Completed(huge))
        .expect("running → completed");
    assert!(
        store.view(last).is_some(),
        "over the budget alone, but it just finished"
    );
    assert_eq!(store.len(), 1, "everything older made room");
}
