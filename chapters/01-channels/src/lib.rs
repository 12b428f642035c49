//! Chapter 1: channels, and the simplest server — a new thread for every request.
//!
//! The event loop (chapter 0, the `http-loop` crate) reads a request and calls the router on
//! its own thread. `GET /health` is answered right there. `GET /primes?limit=N` is real work,
//! so its handler asks for a [`Responder`](http_loop::Responder), starts a thread through
//! [`ThreadPerRequest`], and returns; the thread counts the primes and sends the answer back
//! over the loop's hand-back channel, which wakes the loop to write it.
//!
//! This is Go's "goroutine per request", and it has Go's problem without Go's cheap
//! goroutines: a burst of slow requests is a burst of OS threads. Chapter 2 bounds it with a
//! worker pool.
//!
//! | file | what it shows |
//! |---|---|
//! | `thread_per_request.rs` | spawning a named thread per request, and never losing one |
//! | `primes.rs` | the CPU work the server does (chapter 6 fans it out) |
//! | `app.rs` | the routes of this chapter's server |
//! | `examples/` | the channel patterns of the Go guide's §10, without HTTP |

mod app;
pub mod primes;
pub mod thread_per_request;

pub use app::{PRIMES_LIMIT_MAX, health, primes_answer, primes_limit, router};
pub use thread_per_request::ThreadPerRequest;
