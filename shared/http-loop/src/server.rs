//! Starting and stopping a server: the public face of the event loop.
//!
//! ```no_run
//! use http_loop::{Method, Reply, Response, Router, Server};
//!
//! let router = Router::new()
//!     .route(Method::Get, "/health", |_, _| Reply::Now(Response::text(200, "ok")));
//! let server = Server::new(router).bind("127.0.0.1:8080")?;
//! println!("listening on http://{}", server.local_addr());
//! server.wait()?; // serves until the process ends
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Tests bind `127.0.0.1:0` (any free port), read the port from `local_addr`, and call
//! [`RunningServer::stop`], which returns only once the loop thread has ended and dropped the
//! handler — and with it whatever the handler owned.
//!
//! A server that must stop without dropping anyone (chapter 10) drains first:
//! [`RunningServer::drain`] — or SIGINT/SIGTERM, with [`Server::drain_on_signals`] — closes the
//! listener and lets every connection finish its requests and close; [`RunningServer::wait_drained`]
//! says when the last one has; then `stop`.

use crate::config::Config;
use crate::event_loop::{EventLoop, Extras, LoopShared, OnSignal, SignalWatch};
use crate::handler::Handler;
use crate::observe::Observe;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread::JoinHandle;
use std::time::Instant;

/// A server not yet listening: a handler, a configuration, and what else the loop should do.
pub struct Server {
    handler: Box<dyn Handler>,
    config: Config,
    observer: Option<Arc<dyn Observe>>,
    on_signal: Option<OnSignal>,
}

impl Server {
    /// A server answering with `handler`, with the default [`Config`].
    pub fn new(handler: impl Handler) -> Server {
        Server {
            handler: Box::new(handler),
            config: Config::default(),
            observer: None,
            on_signal: None,
        }
    }

    /// Tells `observer` of every answer and of the open connections (see [`Observe`]).
    pub fn observe(mut self, observer: Arc<dyn Observe>) -> Server {
        self.observer = Some(observer);
        self
    }

    // ANCHOR: drain_on_signals
    /// Watches SIGINT and SIGTERM on the loop, through `signal-hook-mio`: the first starts a
    /// [drain](RunningServer::drain). `on_signal` runs on the loop thread for every one, with
    /// the signal's number and how many have come (1 for the first): what a second means —
    /// Go's habit is "exit now" — is the server's to decide.
    pub fn drain_on_signals(
        mut self,
        on_signal: impl FnMut(i32, usize) + Send + 'static,
    ) -> Server {
        self.on_signal = Some(Box::new(on_signal));
        self
    }
    // ANCHOR_END: drain_on_signals

    /// Replaces the configuration.
    pub fn with_config(mut self, config: Config) -> Server {
        self.config = config;
        self
    }

    /// Listens on `addr` and starts the event loop on a thread named `event-loop`.
    ///
    /// # Errors
    ///
    /// When `addr` does not resolve, cannot be bound, or the loop cannot be set up.
    pub fn bind(self, addr: impl ToSocketAddrs) -> io::Result<RunningServer> {
        let addr = addr.to_socket_addrs()?.next().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "the address resolves to nothing",
            )
        })?;
        let listener = listen(addr, self.config.listen_backlog)?;
        let local_addr = listener.local_addr()?;
        let (drained_tx, drained) = mpsc::channel();
        let signals = match self.on_signal {
            Some(on_signal) => Some(SignalWatch {
                signals: signal_hook_mio::v1_0::Signals::new([
                    signal_hook::consts::SIGINT,
                    signal_hook::consts::SIGTERM,
                ])?,
                on_signal,
                seen: 0,
            }),
            None => None,
        };
        let extras = Extras {
            observer: self.observer,
            signals,
            drained: Some(drained_tx),
        };
        let event_loop = EventLoop::new(listener, self.handler, self.config, extras)?;
        let shared = Arc::clone(event_loop.shared());
        let thread = std::thread::Builder::new()
            .name("event-loop".into())
            .spawn(move || event_loop.run())?;
        Ok(RunningServer {
            local_addr,
            shared,
            thread: Some(thread),
            drained: Mutex::new(drained),
        })
    }
}

/// Binds a non-blocking listening socket. std's and mio's `bind` fix the backlog — the
/// kernel's queue of connections that completed their handshake but were not yet accepted —
/// at 128. A burst of more clients than that overflows it, and the kernel drops their
/// handshakes, which the clients retry only after a second. `socket2` lets us choose.
fn listen(addr: SocketAddr, backlog: i32) -> io::Result<mio::net::TcpListener> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        None,
    )?;
    // A restarted server can bind its port at once, without waiting out TIME_WAIT.
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(backlog)?;
    Ok(mio::net::TcpListener::from_std(socket.into()))
}

/// A server whose event loop is running. Dropping it stops the loop and waits for it.
pub struct RunningServer {
    local_addr: SocketAddr,
    shared: Arc<LoopShared>,
    thread: Option<JoinHandle<io::Result<()>>>,
    /// Hears from the loop once a drain has closed the last connection. (In a mutex only to
    /// keep `RunningServer` `Sync`: tests share one between threads.)
    drained: Mutex<mpsc::Receiver<()>>,
}

impl RunningServer {
    /// The address the server listens on (with the real port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops the loop, closes every connection, drops the handler, and waits for all of it.
    ///
    /// # Errors
    ///
    /// The loop's own error, if it failed before it was stopped.
    pub fn stop(mut self) -> io::Result<()> {
        self.shared.request_stop();
        self.join()
    }

    // ANCHOR: drain
    /// Starts a drain, as the first SIGINT or SIGTERM does with
    /// [`drain_on_signals`](Server::drain_on_signals): the listener closes; idle connections
    /// close; a busy one answers its requests in flight, the last with `Connection: close`,
    /// and closes. The loop runs on until [`stop`](Self::stop).
    pub fn drain(&self) {
        self.shared.request_drain();
    }

    /// Waits until a drain has closed the last connection, or `deadline` passes: `true` if it
    /// has. (Also `true` if the loop has ended.)
    pub fn wait_drained(&self, deadline: Instant) -> bool {
        let timeout = deadline.saturating_duration_since(Instant::now());
        let drained = self.drained.lock().unwrap_or_else(PoisonError::into_inner);
        !matches!(
            drained.recv_timeout(timeout),
            Err(mpsc::RecvTimeoutError::Timeout)
        )
    }
    // ANCHOR_END: drain

    /// Waits for the loop to end, which it does only if it fails: serves "forever".
    ///
    /// # Errors
    ///
    /// The loop's error.
    pub fn wait(mut self) -> io::Result<()> {
        self.join()
    }

    fn join(&mut self) -> io::Result<()> {
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(io::Error::other("the event loop panicked")),
            None => Ok(()),
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.shared.request_stop();
            let _ = self.join();
        }
    }
}
