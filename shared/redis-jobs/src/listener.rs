//! The listener: one thread subscribed to the channel on which every job's end is
//! announced. A job cancelled on another server and running here is stopped; the long polls
//! held here for a job that ended anywhere are answered.

use crate::api;
use crate::backoff::Backoff;
use crate::jobs::{RunningJobs, Shared, lock_running};
use crate::waiters::Waiters;
use ch05_job_status::JobId;
use http_loop::Response;
use redis::RedisResult;
use std::time::Duration;

/// How long the listener waits for a message before it looks at whether to stop.
const POLL: Duration = Duration::from_millis(250);

// ANCHOR: listen
/// Listens until the server stops; after a lost connection, subscribes again and then
/// re-checks everything it may have missed meanwhile.
pub fn listen(shared: &Shared) {
    let mut backoff = Backoff::default();
    while !shared.server_ctx.is_done() {
        match subscribe_and_serve(shared, &mut backoff) {
            Ok(()) => return,
            Err(error) => {
                shared.health.failed(&error);
                let pause = backoff.pause();
                log::warn!("listener: {error}; subscribing again in {pause:?}");
                if !backoff.wait(&shared.server_ctx) {
                    return;
                }
            }
        }
    }
}

fn subscribe_and_serve(shared: &Shared, backoff: &mut Backoff) -> RedisResult<()> {
    let mut connection = shared.connections.open()?;
    let mut pubsub = connection.as_pubsub();
    pubsub.subscribe(&shared.keys.ended)?;
    pubsub.set_read_timeout(Some(POLL))?;
    // Subscribed: every end announced from now on reaches us. Those announced before — while
    // we were not listening — are found by looking, once, at every job we care about.
    recheck(shared)?;
    backoff.reset();
    while !shared.server_ctx.is_done() {
        match pubsub.get_message() {
            Ok(message) => {
                let payload: String = message.get_payload()?;
                if let Some(id) = JobId::parse(&payload) {
                    ended(shared, id);
                }
            }
            Err(error) if error.is_timeout() => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}
// ANCHOR_END: listen

// ANCHOR: ended
/// Job `id` ended, on some server: if it runs here, it was cancelled elsewhere — stop its
/// work; answer the long polls held here for it ([`ended_with`]).
pub fn ended(shared: &Shared, id: JobId) {
    ended_with(&shared.running, &shared.waiters, id, || {
        api::read_result(shared, id)
    });
}
// ANCHOR_END: ended

// ANCHOR: ended_with
/// The listener's half of both protocols, run when it hears that job `id` ended (Redis
/// announces an end only after the status change that made it).
///
/// - A job running here was cancelled from another server: take its cancel handle from
///   `running` and cancel. The worker registered the handle before its start script made the
///   job `running`, and a cancel that the start did not refuse is announced after the start:
///   the handle is always there to take.
/// - The long polls kept here for it: take them all and answer them with what `read` finds.
///   A long poll is kept before its caller looks ([`park_with`](crate::api::park_with)):
///   one that the look found still on is here to take.
///
/// Whoever takes a cancel handle or a responder is the one to use it: each is used once.
pub fn ended_with(
    running: &RunningJobs,
    waiters: &Waiters,
    id: JobId,
    read: impl FnOnce() -> Response,
) {
    let cancel = lock_running(running)
        .get_mut(&id)
        .and_then(|job| job.cancel.take());
    if let Some(cancel) = cancel {
        log::debug!("job {id}: cancelled on another server");
        cancel.cancel();
    }
    let waiting = waiters.take_all(id);
    if waiting.is_empty() {
        return;
    }
    let answer = read();
    for responder in waiting {
        responder.send(answer.clone());
    }
}
// ANCHOR_END: ended_with

// ANCHOR: recheck
/// After (re)subscribing: the jobs running here that were cancelled meanwhile, and the long
/// polls whose jobs ended meanwhile.
fn recheck(shared: &Shared) -> RedisResult<()> {
    let running: Vec<JobId> = shared.running().keys().copied().collect();
    let waited: Vec<JobId> = shared.waiters.jobs();
    for id in running.into_iter().chain(waited) {
        let status: Option<String> = shared.call(|connection| {
            redis::cmd("HGET")
                .arg(shared.keys.job(id))
                .arg("status")
                .query(connection)
        })?;
        let still_on = matches!(status.as_deref(), Some("pending" | "running"));
        if !still_on {
            ended(shared, id);
        }
    }
    Ok(())
}
// ANCHOR_END: recheck
