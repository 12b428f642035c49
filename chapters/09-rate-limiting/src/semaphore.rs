//! A counting semaphore: at most N holders at once — Go's `make(chan struct{}, N)`.
//!
//! Chapter 9 uses it to bound how many expensive jobs run at once, whatever the number of job
//! workers: a `primes` job fans out over every core, and two of them at once only make each
//! other slower. It offers both ways of waiting the Go guide shows with a buffered channel:
//!
//! - [`try_acquire`](Semaphore::try_acquire): a permit now or `None` — `select` with
//!   `default`. At the door, where a client can be told 503 and come back later.
//! - [`acquire`](Semaphore::acquire): wait for a permit until the context ends — `select` on
//!   the channel and `ctx.Done()`. Inside work already accepted, which must not be refused.
//!
//! A [`Permit`] gives itself back when dropped, so a panicking holder cannot leak one.
//!
//! The protocol (loom-checked in `tests/loom.rs`): the count changes only under the mutex; a
//! waiter looks at the count and goes to sleep in one step (`Condvar::wait` releases the lock
//! as it sleeps); a release adds one under the lock, *then* wakes one waiter. A release that
//! forgets to wake leaves a waiter asleep beside a free permit — the broken twin.

use ch03_context::{Context, Reason};
use std::sync::Arc;
use std::time::{Duration, Instant};
use sync_shim::{Condvar, Mutex, MutexGuard};

/// How often a waiter whose context has no nearer deadline looks at it again. A context
/// cancelled by `DELETE` or by a shutdown has no way to ring this semaphore's condition
/// variable, so a waiter checks every so often: a cancelled wait ends within this, a wait
/// with a deadline ends exactly at it.
pub const CANCEL_CHECK: Duration = Duration::from_millis(20);

// ANCHOR: semaphore
/// At most `permits` holders at once.
#[derive(Debug)]
pub struct Semaphore {
    permits: usize,
    /// Permits not held now.
    available: Mutex<usize>,
    /// Rung once per permit given back.
    freed: Condvar,
}

/// One of a semaphore's permits, given back when dropped.
#[derive(Debug)]
pub struct Permit {
    semaphore: Arc<Semaphore>,
    /// Only the loom twin gives a permit back without waking anyone.
    #[cfg(loom)]
    silent: bool,
}
// ANCHOR_END: semaphore

impl Semaphore {
    /// A semaphore with `permits` permits (at least 1).
    pub fn new(permits: usize) -> Arc<Semaphore> {
        let permits = permits.max(1);
        Arc::new(Semaphore {
            permits,
            available: Mutex::new(permits),
            freed: Condvar::new(),
        })
    }

    /// How many permits it has.
    pub fn permits(&self) -> usize {
        self.permits
    }

    /// How many are free now.
    pub fn available(&self) -> usize {
        *self.lock()
    }

    // ANCHOR: try_acquire
    /// A permit, if one is free now.
    pub fn try_acquire(self: &Arc<Self>) -> Option<Permit> {
        let mut available = self.lock();
        if *available == 0 {
            return None;
        }
        *available -= 1;
        Some(self.permit())
    }
    // ANCHOR_END: try_acquire

    // ANCHOR: acquire
    /// Waits for a permit until `ctx` ends.
    ///
    /// # Errors
    ///
    /// Why the context ended, when it ended first.
    pub fn acquire(self: &Arc<Self>, ctx: &Context) -> Result<Permit, Reason> {
        let mut available = self.lock();
        loop {
            if *available > 0 {
                *available -= 1;
                return Ok(self.permit());
            }
            if let Some(reason) = ctx.err() {
                return Err(reason);
            }
            let wait = ctx.deadline().map_or(CANCEL_CHECK, |deadline| {
                deadline
                    .saturating_duration_since(Instant::now())
                    .min(CANCEL_CHECK)
            });
            available = self
                .freed
                .wait_timeout(available, wait)
                .map_or_else(|poisoned| poisoned.into_inner().0, |(guard, _)| guard);
        }
    }
    // ANCHOR_END: acquire

    // ANCHOR: broken_try_acquire
    /// The broken twin of [`try_acquire`](Self::try_acquire): looks under one lock, takes
    /// under the next. Two callers can both see the last permit and both take it.
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn try_acquire_look_then_take_broken(self: &Arc<Self>) -> Option<Permit> {
        if *self.lock() == 0 {
            return None;
        }
        let mut available = self.lock();
        *available = available.saturating_sub(1);
        Some(self.permit())
    }
    // ANCHOR_END: broken_try_acquire

    fn permit(self: &Arc<Self>) -> Permit {
        Permit {
            semaphore: Arc::clone(self),
            #[cfg(loom)]
            silent: false,
        }
    }

    fn lock(&self) -> MutexGuard<'_, usize> {
        // The count is one integer, changed in one step: a poisoned lock still guards it.
        self.available
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

// ANCHOR: broken_release
impl Permit {
    /// The broken twin of dropping a permit: gives it back without waking a waiter.
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn release_without_waking_broken(mut self) {
        self.silent = true;
    }
}
// ANCHOR_END: broken_release

// ANCHOR: release
impl Drop for Permit {
    fn drop(&mut self) {
        *self.semaphore.lock() += 1; // the lock is released at the end of this statement
        #[cfg(loom)]
        if self.silent {
            return;
        }
        self.semaphore.freed.notify_one();
    }
}
// ANCHOR_END: release

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn permits_are_counted_and_given_back() {
        let semaphore = Semaphore::new(2);
        let first = semaphore.try_acquire().expect("a permit");
        let second = semaphore.try_acquire().expect("a second permit");
        assert!(semaphore.try_acquire().is_none(), "no third");
        assert_eq!(semaphore.available(), 0);
        drop(first);
        assert_eq!(semaphore.available(), 1);
        drop(second);
        assert_eq!(semaphore.available(), 2);
    }

    #[test]
    fn a_waiter_gets_the_permit_given_back() {
        let semaphore = Semaphore::new(1);
        let held = semaphore.try_acquire().expect("a permit");
        let waiter = {
            let semaphore = Arc::clone(&semaphore);
            std::thread::spawn(move || semaphore.acquire(&Context::background()).is_ok())
        };
        drop(held);
        assert!(waiter.join().expect("the waiter ends"), "it got the permit");
    }

    #[test]
    fn a_wait_ends_at_the_contexts_deadline_or_cancel() {
        let semaphore = Semaphore::new(1);
        let _held = semaphore.try_acquire().expect("a permit");
        let (ctx, _cancel) = Context::background().with_timeout(Duration::from_millis(30));
        assert_eq!(
            semaphore.acquire(&ctx).err(),
            Some(Reason::DeadlineExceeded)
        );
        let (ctx, cancel) = Context::background().with_cancel();
        let waiter = {
            let semaphore = Arc::clone(&semaphore);
            std::thread::spawn(move || semaphore.acquire(&ctx).err())
        };
        cancel.cancel();
        assert_eq!(waiter.join().expect("ends"), Some(Reason::Cancelled));
        assert_eq!(semaphore.available(), 0, "the wait took nothing");
    }
}
