//! Long work that respects its context: the Go guide's "respect cancellation in long-running
//! operations" and "check `ctx.Done()` in loops and between operations".

use crate::context::{Context, Reason};
use ch01_channels::primes::count_primes_below_unless;
use crossbeam_channel::{after, select};
use std::time::Duration;

// ANCHOR: sleep
/// Waits for `duration`, or less if the context ends first: the Go guide's
/// `select { case <-time.After(d): … case <-ctx.Done(): … }`.
///
/// # Errors
///
/// Why the context ended, if it ended first.
pub fn sleep(ctx: &Context, duration: Duration) -> Result<(), Reason> {
    select! {
        recv(after(duration)) -> _ => Ok(()),
        recv(ctx.done()) -> _ => Err(ctx.err().unwrap_or(Reason::Cancelled)),
        // No runtime closes `done` at the deadline for us: the deadline is an arm of its own.
        recv(ctx.deadline_timer()) -> _ => Err(Reason::DeadlineExceeded),
    }
}
// ANCHOR_END: sleep

// ANCHOR: count_primes
/// Counts the primes below `limit`, stopping within one crossing-out pass of the sieve once the
/// context ends.
///
/// # Errors
///
/// Why the context ended, if it ended first.
pub fn count_primes(ctx: &Context, limit: usize) -> Result<usize, Reason> {
    count_primes_below_unless(limit, || ctx.is_done())
        .ok_or_else(|| ctx.err().unwrap_or(Reason::Cancelled))
}
// ANCHOR_END: count_primes

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn sleep_ends_early_when_cancelled() {
        let (ctx, cancel) = Context::background().with_cancel();
        cancel.cancel();
        assert_eq!(sleep(&ctx, Duration::from_secs(60)), Err(Reason::Cancelled));
    }

    #[test]
    fn sleep_ends_at_the_deadline() {
        let (ctx, _cancel) = Context::background().with_timeout(Duration::from_millis(10));
        let started = Instant::now();
        assert_eq!(
            sleep(&ctx, Duration::from_secs(60)),
            Err(Reason::DeadlineExceeded)
        );
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the failure guard"
        );
    }

    #[test]
    fn counting_stops_when_cancelled() {
        let (ctx, cancel) = Context::background().with_cancel();
        assert_eq!(count_primes(&ctx, 100), Ok(25));
        cancel.cancel();
        assert_eq!(count_primes(&ctx, 10_000_000), Err(Reason::Cancelled));
    }
}
