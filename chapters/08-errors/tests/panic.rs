//! A job that panics fails alone: its worker lives on. (One test in this file: the thread
//! count is the whole process's, and other tests' servers would blur it.)

use ch02_worker_pool::PoolSize;
use ch05_job_status::{Jobs, StoreConfig, router};
use ch06_fan_out_fan_in::{Engines, kinds};
use ch07_pipeline::with_wordfreq;
use ch08_errors::with_error_kinds;
use serde_json::{Value, json};
use std::sync::Arc;
use test_support::{Answer, Client, TestServer, threads_named};

/// One job worker: a panic that killed it would leave no one to run the next job.
fn server() -> TestServer {
    let requests = ch03_context::request_pool(PoolSize::default()).expect("workers");
    let engines = Engines::new(2).expect("rayon threads");
    let kinds = with_error_kinds(with_wordfreq(kinds(Arc::new(engines)), 2));
    let one_worker = PoolSize {
        workers: 1,
        queue: 8,
    };
    let jobs = Jobs::with_kinds(kinds, StoreConfig::default(), one_worker).expect("job workers");
    TestServer::start(router(requests, jobs))
}

fn submit(client: &mut Client, body: &Value) -> Answer {
    let body = body.to_string();
    client.send(format!(
        "POST /jobs HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    ));
    client.read_answer()
}

/// Submits `body` and waits for the job to end; its status JSON.
fn ended(client: &mut Client, body: Value) -> Value {
    let answer = submit(client, &body);
    assert_eq!(
        answer.status,
        202,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let id = answer.json()["id"].as_str().expect("an id").to_owned();
    let _ = client.get(&format!("/jobs/{id}/result?wait=30s"));
    client.get(&format!("/jobs/{id}")).json()
}

fn fail(mode: &str) -> Value {
    json!({"kind": "fail", "input": {"mode": mode}})
}

// ANCHOR: panic
/// A job that panics fails with the panic's message; the one job worker lives on and runs the
/// next job, and the pool still has its one thread.
#[test]
fn a_panicking_job_fails_alone_and_its_worker_lives_on() {
    let server = server();
    let mut client = server.client();
    let workers = threads_named(&["job-worker-"]);
    let status = ended(&mut client, fail("panic"));
    assert_eq!(status["status"], "failed");
    assert_eq!(
        status["error"],
        "the job panicked: the job panicked on purpose"
    );
    let next = ended(&mut client, json!({"kind": "sleep", "input": {"ms": 0}}));
    assert_eq!(next["status"], "completed");
    assert_eq!(
        threads_named(&["job-worker-"]),
        workers,
        "the pool kept its size"
    );
}
// ANCHOR_END: panic
