//! The limiter's clock: time since a fixed start, from the system or moved by hand in a test.
//!
//! A rate limiter is all about time, and a test that waits for real time is slow and flaky.
//! So the limiter never calls `Instant::now` itself: it asks a [`Clock`], and a test hands it
//! a [`ManualClock`] that moves only when the test says — "the token comes back after exactly
//! 100 ms" becomes an assertion about arithmetic, with no sleep.

use std::time::{Duration, Instant};
use sync_shim::atomic::{AtomicU64, Ordering};

// ANCHOR: clock_trait
/// A source of the current time, as nanoseconds since some fixed start.
pub trait Clock: Send + Sync {
    /// Nanoseconds since the clock's start. Never goes backwards.
    fn now_ns(&self) -> u64;
}
// ANCHOR_END: clock_trait

/// The system's monotonic clock, counted from when this value was made.
#[derive(Clone, Copy, Debug)]
pub struct SystemClock {
    start: Instant,
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock {
            start: Instant::now(),
        }
    }
}

impl Clock for SystemClock {
    fn now_ns(&self) -> u64 {
        // 584 years of nanoseconds fit in a u64: the cast saturates long after anyone cares.
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

// ANCHOR: manual_clock
/// A clock that stands still until told to move: for tests.
#[derive(Debug, Default)]
pub struct ManualClock {
    ns: AtomicU64,
}

impl ManualClock {
    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        // Relaxed: the clock's value is all it carries; whatever a test does after moving it,
        // it does on the same thread, or after a join or a channel that orders it anyway.
        self.ns.fetch_add(by, Ordering::Relaxed);
    }
}

impl Clock for ManualClock {
    fn now_ns(&self) -> u64 {
        self.ns.load(Ordering::Relaxed)
    }
}
// ANCHOR_END: manual_clock

impl<C: Clock> Clock for std::sync::Arc<C> {
    fn now_ns(&self) -> u64 {
        C::now_ns(self)
    }
}
