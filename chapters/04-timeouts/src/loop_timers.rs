//! The event loop's own timers, set explicitly: the timeouts that protect the server from
//! clients, as opposed to the deadlines that bound the server's own work.
//!
//! | timer | starts when | on expiry | Go's `http.Server` field |
//! |---|---|---|---|
//! | header read | a request's first byte arrives | 408, close | `ReadHeaderTimeout` |
//! | body read | the same | 408, close | `ReadTimeout` |
//! | write | an answer stops leaving (the client does not read) | close | `WriteTimeout` |
//! | idle | a keep-alive connection finishes an exchange | close | `IdleTimeout` |
//! | request | a deferred request is admitted | 504 (the work is cancelled) | `TimeoutHandler` |
//!
//! All of them live in the loop's one deadline heap; none costs a thread or a timer object.

use http_loop::Config;
use std::time::Duration;

// ANCHOR: loop_timers
/// Chapter 4's configuration: shorter than the defaults, to suit a server whose every request
/// must finish within [`DEFAULT_REQUEST_TIMEOUT`](crate::DEFAULT_REQUEST_TIMEOUT).
pub fn loop_timers() -> Config {
    Config {
        // A slow client gets this long to send its head, then a 408: slowloris costs little.
        header_read_timeout: Duration::from_secs(5),
        // And this long for its body (up to 1 MiB).
        read_timeout: Duration::from_secs(15),
        // A client that stops reading its answer is dropped after this long.
        write_timeout: Duration::from_secs(15),
        // A keep-alive connection with nothing to say is closed after this long.
        idle_timeout: Duration::from_secs(30),
        ..Config::default()
    }
}
// ANCHOR_END: loop_timers
