//! A `primes` job stopped by `DELETE` or by its deadline stops every worker thread of its
//! fan-out. (One test in this file: it counts the process's threads, which other tests'
//! servers would blur.)

use ch02_worker_pool::PoolSize;
use ch05_job_status::{Jobs, StoreConfig, router};
use ch06_fan_out_fan_in::{Engines, kinds};
use std::sync::Arc;
use std::time::Instant;
use test_support::{Client, FAILURE_GUARD, TestServer, threads_named_after_exit};

/// The server with one job worker, so that jobs run one after another: when a later job's
/// result is in, the earlier job's run — and its fan-out — has returned.
fn server() -> TestServer {
    let requests = ch03_context::request_pool(PoolSize::default()).expect("workers");
    let engines = Engines::new(2).expect("rayon threads");
    let jobs = Jobs::with_kinds(
        kinds(Arc::new(engines)),
        StoreConfig::default(),
        PoolSize {
            workers: 1,
            queue: 8,
        },
    )
    .expect("job workers");
    TestServer::start(router(requests, jobs))
}

fn submit(client: &mut Client, body: &str) -> test_support::Answer {
    client.send(format!(
        "POST /jobs HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    ));
    client.read_answer()
}

fn submitted(client: &mut Client, body: &str) -> String {
    let answer = submit(client, body);
    assert_eq!(
        answer.status,
        202,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    answer.json()["id"].as_str().expect("an id").to_owned()
}

fn result(client: &mut Client, id: &str) -> serde_json::Value {
    let answer = client.get(&format!("/jobs/{id}/result?wait=30s"));
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    answer.json()
}

/// `DELETE` on a running 10¹⁰ count: the job is `cancelled`, and once the next job's result
/// is in (one job worker: it ran after the cancelled one returned), no fan-out thread is left.
#[test]
fn a_deleted_or_timed_out_job_stops_every_worker() {
    let server = server();
    let mut client = server.client();
    let id = submitted(
        &mut client,
        r#"{"kind":"primes","input":{"limit":10000000000}}"#,
    );
    // Until it runs (a failure guard bounds the polling): then its fan-out threads exist.
    let started = Instant::now();
    while client.get(&format!("/jobs/{id}")).json()["status"] != "running" {
        assert!(started.elapsed() < FAILURE_GUARD, "the job never started");
    }
    let deleted = client.request("DELETE", &format!("/jobs/{id}"), b"");
    assert_eq!(deleted.status, 200);
    assert_eq!(deleted.json()["status"], "cancelled");

    let timed_out = submitted(
        &mut client,
        r#"{"kind":"primes","input":{"limit":10000000000},"timeout_ms":50}"#,
    );
    let after = submitted(&mut client, r#"{"kind":"sleep","input":{"ms":0}}"#);
    assert_eq!(result(&mut client, &after)["status"], "completed");
    let status = client.get(&format!("/jobs/{timed_out}")).json();
    assert_eq!(status["status"], "failed");
    assert_eq!(status["error"], "timed out after 50 ms");
    assert_eq!(
        threads_named_after_exit(&["primes-"]),
        0,
        "a fan-out thread outlived its job"
    );
}
