//! Chapter 6: fan-out/fan-in — one job split over many workers, the results fanned into one
//! channel, and a wait group that closes it; then the same job on rayon, side by side.
//!
//! Chapter 5 ran each job on one worker thread. A `primes` job below 10¹⁰ is now a segmented
//! sieve whose segments are counted in parallel: on threads started for the job and joined when
//! it ends (the hand-written fan-out), or on a dedicated rayon pool. Both stop soon after the
//! job's context ends.
//!
//! | file | what it shows |
//! |---|---|
//! | `wait_group.rs` | Go's `sync.WaitGroup` by hand: a counter, a `Condvar`, a guard for `Done` (loom-checked) |
//! | `fan_out.rs` | the fan-out/fan-in: a feeder, N named workers, a closer, results as they come or in order |
//! | `sieve.rs` | the segmented sieve: independent segments, memory for √limit and one segment per worker |
//! | `rayon_sieve.rs` | the same count on a sized, named rayon pool, cancellable per segment |
//! | `primes_job.rs` | the `primes` job kind on either engine, and its input's limits |
//! | `examples/fan_out.rs` | both orders of fan-in, without HTTP |
//! | `benches/speedup.rs` | speedup over one worker at 1, 2 and N workers, both engines |

pub mod fan_out;
mod primes_job;
pub mod rayon_sieve;
pub mod sieve;
pub mod wait_group;

pub use fan_out::{FanOut, FanOutError};
pub use primes_job::{
    Engine, Engines, FannedPrimes, PRIMES_LIMIT_MAX, SEGMENTS_PER_PART, count_primes, kinds,
};
pub use sieve::Sieve;
pub use wait_group::{Done, WaitGroup};

/// The kinds of job chapter 6's server runs: chapter 5's, with `primes` fanned out over
/// `workers` threads (on either engine). Later chapters start from these.
///
/// # Errors
///
/// When the operating system refuses the rayon pool's threads.
pub fn job_kinds(workers: usize) -> std::io::Result<ch05_job_status::Kinds> {
    let engines = Engines::new(workers).map_err(std::io::Error::other)?;
    Ok(kinds(std::sync::Arc::new(engines)))
}
