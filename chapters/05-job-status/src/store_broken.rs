//! The broken twins of the long-poll protocol: each is `store.rs`'s real code with one step
//! moved or dropped, compiled only under `--cfg loom` for the models in `tests/loom.rs`, which
//! show that loom catches every one of them.

use super::{JobStore, Status, WaiterId, job_not_found, result_response};
use crate::job::JobId;
use http_loop::Responder;
use serde_json::Value;

impl JobStore {
    /// [`await_result`](JobStore::await_result) without the re-check: registers the waiter
    /// whatever the status. A job that finished since the client looked never answers it.
    #[doc(hidden)]
    pub fn await_result_without_recheck_broken(
        &self,
        id: JobId,
        waiter: WaiterId,
        responder: Responder,
    ) {
        let mut shard = self.write(id);
        if shard.jobs.contains_key(&id) {
            shard
                .waiters
                .entry(id)
                .or_default()
                .push((waiter, responder));
        } else {
            responder.send(job_not_found(&id.to_string()));
        }
    }

    /// Completing a job with its waiters taken under one lock and its status changed under a
    /// second: a waiter that registers between the two sees the job still running, and is
    /// left behind in a finished job's list.
    #[doc(hidden)]
    pub fn complete_waiters_apart_broken(&self, id: JobId, result: Value) {
        let waiters = self.write(id).waiters.remove(&id).unwrap_or_default();
        let answer = {
            let mut shard = self.write(id);
            let Some(record) = shard.jobs.get_mut(&id) else {
                return;
            };
            record.status = Status::Completed;
            record.outcome = serde_json::value::to_raw_value(&result).ok();
            result_response(id, record)
        };
        for (_, waiter) in waiters {
            waiter.send(answer.clone());
        }
    }

    /// [`forget_waiter`](JobStore::forget_waiter) as it was: the responder dropped, not
    /// dismissed — and a dropped responder answers 500.
    #[doc(hidden)]
    pub fn forget_waiter_by_drop_broken(&self, id: JobId, waiter: WaiterId) {
        if let Some(waiting) = self.write(id).waiters.get_mut(&id) {
            waiting.retain(|(named, _)| *named != waiter);
        }
    }

    /// [`start`](JobStore::start) without the check: marks the job running whatever its
    /// status, so a worker can resurrect a job a client cancelled while it was queued.
    #[doc(hidden)]
    pub fn start_unchecked_broken(&self, id: JobId) {
        if let Some(record) = self.write(id).jobs.get_mut(&id) {
            record.status = Status::Running;
        }
    }
}
