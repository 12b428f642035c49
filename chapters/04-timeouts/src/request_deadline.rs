//! Per-request deadlines: every request that does work must finish within a time limit, its
//! own (`?timeout_ms=`) or the server's default.
//!
//! The deadline goes two places. Into the request's **context** (`with_deadline`), so the work
//! can see it and stop; and to the **event loop** (`Defer::deadline`), so that at that instant
//! the client gets a `504` whatever the work is doing — even work that never looks at its
//! context. The loop's timer heap (chapter 0) holds the deadline; when it falls due, the loop
//! answers, calls the request's abandon callback, which cancels the context, and drops the
//! late answer if one ever comes. Go's `http.TimeoutHandler` does the same job with a
//! goroutine and a timer per request; here it is one heap entry.

use http_loop::{QueryError, Request, Response};
use std::time::{Duration, Instant};

/// How long a request may take unless it asks for less.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest `timeout_ms` a request may ask for.
pub const MAX_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

// ANCHOR: deadline_policy
/// The deadline of a request: `timeout_ms` from now if it asks (1 to 60,000), otherwise
/// [`DEFAULT_REQUEST_TIMEOUT`] from now.
///
/// # Errors
///
/// A 400 naming `timeout_ms` when it is not a whole number in range.
pub fn request_deadline(request: &Request) -> Result<Option<Instant>, Response> {
    let timeout = match request
        .query_param("timeout_ms")
        .map_err(QueryError::into_response)?
    {
        None => DEFAULT_REQUEST_TIMEOUT,
        Some(raw) => match raw.parse::<u64>() {
            Ok(ms) if ms >= 1 && u128::from(ms) <= MAX_REQUEST_TIMEOUT.as_millis() => {
                Duration::from_millis(ms)
            }
            _ => {
                let max = MAX_REQUEST_TIMEOUT.as_millis();
                let message =
                    format!("`timeout_ms` must be a whole number from 1 to {max}, not {raw:?}");
                return Err(Response::error(400, "invalid_timeout_ms", &message));
            }
        },
    };
    Ok(Some(Instant::now() + timeout))
}
// ANCHOR_END: deadline_policy
