//! [`RedisJobs`]: one server's share of the jobs on a Redis — its connections, its worker,
//! listener and keeper threads, and what the routes and the drain ask of it.

use crate::backoff::Backoff;
use crate::config::RedisConfig;
use crate::connections::{Connections, is_lost};
use crate::health::{self, BackendStatus, Health, is_transient};
use crate::keys::{Keys, Scripts};
use crate::waiters::Waiters;
use crate::{api, keeper, listener, worker};
use ch02_worker_pool::WorkerPool;
use ch03_context::{Cancel, Context};
use ch05_job_status::{JobEvents, JobId, Kinds};
use http_loop::Response;
use http_loop::dates::UnixMillis;
use redis::{Connection, RedisError, RedisResult};
use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError};
use std::thread::JoinHandle;
use sync_shim::{Mutex, MutexGuard};

// ANCHOR: running
/// A job running on this server: its stream entry (refreshed by the keeper so that no other
/// server claims it) and the handle that cancels its context.
pub struct Running {
    /// The job's entry in the stream.
    pub entry: String,
    /// Cancels the job's work; taken by whoever cancels it first.
    pub cancel: Option<Cancel>,
}
// ANCHOR_END: running

/// The jobs running on this server, by id. A [`sync_shim`] lock, so that the loom models in
/// `tests/loom.rs` run the worker's and the listener's real code around it.
pub type RunningJobs = Mutex<HashMap<JobId, Running>>;

/// Locks `running`.
pub fn lock_running(running: &RunningJobs) -> MutexGuard<'_, HashMap<JobId, Running>> {
    // Each change is one insert, removal or `take`: consistent even after a panic.
    running.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What this server's threads share.
pub struct Shared {
    /// Where, and the durations.
    pub config: RedisConfig,
    /// The keys' names.
    pub keys: Keys,
    /// The status moves.
    pub scripts: Scripts,
    /// The kinds of job this server runs (and checks submissions against).
    pub kinds: Kinds,
    /// Connections for single round trips.
    pub connections: Connections,
    /// What the keeper last found.
    pub health: Health,
    /// The jobs running here, by id.
    pub running: RunningJobs,
    /// The long polls held here.
    pub waiters: Waiters,
    /// Hears of every job this server starts, and how it ends (chapter 10's tally).
    pub events: Arc<dyn JobEvents>,
    /// Workers running a job now.
    pub busy: AtomicUsize,
    /// When a worker next looks for the entries of dead servers, in ms since the Unix epoch.
    next_claim_ms: AtomicU64,
    /// Where the next look goes on in the pending entries (`0-0`: from the start).
    claim_cursor: Mutex<String>,
    /// Cleared by the drain: no more jobs are taken or accepted.
    taking: AtomicBool,
    /// Every job's context is a child of this one; cancelled when the server stops.
    pub server_ctx: Context,
}

impl Shared {
    /// Whether this server still takes jobs (false once it drains).
    pub fn taking_jobs(&self) -> bool {
        // Relaxed: a flag read on its own. A worker that reads it late finishes the round it
        // is in; an entry it read meanwhile is left pending, for another server (`work`).
        self.taking.load(Ordering::Relaxed)
    }

    /// The jobs running here.
    pub fn running(&self) -> MutexGuard<'_, HashMap<JobId, Running>> {
        lock_running(&self.running)
    }

    /// Runs `call` on a pooled connection; a failure that says Redis is gone is recorded.
    ///
    /// # Errors
    ///
    /// What `call` or the connection returned.
    pub fn call<T>(&self, call: impl FnOnce(&mut Connection) -> RedisResult<T>) -> RedisResult<T> {
        let result = self.connections.with(call);
        if let Err(error) = &result {
            self.health.failed(error);
        }
        result
    }

    // ANCHOR: call_until_answered
    /// Runs `call` until Redis answers it, waiting longer after each failure (up to a second),
    /// for a change that must not be dropped: a job's start or its outcome. `None` when the
    /// server stops first — the entry is then still pending in the group, and another server
    /// claims it.
    pub fn call_until_answered<T>(
        &self,
        what: &str,
        mut call: impl FnMut(&mut Connection) -> RedisResult<T>,
    ) -> Option<T> {
        let mut backoff = Backoff::default();
        loop {
            let pause = backoff.pause();
            match self.call(&mut call) {
                Ok(answer) => return Some(answer),
                Err(error) if is_lost(&error) || is_transient(&error) => {
                    log::warn!("{what}: Redis is away ({error}); retrying in {pause:?}");
                }
                Err(error) => {
                    log::error!("{what}: Redis refused: {error}; retrying in {pause:?}");
                }
            }
            if !backoff.wait(&self.server_ctx) {
                return None;
            }
        }
    }
    // ANCHOR_END: call_until_answered

    /// Whether this worker should look for the entries of dead servers now: true for one
    /// worker per quarter of `claim_idle`.
    pub fn claim_is_due(&self) -> bool {
        let now = self.now_ms();
        let every = u64::try_from(self.config.claim_idle.as_millis() / 4).unwrap_or(u64::MAX);
        // Relaxed: a timestamp, not a guard for other memory; the exchange only has to let
        // one worker through per period, and a late or early look is harmless.
        let due = self.next_claim_ms.load(Ordering::Relaxed);
        now >= due
            && self
                .next_claim_ms
                .compare_exchange(due, now + every, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }

    /// Where the next `XAUTOCLAIM` starts.
    pub fn claim_cursor(&self) -> String {
        self.claim_cursor
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Where the next `XAUTOCLAIM` starts: the cursor the last one returned.
    pub fn set_claim_cursor(&self, cursor: String) {
        *self
            .claim_cursor
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = cursor;
    }

    /// Whether a look for dead servers' entries is due, without taking the turn: a finishing
    /// worker then reads no next entry, so that its next round looks first.
    pub fn claim_pending(&self) -> bool {
        // Relaxed: as in `claim_is_due`.
        self.now_ms() >= self.next_claim_ms.load(Ordering::Relaxed)
    }

    /// Makes the next [`claim_is_due`](Self::claim_is_due) true: a claim found an entry, and
    /// more may wait.
    pub fn claim_again_now(&self) {
        // Relaxed: as in `claim_is_due`.
        self.next_claim_ms.store(0, Ordering::Relaxed);
    }

    /// Now, in milliseconds since the Unix epoch, as the scripts store times.
    pub fn now_ms(&self) -> u64 {
        UnixMillis::now().0
    }
}

/// One server's share of the jobs on a Redis.
pub struct RedisJobs {
    /// What the threads share.
    pub shared: Arc<Shared>,
    /// The HTTP side's round trips, made here, off the event loop.
    pub(crate) callers: WorkerPool<api::Call>,
    /// Ends every job's context (and the threads' waits) when dropped.
    stop_all: Option<Cancel>,
    threads: Vec<JoinHandle<()>>,
}

impl RedisJobs {
    /// Starts this server's share: its job workers, the listener and the keeper. Redis need
    /// not be up yet: until it is, `/ready` says why not and the job routes answer 503.
    ///
    /// # Errors
    ///
    /// A URL that does not parse, or the operating system refusing a thread.
    pub fn start(
        config: RedisConfig,
        kinds: Kinds,
        events: Arc<dyn JobEvents>,
    ) -> io::Result<RedisJobs> {
        let client = redis::Client::open(config.url.as_str()).map_err(|error| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("--store {}: {error}", config.url),
            )
        })?;
        let (server_ctx, stop_all) = Context::background().with_cancel();
        let shared = Arc::new(Shared {
            keys: Keys::new(&config.prefix),
            scripts: Scripts::default(),
            kinds,
            connections: Connections::new(client),
            health: Health::default(),
            running: Mutex::new(HashMap::new()),
            waiters: Waiters::default(),
            events,
            busy: AtomicUsize::new(0),
            next_claim_ms: AtomicU64::new(0),
            claim_cursor: Mutex::new("0-0".to_owned()),
            taking: AtomicBool::new(true),
            server_ctx,
            config,
        });
        let caller_shared = Arc::clone(&shared);
        let callers = WorkerPool::new(
            "redis-call",
            shared.config.callers,
            shared.config.call_queue,
            move |call: api::Call| call.answer(&caller_shared),
        )?;
        let mut jobs = RedisJobs {
            shared,
            callers,
            stop_all: Some(stop_all),
            threads: Vec::new(),
        };
        for i in 0..jobs.shared.config.workers {
            jobs.spawn(format!("job-worker-{i}"), worker::work)?;
        }
        jobs.spawn("redis-listener".to_owned(), listener::listen)?;
        jobs.spawn("redis-keeper".to_owned(), keeper::keep)?;
        Ok(jobs)
    }

    fn spawn(&mut self, name: String, run: fn(&Shared)) -> io::Result<()> {
        let shared = Arc::clone(&self.shared);
        let thread = std::thread::Builder::new()
            .name(name)
            .spawn(move || run(&shared))?;
        self.threads.push(thread);
        Ok(())
    }

    /// Redis's state as last measured.
    pub fn status(&self) -> BackendStatus {
        self.shared.health.status()
    }

    /// The Redis this server shares, as `--store` named it.
    pub fn url(&self) -> &str {
        &self.shared.config.url
    }

    /// `/ready`'s 503 while Redis is away, with the reason the last failure gave.
    pub fn unavailable(&self) -> Option<Response> {
        let status = self.status();
        (!status.connected).then(|| {
            let why = status.problem.as_deref().unwrap_or("not connected yet");
            health::unavailable(self.url(), &why)
        })
    }

    /// Jobs running on this server.
    pub fn busy(&self) -> usize {
        // Relaxed: a gauge.
        self.shared.busy.load(Ordering::Relaxed)
    }

    /// This server's job workers.
    pub fn workers(&self) -> usize {
        self.shared.config.workers
    }

    /// Long polls waiting here.
    pub fn long_polls(&self) -> usize {
        self.shared.waiters.len()
    }

    // ANCHOR: drain_side
    /// The drain's first step: take no more jobs from the stream, accept no more
    /// submissions. Queued jobs stay in the stream, for the other servers.
    pub fn stop_taking_jobs(&self) {
        // Relaxed: see `taking_jobs`. The callers stay open: status reads and long polls
        // are answered to the end of the drain.
        self.shared.taking.store(false, Ordering::Relaxed);
    }

    /// The drain's deadline: every job still running here is marked `cancelled`, saying
    /// `why`, and its work is stopped. Returns how many.
    pub fn cancel_running(&self, why: &str) -> usize {
        let ids: Vec<JobId> = self.shared.running().keys().copied().collect();
        let why = serde_json::to_string(why).unwrap_or_default();
        let mut cancelled = 0;
        for id in ids {
            let marked = self
                .shared
                .call(|connection| api::cancel(&self.shared, connection, id, &why));
            if matches!(marked.as_deref(), Ok("ok")) {
                cancelled += 1;
            }
            // Stop the work at once, whether or not the listener hears of it.
            let cancel = self
                .shared
                .running()
                .get_mut(&id)
                .and_then(|job| job.cancel.take());
            if let Some(cancel) = cancel {
                cancel.cancel();
            }
        }
        cancelled
    }
    // ANCHOR_END: drain_side
}

impl Drop for RedisJobs {
    fn drop(&mut self) {
        // Relaxed: see `taking_jobs`; the threads are joined below, which orders the rest.
        self.shared.taking.store(false, Ordering::Relaxed);
        if let Some(stop_all) = self.stop_all.take() {
            stop_all.cancel();
        }
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// Whether `error` is Redis saying the stream or its group does not exist (yet, or after a
/// Redis that lost its data).
pub fn is_missing_group(error: &RedisError) -> bool {
    error.code() == Some("NOGROUP")
}
