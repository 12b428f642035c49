//! The job API: `POST /jobs` answers 202 at once; the job runs on the job pool; the client
//! asks `GET /jobs/{id}` how it goes and `GET /jobs/{id}/result` for the result, and may
//! `DELETE` it.

use crate::error::ApiError;
use crate::job::{JobId, JobSpec, Kinds};
use crate::runner::{JobPool, JobRun, job_pool};
use crate::store::{JobStore, StoreConfig, TransitionError, WaiterId, job_not_found};
use ch02_worker_pool::{PoolSize, Rejected};
use ch03_context::{Cancel, Context, RequestPool};
use http_loop::response::excerpt;
use http_loop::{Defer, EndOfTurn, Method, QueryError, Reply, Request, Response, Router};
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The longest long poll: `?wait=` up to this.
pub const MAX_WAIT: Duration = Duration::from_secs(30);

/// What the job routes share.
pub struct Jobs {
    /// Cancels every job's context when the server (its router) is dropped; first, so it is
    /// dropped first and running jobs stop before the pool waits for them.
    _stop_all: Cancel,
    server_ctx: Context,
    kinds: Kinds,
    pool: JobPool,
    store: Arc<JobStore>,
}

impl Jobs {
    /// A store and a pool of job workers, for chapter 5's kinds of job.
    ///
    /// # Errors
    ///
    /// When the OS refuses a worker thread.
    pub fn new(store: StoreConfig, workers: PoolSize) -> io::Result<Jobs> {
        Jobs::with_kinds(Kinds::basic(), store, workers)
    }

    /// A store and a pool of job workers, for the kinds of job in `kinds`.
    ///
    /// # Errors
    ///
    /// When the OS refuses a worker thread.
    pub fn with_kinds(kinds: Kinds, store: StoreConfig, workers: PoolSize) -> io::Result<Jobs> {
        Jobs::with_store(kinds, JobStore::new(store), workers)
    }

    /// A pool of job workers for the kinds of job in `kinds`, keeping them in `store` (one
    /// made [`with_events`](JobStore::with_events), say).
    ///
    /// # Errors
    ///
    /// When the OS refuses a worker thread.
    pub fn with_store(kinds: Kinds, store: JobStore, workers: PoolSize) -> io::Result<Jobs> {
        let store = Arc::new(store);
        let pool = job_pool(workers, Arc::clone(&store))?;
        let (server_ctx, stop_all) = Context::background().with_cancel();
        Ok(Jobs {
            _stop_all: stop_all,
            server_ctx,
            kinds,
            pool,
            store,
        })
    }

    /// The store, for tests and metrics.
    pub fn store(&self) -> &Arc<JobStore> {
        &self.store
    }

    /// The pool of job workers, for metrics and for a drain (chapter 10).
    pub fn pool(&self) -> &JobPool {
        &self.pool
    }
}

// ANCHOR: end_of_turn
/// At the end of each turn of the loop in which jobs were submitted, they go to the workers,
/// all at once: one lock of the queue, at most one worker woken.
impl EndOfTurn for Jobs {
    fn end_of_turn(&self) {
        if let Err(refused) = self.pool.hand_over() {
            // Only a pool closed behind the staging's back refuses; say so in each job.
            log::error!("{} accepted jobs found the job queue closed", refused.len());
            for job in refused {
                let _ = self
                    .store
                    .cancel_because(job.id, "the job queue closed before it ran");
            }
        }
    }
}
// ANCHOR_END: end_of_turn

/// The server of chapter 5: chapter 4's routes, and the job API.
pub fn router(requests: RequestPool, jobs: Jobs) -> Router {
    add_routes(ch04_timeouts::router(requests), Arc::new(jobs))
}

// ANCHOR: routes
/// Adds the job API to `router`.
pub fn add_routes(router: Router, jobs: Arc<Jobs>) -> Router {
    let (submit, status, result, delete) = (
        Arc::clone(&jobs),
        Arc::clone(&jobs),
        Arc::clone(&jobs),
        Arc::clone(&jobs),
    );
    let hand_over: Arc<dyn EndOfTurn> = jobs;
    router
        .route(Method::Post, "/jobs", move |request, mut defer| {
            // The job is staged now and handed to the workers with the rest of the turn's.
            defer.at_end_of_turn(&hand_over);
            Reply::Now(submit_job(&submit, &request))
        })
        .route(Method::Get, "/jobs/{id}", move |request, _| {
            Reply::Now(with_job(&request, |id| status.store.view_response(id)))
        })
        .route(Method::Get, "/jobs/{id}/result", move |request, defer| {
            job_result(&result, &request, defer)
        })
        .route(Method::Delete, "/jobs/{id}", move |request, _| {
            Reply::Now(with_job(&request, |id| cancel_job(&delete, id)))
        })
}
// ANCHOR_END: routes

// ANCHOR: submit
/// `POST /jobs`: validate, store as pending, stage for the workers, answer 202 — all on the
/// loop thread, in microseconds; the work itself happens later, on the job pool.
fn submit_job(jobs: &Jobs, request: &Request) -> Response {
    accept_job(jobs, request).unwrap_or_else(ApiError::into_response)
}

fn accept_job(jobs: &Jobs, request: &Request) -> Result<Response, ApiError> {
    let spec = read_spec(&jobs.kinds, request)?;
    spec.work.admit().map_err(ApiError::Busy)?;
    let id = JobId::random().map_err(|_| ApiError::NoRandomness)?;
    let scoped = jobs.server_ctx.with_value("job_id", id);
    let (ctx, cancel) = match spec.timeout {
        Some(timeout) => scoped.with_timeout(timeout),
        None => scoped.with_cancel(),
    };
    let kind = spec.work.kind();
    jobs.store
        .insert(id, kind, cancel)
        .map_err(|_| ApiError::StoreFull)?;
    if let Err(rejected) = jobs.pool.stage(JobRun { id, ctx, spec }) {
        jobs.store.remove(id); // never ran: forget it rather than leave it pending forever
        return Err(match rejected {
            Rejected::QueueFull(_) => ApiError::QueueFull,
            Rejected::ShuttingDown(_) => ApiError::Draining,
        });
    }
    log::debug!("job {id}: {kind} accepted");
    Ok(
        Response::json(202, &serde_json::json!({ "id": id, "status": "pending" }))
            .with_header("Location", format!("/jobs/{id}")),
    )
}
// ANCHOR_END: submit

// ANCHOR: result
/// `GET /jobs/{id}/result[?wait=2s]`: the result now, or — with `wait` — when the job
/// finishes, but no later than the wait. A waiting client holds no thread: its responder
/// waits in the store beside the job's record, and the event loop's timer answers "not yet"
/// at the deadline.
fn job_result(jobs: &Arc<Jobs>, request: &Request, defer: Defer<'_>) -> Reply {
    let Some(id) = request.param("id").and_then(JobId::parse) else {
        return Reply::Now(job_not_found(request.param("id").unwrap_or_default()));
    };
    let wait = match wait_param(request) {
        Ok(wait) => wait,
        Err(refusal) => return Reply::Now(refusal),
    };
    let Some(now) = jobs.store.result(id) else {
        return Reply::Now(job_not_found(&id.to_string()));
    };
    if now.status() == 200 || wait.is_none() {
        return Reply::Now(now);
    }
    let deadline = Instant::now() + wait.unwrap_or_default();
    let waiter = WaiterId::next();
    let (answer_store, forget_store) = (Arc::clone(&jobs.store), Arc::clone(&jobs.store));
    let (responder, reply) = defer
        .deadline_answer(deadline, move || {
            answer_store
                .result(id)
                .unwrap_or_else(|| job_not_found(&id.to_string()))
        })
        // The wait ran out (answered above) or the client hung up: stop keeping its place.
        .on_abandon(move |_| forget_store.forget_waiter(id, waiter))
        .later();
    // The job may have finished since we looked: the store answers at once if so.
    jobs.store.await_result(id, waiter, responder);
    reply
}
// ANCHOR_END: result

// ANCHOR: cancel
/// `DELETE /jobs/{id}`: cancels a pending or running job.
fn cancel_job(jobs: &Jobs, id: JobId) -> Option<Response> {
    match jobs.store.cancel(id) {
        Ok(()) => jobs.store.view_response(id),
        Err(TransitionError::NotFound) => None,
        Err(TransitionError::Illegal { from, .. }) => {
            Some(ApiError::AlreadyFinished { id, status: from }.into_response())
        }
    }
}
// ANCHOR_END: cancel

/// Runs `answer` with the id of the path, or answers 404 when the id is not a job's.
fn with_job(request: &Request, answer: impl FnOnce(JobId) -> Option<Response>) -> Response {
    let raw = request.param("id").unwrap_or_default();
    JobId::parse(raw)
        .and_then(answer)
        .unwrap_or_else(|| job_not_found(raw))
}

/// The job a submission asks for, or the 400 or 415 that names what is wrong with it.
///
/// # Errors
///
/// [`ApiError::UnsupportedMediaType`], [`ApiError::InvalidJson`], [`ApiError::InvalidField`].
pub fn read_spec(kinds: &Kinds, request: &Request) -> Result<JobSpec, ApiError> {
    require_json(request)?;
    kinds.parse_spec(request.body()).map_err(|error| {
        // The body as a whole is not a JSON object: no field to name.
        if error.field == "body" {
            ApiError::InvalidJson(error)
        } else {
            ApiError::InvalidField(error)
        }
    })
}

/// A submission is JSON, and says so: `Content-Type: application/json` (parameters such as
/// `charset=utf-8` allowed). Anything else is a 415, as most JSON APIs answer — a form post
/// (`curl -d` without `-H`, or `--json`) is a mistake worth naming, not a body to guess at.
fn require_json(request: &Request) -> Result<(), ApiError> {
    let media_type = request
        .header("content-type")
        .and_then(|value| std::str::from_utf8(value).ok())
        .map(|value| value.split(';').next().unwrap_or_default().trim());
    match media_type {
        Some(media_type) if media_type.eq_ignore_ascii_case("application/json") => Ok(()),
        other => Err(ApiError::UnsupportedMediaType(
            other.map(|sent| excerpt(sent).into_owned()),
        )),
    }
}

/// `?wait=2s` or `?wait=500ms` (digits and a unit, nothing else), at most [`MAX_WAIT`].
///
/// # Errors
///
/// The 400 `invalid_wait` answer.
pub fn wait_param(request: &Request) -> Result<Option<Duration>, Response> {
    let Some(raw) = request
        .query_param("wait")
        .map_err(QueryError::into_response)?
    else {
        return Ok(None);
    };
    let digits = |text: &str| {
        // `u64::from_str` also takes a leading `+`: `wait=+1s` is not a duration we offer.
        (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse::<u64>().ok())
            .flatten()
    };
    let parsed = if let Some(ms) = raw.strip_suffix("ms") {
        digits(ms).map(Duration::from_millis)
    } else if let Some(s) = raw.strip_suffix('s') {
        digits(s).map(Duration::from_secs)
    } else {
        None
    };
    match parsed {
        Some(wait) if wait <= MAX_WAIT => Ok(Some(wait)),
        _ => Err(ApiError::InvalidWait(excerpt(&raw).into_owned()).into_response()),
    }
}
