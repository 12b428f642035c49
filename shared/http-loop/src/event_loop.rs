//! The event loop: one thread, one `mio::Poll`, every connection of the server.
//!
//! ```text
//!                     ┌──────────────────── event-loop thread ────────────────────┐
//!  clients ──TCP──▶   │ Poll::poll(timeout = earliest deadline)                   │
//!                     │   LISTENER ready  → accept until WouldBlock → slab.insert │
//!                     │   conn N ready    → slab[N].drive(): read, parse,         │
//!                     │                     dispatch, flush, write                │
//!                     │   WAKER ready     → hand-back drain → fill slots → drive  │
//!                     │   deadline due    → 408 / 504 / close                     │
//!                     └──────────▲───────────────────────────┬────────────────────┘
//!                                │ Responder::send + wake     │ Reply::Later
//!                     ┌──────────┴───────────────────────────▼────────────────────┐
//!                     │ any other thread: a request thread, a worker pool …       │
//!                     └───────────────────────────────────────────────────────────┘
//! ```
//!
//! `poll` blocks until a registered source is ready or the timeout passes. Each source has a
//! `Token` chosen at registration: `LISTENER`, `WAKER`, and for each connection its slab index
//! plus [`FIRST_CONNECTION`]. Nothing in the loop blocks: sockets are non-blocking, handlers
//! answer at once or defer, and the only sleep is inside `poll`.

use crate::config::Config;
use crate::connection::{Connection, Context, Next};
use crate::dates::DateCache;
use crate::handback::{Handback, Wake};
use crate::handler::{Deliver, EndOfTurn, Handler};
use crate::observe::Observe;
use crate::response::Response;
use crate::slab::{Key, Slab};
use crate::timers::Timers;
use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Token};
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant, SystemTime};

/// The token of the listening socket.
const LISTENER: Token = Token(0);
/// The token of the waker through which other threads wake the loop.
const WAKER: Token = Token(1);
/// The token of the signals the loop watches, if it watches any (chapter 10).
const SIGNALS: Token = Token(2);
/// Connection `i` of the slab is registered as `Token(FIRST_CONNECTION + i)`.
const FIRST_CONNECTION: usize = 3;
/// How long to stop accepting when the process is out of file descriptors.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// Most connections open at once beyond `max_connections`, each only to be told 503. A refused
/// connection lives for one tiny write and a lingering close (at most `linger_timeout`), but
/// it still holds a file descriptor: past this many, a new one is closed at once, unanswered.
const MAX_REFUSING: usize = 1024;

/// An answer computed on another thread, on its way back to the loop.
pub(crate) struct Completion {
    /// The connection the request came on.
    pub(crate) connection: Key,
    /// The request's place in the connection's pipeline.
    pub(crate) seq: u64,
    pub(crate) response: Response,
}

/// What the loop shares with other threads: answers coming back, stop requests, the waker.
pub(crate) type LoopShared = Handback<Completion, mio::Waker>;

/// A responder's answer goes into the hand-back, which wakes the loop (at most once a batch).
impl<W: Wake> Deliver for Handback<Completion, W> {
    fn deliver(&self, connection: Key, seq: u64, response: Response) {
        self.send(Completion {
            connection,
            seq,
            response,
        });
    }
}

/// Called on the loop thread for each signal the loop watches: the signal's number, and how
/// many signals have come so far (1 for the first).
pub(crate) type OnSignal = Box<dyn FnMut(i32, usize) + Send>;

/// Signals delivered to the loop through `signal-hook-mio`, and what to do with each.
pub(crate) struct SignalWatch {
    pub(crate) signals: signal_hook_mio::v1_0::Signals,
    pub(crate) on_signal: OnSignal,
    pub(crate) seen: usize,
}

/// What the loop has beyond its connections: optional parts a server may ask for.
#[derive(Default)]
pub(crate) struct Extras {
    /// Told of every answer and of the open connections.
    pub(crate) observer: Option<Arc<dyn Observe>>,
    /// SIGINT and SIGTERM: the first starts a drain.
    pub(crate) signals: Option<SignalWatch>,
    /// Told, once, when a drain has closed the last connection.
    pub(crate) drained: Option<mpsc::Sender<()>>,
}

pub(crate) struct EventLoop {
    poll: Poll,
    /// The listening socket; `None` once a drain has closed it.
    listener: Option<TcpListener>,
    /// Whether a drain has begun: no accepting, connections close as they fall idle.
    draining: bool,
    extras: Extras,
    connections: Slab<Connection>,
    timers: Timers,
    shared: Arc<LoopShared>,
    /// The same hand-back, as responders see it.
    deliver: Arc<dyn Deliver>,
    handler: Box<dyn Handler>,
    config: Config,
    /// The buffer every connection reads into before copying what it got.
    scratch: Box<[u8]>,
    /// Answers taken from the hand-back, reused from one wake-up to the next.
    completions: Vec<Completion>,
    /// The hooks this turn's handlers asked for, called at its end.
    end_of_turn: Vec<Arc<dyn EndOfTurn>>,
    /// The connections those answers belong to, likewise reused: no allocation per wake-up.
    touched: Vec<Key>,
    /// When to try `accept` again after running out of file descriptors.
    accept_paused_until: Option<Instant>,
    /// How many of `connections` were accepted beyond `max_connections`, only to be refused.
    refusing: usize,
    /// The `Date` header's value, refreshed once per loop turn.
    date: DateCache,
}

impl EventLoop {
    /// Registers the listener and the waker with a new `Poll`.
    pub(crate) fn new(
        mut listener: TcpListener,
        handler: Box<dyn Handler>,
        config: Config,
        mut extras: Extras,
    ) -> io::Result<EventLoop> {
        let poll = Poll::new()?;
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)?;
        if let Some(watch) = &mut extras.signals {
            poll.registry()
                .register(&mut watch.signals, SIGNALS, Interest::READABLE)?;
        }
        let waker = mio::Waker::new(poll.registry(), WAKER)?;
        let shared = Arc::new(Handback::new(waker));
        Ok(EventLoop {
            poll,
            listener: Some(listener),
            draining: false,
            extras,
            connections: Slab::default(),
            timers: Timers::default(),
            shared: Arc::clone(&shared),
            deliver: shared,
            handler,
            config,
            scratch: vec![0; 64 * 1024].into_boxed_slice(),
            completions: Vec::new(),
            end_of_turn: Vec::new(),
            touched: Vec::new(),
            accept_paused_until: None,
            refusing: 0,
            date: DateCache::default(),
        })
    }

    pub(crate) fn shared(&self) -> &Arc<LoopShared> {
        &self.shared
    }

    // ANCHOR: run
    // ANCHOR: run_poll
    /// Runs until a stop is requested through the hand-back ([`Handback::request_stop`]).
    pub(crate) fn run(mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        loop {
            let timeout = self.poll_timeout(Instant::now());
            if let Err(error) = self.poll.poll(&mut events, timeout) {
                // A signal arrived while we slept: nothing happened to our sockets.
                if error.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(error);
            }
            if self.shared.stop_requested() {
                return Ok(());
            }
            // ANCHOR_END: run_poll
            // ANCHOR: run_events
            let now = Instant::now();
            self.date.refresh(SystemTime::now());
            if !self.draining && self.shared.drain_requested() {
                self.begin_drain(now);
            }
            for event in &events {
                match event.token() {
                    LISTENER => self.accept(now),
                    WAKER => self.take_completions(now),
                    SIGNALS => self.take_signals(now),
                    Token(token) => {
                        let index = token - FIRST_CONNECTION;
                        // Events may be stale (for a connection closed earlier in this batch)
                        // or spurious: check before acting.
                        let Some((key, connection)) = self.connections.get_by_index(index) else {
                            continue;
                        };
                        let end_reported = event.is_read_closed() || event.is_error();
                        if event.is_readable() || end_reported {
                            connection.mark_readable(end_reported);
                        }
                        self.drive(key, now);
                    }
                }
            }
            self.expire_deadlines(now);
            if self.accept_paused_until.is_some_and(|until| until <= now) {
                self.accept_paused_until = None;
                self.accept(now);
            }
            self.after_turn();
        }
    }
    // ANCHOR_END: run_events
    // ANCHOR_END: run

    // ANCHOR: after_turn
    /// What the world hears of a turn: the hooks its handlers asked for
    /// ([`Defer::at_end_of_turn`](crate::Defer::at_end_of_turn)); the observer the open
    /// connections; a drain's waiter that it is over, once the last connection has closed.
    fn after_turn(&mut self) {
        for hook in self.end_of_turn.drain(..) {
            // A panicking hook is a bug in the server, but like a panicking handler it must
            // not take the loop, and every client with it, down.
            if catch_unwind(AssertUnwindSafe(|| hook.end_of_turn())).is_err() {
                log::error!("an end-of-turn hook panicked");
            }
        }
        if let Some(observer) = &self.extras.observer {
            observer.open_connections(self.connections.len());
        }
        if self.draining && self.connections.is_empty() {
            if let Some(drained) = self.extras.drained.take() {
                let _ = drained.send(());
            }
        }
    }
    // ANCHOR_END: after_turn

    // ANCHOR: begin_drain
    /// Starts a drain: closes the listener, so new clients are refused by the kernel, and asks
    /// every connection to finish what it is doing and close (see `Connection::drain`). The
    /// loop itself runs on — answers still come back, signals still arrive — until stopped.
    fn begin_drain(&mut self, now: Instant) {
        self.draining = true;
        self.accept_paused_until = None;
        if let Some(mut listener) = self.listener.take() {
            let _ = self.poll.registry().deregister(&mut listener);
        }
        for key in self.connections.keys() {
            let Some(connection) = self.connections.get_mut(key) else {
                continue;
            };
            let next = connection.drain();
            if next == Next::Close {
                self.close(key);
            } else {
                self.drive(key, now);
            }
        }
        log::info!(
            "draining: listener closed, {} connections finishing",
            self.connections.len()
        );
    }
    // ANCHOR_END: begin_drain

    // ANCHOR: take_signals
    /// Takes the signals that arrived: each goes to the server's callback, and the first
    /// starts a drain. (`signal-hook`'s handler only writes to a pipe the loop watches; all
    /// the work happens here, on the loop thread, where nothing is async-signal-unsafe.)
    fn take_signals(&mut self, now: Instant) {
        let Some(watch) = &mut self.extras.signals else {
            return;
        };
        let mut first = false;
        for signal in watch.signals.pending() {
            watch.seen += 1;
            first |= watch.seen == 1;
            (watch.on_signal)(signal, watch.seen);
        }
        if first && !self.draining {
            self.begin_drain(now);
        }
    }
    // ANCHOR_END: take_signals

    fn poll_timeout(&self, now: Instant) -> Option<Duration> {
        let accept = self
            .accept_paused_until
            .map(|until| until.saturating_duration_since(now));
        match (self.timers.poll_timeout(now), accept) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    // ANCHOR: accept
    // ANCHOR: accept_loop
    /// Accepts every pending connection (edge-triggered: until `WouldBlock`).
    fn accept(&mut self, now: Instant) {
        while self.accept_paused_until.is_none() {
            let Some(listener) = &self.listener else {
                return; // draining: a stale event
            };
            let (socket, _peer) = match listener.accept() {
                Ok(accepted) => accepted,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => continue,
                Err(e) => {
                    // Out of file descriptors (EMFILE) or the like. The pending connections
                    // stay in the kernel's queue; retrying at once would spin.
                    log::warn!("accept failed, pausing for {ACCEPT_BACKOFF:?}: {e}");
                    self.accept_paused_until = Some(now + ACCEPT_BACKOFF);
                    return;
                }
            };
            // ANCHOR_END: accept_loop
            // ANCHOR: accept_limit
            // Answers are small and written whole: do not let Nagle's algorithm hold them back.
            let _ = socket.set_nodelay(true);
            let connection = if self.connections.len() - self.refusing < self.config.max_connections
            {
                Connection::new(socket, now)
            } else if self.refusing < MAX_REFUSING {
                // Refused cleanly: a JSON 503 as the connection's only answer, then the
                // lingering close of every refusal (see `Connection::refused`).
                self.refusing += 1;
                Connection::refused(socket, now, too_many_connections())
            } else {
                continue; // Dropping the socket closes it.
            };
            let key = self.connections.insert(connection);
            let Some(connection) = self.connections.get_mut(key) else {
                continue;
            };
            let token = Token(FIRST_CONNECTION + key.index);
            let registered =
                self.poll
                    .registry()
                    .register(connection.socket(), token, Interest::READABLE);
            if let Err(e) = registered {
                log::warn!("could not register a connection: {e}");
                self.close(key);
                continue;
            }
            self.drive(key, now);
        }
    }
    // ANCHOR_END: accept_limit
    // ANCHOR_END: accept

    // ANCHOR: take_completions
    /// Takes every answer handed back since the last wake-up and drives its connection.
    fn take_completions(&mut self, now: Instant) {
        let mut completions = std::mem::take(&mut self.completions);
        self.shared.drain_into(&mut completions);
        let mut touched = std::mem::take(&mut self.touched);
        for completion in completions.drain(..) {
            // A connection that closed meanwhile (or whose slot now holds another
            // connection, under a new generation) is not found: the answer is dropped.
            if let Some(connection) = self.connections.get_mut(completion.connection) {
                connection.answer(completion.seq, completion.response);
                touched.push(completion.connection);
            }
        }
        self.completions = completions;
        touched.sort_unstable_by_key(|key| key.index);
        touched.dedup();
        for &key in &touched {
            self.drive(key, now);
        }
        touched.clear();
        self.touched = touched;
    }
    // ANCHOR_END: take_completions

    /// Drives one connection, then closes it or updates its interest and deadline.
    fn drive(&mut self, key: Key, now: Instant) {
        let Some(connection) = self.connections.get_mut(key) else {
            return;
        };
        let mut cx = Context {
            config: &self.config,
            handler: &*self.handler,
            deliver: &self.deliver,
            scratch: &mut self.scratch,
            date: self.date.text(),
            observer: self.extras.observer.as_deref(),
            end_of_turn: &mut self.end_of_turn,
            now,
        };
        let next = connection.drive(key, &mut cx);
        self.settle(key, next);
    }

    // ANCHOR: settle
    /// After a connection changed: close it, or register the interest and deadline it needs.
    fn settle(&mut self, key: Key, next: Next) {
        if next == Next::Close {
            self.close(key);
            return;
        }
        let Some(connection) = self.connections.get_mut(key) else {
            return;
        };
        let wants_write = connection.wants_write();
        if connection.set_write_interest(wants_write) {
            let interest = if wants_write {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            let token = Token(FIRST_CONNECTION + key.index);
            if self
                .poll
                .registry()
                .reregister(connection.socket(), token, interest)
                .is_err()
            {
                self.close(key);
                return;
            }
        }
        if let Some((at, _)) = connection.deadline(&self.config) {
            // Push only a deadline earlier than the one already in the heap (see `timers`).
            if connection.scheduled.is_none_or(|scheduled| at < scheduled) {
                connection.scheduled = Some(at);
                self.timers.push(at, key);
            }
        }
    }
    // ANCHOR_END: settle

    /// Closes a connection: dropping its socket also removes it from the `Poll`. Its entry in
    /// the deadline heap stays until it falls due, unless dead entries have come to outnumber
    /// the live ones: then they are swept out (see `timers`).
    fn close(&mut self, key: Key) {
        if self
            .connections
            .remove(key)
            .is_some_and(|connection| connection.is_beyond_limit())
        {
            self.refusing -= 1;
        }
        if self.timers.len() > 2 * self.connections.len() + 64 {
            let connections = &mut self.connections;
            self.timers.retain(|at, key| {
                connections
                    .get_mut(key)
                    .is_some_and(|connection| connection.scheduled == Some(at))
            });
        }
    }

    // ANCHOR: expire
    /// Acts on every deadline that has fallen due.
    fn expire_deadlines(&mut self, now: Instant) {
        while let Some((at, key)) = self.timers.pop_due(now) {
            let Some(connection) = self.connections.get_mut(key) else {
                continue; // The connection has closed since.
            };
            if connection.scheduled != Some(at) {
                continue; // A stale entry: an earlier one replaced it.
            }
            connection.scheduled = None;
            let next = match connection.deadline(&self.config) {
                Some((due, expiry)) if due <= now => connection.expire(expiry, now),
                // The deadline moved later since the entry was pushed: `settle` re-pushes it.
                _ => Next::Keep,
            };
            if next == Next::Keep {
                self.drive(key, now);
            } else {
                self.settle(key, next);
            }
        }
    }
    // ANCHOR_END: expire
}

/// What a connection beyond `max_connections` is told.
fn too_many_connections() -> Response {
    let message = "the server is at its connection limit";
    Response::error(503, "too_many_connections", message).with_header("Retry-After", "1")
}
