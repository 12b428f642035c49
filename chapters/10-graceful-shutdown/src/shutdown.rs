//! Graceful shutdown: on the first SIGINT or SIGTERM, stop taking work, finish what was
//! taken — within a deadline — and account for every job before exiting.
//!
//! ```text
//!  signal 1 ──▶ event loop (signal-hook-mio)  ──▶ /ready → 503 · listener closed
//!                 │                                idle connections closed
//!                 │                                busy ones: last answer "Connection: close"
//!                 └─▶ main thread: drain()
//!                       1. take no more jobs; those taken go on (in memory: the pool
//!                          refuses new ones; on Redis: stop reading the stream)
//!                       2. wait until every accepted job has ended, or the drain deadline
//!                       3. at the deadline: cancel the rest, marked `cancelled` with why —
//!                          which answers every long poll still waiting
//!                       4. wait for the connections to finish their last answers
//!                       5. stop the loop; log the accounting; exit 0
//!  signal 2 ──▶ exit at once, non-zero
//! ```
//!
//! Go's `http.Server.Shutdown` does steps 1 and 4 for HTTP; the jobs are the server's own
//! business in Go as here.

use crate::app::Monitoring;
use crate::tally::Tally;
use http_loop::RunningServer;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The drain deadline unless `--drain` says otherwise.
pub const DEFAULT_DRAIN: Duration = Duration::from_secs(30);

/// How long past the drain deadline the connections may take to write their last answers (the
/// long polls the deadline's cancellations just answered, among them). Connections that finish
/// sooner end the wait sooner.
pub const LAST_ANSWERS: Duration = Duration::from_secs(2);

/// The error a job cancelled at the drain deadline is marked with.
pub const CANCELLED_AT_SHUTDOWN: &str = "the server shut down before the job finished";

// ANCHOR: shutdown_flag
/// Whether the server is draining: what `/ready` answers.
#[derive(Debug, Default)]
pub struct Shutdown {
    draining: AtomicBool,
}

impl Shutdown {
    /// Marks the server as draining. Returns `true` the first time.
    pub fn begin(&self) -> bool {
        // Relaxed: the flag is all there is to it; nothing read after it depends on it.
        !self.draining.swap(true, Ordering::Relaxed)
    }

    /// Whether the server drains.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }
}
// ANCHOR_END: shutdown_flag

/// How a drain went: what the last log lines say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Report {
    /// From the start of the drain to the loop's end.
    pub took: Duration,
    /// Every job accepted, and how it ended.
    pub jobs: Tally,
    /// Jobs cancelled because the deadline came first.
    pub cancelled_at_deadline: usize,
    /// Whether some connection was still busy when the loop stopped (its client got no
    /// answer to a request in flight).
    pub connections_cut: bool,
}

// ANCHOR: drain
/// Drains `server` and the jobs of `monitoring` by `deadline`, then stops the loop. A signal
/// has usually started the loop's drain already; asking again is harmless.
///
/// # Errors
///
/// The event loop's own error, if it failed.
pub fn drain(
    server: RunningServer,
    monitoring: &Monitoring,
    deadline: Instant,
) -> io::Result<Report> {
    let started = Instant::now();
    server.drain();
    monitoring.jobs.stop_taking_jobs(); // jobs taken still run; new ones are refused
    let settled = monitoring.tally.wait_settled(Some(deadline));
    let cancelled_at_deadline = if settled {
        0
    } else {
        // Final at once — and each job's long polls answered with it; the work itself stops
        // the next time it looks at its context.
        monitoring.jobs.cancel_unfinished(CANCELLED_AT_SHUTDOWN)
    };
    let drained = server.wait_drained(deadline.max(Instant::now()) + LAST_ANSWERS);
    server.stop()?;
    Ok(Report {
        took: started.elapsed(),
        jobs: monitoring.tally.snapshot(),
        cancelled_at_deadline,
        connections_cut: !drained,
    })
}
// ANCHOR_END: drain

// ANCHOR: accounting
impl Report {
    /// The accounting line: every accepted job, and how it ended.
    pub fn accounting(&self) -> String {
        let jobs = self.jobs;
        format!(
            "shutdown: jobs accepted {} = completed {} + failed {} + cancelled {} ({} at the drain deadline) + lost {}",
            jobs.accepted,
            jobs.completed,
            jobs.failed,
            jobs.cancelled,
            self.cancelled_at_deadline,
            jobs.unfinished()
        )
    }
}
// ANCHOR_END: accounting
