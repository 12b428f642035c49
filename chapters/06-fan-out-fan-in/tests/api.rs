//! Chapter 6's server over real TCP: `primes` jobs fanned out on either engine, and their
//! limits. (A job stopped by `DELETE` or its deadline: `tests/cancel.rs`.)

mod common;

use common::server;

#[test]
fn both_engines_count_the_same_primes() {
    let server = server();
    let mut client = server.client();
    for engine in ["threads", "rayon"] {
        let body =
            format!(r#"{{"kind":"primes","input":{{"limit":10000000,"engine":"{engine}"}}}}"#);
        let id = client.accepted_job(&body);
        let answer = client.job_result(&id);
        assert_eq!(answer["result"]["primes"], 664_579, "{answer}");
        assert_eq!(answer["result"]["engine"], engine);
        assert_eq!(answer["result"]["workers"], 2);
    }
    // Without an engine: the hand-written fan-out.
    let id = client.accepted_job(r#"{"kind":"primes","input":{"limit":100}}"#);
    assert_eq!(client.job_result(&id)["result"]["engine"], "threads");
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
        let answer = client.submit_job(body);
        assert_eq!(answer.status, 400, "{body}");
        let message = answer.json()["error"]["message"].to_string();
        assert!(message.contains(field), "{body}: {message}");
    }
}
