//! Chapter 4: timeouts — for one operation (`select!` with `after` and `never`), for a whole
//! request (a deadline the work sees and the event loop enforces with a 504), and for clients
//! (the loop's header-read, body-read, write and idle timers).
//!
//! The server is chapter 3's, with a deadline policy: `routes(jobs, request_deadline)`.
//!
//! This chapter writes no synchronization of its own, so it has no loom model of its own: a
//! deadline is a `Context` deadline (chapter 3's models check the context) and an entry in the
//! event loop's timer heap (one thread, nothing to race); a late answer crosses the hand-back
//! (chapter 0's models). What can race — the work's answer against the loop's 504 — is settled
//! on the loop thread, where the first answer into a request's slot wins; the tests show it.
//!
//! | file | what it shows |
//! |---|---|
//! | `operation.rs` | `recv_within`: Go's `select` on a result, `time.After` and `ctx.Done()` |
//! | `request_deadline.rs` | every request's deadline: `?timeout_ms=` or the default |
//! | `loop_timers.rs` | the event loop's timers, set explicitly, with Go's names for them |
//! | `examples/timeouts.rs` | `recv_within` without HTTP |

mod loop_timers;
pub mod operation;
mod request_deadline;

pub use loop_timers::loop_timers;
pub use operation::{WaitError, recv_within};
pub use request_deadline::{DEFAULT_REQUEST_TIMEOUT, MAX_REQUEST_TIMEOUT, request_deadline};

use ch03_context::{RequestJobs, RequestPool, routes};
use http_loop::Router;
use std::sync::Arc;

// ANCHOR: router
/// The server of chapter 4: chapter 3's routes, each request under a deadline.
pub fn router(pool: RequestPool) -> Router {
    routes(Arc::new(RequestJobs::new(pool)), request_deadline)
}
// ANCHOR_END: router
