//! Chapter 8's server for the tests over TCP, and the submissions they share.

use ch02_worker_pool::PoolSize;
use ch05_job_status::{Jobs, StoreConfig, router};
use serde_json::{Value, json};
use test_support::{Answer, Client, TestServer};

/// The server with one job worker: each job runs after the one before has ended, and a panic
/// that killed the worker would leave no one to run the next job.
pub fn server() -> TestServer {
    let requests = ch03_context::request_pool(PoolSize::default()).expect("workers");
    let kinds = ch08_errors::job_kinds(2).expect("chapter 6's threads");
    let one_worker = PoolSize {
        workers: 1,
        queue: 8,
    };
    let jobs = Jobs::with_kinds(kinds, StoreConfig::default(), one_worker).expect("job workers");
    TestServer::start(router(requests, jobs))
}

/// `POST /jobs` with `body`. (Not every test file submits without waiting.)
#[allow(dead_code)]
pub fn submit(client: &mut Client, body: &Value) -> Answer {
    client.submit_job(&body.to_string())
}

/// Submits `body` and waits for the job to end; its status JSON.
pub fn ended(client: &mut Client, body: Value) -> Value {
    let id = client.accepted_job(&body.to_string());
    let _ = client.get(&format!("/jobs/{id}/result?wait=30s"));
    client.get(&format!("/jobs/{id}")).json()
}

/// A `fail` job of `mode`.
pub fn fail(mode: &str) -> Value {
    json!({"kind": "fail", "input": {"mode": mode}})
}
