//! A bounded queue that can be closed: Go's buffered channel, written out by hand.
//!
//! `make(chan Job, 64)` is, inside the Go runtime, a ring buffer under a lock plus lists of
//! waiting goroutines. This is the same thing with the parts named: a `VecDeque` under a
//! `Mutex`, and a `Condvar` on which idle workers sleep.
//!
//! - [`try_push`](BoundedQueue::try_push) never waits: the event loop calls it, and the event
//!   loop must never block. A full queue says so, and hands the item back, so the caller can
//!   answer `503` with it.
//! - [`pop`](BoundedQueue::pop) waits for an item, and returns `None` once the queue is closed
//!   *and* empty — Go's `for job := range jobs`.
//! - [`push`](BoundedQueue::push) waits for room instead: Go's `jobs <- job` on a full
//!   channel. Worker threads may wait; chapter 7's pipeline stages do, and that wait is its
//!   backpressure.
//! - [`close`](BoundedQueue::close) is Go's `close(jobs)`: no more items go in, items already
//!   in stay and are still popped, and **every** sleeping worker is woken to find out.
//! - [`push_batch`](BoundedQueue::push_batch) appends a whole turn's items under one lock
//!   with at most one wake-up (chapter 5's submissions). The wake-up rule is one function,
//!   `claim_wake`: wake a sleeper only if none is on its way already; a worker that wakes and
//!   leaves items behind wakes the next — Go's scheduler does the same with its spinning
//!   threads, tokio with its one searching worker.
//!
//! Why not `crossbeam_channel::bounded`: it would do, and chapter 1 uses it. Written by hand,
//! the queue can be checked by loom (which cannot see inside crossbeam), and the book can show
//! the lost wake-up that a `notify_one` in `close` causes: see `tests/loom.rs`.

use std::collections::VecDeque;
use sync_shim::atomic::{AtomicUsize, Ordering};
use sync_shim::{Condvar, Mutex, MutexGuard};

/// [`BoundedQueue::push_batch`] on a closed queue.
#[derive(Debug, PartialEq, Eq)]
pub struct Closed;

/// Why [`BoundedQueue::try_push`] did not take an item. Either way the item comes back.
#[derive(Debug, PartialEq, Eq)]
pub enum PushError<T> {
    /// The queue holds `capacity` items already.
    Full(T),
    /// The queue was closed.
    Closed(T),
}

/// Which of `pop`'s duties a broken twin leaves out (`Flaw::None` in the real `pop`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flaw {
    None,
    #[cfg_attr(not(loom), allow(dead_code))]
    ForgetsProducer,
    #[cfg_attr(not(loom), allow(dead_code))]
    NoHelper,
    #[cfg_attr(not(loom), allow(dead_code))]
    KeepsWaking,
}

// ANCHOR: state
struct State<T> {
    items: VecDeque<T>,
    closed: bool,
    /// Workers asleep in `pop`. A push with none skips the wake-up: `notify_one` is a system
    /// call even when nobody waits, and a busy pool would pay it for every job.
    idle: usize,
    /// Producers asleep in `push`, waiting for room; a pop with none skips the wake-up.
    blocked: usize,
    /// A worker has been woken and has not run yet. A second wake-up now would only find the
    /// items the first will take, so none is made (see [`claim_wake`](BoundedQueue::claim_wake));
    /// the next worker to wake clears it.
    waking: bool,
}

/// A many-producer, many-consumer queue of at most `capacity` items.
pub struct BoundedQueue<T> {
    state: Mutex<State<T>>,
    /// Signalled when an item arrives or the queue closes.
    not_empty: Condvar,
    /// Signalled when an item leaves or the queue closes.
    not_full: Condvar,
    capacity: usize,
    /// `items.len()`, stored under the lock at every change and read without it: the event
    /// loop counts the room left for each job it accepts, and must not take the workers' lock
    /// to do it (see `WorkerPool::stage`).
    len: AtomicUsize,
}
// ANCHOR_END: state

impl<T> BoundedQueue<T> {
    /// An open, empty queue that holds at most `capacity` items.
    pub fn new(capacity: usize) -> BoundedQueue<T> {
        BoundedQueue {
            state: Mutex::new(State {
                items: VecDeque::with_capacity(capacity),
                closed: false,
                idle: 0,
                blocked: 0,
                waking: false,
            }),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
            capacity,
            len: AtomicUsize::new(0),
        }
    }

    // ANCHOR: try_push
    /// Adds `item` if there is room, without ever waiting.
    ///
    /// # Errors
    ///
    /// [`PushError::Full`] or [`PushError::Closed`], with the item.
    pub fn try_push(&self, item: T) -> Result<(), PushError<T>> {
        let mut state = self.lock();
        if state.closed {
            return Err(PushError::Closed(item));
        }
        if state.items.len() >= self.capacity {
            return Err(PushError::Full(item));
        }
        state.items.push_back(item);
        self.len.store(state.items.len(), Ordering::Relaxed);
        let wake = Self::claim_wake(&mut state);
        // Release the lock before waking a worker, so it does not wake only to wait for it.
        drop(state);
        if wake {
            self.not_empty.notify_one();
        }
        Ok(())
    }
    // ANCHOR_END: try_push

    // ANCHOR: push_batch
    /// Appends every item of `items`, leaving it empty, under one lock, and wakes at most one
    /// sleeping worker: the hand-over of a whole turn's jobs (chapter 5). It does not check
    /// the bound: the caller has counted the room already, when it accepted each item.
    ///
    /// # Errors
    ///
    /// [`Closed`] when the queue is closed; `items` is left as it was.
    pub fn push_batch(&self, items: &mut Vec<T>) -> Result<(), Closed> {
        let mut state = self.lock();
        if state.closed {
            return Err(Closed);
        }
        state.items.extend(items.drain(..));
        debug_assert!(
            state.items.len() <= self.capacity,
            "a hand-over past the bound"
        );
        self.len.store(state.items.len(), Ordering::Relaxed);
        let wake = Self::claim_wake(&mut state);
        drop(state);
        if wake {
            self.not_empty.notify_one();
        }
        Ok(())
    }
    // ANCHOR_END: push_batch

    // ANCHOR: claim_wake
    /// Whether to wake a worker for the items queued, deciding under the lock: only if one is
    /// asleep and no wake-up is on its way already. A worker that wakes takes items until the
    /// queue is empty, and wakes a helper itself if it leaves items behind with a worker
    /// asleep (`pop`), so one wake-up per hand-over is enough — and a flood of jobs makes one
    /// system call per turn of the loop, not one per job.
    fn claim_wake(state: &mut State<T>) -> bool {
        let wake = state.idle > 0 && !state.waking && !state.items.is_empty();
        state.waking |= wake;
        wake
    }
    // ANCHOR_END: claim_wake

    // ANCHOR: push
    /// Adds `item`, waiting for room while the queue is full (backpressure).
    ///
    /// # Errors
    ///
    /// The item back, when the queue is closed — before or while waiting.
    pub fn push(&self, item: T) -> Result<(), T> {
        let mut state = self.lock();
        while state.items.len() >= self.capacity && !state.closed {
            state.blocked += 1;
            state = self
                .not_full
                .wait(state)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            state.blocked -= 1;
        }
        if state.closed {
            return Err(item);
        }
        state.items.push_back(item);
        self.len.store(state.items.len(), Ordering::Relaxed);
        let wake = Self::claim_wake(&mut state);
        drop(state);
        if wake {
            self.not_empty.notify_one();
        }
        Ok(())
    }
    // ANCHOR_END: push

    // ANCHOR: pop
    /// Takes the oldest item, waiting for one if the queue is empty. `None` once the queue is
    /// closed and every item has been taken.
    pub fn pop(&self) -> Option<T> {
        self.pop_with(Flaw::None)
    }

    fn pop_with(&self, flaw: Flaw) -> Option<T> {
        let mut state = self.lock();
        loop {
            if let Some(item) = state.items.pop_front() {
                self.len.store(state.items.len(), Ordering::Relaxed);
                // Items left behind and a worker asleep: wake it to help, as Go's scheduler
                // wakes an idle thread when it finds more work than it can run. Without it, a
                // hand-over of two long jobs would run them one after the other.
                let helper = flaw != Flaw::NoHelper && Self::claim_wake(&mut state);
                // Room for one: wake one producer waiting in `push`, if any.
                let producer_waits = state.blocked > 0;
                drop(state);
                if helper {
                    self.not_empty.notify_one();
                }
                if producer_waits && flaw != Flaw::ForgetsProducer {
                    self.not_full.notify_one();
                }
                return Some(item);
            }
            if state.closed {
                return None;
            }
            // `wait` releases the lock while asleep and takes it back before returning. The
            // loop re-checks the state: a wake-up is a hint, not a promise (another worker may
            // have taken the item first, and condition variables may wake spuriously).
            state.idle += 1;
            state = self
                .not_empty
                .wait(state)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            state.idle -= 1;
            if flaw != Flaw::KeepsWaking {
                state.waking = false; // the wake-up on its way has arrived: the next may be made
            }
        }
    }
    // ANCHOR_END: pop

    // ANCHOR: close
    /// Closes the queue: later pushes fail, items already queued are still popped, and every
    /// waiting worker wakes up. Closing twice is harmless (unlike Go's `close`).
    pub fn close(&self) {
        self.lock().closed = true;
        // All of them: each sleeping worker must see `closed` to exit. `notify_one` would wake
        // one, and leave the others asleep forever — the broken twin below. Producers waiting
        // for room wake too, to find their push refused.
        self.not_empty.notify_all();
        self.not_full.notify_all();
    }
    // ANCHOR_END: close

    // ANCHOR: broken
    /// The broken twin of [`close`](Self::close): wakes one waiting worker only. Only the loom
    /// models call it, to show that they catch the bug.
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn close_waking_one_broken(&self) {
        self.lock().closed = true;
        self.not_empty.notify_one();
    }
    // ANCHOR_END: broken

    /// The broken twin of [`pop`](Self::pop): takes an item but never wakes a producer
    /// waiting for room, which sleeps beside the room it is waiting for.
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn pop_not_waking_producer_broken(&self) -> Option<T> {
        self.pop_with(Flaw::ForgetsProducer)
    }

    /// The broken twin of [`pop`](Self::pop): takes an item but never wakes a sleeping worker
    /// to help with the items it leaves behind, so a hand-over's jobs run one at a time while
    /// the other workers sleep.
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn pop_without_helper_broken(&self) -> Option<T> {
        self.pop_with(Flaw::NoHelper)
    }

    /// The broken twin of [`pop`](Self::pop): a worker that wakes leaves the "wake-up on its
    /// way" mark set, so every later hand-over believes a worker is coming, and wakes none.
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn pop_keeping_the_wake_mark_broken(&self) -> Option<T> {
        self.pop_with(Flaw::KeepsWaking)
    }

    /// The broken twin of [`try_push`](Self::try_push): looks for a sleeping worker *before*
    /// it takes the lock to push. A worker that falls asleep between the look and the push is
    /// not woken, and sleeps beside the item it is waiting for.
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn try_push_looking_first_broken(&self, item: T) -> Result<(), PushError<T>> {
        let someone_asleep = self.lock().idle > 0;
        let mut state = self.lock();
        if state.closed {
            return Err(PushError::Closed(item));
        }
        state.items.push_back(item);
        drop(state);
        if someone_asleep {
            self.not_empty.notify_one();
        }
        Ok(())
    }

    /// How many workers are asleep in [`pop`](Self::pop), waiting for an item: the pool's idle
    /// workers, for metrics (and for the test that the count goes back down when they wake).
    pub fn sleeping(&self) -> usize {
        self.lock().idle
    }

    /// How many producers are asleep in [`push`](Self::push), waiting for room.
    pub fn blocked_producers(&self) -> usize {
        self.lock().blocked
    }

    /// How many items are waiting: a count taken without the lock, which may be a moment
    /// old. For a thread whose every push is ordered before its read — the event loop, whose
    /// pushes all go through the pool's staging lock — it is never lower than the truth: its
    /// own last count is the oldest it can see, and every later one is a worker's, lower.
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Whether no item is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most items the queue holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // Nothing in this file panics while holding the lock, so a poisoned lock still holds a
        // consistent queue.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// At most one wake-up on its way: none while one is, one again once it has arrived, and
    /// none for an empty queue.
    #[test]
    fn one_wake_up_on_its_way_at_a_time() {
        let mut state = State {
            items: VecDeque::from([1]),
            closed: false,
            idle: 2,
            blocked: 0,
            waking: false,
        };
        assert!(BoundedQueue::claim_wake(&mut state));
        state.items.push_back(2);
        assert!(!BoundedQueue::claim_wake(&mut state), "one is on its way");
        state.waking = false; // it arrived
        assert!(BoundedQueue::claim_wake(&mut state));
        state.items.clear();
        state.waking = false;
        assert!(!BoundedQueue::claim_wake(&mut state), "nothing to wake for");
    }

    #[test]
    fn a_full_queue_hands_the_item_back() {
        let queue = BoundedQueue::new(2);
        assert_eq!(queue.try_push(1), Ok(()));
        assert_eq!(queue.try_push(2), Ok(()));
        assert_eq!(queue.try_push(3), Err(PushError::Full(3)));
        assert_eq!(queue.pop(), Some(1));
        assert_eq!(queue.try_push(3), Ok(()));
    }

    #[test]
    fn it_reports_its_bound_and_contents() {
        let queue = BoundedQueue::new(2);
        assert_eq!(
            (queue.capacity(), queue.len(), queue.is_empty()),
            (2, 0, true)
        );
        queue.try_push('a').unwrap();
        assert_eq!((queue.len(), queue.is_empty()), (1, false));
    }

    #[test]
    fn a_closed_queue_still_gives_what_it_holds() {
        let queue = BoundedQueue::new(4);
        queue.try_push("queued").unwrap();
        queue.close();
        assert_eq!(queue.try_push("late"), Err(PushError::Closed("late")));
        assert_eq!(queue.pop(), Some("queued"));
        assert_eq!(queue.pop(), None);
        queue.close(); // twice: harmless
    }

    /// Spins until one producer waits in `push` (the failure guard bounds it).
    fn until_a_producer_waits(queue: &BoundedQueue<u32>) {
        let started = std::time::Instant::now();
        while queue.blocked_producers() == 0 {
            assert!(started.elapsed() < std::time::Duration::from_secs(10));
            std::thread::yield_now();
        }
    }

    #[test]
    fn push_waits_for_room_and_a_close_refuses_it() {
        let queue = std::sync::Arc::new(BoundedQueue::new(1));
        let push_later = |item| {
            let queue = std::sync::Arc::clone(&queue);
            std::thread::spawn(move || queue.push(item))
        };
        queue.push(1).unwrap();
        let producer = push_later(2);
        until_a_producer_waits(&queue);
        assert_eq!(queue.pop(), Some(1), "makes room, and wakes the producer");
        assert_eq!(producer.join().unwrap(), Ok(()));
        assert_eq!(queue.pop(), Some(2));

        queue.push(3).unwrap();
        let producer = push_later(4);
        until_a_producer_waits(&queue);
        queue.close();
        assert_eq!(producer.join().unwrap(), Err(4), "closed while it waited");
    }
}
