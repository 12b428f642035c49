//! The server's limits and timeouts, each with a safe default and each configurable.
//!
//! Every number here is a defence: without a cap on the header block a client can make the
//! server buffer gigabytes; without a header-read timeout one client can hold a connection open
//! forever by sending a byte a minute ("slowloris"). The defaults follow common practice and Go's
//! `net/http` where it has an equivalent (`ReadHeaderTimeout`, `ReadTimeout`, `WriteTimeout`,
//! `IdleTimeout`, `MaxHeaderBytes`).

use std::time::Duration;

/// Limits and timeouts of one server. Build it with struct-update syntax:
///
/// ```
/// use http_loop::Config;
/// use std::time::Duration;
///
/// let config = Config { idle_timeout: Duration::from_secs(5), ..Config::default() };
/// assert_eq!(config.max_body_bytes, 1024 * 1024);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Largest request line plus headers, in bytes. Beyond it: 431.
    pub max_head_bytes: usize,
    /// Most headers in one request. Beyond it: 431.
    pub max_headers: usize,
    /// Largest request body, in bytes (by `Content-Length`). Beyond it: 413.
    pub max_body_bytes: usize,
    /// Most open client connections. A connection beyond it gets a 503 and is closed.
    pub max_connections: usize,
    /// How many connections the kernel may hold, handshake done, waiting for `accept`
    /// (capped by `/proc/sys/net/core/somaxconn`).
    pub listen_backlog: i32,
    /// Most requests of one connection being handled at once (HTTP pipelining). Further
    /// requests wait in the connection's buffer, so one client cannot start unbounded work.
    pub max_pipelined: usize,
    /// Time from a request's first byte to the end of its header block. Beyond it: 408, close.
    pub header_read_timeout: Duration,
    /// Time from a request's first byte to the end of its body. Beyond it: 408, close.
    pub read_timeout: Duration,
    /// Time an answer may sit unsent because the client does not read. Beyond it: close.
    pub write_timeout: Duration,
    /// Time a keep-alive connection may wait for its next request. Beyond it: close.
    pub idle_timeout: Duration,
    /// After the last answer of a closing connection, how long to keep reading (and discarding)
    /// what the client still sends, so that closing does not reset the connection and destroy
    /// the answer before the client has read it ("lingering close").
    pub linger_timeout: Duration,
}

// ANCHOR: defaults
impl Default for Config {
    fn default() -> Self {
        Config {
            max_head_bytes: 16 * 1024,
            max_headers: 64,
            max_body_bytes: 1024 * 1024,
            max_connections: 10_000,
            listen_backlog: 1024,
            max_pipelined: 32,
            header_read_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            linger_timeout: Duration::from_secs(2),
        }
    }
}
// ANCHOR_END: defaults
