//! The one way the project's tests start a server and talk to it over real TCP.
//!
//! [`TestServer::start`] binds `127.0.0.1:0` (a free port, so tests run in parallel), and
//! [`Client`] speaks HTTP/1.1 byte by byte, so a test can send exactly the malformed, truncated
//! or pipelined bytes it is about. Every blocking read has a timeout, as a *failure guard*
//! only: a test never waits for time to pass, it waits for an answer, and the timeout turns a
//! hang into a failure with a message.
//!
//! ```no_run
//! use http_loop::{Method, Reply, Response, Router};
//! use test_support::TestServer;
//!
//! let server = TestServer::start(
//!     Router::new().route(Method::Get, "/health", |_, _| Reply::Now(Response::text(200, "ok"))),
//! );
//! let answer = server.client().get("/health");
//! assert_eq!(answer.status, 200);
//! server.stop();
//! ```

pub mod process;
pub mod redis_server;

pub use process::ServerProcess;
pub use redis_server::RedisServer;

use http_loop::{Config, Handler, RunningServer, Server};
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

/// How long any single read may block before the test fails.
pub const FAILURE_GUARD: Duration = Duration::from_secs(10);

/// A server on a free port of 127.0.0.1, stopped when dropped.
pub struct TestServer {
    server: RunningServer,
}

impl TestServer {
    /// Starts `handler` with the default configuration.
    pub fn start(handler: impl Handler) -> TestServer {
        TestServer::start_with(handler, Config::default())
    }

    /// Starts `handler` with `config` (tests shorten timeouts and limits this way).
    pub fn start_with(handler: impl Handler, config: Config) -> TestServer {
        let server = Server::new(handler)
            .with_config(config)
            .bind("127.0.0.1:0")
            .expect("a free port on 127.0.0.1");
        TestServer { server }
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// A new connection to the server.
    pub fn client(&self) -> Client {
        Client::connect(self.addr())
    }

    /// Stops the server and waits until its loop thread has ended.
    pub fn stop(self) {
        self.server
            .stop()
            .expect("the event loop ran without error");
    }
}

/// A response as the client read it.
#[derive(Debug)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Answer {
    /// The header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "the body is not JSON ({error}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The `code` of a JSON error body: `{"error":{"code":…}}`.
    pub fn error_code(&self) -> String {
        let json = self.json();
        json["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("not an error body: {json}"))
            .to_owned()
    }
}

/// One TCP connection, speaking HTTP/1.1 by hand.
pub struct Client {
    stream: TcpStream,
    /// Bytes read past the end of the last response (the start of the next one).
    pending: Vec<u8>,
}

impl Client {
    /// Connects to `addr`.
    pub fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).expect("the server accepts connections");
        stream
            .set_read_timeout(Some(FAILURE_GUARD))
            .expect("a socket option");
        stream.set_nodelay(true).expect("a socket option");
        Client {
            stream,
            pending: Vec::new(),
        }
    }

    /// Connects to `addr` from the local address `from` — another address of 127.0.0.0/8,
    /// say, to be a second client in the eyes of a server that tells clients apart by address.
    pub fn connect_from(from: std::net::IpAddr, addr: SocketAddr) -> Client {
        let socket = socket2::Socket::new(
            socket2::Domain::for_address(addr),
            socket2::Type::STREAM,
            None,
        )
        .expect("a socket");
        socket
            .bind(&SocketAddr::new(from, 0).into())
            .expect("the local address exists");
        socket
            .connect(&addr.into())
            .expect("the server accepts connections");
        let stream = TcpStream::from(socket);
        stream
            .set_read_timeout(Some(FAILURE_GUARD))
            .expect("a socket option");
        stream.set_nodelay(true).expect("a socket option");
        Client {
            stream,
            pending: Vec::new(),
        }
    }

    /// Sends raw bytes.
    pub fn send(&mut self, bytes: impl AsRef<[u8]>) -> &mut Client {
        self.stream
            .write_all(bytes.as_ref())
            .expect("the server reads what we send");
        self
    }

    /// Sends `GET path` and reads the answer.
    pub fn get(&mut self, path: &str) -> Answer {
        self.send(format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n"));
        self.read_answer()
    }

    /// Sends a request with `method`, `path` and a body, and reads the answer.
    pub fn request(&mut self, method: &str, path: &str, body: &[u8]) -> Answer {
        self.request_with(method, path, "", body)
    }

    /// Sends a request with `method`, `path`, extra header lines (each ending in `\r\n`) and a
    /// body, and reads the answer.
    pub fn request_with(&mut self, method: &str, path: &str, headers: &str, body: &[u8]) -> Answer {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: test\r\n{headers}Content-Length: {}\r\n\r\n",
            body.len()
        );
        self.send(head).send(body);
        self.read_answer()
    }

    /// `POST /jobs` with `body`, declared as JSON: the job API's submission.
    pub fn submit_job(&mut self, body: &str) -> Answer {
        let json = "Content-Type: application/json\r\n";
        self.request_with("POST", "/jobs", json, body.as_bytes())
    }

    /// Submits `body`, which must be accepted (202), and returns the job's id.
    pub fn accepted_job(&mut self, body: &str) -> String {
        let answer = self.submit_job(body);
        assert_eq!(
            answer.status,
            202,
            "{}",
            String::from_utf8_lossy(&answer.body)
        );
        answer.json()["id"].as_str().expect("an id").to_owned()
    }

    /// The job's result, waiting for it up to 30 s; the job must complete (200).
    pub fn job_result(&mut self, id: &str) -> serde_json::Value {
        let answer = self.get(&format!("/jobs/{id}/result?wait=30s"));
        assert_eq!(
            answer.status,
            200,
            "{}",
            String::from_utf8_lossy(&answer.body)
        );
        answer.json()
    }

    /// Shuts down our sending side: the server sees the end of the stream.
    pub fn finish_sending(&mut self) {
        self.stream
            .shutdown(Shutdown::Write)
            .expect("shutdown succeeds");
    }

    /// Reads one response (framed by `Content-Length`). Panics on a closed connection or when
    /// nothing arrives within [`FAILURE_GUARD`].
    pub fn read_answer(&mut self) -> Answer {
        self.try_read_answer()
            .unwrap_or_else(|| panic!("the connection closed before a response arrived"))
    }

    /// Reads the answer to a `HEAD` request: a head whose `Content-Length` describes a body
    /// that is not sent.
    pub fn read_head_answer(&mut self) -> Answer {
        self.read(false)
            .unwrap_or_else(|| panic!("the connection closed before a response arrived"))
    }

    /// Reads one response, or `None` if the server closed the connection first.
    pub fn try_read_answer(&mut self) -> Option<Answer> {
        self.read(true)
    }

    fn read(&mut self, with_body: bool) -> Option<Answer> {
        let head_end = loop {
            if let Some(end) = find(&self.pending, b"\r\n\r\n") {
                break end + 4;
            }
            if !self.fill() {
                return None;
            }
        };
        let head = String::from_utf8(self.pending[..head_end].to_vec()).expect("an ASCII head");
        let mut lines = head.split("\r\n");
        let status_line = lines.next().expect("a status line");
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("a bad status line: {status_line:?}"));
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(": "))
            .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
            .collect();
        let length: usize = match headers.iter().find(|(name, _)| name == "content-length") {
            Some((_, value)) if with_body => value.parse().expect("a numeric Content-Length"),
            _ => 0,
        };
        while self.pending.len() < head_end + length {
            assert!(self.fill(), "the connection closed inside a response body");
        }
        let body = self.pending[head_end..head_end + length].to_vec();
        self.pending.drain(..head_end + length);
        Some(Answer {
            status,
            headers,
            body,
        })
    }

    /// Whether the server has closed the connection (reads the end of the stream, or a reset),
    /// with nothing more to read.
    pub fn is_closed_by_server(&mut self) -> bool {
        self.pending.is_empty() && !self.fill()
    }

    /// Reads more bytes into `pending`; `false` at the end of the stream or on a reset.
    fn fill(&mut self) -> bool {
        let mut buf = [0; 8192];
        match self.stream.read(&mut buf) {
            Ok(0) => false,
            Ok(n) => {
                self.pending.extend_from_slice(&buf[..n]);
                true
            }
            Err(e) if e.kind() == ErrorKind::ConnectionReset => false,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                panic!("no answer within {FAILURE_GUARD:?}")
            }
            Err(e) => panic!("reading from the server failed: {e}"),
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

// ANCHOR: thread_count
/// The number of threads of this process (Linux: `/proc/self/status`), for leak checks: the
/// counterpart of Go's `runtime.NumGoroutine`.
pub fn thread_count() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("a Linux /proc");
    status
        .lines()
        .find_map(|line| line.strip_prefix("Threads:"))
        .and_then(|count| count.trim().parse().ok())
        .expect("a Threads: line")
}
// ANCHOR_END: thread_count

/// [`thread_count`] once it has come down to `expected`, or what it is after the failure
/// guard: for leak checks after a server stops. Threads that have ended can linger in `/proc`
/// for microseconds (see [`threads_named_after_exit`]), and a rayon pool's threads end
/// asynchronously after the pool is dropped — rayon does not join them.
pub fn thread_count_back_to(expected: usize) -> usize {
    let started = std::time::Instant::now();
    loop {
        let count = thread_count();
        if count <= expected || started.elapsed() >= FAILURE_GUARD {
            return count;
        }
        std::thread::yield_now();
    }
}

/// [`threads_named`], once threads that have ended are gone from `/proc`: at most the failure
/// guard later, the count is what it settles at — 0 when every such thread has ended.
///
/// Why not read it once: a thread joined a moment ago can still be listed. The kernel wakes
/// the joiner as the thread releases its memory, a step *before* it takes the thread off the
/// list, so `join` may return while `/proc/self/task` still shows it, for microseconds.
pub fn threads_named_after_exit(prefixes: &[&str]) -> usize {
    let started = std::time::Instant::now();
    loop {
        let count = threads_named(prefixes);
        if count == 0 || started.elapsed() >= FAILURE_GUARD {
            return count;
        }
        std::thread::yield_now();
    }
}

/// The number of this process's threads whose name starts with one of `prefixes` (Linux:
/// `/proc/self/task/*/comm`, where names are cut to 15 bytes). Counts a server's threads
/// without counting the test's own.
pub fn threads_named(prefixes: &[&str]) -> usize {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(Result::ok)
        .filter_map(|task| std::fs::read_to_string(task.path().join("comm")).ok())
        .filter(|name| prefixes.iter().any(|prefix| name.starts_with(prefix)))
        .count()
}
