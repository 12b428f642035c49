//! The monitoring routes in process: `/ready` turns 503 when the server drains, `/metrics`
//! counts what happened, and `/openapi.json` describes every route the server has.

use ch03_context::request_pool;
use ch09_rate_limiting::Options;
use ch10_graceful_shutdown::{App, Monitoring, app};
use http_loop::{RunningServer, Server};
use std::sync::Arc;
use test_support::Client;

/// Chapter 10's server, as `main` composes it, with what its monitoring routes look at.
fn start(options: &Options) -> (RunningServer, Arc<Monitoring>) {
    let requests = request_pool(ch02_worker_pool::PoolSize::default()).expect("workers");
    let App {
        handler,
        monitoring,
    } = app(requests, options).expect("the server's threads");
    let server = Server::new(handler)
        .observe(monitoring.metrics.clone())
        .bind("127.0.0.1:0")
        .expect("a free port");
    (server, monitoring)
}

fn metrics(client: &mut Client) -> String {
    let answer = client.get("/metrics");
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    String::from_utf8(answer.body).expect("text")
}

#[test]
fn ready_answers_503_once_the_server_drains() {
    let (server, monitoring) = start(&Options::default());
    let mut client = Client::connect(server.local_addr());
    assert_eq!(client.get("/ready").json()["status"], "ready");
    monitoring.shutdown.begin();
    let draining = client.get("/ready");
    assert_eq!(
        (draining.status, draining.error_code()),
        (503, "draining".to_owned())
    );
    server.stop().expect("a clean stop");
}

// ANCHOR: metrics_test
#[test]
fn metrics_count_answers_jobs_and_refusals() {
    let options = Options {
        rate: 1,
        burst: 3,
        ..Options::default()
    };
    let (server, _app) = start(&options);
    let mut client = Client::connect(server.local_addr());
    let id = client.accepted_job(r#"{"kind":"sleep","input":{"ms":0}}"#);
    assert_eq!(client.job_result(&id)["status"], "completed");
    assert_eq!(client.get("/health").status, 200);
    assert_eq!(
        client.get("/health").status,
        429,
        "the fourth request in a burst of 3"
    );
    let text = metrics(&mut client);
    for line in [
        r#"jobserver_http_requests_total{method="POST",route="/jobs",code="202"} 1"#,
        r#"jobserver_http_requests_total{method="GET",route="/jobs/{id}/result",code="200"} 1"#,
        r#"jobserver_http_requests_total{method="GET",route="/health",code="200"} 1"#,
        r#"jobserver_http_requests_total{method="GET",route="/health",code="429"} 1"#,
        "jobserver_http_rate_limited_total 1",
        r#"jobserver_jobs{status="completed"} 1"#,
        "jobserver_jobs_accepted_total 1",
        r#"jobserver_jobs_finished_total{status="completed"} 1"#,
        "jobserver_http_open_connections 1",
        "jobserver_draining 0",
    ] {
        assert!(text.lines().any(|l| l == line), "no {line:?} in\n{text}");
    }
    // `/metrics` itself is never limited: the fifth, sixth … request of this client.
    assert_eq!(client.get("/metrics").status, 200);
    assert_eq!(client.get("/ready").status, 200);
    server.stop().expect("a clean stop");
}
// ANCHOR_END: metrics_test

#[test]
fn the_openapi_document_describes_every_route() {
    let (server, _app) = start(&Options::default());
    let mut client = Client::connect(server.local_addr());
    let answer = client.get("/openapi.json");
    assert_eq!(answer.header("content-type"), Some("application/json"));
    let document = answer.json();
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3."))
    );
    let mut paths: Vec<&str> = document["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .map(String::as_str)
        .collect();
    paths.sort_unstable();
    let mut routes = vec![
        "/health",
        "/ready",
        "/metrics",
        "/openapi.json",
        "/primes",
        "/sleep",
        "/jobs",
        "/jobs/{id}",
        "/jobs/{id}/result",
    ];
    routes.sort_unstable();
    assert_eq!(paths, routes);
    // And each of them is served (none 404s as unknown).
    for route in routes {
        let path = route.replace("{id}", "00000000-0000-4000-8000-000000000000");
        let answer = client.get(&path);
        if answer.status == 404 {
            assert_ne!(answer.error_code(), "not_found", "{path} is not routed");
        }
    }
    server.stop().expect("a clean stop");
}
