//! Chapter 6's server for the tests over TCP, with one job worker: jobs run one after
//! another, so when a later job's result is in, the earlier job's run — and its fan-out — has
//! returned.

use ch02_worker_pool::PoolSize;
use ch05_job_status::{Jobs, StoreConfig, router};
use test_support::TestServer;

/// The server, on a free port, with fan-outs of two threads.
pub fn server() -> TestServer {
    let requests = ch03_context::request_pool(PoolSize::default()).expect("workers");
    let kinds = ch06_fan_out_fan_in::job_kinds(2).expect("rayon threads");
    let one_worker = PoolSize {
        workers: 1,
        queue: 8,
    };
    let jobs = Jobs::with_kinds(kinds, StoreConfig::default(), one_worker).expect("job workers");
    TestServer::start(router(requests, jobs))
}
