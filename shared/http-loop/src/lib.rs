//! A hand-written mio event loop and HTTP/1.1 layer: the ground every chapter's server stands on.
//!
//! One thread runs the loop and owns every connection; handlers answer cheap requests on it at
//! once and hand real work to other threads, whose answers come back through a
//! [hand-back](handback) that wakes the loop. The book's chapter 0 walks through it.
//!
//! The crate, one idea a file:
//!
//! | module | what it holds |
//! |---|---|
//! | [`server`] | `Server::bind`, `RunningServer::stop`, `drain`: start and stop a server |
//! | `event_loop` | the `Poll` loop: accept, dispatch events, take answers, expire deadlines |
//! | `connection` | one connection: read, parse, dispatch, flush, write; its deadline |
//! | [`parse`] | incremental parsing on `httparse`, and every refusal of a malformed request |
//! | `pipeline` | answers in request order when handlers finish out of order |
//! | [`handler`] | `Handler`, `Reply::Now`, `Defer::later`, `Responder`; hang-up and deadline watch |
//! | [`handback`] | answers from other threads to the loop, with coalesced wake-ups (loom-checked) |
//! | [`router`] | method and path to handler; 404 and 405 with `Allow` |
//! | [`slab`] | connections by token, with index reuse and generations |
//! | `timers` | the deadline heap behind `poll`'s timeout |
//! | [`config`] | limits and timeouts |
//! | [`request`], [`response`] | the messages; JSON error bodies |
//! | [`query`] | query parameters, percent-decoded, each name at most once |
//! | [`dates`] | the `Date` header and RFC 3339 timestamps |
//! | [`observe`] | what the loop tells an observer: answers written, connections open |
//! | [`logging`], [`cli`] | what every chapter's `main` shares |
//! | [`answers`] | a `Deliver` that keeps answers, for models of code that holds responders |

pub mod answers;
pub mod cli;
pub mod config;
mod connection;
pub mod dates;
mod event_loop;
pub mod handback;
pub mod handler;
pub mod logging;
pub mod observe;
pub mod parse;
mod pipeline;
pub mod query;
pub mod request;
pub mod response;
pub mod router;
pub mod server;
pub mod slab;
mod timers;

pub use config::Config;
pub use handler::{Abandoned, Defer, Deliver, EndOfTurn, Handler, Reply, Responder};
pub use observe::{Answered, Observe};
pub use query::QueryError;
pub use request::{Method, Request, RequestId, Version};
pub use response::Response;
pub use router::Router;
pub use server::{RunningServer, Server};
