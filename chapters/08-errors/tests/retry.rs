//! Retries on a clock the test controls: the attempts, the waits between them, giving up, and a
//! cancel during a wait — none of it waits on the real clock.

use ch03_context::{Context, Reason};
use ch08_errors::{Backoff, RetryError, Transient, retry};
use std::cell::RefCell;
use std::time::Duration;

const POLICY: Backoff = Backoff {
    attempts: 5,
    first: Duration::from_millis(100),
    max: Duration::from_millis(500),
};

/// `times` failures, then success; the waits asked of the clock, with the dice fixed at `dice`.
fn fail_then_succeed(times: u32, dice: f64) -> (Result<u32, RetryError<Transient>>, Vec<Duration>) {
    let waits = RefCell::new(Vec::new());
    let outcome = retry(
        &Context::background(),
        POLICY,
        |_, wait| {
            waits.borrow_mut().push(wait);
            Ok(())
        },
        || dice,
        |_: &Transient| true,
        |attempt| {
            if attempt <= times {
                Err(Transient { attempt })
            } else {
                Ok(attempt)
            }
        },
    );
    (outcome, waits.into_inner())
}

// ANCHOR: attempts
#[test]
fn transient_failures_are_retried_with_growing_waits() {
    let (outcome, waits) = fail_then_succeed(3, 0.999_999);
    assert_eq!(outcome, Ok(4), "succeeds on attempt 4");
    let ms: Vec<u128> = waits.iter().map(Duration::as_millis).collect();
    assert_eq!(ms, [99, 199, 399], "just under 100, 200, 400 ms");
}

#[test]
fn the_jitter_scales_each_wait_and_the_ceiling_caps_it() {
    let (_, waits) = fail_then_succeed(4, 0.5);
    let ms: Vec<u128> = waits.iter().map(Duration::as_millis).collect();
    assert_eq!(
        ms,
        [50, 100, 200, 250],
        "half of 100, 200, 400, and of 500 (not 800)"
    );
}

#[test]
fn after_the_last_attempt_it_gives_up() {
    let (outcome, waits) = fail_then_succeed(9, 0.0);
    assert_eq!(
        outcome,
        Err(RetryError::GaveUp {
            attempts: 5,
            last: Transient { attempt: 5 }
        })
    );
    assert_eq!(waits.len(), 4, "no wait after the last attempt");
}
// ANCHOR_END: attempts

#[test]
fn a_permanent_error_is_not_retried() {
    let mut attempts = 0;
    let outcome: Result<(), _> = retry(
        &Context::background(),
        POLICY,
        |_, _| panic!("no wait for a permanent error"),
        || 0.5,
        |error: &&str| *error != "bad request",
        |_| {
            attempts += 1;
            Err("bad request")
        },
    );
    assert_eq!(
        (outcome, attempts),
        (Err(RetryError::Permanent("bad request")), 1)
    );
}

// ANCHOR: cancelled
/// The job is cancelled during the second wait: no third attempt, and the reason comes back.
#[test]
fn a_cancel_during_a_wait_stops_the_retries() {
    let (ctx, cancel) = Context::background().with_cancel();
    let mut cancel = Some(cancel);
    let attempts = std::cell::Cell::new(0);
    let outcome: Result<(), _> = retry(
        &ctx,
        POLICY,
        |ctx, _| {
            if attempts.get() < 2 {
                return Ok(()); // the first wait passes at once
            }
            if let Some(cancel) = cancel.take() {
                cancel.cancel(); // DELETE, arriving while the job waits to retry
            }
            // The real clock's sleep of an hour, which a cancelled context ends at once.
            ch08_errors::retry::sleep_on_clock(ctx, Duration::from_secs(3600))
        },
        || 1.0,
        |_: &Transient| true,
        |attempt| {
            attempts.set(attempt);
            Err(Transient { attempt })
        },
    );
    assert_eq!(outcome, Err(RetryError::Stopped(Reason::Cancelled)));
    assert_eq!(attempts.get(), 2);
}
// ANCHOR_END: cancelled
