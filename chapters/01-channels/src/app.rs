//! The routes of chapter 1's server.

use crate::primes::count_primes_below;
use crate::thread_per_request::ThreadPerRequest;
use http_loop::{Defer, Method, Reply, Request, Response, Router};
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
fn health(_request: Request, _defer: Defer<'_>) -> Reply {
    Reply::Now(Response::json(200, &serde_json::json!({ "status": "ok" })))
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
    let limit = match parse_limit(&request) {
        Ok(limit) => limit,
        Err(message) => return Reply::Now(Response::error(400, "invalid_limit", &message)),
    };
    let id = request.id();
    let (responder, reply) = defer.later();
    let spawned = threads.spawn(format!("request-{}", id.get()), move || {
        let primes = count_primes_below(limit);
        log::debug!("{id}: {primes} primes below {limit}");
        let thread = std::thread::current().name().unwrap_or_default().to_owned();
        let answer = PrimesAnswer {
            limit,
            primes,
            thread,
        };
        responder.send(Response::json(200, &answer));
    });
    if let Err(error) = spawned {
        // The closure, and the responder in it, were dropped by the failed spawn: the client
        // got its 500 from the responder's `Drop`. Say why in the log.
        log::warn!("{id}: cannot start a thread: {error}");
    }
    reply
}
// ANCHOR_END: primes

fn parse_limit(request: &Request) -> Result<usize, String> {
    let raw = request
        .query_param("limit")
        .ok_or("the query parameter `limit` is required, e.g. /primes?limit=100000")?;
    match raw.parse::<usize>() {
        Ok(limit) if limit <= PRIMES_LIMIT_MAX => Ok(limit),
        _ => Err(format!(
            "`limit` must be a whole number from 0 to {PRIMES_LIMIT_MAX}, not {raw:?}"
        )),
    }
}
