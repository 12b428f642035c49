//! A job worker: one of this server's threads, all reading the stream as one consumer of the
//! group. A worker reads an entry only when it is free, so a busy server leaves the queue to
//! the others — the stream is the queue, and its backpressure is the workers'.

use crate::backoff::Backoff;
use crate::jobs::{Running, RunningJobs, Shared, is_missing_group, lock_running};
use ch05_job_status::{JobId, Outcome, Status, outcome_of};
use redis::streams::{StreamAutoClaimReply, StreamId, StreamReadReply};
use redis::{Connection, RedisResult};
use std::sync::atomic::Ordering;
use std::time::Duration;

/// How long one read waits for an entry; the worker then looks at whether to stop.
const READ_BLOCK: Duration = Duration::from_millis(500);

/// One entry of the stream: the job it names.
#[derive(Debug)]
pub struct Entry {
    /// The entry's id in the stream.
    pub entry: String,
    /// The job.
    pub id: JobId,
}

// ANCHOR: work
/// A worker's life: take an entry — one claimed from a dead server first, else a new one,
/// or the one the last finish read — run its job, and again, until the drain.
pub fn work(shared: &Shared) {
    let mut connection = None;
    let mut backoff = Backoff::default();
    // The entry the last finish script read along with it, if any: a busy worker's next job
    // costs no read of its own.
    let mut next = None;
    while shared.taking_jobs() {
        let taken = match next.take() {
            Some(entry) => Ok(Some(entry)),
            None => next_entry(shared, &mut connection),
        };
        match taken {
            Ok(Some(entry)) => {
                backoff.reset();
                if !shared.taking_jobs() {
                    // Read as the drain began: left pending, for another server to claim.
                    return;
                }
                next = run_entry(shared, &entry);
            }
            Ok(None) => backoff.reset(),
            Err(error) => {
                // The connection is in an unknown state: the next round opens a new one.
                connection = None;
                shared.health.failed(&error);
                if is_missing_group(&error) {
                    let _ = shared.call(|connection| create_group(shared, connection));
                    continue;
                }
                log::warn!("job worker: {error}; retrying in {:?}", backoff.pause());
                if !backoff.wait(&shared.server_ctx) {
                    return;
                }
            }
        }
    }
}
// ANCHOR_END: work

/// Creates the stream and its group if they do not exist. The group starts at the stream's
/// beginning (`0`): entries added before it existed are read too.
///
/// # Errors
///
/// When Redis cannot be reached.
pub fn create_group(shared: &Shared, connection: &mut Connection) -> RedisResult<()> {
    let created: RedisResult<()> = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(&shared.keys.stream)
        .arg(shared.keys.group)
        .arg("0")
        .arg("MKSTREAM")
        .query(connection);
    match created {
        Err(error) if error.code() == Some("BUSYGROUP") => Ok(()),
        other => other,
    }
}

// ANCHOR: next_entry
/// The next entry for this worker: one a dead server left (see [`claim_dead`]), or else a new
/// one, waiting up to [`READ_BLOCK`].
fn next_entry(shared: &Shared, connection: &mut Option<Connection>) -> RedisResult<Option<Entry>> {
    let connection = match connection {
        Some(connection) => connection,
        None => connection.insert(shared.connections.open()?),
    };
    if shared.claim_is_due() {
        if let Some(entry) = claim_dead(shared, connection)? {
            return Ok(Some(entry));
        }
    }
    let keys = &shared.keys;
    let read: Option<StreamReadReply> = redis::cmd("XREADGROUP")
        .arg("GROUP")
        .arg(keys.group)
        .arg(&shared.config.consumer)
        .arg("COUNT")
        .arg(1)
        .arg("BLOCK")
        .arg(u64::try_from(READ_BLOCK.as_millis()).unwrap_or(500))
        .arg("STREAMS")
        .arg(&keys.stream)
        .arg(">")
        .query(connection)?;
    let entry = read
        .and_then(|reply| reply.keys.into_iter().next())
        .and_then(|key| key.ids.into_iter().next());
    match entry {
        Some(entry) => to_entry(shared, connection, &entry),
        None => Ok(None),
    }
}
// ANCHOR_END: next_entry

// ANCHOR: claim_dead
/// An entry whose server stopped refreshing it for `claim_idle` — it died, or lost Redis
/// that long — claimed for this server. One worker looks, four times per `claim_idle`, not
/// every worker before every job: the look is a round trip, and almost always finds nothing.
/// `XAUTOCLAIM` examines a bounded stretch of the pending entries per call, so the scan goes
/// on from the cursor the last call returned, round the whole list.
fn claim_dead(shared: &Shared, connection: &mut Connection) -> RedisResult<Option<Entry>> {
    let keys = &shared.keys;
    let idle_ms = u64::try_from(shared.config.claim_idle.as_millis()).unwrap_or(u64::MAX);
    let claimed: StreamAutoClaimReply = redis::cmd("XAUTOCLAIM")
        .arg(&keys.stream)
        .arg(keys.group)
        .arg(&shared.config.consumer)
        .arg(idle_ms)
        .arg(shared.claim_cursor())
        .arg("COUNT")
        .arg(1)
        .query(connection)?;
    shared.set_claim_cursor(claimed.next_stream_id);
    let Some(entry) = claimed.claimed.first() else {
        return Ok(None);
    };
    log::warn!(
        "claimed entry {}: its server stopped refreshing it",
        entry.id
    );
    // Another may be waiting: the next round looks again.
    shared.claim_again_now();
    to_entry(shared, connection, entry)
}
// ANCHOR_END: claim_dead

/// The job an entry names. An entry that names none (written by something else) is
/// acknowledged and deleted, so that it is not read again.
fn to_entry(
    shared: &Shared,
    connection: &mut Connection,
    entry: &StreamId,
) -> RedisResult<Option<Entry>> {
    let id = entry.get::<String>("id").as_deref().and_then(JobId::parse);
    match id {
        Some(id) => Ok(Some(Entry {
            entry: entry.id.clone(),
            id,
        })),
        None => {
            discard(shared, connection, &entry.id)?;
            Ok(None)
        }
    }
}

/// Acknowledges and deletes an entry that names no job (written by something else), so that
/// it is not read again.
fn discard(shared: &Shared, connection: &mut Connection, entry: &str) -> RedisResult<()> {
    log::error!("stream entry {entry} names no job: deleted");
    redis::pipe()
        .cmd("XACK")
        .arg(&shared.keys.stream)
        .arg(shared.keys.group)
        .arg(entry)
        .cmd("XDEL")
        .arg(&shared.keys.stream)
        .arg(entry)
        .exec(connection)
}

/// What the start script answered.
enum Started {
    /// Run it: its body, and when it was submitted (ms).
    Run { body: String, created_ms: u64 },
    /// Not to run: it was cancelled, or has ended, or expired.
    Skip(String),
}

// ANCHOR: run_entry
// ANCHOR: run_entry_start
/// Runs the job of `entry` here: registered first, so that a `DELETE` announced after the
/// start script finds it, and started by the script, which refuses a job cancelled while
/// queued ([`start_registered`]); run under a context with the job's deadline; finished by
/// the script, which acknowledges the entry — retried until Redis answers, so that no outcome
/// is dropped.
pub fn run_entry(shared: &Shared, entry: &Entry) -> Option<Entry> {
    let id = entry.id;
    if lock_running(&shared.running).contains_key(&id) {
        // Our own entry, claimed back after a refresh came too late (Redis was away): the job
        // runs here already, and the entry is ours again either way.
        return None;
    }
    let (ctx, cancel) = shared.server_ctx.with_value("job_id", id).with_cancel();
    let job = Running {
        entry: entry.entry.clone(),
        cancel: Some(cancel),
    };
    let started = start_registered(&shared.running, id, job, || {
        let started = shared
            .call_until_answered("start a job", |connection| start(shared, connection, entry));
        match started {
            Some(Started::Run { body, created_ms }) => Some((body, created_ms)),
            Some(Started::Skip(status)) => {
                log::debug!("job {id}: {status}, not started");
                None
            }
            None => None,
        }
    });
    let (body, created_ms) = started?; // not started: nothing to run, nothing read next
    shared.events.accepted();
    // Relaxed: a gauge, read on its own.
    shared.busy.fetch_add(1, Ordering::Relaxed);
    // ANCHOR_END: run_entry_start
    // ANCHOR: run_entry_finish
    let outcome = match shared.kinds.parse_spec(body.as_bytes()) {
        Ok(spec) => {
            // The timeout counts from the submission, as on one server: time queued counts.
            let ends = spec.timeout.map(|timeout| {
                let waited = Duration::from_millis(shared.now_ms().saturating_sub(created_ms));
                timeout.saturating_sub(waited)
            });
            let (ctx, _deadline) = match ends {
                Some(left) => ctx.with_timeout(left),
                None => ctx.with_cancel(),
            };
            outcome_of(id, &ctx, &spec, |ctx, spec| spec.work.run(ctx))
        }
        Err(error) => Outcome::Failed(format!(
            "the job's stored request no longer parses: {error}"
        )),
    };
    shared.running().remove(&id);
    shared.busy.fetch_sub(1, Ordering::Relaxed); // Relaxed: as above

    let (status, text) = match &outcome {
        Outcome::Completed(result) => (Status::Completed, serde_json::to_string(result)),
        Outcome::Failed(error) => (Status::Failed, serde_json::to_string(error)),
        Outcome::Cancelled => (Status::Cancelled, Ok(String::new())),
    };
    let text = text.unwrap_or_default();
    let ended = shared.call_until_answered("record a job's end", |connection| {
        // The next entry comes with the finish, unless the server drains or it is time to
        // look for a dead server's entries (`next_entry` does that) — asked at each try: a
        // drain may begin while the finish waits for Redis.
        let read_next = shared.taking_jobs() && !shared.claim_pending();
        finish(shared, connection, entry, status, &text, read_next)
    });
    let (ended, next) = ended.unzip();
    // The status the job ended with: a `DELETE` that came first wins over this outcome.
    let final_status = ended.as_deref().and_then(status_named).unwrap_or(status);
    shared.events.finished(final_status);
    next.flatten()
}
// ANCHOR_END: run_entry_finish
// ANCHOR_END: run_entry

// ANCHOR: start_registered
/// The worker's half of its protocol with the listener: register job `id` in `running`, with
/// its cancel handle, FIRST; then `start` it — the start script, which moves the job to
/// `running` (`Some`) or refuses one cancelled while queued (`None`, and the job is taken out
/// of `running` again). A `DELETE` on another server that the start did not refuse is
/// announced after the start, so after the registration: the listener
/// ([`ended_with`](crate::listener::ended_with)) always finds the handle, and stops the work.
pub fn start_registered<T>(
    running: &RunningJobs,
    id: JobId,
    job: Running,
    start: impl FnOnce() -> Option<T>,
) -> Option<T> {
    lock_running(running).insert(id, job);
    let started = start();
    if started.is_none() {
        lock_running(running).remove(&id);
    }
    started
}
// ANCHOR_END: start_registered

/// The broken twin of [`start_registered`]: starts first, registers second. A cancel
/// announced between the two finds no handle to take, and the work runs to its end. Only the
/// loom models call it, to show that they catch the bug.
#[cfg(loom)]
#[doc(hidden)]
pub fn start_then_register_broken<T>(
    running: &RunningJobs,
    id: JobId,
    job: Running,
    start: impl FnOnce() -> Option<T>,
) -> Option<T> {
    let started = start();
    if started.is_some() {
        lock_running(running).insert(id, job);
    }
    started
}

fn start(shared: &Shared, connection: &mut Connection, entry: &Entry) -> RedisResult<Started> {
    let keys = &shared.keys;
    let answer: Vec<String> = shared
        .scripts
        .start
        .key(keys.job(entry.id))
        .key(&keys.queued)
        .key(&keys.stream)
        .arg(&shared.config.consumer)
        .arg(shared.now_ms())
        .arg(keys.group)
        .arg(&entry.entry)
        .invoke(connection)?;
    Ok(match answer.as_slice() {
        [run, body, created] if run == "run" || run == "rerun" => Started::Run {
            body: body.clone(),
            created_ms: created.parse().unwrap_or(0),
        },
        [_, status] => Started::Skip(status.clone()),
        _ => Started::Skip("unknown".to_owned()),
    })
}

/// Runs the finish script: the job's final status, and — when `read_next` — the entry it read
/// for this worker. If the answer is lost and the call retried, the entry read the first time
/// stays pending under this server's name until a claim finds it: delayed, not lost.
fn finish(
    shared: &Shared,
    connection: &mut Connection,
    entry: &Entry,
    status: Status,
    outcome: &str,
    read_next: bool,
) -> RedisResult<(String, Option<Entry>)> {
    let keys = &shared.keys;
    let answer: Vec<String> = shared
        .scripts
        .finish
        .key(keys.job(entry.id))
        .key(&keys.stream)
        .arg(status.as_str())
        .arg(outcome)
        .arg(shared.now_ms())
        .arg(shared.config.ttl.as_secs().max(1))
        .arg(keys.group)
        .arg(&entry.entry)
        .arg(&keys.ended)
        .arg(entry.id.to_string())
        .arg(if read_next {
            shared.config.consumer.as_str()
        } else {
            ""
        })
        .invoke(connection)?;
    match answer.as_slice() {
        [status] => Ok((status.clone(), None)),
        [status, next, id] => {
            let next = match JobId::parse(id) {
                Some(id) => Some(Entry {
                    entry: next.clone(),
                    id,
                }),
                None => {
                    discard(shared, connection, next)?;
                    None
                }
            };
            Ok((status.clone(), next))
        }
        _ => Ok(("expired".to_owned(), None)),
    }
}

/// The status spelled `name`, if it is one.
pub fn status_named(name: &str) -> Option<Status> {
    Status::ALL
        .into_iter()
        .find(|status| status.as_str() == name)
}
