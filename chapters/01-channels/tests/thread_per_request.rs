//! `ThreadPerRequest`: real parallelism, named threads, nothing lost, panics contained.

use ch01_channels::ThreadPerRequest;
use crossbeam_channel::unbounded;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;
use test_support::FAILURE_GUARD;

// ANCHOR: barrier
/// Four requests run at the same time: each waits at a barrier that only opens when all four
/// are there, which a server running them one after another would never reach.
#[test]
fn requests_run_in_parallel_on_named_threads() {
    // Not dropped if the test fails: dropping joins, and the threads would wait at the barrier
    // forever, turning a failure into a hang.
    let threads = std::mem::ManuallyDrop::new(ThreadPerRequest::default());
    let barrier = Arc::new(Barrier::new(4));
    let (names_tx, names) = unbounded();
    for i in 0..4 {
        let barrier = Arc::clone(&barrier);
        let names_tx = names_tx.clone();
        threads
            .spawn(format!("request-{i}"), move || {
                barrier.wait();
                let name = std::thread::current().name().map(str::to_owned);
                names_tx.send(name).expect("the test is listening");
            })
            .expect("a thread");
    }
    let mut seen: Vec<_> = (0..4)
        .map(|_| {
            names
                .recv_timeout(FAILURE_GUARD)
                .expect("all four met at the barrier")
        })
        .collect();
    seen.sort();
    let expected: Vec<_> = (0..4).map(|i| Some(format!("request-{i}"))).collect();
    assert_eq!(seen, expected);
    drop(std::mem::ManuallyDrop::into_inner(threads));
}
// ANCHOR_END: barrier

/// Dropping the spawner waits for every thread: afterwards, all their work is visible with no
/// further synchronization (Go: `wg.Wait()` before reading the results).
#[test]
fn dropping_waits_for_every_thread() {
    let done = Arc::new(AtomicUsize::new(0));
    let threads = ThreadPerRequest::default();
    let (release_tx, release) = unbounded::<()>();
    for i in 0..8 {
        let done = Arc::clone(&done);
        let release = release.clone();
        threads
            .spawn(format!("request-{i}"), move || {
                // Hold every thread until the test lets go, so none can finish early.
                let _ = release.recv_timeout(FAILURE_GUARD);
                done.fetch_add(1, Ordering::SeqCst);
            })
            .expect("a thread");
    }
    assert_eq!(threads.unjoined(), 8);
    drop(release_tx); // closing the channel releases them all
    drop(threads);
    assert_eq!(done.load(Ordering::SeqCst), 8);
}

/// Finished threads are joined as new ones start, so the list of handles tracks the running
/// threads, not every thread ever started: a long-running server does not grow it forever.
#[test]
fn finished_threads_are_reaped_as_new_ones_start() {
    let threads = ThreadPerRequest::default();
    for i in 0..100 {
        let (done_tx, done) = unbounded();
        threads
            .spawn(format!("request-{i}"), move || {
                done_tx.send(()).expect("the test is listening");
            })
            .expect("a thread");
        done.recv_timeout(FAILURE_GUARD).expect("the thread ran");
    }
    // Each thread had finished its work before the next was spawned; only the few that had
    // not yet *exited* at that moment can still be on the list. Without reaping, all 100 are.
    assert!(
        threads.unjoined() < 50,
        "{} handles kept",
        threads.unjoined()
    );
}

/// A request thread that panics does not take the spawner, or the other requests, with it.
#[test]
fn a_panicking_request_fails_alone() {
    let threads = ThreadPerRequest::default();
    threads
        .spawn("request-bad".into(), || panic!("a bug in one request"))
        .expect("a thread");
    let (answer_tx, answer) = unbounded();
    threads
        .spawn("request-good".into(), move || {
            answer_tx.send(42).expect("the test is listening");
        })
        .expect("a thread");
    assert_eq!(answer.recv_timeout(Duration::from_secs(10)), Ok(42));
    threads.join_all(); // collects the panic without propagating it
}
