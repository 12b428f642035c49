//! The `primes` job, fanned out: the segmented sieve on the hand-written fan-out (the default)
//! or on rayon (`"engine": "rayon"`), under the job's context.

use crate::fan_out::{FanOut, FanOutError};
use crate::rayon_sieve;
use crate::sieve::Sieve;
use ch03_context::Context;
use ch05_job_status::job::{field_error, only_fields, whole_number};
use ch05_job_status::{FieldError, JobError, Kinds, Work};
use rayon::ThreadPool;
use serde_json::{Map, Value, json};
use std::ops::ControlFlow;
use std::sync::Arc;

/// The largest `limit` a `primes` job may ask for: 10¹⁰, a job of several seconds on two
/// cores, in a few hundred KiB (the base primes and one segment per worker).
pub const PRIMES_LIMIT_MAX: u64 = 10_000_000_000;

/// Segments per part of the hand-written fan-out. Each part costs two hand-offs between
/// threads (feeder to worker, worker to fan-in), each a possible wake-up of a sleeping
/// thread; a segment is a fraction of a millisecond of work, so one part per segment spent a
/// third of the time handing parts over. Eight segments (2 Mi numbers, about 2 ms) make the
/// hand-offs cheap and still leave a cancel waiting at most one part.
pub const SEGMENTS_PER_PART: usize = 8;

// ANCHOR: count_fanned
/// Counts the primes the sieve covers on the hand-written fan-out: a part is
/// [`SEGMENTS_PER_PART`] segments, and the fan-in adds the counts up as they come.
///
/// # Errors
///
/// As [`FanOut::run`].
pub fn count_primes(fan_out: &FanOut, ctx: &Context, sieve: &Sieve) -> Result<u64, FanOutError> {
    let segments = sieve.segments();
    let mut primes = 0;
    fan_out.run(
        ctx,
        (0..segments).step_by(SEGMENTS_PER_PART),
        |first| {
            let part = first..(first + SEGMENTS_PER_PART).min(segments);
            part.map(|segment| sieve.count_segment_here(segment)).sum()
        },
        |_, count: u64| {
            primes += count;
            ControlFlow::Continue(())
        },
    )?;
    Ok(primes)
}
// ANCHOR_END: count_fanned

// ANCHOR: engines
/// Which fan-out a `primes` job runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// The hand-written fan-out: threads started for the job, joined when it ends.
    Threads,
    /// The server's rayon pool.
    Rayon,
}

/// What `primes` jobs run on: a worker count for the hand-written fan-out, and a rayon pool.
#[derive(Debug)]
pub struct Engines {
    /// The hand-written fan-out.
    pub fan_out: FanOut,
    /// The rayon pool.
    pub rayon: ThreadPool,
}

impl Engines {
    /// Both engines with `workers` threads each.
    ///
    /// # Errors
    ///
    /// When the operating system refuses rayon's threads.
    pub fn new(workers: usize) -> Result<Engines, rayon::ThreadPoolBuildError> {
        Ok(Engines {
            fan_out: FanOut::new("primes", workers),
            rayon: rayon_sieve::primes_pool(workers)?,
        })
    }
}
// ANCHOR_END: engines

/// A `primes {limit, engine}` job.
#[derive(Debug)]
pub struct FannedPrimes {
    limit: u64,
    engine: Engine,
    engines: Arc<Engines>,
}

// ANCHOR: work
impl Work for FannedPrimes {
    fn kind(&self) -> &'static str {
        "primes"
    }

    fn run(&self, ctx: &Context) -> Result<Value, JobError> {
        let sieve = Sieve::new(self.limit);
        let (primes, engine, workers) = match self.engine {
            Engine::Threads => {
                let fan_out = &self.engines.fan_out;
                let primes = count_primes(fan_out, ctx, &sieve).map_err(|error| match error {
                    FanOutError::Stopped(reason) => JobError::Stopped(reason),
                    FanOutError::NoThread(error) => JobError::Failed(Box::new(error)),
                })?;
                (primes, "threads", fan_out.workers())
            }
            Engine::Rayon => {
                let pool = &self.engines.rayon;
                let primes = rayon_sieve::count_primes(pool, ctx, &sieve)?;
                (primes, "rayon", pool.current_num_threads())
            }
        };
        Ok(json!({
            "limit": self.limit,
            "primes": primes,
            "engine": engine,
            "workers": workers,
            "segments": sieve.segments(),
        }))
    }
}
// ANCHOR_END: work

// ANCHOR: kinds
/// Chapter 5's kinds of job, with `primes` fanned out on `engines`.
pub fn kinds(engines: Arc<Engines>) -> Kinds {
    Kinds::basic().with("primes", move |input| parse_primes(input, &engines))
}

/// `{"limit": N, "engine": "threads" | "rayon"}`; the engine is optional.
fn parse_primes(
    input: &Map<String, Value>,
    engines: &Arc<Engines>,
) -> Result<Box<dyn Work>, FieldError> {
    only_fields(input, &["limit", "engine"])?;
    let limit = whole_number(input.get("limit"), "input.limit", 0, PRIMES_LIMIT_MAX)?;
    let engine = match input.get("engine").map(Value::as_str) {
        None | Some(Some("threads")) => Engine::Threads,
        Some(Some("rayon")) => Engine::Rayon,
        Some(_) => {
            return Err(field_error(
                "input.engine",
                "must be \"threads\" or \"rayon\"",
            ));
        }
    };
    let engines = Arc::clone(engines);
    Ok(Box::new(FannedPrimes {
        limit,
        engine,
        engines,
    }))
}
// ANCHOR_END: kinds
