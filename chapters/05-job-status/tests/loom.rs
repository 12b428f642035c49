//! loom models of the job store: two moves racing on one job — a worker finishing it, a client
//! cancelling it — never both succeed; and the long-poll protocol built on the store (a poll
//! registering while the job completes, a poll forgotten while it completes, a `DELETE`
//! racing the worker's start). Each model has a broken twin that loom is shown to catch.
//!
//! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release -p ch05-job-status --test loom`
#![cfg(loom)]

use ch03_context::Context;
use ch05_job_status::{JobId, JobStore, Outcome, Status, StoreConfig, TransitionError, WaiterId};
use http_loop::Responder;
use http_loop::answers::Answers;
use loom::thread;
use std::sync::Arc;
use sync_shim::model;

/// How a thread moves the job: the real `transition`, or its broken twin.
type Move = fn(&JobStore, JobId, Status) -> Result<(), TransitionError>;

fn real(store: &JobStore, id: JobId, to: Status) -> Result<(), TransitionError> {
    store.transition(id, to, None)
}

fn broken(store: &JobStore, id: JobId, to: Status) -> Result<(), TransitionError> {
    store.transition_check_then_write_broken(id, to)
}

/// A status's place in the diagram: a reader may see it stay or move forward, never back.
fn rank(status: Status) -> u8 {
    match status {
        Status::Pending => 0,
        Status::Running => 1,
        Status::Completed | Status::Failed | Status::Cancelled => 2,
    }
}

// ANCHOR: model
// ANCHOR: model_setup
/// A running job; a worker completes it while a client cancels it and a reader watches.
fn racing_moves(make_move: Move) {
    let store = Arc::new(JobStore::new(StoreConfig {
        capacity: 4,
        shards: 1,
        ..StoreConfig::default()
    }));
    let id = JobId::random().expect("randomness");
    let (_ctx, cancel) = Context::background().with_cancel();
    store.insert(id, "sleep", cancel).expect("room");
    store.start(id).expect("pending → running");
    // ANCHOR_END: model_setup
    // ANCHOR: model_threads

    let mover = |to| {
        let store = Arc::clone(&store);
        thread::spawn(move || make_move(&store, id, to).is_ok())
    };
    let worker = mover(Status::Completed);
    let client = mover(Status::Cancelled);
    let reader = {
        let store = Arc::clone(&store);
        thread::spawn(move || {
            let status = |store: &JobStore| store.view(id).expect("the job").status;
            let first = status(&store);
            let second = status(&store);
            assert!(rank(first) <= rank(second), "{first:?} then {second:?}");
        })
    };
    // ANCHOR_END: model_threads
    // ANCHOR: model_check
    let (completed, cancelled) = (
        worker.join().expect("the worker thread"),
        client.join().expect("the client thread"),
    );
    reader
        .join()
        .expect("the reader saw no status go backwards");
    assert!(
        completed != cancelled,
        "exactly one of two racing moves must win (completed: {completed}, cancelled: {cancelled})"
    );
    let expected = if completed {
        Status::Completed
    } else {
        Status::Cancelled
    };
    assert_eq!(store.view(id).expect("the job").status, expected);
}
// ANCHOR_END: model_check
// ANCHOR_END: model

// ANCHOR: tests
/// Moves checked and made under one write lock: one wins, the other is refused.
#[test]
fn racing_moves_one_wins() {
    model::check(|| racing_moves(real));
}

/// The broken twin: checked under a read lock, made under a later write lock.
#[test]
#[ignore = "fails on purpose; run by `loom_catches_both_moves_winning`"]
fn broken_check_then_write() {
    model::check(|| racing_moves(broken));
}

/// loom finds the interleaving in which both threads read `running`, both pass the check, and
/// both write: the job is reported completed to one party and cancelled to the other.
#[test]
fn loom_catches_both_moves_winning() {
    let output = model::assert_model_fails("broken_check_then_write", "exactly one of two");
    println!("{output}");
}
// ANCHOR_END: tests

// The long-poll protocol: a waiter registers with a job while the job finishes; a waiter is
// forgotten while the job finishes; a client's DELETE races the worker that starts the job.
// Each model runs the real store, then a broken twin that loom must catch.

/// A store holding one job, `running` if `started`, else `pending`.
fn one_job(started: bool) -> (Arc<JobStore>, JobId) {
    let store = Arc::new(JobStore::new(StoreConfig {
        capacity: 4,
        shards: 1,
        ..StoreConfig::default()
    }));
    let id = JobId::random().expect("randomness");
    let (_ctx, cancel) = Context::background().with_cancel();
    store.insert(id, "sleep", cancel).expect("room");
    if started {
        store.start(id).expect("pending → running");
    }
    (store, id)
}

/// How a long poll registers: the real `await_result`, or its twin without the re-check.
type Await = fn(&JobStore, JobId, WaiterId, Responder);
/// How a worker completes a job: the real `finish`, or the twin that takes the waiters apart
/// from the status change.
type Complete = fn(&JobStore, JobId);

fn await_real(store: &JobStore, id: JobId, waiter: WaiterId, responder: Responder) {
    store.await_result(id, waiter, responder);
}

fn await_without_recheck(store: &JobStore, id: JobId, waiter: WaiterId, responder: Responder) {
    store.await_result_without_recheck_broken(id, waiter, responder);
}

fn complete_real(store: &JobStore, id: JobId) {
    let outcome = Outcome::Completed(serde_json::json!(1));
    store.finish(id, outcome).expect("running → completed");
}

fn cancel_real(store: &JobStore, id: JobId) {
    store.cancel(id).expect("running → cancelled");
}

fn complete_waiters_apart(store: &JobStore, id: JobId) {
    store.complete_waiters_apart_broken(id, serde_json::json!(1));
}

// ANCHOR: poll_meets_completion
/// A long poll registers while the job ends (`complete` completes or cancels it): whichever
/// comes first, the poll gets its answer — `expected`, the status of the job's ending — exactly
/// once.
fn poll_meets_completion(complete: Complete, register: Await, expected: u16) {
    let (store, id) = one_job(true);
    let answers = Arc::new(Answers::default());
    let worker = {
        let store = Arc::clone(&store);
        thread::spawn(move || complete(&store, id))
    };
    let poll = {
        let (store, responder) = (Arc::clone(&store), Answers::responder(&answers));
        thread::spawn(move || register(&store, id, WaiterId::next(), responder))
    };
    worker.join().expect("the worker thread");
    poll.join().expect("the polling thread");
    assert_eq!(
        answers.statuses(),
        [expected],
        "a long poll must get the result exactly once"
    );
}
// ANCHOR_END: poll_meets_completion

/// The real protocol: check-and-register under one lock, status change and waiters taken
/// under one lock.
#[test]
fn a_long_poll_meeting_completion_gets_the_result() {
    model::check(|| poll_meets_completion(complete_real, await_real, 200));
}

/// The same with a `DELETE` ending the job: a cancelled job has finished too, and a poll that
/// registers as it ends gets its 409 at once, not at the end of its wait.
#[test]
fn a_long_poll_meeting_a_cancel_gets_its_answer() {
    model::check(|| poll_meets_completion(cancel_real, await_real, 409));
}

/// Broken twin: the poll registers without re-checking the status.
#[test]
#[ignore = "fails on purpose; run by `loom_catches_a_poll_registered_too_late`"]
fn broken_poll_without_recheck() {
    model::check(|| poll_meets_completion(complete_real, await_without_recheck, 200));
}

/// loom finds the order "poll sees running; job completes and takes its (empty) list; poll
/// registers": nobody is left to answer it.
#[test]
fn loom_catches_a_poll_registered_too_late() {
    model::assert_model_fails("broken_poll_without_recheck", "exactly once");
}

/// Broken twin: the worker takes the waiters, then changes the status under a second lock.
#[test]
#[ignore = "fails on purpose; run by `loom_catches_waiters_taken_apart_from_the_status`"]
fn broken_waiters_taken_apart() {
    model::check(|| poll_meets_completion(complete_waiters_apart, await_real, 200));
}

/// loom finds the poll that registers between the two locks: it sees `running`, and joins a
/// list nobody will read again.
#[test]
fn loom_catches_waiters_taken_apart_from_the_status() {
    model::assert_model_fails("broken_waiters_taken_apart", "exactly once");
}

/// How the loop forgets a long poll it abandoned: the real `forget_waiter`, or the twin that
/// drops the responder.
type Forget = fn(&JobStore, JobId, WaiterId);

fn forget_real(store: &JobStore, id: JobId, waiter: WaiterId) {
    store.forget_waiter(id, waiter);
}

fn forget_by_drop(store: &JobStore, id: JobId, waiter: WaiterId) {
    store.forget_waiter_by_drop_broken(id, waiter);
}

// ANCHOR: forget_meets_completion
/// The loop forgets a registered long poll (its client hung up) while the job completes: the
/// poll is answered with the result or not at all — never with a 500 — and another poll of the
/// same job, still waiting, gets the result.
fn forget_meets_completion(forget: Forget) {
    let (store, id) = one_job(true);
    let answers = Arc::new(Answers::default());
    let staying = Arc::new(Answers::default());
    let waiter = WaiterId::next();
    store.await_result(id, waiter, Answers::responder(&answers));
    store.await_result(id, WaiterId::next(), Answers::responder(&staying));
    let worker = {
        let store = Arc::clone(&store);
        thread::spawn(move || complete_real(&store, id))
    };
    let event_loop = {
        let store = Arc::clone(&store);
        thread::spawn(move || forget(&store, id, waiter))
    };
    worker.join().expect("the worker thread");
    event_loop.join().expect("the loop thread");
    let statuses = answers.statuses();
    assert!(
        statuses.is_empty() || statuses == [200],
        "a forgotten long poll must go silently, not answer {statuses:?}"
    );
    assert_eq!(
        staying.statuses(),
        [200],
        "the poll still waiting must get the result"
    );
}
// ANCHOR_END: forget_meets_completion

/// The real `forget_waiter` dismisses the responder.
#[test]
fn a_forgotten_long_poll_goes_silently() {
    model::check(|| forget_meets_completion(forget_real));
}

/// Broken twin: the responder is dropped, which answers 500.
#[test]
#[ignore = "fails on purpose; run by `loom_catches_a_forgotten_poll_answering_500`"]
fn broken_forget_by_drop() {
    model::check(|| forget_meets_completion(forget_by_drop));
}

/// loom finds the order in which the loop forgets the poll before the job completes.
#[test]
fn loom_catches_a_forgotten_poll_answering_500() {
    model::assert_model_fails("broken_forget_by_drop", "must go silently");
}

/// How a worker starts a job: the real `start`, or the twin that does not check the status.
type Start = fn(&JobStore, JobId) -> bool;

fn start_real(store: &JobStore, id: JobId) -> bool {
    store.start(id).is_ok()
}

fn start_unchecked(store: &JobStore, id: JobId) -> bool {
    store.start_unchecked_broken(id);
    true
}

// ANCHOR: delete_meets_start
/// A client's `DELETE` races the worker that takes the job from the queue, while a reader
/// watches: no status goes back, and (if `check_outcome`) a cancelled job is never completed.
fn delete_meets_start(start: Start, check_outcome: bool) {
    let (store, id) = one_job(false);
    let worker = {
        let store = Arc::clone(&store);
        let done = Outcome::Completed(serde_json::json!(1));
        thread::spawn(move || start(&store, id) && store.finish(id, done).is_ok())
    };
    let client = {
        let store = Arc::clone(&store);
        thread::spawn(move || store.cancel(id).is_ok())
    };
    let reader = {
        let store = Arc::clone(&store);
        thread::spawn(move || {
            let first = store.view(id).expect("the job").status;
            let second = store.view(id).expect("the job").status;
            assert!(
                rank(first) <= rank(second),
                "a status went back: {first:?} then {second:?}"
            );
        })
    };
    let worker_finished = worker.join().expect("the worker thread");
    let client_cancelled = client.join().expect("the client thread");
    reader.join().expect("the reader thread");
    if !check_outcome {
        return;
    }
    assert!(
        client_cancelled != worker_finished,
        "the client's cancel ({client_cancelled}) and the worker's finish \
         ({worker_finished}) both won"
    );
    let expected = if client_cancelled {
        Status::Cancelled
    } else {
        Status::Completed
    };
    assert_eq!(store.view(id).expect("the job").status, expected);
}
// ANCHOR_END: delete_meets_start

/// The real `start` refuses a job cancelled while queued.
#[test]
fn a_delete_racing_the_start_wins_or_loses_cleanly() {
    model::check(|| delete_meets_start(start_real, true));
}

/// Broken twin: `start` without its check resurrects a cancelled job.
#[test]
#[ignore = "fails on purpose; run by `loom_catches_a_cancelled_job_started`"]
fn broken_start_unchecked() {
    model::check(|| delete_meets_start(start_unchecked, true));
}

/// loom finds the client's cancel landing while the job is queued, then the worker's start
/// and finish: both parties were told they won.
#[test]
fn loom_catches_a_cancelled_job_started() {
    model::assert_model_fails("broken_start_unchecked", "both won");
}

/// The same twin with only the reader watching: the reader's check has teeth of its own.
#[test]
#[ignore = "fails on purpose; run by `loom_catches_a_status_going_back`"]
fn broken_start_unchecked_seen_by_the_reader() {
    model::check(|| delete_meets_start(start_unchecked, false));
}

/// loom finds a reader that sees `cancelled`, then `running`.
#[test]
fn loom_catches_a_status_going_back() {
    model::assert_model_fails(
        "broken_start_unchecked_seen_by_the_reader",
        "a status went back: Cancelled then Running",
    );
}
