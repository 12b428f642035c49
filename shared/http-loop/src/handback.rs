//! The hand-back: how answers computed on other threads reach the event loop.
//!
//! The event loop sleeps inside `Poll::poll`. A worker that finishes a request must do two
//! things: leave the answer where the loop will find it, and wake the loop up. This module does
//! both, and does the second *at most once per batch*: a wake-up is a system call (a write to an
//! eventfd), so when a thousand workers finish while the loop is busy, the first one wakes it
//! and the other 999 only push. This is "coalescing" wake-ups.
//!
//! The protocol, in two lines:
//! - **sender:** push the item, *then* `wake_pending.swap(true)`; wake the loop only if the flag
//!   was `false` (nobody has woken it since its last drain).
//! - **loop:** on a wake-up, `wake_pending.store(false)` *first*, *then* take the queue.
//!
//! The order on the loop's side is the whole trick. Clear the flag *after* taking the queue and
//! an item pushed between the two is stranded: its sender saw the flag still set and did not
//! wake the loop, and the loop, having cleared the flag, goes back to sleep with the item in the
//! queue. That is a lost wake-up; the loom model in `tests/loom.rs` finds it in a few steps,
//! through [`Handback::drain_then_clear_broken`], which exists only under `--cfg loom`.
//!
//! The hand-back also carries the one message that is not an answer: "stop". Its rule is the
//! same in miniature — set the flag, *then* wake — and it has its own loom model and twin.
//!
//! Why a `Mutex<Vec<T>>` and not a lock-free queue: the lock is held for one `push` or one
//! `append`, it is never contended for long, and the loop takes the whole batch in one go. The
//! mutex also orders the flag: see the comment in [`Handback::drain_into`].

use sync_shim::Mutex;
use sync_shim::atomic::{AtomicBool, Ordering};

/// Something that can wake the event loop: `mio::Waker` in the server, a condition variable in
/// the loom models.
pub trait Wake: Send + Sync {
    /// Wakes the loop. It may be called while the loop is awake; the loop then wakes once more.
    fn wake(&self);
}

impl Wake for mio::Waker {
    fn wake(&self) {
        // Waking writes to an eventfd. mio already handles a full counter (it resets the
        // eventfd and writes again), so what reaches us is a real failure of the system call,
        // such as a closed descriptor: nothing useful to do but say so.
        if let Err(error) = mio::Waker::wake(self) {
            log::error!("could not wake the event loop: {error}");
        }
    }
}

/// A many-producer, one-consumer queue of answers whose producers wake the consumer at most once
/// per batch.
pub struct Handback<T, W> {
    /// Items sent since the loop's last drain.
    queue: Mutex<Vec<T>>,
    /// `true` from the first send after a drain until the loop's next drain: a wake-up is on its
    /// way, so later senders need not send another.
    wake_pending: AtomicBool,
    /// Set once, by [`request_stop`](Handback::request_stop): the loop must end.
    stop_requested: AtomicBool,
    /// Set once, by [`request_drain`](Handback::request_drain): the loop must stop taking
    /// work and close its connections as they fall idle (chapter 10).
    drain_requested: AtomicBool,
    /// How to wake the loop.
    waker: W,
}

impl<T, W: Wake> Handback<T, W> {
    /// A hand-back that wakes the loop through `waker`.
    pub fn new(waker: W) -> Self {
        Handback {
            queue: Mutex::new(Vec::new()),
            wake_pending: AtomicBool::new(false),
            stop_requested: AtomicBool::new(false),
            drain_requested: AtomicBool::new(false),
            waker,
        }
    }

    // ANCHOR: send
    /// Hands `item` to the loop and makes sure the loop will look at the queue.
    pub fn send(&self, item: T) {
        self.lock_queue().push(item);
        // `swap` returns the old value: `false` means this is the first send since the loop's
        // last drain, so nobody else has woken it. Every later sender sees `true` and relies on
        // that wake-up, which cannot be lost because the loop clears the flag before it drains.
        if !self.wake_pending.swap(true, Ordering::AcqRel) {
            self.waker.wake();
        }
    }
    // ANCHOR_END: send

    // ANCHOR: drain
    /// Called by the loop after a wake-up: appends every item sent so far to `out`.
    pub fn drain_into(&self, out: &mut Vec<T>) {
        // Clear the flag *before* taking the queue. A sender that pushes after our `append`
        // then finds the flag `false` and wakes us again, so its item is never stranded.
        //
        // The mutex is what orders the two steps against a sender: if our `append` takes the
        // lock before the sender's `push`, then our `store` happened before the sender's
        // `swap` (store → unlock → their lock → push → swap), so their swap reads `false`.
        self.wake_pending.store(false, Ordering::Release);
        // `append` moves the items and keeps the queue's capacity for the next batch.
        out.append(&mut self.lock_queue());
    }
    // ANCHOR_END: drain

    // ANCHOR: broken
    /// The twin of [`send`](Self::send) without coalescing: it wakes the loop on every send.
    /// Correct, but it pays a system call per answer; the loom models show the difference.
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn send_waking_every_time_broken(&self, item: T) {
        self.lock_queue().push(item);
        self.wake_pending.store(true, Ordering::Release);
        self.waker.wake();
    }

    /// The broken twin of [`drain_into`](Self::drain_into): it takes the queue and *then* clears
    /// the flag, losing any wake-up that lands in between. Only the loom models call it, to show
    /// that they catch the bug.
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn drain_then_clear_broken(&self, out: &mut Vec<T>) {
        out.append(&mut self.lock_queue());
        self.wake_pending.store(false, Ordering::Release);
    }
    // ANCHOR_END: broken

    // ANCHOR: stop
    /// Asks the loop to stop: sets the flag, *then* wakes the loop, which checks the flag after
    /// every wake-up. In the other order the loop could wake, find no flag, and go back to
    /// sleep for good — the broken twin below, which the loom models catch.
    pub fn request_stop(&self) {
        self.raise(&self.stop_requested);
    }

    /// Whether a stop was requested. The loop calls it after each wake-up.
    pub fn stop_requested(&self) -> bool {
        self.stop_requested.load(Ordering::Acquire)
    }

    /// Sets `flag`, *then* wakes the loop: the one way every request to the loop is made.
    fn raise(&self, flag: &AtomicBool) {
        flag.store(true, Ordering::Release);
        self.waker.wake();
    }
    // ANCHOR_END: stop

    // ANCHOR: request_drain
    /// Asks the loop to drain (chapter 10): the same protocol as a stop, through the same
    /// `raise`, and so checked by the same loom model.
    pub fn request_drain(&self) {
        self.raise(&self.drain_requested);
    }

    /// Whether a drain was requested. The loop calls it after each wake-up.
    pub fn drain_requested(&self) -> bool {
        self.drain_requested.load(Ordering::Acquire)
    }
    // ANCHOR_END: request_drain

    /// The broken twin of [`request_stop`](Self::request_stop): wakes first, sets the flag after.
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn request_stop_broken(&self) {
        self.waker.wake();
        self.stop_requested.store(true, Ordering::Release);
    }

    /// Locks the queue. A sender that panicked while holding the lock cannot have left the
    /// `Vec` half-pushed (`push` either happens or panics before changing it), so a poisoned
    /// lock is safe to use.
    fn lock_queue(&self) -> sync_shim::MutexGuard<'_, Vec<T>> {
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// Counts wake-ups instead of waking anything.
    #[derive(Default)]
    struct CountingWaker(AtomicUsize);

    impl Wake for CountingWaker {
        fn wake(&self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_burst_of_sends_costs_one_wake_up() {
        let handback = Handback::new(CountingWaker::default());
        for i in 0..1000 {
            handback.send(i);
        }
        assert_eq!(handback.waker.0.load(Ordering::SeqCst), 1);

        let mut got = Vec::new();
        handback.drain_into(&mut got);
        assert_eq!(got, (0..1000).collect::<Vec<_>>());
    }

    #[test]
    fn the_first_send_after_a_drain_wakes_again() {
        let handback = Handback::new(CountingWaker::default());
        handback.send(1);
        handback.drain_into(&mut Vec::new());
        handback.send(2);
        assert_eq!(handback.waker.0.load(Ordering::SeqCst), 2);
    }
}
