//! Retrying transient errors: exponential backoff with full jitter, a bounded number of
//! attempts, and a wait between attempts that the context can cut short.
//!
//! Use it around an operation that can fail for a moment (a busy peer, a lost connection) and
//! is safe to repeat. Permanent errors are not retried: the caller says which are transient.
//!
//! The wait before attempt `n + 1` is a random duration between zero and
//! `min(max, first × 2ⁿ⁻¹)` — "full jitter": clients that failed together do not all come
//! back together. The clock and the dice are parameters, so a test can run every attempt
//! without waiting on the real clock.

use ch03_context::{Context, Reason, work};
use std::fmt;
use std::time::Duration;

// ANCHOR: policy
/// How often, and how far apart, to try.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// Attempts in all, the first included (at least one).
    pub attempts: u32,
    /// The longest wait before the second attempt.
    pub first: Duration,
    /// The longest wait before any attempt.
    pub max: Duration,
}

impl Backoff {
    /// The longest wait after failed attempt `attempt` (1-based): `first × 2^(attempt-1)`,
    /// at most `max`.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let doubling = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.first.saturating_mul(doubling).min(self.max)
    }
}
// ANCHOR_END: policy

/// Why the operation gave no result.
#[derive(Debug, PartialEq, Eq)]
pub enum RetryError<E> {
    /// It failed with an error that is not transient: not retried.
    Permanent(E),
    /// Every attempt failed; the last error.
    GaveUp {
        /// How many attempts were made.
        attempts: u32,
        /// The last attempt's error.
        last: E,
    },
    /// The context ended, during an attempt's wait.
    Stopped(Reason),
}

impl<E: fmt::Display> fmt::Display for RetryError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RetryError::Permanent(_) => write!(f, "a failure not worth retrying"),
            RetryError::GaveUp { attempts, .. } => write!(f, "gave up after {attempts} attempts"),
            RetryError::Stopped(reason) => write!(f, "{reason:?} while waiting to retry"),
        }
    }
}

/// The cause is the `source`, as in every error of this chapter: printed after, not repeated.
impl<E: std::error::Error + 'static> std::error::Error for RetryError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RetryError::Permanent(error) | RetryError::GaveUp { last: error, .. } => Some(error),
            RetryError::Stopped(_) => None,
        }
    }
}

// ANCHOR: retry
/// Calls `attempt` with the attempt's number (1, 2, …) until it succeeds, fails with an error
/// `is_transient` does not accept, or has failed `policy.attempts` times. Between attempts it
/// waits by `sleep` for `random()` (in `[0, 1)`) times the policy's ceiling.
///
/// # Errors
///
/// As [`RetryError`].
pub fn retry<T, E>(
    ctx: &Context,
    policy: Backoff,
    mut sleep: impl FnMut(&Context, Duration) -> Result<(), Reason>,
    mut random: impl FnMut() -> f64,
    is_transient: impl Fn(&E) -> bool,
    mut attempt: impl FnMut(u32) -> Result<T, E>,
) -> Result<T, RetryError<E>> {
    let mut n = 1;
    loop {
        match attempt(n) {
            Ok(value) => return Ok(value),
            Err(error) if !is_transient(&error) => return Err(RetryError::Permanent(error)),
            Err(last) if n >= policy.attempts => {
                return Err(RetryError::GaveUp { attempts: n, last });
            }
            Err(_) => {
                // In [0, 1] whatever the dice say (NaN included): `mul_f64` panics outside.
                let fraction = random();
                let fraction = if fraction >= 0.0 {
                    fraction.min(1.0)
                } else {
                    0.0
                };
                let wait = policy.ceiling(n).mul_f64(fraction);
                sleep(ctx, wait).map_err(RetryError::Stopped)?;
                n += 1;
            }
        }
    }
}
// ANCHOR_END: retry

/// The real clock: chapter 3's `sleep`, which the context cuts short.
pub fn sleep_on_clock(ctx: &Context, duration: Duration) -> Result<(), Reason> {
    work::sleep(ctx, duration)
}

/// A number in `[0, 1)` from the operating system's random source (or 0.5 when it has none:
/// the jitter is then only halved, not lost).
pub fn random_fraction() -> f64 {
    let mut bytes = [0; 8];
    match getrandom::fill(&mut bytes) {
        Ok(()) => (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64,
        Err(_) => 0.5,
    }
}
