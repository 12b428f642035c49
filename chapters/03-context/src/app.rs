//! The routes of chapter 3's server: every request that does work gets a context, passed
//! first to the work, and cancelled when its client hangs up.

use crate::context::{Cancel, Context, Reason};
use crate::work;
use ch01_channels::{health, primes_limit};
use ch02_worker_pool::{PoolSize, Rejected, WorkerPool};
use http_loop::{
    Defer, Method, QueryError, Reply, Request, RequestId, Responder, Response, Router,
};
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The longest `/sleep` accepted.
pub const SLEEP_MAX: Duration = Duration::from_secs(60);

/// The work a request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Task {
    /// Count the primes below `limit`.
    Primes {
        /// The upper bound.
        limit: usize,
    },
    /// Wait this long, or until cancelled.
    Sleep {
        /// How long.
        duration: Duration,
    },
}

// ANCHOR: job
/// A job for the pool: the request's context comes first, as in every call that may block.
pub struct RequestJob {
    /// The request's context: cancelled if the client hangs up, or the server stops.
    pub ctx: Context,
    /// What to do.
    pub task: Task,
    /// Where the answer goes.
    pub responder: Responder,
}
// ANCHOR_END: job

/// How a job went, for the pool's logs and for tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ran {
    /// The task ran to its end and the answer was sent.
    Finished,
    /// The context had ended before the task started: it never ran.
    NotStarted(Reason),
    /// The context ended while the task ran: it stopped part-way.
    Stopped(Reason),
}

// ANCHOR: run_job
/// Runs one job on a worker, observing its context, and answers.
pub fn run_job(job: RequestJob) -> Ran {
    let (ran, response) = run_task(&job.ctx, job.task);
    job.responder.send(response);
    ran
}

/// Does `task` under `ctx`, and says how it went and what to answer.
pub fn run_task(ctx: &Context, task: Task) -> (Ran, Response) {
    let id = ctx
        .value::<RequestId>("request_id")
        .map_or_else(|| "req-?".to_owned(), ToString::to_string);
    // Between operations: a job that waited in the queue while its client left, or past its
    // deadline, is not started at all.
    if let Some(reason) = ctx.err() {
        log::debug!("{id}: {task:?} not started: {reason}");
        return (Ran::NotStarted(reason), stopped(reason));
    }
    let outcome = match task {
        Task::Primes { limit } => work::count_primes(ctx, limit).map(|primes| {
            Response::json(
                200,
                &serde_json::json!({ "limit": limit, "primes": primes }),
            )
        }),
        Task::Sleep { duration } => work::sleep(ctx, duration).map(|()| {
            let slept_ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
            Response::json(200, &serde_json::json!({ "slept_ms": slept_ms }))
        }),
    };
    match outcome {
        Ok(response) => (Ran::Finished, response),
        Err(reason) => {
            log::debug!("{id}: {task:?} stopped: {reason}");
            (Ran::Stopped(reason), stopped(reason))
        }
    }
}
// ANCHOR_END: run_job

// ANCHOR: stopped
/// The answer for work its context stopped: 504 past a deadline; 503 if cancelled (the client
/// that hung up will never read it, but a server shutting down answers the others with it).
pub fn stopped(reason: Reason) -> Response {
    match reason {
        Reason::DeadlineExceeded => Response::error(
            504,
            "deadline_exceeded",
            "the request did not finish before its deadline",
        ),
        Reason::Cancelled => Response::error(503, "cancelled", "the request was cancelled"),
    }
}
// ANCHOR_END: stopped

/// The pool chapter 3's server runs its jobs on.
pub type RequestPool = WorkerPool<RequestJob>;

/// Starts a pool that runs [`RequestJob`]s with [`run_job`].
///
/// # Errors
///
/// When the OS refuses a worker thread.
pub fn request_pool(size: PoolSize) -> io::Result<RequestPool> {
    WorkerPool::new("worker", size.workers, size.queue, |job| {
        run_job(job);
    })
}

// ANCHOR: jobs
/// What the routes share: the pool, and the server's context, parent of every request's.
pub struct RequestJobs {
    /// Cancels every request's context when the server (its router) is dropped. Declared
    /// first, so it is dropped first: in-flight work stops *before* the pool waits for it.
    _stop_all: Cancel,
    server_ctx: Context,
    pool: RequestPool,
}
// ANCHOR_END: jobs

/// When a request must be finished by, or the 400 that says what is wrong with what it asked
/// for. Chapter 3 sets no deadline; chapter 4 passes its own policy.
pub type DeadlinePolicy = fn(&Request) -> Result<Option<Instant>, Response>;

/// The server of chapter 3: `/health`, and `/primes` and `/sleep` run on the pool under a
/// per-request context.
pub fn router(pool: RequestPool) -> Router {
    routes(Arc::new(RequestJobs::new(pool)), |_| Ok(None))
}

/// The routes of chapter 3, with request deadlines set by `deadline_of`.
pub fn routes(jobs: Arc<RequestJobs>, deadline_of: DeadlinePolicy) -> Router {
    let primes_jobs = Arc::clone(&jobs);
    Router::new()
        .route(Method::Get, "/health", health)
        .route(Method::Get, "/primes", move |request, defer| {
            let parsed = primes_limit(&request).and_then(|limit| {
                deadline_of(&request).map(|deadline| (Task::Primes { limit }, deadline))
            });
            match parsed {
                Ok((task, deadline)) => primes_jobs.submit(&request, defer, task, deadline),
                Err(refusal) => Reply::Now(refusal),
            }
        })
        .route(Method::Get, "/sleep", move |request, defer| {
            let parsed = sleep_duration(&request).and_then(|duration| {
                deadline_of(&request).map(|deadline| (Task::Sleep { duration }, deadline))
            });
            match parsed {
                Ok((task, deadline)) => jobs.submit(&request, defer, task, deadline),
                Err(refusal) => Reply::Now(refusal),
            }
        })
}

impl RequestJobs {
    /// Runs requests' jobs on `pool`, under a server context that ends when this is dropped.
    pub fn new(pool: RequestPool) -> RequestJobs {
        let (server_ctx, stop_all) = Context::background().with_cancel();
        RequestJobs {
            _stop_all: stop_all,
            server_ctx,
            pool,
        }
    }

    // ANCHOR: submit
    // ANCHOR: submit_context
    /// Gives the request a context — a child of the server's, carrying the request id, ending
    /// at `deadline` if there is one — that its client's hang-up cancels, and queues the job.
    pub fn submit(
        &self,
        request: &Request,
        defer: Defer<'_>,
        task: Task,
        deadline: Option<Instant>,
    ) -> Reply {
        let scoped = self.server_ctx.with_value("request_id", request.id());
        let (ctx, cancel, defer) = match deadline {
            // The event loop watches the deadline too: at that instant it answers 504 itself,
            // whatever the job is doing, and cancels the context (chapter 4).
            Some(at) => {
                let (ctx, cancel) = scoped.with_deadline(at);
                (ctx, cancel, defer.deadline(at))
            }
            None => {
                let (ctx, cancel) = scoped.with_cancel();
                (ctx, cancel, defer)
            }
        };
        // ANCHOR_END: submit_context
        // ANCHOR: submit_queue
        // The connection keeps `cancel` until the request is answered, and calls it if the
        // client goes away first; once answered, it drops it, which also cancels (harmlessly)
        // and takes the context off the server context's list of children.
        let (responder, reply) = defer.on_abandon(move |_| cancel.cancel()).later();
        if let Err(rejected) = self.pool.try_submit(RequestJob {
            ctx,
            task,
            responder,
        }) {
            let full = matches!(rejected, Rejected::QueueFull(_));
            let job = rejected.into_job();
            job.responder.send(if full {
                Response::error(503, "queue_full", "every worker is busy; try again")
                    .with_header("Retry-After", "1")
            } else {
                stopped(Reason::Cancelled)
            });
        }
        reply
    }
    // ANCHOR_END: submit_queue
    // ANCHOR_END: submit
}

/// The `ms` of a `/sleep?ms=N` request, or the 400 that says what is wrong with it.
fn sleep_duration(request: &Request) -> Result<Duration, Response> {
    let max_ms = SLEEP_MAX.as_millis();
    let refuse = |message: &str| Response::error(400, "invalid_ms", message);
    let raw = request
        .query_param("ms")
        .map_err(QueryError::into_response)?
        .ok_or_else(|| refuse("the query parameter `ms` is required, e.g. /sleep?ms=500"))?;
    match raw.parse::<u64>() {
        Ok(ms) if u128::from(ms) <= max_ms => Ok(Duration::from_millis(ms)),
        _ => Err(refuse(&format!(
            "`ms` must be a whole number from 0 to {max_ms}, not {raw:?}"
        ))),
    }
}
