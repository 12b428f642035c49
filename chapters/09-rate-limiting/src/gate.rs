//! Expensive jobs under a semaphore: a `primes` or `wordfreq` job runs only with a permit.
//!
//! The two ways to wait the semaphore offers, each where it belongs:
//!
//! - **At the door, a look.** When a client submits the job, [`Work::admit`] looks for a free
//!   permit, on the loop thread. None free: the client hears 503 `busy` with `Retry-After` at
//!   once, rather than queueing behind work that will take seconds.
//! - **At the start, a wait.** A worker that starts the job waits for a permit in
//!   [`Semaphore::acquire`], no longer than the job's context allows — its timeout, a
//!   `DELETE`, a shutdown — and holds it until the job ends, however it ends. A sub-job of a
//!   `batch`, which never came through the door, waits the same way.
//!
//! Why the door only looks: a permit taken at the door and held while the job waits in the
//! queue can deadlock the server. A batch running on the only job worker waits for a permit
//! for its sub-job; the permit is held by a job queued behind the batch, which needs that
//! worker to run. Here, permits are held only by work that runs — and running work ends.

use crate::semaphore::Semaphore;
use ch03_context::Context;
use ch05_job_status::{Busy, JobError, Kinds, Work};
use serde_json::Value;
use std::fmt;
use std::sync::Arc;

/// The kinds that take a permit: each fans out over every core.
pub const EXPENSIVE_KINDS: [&str; 2] = ["primes", "wordfreq"];

// ANCHOR: gated
/// A job that runs only with a permit of `permits`.
pub struct Gated {
    work: Box<dyn Work>,
    permits: Arc<Semaphore>,
}

impl Work for Gated {
    fn kind(&self) -> &'static str {
        self.work.kind()
    }

    fn admit(&self) -> Result<(), Busy> {
        if self.permits.available() > 0 {
            return Ok(());
        }
        Err(Busy {
            message: format!(
                "all {} permits for expensive jobs (primes, wordfreq) are in use; try again",
                self.permits.permits()
            ),
            retry_after_s: 1,
        })
    }

    fn run(&self, ctx: &Context) -> Result<Value, JobError> {
        let _permit = self.permits.acquire(ctx)?;
        self.work.run(ctx)
    } // the permit is given back here, however the work ended — a panic included
}
// ANCHOR_END: gated

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
            })
        });
    }
    kinds
}
// ANCHOR_END: gate_kinds
