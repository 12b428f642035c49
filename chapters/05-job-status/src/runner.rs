//! Running a job on a worker: `pending → running → completed | failed | cancelled`, with the
//! job's context passed first to the work, as in chapter 3.

use crate::job::{JobError, JobId, JobSpec, error_chain};
use crate::store::{JobStore, Outcome};
use ch02_worker_pool::{PoolSize, WorkerPool};
use ch03_context::{Context, Reason};
use serde_json::Value;
use std::any::Any;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

/// A job handed to a worker.
pub struct JobRun {
    /// Which job.
    pub id: JobId,
    /// Its context: ends at its timeout, on `DELETE`, or when the server stops.
    pub ctx: Context,
    /// What to do.
    pub spec: JobSpec,
}

/// The pool the job server runs jobs on.
pub type JobPool = WorkerPool<JobRun>;

// ANCHOR: job_pool_size
/// Jobs that may wait for a job worker by default. More than chapter 2's 64 clients: a
/// waiting job holds no connection, only its record, and one turn of the loop stages a job
/// from every connection at once — 64 connections, 64 jobs — so a queue of 64 would refuse
/// a burst that the workers clear a moment later.
pub const JOB_QUEUE: usize = 1024;

/// The job pool's size by default: one worker per core (as chapter 2's pool), and
/// [`JOB_QUEUE`] jobs waiting.
pub fn job_pool_size() -> PoolSize {
    PoolSize {
        queue: JOB_QUEUE,
        ..PoolSize::default()
    }
}
// ANCHOR_END: job_pool_size

/// Starts `size.workers` threads named `job-worker-N` that run jobs and record their status in
/// `store`.
///
/// # Errors
///
/// When the OS refuses a worker thread.
pub fn job_pool(size: PoolSize, store: Arc<JobStore>) -> io::Result<JobPool> {
    WorkerPool::new("job-worker", size.workers, size.queue, move |job| {
        run(&store, job);
    })
}

// ANCHOR: run
// ANCHOR: run_kinds
/// Runs one job and records how it ended.
pub fn run(store: &JobStore, job: JobRun) {
    run_with(store, job, |ctx, spec| spec.work.run(ctx));
}
// ANCHOR_END: run_kinds

// ANCHOR: run_with
/// Runs one job with `work` and records how it ended — also when `work` panics: the job is
/// then `failed`, saying so, instead of `running` for ever (the pool's own `catch_unwind`
/// would keep the worker alive, but knows nothing of the store).
pub fn run_with(
    store: &JobStore,
    job: JobRun,
    work: impl FnOnce(&Context, &JobSpec) -> Result<Value, JobError>,
) {
    let JobRun { id, ctx, spec } = job;
    // A job cancelled while it waited in the queue is not started: the store refuses the move.
    if store.start(id).is_err() {
        return;
    }
    let outcome = outcome_of(id, &ctx, &spec, work);
    // A job cancelled while it ran is `cancelled` already; the store refuses this late move,
    // and that is the right answer: the client's `DELETE` came first.
    if let Err(refused) = store.finish(id, outcome) {
        log::debug!("job {id}: {refused:?}");
    }
}

/// Runs `work` under `ctx` and says how it ended, a panic included. Whoever records the
/// outcome — this store, or another (the Redis-backed server) — reads it the same way.
pub fn outcome_of(
    id: JobId,
    ctx: &Context,
    spec: &JobSpec,
    work: impl FnOnce(&Context, &JobSpec) -> Result<Value, JobError>,
) -> Outcome {
    match catch_unwind(AssertUnwindSafe(|| work(ctx, spec))) {
        Ok(Ok(result)) => Outcome::Completed(result),
        Ok(Err(JobError::Stopped(Reason::DeadlineExceeded))) => {
            let ms = spec.timeout.map_or(0, |timeout| timeout.as_millis());
            Outcome::Failed(format!("timed out after {ms} ms"))
        }
        Ok(Err(JobError::Stopped(Reason::Cancelled))) => Outcome::Cancelled,
        Ok(Err(JobError::Failed(error))) => Outcome::Failed(error_chain(&*error)),
        Err(panic) => {
            let message = panic_message(&*panic);
            log::error!("job {id}: panicked: {message}");
            Outcome::Failed(format!("the job panicked: {message}"))
        }
    }
}
// ANCHOR_END: run_with
// ANCHOR_END: run

/// The text a panic carries: `panic!("…")` gives a `&str` or a `String`; anything else is
/// named only by its absence.
pub fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message")
}
