//! Chapter 9's server over TCP: the limiter's answers as a client sees them, two clients kept
//! apart by their addresses (127.0.0.1 and 127.0.0.2), a trusted proxy, and the expensive
//! jobs' permits.

use ch03_context::request_pool;
use ch09_rate_limiting::{Options, Semaphore, app, app_with_permits};
use std::net::IpAddr;
use test_support::{Client, TestServer};

fn server(options: Options) -> TestServer {
    let requests = request_pool(ch02_worker_pool::PoolSize::default()).expect("workers");
    TestServer::start(app(requests, &options).expect("the server's threads"))
}

fn strict() -> Options {
    Options {
        rate: 1,
        burst: 3,
        ..Options::default()
    }
}

const SECOND_CLIENT: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));

// ANCHOR: http_test
#[test]
fn over_the_limit_a_client_gets_429_with_when_and_why_and_others_are_untouched() {
    let server = server(strict());
    let mut client = server.client();
    for _ in 0..3 {
        assert_eq!(client.get("/health").status, 200);
    }
    let limited = client.get("/health");
    assert_eq!(limited.status, 429);
    assert_eq!(limited.error_code(), "rate_limited");
    assert_eq!(limited.header("retry-after"), Some("1"));
    assert_eq!(
        limited.header("ratelimit-policy"),
        Some("\"per-client\";q=3;w=3")
    );
    assert_eq!(limited.header("ratelimit"), Some("\"per-client\";r=0;t=1"));
    // The same client on a new connection is the same client.
    assert_eq!(server.client().get("/health").status, 429);
    // Another address is another client.
    let mut other = Client::connect_from(SECOND_CLIENT, server.addr());
    assert_eq!(other.get("/health").status, 200);
    server.stop();
}
// ANCHOR_END: http_test

#[test]
fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
    let forwarded = |client: &mut Client, from: &str| {
        client.send(format!(
            "GET /health HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: {from}\r\n\r\n"
        ));
        client.read_answer().status
    };
    // Not trusted: every made-up address still spends 127.0.0.1's tokens.
    let server = server(strict());
    let mut client = server.client();
    let statuses: Vec<u16> = (1..=4)
        .map(|n| forwarded(&mut client, &format!("10.0.0.{n}")))
        .collect();
    assert_eq!(statuses, [200, 200, 200, 429]);
    server.stop();

    // Trusted: the last address the proxy added is the client, whatever the client wrote
    // before it (a different claim on every request).
    let server = server_trusting(IpAddr::from([127, 0, 0, 1]));
    let mut proxy = server.client();
    for n in 1..=3 {
        assert_eq!(forwarded(&mut proxy, &format!("6.6.6.{n}, 10.0.0.1")), 200);
    }
    assert_eq!(
        forwarded(&mut proxy, "6.6.6.4, 10.0.0.1"),
        429,
        "10.0.0.1 is limited"
    );
    assert_eq!(
        forwarded(&mut proxy, "10.0.0.1, 10.0.0.2"),
        200,
        "a client's own claim is ignored"
    );
    // A proxy that adds a line of its own after the client's: its line counts.
    let two_lines = |client_says: &str| {
        format!(
            "GET /health HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: {client_says}\r\nX-Forwarded-For: 10.0.0.3\r\n\r\n"
        )
    };
    let statuses: Vec<u16> = (1..=4)
        .map(|n| {
            proxy
                .send(two_lines(&format!("10.0.0.{}", 10 + n)))
                .read_answer()
                .status
        })
        .collect();
    assert_eq!(
        statuses,
        [200, 200, 200, 429],
        "10.0.0.3, whatever the client's line says"
    );
    server.stop();
}

fn server_trusting(proxy: IpAddr) -> TestServer {
    server(Options {
        trusted_proxies: vec![proxy],
        ..strict()
    })
}

// ANCHOR: busy_test
/// One permit, held (by the test, as a running expensive job would hold it): an expensive job
/// is refused at the door with 503 `busy`; a cheap one is accepted; with the permit given
/// back, the expensive one is accepted too.
#[test]
fn the_expensive_jobs_permits_answer_503_busy_when_all_are_in_use() {
    let permits = Semaphore::new(1);
    let requests = request_pool(ch02_worker_pool::PoolSize::default()).expect("workers");
    let app = app_with_permits(requests, &Options::default(), &permits).expect("threads");
    let server = TestServer::start(app);
    let mut client = server.client();
    let held = permits.try_acquire().expect("the one permit");
    let primes = r#"{"kind":"primes","input":{"limit":1000}}"#;
    let busy = client.submit_job(primes);
    assert_eq!((busy.status, busy.error_code()), (503, "busy".to_owned()));
    assert_eq!(busy.header("retry-after"), Some("1"));
    let words = r#"{"kind":"wordfreq","input":{"text":"a b a"}}"#;
    assert_eq!(
        client.submit_job(words).status,
        503,
        "wordfreq is expensive too"
    );
    client.accepted_job(r#"{"kind":"sleep","input":{"ms":0}}"#);
    drop(held);
    let id = client.accepted_job(primes);
    assert_eq!(client.job_result(&id)["result"]["primes"], 168);
    server.stop();
}
// ANCHOR_END: busy_test
