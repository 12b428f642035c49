//! Expensive jobs under a semaphore: a `primes` or `wordfreq` job runs only with a permit.
//!
//! The permit is taken in one of two ways, the two the semaphore offers:
//!
//! - **At the door.** When a client submits the job, [`Work::admit`] tries for a permit on
//!   the loop thread. None free: the client hears 503 `busy` with `Retry-After` at once,
//!   rather than waiting in a queue behind work that will take seconds. The permit travels
//!   with the job and is given back when the job ends — or, if it never runs, when it is
//!   dropped.
//! - **Inside accepted work.** A sub-job of a `batch` was never at the door: the batch was
//!   accepted as a whole. It waits for its permit, but only as long as the batch's context
//!   allows — its timeout, a `DELETE`, a shutdown.

use crate::semaphore::{Permit, Semaphore};
use ch03_context::Context;
use ch05_job_status::{Busy, JobError, Kinds, Work};
use serde_json::Value;
use std::fmt;
use std::sync::{Arc, Mutex};

/// The kinds that take a permit: each fans out over every core.
pub const EXPENSIVE_KINDS: [&str; 2] = ["primes", "wordfreq"];

// ANCHOR: gated
/// A job that runs only with a permit of `permits`.
pub struct Gated {
    work: Box<dyn Work>,
    permits: Arc<Semaphore>,
    /// The permit taken at the door, if the job came through it.
    admitted: Mutex<Option<Permit>>,
}

impl Work for Gated {
    fn kind(&self) -> &'static str {
        self.work.kind()
    }

    fn admit(&self) -> Result<(), Busy> {
        let permit = self.permits.try_acquire().ok_or_else(|| Busy {
            message: format!(
                "all {} permits for expensive jobs (primes, wordfreq) are taken; try again",
                self.permits.permits()
            ),
            retry_after_s: 1,
        })?;
        *self.slot() = Some(permit);
        Ok(())
    }

    fn run(&self, ctx: &Context) -> Result<Value, JobError> {
        let admitted = self.slot().take();
        let _permit = match admitted {
            Some(permit) => permit,
            None => self.permits.acquire(ctx)?,
        };
        self.work.run(ctx)
    } // the permit is given back here, however the work ended — a panic included
}
// ANCHOR_END: gated

impl Gated {
    fn slot(&self) -> std::sync::MutexGuard<'_, Option<Permit>> {
        // Only ever held to move the permit in or out: a poisoned lock still holds a value.
        self.admitted
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl fmt::Debug for Gated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gated")
            .field("work", &self.work)
            .finish_non_exhaustive()
    }
}

// ANCHOR: gate_kinds
/// `kinds`, with every job of the [expensive kinds](EXPENSIVE_KINDS) under `permits`.
pub fn gate_expensive_kinds(mut kinds: Kinds, permits: &Arc<Semaphore>) -> Kinds {
    for name in EXPENSIVE_KINDS {
        let permits = Arc::clone(permits);
        kinds = kinds.wrapped(name, move |work| {
            Box::new(Gated {
                work,
                permits: Arc::clone(&permits),
                admitted: Mutex::new(None),
            })
        });
    }
    kinds
}
// ANCHOR_END: gate_kinds
