//! Chapter 8's server over real TCP: jobs that fail in each way a job can, a worker that
//! outlives a panic, retries, and batches that fail together.

mod common;

use common::{ended, fail, server, submit};
use serde_json::json;
use std::time::{Duration, Instant};

#[test]
fn an_error_and_transient_errors_end_as_they_should() {
    let server = server();
    let mut client = server.client();
    let status = ended(&mut client, fail("error"));
    assert_eq!(
        (status["status"].as_str(), status["error"].as_str()),
        (Some("failed"), Some("the job failed on purpose"))
    );

    let twice = json!({"kind": "fail", "input": {"mode": "transient", "times": 2}});
    let answer = submit(&mut client, &twice);
    let id = answer.json()["id"].as_str().expect("an id").to_owned();
    let result = client.get(&format!("/jobs/{id}/result?wait=30s")).json();
    assert_eq!(result["result"], json!({"attempts": 3}));

    let too_many = json!({"kind": "fail", "input": {"mode": "transient", "times": 5}});
    let status = ended(&mut client, too_many);
    assert_eq!(status["status"], "failed");
    assert_eq!(
        status["error"],
        "gave up after 5 attempts: a transient failure on attempt 5"
    );
}

// ANCHOR: batch
/// A batch of a long sleep and a failure: the failure ends the batch at once, names its
/// sub-job, and the sleep is cancelled rather than waited for.
#[test]
fn the_first_failure_ends_a_batch_and_names_its_sub_job() {
    let server = server();
    let mut client = server.client();
    let started = Instant::now();
    let batch = json!({"kind": "batch", "input": {"jobs": [
        {"kind": "sleep", "input": {"ms": 600_000}},
        fail("error"),
        {"kind": "primes", "input": {"limit": 1000}},
    ]}});
    let status = ended(&mut client, batch);
    assert_eq!(status["status"], "failed");
    assert_eq!(
        status["error"],
        "sub-job 1 (fail): the job failed on purpose"
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "the sleep was waited for"
    );
}
// ANCHOR_END: batch

#[test]
fn a_batch_that_succeeds_gives_every_result_in_order() {
    let server = server();
    let mut client = server.client();
    let batch = json!({"kind": "batch", "input": {"jobs": [
        {"kind": "primes", "input": {"limit": 100}},
        {"kind": "wordfreq", "input": {"text": "a b a", "top": 1}},
        {"kind": "sleep", "input": {"ms": 1}},
    ]}});
    let answer = submit(&mut client, &batch);
    let id = answer.json()["id"].as_str().expect("an id").to_owned();
    let result = client.get(&format!("/jobs/{id}/result?wait=30s")).json();
    let results = &result["result"]["results"];
    assert_eq!(results[0]["primes"], 25);
    assert_eq!(results[1]["top"], json!([{"word": "a", "count": 2}]));
    assert_eq!(results[2], json!({"slept_ms": 1}));
}

#[test]
fn a_panicking_sub_job_fails_its_batch_with_its_message() {
    let server = server();
    let mut client = server.client();
    let batch = json!({"kind": "batch", "input": {"jobs": [{"kind": "sleep", "input": {"ms": 0}}, fail("panic")]}});
    let status = ended(&mut client, batch);
    assert_eq!(
        status["error"],
        "sub-job 1 (fail): panicked: the job panicked on purpose"
    );
}

#[test]
fn a_deleted_batch_is_cancelled_with_its_sub_jobs() {
    let server = server();
    let mut client = server.client();
    let batch =
        json!({"kind": "batch", "input": {"jobs": [{"kind": "sleep", "input": {"ms": 600_000}}]}});
    let id = submit(&mut client, &batch).json()["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let deleted = client.request("DELETE", &format!("/jobs/{id}"), b"");
    assert_eq!(deleted.json()["status"], "cancelled");
    // The one job worker is free again once the batch has stopped: the next job completes.
    let next = ended(&mut client, json!({"kind": "sleep", "input": {"ms": 0}}));
    assert_eq!(next["status"], "completed");
}

#[test]
fn bad_inputs_name_their_field() {
    let server = server();
    let mut client = server.client();
    let sleep = json!({"kind": "sleep", "input": {"ms": 1}});
    let cases = [
        (json!({"kind": "fail", "input": {}}), "input.mode"),
        (
            json!({"kind": "fail", "input": {"mode": "explode"}}),
            "input.mode",
        ),
        (
            json!({"kind": "fail", "input": {"mode": "transient", "times": 11}}),
            "input.times",
        ),
        (
            json!({"kind": "fail", "input": {"mode": "error", "times": 1}}),
            "input.times",
        ),
        (
            json!({"kind": "batch", "input": {"jobs": []}}),
            "input.jobs",
        ),
        (
            json!({"kind": "batch", "input": {"jobs": vec![sleep.clone(); 17]}}),
            "input.jobs",
        ),
        (
            json!({"kind": "batch", "input": {"jobs": [sleep, {"kind": "sleep", "input": {"ms": -1}}]}}),
            "input.jobs[1].input.ms",
        ),
        (
            json!({"kind": "batch", "input": {"jobs": [{"kind": "batch", "input": {"jobs": []}}]}}),
            "input.jobs[0].kind",
        ),
        (
            json!({"kind": "batch", "input": {"jobs": [7]}}),
            "input.jobs[0]",
        ),
        (
            json!({"kind": "batch", "input": {"jobs": [{"kind": "sleep", "input": {"ms": 1}, "timeout_ms": 5}]}}),
            "input.jobs[0].timeout_ms",
        ),
    ];
    for (body, field) in cases {
        let answer = submit(&mut client, &body);
        assert_eq!(answer.status, 400, "{body}");
        assert_eq!(answer.error_code(), "invalid_field", "{body}");
        let message = answer.json()["error"]["message"].to_string();
        assert!(message.contains(&format!("`{field}`")), "{body}: {message}");
    }
}

/// A batch whose own deadline passes before it starts its sub-jobs fails as timed out — it
/// does not report `completed` with no results. (One worker: the batch waits behind a sleep.)
#[test]
fn a_batch_past_its_deadline_before_its_sub_jobs_fails_as_timed_out() {
    let server = server();
    let mut client = server.client();
    client.accepted_job(r#"{"kind":"sleep","input":{"ms":200}}"#);
    let batch = json!({
        "kind": "batch",
        "input": {"jobs": [{"kind": "sleep", "input": {"ms": 5}}, {"kind": "sleep", "input": {"ms": 5}}]},
        "timeout_ms": 1
    });
    let status = ended(&mut client, batch);
    assert_eq!(status["status"], "failed", "{status}");
    assert_eq!(status["error"], "timed out after 1 ms");
}
