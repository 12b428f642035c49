//! What the event loop tells an observer: every answer written, and how many connections are
//! open. Chapter 10's metrics are built on it; a server without an observer pays nothing.
//!
//! The loop calls the observer on its own thread, so an observer must be quick and must not
//! block: count (into atomics, or under a lock nobody holds for long), and do the formatting
//! when `/metrics` is asked for. Only requests that reach the handler are observed: the loop's
//! own refusals (400, 408, 413, 431, 501, a 503 beyond the connection limit) are not.

use crate::request::{Method, Request};
use std::time::Duration;

// ANCHOR: observe
/// One answer the loop wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Answered {
    /// The request's method.
    pub method: Method,
    /// The request's route, as [`Observe::route`] named it.
    pub route: &'static str,
    /// The answer's status code.
    pub status: u16,
    /// From the loop turn that read the request to the turn that wrote its answer. Both ends
    /// are the turn's clock reading, taken once per turn: an answer given in the same turn
    /// counts as 0, and the figure never includes the time the client took to send.
    pub elapsed: Duration,
}

/// Watches the loop's traffic. Every method runs on the loop thread.
pub trait Observe: Send + Sync + 'static {
    /// The label `request` is counted under. It must come from a small, fixed set (the
    /// server's route patterns, say, and one name for everything else): a label per path
    /// would let clients create metrics without limit.
    fn route(&self, request: &Request) -> &'static str;

    /// An answer was written into the connection's output.
    fn answered(&self, answer: Answered);

    /// How many connections are open, after a turn of the loop.
    fn open_connections(&self, open: usize);
}
// ANCHOR_END: observe
