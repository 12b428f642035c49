//! A fixed pool of workers reading jobs from a bounded queue — the Go guide's §1.
//!
//! ```text
//!   event loop ──try_submit──▶ [ queue: capacity N ] ──pop──▶ worker-0 ┐
//!        │ full? 503                                  ──pop──▶ worker-1 ├─ run(job)
//!                                                     ──pop──▶ worker-2 ┘
//! ```
//!
//! The Go guide's checklist, and where each item is here: the `Job` struct is the pool's type
//! parameter `J` (chapter 2's server uses `PrimesJob`); the buffered channel is the
//! [`BoundedQueue`]; the fixed number of workers are started in [`WorkerPool::new`]; each reads
//! from the queue in a loop ([`worker_loop`]); graceful shutdown is [`WorkerPool::shutdown`].
//!
//! What a thread per request (chapter 1) does not give: a bound. However many requests arrive,
//! the pool runs `workers` of them at once and holds at most `capacity` more; beyond that,
//! [`try_submit`](WorkerPool::try_submit) refuses at once, and the server answers 503 with
//! `Retry-After`. Nothing blocks the event loop and no thread is ever created after start-up.
//!
//! **A turn's jobs at once.** `try_submit` takes the queue's lock and may wake a worker for
//! every job. Chapter 5's server submits tens of jobs per turn of its loop, so it
//! [`stage`](WorkerPool::stage)s them instead — accepted or refused at once, as before — and
//! [`hand_over`](WorkerPool::hand_over)s them together when the turn ends: one lock of the
//! queue, at most one wake-up. [`close`](WorkerPool::close) takes the staging's lock too, so a
//! job staged before a close is queued by it, and none is staged after.
//!
//! **Shutdown runs the queued jobs.** `shutdown` closes the queue; workers keep taking jobs
//! until it is empty, then exit, and `shutdown` joins them. A job accepted is a job run: each
//! one holds a client's responder, and dropping it would turn an accepted request into a 500.
//! (Chapter 10 adds a drain deadline for jobs that would take too long.)

use crate::bounded_queue::{BoundedQueue, PushError};
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
// From the shim, not `std`: under `--cfg loom` the pool's threads, its busy count and its
// shutdown run under the model checker too (`tests/loom.rs`).
use sync_shim::atomic::{AtomicUsize, Ordering};
use sync_shim::thread::{self, JoinHandle};
use sync_shim::{Arc, Mutex, MutexGuard};

/// Why a job was not accepted. The job comes back, so the caller can still answer its client.
#[derive(Debug, PartialEq, Eq)]
pub enum Rejected<J> {
    /// Every worker is busy and the queue is full: try again later (503, `Retry-After`).
    QueueFull(J),
    /// The pool is shutting down.
    ShuttingDown(J),
}

impl<J> Rejected<J> {
    /// The job that was not accepted.
    pub fn into_job(self) -> J {
        match self {
            Rejected::QueueFull(job) | Rejected::ShuttingDown(job) => job,
        }
    }
}

/// What the pool's threads share.
struct Shared<J> {
    queue: BoundedQueue<J>,
    /// Workers running a job right now.
    busy: AtomicUsize,
    /// Jobs accepted by [`stage`](WorkerPool::stage) and not yet queued.
    staging: Mutex<Staging<J>>,
}

// ANCHOR: staging
/// The jobs the event loop accepted during its current turn, and whether the pool has closed.
/// One lock guards both, so a job is either staged before the close — and queued by it — or
/// refused: never staged behind a queue that has closed, where no worker would take it.
struct Staging<J> {
    jobs: Vec<J>,
    closed: bool,
}
// ANCHOR_END: staging

/// A fixed number of named worker threads running jobs of type `J` from a bounded queue.
pub struct WorkerPool<J> {
    shared: Arc<Shared<J>>,
    workers: Vec<JoinHandle<()>>,
}

impl<J: Send + 'static> WorkerPool<J> {
    // ANCHOR: new
    /// Starts `workers` threads named `{name}-0`, `{name}-1`, …, each running `run` on the jobs
    /// it takes from a queue of `capacity` jobs.
    ///
    /// # Errors
    ///
    /// When the OS refuses a thread; the workers already started are stopped and joined.
    pub fn new(
        name: &str,
        workers: usize,
        capacity: usize,
        run: impl Fn(J) + Send + Sync + 'static,
    ) -> io::Result<WorkerPool<J>> {
        let shared = Arc::new(Shared {
            queue: BoundedQueue::new(capacity),
            busy: AtomicUsize::new(0),
            staging: Mutex::new(Staging {
                jobs: Vec::new(),
                closed: false,
            }),
        });
        let run = Arc::new(run);
        let mut pool = WorkerPool {
            shared,
            workers: Vec::with_capacity(workers),
        };
        for i in 0..workers {
            let shared = Arc::clone(&pool.shared);
            let run = Arc::clone(&run);
            let worker = thread::Builder::new()
                .name(format!("{name}-{i}"))
                .spawn(move || worker_loop(&shared, &*run))?; // `?` drops `pool`: see Drop
            pool.workers.push(worker);
        }
        Ok(pool)
    }
    // ANCHOR_END: new
}

impl<J> WorkerPool<J> {
    // ANCHOR: try_submit
    /// Queues `job` for a worker, or refuses it at once; never waits.
    ///
    /// # Errors
    ///
    /// [`Rejected`], with the job.
    pub fn try_submit(&self, job: J) -> Result<(), Rejected<J>> {
        self.shared
            .queue
            .try_push(job)
            .map_err(|error| match error {
                PushError::Full(job) => Rejected::QueueFull(job),
                PushError::Closed(job) => Rejected::ShuttingDown(job),
            })
    }
    // ANCHOR_END: try_submit

    // ANCHOR: stage
    /// Accepts `job` now, and queues it at the next [`hand_over`](Self::hand_over): the event
    /// loop stages the jobs of one turn and hands them over together at its end, with one lock
    /// of the queue and at most one wake-up, instead of one of each per job. The answer is
    /// given now, so the room is counted now: the jobs staged, plus those queued.
    ///
    /// The bound holds exactly while every job enters through `stage` (the staging lock
    /// orders each hand-over's count before every later read of it), so the count read here
    /// is never lower than the truth. A `try_submit` beside it could overshoot the bound by
    /// what it pushed in between.
    ///
    /// # Errors
    ///
    /// [`Rejected`], with the job.
    pub fn stage(&self, job: J) -> Result<(), Rejected<J>> {
        let mut staging = self.staging();
        if staging.closed {
            return Err(Rejected::ShuttingDown(job));
        }
        if staging.jobs.len() + self.shared.queue.len() >= self.shared.queue.capacity() {
            return Err(Rejected::QueueFull(job));
        }
        staging.jobs.push(job);
        Ok(())
    }

    /// Queues every staged job, with one lock of the queue and at most one worker woken.
    ///
    /// # Errors
    ///
    /// The staged jobs, if the queue is closed. It cannot be, while only `close` closes it
    /// (`close` empties the staging first, under the same lock; its broken twin shows what
    /// happens otherwise) — but an accepted job is never dropped unseen: the caller gets it
    /// back, to record why it will not run.
    pub fn hand_over(&self) -> Result<(), Vec<J>> {
        let mut staging = self.staging();
        if staging.jobs.is_empty() {
            return Ok(());
        }
        // Lock order: the staging, then the queue — as in `close`; workers take only the queue.
        match self.shared.queue.push_batch(&mut staging.jobs) {
            Ok(()) => Ok(()),
            Err(_) => Err(std::mem::take(&mut staging.jobs)),
        }
    }
    // ANCHOR_END: stage

    fn staging(&self) -> MutexGuard<'_, Staging<J>> {
        // Nothing panics while holding this lock, so a poisoned lock holds consistent jobs.
        self.shared
            .staging
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Jobs waiting for a worker.
    pub fn queued(&self) -> usize {
        self.shared.queue.len()
    }

    /// Workers running a job right now.
    pub fn busy(&self) -> usize {
        self.shared.busy.load(Ordering::Relaxed)
    }

    /// The number of workers.
    pub fn workers(&self) -> usize {
        self.workers.len()
    }

    /// The most jobs that can wait.
    pub fn capacity(&self) -> usize {
        self.shared.queue.capacity()
    }

    // ANCHOR: shutdown
    /// Refuses new jobs from now on; the workers run what is queued, then exit. Does not wait:
    /// a server closes its pool while requests are still being answered, and joins it later.
    pub fn close(&self) {
        let mut staging = self.staging();
        staging.closed = true;
        // Jobs staged before the close have been answered "accepted": they go in first.
        // (`Err` only on a second close, which has nothing staged.)
        let _ = self.shared.queue.push_batch(&mut staging.jobs);
        self.shared.queue.close();
    }

    /// Refuses new jobs, lets the workers run every queued job, and waits for them to exit.
    pub fn shutdown(mut self) {
        self.close_and_join();
    }

    fn close_and_join(&mut self) {
        self.close();
        for worker in self.workers.drain(..) {
            // A worker survives its jobs' panics (see `worker_loop`); an `Err` here would be a
            // bug in the loop itself, already reported by the panic hook.
            let _ = worker.join();
        }
    }
    // ANCHOR_END: shutdown

    /// The broken twin of [`shutdown`](Self::shutdown): closes the queue but does not join the
    /// workers, so it returns while accepted jobs may still be queued or running.
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn shutdown_without_join_broken(mut self) {
        self.close();
        self.workers.clear(); // dropping a JoinHandle detaches its thread
    }

    /// The broken twin of [`close`](Self::close): closes the queue as chapter 2 first did,
    /// and only then stops the staging. A job staged in between was accepted, but finds the
    /// queue closed at its hand-over, and never runs.
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn close_queue_first_broken(&self) {
        self.shared.queue.close();
        let mut staging = self.staging();
        staging.closed = true;
        let _ = self.shared.queue.push_batch(&mut staging.jobs);
    }
}

// ANCHOR: drop
impl<J> Drop for WorkerPool<J> {
    /// A pool dropped without `shutdown` shuts down the same way: no worker is left running.
    fn drop(&mut self) {
        self.close_and_join();
    }
}
// ANCHOR_END: drop

// ANCHOR: worker_loop
/// One worker: take a job, run it, repeat until the queue is closed and empty.
fn worker_loop<J>(shared: &Shared<J>, run: &(impl Fn(J) + ?Sized)) {
    while let Some(job) = shared.queue.pop() {
        shared.busy.fetch_add(1, Ordering::Relaxed);
        // A panicking job fails alone: its responder, dropped while unwinding, answers 500,
        // and the worker goes on to the next job instead of dying with it.
        if catch_unwind(AssertUnwindSafe(|| run(job))).is_err() {
            let name = thread::current().name().unwrap_or("worker").to_owned();
            log::error!("{name}: a job panicked; the worker carries on");
        }
        shared.busy.fetch_sub(1, Ordering::Relaxed);
    }
}
// ANCHOR_END: worker_loop
