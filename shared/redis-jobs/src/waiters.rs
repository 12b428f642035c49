//! The long polls this server holds, by job: answered by the listener when the job ends
//! anywhere, or by the loop at their deadline.
//!
//! The map's lock is a [`sync_shim`] one, so that the loom models in `tests/loom.rs` run this
//! very code: a long poll kept while its job ends is answered exactly once.

use ch05_job_status::{JobId, WaiterId};
use http_loop::Responder;
use std::collections::HashMap;
use std::sync::PoisonError;
use sync_shim::{Mutex, MutexGuard};

/// The most long polls one job holds on one server; more get "not yet" at once.
pub const MAX_WAITERS_PER_JOB: usize = 64;

/// Long polls by job.
#[derive(Default)]
pub struct Waiters {
    by_job: Mutex<HashMap<JobId, Vec<(WaiterId, Responder)>>>,
}

impl Waiters {
    /// Keeps `responder` until job `id` ends. `Err` gives it back when the job has as many
    /// waiters as it may.
    ///
    /// # Errors
    ///
    /// The responder, to answer now.
    pub fn add(&self, id: JobId, waiter: WaiterId, responder: Responder) -> Result<(), Responder> {
        let mut by_job = self.lock();
        let waiting = by_job.entry(id).or_default();
        if waiting.len() >= MAX_WAITERS_PER_JOB {
            return Err(responder);
        }
        waiting.push((waiter, responder));
        Ok(())
    }

    /// Takes one long poll back, if nobody else has: whoever takes a responder answers it.
    pub fn take(&self, id: JobId, waiter: WaiterId) -> Option<Responder> {
        let mut by_job = self.lock();
        let waiting = by_job.get_mut(&id)?;
        let at = waiting.iter().position(|(named, _)| *named == waiter)?;
        let (_, responder) = waiting.swap_remove(at);
        if waiting.is_empty() {
            by_job.remove(&id);
        }
        Some(responder)
    }

    /// Takes every long poll of job `id`.
    pub fn take_all(&self, id: JobId) -> Vec<Responder> {
        self.lock()
            .remove(&id)
            .map(|waiting| {
                waiting
                    .into_iter()
                    .map(|(_, responder)| responder)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The jobs that have long polls here.
    pub fn jobs(&self) -> Vec<JobId> {
        self.lock().keys().copied().collect()
    }

    /// How many long polls wait.
    pub fn len(&self) -> usize {
        self.lock().values().map(Vec::len).sum()
    }

    /// Whether none waits.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<JobId, Vec<(WaiterId, Responder)>>> {
        // Every change is one insert or removal: a poisoned map is still a consistent one.
        self.by_job.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
