//! A thread per request, named after it, and never lost.
//!
//! Go's `go handle(req)` forgets the goroutine; Rust's `thread::spawn` returns a `JoinHandle`
//! that can be forgotten too — a *detached* thread, which nothing waits for. That is the Go
//! guide's first pitfall, the goroutine leak: a server that stops while detached threads still
//! run has no idea what they are doing. `ThreadPerRequest` keeps every handle; it joins the
//! finished ones as it goes, so the list stays as long as the number of running threads, and
//! joins the rest when it is dropped. Dropping it is the Rust counterpart of
//! `sync.WaitGroup.Wait`.
//!
//! ```
//! use ch01_channels::ThreadPerRequest;
//! use std::sync::mpsc;
//!
//! let threads = ThreadPerRequest::default();
//! let (tx, rx) = mpsc::channel();
//! threads.spawn("request-1".into(), move || tx.send(6 * 7).unwrap()).unwrap();
//! assert_eq!(rx.recv().unwrap(), 42);
//! drop(threads); // joins the thread
//! ```

use std::io;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};

/// Spawns one named thread per request and joins every one of them.
#[derive(Default)]
pub struct ThreadPerRequest {
    /// Handles of the threads that were running at the last spawn.
    running: Mutex<Vec<JoinHandle<()>>>,
}

impl ThreadPerRequest {
    // ANCHOR: spawn
    /// Runs `work` on a new thread called `name`.
    ///
    /// # Errors
    ///
    /// When the OS refuses another thread (too many running): the caller answers 503.
    pub fn spawn(&self, name: String, work: impl FnOnce() + Send + 'static) -> io::Result<()> {
        let handle = thread::Builder::new().name(name).spawn(work)?;
        let mut running = self.lock();
        // Join the threads that have finished, so the list only holds running ones. Joining a
        // finished thread does not wait: it only collects what the thread left behind.
        let mut i = 0;
        while i < running.len() {
            if running[i].is_finished() {
                Self::join(running.swap_remove(i));
            } else {
                i += 1;
            }
        }
        running.push(handle);
        Ok(())
        // The lock is taken only after the thread is started, and released here, when
        // `running` goes out of scope: starting a thread (a system call) happens outside it,
        // so one request's spawn never waits for another's.
    }
    // ANCHOR_END: spawn

    /// How many spawned threads have not been joined yet.
    pub fn unjoined(&self) -> usize {
        self.lock().len()
    }

    // ANCHOR: join_all
    /// Waits for every thread spawned so far.
    pub fn join_all(&self) {
        // Take the handles out first: joining while holding the lock would block a concurrent
        // `spawn` for as long as the slowest request runs.
        let handles = std::mem::take(&mut *self.lock());
        handles.into_iter().for_each(Self::join);
    }

    fn join(handle: JoinHandle<()>) {
        let name = handle.thread().name().unwrap_or("unnamed").to_owned();
        if handle.join().is_err() {
            // The panic was already reported by the panic hook, and the request's responder
            // answered 500 as it was dropped; nothing is left to do but say so.
            log::warn!("thread {name} panicked");
        }
    }
    // ANCHOR_END: join_all

    fn lock(&self) -> MutexGuard<'_, Vec<JoinHandle<()>>> {
        // A panic while holding this lock cannot leave the Vec half-changed.
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

// ANCHOR: drop
impl Drop for ThreadPerRequest {
    fn drop(&mut self) {
        self.join_all();
    }
}
// ANCHOR_END: drop
