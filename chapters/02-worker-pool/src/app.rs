//! The routes of chapter 2's server: chapter 1's, with `/primes` run by the worker pool.

use crate::pool::{Rejected, WorkerPool};
use ch01_channels::{health, primes_answer, primes_limit};
use http_loop::{Defer, Method, Reply, Request, Responder, Response, Router};
use std::io;
use std::sync::Arc;

/// How big the pool is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolSize {
    /// Worker threads.
    pub workers: usize,
    /// Jobs that may wait for a worker; beyond them, 503.
    pub queue: usize,
}

// ANCHOR: size
impl Default for PoolSize {
    /// One worker per core, and a queue of 64: at most 64 clients wait, the rest are told to
    /// come back, instead of every one of them waiting longer.
    fn default() -> Self {
        PoolSize {
            workers: std::thread::available_parallelism().map_or(2, usize::from),
            queue: 64,
        }
    }
}
// ANCHOR_END: size

// ANCHOR: job
/// The Go guide's `Job` struct: what a worker needs to answer one `/primes` request.
pub struct PrimesJob {
    /// Count the primes below this.
    pub limit: usize,
    /// Where the answer goes.
    pub responder: Responder,
}
// ANCHOR_END: job

// ANCHOR: primes_pool
/// The pool chapter 2's server runs its jobs on.
pub type PrimesPool = WorkerPool<PrimesJob>;

/// Starts a pool that answers [`PrimesJob`]s.
///
/// # Errors
///
/// When the OS refuses a worker thread.
pub fn primes_pool(size: PoolSize) -> io::Result<PrimesPool> {
    WorkerPool::new("worker", size.workers, size.queue, |job: PrimesJob| {
        job.responder.send(primes_answer(job.limit));
    })
}
// ANCHOR_END: primes_pool

/// The server of chapter 2: `GET /health` on the loop, `GET /primes?limit=N` on the pool.
pub fn router(pool: PrimesPool) -> Router {
    let pool = Arc::new(pool);
    Router::new().route(Method::Get, "/health", health).route(
        Method::Get,
        "/primes",
        move |request, defer| primes(&pool, request, defer),
    )
}

// ANCHOR: primes
/// Validated on the loop, queued for the pool, or refused with 503 when the queue is full.
fn primes(pool: &PrimesPool, request: Request, defer: Defer<'_>) -> Reply {
    let limit = match primes_limit(&request) {
        Ok(limit) => limit,
        Err(refusal) => return Reply::Now(refusal),
    };
    let (responder, reply) = defer.later();
    if let Err(rejected) = pool.try_submit(PrimesJob { limit, responder }) {
        // The job comes back, and with it the responder: answer through it.
        let queue_full = matches!(rejected, Rejected::QueueFull(_));
        let job = rejected.into_job();
        job.responder.send(if queue_full {
            let message = format!(
                "all {} workers are busy and {} requests are waiting; try again",
                pool.workers(),
                pool.capacity()
            );
            Response::error(503, "queue_full", &message).with_header("Retry-After", "1")
        } else {
            Response::error(503, "shutting_down", "the server is shutting down")
                .with_header("Retry-After", "5")
        });
    }
    reply
}
// ANCHOR_END: primes
