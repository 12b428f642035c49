//! How application code answers a request: now, on the loop thread, or later, from any thread.
//!
//! The event loop calls [`Handler::handle`] on its own thread for every request. A cheap
//! request (`GET /health`) answers at once with [`Reply::Now`]; the answer goes straight into
//! the connection's output, with no channel and no wake-up. A request that needs real work must
//! not do it here — it would stall every other client of the loop — so it asks [`Defer::later`]
//! for a [`Responder`], moves the responder to another thread, and returns the `Reply` that
//! `later` gave it. When the work is done, [`Responder::send`] hands the answer back to the loop
//! through the [hand-back](crate::handback) and wakes it.
//!
//! ```
//! use http_loop::{Defer, Reply, Request, Response};
//!
//! fn slow(request: Request, defer: Defer<'_>) -> Reply {
//!     let (responder, reply) = defer.later();
//!     std::thread::spawn(move || {
//!         let answer = format!("you asked for {}", request.path());
//!         responder.send(Response::text(200, answer));
//!     });
//!     reply
//! }
//! ```
//!
//! `Reply::Later` can only be made by `later`, so a handler cannot promise an answer without
//! creating the means to send it. A responder dropped without sending — forgotten, or dropped
//! by a panicking thread — sends a 500 from its `Drop`, so the client is never left waiting.

use crate::request::Request;
use crate::response::Response;
use crate::slab::Key;
use std::sync::Arc;
use std::time::Instant;

// ANCHOR: deliver
/// Where a [`Responder`]'s answer goes. In a server, the event loop's
/// [hand-back](crate::handback), which wakes the loop; in a loom model or a test, anything that
/// keeps the answers. A trait, so that protocols built on responders — chapter 5's long polls —
/// can be model-checked without an event loop.
pub trait Deliver: Send + Sync {
    /// Hands the answer to request `seq` of `connection` on.
    fn deliver(&self, connection: Key, seq: u64, response: Response);
}
// ANCHOR_END: deliver

/// Answers requests. Implemented by the [`Router`](crate::Router) and by any
/// `Fn(Request, Defer<'_>) -> Reply`.
pub trait Handler: Send + Sync + 'static {
    /// Answers `request`, now or [later](Defer::later). Runs on the event-loop thread: it must
    /// return quickly and never block.
    fn handle(&self, request: Request, defer: Defer<'_>) -> Reply;
}

impl<F> Handler for F
where
    F: Fn(Request, Defer<'_>) -> Reply + Send + Sync + 'static,
{
    fn handle(&self, request: Request, defer: Defer<'_>) -> Reply {
        self(request, defer)
    }
}

/// What a handler returns.
#[derive(Debug)]
pub enum Reply {
    /// The answer, computed on the loop thread.
    Now(Response),
    /// The answer will come through a [`Responder`]. Made only by [`Defer::later`].
    Later(Deferred),
}

/// Proof that a [`Responder`] exists for a request answered [`Reply::Later`].
#[derive(Debug)]
pub struct Deferred(());

/// Why the event loop gave up on a request before its answer arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Abandoned {
    /// The client closed its side of the connection, or the connection broke or was closed.
    HangUp,
    /// The request's [deadline](Defer::deadline) passed; the loop has answered 504.
    Deadline,
}

/// What the loop watches for on behalf of a deferred request.
#[derive(Default)]
pub(crate) struct Watch {
    /// When the loop answers itself if no answer has come.
    pub(crate) deadline: Option<Instant>,
    /// What it answers then; a 504 if `None`.
    pub(crate) on_deadline: Option<Box<dyn FnOnce() -> Response + Send>>,
    /// Called, on the loop thread, if the request is abandoned before it is answered.
    pub(crate) on_abandon: Option<Box<dyn FnOnce(Abandoned) + Send>>,
}

// ANCHOR: end_of_turn
/// Work a handler leaves for the end of the loop's turn, once every ready connection has been
/// served: chapter 5 hands the jobs it accepted during a turn to its workers there, all at
/// once, with one lock and at most one wake-up. Runs on the loop thread: it must be quick and
/// never block.
pub trait EndOfTurn: Send + Sync {
    /// Called once at the end of a turn in which any handler asked for it.
    fn end_of_turn(&self);
}
// ANCHOR_END: end_of_turn

/// The means to answer a request later, handed to every handler call.
pub struct Defer<'a> {
    pub(crate) deliver: &'a Arc<dyn Deliver>,
    pub(crate) connection: Key,
    pub(crate) seq: u64,
    /// Filled by `deadline` and `on_abandon`, kept by the connection.
    pub(crate) watch: &'a mut Watch,
    /// What this turn's handlers asked to have called at its end; each hook once.
    pub(crate) end_of_turn: &'a mut Vec<Arc<dyn EndOfTurn>>,
}

impl Defer<'_> {
    // ANCHOR: later
    /// Creates the [`Responder`] for this request, and the [`Reply`] to return.
    pub fn later(self) -> (Responder, Reply) {
        let responder = Responder::new(Arc::clone(self.deliver), self.connection, self.seq);
        (responder, Reply::Later(Deferred(())))
    }
    // ANCHOR_END: later

    // ANCHOR: watch
    /// If the client hangs up, or the [deadline](Self::deadline) passes, before this request
    /// is answered, the loop calls `on_abandon` with the reason. It runs on the loop thread,
    /// so it must be quick: cancelling the request's context is what it is for (chapter 3).
    /// Once the request is answered, the callback is dropped, never called.
    pub fn on_abandon(self, on_abandon: impl FnOnce(Abandoned) + Send + 'static) -> Self {
        self.watch.on_abandon = Some(Box::new(on_abandon));
        self
    }

    /// If no answer has come by `deadline`, the loop answers `504` itself, abandons the
    /// request (see [`on_abandon`](Self::on_abandon)), and ignores the late answer (chapter 4).
    pub fn deadline(self, deadline: Instant) -> Self {
        self.watch.deadline = Some(deadline);
        self
    }

    /// Like [`deadline`](Self::deadline), but at `deadline` the loop answers with what
    /// `answer` returns instead of a 504: a long poll's "not yet" (chapter 5). `answer` runs
    /// on the loop thread, so it must be quick.
    pub fn deadline_answer(
        self,
        deadline: Instant,
        answer: impl FnOnce() -> Response + Send + 'static,
    ) -> Self {
        self.watch.on_deadline = Some(Box::new(answer));
        self.deadline(deadline)
    }
    // ANCHOR_END: watch

    // ANCHOR: at_end_of_turn
    /// Asks the loop to call `hook` at the end of this turn — once, however many of the
    /// turn's requests ask. The loop, not the handler, decides when a turn ends: a handler
    /// that collects work in `handle` and hands it on here never misses the end of a turn,
    /// whatever wraps it.
    pub fn at_end_of_turn(&mut self, hook: &Arc<dyn EndOfTurn>) {
        let asked = self
            .end_of_turn
            .iter()
            .any(|asked| std::ptr::addr_eq(Arc::as_ptr(asked), Arc::as_ptr(hook)));
        if !asked {
            self.end_of_turn.push(Arc::clone(hook));
        }
    }
    // ANCHOR_END: at_end_of_turn
}

/// Sends the answer to one request back to the event loop, from any thread.
pub struct Responder {
    deliver: Arc<dyn Deliver>,
    connection: Key,
    seq: u64,
    sent: bool,
}

impl Responder {
    /// A responder for request `seq` of `connection` that answers through `deliver`. A handler
    /// gets its responder from [`Defer::later`]; this is for models and tests of code that
    /// holds responders.
    pub fn new(deliver: Arc<dyn Deliver>, connection: Key, seq: u64) -> Responder {
        Responder {
            deliver,
            connection,
            seq,
            sent: false,
        }
    }

    // ANCHOR: send
    /// Sends the answer. The loop writes it once every earlier request of the connection has
    /// been answered. If the client is gone, the answer is dropped.
    pub fn send(mut self, response: Response) {
        self.sent = true;
        self.deliver.deliver(self.connection, self.seq, response);
    }
    // ANCHOR_END: send

    // ANCHOR: dismiss
    /// Gives up on answering, silently, for a request the loop has already abandoned: its
    /// client hung up, or its deadline passed and the loop answered it (see
    /// [`Defer::on_abandon`]). Dropping the responder instead would send a 500 — to a client
    /// that is gone, or, on the deadline path, as a useless extra completion and wake-up.
    pub fn dismiss(mut self) {
        self.sent = true;
    }
    // ANCHOR_END: dismiss
}

// ANCHOR: drop
impl Drop for Responder {
    fn drop(&mut self) {
        if self.sent {
            return;
        }
        let response = if std::thread::panicking() {
            Response::error(500, "handler_panicked", "the request's handler panicked")
        } else {
            Response::error(500, "no_response", "the request's handler sent no answer")
        };
        self.deliver.deliver(self.connection, self.seq, response);
    }
}
// ANCHOR_END: drop
