//! Every refusal in the table of `book/src/reference.md`, against every chapter's server: the
//! right status, a JSON error naming the problem, the connection closed when framing is in
//! doubt, and the server still serving everyone else (checked by `for_each_chapter` after each
//! test).

use http_loop::Config;
use server_tests::for_each_chapter;
use test_support::{Answer, TestServer};

/// Sends `raw` on a new connection and reads the answer.
fn answer_to(server: &TestServer, raw: &str) -> Answer {
    server.client().send(raw).read_answer()
}

/// Sends `raw`, expects `status` with error `code`, and expects the server to close.
fn assert_refused(raw: &str, status: u16, code: &str) {
    for_each_chapter(&Config::default(), |server| {
        let mut client = server.client();
        let answer = client.send(raw).read_answer();
        assert_eq!(answer.status, status, "{raw:?}");
        assert_eq!(answer.error_code(), code, "{raw:?}");
        assert_eq!(answer.header("connection"), Some("close"));
        assert!(
            client.is_closed_by_server(),
            "the connection stays open after {raw:?}"
        );
    });
}

/// A request line that is not one.
#[test]
fn malformed_request_line_is_400() {
    assert_refused("GARBAGE\r\n\r\n", 400, "malformed_request");
}

/// A header line with no colon.
#[test]
fn header_without_colon_is_400() {
    assert_refused(
        "GET /health HTTP/1.1\r\nHost test\r\n\r\n",
        400,
        "malformed_request",
    );
}

/// A header block over 16 KiB.
#[test]
fn oversized_header_block_is_431() {
    let raw = format!(
        "GET /health HTTP/1.1\r\nHost: test\r\nX-Big: {}\r\n\r\n",
        "a".repeat(17 * 1024)
    );
    assert_refused(&raw, 431, "header_too_large");
}

/// More than 64 headers.
#[test]
fn too_many_headers_is_431() {
    let headers: String = (0..65).map(|i| format!("X-H{i}: {i}\r\n")).collect();
    let raw = format!("GET /health HTTP/1.1\r\nHost: test\r\n{headers}\r\n");
    assert_refused(&raw, 431, "too_many_headers");
}

/// A body over 1 MiB is refused from its `Content-Length`, before it is sent.
#[test]
fn oversized_body_is_413() {
    let raw = "POST /health HTTP/1.1\r\nHost: test\r\nContent-Length: 2000000\r\n\r\n";
    assert_refused(raw, 413, "body_too_large");
}

/// `Content-Length` and `Transfer-Encoding` together: the request-smuggling shape.
#[test]
fn content_length_with_transfer_encoding_is_400() {
    let raw = "POST /health HTTP/1.1\r\nHost: test\r\nContent-Length: 3\r\n\
               Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    assert_refused(raw, 400, "ambiguous_length");
}

/// Two `Content-Length`s that disagree.
#[test]
fn differing_duplicate_content_length_is_400() {
    let raw = "POST /health HTTP/1.1\r\nHost: test\r\nContent-Length: 3\r\n\
               Content-Length: 4\r\n\r\nabcd";
    assert_refused(raw, 400, "conflicting_content_length");
}

/// A `Content-Length` that is not a number.
#[test]
fn non_numeric_content_length_is_400() {
    let raw = "POST /health HTTP/1.1\r\nHost: test\r\nContent-Length: three\r\n\r\nabc";
    assert_refused(raw, 400, "invalid_content_length");
}

/// `Transfer-Encoding` is not implemented: refused rather than misread.
#[test]
fn unsupported_transfer_encoding_is_501() {
    let raw = "POST /health HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    assert_refused(raw, 501, "transfer_encoding_not_implemented");
}

/// An HTTP/1.1 request must name its host.
#[test]
fn missing_host_is_400() {
    assert_refused("GET /health HTTP/1.1\r\n\r\n", 400, "missing_host");
}

/// A method the server does not know.
#[test]
fn unknown_method_is_501() {
    assert_refused(
        "BREW /health HTTP/1.1\r\nHost: test\r\n\r\n",
        501,
        "method_not_implemented",
    );
}

/// An unknown path is 404, and the connection stays open for the next request.
#[test]
fn unknown_path_is_404_and_keeps_the_connection() {
    for_each_chapter(&Config::default(), |server| {
        let mut client = server.client();
        let answer = client.get("/no/such/path");
        assert_eq!(answer.status, 404);
        assert_eq!(answer.error_code(), "not_found");
        assert_eq!(client.get("/health").status, 200);
    });
}

/// A known path under the wrong method is 405, with the methods it has in `Allow`.
#[test]
fn wrong_method_is_405_with_allow() {
    for_each_chapter(&Config::default(), |server| {
        let answer = answer_to(server, "DELETE /health HTTP/1.1\r\nHost: test\r\n\r\n");
        assert_eq!(answer.status, 405);
        assert_eq!(answer.error_code(), "method_not_allowed");
        assert_eq!(answer.header("allow"), Some("GET, HEAD"));
    });
}

/// HTTP/1.0 closes after the answer unless the client asks to keep the connection alive.
#[test]
fn http_1_0_closes_unless_asked() {
    for_each_chapter(&Config::default(), |server| {
        let mut client = server.client();
        let answer = client.send("GET /health HTTP/1.0\r\n\r\n").read_answer();
        assert_eq!(answer.status, 200);
        assert_eq!(answer.header("connection"), Some("close"));
        assert!(client.is_closed_by_server());

        let mut client = server.client();
        let keep = "GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
        let answer = client.send(keep).read_answer();
        assert_eq!(answer.header("connection"), Some("keep-alive"));
        assert_eq!(client.send(keep).read_answer().status, 200);
    });
}

/// A head that does not arrive within the header-read timeout gets 408, and the connection
/// closes (the slowloris defence).
#[test]
fn slow_headers_are_408() {
    let config = Config {
        header_read_timeout: std::time::Duration::from_millis(50),
        ..Config::default()
    };
    for_each_chapter(&config, |server| {
        let mut client = server.client();
        let answer = client
            .send("GET /health HTTP/1.1\r\nHost: te")
            .read_answer();
        assert_eq!(answer.status, 408);
        assert_eq!(answer.error_code(), "request_timeout");
        assert!(client.is_closed_by_server());
    });
}

/// A body that does not arrive within the read timeout gets 408.
#[test]
fn slow_body_is_408() {
    let config = Config {
        read_timeout: std::time::Duration::from_millis(50),
        ..Config::default()
    };
    for_each_chapter(&config, |server| {
        let mut client = server.client();
        let raw = "POST /health HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\nabc";
        let answer = client.send(raw).read_answer();
        assert_eq!(answer.status, 408);
        assert!(client.is_closed_by_server());
    });
}

/// A keep-alive connection with no request for the idle timeout is closed.
#[test]
fn idle_connections_are_closed() {
    let config = Config {
        idle_timeout: std::time::Duration::from_millis(50),
        ..Config::default()
    };
    for_each_chapter(&config, |server| {
        let mut client = server.client();
        assert_eq!(client.get("/health").status, 200);
        assert!(client.is_closed_by_server());
    });
}

/// Beyond the connection limit, a new connection that sends a request gets a JSON 503 and is
/// closed; the ones already open are served on. (That the close is clean even when the request
/// is still unread: `http_behaviour.rs`.)
#[test]
fn connections_beyond_the_limit_are_refused_cleanly() {
    let config = Config {
        max_connections: 2,
        ..Config::default()
    };
    for chapter in server_tests::CHAPTERS {
        let server = (chapter.start)(config.clone());
        let mut open: Vec<_> = (0..2).map(|_| server.client()).collect();
        for client in &mut open {
            assert_eq!(client.get("/health").status, 200);
        }
        let mut refused = server.client();
        refused.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n");
        let answer = refused.read_answer();
        assert_eq!(answer.status, 503);
        assert_eq!(answer.error_code(), "too_many_connections");
        assert_eq!(answer.header("retry-after"), Some("1"));
        assert!(refused.is_closed_by_server());
        assert_eq!(open[0].get("/health").status, 200);
        server.stop();
    }
}
