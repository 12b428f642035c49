//! A wait group: Go's `sync.WaitGroup`, written out by hand — a counter of unfinished tasks and
//! a way to sleep until it reaches zero.
//!
//! Use it when you must know that a set of tasks has *ended* and nothing else tells you: tasks
//! that were not started as threads you can join (parts handed to a pool), or — the Go guide's
//! fan-in — to close a results channel once the last worker is done with it.
//!
//! Go's `Add`, `Done` and `Wait` become [`add`](WaitGroup::add), which hands out a
//! [`Done`] guard, and [`wait`](WaitGroup::wait). The guard calls `done` when it is dropped —
//! Go's `defer wg.Done()` that cannot be forgotten, and that runs when the task panics too.

use sync_shim::{Arc, Condvar, Mutex, MutexGuard};

// ANCHOR: wait_group
// ANCHOR: types
/// Counts unfinished tasks; [`wait`](WaitGroup::wait) sleeps until there are none.
#[derive(Clone, Default)]
pub struct WaitGroup {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    unfinished: Mutex<usize>,
    /// Signalled when `unfinished` reaches zero.
    all_done: Condvar,
}

/// One unfinished task of a [`WaitGroup`]; dropping it marks the task done.
#[must_use = "dropping a Done marks its task finished at once"]
pub struct Done {
    inner: Arc<Inner>,
}
// ANCHOR_END: types

// ANCHOR: add_wait
impl WaitGroup {
    /// A group with no tasks.
    pub fn new() -> WaitGroup {
        WaitGroup::default()
    }

    /// Counts one more task, and returns its guard (Go's `wg.Add(1)`). Call it *before*
    /// starting the task, as in Go: a `wait` that runs first must already count it.
    pub fn add(&self) -> Done {
        *self.inner.lock() += 1;
        Done {
            inner: Arc::clone(&self.inner),
        }
    }

    /// Sleeps until every task counted so far is done (Go's `wg.Wait()`).
    pub fn wait(&self) {
        let mut unfinished = self.inner.lock();
        // A loop, not an `if`: a condition variable may wake a sleeper for no reason.
        while *unfinished > 0 {
            unfinished = self
                .inner
                .all_done
                .wait(unfinished)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }

    /// How many tasks are not done yet.
    pub fn unfinished(&self) -> usize {
        *self.inner.lock()
    }
}
// ANCHOR_END: add_wait

// ANCHOR: done
impl Drop for Done {
    fn drop(&mut self) {
        let mut unfinished = self.inner.lock();
        *unfinished -= 1;
        if *unfinished == 0 {
            // Every waiter: several threads may be in `wait`, and each must see the zero.
            self.inner.all_done.notify_all();
        }
    }
}
// ANCHOR_END: done
// ANCHOR_END: wait_group

impl Inner {
    fn lock(&self) -> MutexGuard<'_, usize> {
        // Nothing panics while holding this lock; a poisoned one still holds a good count.
        self.unfinished
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

// ANCHOR: broken
impl Done {
    /// The broken twin of dropping a [`Done`]: counts the task finished but wakes nobody, so a
    /// thread already asleep in `wait` sleeps on. Only the loom models call it.
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn done_without_waking_broken(self) {
        *self.inner.lock() -= 1;
        std::mem::forget(self); // skip the real `drop`
    }
}
// ANCHOR_END: broken

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn waits_for_nothing_when_nothing_was_added() {
        WaitGroup::new().wait();
    }

    #[test]
    fn counts_what_is_unfinished() {
        let group = WaitGroup::new();
        let first = group.add();
        let second = group.add();
        assert_eq!(group.unfinished(), 2);
        drop(first);
        assert_eq!(group.unfinished(), 1);
        drop(second);
        assert_eq!(group.unfinished(), 0);
        group.wait();
    }

    #[test]
    fn wait_returns_once_the_last_task_is_done() {
        let group = WaitGroup::new();
        let (started_tx, started) = crossbeam_channel::bounded(0);
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let done = group.add();
                let started_tx = started_tx.clone();
                std::thread::spawn(move || {
                    started_tx.send(()).expect("the test waits");
                    drop(done);
                })
            })
            .collect();
        for _ in 0..4 {
            started.recv().expect("a task started");
        }
        group.wait();
        assert_eq!(group.unfinished(), 0);
        for task in tasks {
            task.join().expect("no task panics");
        }
    }

    #[test]
    fn a_panicking_task_is_done_too() {
        let group = WaitGroup::new();
        let done = group.add();
        let task = std::thread::spawn(move || {
            let _done = done;
            panic!("the task fails");
        });
        group.wait();
        assert!(task.join().is_err());
    }
}
