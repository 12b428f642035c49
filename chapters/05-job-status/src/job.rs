//! What a job is: its id, its status and the transitions allowed between them, and the spec a
//! client submits — parsed so that every mistake is a 400 naming the field.
//!
//! The Go guide's `JobStatus` struct, split by what changes: the [`JobSpec`] is fixed at
//! submission; the [`Status`] moves through the store (see `store.rs`), and only forward:
//!
//! ```text
//! pending ──▶ running ──▶ completed
//!    │           ├──────▶ failed
//!    │           └──────▶ cancelled
//!    └──────────────────▶ cancelled
//! ```

use ch01_channels::PRIMES_LIMIT_MAX;
use ch03_context::{Context, Reason, work};
use http_loop::response::excerpt;
use serde::Serialize;
use serde_json::{Map, Value};
use std::error::Error;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// A job's id: 128 bits from the operating system's random source, shown as a UUID (version
/// 4), of which 122 bits are random. Unguessable: knowing one job's id tells nothing about
/// another's, so an id is all the authorization a client needs to see its own job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(u128);

impl JobId {
    // ANCHOR: random
    /// A new random id.
    ///
    /// # Errors
    ///
    /// When the operating system has no randomness to give (practically never, after boot).
    pub fn random() -> Result<JobId, getrandom::Error> {
        let mut bytes = random_bytes()?;
        // The version (4) and variant (10xx) bits of RFC 9562 §5.4.
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        Ok(JobId(u128::from_be_bytes(bytes)))
    }
    // ANCHOR_END: random

    /// Parses the text form; `None` for anything that is not one (a 404, not a 400: a
    /// malformed id names no job, just as an unknown one does).
    pub fn parse(text: &str) -> Option<JobId> {
        let bytes = text.as_bytes();
        if bytes.len() != 36 {
            return None;
        }
        let mut value: u128 = 0;
        for (i, &byte) in bytes.iter().enumerate() {
            if matches!(i, 8 | 13 | 18 | 23) {
                if byte != b'-' {
                    return None;
                }
                continue;
            }
            let digit = char::from(byte).to_digit(16)?;
            value = value << 4 | u128::from(digit);
        }
        Some(JobId(value))
    }

    /// Which of `n` shards the id belongs to. Ids are random, so they spread evenly.
    pub fn shard(self, n: usize) -> usize {
        // The low 64 bits are all random; the remainder fits in usize because n does.
        usize::try_from(self.0 as u64 % n as u64).unwrap_or(0)
    }
}

// ANCHOR: random_bytes
/// 16 bytes from the operating system's random source. The system call is made once per 256
/// ids, into a per-thread buffer: the bytes are as random as ever, and `POST /jobs` does not
/// pay a system call each.
fn random_bytes() -> Result<[u8; 16], getrandom::Error> {
    use std::cell::RefCell;
    const IDS_PER_FILL: usize = 256;
    thread_local! {
        static POOL: RefCell<(Vec<u8>, usize)> = const { RefCell::new((Vec::new(), 0)) };
    }
    POOL.with_borrow_mut(|(buffer, used)| {
        if *used == buffer.len() {
            buffer.resize(16 * IDS_PER_FILL, 0);
            getrandom::fill(buffer)?;
            *used = 0;
        }
        let mut bytes = [0; 16];
        bytes.copy_from_slice(&buffer[*used..*used + 16]);
        // Used bytes are overwritten at once: an id handed out is not left lying around.
        buffer[*used..*used + 16].fill(0);
        *used += 16;
        Ok(bytes)
    })
}
// ANCHOR_END: random_bytes

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The groups of 8-4-4-4-12 hex digits, most significant first. Each mask keeps only
        // the group's bits, so the casts cannot truncate.
        let v = self.0;
        write!(
            f,
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            (v >> 96) as u32,
            (v >> 80) as u16,
            (v >> 64) as u16,
            (v >> 48) as u16,
            (v & 0xffff_ffff_ffff) as u64
        )
    }
}

impl Serialize for JobId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Where a job is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Accepted, waiting for a worker.
    Pending,
    /// A worker is on it.
    Running,
    /// Done, with a result.
    Completed,
    /// Done, with an error (including running out of time).
    Failed,
    /// Stopped by `DELETE`, or by the server shutting down.
    Cancelled,
}

impl Status {
    /// Every status, in the diagram's order.
    pub const ALL: [Status; 5] = [
        Status::Pending,
        Status::Running,
        Status::Completed,
        Status::Failed,
        Status::Cancelled,
    ];

    /// The status's place in [`Status::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    // ANCHOR: transitions
    /// Whether a job may go from `self` to `next`: the only moves the diagram allows.
    pub fn can_become(self, next: Status) -> bool {
        use Status::{Cancelled, Completed, Failed, Pending, Running};
        matches!(
            (self, next),
            (Pending, Running | Cancelled) | (Running, Completed | Failed | Cancelled)
        )
    }
    // ANCHOR_END: transitions

    /// Whether the job has ended (no transition leaves this status).
    pub fn is_finished(self) -> bool {
        matches!(self, Status::Completed | Status::Failed | Status::Cancelled)
    }

    /// The status as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Running => "running",
            Status::Completed => "completed",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
        }
    }
}

/// The work of chapter 5's two kinds of job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobKind {
    /// Wait `ms` milliseconds, or until cancelled.
    Sleep {
        /// How long.
        ms: u64,
    },
    /// Count the primes below `limit`.
    Primes {
        /// The upper bound.
        limit: usize,
    },
}

impl JobKind {
    /// The kind's name in the API.
    pub fn name(self) -> &'static str {
        match self {
            JobKind::Sleep { .. } => "sleep",
            JobKind::Primes { .. } => "primes",
        }
    }
}

// ANCHOR: work
/// The work a job does, parsed from its `input` when it is submitted and run later on a job
/// worker, under the job's context. Chapter 5 has two kinds ([`JobKind`]); later chapters add
/// theirs to a [`Kinds`] table without touching this crate.
pub trait Work: Send + Sync + fmt::Debug {
    /// The kind's name in the API: `sleep`, `primes`, …
    fn kind(&self) -> &'static str;

    /// Does the work, checking `ctx` as it goes.
    ///
    /// # Errors
    ///
    /// [`JobError::Stopped`] when the context ended first; [`JobError::Failed`] when the work
    /// itself failed.
    fn run(&self, ctx: &Context) -> Result<Value, JobError>;

    /// Called once when the job is submitted, on the loop thread, before it is stored and
    /// queued: a kind that takes only so many jobs at once refuses here (chapter 9), and the
    /// client hears 503 at once instead of waiting in a queue. Every kind of chapters 5–8
    /// takes every job.
    ///
    /// # Errors
    ///
    /// [`Busy`] when the job cannot be taken now.
    fn admit(&self) -> Result<(), Busy> {
        Ok(())
    }
}
// ANCHOR_END: work

/// A job refused for now: the server runs as many of its kind as it will. Answered 503, with
/// `Retry-After`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Busy {
    /// What is busy, for the client.
    pub message: String,
    /// When to try again, in whole seconds.
    pub retry_after_s: u32,
}

// ANCHOR: job_error
/// Why a job's work gave no result.
#[derive(Debug)]
pub enum JobError {
    /// Its context ended first: `DELETE`, its timeout, or the server stopping.
    Stopped(Reason),
    /// The work failed. The job's status says why: this error's message, then its `source`s'.
    Failed(Box<dyn Error + Send + Sync>),
}

impl From<Reason> for JobError {
    fn from(reason: Reason) -> JobError {
        JobError::Stopped(reason)
    }
}
// ANCHOR_END: job_error

impl JobError {
    /// A failure with only a message.
    pub fn failed(message: impl Into<String>) -> JobError {
        JobError::Failed(message.into().into())
    }
}

/// An error and its causes in one line, outermost first: `a: b: c` — what Go's
/// `fmt.Errorf("a: %w", err)` chains print.
pub fn error_chain(error: &(dyn Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        line.push_str(": ");
        line.push_str(&inner.to_string());
        cause = inner.source();
    }
    line
}

impl Work for JobKind {
    fn kind(&self) -> &'static str {
        self.name()
    }

    fn run(&self, ctx: &Context) -> Result<Value, JobError> {
        match *self {
            JobKind::Sleep { ms } => {
                work::sleep(ctx, Duration::from_millis(ms))?;
                Ok(serde_json::json!({ "slept_ms": ms }))
            }
            JobKind::Primes { limit } => {
                let primes = work::count_primes(ctx, limit)?;
                Ok(serde_json::json!({ "limit": limit, "primes": primes }))
            }
        }
    }
}

/// A submitted job: what to do, and how long it may take.
#[derive(Debug)]
pub struct JobSpec {
    /// What to do.
    pub work: Box<dyn Work>,
    /// How long it may run before it fails as timed out.
    pub timeout: Option<Duration>,
}

/// Reads a kind's `input` object into its work, or names the field that is wrong.
pub type ParseInput =
    dyn Fn(&Map<String, Value>) -> Result<Box<dyn Work>, FieldError> + Send + Sync;

// ANCHOR: kinds
// ANCHOR: kinds_basic
/// The kinds of job a server accepts, by name, each with the parser of its `input`.
///
/// A chapter adds a kind, or replaces one, with [`with`](Kinds::with): chapter 6 replaces
/// `primes` with a fanned-out sieve, chapter 7 adds `wordfreq`.
#[derive(Clone)]
pub struct Kinds {
    table: Vec<(&'static str, Arc<ParseInput>)>,
}

impl Kinds {
    /// Chapter 5's kinds: `sleep {ms}` and `primes {limit}`.
    pub fn basic() -> Kinds {
        Kinds { table: Vec::new() }
            .with("sleep", |input| {
                only_fields(input, &["ms"])?;
                let ms = whole_number(input.get("ms"), "input.ms", 0, SLEEP_MS_MAX)?;
                Ok(Box::new(JobKind::Sleep { ms }))
            })
            .with("primes", |input| {
                only_fields(input, &["limit"])?;
                let max = u64::try_from(PRIMES_LIMIT_MAX).unwrap_or(u64::MAX);
                let limit = whole_number(input.get("limit"), "input.limit", 0, max)?;
                let limit = usize::try_from(limit).unwrap_or(PRIMES_LIMIT_MAX);
                Ok(Box::new(JobKind::Primes { limit }))
            })
    }
    // ANCHOR_END: kinds_basic

    // ANCHOR: kinds_with
    /// These kinds, and `name` read by `parse` (in place of a kind of that name, if any).
    pub fn with(
        mut self,
        name: &'static str,
        parse: impl Fn(&Map<String, Value>) -> Result<Box<dyn Work>, FieldError> + Send + Sync + 'static,
    ) -> Kinds {
        let parse: Arc<ParseInput> = Arc::new(parse);
        match self.table.iter_mut().find(|(known, _)| *known == name) {
            Some(entry) => entry.1 = parse,
            None => self.table.push((name, parse)),
        }
        self
    }

    /// The work of a job of kind `kind` with `input`.
    ///
    /// # Errors
    ///
    /// A [`FieldError`] naming `kind` when it is not one of these kinds, or the input's
    /// field that is wrong.
    pub fn parse_work(
        &self,
        kind: &str,
        input: &Map<String, Value>,
    ) -> Result<Box<dyn Work>, FieldError> {
        match self.table.iter().find(|(known, _)| *known == kind) {
            Some((_, parse)) => parse(input),
            None => Err(field_error(
                "kind",
                format!("{:?} is not a kind of job: {}", excerpt(kind), self.names()),
            )),
        }
    }
    // ANCHOR_END: kinds_with

    /// These kinds, with the work of kind `name` passed through `wrap` as it is parsed: how a
    /// later chapter puts every job of a kind under a rule of its own (chapter 9 makes the
    /// expensive kinds take a permit). Unchanged when there is no kind `name`.
    pub fn wrapped(
        mut self,
        name: &str,
        wrap: impl Fn(Box<dyn Work>) -> Box<dyn Work> + Send + Sync + 'static,
    ) -> Kinds {
        if let Some(entry) = self.table.iter_mut().find(|(known, _)| *known == name) {
            let parse = Arc::clone(&entry.1);
            entry.1 = Arc::new(move |input: &Map<String, Value>| parse(input).map(&wrap));
        }
        self
    }

    /// The names, as an error message lists them: `"sleep" or "primes"`.
    pub fn names(&self) -> String {
        let quoted: Vec<String> = self
            .table
            .iter()
            .map(|(name, _)| format!("{name:?}"))
            .collect();
        match quoted.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => "none".to_owned(),
        }
    }
}
// ANCHOR_END: kinds

impl Default for Kinds {
    fn default() -> Kinds {
        Kinds::basic()
    }
}

/// The longest `sleep` a job may ask for.
pub const SLEEP_MS_MAX: u64 = 600_000;
/// The longest `timeout_ms` a job may ask for.
pub const TIMEOUT_MS_MAX: u64 = 3_600_000;

/// A field of the submitted JSON that is missing or wrong: answered 400, naming it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The field, as a path: `kind`, `input.ms`, `timeout_ms`; `body` for the whole body.
    pub field: String,
    /// What is wrong with it.
    pub problem: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}", self.field, self.problem)
    }
}

/// A [`FieldError`] naming `field`.
pub fn field_error(field: &str, problem: impl Into<String>) -> FieldError {
    FieldError {
        // A field's name may be a client's unknown key, of any length: only its start.
        field: excerpt(field).into_owned(),
        problem: problem.into(),
    }
}

// ANCHOR: parse_spec
// ANCHOR: parse_spec_shape
/// Parses `{"kind": …, "input": {…}, "timeout_ms": …}` with chapter 5's kinds.
///
/// # Errors
///
/// As [`Kinds::parse_spec`].
pub fn parse_spec(body: &[u8]) -> Result<JobSpec, FieldError> {
    Kinds::basic().parse_spec(body)
}

impl Kinds {
    /// Parses `{"kind": …, "input": {…}, "timeout_ms": …}`.
    ///
    /// # Errors
    ///
    /// A [`FieldError`] naming the first field that is missing, of the wrong type, out of
    /// range, or unknown.
    pub fn parse_spec(&self, body: &[u8]) -> Result<JobSpec, FieldError> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|error| field_error("body", format!("is not valid JSON: {error}")))?;
        let Value::Object(fields) = value else {
            return Err(field_error("body", "must be a JSON object"));
        };
        if let Some(unknown) = fields
            .keys()
            .find(|key| !["kind", "input", "timeout_ms"].contains(&key.as_str()))
        {
            return Err(field_error(unknown, "is not a field of a job"));
        }
        let kind = match fields.get("kind") {
            Some(Value::String(kind)) => kind.as_str(),
            Some(_) => return Err(field_error("kind", "must be a string")),
            None => {
                let message = format!("is required: {}", self.names());
                return Err(field_error("kind", message));
            }
        };
        let empty = Map::new();
        let input = match fields.get("input") {
            Some(Value::Object(input)) => input,
            None => &empty,
            Some(_) => return Err(field_error("input", "must be an object")),
        };
        // ANCHOR_END: parse_spec_shape
        // ANCHOR: parse_spec_values
        let work = self.parse_work(kind, input)?;
        let timeout = match fields.get("timeout_ms") {
            None | Some(Value::Null) => None,
            some => Some(Duration::from_millis(whole_number(
                some,
                "timeout_ms",
                1,
                TIMEOUT_MS_MAX,
            )?)),
        };
        Ok(JobSpec { work, timeout })
    }
}
// ANCHOR_END: parse_spec_values
// ANCHOR_END: parse_spec

/// Refuses any field of `input` not in `allowed`, naming it.
///
/// # Errors
///
/// A [`FieldError`] naming the first unknown field as `input.NAME`.
pub fn only_fields(input: &Map<String, Value>, allowed: &[&str]) -> Result<(), FieldError> {
    match input.keys().find(|key| !allowed.contains(&key.as_str())) {
        Some(unknown) => Err(field_error(
            &format!("input.{unknown}"),
            "is not an input of this kind",
        )),
        None => Ok(()),
    }
}

/// A required whole number in `min..=max`, or an error naming `field`. JSON numbers like `1e3` or `10.0` are refused:
/// a count of milliseconds is an integer, and a float would round silently.
///
/// # Errors
///
/// A [`FieldError`] naming `field` when it is missing, not a whole number, or out of range.
pub fn whole_number(
    value: Option<&Value>,
    field: &str,
    min: u64,
    max: u64,
) -> Result<u64, FieldError> {
    let range = format!("must be a whole number from {min} to {max}");
    match value {
        None => Err(field_error(field, format!("is required; it {range}"))),
        Some(Value::Number(number)) => match number.as_u64() {
            Some(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(field_error(field, format!("{range}, not {number}"))),
        },
        // The value comes from the client and may be a megabyte long: only its start.
        Some(other) => Err(field_error(
            field,
            format!("{range}, not {}", excerpt(&other.to_string())),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_uuids_that_round_trip() {
        let id = JobId::random().unwrap();
        let text = id.to_string();
        assert_eq!(text.len(), 36);
        assert_eq!(&text[14..15], "4", "version 4");
        assert!(
            matches!(&text[19..20], "8" | "9" | "a" | "b"),
            "variant 10xx"
        );
        assert_eq!(JobId::parse(&text), Some(id));
        assert_ne!(JobId::random().unwrap(), id);
        assert_eq!(JobId::parse("not-an-id"), None);
        assert_eq!(JobId::parse(&text.replace('-', "")), None);
    }

    #[test]
    fn only_forward_transitions() {
        use Status::*;
        let all = [Pending, Running, Completed, Failed, Cancelled];
        let allowed: Vec<_> = all
            .iter()
            .flat_map(|&from| all.iter().map(move |&to| (from, to)))
            .filter(|&(from, to)| from.can_become(to))
            .collect();
        assert_eq!(
            allowed,
            [
                (Pending, Running),
                (Pending, Cancelled),
                (Running, Completed),
                (Running, Failed),
                (Running, Cancelled)
            ]
        );
    }

    fn error(body: &str) -> String {
        parse_spec(body.as_bytes()).unwrap_err().field
    }

    #[test]
    fn every_mistake_names_its_field() {
        assert_eq!(error("{"), "body");
        assert_eq!(error("[]"), "body");
        assert_eq!(error("{}"), "kind");
        assert_eq!(error(r#"{"kind":7}"#), "kind");
        assert_eq!(error(r#"{"kind":"dance"}"#), "kind");
        assert_eq!(error(r#"{"kind":"sleep"}"#), "input.ms");
        assert_eq!(error(r#"{"kind":"sleep","input":{"ms":"5"}}"#), "input.ms");
        assert_eq!(error(r#"{"kind":"sleep","input":{"ms":-5}}"#), "input.ms");
        assert_eq!(error(r#"{"kind":"sleep","input":{"ms":1.5}}"#), "input.ms");
        assert_eq!(error(r#"{"kind":"sleep","input":{"ms":1e30}}"#), "input.ms");
        assert_eq!(
            error(r#"{"kind":"sleep","input":{"ms":1,"x":2}}"#),
            "input.x"
        );
        assert_eq!(
            error(r#"{"kind":"primes","input":{"limit":99999999999}}"#),
            "input.limit"
        );
        assert_eq!(
            error(r#"{"kind":"sleep","input":{"ms":1},"timeout_ms":0}"#),
            "timeout_ms"
        );
        assert_eq!(error(r#"{"kind":"sleep","input":[]}"#), "input");
        assert_eq!(
            error(r#"{"kind":"sleep","input":{"ms":1},"priority":1}"#),
            "priority"
        );
    }

    #[test]
    fn a_good_spec() {
        let spec = parse_spec(br#"{"kind":"primes","input":{"limit":100},"timeout_ms":500}"#)
            .expect("a valid spec");
        assert_eq!(format!("{:?}", spec.work), "Primes { limit: 100 }");
        assert_eq!(spec.timeout, Some(Duration::from_millis(500)));
    }
}
