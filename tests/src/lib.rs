//! The chapters' servers, listed once, so that every shared test runs against each of them.
//!
//! A chapter is added here when it lands; from then on the refusal and robustness tests in
//! `tests/` run against its server too.

use http_loop::Config;
use test_support::TestServer;

/// One chapter's server, ready to start on a free port.
pub struct Chapter {
    /// The chapter's package name.
    pub name: &'static str,
    /// Starts the chapter's server with `config`.
    pub start: fn(Config) -> TestServer,
}

/// Every chapter, in order.
pub const CHAPTERS: &[Chapter] = &[
    Chapter {
        name: "ch01-channels",
        start: |config| TestServer::start_with(ch01_channels::router(), config),
    },
    Chapter {
        name: "ch02-worker-pool",
        start: |config| {
            let pool = ch02_worker_pool::primes_pool(ch02_worker_pool::PoolSize::default())
                .expect("worker threads");
            TestServer::start_with(ch02_worker_pool::router(pool), config)
        },
    },
    Chapter {
        name: "ch03-context",
        start: |config| {
            let pool = ch03_context::request_pool(ch02_worker_pool::PoolSize::default())
                .expect("worker threads");
            TestServer::start_with(ch03_context::router(pool), config)
        },
    },
    Chapter {
        name: "ch04-timeouts",
        start: |config| {
            let pool = ch03_context::request_pool(ch02_worker_pool::PoolSize::default())
                .expect("worker threads");
            TestServer::start_with(ch04_timeouts::router(pool), config)
        },
    },
    Chapter {
        name: "ch05-job-status",
        start: |config| {
            let size = ch02_worker_pool::PoolSize::default();
            let requests = ch03_context::request_pool(size).expect("worker threads");
            let jobs = ch05_job_status::Jobs::new(ch05_job_status::StoreConfig::default(), size)
                .expect("job worker threads");
            TestServer::start_with(ch05_job_status::router(requests, jobs), config)
        },
    },
];

// ANCHOR: for_each_chapter
/// Runs `test` against each chapter's server, started with `config`, and then checks that the
/// server still answers a fresh client: whatever the test did to it must not stall others.
pub fn for_each_chapter(config: &Config, test: impl Fn(&TestServer)) {
    for chapter in CHAPTERS {
        let server = (chapter.start)(config.clone());
        test(&server);
        let health = server.client().get("/health");
        assert_eq!(health.status, 200, "{} stopped serving", chapter.name);
        server.stop();
    }
}
// ANCHOR_END: for_each_chapter
