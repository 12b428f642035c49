//! Chapter 6's server over real TCP: `primes` jobs fanned out on either engine, and their
//! limits. (A job stopped by `DELETE` or its deadline: `tests/cancel.rs`.)

use ch02_worker_pool::PoolSize;
use ch05_job_status::{Jobs, StoreConfig, router};
use ch06_fan_out_fan_in::{Engines, kinds};
use std::sync::Arc;
use test_support::{Client, TestServer};

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

#[test]
fn both_engines_count_the_same_primes() {
    let server = server();
    let mut client = server.client();
    for engine in ["threads", "rayon"] {
        let body =
            format!(r#"{{"kind":"primes","input":{{"limit":10000000,"engine":"{engine}"}}}}"#);
        let id = submitted(&mut client, &body);
        let answer = result(&mut client, &id);
        assert_eq!(answer["result"]["primes"], 664_579, "{answer}");
        assert_eq!(answer["result"]["engine"], engine);
        assert_eq!(answer["result"]["workers"], 2);
    }
    // Without an engine: the hand-written fan-out.
    let id = submitted(&mut client, r#"{"kind":"primes","input":{"limit":100}}"#);
    assert_eq!(result(&mut client, &id)["result"]["engine"], "threads");
}

#[test]
fn bad_inputs_name_their_field() {
    let server = server();
    let mut client = server.client();
    for (body, field) in [
        (
            r#"{"kind":"primes","input":{"limit":10000000001}}"#,
            "input.limit",
        ),
        (r#"{"kind":"primes","input":{"limit":-1}}"#, "input.limit"),
        (r#"{"kind":"primes","input":{"limit":1e9}}"#, "input.limit"),
        (
            r#"{"kind":"primes","input":{"limit":9,"engine":"gpu"}}"#,
            "input.engine",
        ),
        (
            r#"{"kind":"primes","input":{"limit":9,"engine":1}}"#,
            "input.engine",
        ),
        (
            r#"{"kind":"primes","input":{"limit":9,"workers":64}}"#,
            "input.workers",
        ),
    ] {
        let answer = submit(&mut client, body);
        assert_eq!(answer.status, 400, "{body}");
        let message = answer.json()["error"]["message"].to_string();
        assert!(message.contains(field), "{body}: {message}");
    }
}
