//! `recv_within`: whichever comes first — the result, the timeout, the context's end — wins.

use ch03_context::{Context, Reason};
use ch04_timeouts::{WaitError, recv_within};
use crossbeam_channel::{bounded, unbounded};
use std::thread;
use std::time::{Duration, Instant};
use test_support::FAILURE_GUARD;

#[test]
fn a_result_in_time_wins() {
    let (tx, results) = bounded(1);
    tx.send("done").expect("room for one");
    let ctx = Context::background();
    assert_eq!(recv_within(&ctx, &results, Some(FAILURE_GUARD)), Ok("done"));
}

#[test]
fn the_timeout_wins_over_a_slow_result() {
    let (_tx, results) = bounded::<u8>(1);
    let ctx = Context::background();
    let started = Instant::now();
    let outcome = recv_within(&ctx, &results, Some(Duration::from_millis(10)));
    assert_eq!(outcome, Err(WaitError::TimedOut));
    assert!(started.elapsed() < FAILURE_GUARD);
}

#[test]
fn cancelling_the_context_wins_without_a_timeout() {
    let (_tx, results) = bounded::<u8>(1);
    let (ctx, cancel) = Context::background().with_cancel();
    let waiter = thread::spawn(move || recv_within(&ctx, &results, None));
    cancel.cancel();
    assert_eq!(
        waiter.join().expect("no panic"),
        Err(WaitError::Stopped(Reason::Cancelled))
    );
}

#[test]
fn the_context_deadline_wins_over_a_longer_timeout() {
    let (_tx, results) = bounded::<u8>(1);
    let (ctx, _cancel) = Context::background().with_timeout(Duration::from_millis(10));
    assert_eq!(
        recv_within(&ctx, &results, Some(FAILURE_GUARD)),
        Err(WaitError::Stopped(Reason::DeadlineExceeded))
    );
}

#[test]
fn a_closed_results_channel_is_disconnected() {
    let (tx, results) = unbounded::<u8>();
    drop(tx);
    let ctx = Context::background();
    assert_eq!(
        recv_within(&ctx, &results, None),
        Err(WaitError::Disconnected)
    );
}
