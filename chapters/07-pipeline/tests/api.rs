//! Chapter 7's server over real TCP: `wordfreq` jobs, their bad inputs, a text at the body
//! limit, and every earlier kind still served.

use ch02_worker_pool::PoolSize;
use ch05_job_status::{Jobs, StoreConfig, router};
use serde_json::json;
use test_support::{Client, TestServer};

fn server() -> TestServer {
    let requests = ch03_context::request_pool(PoolSize::default()).expect("workers");
    let kinds = ch07_pipeline::job_kinds(2).expect("chapter 6's threads");
    let one_worker = PoolSize {
        workers: 1,
        queue: 8,
    };
    let jobs = Jobs::with_kinds(kinds, StoreConfig::default(), one_worker).expect("job workers");
    TestServer::start(router(requests, jobs))
}

fn result_of(client: &mut Client, body: &str) -> serde_json::Value {
    let id = client.accepted_job(body);
    client.job_result(&id)
}

#[test]
fn a_wordfreq_job_gives_the_top_words_and_each_stages_figures() {
    let server = server();
    let mut client = server.client();
    let body = json!({"kind": "wordfreq", "input": {"text": "Été été the THE the cat", "top": 2}});
    let answer = result_of(&mut client, &body.to_string());
    let result = &answer["result"];
    assert_eq!(result["words"], 6);
    assert_eq!(
        result["top"],
        json!([{"word": "the", "count": 3}, {"word": "été", "count": 2}])
    );
    let stages: Vec<_> = result["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .map(|stage| stage["stage"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(stages, ["source", "tokenize", "count", "finish"]);
    // The primes of chapter 6 are still served, fanned out.
    let primes = result_of(&mut client, r#"{"kind":"primes","input":{"limit":1000}}"#);
    assert_eq!(primes["result"]["primes"], 168);
}

#[test]
fn a_text_near_the_body_limit_is_counted() {
    let server = server();
    let mut client = server.client();
    let text = "word ".repeat(200_000); // 1,000,000 bytes, in a body under 1 MiB
    let body = json!({"kind": "wordfreq", "input": {"text": text}}).to_string();
    assert!(body.len() < 1 << 20);
    let answer = result_of(&mut client, &body);
    assert_eq!(
        answer["result"]["top"],
        json!([{"word": "word", "count": 200_000}])
    );
}

#[test]
fn bad_inputs_name_their_field() {
    let server = server();
    let mut client = server.client();
    for (body, field) in [
        (r#"{"kind":"wordfreq","input":{}}"#, "input.text"),
        (r#"{"kind":"wordfreq","input":{"text":7}}"#, "input.text"),
        (
            r#"{"kind":"wordfreq","input":{"text":"a","top":0}}"#,
            "input.top",
        ),
        (
            r#"{"kind":"wordfreq","input":{"text":"a","top":1001}}"#,
            "input.top",
        ),
        (
            r#"{"kind":"wordfreq","input":{"text":"a","top":"3"}}"#,
            "input.top",
        ),
        (
            r#"{"kind":"wordfreq","input":{"text":"a","lang":"fr"}}"#,
            "input.lang",
        ),
        (r#"{"kind":"wordcount","input":{"text":"a"}}"#, "kind"),
    ] {
        let answer = client.submit_job(body);
        assert_eq!(answer.status, 400, "{body}");
        let message = answer.json()["error"]["message"].to_string();
        assert!(message.contains(field), "{body}: {message}");
    }
    // The unknown kind's message lists the kinds there are.
    let answer = client.submit_job(r#"{"kind":"wordcount"}"#);
    let message = answer.json()["error"]["message"].to_string();
    assert!(message.contains(r#"\"wordfreq\""#), "{message}");
}
