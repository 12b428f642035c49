//! Fan-out/fan-in by hand: named worker threads take parts from one bounded channel, send
//! their results into one channel, and a [`WaitGroup`] closes that channel when the last
//! worker ends — the Go guide's §2, thread for goroutine.
//!
//! Use it when a job splits into independent parts whose results combine: segments of a
//! sieve, files of a directory, pages of a report. [`FanOut::run`] hands results over as they
//! come; [`FanOut::run_in_order`] puts them back in input order.
//!
//! ```text
//!                       ┌─▶ worker-0 ─┐
//!  parts ─▶ feed ─▶ [ bounded ] ─▶ worker-1 ─▶ [ results ] ─▶ fan-in (the caller)
//!                       └─▶ worker-N ─┘            ▲
//!                                   closer: wait group reaches 0, then close
//! ```
//!
//! Every thread is a scoped thread: `run` returns only when all of them have ended, so a
//! cancelled job, or a caller that stops reading early, leaves no thread behind (the guide's
//! goroutine-leak pitfall, which Go has to avoid by discipline).

use crate::wait_group::WaitGroup;
use ch03_context::{Context, Reason};
use crossbeam_channel::{Sender, bounded, select};
use std::collections::BTreeMap;
use std::io;
use std::ops::ControlFlow;
use std::thread::{self, Scope, ScopedJoinHandle};

/// Why a fan-out gave no complete answer.
#[derive(Debug)]
pub enum FanOutError {
    /// The context ended before every part was done.
    Stopped(Reason),
    /// The operating system refused a thread.
    NoThread(io::Error),
}

impl From<Reason> for FanOutError {
    fn from(reason: Reason) -> FanOutError {
        FanOutError::Stopped(reason)
    }
}

/// A fan-out over `workers` threads named `NAME-0`, `NAME-1`, …
#[derive(Clone, Copy, Debug)]
pub struct FanOut {
    name: &'static str,
    workers: usize,
}

impl FanOut {
    /// A fan-out over `workers` threads (at least one), named after `name`.
    pub fn new(name: &'static str, workers: usize) -> FanOut {
        FanOut {
            name,
            workers: workers.max(1),
        }
    }

    /// How many worker threads it runs.
    pub fn workers(&self) -> usize {
        self.workers
    }

    // ANCHOR: run
    // ANCHOR: run_workers
    /// Runs `work` on every part, on the workers, and passes each result with its part's index
    /// to `fan_in`, on the calling thread, **as it comes**. `fan_in` may stop early by
    /// returning `Break`: the workers then stop too.
    ///
    /// # Errors
    ///
    /// [`FanOutError::Stopped`] when `ctx` ended before every result was fanned in;
    /// [`FanOutError::NoThread`] when a thread could not be started.
    pub fn run<P: Send, R: Send>(
        &self,
        ctx: &Context,
        parts: impl IntoIterator<Item = P, IntoIter: Send>,
        work: impl Fn(P) -> R + Sync,
        mut fan_in: impl FnMut(usize, R) -> ControlFlow<()>,
    ) -> Result<(), FanOutError> {
        let parts = parts.into_iter();
        let (part_tx, part_rx) = bounded::<(usize, P)>(self.workers);
        let (result_tx, result_rx) = bounded::<(usize, R)>(self.workers);
        let (mut fanned_in, mut stopped_early) = (0, false);
        let fed = thread::scope(|scope| -> Result<Fed, FanOutError> {
            let group = WaitGroup::new();
            for n in 0..self.workers {
                let done = group.add(); // before the thread starts: `wait` must count it
                let (parts, results, work) = (part_rx.clone(), result_tx.clone(), &work);
                self.spawn(scope, &n.to_string(), move || {
                    let _done = done; // dropped when the worker ends, however it ends
                    for (index, part) in parts {
                        if ctx.is_done() || results.send((index, work(part))).is_err() {
                            break; // cancelled, or nobody reads the results any more
                        }
                    }
                })?;
            }
            // ANCHOR_END: run_workers
            // ANCHOR: run_fan_in
            drop(part_rx); // the workers hold the only receivers now
            let feeder = self.spawn(scope, "feed", move || feed(ctx, parts, &part_tx))?;
            self.spawn(scope, "closer", move || {
                group.wait();
                drop(result_tx); // Go's close(results): the last sender is gone
            })?;
            for (index, result) in &result_rx {
                fanned_in += 1;
                if fan_in(index, result).is_break() {
                    stopped_early = true;
                    break;
                }
            }
            drop(result_rx); // stopping early: every worker's next send fails, and it ends
            feeder
                .join()
                .map_err(|panic| std::panic::resume_unwind(panic))
        })?;
        if stopped_early || fed.all && fanned_in == fed.sent {
            Ok(())
        } else {
            // Parts were left undone, and only the context stops the feeder and the workers.
            Err(FanOutError::Stopped(ctx.err().unwrap_or(Reason::Cancelled)))
        }
    }
    // ANCHOR_END: run_fan_in
    // ANCHOR_END: run

    // ANCHOR: run_in_order
    /// As [`run`](Self::run), but `fan_in` gets the results **in the parts' order**: a result
    /// that comes early waits in a map until those before it have come.
    ///
    /// # Errors
    ///
    /// As [`run`](Self::run).
    pub fn run_in_order<P: Send, R: Send>(
        &self,
        ctx: &Context,
        parts: impl IntoIterator<Item = P, IntoIter: Send>,
        work: impl Fn(P) -> R + Sync,
        mut fan_in: impl FnMut(R) -> ControlFlow<()>,
    ) -> Result<(), FanOutError> {
        let mut early = BTreeMap::new();
        let mut next = 0;
        self.run(ctx, parts, work, |index, result| {
            early.insert(index, result);
            // Hand over every result that is now next in line.
            while let Some(result) = early.remove(&next) {
                next += 1;
                fan_in(result)?;
            }
            ControlFlow::Continue(())
        })
    }
    // ANCHOR_END: run_in_order

    fn spawn<'scope, T: Send + 'scope>(
        &self,
        scope: &'scope Scope<'scope, '_>,
        role: &str,
        body: impl FnOnce() -> T + Send + 'scope,
    ) -> Result<ScopedJoinHandle<'scope, T>, FanOutError> {
        thread::Builder::new()
            .name(format!("{}-{role}", self.name))
            .spawn_scoped(scope, body)
            .map_err(FanOutError::NoThread)
    }
}

/// What the feeder did: how many parts it sent, and whether that was all of them.
struct Fed {
    sent: usize,
    all: bool,
}

// ANCHOR: feed
/// Sends each part with its index until the parts run out, every worker has gone, or the
/// context ends — also while it waits for room in the channel.
fn feed<P>(ctx: &Context, parts: impl IntoIterator<Item = P>, to: &Sender<(usize, P)>) -> Fed {
    let (done, deadline) = (ctx.done(), ctx.deadline_timer());
    let mut sent = 0;
    for part in parts {
        if ctx.is_done() {
            return Fed { sent, all: false };
        }
        select! {
            send(to, (sent, part)) -> result => if result.is_err() {
                return Fed { sent, all: false };
            },
            recv(done) -> _ => return Fed { sent, all: false },
            recv(deadline) -> _ => return Fed { sent, all: false },
        }
        sent += 1;
    }
    Fed { sent, all: true }
}
// ANCHOR_END: feed
