//! The job store: the Go guide's `map[string]*JobStatus` behind a `sync.RWMutex`, bounded,
//! sharded, and the one place where a job's status changes.
//!
//! ```go
//! var (
//!     jobs   = make(map[string]*JobStatus)
//!     jobsMu sync.RWMutex
//! )
//! ```
//!
//! Three things the Go sketch leaves out, and why they matter in a server:
//!
//! - **Transitions in one place.** Workers finish jobs, clients cancel them, and both may act
//!   on the same job at the same moment. [`JobStore::transition`] checks the move and makes it
//!   under one write lock, so the first of two racing moves wins and the second is refused.
//!   Checking under a read lock and writing under a later write lock lets both through — the
//!   broken twin the loom model catches (`tests/loom.rs`).
//! - **A bound.** Every job costs memory until it is forgotten. Finished jobs expire after a
//!   TTL; when the store is full, the oldest finished job makes room; when it is full of
//!   unfinished jobs, a submission is refused (the server answers 503).
//! - **No stall when it grows.** A `HashMap` doubles its table when it fills, rehashing every
//!   entry while the write lock is held — and every reader waits. With one map, one lock and
//!   no initial capacity, a flood of submissions makes such a stall every time the map doubles.
//!   Here the store is split into shards (each with its own lock, so a stall or a write blocks
//!   only a fraction of the jobs) and each shard's map is allocated once, at twice the jobs
//!   it holds. It never doubles while filling up, nor later: a removal may leave a "deleted"
//!   mark in the table, and when the marks use up its spare room the table rebuilds itself —
//!   in place if it is at most half full, by doubling if it is fuller. At half, every rebuild
//!   is in place, once in a long while (about a millisecond at the default shard size). The
//!   bench (`benches/store.rs`) measures the doubling stall, and `tests/memory.rs` that a
//!   full store under churn does not grow.

use crate::error::ApiError;
use crate::job::{JobId, Status};
use ch03_context::Cancel;
use http_loop::dates::UnixMillis;
use http_loop::{Responder, Response};
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};
use sync_shim::{RwLock, RwLockReadGuard, RwLockWriteGuard};

// The broken twins of the long-poll protocol, for the loom models only.
#[cfg(loom)]
#[path = "store_broken.rs"]
mod broken;

/// How big the store is and how long it remembers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreConfig {
    /// The most jobs held, finished or not.
    pub capacity: usize,
    /// How many independently locked parts the store is split into.
    pub shards: usize,
    /// How long a finished job is kept (at least this, at most a second more).
    pub ttl: Duration,
    /// The most bytes of results and error messages (their JSON text) the store keeps, in
    /// all: past it, the oldest finished jobs go, however few. `capacity` bounds the records;
    /// this bounds what they carry — a store sized for a million tiny results must not keep a
    /// million large ones.
    pub result_bytes: usize,
    /// Allocate each shard's map up front, at twice the jobs it holds, so it never doubles
    /// under the lock (see the module documentation).
    pub preallocate: bool,
}

// ANCHOR: default_size
/// Jobs one shard holds by default: 7/16 of 65,536. Its table is allocated for twice that,
/// 7/8 of 65,536 — the most a table of 2^16 slots takes — so it is never more than half
/// full, and the churn of a full store rebuilds it in place instead of doubling it.
const JOBS_PER_SHARD: usize = 65_536 / 16 * 7;

impl Default for StoreConfig {
    /// 40 shards of 28,672 jobs: 1,146,880 jobs, under 200 bytes each beyond its result
    /// (about 225 MiB in all when full of `sleep 0` jobs). That is 12 seconds of the fastest
    /// flood of `sleep 0` submissions measured on the book's machine (96,000 a second): a job
    /// finished during a 10-second flood can still be read at its end.
    fn default() -> Self {
        StoreConfig {
            capacity: 40 * JOBS_PER_SHARD,
            shards: 40,
            ttl: Duration::from_secs(600),
            result_bytes: 128 << 20,
            preallocate: true,
        }
    }
}
// ANCHOR_END: default_size

/// The outcome a worker reports when a job ends.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Done, with this result.
    Completed(Value),
    /// Failed, with this error.
    Failed(String),
    /// Stopped by its context.
    Cancelled,
}

/// Why a transition was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransitionError {
    /// No such job (never was, or expired).
    NotFound,
    /// The move is not allowed from the job's current status.
    Illegal {
        /// Where the job is.
        from: Status,
        /// Where the move wanted it.
        to: Status,
    },
}

/// The store holds as many unfinished jobs as it can: a submission must wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreFull;

/// A job as `GET /jobs/{id}` shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JobView {
    /// The id.
    pub id: JobId,
    /// The kind: `sleep`, `primes`, …
    pub kind: &'static str,
    /// Where it is in its life.
    pub status: Status,
    /// When it was submitted (RFC 3339).
    pub created_at: String,
    /// When its status last changed (RFC 3339).
    pub updated_at: String,
    /// Why it failed, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

// ANCHOR: record
/// One job as the store keeps it: 48 bytes, whatever its status. A store of a million
/// finished jobs is a million of these, so nothing is here that a finished job does not
/// need: long polls are kept apart (few jobs have any), times are numbers, the kind is a
/// number, and the result is its JSON text.
struct Record {
    /// Shown as RFC 3339; formatting costs less than a status read's system calls.
    created_at: UnixMillis,
    updated_at: UnixMillis,
    /// A completed job's result; a failed or cancelled job's error, as a JSON string.
    /// Serialized once when the job finishes, and copied into answers as it is.
    outcome: Option<Box<RawValue>>,
    /// Cancels the job's context: `DELETE`, or the server stopping. Dropped when it finishes.
    cancel: Option<Cancel>,
    /// When it finished, in whole seconds of the store's own clock: for its TTL.
    finished_s: u32,
    /// The kind's name (`sleep`, `primes`, …), as its place in the shard's `kinds`: a
    /// server has a handful of kinds, and a `&'static str` takes 16 bytes.
    kind: u16,
    status: Status,
}
// ANCHOR_END: record

struct Shard {
    jobs: HashMap<JobId, Record>,
    /// Finished jobs, oldest first: who expires, and who makes room when the shard is full.
    finished: VecDeque<JobId>,
    /// Long polls waiting for a job's result, answered when it finishes, or forgotten when
    /// their wait runs out or their client hangs up.
    waiters: HashMap<JobId, Vec<(WaiterId, Responder)>>,
    /// How many of `jobs` are in each status, in [`Status::ALL`]'s order: kept as they
    /// change, so `/metrics` reads five numbers a shard instead of walking a million records.
    counts: [usize; 5],
    /// The names of the kinds of job the shard has seen; a record keeps its kind's place.
    kinds: Vec<&'static str>,
    /// The bytes of JSON text the shard's records keep as outcomes (see `result_bytes`).
    outcome_bytes: usize,
}

impl Shard {
    /// The place of `kind` in `kinds`, added if new; `None` past 65,536 kinds.
    fn kind_index(&mut self, kind: &'static str) -> Option<u16> {
        let index = match self.kinds.iter().position(|&known| known == kind) {
            Some(index) => index,
            None => {
                self.kinds.push(kind);
                self.kinds.len() - 1
            }
        };
        u16::try_from(index).ok()
    }

    /// The name of a record's kind.
    fn kind(&self, record: &Record) -> &'static str {
        self.kinds
            .get(usize::from(record.kind))
            .copied()
            .unwrap_or("?")
    }

    /// Removes a job, keeping the counts.
    fn forget(&mut self, id: JobId) -> Option<Record> {
        let record = self.jobs.remove(&id)?;
        count_out(&mut self.counts, record.status);
        self.outcome_bytes -= outcome_len(&record);
        Some(record)
    }
}

/// The most long polls one job holds at once; more get their answer ("not yet") at once.
pub const MAX_WAITERS_PER_JOB: usize = 64;

/// Names one long poll, so that it can be forgotten when its wait is over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaiterId(u64);

impl WaiterId {
    /// A new id, distinct from every other of this process.
    pub fn next() -> WaiterId {
        // Not a sync_shim atomic: the ids only have to differ, and a static cannot hold one of
        // loom's atomics.
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        WaiterId(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    }
}

// ANCHOR: events
/// Hears of every job the store takes in and every job that ends: chapter 10 counts them, to
/// know when a drain is over and to account for every job at exit. Called on whichever thread
/// made the change: `accepted` under the job's shard lock (so that nothing about a job is heard
/// before its acceptance), the others after it — so none may call back into the store.
pub trait JobEvents: Send + Sync {
    /// A job was stored, `pending`.
    fn accepted(&self);
    /// A `pending` job was taken back before it ever ran: its submission was refused after
    /// all (see [`JobStore::remove`]).
    fn withdrawn(&self);
    /// A job reached `status`, one of the three final ones.
    fn finished(&self, status: Status);
}
// ANCHOR_END: events

/// Jobs by id, in shards, each behind its own `RwLock`.
pub struct JobStore {
    shards: Vec<RwLock<Shard>>,
    per_shard: usize,
    /// `result_bytes`, shard by shard.
    outcome_bytes_per_shard: usize,
    ttl: Duration,
    /// The store's clock starts here: records keep their end in seconds since.
    started: Instant,
    events: Option<std::sync::Arc<dyn JobEvents>>,
}

impl JobStore {
    // ANCHOR: new
    /// An empty store.
    pub fn new(config: StoreConfig) -> JobStore {
        let shards = config.shards.max(1);
        let per_shard = config.capacity.div_ceil(shards).max(1);
        JobStore {
            shards: (0..shards)
                .map(|_| {
                    let room = if config.preallocate { per_shard } else { 0 };
                    RwLock::new(Shard {
                        // Twice the jobs: see the module documentation. Allocated, not
                        // touched: the memory becomes resident as jobs arrive.
                        jobs: HashMap::with_capacity(2 * room),
                        finished: VecDeque::with_capacity(room),
                        waiters: HashMap::new(),
                        counts: [0; 5],
                        kinds: Vec::new(),
                        outcome_bytes: 0,
                    })
                })
                .collect(),
            per_shard,
            outcome_bytes_per_shard: config.result_bytes / shards,
            ttl: config.ttl,
            started: Instant::now(),
            events: None,
        }
    }
    // ANCHOR_END: new

    /// The same store, telling `events` of every job accepted and finished.
    #[must_use]
    pub fn with_events(mut self, events: std::sync::Arc<dyn JobEvents>) -> JobStore {
        self.events = Some(events);
        self
    }

    // ANCHOR: insert
    /// Stores a new pending job, making room if needed: expired jobs go, then the oldest
    /// finished one.
    ///
    /// # Errors
    ///
    /// [`StoreFull`] when the job's shard holds only unfinished jobs.
    pub fn insert(&self, id: JobId, kind: &'static str, cancel: Cancel) -> Result<(), StoreFull> {
        let now = UnixMillis::now();
        let mut shard = self.write(id);
        self.expire(&mut shard);
        while shard.jobs.len() >= self.per_shard {
            let oldest = shard.finished.pop_front().ok_or(StoreFull)?;
            shard.forget(oldest);
        }
        let kind = shard.kind_index(kind).ok_or(StoreFull)?;
        shard.counts[Status::Pending.index()] += 1;
        shard.jobs.insert(
            id,
            Record {
                created_at: now,
                updated_at: now,
                outcome: None,
                cancel: Some(cancel),
                finished_s: 0,
                kind,
                status: Status::Pending,
            },
        );
        // Told under the lock: a transition of this job (which tells `finished` after its own
        // lock) cannot be heard before its acceptance.
        if let Some(events) = &self.events {
            events.accepted();
        }
        Ok(())
    }
    // ANCHOR_END: insert

    /// Forgets a job that never ran (its submission was refused after all).
    pub fn remove(&self, id: JobId) {
        let removed = self.write(id).forget(id);
        // A job cancelled meanwhile (a drain's deadline) was told `finished` already: it stays
        // counted as accepted and cancelled.
        let unfinished = removed.is_some_and(|record| !record.status.is_finished());
        if let (Some(events), true) = (&self.events, unfinished) {
            events.withdrawn();
        }
    }

    /// The job as the API shows it, if the store still has it.
    pub fn view(&self, id: JobId) -> Option<JobView> {
        let shard = self.read(id);
        let record = shard.jobs.get(&id)?;
        self.live(record)
            .then(|| view(id, shard.kind(record), record))
    }

    /// The answer to `GET /jobs/{id}`, serialized straight from the record under the read
    /// lock: a status poll is the hottest path of the API, and this copies no string.
    pub fn view_response(&self, id: JobId) -> Option<Response> {
        #[derive(Serialize)]
        struct ViewRef<'a> {
            id: JobId,
            kind: &'static str,
            status: Status,
            created_at: UnixMillis,
            updated_at: UnixMillis,
            #[serde(skip_serializing_if = "Option::is_none")]
            error: Option<&'a RawValue>,
        }
        let shard = self.read(id);
        let record = shard.jobs.get(&id)?;
        self.live(record).then(|| {
            Response::json(
                200,
                &ViewRef {
                    id,
                    kind: shard.kind(record),
                    status: record.status,
                    created_at: record.created_at,
                    updated_at: record.updated_at,
                    error: record.error(),
                },
            )
        })
    }

    /// Marks a pending job as running.
    ///
    /// # Errors
    ///
    /// See [`transition`](Self::transition): a job cancelled while queued is not started.
    pub fn start(&self, id: JobId) -> Result<(), TransitionError> {
        self.transition(id, Status::Running, None)
    }

    /// Records how a running job ended.
    ///
    /// # Errors
    ///
    /// See [`transition`](Self::transition): a job cancelled while it ran keeps `cancelled`.
    pub fn finish(&self, id: JobId, outcome: Outcome) -> Result<(), TransitionError> {
        // Serialized here, before the lock: a worker's time, not the shard's.
        let (to, kept) = match outcome {
            Outcome::Completed(result) => (Status::Completed, json_exactly(&result)),
            Outcome::Failed(error) => (Status::Failed, json_exactly(&error)),
            Outcome::Cancelled => (Status::Cancelled, None),
        };
        self.transition(id, to, kept)
    }

    /// Cancels a pending or running job: its status becomes `cancelled` now, and its context
    /// is cancelled, so the work stops.
    ///
    /// # Errors
    ///
    /// See [`transition`](Self::transition): a finished job cannot be cancelled.
    pub fn cancel(&self, id: JobId) -> Result<(), TransitionError> {
        self.transition(id, Status::Cancelled, None)
    }

    // ANCHOR: transition
    /// The one place where a status changes: checks the move and makes it under one write
    /// lock. When the job finishes, its context handle is dropped (cancelling a `DELETE`d
    /// job's work) and its long polls are answered, both after the lock is released.
    ///
    /// # Errors
    ///
    /// [`TransitionError::NotFound`], or [`TransitionError::Illegal`] when the move is not in
    /// the diagram — such as a worker's `completed` arriving after a client's `cancelled`.
    // ANCHOR: transition_locked
    pub fn transition(
        &self,
        id: JobId,
        to: Status,
        outcome: Option<Box<RawValue>>,
    ) -> Result<(), TransitionError> {
        let now = UnixMillis::now(); // read before the lock is taken
        // Rounded up: a job finished at 0.9 s is not "a second old" at 1.0 s.
        let now_s = self.clock_s(Round::Up);
        let (cancel, waiters, answer) = {
            let mut guard = self.write(id);
            let shard = &mut *guard;
            let record = shard.jobs.get_mut(&id).ok_or(TransitionError::NotFound)?;
            if !record.status.can_become(to) {
                return Err(TransitionError::Illegal {
                    from: record.status,
                    to,
                });
            }
            count_out(&mut shard.counts, record.status);
            shard.counts[to.index()] += 1;
            record.status = to;
            record.updated_at = now;
            if outcome.is_some() {
                shard.outcome_bytes -= outcome_len(record);
                record.outcome = outcome;
                shard.outcome_bytes += outcome_len(record);
            }
            if !to.is_finished() {
                return Ok(());
            }
            record.finished_s = now_s;
            let cancel = record.cancel.take();
            let waiters = shard.waiters.remove(&id).unwrap_or_default();
            let answer = (!waiters.is_empty()).then(|| result_response(id, record));
            shard.finished.push_back(id);
            self.keep_outcomes_within_budget(shard, id);
            (cancel, waiters, answer)
        }; // the write lock is released here
        // ANCHOR_END: transition_locked
        // ANCHOR: transition_after
        drop(cancel); // cancels the job's context, if its work is still running
        if let Some(answer) = answer {
            for (_, waiter) in waiters {
                waiter.send(answer.clone());
            }
        }
        if let Some(events) = &self.events {
            events.finished(to);
        }
        Ok(())
    }
    // ANCHOR_END: transition_after
    // ANCHOR_END: transition

    // ANCHOR: broken
    /// The broken twin of [`transition`](Self::transition): checks the move under a read lock,
    /// then makes it under a later write lock. Two racing moves can both pass the check.
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn transition_check_then_write_broken(
        &self,
        id: JobId,
        to: Status,
    ) -> Result<(), TransitionError> {
        let from = self
            .read(id)
            .jobs
            .get(&id)
            .map(|record| record.status)
            .ok_or(TransitionError::NotFound)?;
        if !from.can_become(to) {
            return Err(TransitionError::Illegal { from, to });
        }
        if let Some(record) = self.write(id).jobs.get_mut(&id) {
            record.status = to;
        }
        Ok(())
    }
    // ANCHOR_END: broken

    /// The answer to `GET /jobs/{id}/result`: 200 with the result once completed, 409 with
    /// the status until then (and for failed or cancelled jobs, which will never have one).
    pub fn result(&self, id: JobId) -> Option<Response> {
        let shard = self.read(id);
        let record = shard.jobs.get(&id)?;
        self.live(record).then(|| result_response(id, record))
    }

    // ANCHOR: wait_for_result
    // ANCHOR: wait_for_result_park
    /// For a long poll: the answer now if the job has finished, or else keeps `responder`,
    /// named `waiter`, to answer when it does. `Err` gives the responder back when the job is
    /// unknown, or holds as many waiters as it may.
    ///
    /// # Errors
    ///
    /// The responder, with the answer to give now (`None`: unknown job).
    pub fn wait_for_result(
        &self,
        id: JobId,
        waiter: WaiterId,
        responder: Responder,
    ) -> Result<(), (Responder, Option<Response>)> {
        let mut guard = self.write(id);
        let shard = &mut *guard;
        let Some(record) = shard.jobs.get(&id) else {
            return Err((responder, None));
        };
        if record.status.is_finished() {
            return Err((responder, Some(result_response(id, record))));
        }
        let waiting = shard.waiters.entry(id).or_default();
        if waiting.len() >= MAX_WAITERS_PER_JOB {
            return Err((responder, Some(result_response(id, record))));
        }
        waiting.push((waiter, responder));
        Ok(())
    }
    // ANCHOR_END: wait_for_result_park

    // ANCHOR: wait_for_result_answer
    /// For a long poll: keeps `responder` to answer when the job finishes, or answers it now if
    /// the job has finished already (or is unknown, or has as many waiters as it may). The
    /// check and the registration are one step under the shard's lock, and `transition` takes
    /// the waiters under the lock that changes the status: so a job finishing at the same moment
    /// either finds this waiter in its list or this call finds the job finished — never
    /// neither. The loom models in `tests/loom.rs` check both halves, with a broken twin each.
    pub fn await_result(&self, id: JobId, waiter: WaiterId, responder: Responder) {
        if let Err((responder, answer)) = self.wait_for_result(id, waiter, responder) {
            responder.send(answer.unwrap_or_else(|| job_not_found(&id.to_string())));
        }
    }

    /// Forgets a long poll that no longer waits: its deadline passed (the loop answered it)
    /// or its client hung up. Without this, a client polling a long job in a loop would fill
    /// the job's waiting list with answered polls.
    pub fn forget_waiter(&self, id: JobId, waiter: WaiterId) {
        let forgotten = {
            let mut shard = self.write(id);
            let waiting = shard.waiters.get_mut(&id);
            let forgotten = waiting.and_then(|waiting| {
                let index = waiting.iter().position(|(named, _)| *named == waiter)?;
                Some(waiting.swap_remove(index).1)
            });
            if shard.waiters.get(&id).is_some_and(Vec::is_empty) {
                shard.waiters.remove(&id);
            }
            forgotten
        };
        // Nobody waits for this answer any more: the loop abandoned the request. Dismissed, not
        // dropped — a dropped responder answers 500 — and outside the lock, like every other
        // hand-off to the loop.
        if let Some(responder) = forgotten {
            responder.dismiss();
        }
    }
    // ANCHOR_END: wait_for_result_answer
    // ANCHOR_END: wait_for_result

    // ANCHOR: cancel_unfinished
    /// Cancels every job not yet finished, recording `why` as its error: what a server that
    /// may wait no longer for its jobs does (chapter 10). Returns how many it cancelled.
    pub fn cancel_unfinished(&self, why: &str) -> usize {
        let mut cancelled = 0;
        for shard in &self.shards {
            let unfinished: Vec<JobId> = {
                let shard = shard
                    .read()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let records = shard.jobs.iter();
                records
                    .filter(|(_, record)| !record.status.is_finished())
                    .map(|(&id, _)| id)
                    .collect()
            };
            for id in unfinished {
                // A job that finished since we looked refuses the move: it keeps its ending.
                if self.cancel_because(id, why).is_ok() {
                    cancelled += 1;
                }
            }
        }
        cancelled
    }
    // ANCHOR_END: cancel_unfinished

    /// Cancels a pending or running job, recording `why` as its error.
    ///
    /// # Errors
    ///
    /// See [`transition`](Self::transition).
    pub fn cancel_because(&self, id: JobId, why: &str) -> Result<(), TransitionError> {
        self.transition(id, Status::Cancelled, json_exactly(why))
    }

    /// How many jobs the store holds in each status, in [`Status::ALL`]'s order (finished
    /// jobs until they are purged, which is at most a few submissions after they expire): for
    /// `/metrics`. Each shard purges a few expired jobs first, as a submission does.
    pub fn counts(&self) -> [usize; 5] {
        let mut counts = [0; 5];
        for shard in &self.shards {
            let mut shard = shard
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            self.expire(&mut shard);
            for (total, count) in counts.iter_mut().zip(shard.counts) {
                *total += count;
            }
        }
        counts
    }

    /// How many long polls are waiting for a job to finish, across the store.
    pub fn waiting_polls(&self) -> usize {
        let mut waiting = 0;
        for shard in &self.shards {
            let shard = shard
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            waiting += shard.waiters.values().map(Vec::len).sum::<usize>();
        }
        waiting
    }

    /// How many jobs the store holds.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| shard.read().map_or(0, |shard| shard.jobs.len()))
            .sum()
    }

    /// Whether the store holds no job.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether a record is still visible: unfinished, or finished less than a TTL ago.
    fn live(&self, record: &Record) -> bool {
        !record.status.is_finished() || self.within_ttl(record, self.clock_s(Round::Down))
    }

    /// Whether a record finished less than a TTL ago, by whole seconds: its end is rounded
    /// up and `now_s` down, so a record is never dropped early, and at most a second late.
    fn within_ttl(&self, record: &Record, now_s: u32) -> bool {
        let age = Duration::from_secs(u64::from(now_s.saturating_sub(record.finished_s)));
        age < self.ttl
    }

    /// Seconds since the store was made, by the monotonic clock: 4 bytes in a record, where an
    /// `Instant` takes 16.
    fn clock_s(&self, round: Round) -> u32 {
        whole_seconds(self.started.elapsed(), round)
    }

    // ANCHOR: result_budget
    /// Evicts the oldest finished jobs, never `keep` (the job that just finished), while the
    /// shard's outcomes take more than their share of `result_bytes`.
    fn keep_outcomes_within_budget(&self, shard: &mut Shard, keep: JobId) {
        while shard.outcome_bytes > self.outcome_bytes_per_shard {
            match shard.finished.front() {
                Some(&oldest) if oldest != keep => {
                    shard.finished.pop_front();
                    shard.forget(oldest);
                }
                _ => break,
            }
        }
    }
    // ANCHOR_END: result_budget

    /// Forgets jobs that finished more than a TTL ago (the oldest are first in line): at most
    /// [`PURGE_AT_MOST`] a call, so that a shard whose jobs all expired together — a flood ten
    /// minutes ago — is purged a little at every submission, not all at once on the loop.
    fn expire(&self, shard: &mut Shard) {
        let now_s = self.clock_s(Round::Down);
        for _ in 0..PURGE_AT_MOST {
            let Some(&id) = shard.finished.front() else {
                break;
            };
            // A finished job is gone from `jobs` only if `remove` forgot it (a drain cancelled
            // it while its submission was being refused): nothing to keep in line for.
            let keep = shard
                .jobs
                .get(&id)
                .is_some_and(|record| self.within_ttl(record, now_s));
            if keep {
                break;
            }
            shard.finished.pop_front();
            shard.forget(id);
        }
    }

    fn read(&self, id: JobId) -> RwLockReadGuard<'_, Shard> {
        // Nothing panics while holding a shard's lock, so a poisoned one is still consistent.
        self.shards[id.shard(self.shards.len())]
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self, id: JobId) -> RwLockWriteGuard<'_, Shard> {
        self.shards[id.shard(self.shards.len())]
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

// ANCHOR: json_exactly
/// `value` as JSON text in an allocation of exactly its size. `serde_json::to_raw_value`
/// writes into a growing buffer and then shrinks it, and the allocator keeps the cut-off
/// tail as a hole beside every result: a hundred bytes per finished job, measured. Here the
/// text is written into a buffer kept by the thread, and copied out at its size.
fn json_exactly(value: &(impl Serialize + ?Sized)) -> Option<Box<RawValue>> {
    use std::cell::RefCell;
    thread_local! {
        static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    }
    SCRATCH.with_borrow_mut(|scratch| {
        scratch.clear();
        serde_json::to_writer(&mut *scratch, value).ok()?;
        let text = std::str::from_utf8(scratch).ok()?;
        // `String::from(&str)` allocates exactly `text.len()` bytes; the check that the text
        // is JSON is a parse of what was just written, paid once per finished job.
        RawValue::from_string(String::from(text)).ok()
    })
}
// ANCHOR_END: json_exactly

/// Expired jobs purged at most per submission (and per shard, per `/metrics` scrape): more
/// than one, so that purging keeps ahead of a steady flow of jobs.
const PURGE_AT_MOST: usize = 32;

/// Which way to round a time to whole seconds.
#[derive(Clone, Copy)]
enum Round {
    Down,
    Up,
}

/// `elapsed` in whole seconds, rounded as asked (and saturating at `u32::MAX`: 136 years).
fn whole_seconds(elapsed: Duration, round: Round) -> u32 {
    let up = matches!(round, Round::Up) && elapsed.subsec_nanos() > 0;
    u32::try_from(elapsed.as_secs().saturating_add(u64::from(up))).unwrap_or(u32::MAX)
}

/// One job fewer in `status`.
fn count_out(counts: &mut [usize; 5], status: Status) {
    let count = &mut counts[status.index()];
    debug_assert!(*count > 0, "the counts of {status:?} drifted");
    *count = count.saturating_sub(1);
}

/// The bytes of JSON text a record keeps as its outcome.
fn outcome_len(record: &Record) -> usize {
    record.outcome.as_ref().map_or(0, |raw| raw.get().len())
}

impl Record {
    /// Why the job failed or was cancelled, as a JSON string, if it says.
    fn error(&self) -> Option<&RawValue> {
        match self.status {
            Status::Failed | Status::Cancelled => self.outcome.as_deref(),
            _ => None,
        }
    }

    /// The same, as text.
    fn error_text(&self) -> Option<String> {
        self.error()
            .and_then(|raw| serde_json::from_str(raw.get()).ok())
    }
}

fn view(id: JobId, kind: &'static str, record: &Record) -> JobView {
    JobView {
        id,
        kind,
        status: record.status,
        created_at: record.created_at.to_string(),
        updated_at: record.updated_at.to_string(),
        error: record.error_text(),
    }
}

/// The 404 for `id`, a job the store does not hold — or, from a path, not an id at all; it
/// repeats only the start of a long one.
pub fn job_not_found(id: &str) -> Response {
    ApiError::JobNotFound(http_loop::response::excerpt(id).into_owned()).into_response()
}

fn result_response(id: JobId, record: &Record) -> Response {
    result_of(id, record.status, record.outcome.as_deref())
}

/// The answer to `GET /jobs/{id}/result` for a job in `status` with `outcome` (its result's
/// JSON text when completed; a failed or cancelled job's error, as a JSON string): 200 with the
/// result, else 409 with the status and the error. Any store that keeps outcomes as JSON text
/// answers with it (the Redis-backed one too).
pub fn result_of(id: JobId, status: Status, outcome: Option<&RawValue>) -> Response {
    #[derive(Serialize)]
    struct ResultRef<'a> {
        id: JobId,
        status: Status,
        result: &'a RawValue,
    }
    match (status, outcome) {
        (Status::Completed, Some(result)) => Response::json(
            200,
            &ResultRef {
                id,
                status: Status::Completed,
                result,
            },
        ),
        (status, outcome) => ApiError::NotCompleted {
            id,
            status,
            error: outcome
                .filter(|_| matches!(status, Status::Failed | Status::Cancelled))
                .and_then(|raw| serde_json::from_str(raw.get()).ok()),
        }
        .into_response(),
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    struct Nowhere;

    impl http_loop::Deliver for Nowhere {
        fn deliver(&self, _: http_loop::slab::Key, _: u64, _: Response) {}
    }

    fn responder() -> Responder {
        let key = http_loop::slab::Key {
            index: 0,
            generation: 0,
        };
        Responder::new(std::sync::Arc::new(Nowhere), key, 0)
    }

    fn a_store_with_a_pending_job() -> (JobStore, JobId) {
        let store = JobStore::new(StoreConfig {
            capacity: 4,
            shards: 1,
            ..StoreConfig::default()
        });
        let id = JobId::random().expect("randomness");
        let (_ctx, cancel) = ch03_context::Context::background().with_cancel();
        store.insert(id, "sleep", cancel).expect("room");
        (store, id)
    }

    /// The side map of long polls keeps no empty list behind: not after a poll is forgotten,
    /// nor after its job finishes.
    #[test]
    fn the_long_polls_leave_no_empty_lists() {
        let (store, id) = a_store_with_a_pending_job();
        let waiter = WaiterId::next();
        store.await_result(id, waiter, responder());
        store.forget_waiter(id, waiter);
        assert!(store.read(id).waiters.is_empty(), "after forget_waiter");
        store.await_result(id, WaiterId::next(), responder());
        store.cancel(id).expect("pending → cancelled");
        assert!(store.read(id).waiters.is_empty(), "after the job finished");
    }

    /// A job holds at most `MAX_WAITERS_PER_JOB` long polls; the next is answered at once.
    #[test]
    fn the_long_polls_of_one_job_are_bounded() {
        let (store, id) = a_store_with_a_pending_job();
        for _ in 0..MAX_WAITERS_PER_JOB {
            assert!(
                store
                    .wait_for_result(id, WaiterId::next(), responder())
                    .is_ok()
            );
        }
        assert!(
            store
                .wait_for_result(id, WaiterId::next(), responder())
                .is_err()
        );
    }

    /// An end is rounded up and a now down, so an age in whole seconds is never more than the
    /// true age: a record is never dropped before its TTL.
    #[test]
    fn ages_in_whole_seconds_are_never_too_old() {
        let ms = Duration::from_millis;
        assert_eq!(whole_seconds(ms(950), Round::Up), 1);
        assert_eq!(whole_seconds(ms(1_000), Round::Up), 1);
        assert_eq!(whole_seconds(ms(1_050), Round::Down), 1);
        // Finished at 0.95 s, read at 1.05 s: 0.1 s old, counted as 0.
        let age = whole_seconds(ms(1_050), Round::Down) - whole_seconds(ms(950), Round::Up);
        assert_eq!(age, 0);
        assert_eq!(whole_seconds(Duration::MAX, Round::Up), u32::MAX);
    }

    /// A record is 48 bytes: the layout the book's arithmetic of bytes per job stands on.
    #[test]
    fn a_record_is_48_bytes() {
        assert_eq!(std::mem::size_of::<Record>(), 48);
    }
}
