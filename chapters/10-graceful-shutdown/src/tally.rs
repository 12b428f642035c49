//! Every accepted job, counted until it ends: how a drain knows it is over, and how the last
//! log line accounts for every job.
//!
//! The store tells the tally of each job it takes in and each that ends (chapter 5's
//! [`JobEvents`]). A drain waits in [`JobTally::wait_settled`] until no job is unfinished.
//!
//! The protocol is the condition variable's, and it is the whole of this file's care: the
//! counts change only under the mutex; the waiter looks at them and goes to sleep in one step
//! (`Condvar::wait` releases the lock as it sleeps); the job that brings the unfinished count
//! to zero wakes the waiter *after* changing the count under the lock. A last job that forgets
//! to wake leaves the drain asleep until its deadline, with nothing left to wait for — the
//! broken twin the loom model in `tests/loom.rs` catches.

use ch05_job_status::{JobEvents, Status};
use std::sync::PoisonError;
use std::time::Instant;
use sync_shim::{Condvar, Mutex, MutexGuard};

// ANCHOR: tally
/// Jobs accepted and how they ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Jobs the store took in (less those withdrawn before they ran).
    pub accepted: u64,
    /// Jobs that ended `completed`.
    pub completed: u64,
    /// Jobs that ended `failed`.
    pub failed: u64,
    /// Jobs that ended `cancelled`.
    pub cancelled: u64,
}

impl Tally {
    /// Jobs accepted and not yet ended: at exit, the jobs lost.
    pub fn unfinished(&self) -> u64 {
        self.accepted - self.completed - self.failed - self.cancelled
    }
}

/// The tally, and the condition variable a drain waits on.
#[derive(Debug, Default)]
pub struct JobTally {
    counts: Mutex<Tally>,
    /// Rung when the unfinished count reaches zero.
    settled: Condvar,
}
// ANCHOR_END: tally

impl JobTally {
    /// The counts now.
    pub fn snapshot(&self) -> Tally {
        *self.lock()
    }

    // ANCHOR: wait_settled
    /// Waits until no accepted job is unfinished, or `deadline` passes (`None`: no deadline).
    /// Returns whether every job had ended.
    pub fn wait_settled(&self, deadline: Option<Instant>) -> bool {
        let mut counts = self.lock();
        while counts.unfinished() > 0 {
            counts = match deadline {
                None => self
                    .settled
                    .wait(counts)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return false;
                    }
                    match self.settled.wait_timeout(counts, deadline - now) {
                        Ok((counts, _)) => counts,
                        Err(poisoned) => poisoned.into_inner().0,
                    }
                }
            };
        }
        true
    }
    // ANCHOR_END: wait_settled

    fn lock(&self) -> MutexGuard<'_, Tally> {
        // Counters changed in single steps: a poisoned lock still guards consistent counts.
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    // ANCHOR: count_end
    /// Counts one job's end; wakes the drain if it was the last.
    fn count_end(&self, count: impl FnOnce(&mut Tally)) {
        let settled = {
            let mut counts = self.lock();
            count(&mut counts);
            counts.unfinished() == 0
        }; // the lock is released here: the woken drain can take it at once
        if settled {
            self.settled.notify_all();
        }
    }
    // ANCHOR_END: count_end

    // ANCHOR: broken
    /// The broken twin of a job's end: counts it, and wakes nobody.
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn finished_without_waking_broken(&self, status: Status) {
        record(&mut self.lock(), status);
    }
    // ANCHOR_END: broken
}

// ANCHOR: events
impl JobEvents for JobTally {
    fn accepted(&self) {
        self.lock().accepted += 1;
    }

    fn withdrawn(&self) {
        self.count_end(|counts| counts.accepted -= 1);
    }

    fn finished(&self, status: Status) {
        self.count_end(|counts| record(counts, status));
    }
}
// ANCHOR_END: events

fn record(counts: &mut Tally, status: Status) {
    match status {
        Status::Completed => counts.completed += 1,
        Status::Failed => counts.failed += 1,
        // The store reports only the final three; `cancelled` is the only one left.
        _ => counts.cancelled += 1,
    }
}
