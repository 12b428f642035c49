//! Chapter 1's server over real TCP: cheap requests inline, real work on request threads.

use test_support::TestServer;

fn server() -> TestServer {
    TestServer::start(ch01_channels::router())
}

/// `/primes` is counted on a thread named after its request, not on the event loop.
#[test]
fn primes_are_counted_on_a_request_thread() {
    let server = server();
    let answer = server.client().get("/primes?limit=100");
    assert_eq!(answer.status, 200);
    let json = answer.json();
    assert_eq!(json["primes"], 25);
    assert_eq!(json["limit"], 100);
    let thread = json["thread"].as_str().expect("a thread name");
    assert!(thread.starts_with("request-"), "{thread}");
    server.stop();
}

/// Every bad `limit` gets a 400 that says what a good one is.
#[test]
fn bad_limits_are_400_naming_the_parameter() {
    let server = server();
    let mut client = server.client();
    for query in [
        "",
        "?limit=",
        "?limit=-1",
        "?limit=ten",
        "?limit=1e6",
        "?limit=99999999999",
    ] {
        let answer = client.get(&format!("/primes{query}"));
        assert_eq!(answer.status, 400, "{query}");
        assert_eq!(answer.error_code(), "invalid_limit");
        let message = answer.json()["error"]["message"].to_string();
        assert!(message.contains("limit"), "{message}");
    }
    server.stop();
}

/// `/health` is answered with JSON.
#[test]
fn health_is_json() {
    let server = server();
    let answer = server.client().get("/health");
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(answer.json()["status"], "ok");
    server.stop();
}
