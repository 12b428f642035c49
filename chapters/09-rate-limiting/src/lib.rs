//! Chapter 9: rate limiting — a token bucket per client, refilled lazily from a clock, and a
//! counting semaphore bounding how many expensive jobs run at once.
//!
//! | file | what it shows |
//! |---|---|
//! | `token_bucket.rs` | one bucket: a burst, then a token per interval, refilled on use |
//! | `clock.rs` | the time the buckets see: the system's, or a test's that moves by hand |
//! | `limiter.rs` | a bucket per client in a bounded table (loom-checked) |
//! | `middleware.rs` | the limiter in front of the routes: 429, `Retry-After`, `RateLimit` fields |
//! | `semaphore.rs` | `try_acquire` and `acquire(ctx)`: Go's buffered-channel semaphore (loom-checked) |
//! | `gate.rs` | expensive jobs: refused at the door when no permit is free (503 `busy`), run holding one |
//! | `options.rs` | the command line of chapters 9 and 10 |
//! | `examples/limits.rs` | a bucket, the table and the semaphore, without HTTP |

pub mod clock;
pub mod gate;
pub mod limiter;
pub mod middleware;
pub mod options;
pub mod semaphore;
pub mod token_bucket;

pub use clock::{Clock, ManualClock, SystemClock};
pub use gate::{EXPENSIVE_KINDS, Gated, gate_expensive_kinds};
pub use limiter::{Decision, Limiter};
pub use middleware::{EXEMPT_PATHS, RateLimited, client_of, too_many_requests};
pub use options::Options;
pub use semaphore::{Permit, Semaphore};
pub use token_bucket::{Bucket, Rate, Take};

use ch03_context::RequestPool;
use ch05_job_status::{Jobs, add_routes};
use http_loop::Router;
use std::sync::Arc;

/// The kinds of job chapter 9's server runs: chapter 8's, with `primes` and `wordfreq` — also
/// inside a `batch` — taking a permit of `permits`.
///
/// # Errors
///
/// When the operating system refuses chapter 6's threads.
pub fn job_kinds(
    workers: usize,
    permits: &Arc<Semaphore>,
) -> std::io::Result<ch05_job_status::Kinds> {
    let gated = gate_expensive_kinds(ch07_pipeline::job_kinds(workers)?, permits);
    Ok(ch08_errors::with_error_kinds(gated))
}

// ANCHOR: limit
/// `router` behind a limiter with the options' rate, burst, table size and trusted proxies.
pub fn limit(router: Router, options: &Options) -> RateLimited<Router> {
    let rate = Rate::per_second(options.rate, options.burst);
    let limiter = Arc::new(Limiter::new(rate, options.max_clients));
    RateLimited::new(router, limiter, options.trusted_proxies.clone())
}
// ANCHOR_END: limit

// ANCHOR: app
/// Chapter 9's whole server: chapter 8's routes and jobs — the expensive ones under a
/// semaphore of `options.expensive` permits — behind the limiter.
///
/// # Errors
///
/// When the operating system refuses a worker thread.
pub fn app(requests: RequestPool, options: &Options) -> std::io::Result<RateLimited<Router>> {
    app_with_permits(requests, options, &Semaphore::new(options.expensive))
}
// ANCHOR_END: app

/// [`app`], with the expensive jobs under `permits` (which a test can hold).
///
/// # Errors
///
/// When the operating system refuses a worker thread.
pub fn app_with_permits(
    requests: RequestPool,
    options: &Options,
    permits: &Arc<Semaphore>,
) -> std::io::Result<RateLimited<Router>> {
    let kinds = job_kinds(options.workers, permits)?;
    let jobs = Jobs::with_kinds(kinds, options.store_config(), options.pool())?;
    let router = add_routes(ch04_timeouts::router(requests), Arc::new(jobs));
    Ok(limit(router, options))
}
