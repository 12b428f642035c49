//! The fan-out/fan-in without HTTP: both orders of results, and no thread left behind — when
//! the caller stops reading early, when the context is cancelled, and at a deadline.

use ch03_context::{Context, Reason};
use ch06_fan_out_fan_in::{FanOut, FanOutError, Sieve, count_primes, rayon_sieve};
use crossbeam_channel::bounded;
use std::ops::ControlFlow;
use std::time::Duration;
use test_support::{FAILURE_GUARD, threads_named_after_exit};

/// Runs `body` on a thread of its own and waits for it at most the failure guard: a fan-out
/// that does not stop fails the test instead of hanging it.
fn within_guard<T: Send + 'static>(body: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = bounded(1);
    std::thread::spawn(move || tx.send(body()));
    rx.recv_timeout(FAILURE_GUARD)
        .expect("the fan-out stopped within the failure guard")
}

#[test]
fn results_come_as_they_come_or_in_order() {
    let ctx = Context::background();
    let fan_out = FanOut::new("order", 4);
    let mut seen = Vec::new();
    // Part 0 is the slowest: it waits until part 9 has been fanned in.
    let (nine_in, wait_for_nine) = bounded::<()>(1);
    fan_out
        .run(
            &ctx,
            0..10u32,
            |part| {
                if part == 0 {
                    wait_for_nine
                        .recv_timeout(FAILURE_GUARD)
                        .expect("part 9 comes");
                }
                part * 10
            },
            |index, result| {
                if index == 9 {
                    nine_in.send(()).expect("part 0 waits");
                }
                seen.push((index, result));
                ControlFlow::Continue(())
            },
        )
        .expect("a complete run");
    assert_eq!(seen.len(), 10);
    assert_ne!(seen[0].0, 0, "part 0 came after part 9");
    assert!(
        seen.iter()
            .all(|&(index, result)| result == index as u32 * 10)
    );

    let mut in_order = Vec::new();
    fan_out
        .run_in_order(
            &ctx,
            0..100u32,
            |part| part * 10,
            |result| {
                in_order.push(result);
                ControlFlow::Continue(())
            },
        )
        .expect("a complete run");
    assert_eq!(in_order, (0..100).map(|part| part * 10).collect::<Vec<_>>());
}

// ANCHOR: stop_early
/// A caller that stops reading after one result: `run` returns, and every thread it started
/// — feeder, workers, closer — has ended (Go's goroutine leak, which here cannot happen).
#[test]
fn a_caller_that_stops_early_leaves_no_thread() {
    let ended = within_guard(|| {
        let ctx = Context::background();
        let mut taken = 0;
        let outcome = FanOut::new("stopper", 3).run(
            &ctx,
            0..1_000_000u64,
            |part| part,
            |_, _| {
                taken += 1;
                ControlFlow::Break(())
            },
        );
        (
            outcome.is_ok(),
            taken,
            threads_named_after_exit(&["stopper-"]),
        )
    });
    assert_eq!(ended, (true, 1, 0));
}
// ANCHOR_END: stop_early

// ANCHOR: cancelled
/// A fan-out of 10¹⁰ cancelled after its first segment: every worker stops, `run` says why, and
/// no thread is left.
#[test]
fn a_cancelled_fan_out_stops_every_worker() {
    let (outcome, threads) = within_guard(|| {
        let (ctx, cancel) = Context::background().with_cancel();
        let mut cancel = Some(cancel);
        let sieve = Sieve::new(10_000_000_000);
        let outcome = FanOut::new("cancelled", 2).run(
            &ctx,
            0..sieve.segments(),
            |segment| sieve.count_segment_here(segment),
            |_, _| {
                if let Some(cancel) = cancel.take() {
                    cancel.cancel(); // what DELETE does to the job's context
                }
                ControlFlow::Continue(())
            },
        );
        (outcome, threads_named_after_exit(&["cancelled-"]))
    });
    assert!(matches!(
        outcome,
        Err(FanOutError::Stopped(Reason::Cancelled))
    ));
    assert_eq!(threads, 0);
}
// ANCHOR_END: cancelled

#[test]
fn a_deadline_stops_the_fan_out() {
    let (outcome, threads) = within_guard(|| {
        let (ctx, _cancel) = Context::background().with_timeout(Duration::from_millis(20));
        let sieve = Sieve::new(10_000_000_000);
        let outcome = count_primes(&FanOut::new("deadline", 2), &ctx, &sieve);
        (outcome, threads_named_after_exit(&["deadline-"]))
    });
    assert!(matches!(
        outcome,
        Err(FanOutError::Stopped(Reason::DeadlineExceeded))
    ));
    assert_eq!(threads, 0);
}

#[test]
fn a_cancelled_context_stops_rayon_too() {
    let pool = rayon_sieve::primes_pool(2).expect("rayon threads");
    let (ctx, cancel) = Context::background().with_cancel();
    cancel.cancel();
    let sieve = Sieve::new(10_000_000_000);
    let outcome = rayon_sieve::count_primes(&pool, &ctx, &sieve);
    assert_eq!(outcome, Err(Reason::Cancelled));

    let (ctx, _cancel) = Context::background().with_timeout(Duration::from_millis(20));
    let outcome = within_guard(move || rayon_sieve::count_primes(&pool, &ctx, &sieve));
    assert_eq!(outcome, Err(Reason::DeadlineExceeded));
}

#[test]
fn a_fan_out_with_nothing_to_do_succeeds() {
    let ctx = Context::background();
    let outcome = FanOut::new("empty", 2).run(
        &ctx,
        0..0,
        |part: u32| part,
        |_, _| ControlFlow::Continue(()),
    );
    assert!(outcome.is_ok());
}
