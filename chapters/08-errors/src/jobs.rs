//! This chapter's job kinds: `fail {mode, times}`, which fails on purpose in each of the ways
//! a job can, and `batch {jobs}`, whose sub-jobs run under an error group.

use crate::error_group::{ErrorGroup, Panicked};
use crate::failures::{OnPurpose, SubJobFailed, Transient};
use crate::retry::{Backoff, RetryError, random_fraction, retry, sleep_on_clock};
use ch03_context::Context;
use ch05_job_status::job::{field_error, only_fields, whole_number};
use ch05_job_status::panic_message;
use ch05_job_status::{FieldError, JobError, Kinds, Work};
use serde_json::{Map, Value, json};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The most sub-jobs a batch may hold.
pub const BATCH_MAX: usize = 16;
/// How many sub-jobs of a batch run at once.
pub const BATCH_AT_ONCE: usize = 4;
/// The most transient failures a `fail` job may ask for.
pub const TIMES_MAX: u64 = 10;
/// How a `fail {"mode": "transient"}` job retries: 5 attempts, waits up to 20, 40, 80, 160 ms.
pub const RETRY: Backoff = Backoff {
    attempts: 5,
    first: Duration::from_millis(20),
    max: Duration::from_secs(1),
};

impl From<Panicked> for JobError {
    fn from(panicked: Panicked) -> JobError {
        JobError::Failed(Box::new(panicked))
    }
}

/// How a `fail` job fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// It panics.
    Panic,
    /// It returns an error.
    Error,
    /// It fails `times` times with a transient error, retried, then succeeds.
    Transient {
        /// How many attempts fail.
        times: u32,
    },
}

// ANCHOR: fail
/// A `fail {mode, times}` job.
#[derive(Debug)]
pub struct Fail(pub Mode);

impl Work for Fail {
    fn kind(&self) -> &'static str {
        "fail"
    }

    fn run(&self, ctx: &Context) -> Result<Value, JobError> {
        match self.0 {
            Mode::Panic => panic!("the job panicked on purpose"),
            Mode::Error => Err(JobError::Failed(Box::new(OnPurpose))),
            Mode::Transient { times } => {
                let attempts = retry(
                    ctx,
                    RETRY,
                    sleep_on_clock,
                    random_fraction,
                    |_: &Transient| true,
                    |attempt| match attempt <= times {
                        true => Err(Transient { attempt }),
                        false => Ok(attempt),
                    },
                );
                match attempts {
                    Ok(attempts) => Ok(json!({ "attempts": attempts })),
                    Err(RetryError::Stopped(reason)) => Err(JobError::Stopped(reason)),
                    Err(gave_up) => Err(JobError::Failed(Box::new(gave_up))),
                }
            }
        }
    }
}
// ANCHOR_END: fail

// ANCHOR: batch
// ANCHOR: batch_run
/// A `batch {jobs: […]}` job: its sub-jobs under an error group, at most
/// [`BATCH_AT_ONCE`] at a time. The first failure cancels the rest, and names its sub-job.
#[derive(Debug)]
pub struct Batch(pub Vec<Arc<dyn Work>>);

impl Work for Batch {
    fn kind(&self) -> &'static str {
        "batch"
    }

    fn run(&self, ctx: &Context) -> Result<Value, JobError> {
        let group = ErrorGroup::<JobError>::new(ctx, "batch").with_limit(BATCH_AT_ONCE);
        let results = Arc::new(Mutex::new(vec![Value::Null; self.0.len()]));
        for (index, work) in self.0.iter().enumerate() {
            if let Some(reason) = group.context().err() {
                // A sub-job failed (`wait` returns its error), or the batch's own context
                // ended — then there is no error to wait for, and the batch stops with why.
                group.wait()?;
                return Err(JobError::Stopped(ctx.err().unwrap_or(reason)));
            }
            let (work, results) = (Arc::clone(work), Arc::clone(&results));
            let spawned = group.spawn(move |ctx| {
                let result = run_sub_job(index, &*work, ctx)?;
                lock(&results)[index] = result;
                Ok(())
            });
            if let Err(error) = spawned {
                group.wait()?; // the ones started end first
                return Err(JobError::Failed(Box::new(error)));
            }
        }
        group.wait()?;
        let results = std::mem::take(&mut *lock(&results));
        Ok(json!({ "results": results }))
    }
}
// ANCHOR_END: batch_run

// ANCHOR: run_sub_job
/// Runs sub-job `index`; a failure — a panic included — says which sub-job it was.
fn run_sub_job(index: usize, work: &dyn Work, ctx: &Context) -> Result<Value, JobError> {
    let kind = work.kind();
    let outcome = catch_unwind(AssertUnwindSafe(|| work.run(ctx)))
        .unwrap_or_else(|panic| Err(Panicked(panic_message(&*panic).to_owned()).into()));
    outcome.map_err(|error| match error {
        JobError::Failed(cause) => JobError::Failed(Box::new(SubJobFailed { index, kind, cause })),
        stopped => stopped, // cancelled by a sibling's failure, or by the batch's own context
    })
}
// ANCHOR_END: run_sub_job
// ANCHOR_END: batch

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

// ANCHOR: kinds
/// `kinds`, with `fail` and `batch` (whose sub-jobs may be of any of these kinds but `batch`).
pub fn with_error_kinds(kinds: Kinds) -> Kinds {
    let kinds = kinds.with("fail", parse_fail);
    let sub_jobs = kinds.clone();
    kinds.with("batch", move |input| parse_batch(input, &sub_jobs))
}
// ANCHOR_END: kinds

/// `{"mode": "panic" | "error" | "transient", "times": N}`; `times` only with `transient`.
fn parse_fail(input: &Map<String, Value>) -> Result<Box<dyn Work>, FieldError> {
    let mode = match input.get("mode").map(Value::as_str) {
        Some(Some("panic")) => Mode::Panic,
        Some(Some("error")) => Mode::Error,
        Some(Some("transient")) => {
            only_fields(input, &["mode", "times"])?;
            let times = whole_number(input.get("times"), "input.times", 0, TIMES_MAX)?;
            Mode::Transient {
                times: u32::try_from(times).unwrap_or(u32::MAX),
            }
        }
        _ => {
            let problem = "must be \"panic\", \"error\" or \"transient\"";
            return Err(field_error("input.mode", problem));
        }
    };
    if mode == Mode::Panic || mode == Mode::Error {
        only_fields(input, &["mode"])?;
    }
    Ok(Box::new(Fail(mode)))
}

/// `{"jobs": [{"kind": …, "input": {…}}, …]}`: 1 to [`BATCH_MAX`] sub-jobs; an error names
/// the sub-job's field, as `input.jobs[2].input.ms`.
fn parse_batch(input: &Map<String, Value>, kinds: &Kinds) -> Result<Box<dyn Work>, FieldError> {
    only_fields(input, &["jobs"])?;
    let jobs = match input.get("jobs") {
        Some(Value::Array(jobs)) if (1..=BATCH_MAX).contains(&jobs.len()) => jobs,
        _ => {
            let problem = format!("must be an array of 1 to {BATCH_MAX} jobs");
            return Err(field_error("input.jobs", problem));
        }
    };
    let empty = Map::new();
    let mut works = Vec::with_capacity(jobs.len());
    for (index, job) in jobs.iter().enumerate() {
        let at = |error: FieldError| {
            field_error(
                &format!("input.jobs[{index}].{}", error.field),
                error.problem,
            )
        };
        let Value::Object(job) = job else {
            return Err(field_error(
                &format!("input.jobs[{index}]"),
                "must be an object",
            ));
        };
        if let Some(unknown) = job
            .keys()
            .find(|key| !["kind", "input"].contains(&key.as_str()))
        {
            return Err(at(field_error(unknown, "is not a field of a sub-job")));
        }
        let kind = match job.get("kind") {
            Some(Value::String(kind)) => kind,
            _ => {
                return Err(at(field_error(
                    "kind",
                    format!("must be one of {}", kinds.names()),
                )));
            }
        };
        let input = match job.get("input") {
            Some(Value::Object(input)) => input,
            None => &empty,
            Some(_) => return Err(at(field_error("input", "must be an object"))),
        };
        works.push(Arc::from(kinds.parse_work(kind, input).map_err(at)?));
    }
    Ok(Box::new(Batch(works)))
}
