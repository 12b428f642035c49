//! The chapters' servers, listed once, so that every shared test runs against each of them.
//!
//! A chapter is added here when it lands; from then on the refusal and robustness tests in
//! `tests/` run against its server too.

use ch02_worker_pool::PoolSize;
use ch05_job_status::StoreConfig;
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
            let pool = ch02_worker_pool::primes_pool(PoolSize::default()).expect("workers");
            TestServer::start_with(ch02_worker_pool::router(pool), config)
        },
    },
    Chapter {
        name: "ch03-context",
        start: |config| TestServer::start_with(ch03_context::router(request_pool()), config),
    },
    Chapter {
        name: "ch04-timeouts",
        start: |config| TestServer::start_with(ch04_timeouts::router(request_pool()), config),
    },
    Chapter {
        name: "ch05-job-status",
        start: |config| {
            let jobs = ch05_job_status::Jobs::new(StoreConfig::default(), PoolSize::default())
                .expect("job workers");
            TestServer::start_with(ch05_job_status::router(request_pool(), jobs), config)
        },
    },
    Chapter {
        name: "ch06-fan-out-fan-in",
        start: |config| job_server(ch06_fan_out_fan_in::job_kinds(2), config),
    },
    Chapter {
        name: "ch07-pipeline",
        start: |config| job_server(ch07_pipeline::job_kinds(2), config),
    },
    Chapter {
        name: "ch08-errors",
        start: |config| job_server(ch08_errors::job_kinds(2), config),
    },
    Chapter {
        name: "ch09-rate-limiting",
        start: |config| {
            let app = ch09_rate_limiting::app(request_pool(), &unlimited()).expect("workers");
            TestServer::start_with(app, config)
        },
    },
    Chapter {
        name: "ch10-graceful-shutdown",
        start: |config| {
            let app = ch10_graceful_shutdown::app(request_pool(), &unlimited()).expect("workers");
            TestServer::start_with(app.handler, config)
        },
    },
];

/// Options for chapters 9 and 10 whose limiter checks every request and refuses none: the
/// shared tests send hundreds of requests from one address, and test the HTTP layer, not the
/// limiter (chapter 9's own tests do that).
fn unlimited() -> ch09_rate_limiting::Options {
    ch09_rate_limiting::Options {
        rate: u32::MAX,
        burst: u32::MAX,
        expensive: 64,
        ..ch09_rate_limiting::Options::default()
    }
}

/// A job server of chapter 5's shape with `kinds`: chapters 6 on.
fn job_server(kinds: std::io::Result<ch05_job_status::Kinds>, config: Config) -> TestServer {
    let kinds = kinds.expect("the kinds' threads");
    let jobs =
        ch05_job_status::Jobs::with_kinds(kinds, StoreConfig::default(), PoolSize::default())
            .expect("job workers");
    TestServer::start_with(ch05_job_status::router(request_pool(), jobs), config)
}

/// The request pool of chapters 3 to 5, at its default size.
fn request_pool() -> ch03_context::RequestPool {
    ch03_context::request_pool(PoolSize::default()).expect("workers")
}

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
