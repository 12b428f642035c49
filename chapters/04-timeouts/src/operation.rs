//! Operation timeouts with `select!`: the Go guide's §9, "Using Select".
//!
//! ```go
//! select {
//! case result := <-resultCh:
//!     // Handle result
//! case <-time.After(5 * time.Second):
//!     // Handle timeout
//! case <-ctx.Done():
//!     // Handle cancellation
//! }
//! ```
//!
//! crossbeam's `after(d)` is `time.After(d)`: a channel that delivers once, `d` from now.
//! Its `never()` is the channel that never delivers — the way to write "no timeout" without a
//! second copy of the `select!`: an arm on `never()` is an arm that cannot win.

use ch03_context::{Context, Reason};
use crossbeam_channel::{Receiver, after, never, select};
use std::fmt;
use std::time::Duration;

/// Why [`recv_within`] returned no result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitError {
    /// The operation's own timeout passed first.
    TimedOut,
    /// The context ended first (cancelled, or its deadline passed).
    Stopped(Reason),
    /// Every sender of the results channel is gone: no result will ever come.
    Disconnected,
}

impl fmt::Display for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitError::TimedOut => f.write_str("the operation timed out"),
            WaitError::Stopped(reason) => write!(f, "stopped: {reason}"),
            WaitError::Disconnected => f.write_str("the operation ended without a result"),
        }
    }
}

impl std::error::Error for WaitError {}

// ANCHOR: recv_within
/// Waits for the first result on `results`, for at most `timeout` (`None`: no limit of its
/// own), and never past the end of `ctx`.
///
/// # Errors
///
/// [`WaitError`]: which came first, if not the result.
pub fn recv_within<T>(
    ctx: &Context,
    results: &Receiver<T>,
    timeout: Option<Duration>,
) -> Result<T, WaitError> {
    // One `select!` for both cases: without a timeout, that arm waits on a channel that
    // never delivers.
    let timer = timeout.map_or_else(never, after);
    select! {
        recv(results) -> result => result.map_err(|_| WaitError::Disconnected),
        recv(timer) -> _ => Err(WaitError::TimedOut),
        recv(ctx.done()) -> _ => Err(WaitError::Stopped(ctx.err().unwrap_or(Reason::Cancelled))),
        recv(ctx.deadline_timer()) -> _ => Err(WaitError::Stopped(Reason::DeadlineExceeded)),
    }
}
// ANCHOR_END: recv_within
