//! Where the complete server keeps its jobs and their queue: in this process — chapters 5 to
//! 10's store and job pool — or on a Redis shared by several servers (`--store redis://…`,
//! the crate `redis-jobs`). The routes, the monitoring and the drain see only this trait.

use ch05_job_status::Jobs;
use http_loop::{Response, Router};
use redis_jobs::{BackendStatus, RedisJobs};
use std::sync::Arc;

// ANCHOR: backend
/// What the complete server asks of the place its jobs are kept.
pub trait JobBackend: Send + Sync {
    /// `router`, with the job API (`POST /jobs`, `GET /jobs/{id}`, …) on this backend.
    fn add_routes(self: Arc<Self>, router: Router) -> Router;
    /// The jobs' figures, for `/metrics`.
    fn gauges(&self) -> JobGauges;
    /// Why the backend cannot serve now — `/ready`'s 503 — or `None` when it can.
    fn unavailable(&self) -> Option<Response>;
    /// The drain's first step: take no more jobs; those taken go on.
    fn stop_taking_jobs(&self);
    /// The drain's deadline: the jobs still unfinished here are cancelled, saying `why`.
    /// Returns how many.
    fn cancel_unfinished(&self, why: &str) -> usize;
}
// ANCHOR_END: backend

/// The jobs' figures, as the backend knows them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobGauges {
    /// Jobs held, by status — `None` where counting them would mean reading every record (a
    /// shared Redis).
    pub by_status: Option<[usize; 5]>,
    /// Jobs waiting for a worker (on Redis: for any server's).
    pub queue_depth: usize,
    /// Long polls waiting here.
    pub long_polls: usize,
    /// This server's job workers running a job.
    pub busy_workers: usize,
    /// This server's job workers.
    pub workers: usize,
    /// The shared store's state, when there is one.
    pub store: Option<BackendStatus>,
}

// ANCHOR: in_memory
/// In this process: chapter 5's store and job pool, as chapters 5 to 10 built them.
impl JobBackend for Jobs {
    fn add_routes(self: Arc<Self>, router: Router) -> Router {
        ch05_job_status::add_routes(router, self)
    }

    fn gauges(&self) -> JobGauges {
        let pool = self.pool();
        JobGauges {
            by_status: Some(self.store().counts()),
            queue_depth: pool.queued(),
            long_polls: self.store().waiting_polls(),
            busy_workers: pool.busy(),
            workers: pool.workers(),
            store: None,
        }
    }

    fn unavailable(&self) -> Option<Response> {
        None
    }

    fn stop_taking_jobs(&self) {
        self.pool().close(); // queued jobs still run; new ones are refused
    }

    fn cancel_unfinished(&self, why: &str) -> usize {
        self.store().cancel_unfinished(why)
    }
}
// ANCHOR_END: in_memory

// ANCHOR: on_redis
/// On a Redis shared with other servers.
impl JobBackend for RedisJobs {
    fn add_routes(self: Arc<Self>, router: Router) -> Router {
        redis_jobs::api::add_routes(router, self)
    }

    fn gauges(&self) -> JobGauges {
        let store = self.status();
        JobGauges {
            by_status: None,
            queue_depth: usize::try_from(store.lag).unwrap_or(usize::MAX),
            long_polls: self.long_polls(),
            busy_workers: self.busy(),
            workers: self.workers(),
            store: Some(store),
        }
    }

    fn unavailable(&self) -> Option<Response> {
        RedisJobs::unavailable(self)
    }

    fn stop_taking_jobs(&self) {
        RedisJobs::stop_taking_jobs(self);
    }

    fn cancel_unfinished(&self, why: &str) -> usize {
        self.cancel_running(why)
    }
}
// ANCHOR_END: on_redis
