//! Chapter 8: error handling — an error channel, an error group whose first error cancels the
//! siblings, a panic that fails its job and not its worker, and retries with backoff.
//!
//! | file | what it shows |
//! |---|---|
//! | `error_channel.rs` | every task's result through one channel: all the errors |
//! | `error_group.rs` | Go's `errgroup` by hand: `spawn`, `wait`, first error cancels, a limit (loom-checked) |
//! | `failures.rs` | typed errors that wrap their causes, and `find` — Go's `%w` and `errors.As` |
//! | `retry.rs` | exponential backoff with full jitter, bounded, cancellable, on an injectable clock |
//! | `jobs.rs` | the `fail` and `batch` job kinds |
//! | `examples/errors.rs` | the error channel, the group and a retry, without HTTP |
//!
//! The job API's own errors and their HTTP statuses are one table in chapter 5's `error.rs`.

pub mod error_channel;
pub mod error_group;
pub mod failures;
mod jobs;
pub mod retry;

pub use error_group::{ErrorGroup, Panicked};
pub use failures::{OnPurpose, SubJobFailed, Transient, find};
pub use jobs::{BATCH_AT_ONCE, BATCH_MAX, Batch, Fail, Mode, RETRY, TIMES_MAX, with_error_kinds};
pub use retry::{Backoff, RetryError, retry};

/// The kinds of job chapter 8's server runs: chapter 7's, and `fail` and `batch`.
///
/// # Errors
///
/// When the operating system refuses chapter 6's threads.
pub fn job_kinds(workers: usize) -> std::io::Result<ch05_job_status::Kinds> {
    Ok(with_error_kinds(ch07_pipeline::job_kinds(workers)?))
}
