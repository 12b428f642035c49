//! The same fan-out with rayon: a dedicated, sized pool of named threads, and a parallel
//! iterator over the segments that checks the job's context before each one.
//!
//! Use rayon when the work is a data-parallel loop: it splits the range itself, and an idle
//! thread *steals* half of a busy thread's remaining range, so uneven parts balance out without
//! a channel in sight. The hand-written fan-out (`fan_out.rs`) is what to reach for when the
//! parts come from a channel, or the results must stream out while the work goes on.
//!
//! Never the global pool in a server: it is shared with every crate that calls
//! `par_iter`, sized for the whole machine, and its threads have no names.

use crate::sieve::Sieve;
use ch03_context::{Context, Reason};
use rayon::ThreadPool;
use rayon::prelude::*;

// ANCHOR: pool
/// A rayon pool of `threads` threads named `rayon-primes-N`, for this chapter's jobs only.
///
/// # Errors
///
/// When the operating system refuses a thread.
pub fn primes_pool(threads: usize) -> Result<ThreadPool, rayon::ThreadPoolBuildError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .thread_name(|n| format!("rayon-primes-{n}"))
        .build()
}
// ANCHOR_END: pool

// ANCHOR: count
/// Counts the primes the sieve covers, on `pool`, stopping soon after `ctx` ends: each
/// segment first checks it, and the first `Err` stops rayon handing out more.
///
/// # Errors
///
/// Why the context ended, if it ended before every segment was counted.
pub fn count_primes(pool: &ThreadPool, ctx: &Context, sieve: &Sieve) -> Result<u64, Reason> {
    pool.install(|| {
        (0..sieve.segments())
            .into_par_iter()
            // One scratch buffer per rayon task split, not per segment.
            .map_init(
                || sieve.buffer(),
                |buffer, index| match ctx.is_done() {
                    true => Err(ctx.err().unwrap_or(Reason::Cancelled)),
                    false => Ok(sieve.count_segment(index, buffer)),
                },
            )
            .try_reduce(|| 0, |a, b| Ok(a + b))
    })
}
// ANCHOR_END: count
