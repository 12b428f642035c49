//! The job API over real TCP: submit, follow, wait for, and cancel jobs; every bad submission
//! is a 400 naming its field.

use ch02_worker_pool::PoolSize;
use ch05_job_status::{Jobs, StoreConfig, router};
use std::time::Duration;
use test_support::{Answer, Client, TestServer};

fn server(store: StoreConfig, workers: PoolSize) -> TestServer {
    let requests = ch03_context::request_pool(PoolSize::default()).expect("workers");
    let jobs = Jobs::new(store, workers).expect("job workers");
    TestServer::start(router(requests, jobs))
}

fn default_server() -> TestServer {
    server(StoreConfig::default(), PoolSize::default())
}

/// Submits `body` with the given `Content-Type` (none if `None`).
fn submit_as(client: &mut Client, content_type: Option<&str>, body: &str) -> Answer {
    let header = content_type.map_or(String::new(), |t| format!("Content-Type: {t}\r\n"));
    client.request_with("POST", "/jobs", &header, body.as_bytes())
}

/// `POST /jobs` answers 202 at once, with `Location` and the pending status; the job runs and
/// its result comes to a client that waits for it.
#[test]
fn a_job_is_accepted_at_once_and_its_result_can_be_awaited() {
    let server = default_server();
    let mut client = server.client();
    let answer = client.submit_job(r#"{"kind":"primes","input":{"limit":100}}"#);
    assert_eq!(answer.status, 202);
    let id = answer.json()["id"].as_str().expect("an id").to_owned();
    assert_eq!(answer.json()["status"], "pending");
    assert_eq!(
        answer.header("location"),
        Some(format!("/jobs/{id}").as_str())
    );

    let result = client.get(&format!("/jobs/{id}/result?wait=10s"));
    assert_eq!(result.status, 200);
    assert_eq!(result.json()["result"]["primes"], 25);
    let status = client.get(&format!("/jobs/{id}")).json();
    assert_eq!(status["status"], "completed");
    assert_eq!(status["kind"], "primes");
    assert!(
        status["created_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    server.stop();
}

/// Until a job completes, its result is a 409 carrying its status.
#[test]
fn the_result_of_an_unfinished_job_is_409_with_its_status() {
    let server = default_server();
    let mut client = server.client();
    let id = client.accepted_job(r#"{"kind":"sleep","input":{"ms":60000}}"#);
    let answer = client.get(&format!("/jobs/{id}/result"));
    assert_eq!(answer.status, 409);
    assert!(matches!(
        answer.json()["status"].as_str(),
        Some("pending" | "running")
    ));
    // A long poll that runs out answers the same, at the end of its wait.
    let waited = client.get(&format!("/jobs/{id}/result?wait=50ms"));
    assert_eq!(waited.status, 409);
    server.stop();
}

/// `DELETE` cancels a running job through its context; its status says so, a second
/// `DELETE` is a 409, and a long poll on the cancelled job is answered at once with its status —
/// not at the end of its 30 s wait, which the failure guard would notice first.
#[test]
fn delete_cancels_a_job() {
    let server = default_server();
    let mut client = server.client();
    let id = client.accepted_job(r#"{"kind":"sleep","input":{"ms":60000}}"#);
    let deleted = client.request("DELETE", &format!("/jobs/{id}"), b"");
    assert_eq!(deleted.status, 200);
    assert_eq!(deleted.json()["status"], "cancelled");
    let again = client.request("DELETE", &format!("/jobs/{id}"), b"");
    assert_eq!(
        (again.status, again.error_code().as_str()),
        (409, "already_finished")
    );
    assert_eq!(
        client.get(&format!("/jobs/{id}")).json()["status"],
        "cancelled"
    );
    let polled = client.get(&format!("/jobs/{id}/result?wait=30s"));
    assert_eq!(
        (polled.status, polled.json()["status"].as_str()),
        (409, Some("cancelled"))
    );
    server.stop(); // returns promptly only if the sleeping job saw its context end
}

/// A long poll whose client hangs up (here: shuts down its sending side, which counts as a
/// hang-up) is forgotten silently: no 500 from the responder the store dropped, and the job
/// runs on for whoever else asks.
#[test]
fn a_long_poll_whose_client_hangs_up_goes_silently() {
    let server = default_server();
    let mut client = server.client();
    let id = client.accepted_job(r#"{"kind":"sleep","input":{"ms":60000}}"#);
    let mut waiter = server.client();
    waiter.send(format!(
        "GET /jobs/{id}/result?wait=30s HTTP/1.1\r\nHost: t\r\n\r\n"
    ));
    waiter.finish_sending();
    assert!(
        waiter.is_closed_by_server(),
        "the abandoned long poll was answered: {:?}",
        waiter.try_read_answer().map(|answer| answer.status)
    );
    let status = client.get(&format!("/jobs/{id}")).json()["status"].clone();
    assert!(
        status == "pending" || status == "running",
        "the job ran on: {status}"
    );
    server.stop();
}

// ANCHOR: long_poll
/// A long poll is answered the moment the job ends, whoever ends it.
#[test]
fn a_waiting_client_is_answered_when_the_job_is_cancelled() {
    let server = default_server();
    let mut client = server.client();
    let id = client.accepted_job(r#"{"kind":"sleep","input":{"ms":60000}}"#);
    let mut waiter = server.client();
    waiter.send(format!(
        "GET /jobs/{id}/result?wait=30s HTTP/1.1\r\nHost: t\r\n\r\n"
    ));
    // Once the job's status is readable the wait is registered or about to be; either way
    // the store answers it: at once if the job is already cancelled, or when it is.
    client.request("DELETE", &format!("/jobs/{id}"), b"");
    let answer = waiter.read_answer();
    assert_eq!(answer.status, 409);
    assert_eq!(answer.json()["status"], "cancelled");
    server.stop();
}
// ANCHOR_END: long_poll

/// A job that runs past its `timeout_ms` fails, and says why.
#[test]
fn a_job_past_its_timeout_fails() {
    let server = default_server();
    let mut client = server.client();
    let id = client.accepted_job(r#"{"kind":"sleep","input":{"ms":60000},"timeout_ms":20}"#);
    let answer = client.get(&format!("/jobs/{id}/result?wait=10s"));
    assert_eq!(answer.status, 409);
    assert_eq!(answer.json()["status"], "failed");
    let status = client.get(&format!("/jobs/{id}")).json();
    assert_eq!(status["error"], "timed out after 20 ms");
    server.stop();
}

/// Every bad submission is a 400 whose message names the field (`body` when the body is not
/// a JSON object at all, with the code `invalid_json`).
#[test]
fn bad_submissions_are_400_naming_the_field() {
    let server = default_server();
    let mut client = server.client();
    let cases = [
        ("not json", "body"),
        (r#"{"kind":"sleep","input":{"ms":"10"}}"#, "input.ms"),
        (r#"{"kind":"sleep","input":{"ms":-1}}"#, "input.ms"),
        (
            r#"{"kind":"sleep","input":{"ms":99999999999999}}"#,
            "input.ms",
        ),
        (r#"{"kind":"bake","input":{}}"#, "kind"),
        (r#"{"input":{"ms":1}}"#, "kind"),
        (
            r#"{"kind":"primes","input":{"limit":1},"timeout_ms":-3}"#,
            "timeout_ms",
        ),
    ];
    for (body, field) in cases {
        let answer = client.submit_job(body);
        assert_eq!(answer.status, 400, "{body}");
        let code = if field == "body" {
            "invalid_json"
        } else {
            "invalid_field"
        };
        assert_eq!(answer.error_code(), code, "{body}");
        let message = answer.json()["error"]["message"].to_string();
        assert!(message.contains(&format!("`{field}`")), "{body}: {message}");
    }
    server.stop();
}

/// Unknown and malformed ids are 404.
#[test]
fn unknown_jobs_are_404() {
    let server = default_server();
    let mut client = server.client();
    for path in [
        "/jobs/0f6c2a9e-4b7d-4c1e-8a3f-5b6d7e8f9a0b",
        "/jobs/nonsense",
        "/jobs/nonsense/result",
    ] {
        let answer = client.get(path);
        assert_eq!(
            (answer.status, answer.error_code().as_str()),
            (404, "job_not_found")
        );
    }
    let delete = client.request("DELETE", "/jobs/0f6c2a9e-4b7d-4c1e-8a3f-5b6d7e8f9a0b", b"");
    assert_eq!(delete.status, 404);
    server.stop();
}

/// A store full of unfinished jobs refuses a submission with 503 and `Retry-After`; once a
/// job finishes, the oldest finished one makes room.
#[test]
fn a_store_full_of_unfinished_jobs_is_503() {
    let store = StoreConfig {
        capacity: 2,
        shards: 1,
        ttl: Duration::from_secs(600),
        preallocate: true,
        ..StoreConfig::default()
    };
    let server = server(
        store,
        PoolSize {
            workers: 2,
            queue: 8,
        },
    );
    let mut client = server.client();
    let first = client.accepted_job(r#"{"kind":"sleep","input":{"ms":60000}}"#);
    client.accepted_job(r#"{"kind":"sleep","input":{"ms":60000}}"#);
    let refused = client.submit_job(r#"{"kind":"sleep","input":{"ms":1}}"#);
    assert_eq!(
        (refused.status, refused.error_code().as_str()),
        (503, "store_full")
    );
    assert_eq!(refused.header("retry-after"), Some("1"));

    client.request("DELETE", &format!("/jobs/{first}"), b"");
    client.accepted_job(r#"{"kind":"sleep","input":{"ms":1}}"#);
    assert_eq!(
        client.get(&format!("/jobs/{first}")).status,
        404,
        "evicted to make room"
    );
    server.stop();
}

/// A bad `wait` is a 400 naming it.
#[test]
fn a_bad_wait_is_400() {
    let server = default_server();
    let mut client = server.client();
    let id = client.accepted_job(r#"{"kind":"sleep","input":{"ms":1}}"#);
    for wait in [
        "forever", "31s", "-1s", "5", "+1s", "%2B1s", "1.5s", "s", "%zz",
    ] {
        let answer = client.get(&format!("/jobs/{id}/result?wait={wait}"));
        assert_eq!(
            (answer.status, answer.error_code().as_str()),
            (
                400,
                if wait == "%zz" {
                    "invalid_query"
                } else {
                    "invalid_wait"
                }
            ),
            "{wait}"
        );
    }
    server.stop();
}

/// `wait` is read like any query parameter: percent-decoded, and refused when given twice
/// (which one would win is a guess a client should not have to make).
#[test]
fn wait_is_percent_decoded_and_may_be_given_once() {
    let server = default_server();
    let mut client = server.client();
    let id = client.accepted_job(r#"{"kind":"sleep","input":{"ms":1}}"#);
    let decoded = client.get(&format!("/jobs/{id}/result?wait=%31%30s")); // 10s
    assert_eq!(
        decoded.status,
        200,
        "{}",
        String::from_utf8_lossy(&decoded.body)
    );
    let twice = client.get(&format!("/jobs/{id}/result?wait=1s&wait=2s"));
    assert_eq!(
        (twice.status, twice.error_code().as_str()),
        (400, "invalid_query")
    );
    assert!(
        twice.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("`wait`")
    );
    server.stop();
}

/// A submission must say it is JSON: any other `Content-Type`, or none, is a 415 naming it;
/// parameters such as a charset are fine.
#[test]
fn a_submission_that_is_not_json_is_415() {
    let server = default_server();
    let mut client = server.client();
    let body = r#"{"kind":"sleep","input":{"ms":1}}"#;
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let answer = submit_as(&mut client, content_type, body);
        assert_eq!(
            (answer.status, answer.error_code().as_str()),
            (415, "unsupported_media_type"),
            "{content_type:?}"
        );
    }
    let charset = submit_as(&mut client, Some("Application/JSON; charset=utf-8"), body);
    assert_eq!(charset.status, 202);
    server.stop();
}

/// A 404 repeats only the start of a long id, and a path with an empty id segment matches no
/// route rather than reading the next segment as the id.
#[test]
fn not_found_answers_stay_small_and_empty_ids_match_no_route() {
    let server = default_server();
    let mut client = server.client();
    let long = client.get(&format!("/jobs/{}", "x".repeat(10_000)));
    assert_eq!(
        (long.status, long.error_code().as_str()),
        (404, "job_not_found")
    );
    assert!(long.body.len() < 300, "a {}-byte 404", long.body.len());
    let empty = client.get("/jobs//result");
    assert_eq!(
        (empty.status, empty.error_code().as_str()),
        (404, "not_found")
    );
    server.stop();
}

/// Long polls whose wait ran out give their place back: after many of them, a new long poll
/// still waits — it is answered when the job ends, not at once.
#[test]
fn expired_long_polls_do_not_fill_the_waiting_list() {
    let server = default_server();
    let mut client = server.client();
    let id = client.accepted_job(r#"{"kind":"sleep","input":{"ms":60000}}"#);
    for _ in 0..ch05_job_status::store::MAX_WAITERS_PER_JOB + 6 {
        assert_eq!(
            client.get(&format!("/jobs/{id}/result?wait=1ms")).status,
            409
        );
    }
    let mut waiter = server.client();
    waiter.send(format!(
        "GET /jobs/{id}/result?wait=30s HTTP/1.1\r\nHost: t\r\n\r\n"
    ));
    // The poll is registered once the loop has read it; a request on the same connection as
    // the DELETE cannot overtake it, so check the job is still running first.
    assert_eq!(
        client.get(&format!("/jobs/{id}")).json()["status"],
        "running"
    );
    client.request("DELETE", &format!("/jobs/{id}"), b"");
    let answer = waiter.read_answer();
    assert_eq!(
        answer.json()["status"],
        "cancelled",
        "the poll waited for the end instead of being answered at once as `running`"
    );
    server.stop();
}
