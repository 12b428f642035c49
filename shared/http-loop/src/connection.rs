//! One client connection: its buffers, its in-flight requests, its deadline.
//!
//! The event loop calls [`Connection::drive`] whenever anything happens to a connection — the
//! socket became readable or writable, an answer came back, a deadline fell due — and `drive`
//! does everything that has become possible, in one order:
//!
//! 1. **read** until the socket is empty: the kernel says `WouldBlock`, or on Linux a read
//!    comes back short (mio is edge-triggered: an event is reported once per change, so
//!    stopping early would leave bytes nobody will ever be told about);
//! 2. **parse and dispatch** every complete request in the input, up to `max_pipelined` at once;
//! 3. **flush** the answers that are next in request order into the output buffer;
//! 4. **write** until the output is empty or the kernel says `WouldBlock`;
//! 5. decide whether the connection lives on, and until when (its [deadline](Connection::deadline)).
//!
//! A short read — fewer bytes than the buffer had room for — proves the socket empty on Linux,
//! so the `read` that would only say `WouldBlock` is skipped: one system call in three for a
//! keep-alive request (see [`SHORT_READ_EMPTIES`], and the book's appendix C, where a profile
//! found that call).
//!
//! Reading stops early only when the input buffer is full (a client pipelining faster than its
//! requests are answered). The connection then remembers that unread bytes may be waiting
//! (`read_ready`) and reads again once answering has made room: nobody else will tell it.

use crate::config::Config;
use crate::handler::{Defer, Deliver, EndOfTurn, Handler, Reply, Watch};
use crate::observe::{Answered, Observe};
use crate::parse::{Parsed, find_head_end, parse_request};
use crate::pipeline::{Framing, Pipeline};
use crate::request::{Method, Version};
use crate::response::Response;
use crate::slab::Key;
use mio::net::TcpStream;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Shutdown};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Instant;

// ANCHOR: short_read_empties
/// Whether a short read proves that the socket's receive buffer is empty, so that bytes arriving
/// later will raise a new event. epoll(7) says so for stream sockets ("if you call read(2) by
/// asking to read a certain amount of data and read(2) returns a lower number of bytes, you can
/// be sure of having exhausted the read I/O space"), and mio uses epoll on Linux and Android —
/// with `EPOLLRDHUP`, so that an event also says when it reports the end of the stream (see
/// `end_reported`). Elsewhere the connection keeps to the plain rule and reads until
/// `WouldBlock`: mio's emulation of edge-triggered events on Windows re-arms a socket only
/// when it sees one, and mio promises no more on any platform.
///
/// The one exception is TCP's urgent data: a read stops at the urgent mark with bytes still
/// behind it. A client that sends urgent data in a request (no HTTP client does) waits for the
/// header-read timeout and is answered 408 — its own connection, and no longer than a client
/// sending slowly could hold one anyway.
#[allow(unexpected_cfgs)] // mio's own cfg: with it, mio polls with poll(2), not epoll
const SHORT_READ_EMPTIES: bool = cfg!(all(
    any(target_os = "linux", target_os = "android"),
    not(mio_unsupported_force_poll_poll)
));
// ANCHOR_END: short_read_empties

/// What the event loop lends a connection while driving it.
pub(crate) struct Context<'a> {
    pub(crate) config: &'a Config,
    pub(crate) handler: &'a dyn Handler,
    /// Where responders send their answers: the loop's hand-back.
    pub(crate) deliver: &'a Arc<dyn Deliver>,
    /// A buffer for `read`, shared by all connections of the loop.
    pub(crate) scratch: &'a mut [u8],
    /// The current `Date` header value.
    pub(crate) date: &'a str,
    /// Told of every answer written, if the server has one.
    pub(crate) observer: Option<&'a dyn Observe>,
    /// The hooks the turn's handlers asked for ([`Defer::at_end_of_turn`]).
    pub(crate) end_of_turn: &'a mut Vec<Arc<dyn EndOfTurn>>,
    pub(crate) now: Instant,
}

/// Why a connection's deadline is set: what happens when it falls due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expiry {
    /// A request's head took longer than `header_read_timeout`: answer 408 and close.
    HeaderRead,
    /// A request's body took longer than `read_timeout`: answer 408 and close.
    BodyRead,
    /// The client has not read our answers for `write_timeout`: close.
    Write,
    /// No request for `idle_timeout`: close.
    Idle,
    /// The lingering close is over: close.
    Linger,
    /// An in-flight request's deadline passed: answer 504 for it.
    Request,
}

/// Whether the connection lives on after `drive`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Next {
    Keep,
    Close,
}

pub(crate) struct Connection {
    socket: TcpStream,
    /// Bytes received and not yet parsed into requests.
    input: Vec<u8>,
    /// How far `input` has been searched for the end of a head.
    head_scanned: usize,
    /// The total length of the request at the front of `input`, once its head is parsed and
    /// only its body is missing: no need to parse again until `input` is this long.
    needed: Option<usize>,
    /// When the first byte of the request at the front of `input` arrived.
    request_started: Option<Instant>,
    /// Whether unread bytes may be waiting in the socket (see the module documentation).
    read_ready: bool,
    /// An event reported the end of the client's stream, or an error. Neither is reported
    /// twice, so from then on reading goes on past a short read, until `read` says it too.
    end_reported: bool,
    /// The client has shut down its sending side: `read` returned 0.
    peer_closed: bool,
    /// Requests being handled, and answers waiting for their turn.
    pipeline: Pipeline,
    /// Answers in wire form, not yet written.
    output: Vec<u8>,
    /// How much of `output` has been written.
    written: usize,
    /// The connection's last answer is in `output`: close once it is written.
    finishing: bool,
    /// Since when the client has not taken any of our output.
    write_stalled_since: Option<Instant>,
    /// Whether the socket is registered for writability (only while output is pending).
    wants_write: bool,
    /// Since when we have been discarding input after our last answer (lingering close).
    lingering_since: Option<Instant>,
    /// When the client last sent or took anything.
    last_activity: Instant,
    /// The earliest entry this connection has in the loop's timer heap.
    pub(crate) scheduled: Option<Instant>,
    /// Accepted beyond the connection limit, only to be refused (see [`Connection::refused`]).
    beyond_limit: bool,
    /// The client's address, handed to every request.
    peer: Option<IpAddr>,
    /// The server is draining: the next request admitted is the connection's last.
    draining: bool,
}

impl Connection {
    pub(crate) fn new(socket: TcpStream, now: Instant) -> Connection {
        let peer = socket.peer_addr().ok().map(|addr| addr.ip());
        Connection {
            socket,
            input: Vec::new(),
            head_scanned: 0,
            needed: None,
            request_started: None,
            // Bytes may have arrived before the socket was registered.
            read_ready: true,
            end_reported: false,
            peer_closed: false,
            pipeline: Pipeline::default(),
            output: Vec::new(),
            written: 0,
            finishing: false,
            write_stalled_since: None,
            wants_write: false,
            lingering_since: None,
            last_activity: now,
            scheduled: None,
            beyond_limit: false,
            peer,
            draining: false,
        }
    }

    /// A connection accepted beyond the connection limit. Its one answer is `refusal`, and it
    /// then closes the way every refused connection does, with a lingering close: the client
    /// may already have sent its request, and closing with those bytes unread would send a
    /// reset that can destroy the refusal before the client reads it.
    pub(crate) fn refused(socket: TcpStream, now: Instant, refusal: Response) -> Connection {
        let mut connection = Connection::new(socket, now);
        connection.beyond_limit = true;
        connection.refuse(refusal);
        connection
    }

    /// Whether this connection was accepted beyond the connection limit, only to be refused.
    pub(crate) fn is_beyond_limit(&self) -> bool {
        self.beyond_limit
    }

    pub(crate) fn socket(&mut self) -> &mut TcpStream {
        &mut self.socket
    }

    /// The socket reported readiness to read, and whether it reported the end of the client's
    /// stream or an error too (both of which `read` then reports).
    pub(crate) fn mark_readable(&mut self, end_reported: bool) {
        self.read_ready = true;
        self.end_reported |= end_reported;
    }

    /// Puts an answer that came back from another thread in its place.
    pub(crate) fn answer(&mut self, seq: u64, response: Response) {
        self.pipeline.fill(seq, response);
    }

    /// Whether the socket must be registered for writability now.
    pub(crate) fn wants_write(&self) -> bool {
        self.written < self.output.len()
    }

    /// Records the interest the socket is registered with; returns whether it changed.
    pub(crate) fn set_write_interest(&mut self, wants_write: bool) -> bool {
        std::mem::replace(&mut self.wants_write, wants_write) != wants_write
    }

    // ANCHOR: drive
    // ANCHOR: drive_read
    /// Does everything that has become possible; see the module documentation.
    pub(crate) fn drive(&mut self, key: Key, cx: &mut Context<'_>) -> Next {
        loop {
            if self.read_ready && self.read(cx).is_err() {
                return Next::Close;
            }
            self.dispatch(key, cx);
            // ANCHOR_END: drive_read
            if self.peer_closed {
                // The client will send nothing more: say so if it stopped inside a request,
                // and abandon the requests still at work — after `dispatch`, so that requests
                // read in the same call as the end of the stream are abandoned too.
                self.refuse_if_truncated(cx.config);
                self.pipeline.hang_up();
            }
            // ANCHOR: drive_write
            self.flush(cx);
            if self.write(cx.now).is_err() {
                return Next::Close;
            }
            if self.finishing && !self.wants_write() && self.lingering_since.is_none() {
                if self.peer_closed {
                    return Next::Close;
                }
                // Our last answer is out. Close our side, but keep reading until the client
                // closes its own, or the linger ends (see `Config::linger_timeout`).
                let _ = self.socket.shutdown(Shutdown::Write);
                self.lingering_since = Some(cx.now);
                self.read_ready = true;
                continue;
            }
            if self.peer_closed && (self.lingering_since.is_some() || self.is_done()) {
                return Next::Close;
            }
            // Answering made room in a full input buffer: read the bytes left in the socket.
            if self.read_ready && !self.input_full(cx.config) {
                continue;
            }
            return Next::Keep;
        }
    }
    // ANCHOR_END: drive_write
    // ANCHOR_END: drive

    /// Whether nothing remains to be done for the client: no answer still awaited (abandoned
    /// requests are not awaited), nothing to write. (A request the client cut short by ending
    /// its stream has been answered 400 by `refuse_if_truncated` by then.)
    fn is_done(&self) -> bool {
        self.pipeline.awaits_nothing() && !self.wants_write()
    }

    fn input_full(&self, config: &Config) -> bool {
        // Room for the largest request there can be, so that one always fits.
        self.input.len() >= config.max_head_bytes + config.max_body_bytes
    }

    // ANCHOR: read
    /// Reads until `WouldBlock`, a short read (on Linux), end of stream, or a full input buffer.
    fn read(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        let lingering = self.lingering_since.is_some();
        while lingering || !self.input_full(cx.config) {
            match self.socket.read(cx.scratch) {
                Ok(0) => {
                    self.peer_closed = true;
                    self.read_ready = false;
                    return Ok(());
                }
                Ok(n) => {
                    self.last_activity = cx.now;
                    if !lingering {
                        self.input.extend_from_slice(&cx.scratch[..n]);
                        self.request_started.get_or_insert(cx.now);
                    }
                    // ANCHOR: short_read
                    // Fewer bytes than `scratch` holds: the socket is empty now, and whatever
                    // arrives next raises a new event, so the `read` that would only say
                    // `WouldBlock` is not needed. An end of stream or an error already
                    // reported will not be reported again: then read on until `read` says so.
                    if SHORT_READ_EMPTIES && n < cx.scratch.len() && !self.end_reported {
                        self.read_ready = false;
                        return Ok(());
                    }
                    // ANCHOR_END: short_read
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.read_ready = false;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
    // ANCHOR_END: read

    // ANCHOR: dispatch
    // ANCHOR: dispatch_scan
    /// Parses the complete requests at the front of the input and hands each to the handler.
    fn dispatch(&mut self, key: Key, cx: &mut Context<'_>) {
        while !self.pipeline.is_closed()
            && self.pipeline.in_flight() < cx.config.max_pipelined
            && !self.input.is_empty()
        {
            match self.needed {
                Some(needed) if self.input.len() < needed => return,
                Some(_) => {}
                None => match find_head_end(&self.input, self.head_scanned) {
                    Some(_) => {}
                    None if self.input.len() > cx.config.max_head_bytes => {}
                    None => {
                        self.head_scanned = self.input.len();
                        return;
                    }
                },
            }
            match parse_request(&self.input, cx.config) {
                // ANCHOR_END: dispatch_scan
                // ANCHOR: dispatch_partial
                Ok(Parsed::Partial {
                    needed,
                    expects_continue,
                }) => {
                    self.needed = needed;
                    // The client waits for our go-ahead before sending the body. With nothing
                    // in flight, every earlier answer is already in the output, so the interim
                    // answer goes out in order. (Otherwise the client sends the body after a
                    // wait of its own; curl waits one second.)
                    if expects_continue && self.pipeline.in_flight() == 0 {
                        self.output
                            .extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
                    }
                    return;
                }
                // ANCHOR_END: dispatch_partial
                // ANCHOR: dispatch_complete
                Ok(Parsed::Complete {
                    mut request,
                    consumed,
                    keep_alive,
                }) => {
                    request.peer = self.peer;
                    self.input.drain(..consumed);
                    release_if_large(&mut self.input);
                    self.head_scanned = 0;
                    self.needed = None;
                    self.request_started = (!self.input.is_empty()).then_some(cx.now);
                    let keep_alive = keep_alive && !self.draining;
                    let observed = cx
                        .observer
                        .map(|observer| (request.method(), observer.route(&request), cx.now));
                    let seq = self.pipeline.admit(Framing {
                        last: !keep_alive,
                        head_only: request.method() == Method::Head,
                        announce_keep_alive: keep_alive && request.version() == Version::Http10,
                        observed,
                    });
                    log::debug!("{} {} {}", request.id(), request.method(), request.path());
                    // ANCHOR_END: dispatch_complete
                    // ANCHOR: dispatch_handler
                    let mut watch = Watch::default();
                    let defer = Defer {
                        deliver: cx.deliver,
                        connection: key,
                        seq,
                        watch: &mut watch,
                        end_of_turn: &mut *cx.end_of_turn,
                    };
                    // A panicking handler costs its own request a 500; the loop lives on.
                    let id = request.id();
                    match catch_unwind(AssertUnwindSafe(|| cx.handler.handle(request, defer))) {
                        Ok(Reply::Now(response)) => self.pipeline.fill(seq, response),
                        Ok(Reply::Later(_)) => self.pipeline.watch(seq, watch),
                        Err(_) => {
                            log::error!("{id}: the handler panicked");
                            let message = "the request's handler panicked";
                            let response = Response::error(500, "handler_panicked", message);
                            self.pipeline.fill(seq, response);
                        }
                    }
                }
                Err(refusal) => {
                    log::debug!("refused: {} {}", refusal.status, refusal.message);
                    self.refuse(refusal.into_response());
                    return;
                }
            }
        }
    }
    // ANCHOR_END: dispatch_handler
    // ANCHOR_END: dispatch

    /// The client ended its stream inside a request (a head cut short, a body shorter than its
    /// `Content-Length`): a 400 saying so, rather than silence. Input left over only because
    /// `max_pipelined` requests are already at work is not a truncated request.
    fn refuse_if_truncated(&mut self, config: &Config) {
        let stalled_by_pipelining = self.pipeline.in_flight() >= config.max_pipelined;
        if self.input.is_empty() || self.pipeline.is_closed() || stalled_by_pipelining {
            return;
        }
        let message = match self.needed {
            Some(needed) => format!(
                "the connection ended after {} of the request's {needed} bytes",
                self.input.len()
            ),
            None => "the connection ended inside a request's head".to_owned(),
        };
        self.refuse(Response::error(400, "incomplete_request", &message));
    }

    /// Answers `response` as the connection's last answer, after those already in flight, and
    /// stops reading requests.
    fn refuse(&mut self, response: Response) {
        self.input.clear();
        self.request_started = None;
        let seq = self.pipeline.admit(Framing {
            last: true,
            ..Framing::default()
        });
        self.pipeline.fill(seq, response);
    }

    /// Moves the answers that are next in order into the output buffer.
    fn flush(&mut self, cx: &Context<'_>) {
        if self.finishing {
            return;
        }
        while let Some(answer) = self.pipeline.take_ready() {
            answer
                .response
                .write_to(&mut self.output, answer.framing, cx.date);
            if let (Some(observer), Some((method, route, read_at))) =
                (cx.observer, answer.framing.observed)
            {
                observer.answered(Answered {
                    method,
                    route,
                    status: answer.response.status(),
                    elapsed: cx.now.saturating_duration_since(read_at),
                });
            }
            if answer.framing.last {
                self.finishing = true;
                return;
            }
        }
    }

    // ANCHOR: drain
    /// The server is draining (chapter 10): an idle connection closes now (a lingering close);
    /// one with requests in flight gives its newest request's answer `Connection: close` and
    /// takes no more; one in the middle of receiving a request lets that request be its last.
    pub(crate) fn drain(&mut self) -> Next {
        self.draining = true;
        if self.finishing || self.lingering_since.is_some() {
            return Next::Keep; // closing already
        }
        if self.pipeline.in_flight() > 0 {
            self.pipeline.make_last();
            return Next::Keep;
        }
        if !self.input.is_empty() {
            return Next::Keep; // a request is arriving: `dispatch` makes it the last
        }
        // Idle. Close the way every closing connection does: our side now, then a lingering
        // read, so that a request already on the wire is read and dropped rather than met with
        // a reset. (With an answer still going out, the close waits until it is written.)
        self.pipeline.make_last();
        self.finishing = true;
        Next::Keep
    }
    // ANCHOR_END: drain

    // ANCHOR: write
    /// Writes until the output is empty or the socket would block.
    fn write(&mut self, now: Instant) -> io::Result<()> {
        while self.written < self.output.len() {
            match self.socket.write(&self.output[self.written..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.written += n;
                    self.last_activity = now;
                    self.write_stalled_since = None;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.write_stalled_since.get_or_insert(now);
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.output.clear();
        self.written = 0;
        release_if_large(&mut self.output);
        Ok(())
    }
    // ANCHOR_END: write

    // ANCHOR: deadline
    // ANCHOR: deadline_io
    /// When the connection must next be looked at, and why.
    pub(crate) fn deadline(&self, config: &Config) -> Option<(Instant, Expiry)> {
        if let Some(since) = self.lingering_since {
            return Some((since + config.linger_timeout, Expiry::Linger));
        }
        if let Some(since) = self.write_stalled_since {
            return Some((since + config.write_timeout, Expiry::Write));
        }
        // ANCHOR_END: deadline_io
        if self.pipeline.in_flight() > 0 || self.finishing {
            // Handlers are at work: the only deadlines now are those they asked for.
            return self
                .pipeline
                .earliest_deadline()
                .map(|at| (at, Expiry::Request));
        }
        // ANCHOR: deadline_read
        match (self.request_started, self.needed) {
            (Some(start), None) => Some((start + config.header_read_timeout, Expiry::HeaderRead)),
            (Some(start), Some(_)) => Some((start + config.read_timeout, Expiry::BodyRead)),
            (None, _) => Some((self.last_activity + config.idle_timeout, Expiry::Idle)),
        }
    }
    // ANCHOR_END: deadline_read
    // ANCHOR_END: deadline

    // ANCHOR: expire
    /// The deadline fell due: act on it. Returns whether the connection lives on (to send its
    /// 408) or must close now.
    pub(crate) fn expire(&mut self, expiry: Expiry, now: Instant) -> Next {
        match expiry {
            Expiry::HeaderRead | Expiry::BodyRead => {
                let what = if expiry == Expiry::HeaderRead {
                    "the request's headers"
                } else {
                    "the request's body"
                };
                let message = format!("{what} did not arrive in time");
                self.refuse(Response::error(408, "request_timeout", &message).closing());
                Next::Keep
            }
            Expiry::Request => {
                self.pipeline.expire(now);
                Next::Keep
            }
            Expiry::Write | Expiry::Idle | Expiry::Linger => Next::Close,
        }
    }
    // ANCHOR_END: expire
}

/// Buffers keep their capacity between requests, which saves an allocation per request; but a
/// connection that once carried a 1 MiB body should not hold a megabyte for as long as it
/// stays open. An empty buffer above this size is given back.
const KEEP_BUFFER_CAPACITY: usize = 64 * 1024;

fn release_if_large(buffer: &mut Vec<u8>) {
    if buffer.is_empty() && buffer.capacity() > KEEP_BUFFER_CAPACITY {
        *buffer = Vec::new();
    }
}

// ANCHOR: hang_up_on_drop
impl Drop for Connection {
    /// A connection closed with requests still at work — an error, a timeout, the server
    /// stopping — counts as a hang-up for them.
    fn drop(&mut self) {
        self.pipeline.hang_up();
    }
}
// ANCHOR_END: hang_up_on_drop
