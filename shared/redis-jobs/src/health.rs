//! Whether Redis answers, and how far behind the consumer group is: what `/ready` and
//! `/metrics` say. The keeper thread measures it every 250 ms, and every failed call marks
//! Redis lost at once, so `/ready` reads it without a round trip on the event loop.

use crate::connections::is_lost;
use http_loop::Response;
use redis::RedisError;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

/// What the backend's last look found.
#[derive(Debug, Default)]
pub struct Health {
    connected: AtomicBool,
    problem: Mutex<Option<String>>,
    lag: AtomicU64,
    in_flight: AtomicU64,
}

/// One reading of [`Health`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackendStatus {
    /// Redis answered the last call (or ping).
    pub connected: bool,
    /// Why not, if not.
    pub problem: Option<String>,
    /// Entries of the stream no server has read yet: the consumer group's lag.
    pub lag: u64,
    /// Entries read by some server and not yet acknowledged: jobs running somewhere.
    pub in_flight: u64,
}

// Every field is a figure read on its own, for a gauge or a 503's message; nothing else is
// published through them, so Relaxed suffices throughout.
impl Health {
    /// Redis answered; the group's figures, if they were read.
    pub fn answered(&self, group: Option<(u64, u64)>) {
        self.connected.store(true, Ordering::Relaxed);
        *self.lock() = None;
        if let Some((lag, in_flight)) = group {
            self.lag.store(lag, Ordering::Relaxed);
            self.in_flight.store(in_flight, Ordering::Relaxed);
        }
    }

    /// A call failed; if the failure says Redis is gone, the backend is marked lost.
    pub fn failed(&self, error: &RedisError) {
        if is_lost(error) || is_transient(error) {
            self.connected.store(false, Ordering::Relaxed);
            *self.lock() = Some(error.to_string());
        }
    }

    /// The figures now.
    pub fn status(&self) -> BackendStatus {
        BackendStatus {
            connected: self.connected.load(Ordering::Relaxed),
            problem: self.lock().clone(),
            lag: self.lag.load(Ordering::Relaxed),
            in_flight: self.in_flight.load(Ordering::Relaxed),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.problem.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

// ANCHOR: store_error
/// Redis answered, but cannot serve yet: it is loading its data after a restart, or busy.
pub fn is_transient(error: &RedisError) -> bool {
    matches!(
        error.code(),
        Some("LOADING" | "BUSY" | "TRYAGAIN" | "MASTERDOWN")
    )
}

/// The answer to a request whose round trip to Redis failed: 503 when Redis is away (the
/// client may try again), 500 when Redis refused a command (a bug of ours, not the client's).
pub fn store_error(url: &str, error: &RedisError) -> Response {
    if is_lost(error) || is_transient(error) {
        unavailable(url, error)
    } else {
        log::error!("Redis refused a command: {error}");
        Response::error(
            500,
            "store_error",
            &format!("the job store failed: {error}"),
        )
    }
}

/// 503 `store_unavailable`, naming the Redis and why: a request's failed round trip, or
/// `/ready` while the keeper finds Redis away.
pub fn unavailable(url: &str, why: &dyn std::fmt::Display) -> Response {
    let message = format!("the job store (Redis at {url}) cannot be reached: {why}");
    Response::error(503, "store_unavailable", &message).with_header("Retry-After", "1")
}
// ANCHOR_END: store_error
