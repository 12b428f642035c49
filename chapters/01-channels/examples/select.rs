//! `select!` over several channels, with a timeout and a default — the Go guide's §10.
//!
//! `cargo run -p ch01-channels --example select`
//!
//! ```go
//! select {
//! case job := <-jobCh:          // Process job
//! case <-stopCh:                // Stop processing
//! case <-time.After(timeout):   // Handle timeout
//! default:                      // Non-blocking operation
//! }
//! ```

use crossbeam_channel::{Receiver, after, select, unbounded};
use std::time::Duration;

/// What one round of the worker's `select!` saw.
#[derive(Debug, PartialEq)]
enum Event {
    Job(u32),
    Stop,
    TimedOut,
    NothingReady,
}

// ANCHOR: select
/// Waits for a job or a stop signal, but no longer than `timeout`.
fn next_event(jobs: &Receiver<u32>, stop: &Receiver<()>, timeout: Duration) -> Event {
    select! {
        recv(jobs) -> job => match job {
            Ok(job) => Event::Job(job),
            Err(_) => Event::Stop, // every sender is gone: no job will ever come
        },
        recv(stop) -> _ => Event::Stop,
        recv(after(timeout)) -> _ => Event::TimedOut,
    }
}

/// The same, but never waits: Go's `default:` branch.
fn poll_event(jobs: &Receiver<u32>, stop: &Receiver<()>) -> Event {
    select! {
        recv(jobs) -> job => job.map_or(Event::Stop, Event::Job),
        recv(stop) -> _ => Event::Stop,
        default => Event::NothingReady,
    }
}
// ANCHOR_END: select

fn main() {
    let (job_tx, jobs) = unbounded();
    let (stop_tx, stop) = unbounded();
    let short = Duration::from_millis(20);

    assert_eq!(poll_event(&jobs, &stop), Event::NothingReady);
    assert_eq!(next_event(&jobs, &stop, short), Event::TimedOut);

    job_tx.send(7).expect("receiver alive");
    assert_eq!(next_event(&jobs, &stop, short), Event::Job(7));

    stop_tx.send(()).expect("receiver alive");
    assert_eq!(next_event(&jobs, &stop, short), Event::Stop);

    println!("select: nothing ready, timed out, got job 7, stopped");
}
