//! A `primes` job stopped by `DELETE` or by its deadline stops every worker thread of its
//! fan-out. (One test in this file: it counts the process's threads, which other tests'
//! servers would blur.)

mod common;

use common::server;
use std::time::Instant;
use test_support::{FAILURE_GUARD, threads_named_after_exit};

/// `DELETE` on a running 10¹⁰ count: the job is `cancelled`, and once the next job's result
/// is in (one job worker: it ran after the cancelled one returned), no fan-out thread is left.
#[test]
fn a_deleted_or_timed_out_job_stops_every_worker() {
    let server = server();
    let mut client = server.client();
    let id = client.accepted_job(r#"{"kind":"primes","input":{"limit":10000000000}}"#);
    // Until it runs (a failure guard bounds the polling): then its fan-out threads exist.
    let started = Instant::now();
    while client.get(&format!("/jobs/{id}")).json()["status"] != "running" {
        assert!(started.elapsed() < FAILURE_GUARD, "the job never started");
    }
    let deleted = client.request("DELETE", &format!("/jobs/{id}"), b"");
    assert_eq!(deleted.status, 200);
    assert_eq!(deleted.json()["status"], "cancelled");

    let timed_out =
        client.accepted_job(r#"{"kind":"primes","input":{"limit":10000000000},"timeout_ms":50}"#);
    let after = client.accepted_job(r#"{"kind":"sleep","input":{"ms":0}}"#);
    assert_eq!(client.job_result(&after)["status"], "completed");
    let status = client.get(&format!("/jobs/{timed_out}")).json();
    assert_eq!(status["status"], "failed");
    assert_eq!(status["error"], "timed out after 50 ms");
    assert_eq!(
        threads_named_after_exit(&["primes-"]),
        0,
        "a fan-out thread outlived its job"
    );
}
