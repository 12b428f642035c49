//! The job API on Redis: the same four routes, answers and errors as chapter 5's, plus
//! `Idempotency-Key` on `POST /jobs`. A route checks what it can on the event loop (the
//! body, the id, `?wait=`), then hands the round trip to a caller thread and answers from
//! there: a Redis round trip is tens of microseconds the loop would otherwise spend waiting.

use crate::health::store_error;
use crate::jobs::{RedisJobs, Shared};
use crate::waiters::Waiters;
use crate::worker::status_named;
use ch02_worker_pool::Rejected;
use ch05_job_status::{
    ApiError, JobId, Status, WaiterId, job_not_found, read_spec, result_of, wait_param,
};
use http_loop::dates::UnixMillis;
use http_loop::response::excerpt;
use http_loop::{Defer, Method, Reply, Request, Responder, Response, Router};
use redis::{Connection, RedisResult};
use serde::Serialize;
use serde_json::value::RawValue;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// The longest `Idempotency-Key` taken.
pub const MAX_KEY_LEN: usize = 255;

/// What a caller runs: the round trip, and whatever answers the responder it is given.
type Run = Box<dyn FnOnce(&Shared, Responder) + Send>;

/// A round trip to make off the loop, and the request it answers.
pub struct Call {
    responder: Responder,
    run: Run,
}

impl Call {
    /// Makes the round trip; the answer goes to the responder (now, or — for a long poll —
    /// when the job ends).
    pub fn answer(self, shared: &Shared) {
        (self.run)(shared, self.responder);
    }
}

// ANCHOR: callers
/// Hands `run` and the request's responder to a caller thread; when every caller is busy
/// and the queue is full, answers 503 at once.
fn to_caller(
    jobs: &RedisJobs,
    responder: Responder,
    run: impl FnOnce(&Shared, Responder) + Send + 'static,
) {
    let call = Call {
        responder,
        run: Box::new(run),
    };
    if let Err(refused) = jobs.callers.try_submit(call) {
        let (call, why) = match refused {
            Rejected::QueueFull(call) => (call, "every caller to Redis is busy"),
            Rejected::ShuttingDown(call) => (call, "the server is shutting down"),
        };
        let busy = Response::error(503, "store_busy", why).with_header("Retry-After", "1");
        call.responder.send(busy);
    }
}

/// Answers this request from a caller thread with what `answer` returns there.
fn on_caller(
    jobs: &RedisJobs,
    defer: Defer<'_>,
    answer: impl FnOnce(&Shared) -> Response + Send + 'static,
) -> Reply {
    let (responder, reply) = defer.later();
    to_caller(jobs, responder, move |shared, responder| {
        responder.send(answer(shared));
    });
    reply
}
// ANCHOR_END: callers

// ANCHOR: routes
/// Adds the job API, on Redis, to `router`.
pub fn add_routes(router: Router, jobs: Arc<RedisJobs>) -> Router {
    let (submit, status, result, delete) = (
        Arc::clone(&jobs),
        Arc::clone(&jobs),
        Arc::clone(&jobs),
        jobs,
    );
    router
        .route(Method::Post, "/jobs", move |request, defer| {
            submit_job(&submit, &request, defer)
        })
        .route(Method::Get, "/jobs/{id}", move |request, defer| {
            with_job(&status, &request, defer, read_view)
        })
        .route(Method::Get, "/jobs/{id}/result", move |request, defer| {
            job_result(&result, &request, defer)
        })
        .route(Method::Delete, "/jobs/{id}", move |request, defer| {
            with_job(&delete, &request, defer, cancel_job)
        })
}
// ANCHOR_END: routes

/// Runs `answer` on a caller with the id of the path, or answers 404 now when it is no id.
fn with_job(
    jobs: &RedisJobs,
    request: &Request,
    defer: Defer<'_>,
    answer: fn(&Shared, JobId) -> Response,
) -> Reply {
    let raw = request.param("id").unwrap_or_default();
    match JobId::parse(raw) {
        Some(id) => on_caller(jobs, defer, move |shared| answer(shared, id)),
        None => Reply::Now(job_not_found(raw)),
    }
}

// ANCHOR: submit
/// `POST /jobs`: the body and the key are checked on the loop; the submit script runs on a
/// caller, and the answer is chapter 5's 202 — or, for a retry with the same key, the same
/// 202 again, marked `Idempotent-Replayed: true`.
fn submit_job(jobs: &RedisJobs, request: &Request, defer: Defer<'_>) -> Reply {
    let checked = read_spec(&jobs.shared.kinds, request)
        .and_then(|spec| {
            let id = JobId::random().map_err(|_| ApiError::NoRandomness)?;
            Ok((spec.work.kind(), id))
        })
        .map_err(ApiError::into_response)
        .and_then(|(kind, id)| Ok((kind, id, idempotency_key(request)?)));
    let (kind, id, key) = match checked {
        Ok(checked) => checked,
        Err(refusal) => return Reply::Now(refusal),
    };
    if !jobs.shared.taking_jobs() {
        return Reply::Now(ApiError::Draining.into_response());
    }
    let body = String::from_utf8_lossy(request.body()).into_owned();
    on_caller(jobs, defer, move |shared| {
        match shared.call(|connection| submit(shared, connection, id, kind, &body, key.as_deref()))
        {
            Ok(submitted) => submitted.into_response(key.as_deref()),
            Err(error) => store_error(&shared.config.url, &error),
        }
    })
}
// ANCHOR_END: submit

/// What the submit script answered.
#[derive(Debug, PartialEq, Eq)]
pub enum Submitted {
    /// A new job.
    Accepted(JobId),
    /// The key's job, submitted before with the same body.
    Replayed(JobId),
    /// The key's job, submitted before with another body.
    Conflict(JobId),
    /// The queue is full.
    Full,
}

impl Submitted {
    fn into_response(self, key: Option<&str>) -> Response {
        let accepted = |id: JobId| {
            Response::json(202, &serde_json::json!({ "id": id, "status": "pending" }))
                .with_header("Location", format!("/jobs/{id}"))
        };
        match self {
            Submitted::Accepted(id) => accepted(id),
            Submitted::Replayed(id) => accepted(id).with_header("Idempotent-Replayed", "true"),
            Submitted::Conflict(id) => {
                let key = excerpt(key.unwrap_or_default()).into_owned();
                let message = format!(
                    "the Idempotency-Key \"{key}\" was used for job {id}, with another body; a retry sends the same body, a new job a new key"
                );
                Response::error(422, "idempotency_key_reused", &message)
            }
            Submitted::Full => ApiError::QueueFull.into_response(),
        }
    }
}

/// Runs the submit script.
///
/// # Errors
///
/// When Redis cannot be reached, or refuses.
pub fn submit(
    shared: &Shared,
    connection: &mut Connection,
    id: JobId,
    kind: &str,
    body: &str,
    key: Option<&str>,
) -> RedisResult<Submitted> {
    let keys = &shared.keys;
    let job = keys.job(id);
    let key_name = key.map_or_else(|| job.clone(), |key| keys.idempotency(key));
    let answer: (String, String) = shared
        .scripts
        .submit
        .key(&job)
        .key(&keys.stream)
        .key(&keys.queued)
        .key(key_name)
        .arg(id.to_string())
        .arg(kind)
        .arg(body)
        .arg(shared.now_ms())
        .arg(shared.config.max_queued)
        .arg(if key.is_some() { "1" } else { "0" })
        .arg(crate::config::KEY_KEPT_WHILE_UNFINISHED.as_secs())
        .invoke(connection)?;
    let named = || JobId::parse(&answer.1).unwrap_or(id);
    match answer.0.as_str() {
        "accepted" => Ok(Submitted::Accepted(id)),
        "replayed" => Ok(Submitted::Replayed(named())),
        "conflict" => Ok(Submitted::Conflict(named())),
        "full" => Ok(Submitted::Full),
        // Not a refusal of ours: a script and a caller out of step. Redis did answer, so a
        // 500 (`store_error`), not a 503 that would send the client back to retry.
        other => Err(redis::RedisError::from((
            redis::ErrorKind::ResponseError,
            "the submit script answered",
            other.to_owned(),
        ))),
    }
}

// ANCHOR: idempotency_key
/// The request's `Idempotency-Key`, if it sent one: 1 to 255 visible ASCII characters, as
/// most APIs that take one require, or a 400 that says so.
fn idempotency_key(request: &Request) -> Result<Option<String>, Response> {
    let Some(value) = request.header("idempotency-key") else {
        return Ok(None);
    };
    // Not UTF-8: replacement characters, which the check below refuses.
    let key = String::from_utf8_lossy(value);
    let visible = key.bytes().all(|byte| byte.is_ascii_graphic());
    if !key.is_empty() && key.len() <= MAX_KEY_LEN && visible {
        return Ok(Some(key.into_owned()));
    }
    let message = format!(
        "Idempotency-Key must be 1 to {MAX_KEY_LEN} visible ASCII characters, not \"{}\"",
        excerpt(&key)
    );
    Err(Response::error(400, "invalid_idempotency_key", &message))
}
// ANCHOR_END: idempotency_key

/// A job's hash, as `HMGET` reads the fields the answers need.
struct Record {
    kind: String,
    status: Status,
    created_at: u64,
    updated_at: u64,
    outcome: Option<Box<RawValue>>,
}

fn read_record(shared: &Shared, id: JobId) -> RedisResult<Option<Record>> {
    type Fields = (
        Option<String>,
        Option<String>,
        Option<u64>,
        Option<u64>,
        Option<String>,
    );
    let (kind, status, created_at, updated_at, outcome): Fields = shared.call(|connection| {
        redis::cmd("HMGET")
            .arg(shared.keys.job(id))
            .arg(&["kind", "status", "created_at", "updated_at", "outcome"][..])
            .query(connection)
    })?;
    let (Some(kind), Some(status)) = (kind, status.as_deref().and_then(status_named)) else {
        return Ok(None);
    };
    Ok(Some(Record {
        kind,
        status,
        created_at: created_at.unwrap_or(0),
        updated_at: updated_at.unwrap_or(0),
        outcome: outcome.and_then(|text| RawValue::from_string(text).ok()),
    }))
}

/// `GET /jobs/{id}`: the same view as chapter 5's.
fn read_view(shared: &Shared, id: JobId) -> Response {
    #[derive(Serialize)]
    struct View<'a> {
        id: JobId,
        kind: &'a str,
        status: Status,
        created_at: UnixMillis,
        updated_at: UnixMillis,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<&'a RawValue>,
    }
    match read_record(shared, id) {
        Ok(Some(record)) => Response::json(
            200,
            &View {
                id,
                kind: &record.kind,
                status: record.status,
                created_at: UnixMillis(record.created_at),
                updated_at: UnixMillis(record.updated_at),
                error: record.error(),
            },
        ),
        Ok(None) => job_not_found(&id.to_string()),
        Err(error) => store_error(&shared.config.url, &error),
    }
}

impl Record {
    /// A failed or cancelled job's error, as JSON text.
    fn error(&self) -> Option<&RawValue> {
        (self.status != Status::Completed)
            .then_some(self.outcome.as_deref())
            .flatten()
    }
}

/// `GET /jobs/{id}/result`, answered now: 200 with the result, 409 until then, 404.
pub fn read_result(shared: &Shared, id: JobId) -> Response {
    match read_record(shared, id) {
        Ok(Some(record)) => result_response(id, &record),
        Ok(None) => job_not_found(&id.to_string()),
        Err(error) => store_error(&shared.config.url, &error),
    }
}

fn result_response(id: JobId, record: &Record) -> Response {
    result_of(id, record.status, record.outcome.as_deref())
}

// ANCHOR: job_result
/// `GET /jobs/{id}/result[?wait=2s]`. With `wait`, the long poll is kept here until the
/// listener hears that the job ended — on whichever server — or the loop's timer answers
/// "not yet", with the status last read.
fn job_result(jobs: &RedisJobs, request: &Request, defer: Defer<'_>) -> Reply {
    let raw = request.param("id").unwrap_or_default();
    let Some(id) = JobId::parse(raw) else {
        return Reply::Now(job_not_found(raw));
    };
    let wait = match wait_param(request) {
        Ok(wait) => wait,
        Err(refusal) => return Reply::Now(refusal),
    };
    let Some(wait) = wait else {
        return on_caller(jobs, defer, move |shared| read_result(shared, id));
    };
    let waiter = WaiterId::next();
    // The status the caller last read, for the "not yet" at the deadline (read on the loop,
    // which may not wait for Redis).
    let seen = Arc::new(AtomicUsize::new(Status::Pending.index()));
    let (seen_at_deadline, forget) = (Arc::clone(&seen), Arc::clone(&jobs.shared));
    let defer = defer
        .deadline_answer(Instant::now() + wait, move || {
            // Relaxed: one number, written before the caller's last look ended.
            let status = Status::ALL[seen_at_deadline.load(Ordering::Relaxed)];
            ApiError::NotCompleted {
                id,
                status,
                error: None,
            }
            .into_response()
        })
        .on_abandon(move |_| {
            if let Some(responder) = forget.waiters.take(id, waiter) {
                responder.dismiss();
            }
        });
    let (responder, reply) = defer.later();
    to_caller(jobs, responder, move |shared, responder| {
        park(shared, id, waiter, &seen, responder);
    });
    reply
}
// ANCHOR_END: job_result

// ANCHOR: park
/// On a caller: keep the long poll, then look at the job's record ([`park_with`]). A job with
/// as many long polls here as it may gets its answer now, as if it had been asked without
/// `?wait=`.
pub fn park(
    shared: &Shared,
    id: JobId,
    waiter: WaiterId,
    seen: &AtomicUsize,
    responder: Responder,
) {
    let look = || match read_record(shared, id) {
        Ok(Some(record)) if !record.status.is_finished() => {
            // Relaxed: the deadline's answer reads this one number, and nothing else with it.
            seen.store(record.status.index(), Ordering::Relaxed);
            None
        }
        Ok(Some(record)) => Some(result_response(id, &record)),
        Ok(None) => Some(job_not_found(&id.to_string())),
        Err(error) => Some(store_error(&shared.config.url, &error)),
    };
    if let Err(responder) = park_with(&shared.waiters, id, waiter, responder, look) {
        responder.send(read_result(shared, id));
    }
}
// ANCHOR_END: park

// ANCHOR: park_with
/// The long poll's half of its protocol with the listener: keep the responder in `waiters`
/// FIRST, then `look` at the job — `Some(answer)` when it has ended (or is gone, or Redis
/// failed), `None` while it is still on. Whoever takes the responder back from `waiters`
/// answers it: this look, if the job has ended already; else the listener
/// ([`ended_with`](crate::listener::ended_with)), when it hears that it did. Redis announces
/// an end only after the status change, so an end the look missed is announced after the
/// keep, and its listener finds the long poll kept: each long poll is answered exactly once.
///
/// # Errors
///
/// The responder, neither kept nor looked for, when job `id` has as many long polls here as
/// it may: the caller answers it now.
pub fn park_with(
    waiters: &Waiters,
    id: JobId,
    waiter: WaiterId,
    responder: Responder,
    look: impl FnOnce() -> Option<Response>,
) -> Result<(), Responder> {
    waiters.add(id, waiter, responder)?;
    if let Some(now) = look() {
        // `None`: the listener heard of the end first, took the long poll, and answers it.
        if let Some(responder) = waiters.take(id, waiter) {
            responder.send(now);
        }
    }
    Ok(())
}
// ANCHOR_END: park_with

/// The broken twin of [`park_with`]: looks first, keeps second. An end announced between the
/// look and the keep finds no long poll to answer, and the poll hangs until its deadline.
/// Only the loom models call it, to show that they catch the bug.
///
/// # Errors
///
/// As [`park_with`].
#[cfg(loom)]
#[doc(hidden)]
pub fn park_look_then_keep_broken(
    waiters: &Waiters,
    id: JobId,
    waiter: WaiterId,
    responder: Responder,
    look: impl FnOnce() -> Option<Response>,
) -> Result<(), Responder> {
    if let Some(now) = look() {
        responder.send(now);
        return Ok(());
    }
    waiters.add(id, waiter, responder)
}

// ANCHOR: cancel
/// `DELETE /jobs/{id}` on any server: the cancel script, then the job as it is now.
fn cancel_job(shared: &Shared, id: JobId) -> Response {
    match shared.call(|connection| cancel(shared, connection, id, "")) {
        Ok(answer) if answer == "ok" => read_view(shared, id),
        Ok(status) => match status_named(&status) {
            Some(status) => ApiError::AlreadyFinished { id, status }.into_response(),
            None => job_not_found(&id.to_string()),
        },
        Err(error) => store_error(&shared.config.url, &error),
    }
}
// ANCHOR_END: cancel

/// Runs the cancel script; `why` is a JSON string saying why, or empty for a client's
/// `DELETE`. Returns `ok` when it cancelled the job; else the status it had ended with, or
/// `expired` when there is no such job.
///
/// # Errors
///
/// When Redis cannot be reached, or refuses.
pub fn cancel(
    shared: &Shared,
    connection: &mut Connection,
    id: JobId,
    why: &str,
) -> RedisResult<String> {
    let keys = &shared.keys;
    shared
        .scripts
        .cancel
        .key(keys.job(id))
        .key(&keys.queued)
        .arg(shared.now_ms())
        .arg(shared.config.ttl.as_secs().max(1))
        .arg(&keys.ended)
        .arg(id.to_string())
        .arg(why)
        .invoke(connection)
}
