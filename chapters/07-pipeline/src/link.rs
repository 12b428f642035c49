//! A link between two pipeline stages: a bounded channel with a sending and a receiving end
//! that close it when the last of them is dropped — Go's `close(out)`, done by `drop`.
//!
//! The queue inside is chapter 2's [`BoundedQueue`], whose `push` waits for room: a stage that
//! produces faster than the next consumes is held at the link, and that wait is the pipeline's
//! backpressure. What this file adds is *who closes*:
//!
//! - the last [`Sender`] dropped closes the link: the next stage drains what is queued, then
//!   sees the end (Go's `for item := range in` ends);
//! - the last [`Receiver`] dropped closes it too: a stage that stops reading does not leave the
//!   one before it blocked for ever on a full link — its next `send` fails, and it stops.
//!
//! Use it between stages on threads; inside one thread, an iterator is the pipeline.

use ch02_worker_pool::BoundedQueue;
use sync_shim::Arc;
use sync_shim::atomic::{AtomicUsize, Ordering};

// ANCHOR: shared
struct Shared<T> {
    queue: BoundedQueue<T>,
    /// Live sending ends; the one that takes it to zero closes the queue.
    senders: AtomicUsize,
    /// Live receiving ends; likewise.
    receivers: AtomicUsize,
    /// The most items ever queued at once, seen after each send: the backpressure, measured.
    high_water: AtomicUsize,
}

/// The sending end of a link. Clone it for each worker of a stage.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
    /// Whether this end is the broken twin (loom models only).
    #[cfg(loom)]
    two_steps: bool,
}

/// The receiving end of a link. Clone it for each worker of the next stage.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
}
// ANCHOR_END: shared

/// A link that holds at most `capacity` items.
pub fn link<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        queue: BoundedQueue::new(capacity.max(1)),
        senders: AtomicUsize::new(1),
        receivers: AtomicUsize::new(1),
        high_water: AtomicUsize::new(0),
    });
    let sender = Sender {
        shared: Arc::clone(&shared),
        #[cfg(loom)]
        two_steps: false,
    };
    (sender, Receiver { shared })
}

impl<T> Sender<T> {
    // ANCHOR: send
    /// Sends `item`, waiting while the link is full.
    ///
    /// # Errors
    ///
    /// The item back when the link is closed: every receiver has gone, or the pipeline was
    /// cancelled.
    pub fn send(&self, item: T) -> Result<(), T> {
        self.shared.queue.push(item)?;
        // A statistic: nothing is published through it, so Relaxed.
        let queued = self.shared.queue.len();
        self.shared.high_water.fetch_max(queued, Ordering::Relaxed);
        Ok(())
    }
    // ANCHOR_END: send
}

impl<T> Receiver<T> {
    /// The next item, waiting for one; `None` once the link is closed and empty.
    pub fn recv(&self) -> Option<T> {
        self.shared.queue.pop()
    }
}

// ANCHOR: close_by_drop
impl<T> Clone for Sender<T> {
    fn clone(&self) -> Sender<T> {
        // Relaxed, as in `Arc::clone`: a new end is made from a live one, so the count cannot
        // be at zero, and nothing else is published by the increment.
        self.shared.senders.fetch_add(1, Ordering::Relaxed);
        Sender {
            shared: Arc::clone(&self.shared),
            #[cfg(loom)]
            two_steps: self.two_steps,
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        #[cfg(loom)]
        if self.two_steps {
            return self.release_in_two_steps();
        }
        // One read-modify-write decides who is last: exactly one end sees 1. Relaxed is
        // enough: the count only elects the closer; the items and the close itself go
        // through the queue's mutex, which orders them.
        if self.shared.senders.fetch_sub(1, Ordering::Relaxed) == 1 {
            self.shared.queue.close();
        }
    }
}
// ANCHOR_END: close_by_drop

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Receiver<T> {
        self.shared.receivers.fetch_add(1, Ordering::Relaxed);
        Receiver {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if self.shared.receivers.fetch_sub(1, Ordering::Relaxed) == 1 {
            self.shared.queue.close();
        }
    }
}

// ANCHOR: broken
impl<T> Sender<T> {
    /// The broken twin of dropping a [`Sender`]: when this end is dropped, it reads the count,
    /// then writes it back one less — two steps, so two ends dropped at once can both read 2,
    /// both write 1, and neither closes. Only the loom models call it.
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn counting_in_two_steps_broken(mut self) -> Sender<T> {
        self.two_steps = true;
        self
    }

    #[cfg(loom)]
    fn release_in_two_steps(&self) {
        let live = self.shared.senders.load(Ordering::Relaxed);
        self.shared.senders.store(live - 1, Ordering::Relaxed);
        if live == 1 {
            self.shared.queue.close();
        }
    }
}
// ANCHOR_END: broken

/// What the pipeline reads of a link whatever its item type: for its figures, and to close it
/// when the job is cancelled.
pub trait LinkState: Send + Sync {
    /// Items queued now.
    fn queued(&self) -> usize;
    /// The most it holds.
    fn capacity(&self) -> usize;
    /// The most it ever held.
    fn high_water(&self) -> usize;
    /// Closes it: waiting senders and receivers wake, later sends fail.
    fn close(&self);
}

struct StateOf<T>(Arc<Shared<T>>);

impl<T: Send> LinkState for StateOf<T> {
    fn queued(&self) -> usize {
        self.0.queue.len()
    }
    fn capacity(&self) -> usize {
        self.0.queue.capacity()
    }
    fn high_water(&self) -> usize {
        self.0.high_water.load(Ordering::Relaxed)
    }
    fn close(&self) {
        self.0.queue.close();
    }
}

impl<T: Send + 'static> Sender<T> {
    /// The link's state, for the pipeline's figures and its cancellation.
    pub fn state(&self) -> std::sync::Arc<dyn LinkState> {
        std::sync::Arc::new(StateOf(Arc::clone(&self.shared)))
    }
}
