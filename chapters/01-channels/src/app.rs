//! The routes of chapter 1's server, and the request handling later chapters reuse: the
//! `/health` handler, the validation of `/primes`, and the answer it computes.

use crate::primes::count_primes_below;
use crate::thread_per_request::ThreadPerRequest;
use http_loop::{Defer, Method, QueryError, Reply, Request, Responder, Response, Router};
use serde::Serialize;
use std::sync::Arc;

/// The largest `limit` `/primes` accepts: the sieve takes a byte per number, and with a thread
/// per request, a hundred concurrent requests take a hundred times that.
pub const PRIMES_LIMIT_MAX: usize = 10_000_000;

/// The server of chapter 1: `GET /health` answered on the loop, `GET /primes?limit=N` on a
/// thread of its own.
pub fn router() -> Router {
    let threads = Arc::new(ThreadPerRequest::default());
    Router::new().route(Method::Get, "/health", health).route(
        Method::Get,
        "/primes",
        move |request, defer| primes(&threads, request, defer),
    )
}

// ANCHOR: health
/// Cheap: answered inline, on the event-loop thread, with no channel and no wake-up.
pub fn health(_request: Request, _defer: Defer<'_>) -> Reply {
    Reply::Now(
        Response::new(200)
            .with_header("Content-Type", "application/json")
            .with_body(&br#"{"status":"ok"}"#[..]),
    )
}
// ANCHOR_END: health

#[derive(Serialize)]
struct PrimesAnswer {
    limit: usize,
    primes: usize,
    /// The thread that did the work, so a reader can see the thread-per-request model.
    thread: String,
}

// ANCHOR: primes
/// Real work: validated on the loop, done on a new thread, answered through the responder.
fn primes(threads: &ThreadPerRequest, request: Request, defer: Defer<'_>) -> Reply {
    let limit = match primes_limit(&request) {
        Ok(limit) => limit,
        Err(refusal) => return Reply::Now(refusal),
    };
    let id = request.id();
    let (responder, reply) = defer.later();
    // The responder goes to the thread only once the thread exists, over a channel of one:
    // if the OS refuses the thread, the responder is still here to answer 503 with.
    let (hand_over, handed) = crossbeam_channel::bounded::<Responder>(1);
    let spawned = threads.spawn(format!("request-{}", id.get()), move || {
        if let Ok(responder) = handed.recv() {
            log::debug!("{id}: counting primes below {limit}");
            responder.send(primes_answer(limit));
        }
    });
    match spawned {
        // Cannot fail: the thread waits in `recv` for exactly this.
        Ok(()) => drop(hand_over.send(responder)),
        Err(error) => {
            log::warn!("{id}: cannot start a thread: {error}");
            let message = "the server cannot start another thread; try again";
            responder
                .send(Response::error(503, "no_thread", message).with_header("Retry-After", "1"));
        }
    }
    reply
}
// ANCHOR_END: primes

/// The `limit` of a `/primes?limit=N` request, or the 400 that says what is wrong with it.
/// Cheap: call it on the loop, before handing the work to another thread.
pub fn primes_limit(request: &Request) -> Result<usize, Response> {
    let refuse = |message: &str| Response::error(400, "invalid_limit", message);
    let raw = request
        .query_param("limit")
        .map_err(QueryError::into_response)?
        .ok_or_else(|| {
            refuse("the query parameter `limit` is required, e.g. /primes?limit=100000")
        })?;
    match raw.parse::<usize>() {
        Ok(limit) if limit <= PRIMES_LIMIT_MAX => Ok(limit),
        _ => Err(refuse(&format!(
            "`limit` must be a whole number from 0 to {PRIMES_LIMIT_MAX}, not {raw:?}"
        ))),
    }
}

/// Counts the primes below `limit` and builds the answer, naming the thread that did the work.
/// Expensive: call it off the loop.
pub fn primes_answer(limit: usize) -> Response {
    let primes = count_primes_below(limit);
    let thread = std::thread::current().name().unwrap_or_default().to_owned();
    Response::json(
        200,
        &PrimesAnswer {
            limit,
            primes,
            thread,
        },
    )
}
