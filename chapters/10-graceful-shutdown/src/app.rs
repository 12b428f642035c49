//! The complete job server: chapter 9's, with the store's jobs counted, and `/ready`,
//! `/metrics` and `/openapi.json`.

use crate::backend::JobBackend;
use crate::metrics::{Gauges, Metrics, thread_count};
use crate::options::StoreChoice;
use crate::shutdown::Shutdown;
use crate::tally::JobTally;
use ch03_context::RequestPool;
use ch05_job_status::{JobStore, Jobs};
use ch09_rate_limiting::{Options, RateLimited, Semaphore, job_kinds, limit};
use http_loop::{Method, Reply, Response, Router};
use redis_jobs::{RedisConfig, RedisJobs};
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// The OpenAPI 3 document of this server's API, served at `GET /openapi.json`.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// What the monitoring routes and the drain look at.
pub struct Monitoring {
    /// Where the jobs are kept and run: this process's store and pool, or a shared Redis.
    pub jobs: Arc<dyn JobBackend>,
    /// Every job accepted, and how it ended.
    pub tally: Arc<JobTally>,
    /// The expensive jobs' permits.
    pub permits: Arc<Semaphore>,
    /// Draining or not.
    pub shutdown: Arc<Shutdown>,
    /// What the loop counted.
    pub metrics: Arc<Metrics>,
    /// Requests the limiter refused; set once the limiter wraps the routes.
    rate_limited: OnceLock<Arc<AtomicU64>>,
}

// ANCHOR: gauges
impl Monitoring {
    /// The figures read when `/metrics` is asked for.
    pub fn gauges(&self) -> Gauges {
        let jobs = self.jobs.gauges();
        let tally = self.tally.snapshot();
        Gauges {
            jobs: jobs.by_status,
            accepted: tally.accepted,
            finished: [tally.completed, tally.failed, tally.cancelled],
            queue_depth: jobs.queue_depth,
            long_polls: jobs.long_polls,
            busy_workers: jobs.busy_workers,
            workers: jobs.workers,
            store: jobs.store,
            permits_available: self.permits.available(),
            // Relaxed: a counter read on its own.
            rate_limited: self
                .rate_limited
                .get()
                .map_or(0, |count| count.load(Ordering::Relaxed)),
            threads: thread_count(),
            draining: self.shutdown.is_draining(),
        }
    }
}
// ANCHOR_END: gauges

/// The complete server, ready to be bound.
pub struct App {
    /// The routes, behind the limiter: the server's handler.
    pub handler: RateLimited<Router>,
    /// What the monitoring routes and the drain look at.
    pub monitoring: Arc<Monitoring>,
}

// ANCHOR: app
/// Chapter 10's server: chapter 9's routes and jobs, the store's jobs counted by a
/// [`JobTally`], and the monitoring routes — all behind the limiter (which lets `/ready` and
/// `/metrics` through). The jobs are kept in this process.
///
/// # Errors
///
/// When the operating system refuses a worker thread.
pub fn app(requests: RequestPool, options: &Options) -> io::Result<App> {
    app_on(requests, options, &StoreChoice::Memory)
}

// ANCHOR: app_on
/// The complete server, with its jobs kept where `store` says: in this process, or on a
/// Redis shared with other servers.
///
/// # Errors
///
/// When the operating system refuses a worker thread, or the Redis URL does not parse.
pub fn app_on(requests: RequestPool, options: &Options, store: &StoreChoice) -> io::Result<App> {
    let permits = Semaphore::new(options.expensive);
    let tally = Arc::new(JobTally::default());
    let kinds = job_kinds(options.workers, &permits)?;
    // ANCHOR: choose_backend
    let jobs: Arc<dyn JobBackend> = match store {
        StoreChoice::Memory => {
            let store = JobStore::new(options.store_config()).with_events(Arc::clone(&tally) as _);
            Arc::new(Jobs::with_store(kinds, store, options.pool())?)
        }
        StoreChoice::Redis { url, claim_idle } => {
            let mut config = RedisConfig::new(url).map_err(io::Error::other)?;
            config.workers = options.workers;
            config.max_queued = options.queue;
            config.ttl = options.store_config().ttl;
            config.claim_idle = *claim_idle;
            Arc::new(RedisJobs::start(config, kinds, Arc::clone(&tally) as _)?)
        }
    };
    // ANCHOR_END: choose_backend
    let monitoring = Arc::new(Monitoring {
        jobs: Arc::clone(&jobs),
        tally,
        permits,
        shutdown: Arc::new(Shutdown::default()),
        metrics: Arc::new(Metrics::default()),
        rate_limited: OnceLock::new(),
    });
    let routes = jobs.add_routes(ch04_timeouts::router(requests));
    let handler = limit(monitoring_routes(routes, &monitoring), options);
    let _ = monitoring.rate_limited.set(handler.refused());
    Ok(App {
        handler,
        monitoring,
    })
}
// ANCHOR_END: app_on
// ANCHOR_END: app

// ANCHOR: routes
/// Adds `/ready`, `/metrics` and `/openapi.json` to `router`.
pub fn monitoring_routes(router: Router, monitoring: &Arc<Monitoring>) -> Router {
    let (ready, metrics) = (Arc::clone(monitoring), Arc::clone(monitoring));
    router
        .route(Method::Get, "/ready", move |_, _| {
            Reply::Now(if ready.shutdown.is_draining() {
                let message = "the server is shutting down";
                Response::error(503, "draining", message).with_header("Retry-After", "5")
            } else if let Some(unavailable) = ready.jobs.unavailable() {
                unavailable
            } else {
                Response::json(200, &serde_json::json!({ "status": "ready" }))
            })
        })
        .route(Method::Get, "/metrics", move |_, _| {
            let text = metrics.metrics.render(&metrics.gauges());
            Reply::Now(
                Response::new(200)
                    .with_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                    .with_body(text),
            )
        })
        .route(Method::Get, "/openapi.json", |_, _| {
            Reply::Now(
                Response::new(200)
                    .with_header("Content-Type", "application/json")
                    .with_body(OPENAPI),
            )
        })
}
// ANCHOR_END: routes
