//! Reading stops at a short read (on Linux): the socket is empty then, and whatever arrives
//! later raises a new event. These tests pin the cases where that must hold, each of which
//! would leave a client waiting if it did not: bytes that come after a short read, a request
//! larger than the loop's read buffer, and an end of stream reported with the request itself.

use crossbeam_channel::{Receiver, Sender, bounded};
use http_loop::{Method, Reply, Response, Router, Server};
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

/// Past this, a test fails rather than hangs.
const FAILURE_GUARD: Duration = Duration::from_secs(10);

/// What the test sees of the loop: `/seen` tells it a request was read; `/block` tells it the
/// loop thread is inside the handler, and holds it there — so that events pile up behind it —
/// until the test lets it go.
struct Loop {
    server: http_loop::RunningServer,
    seen: Receiver<()>,
    blocked: Receiver<()>,
    release: Sender<()>,
}

fn server() -> Loop {
    let (seen_tx, seen) = bounded(8);
    let (blocked_tx, blocked) = bounded(1);
    let (release, released) = bounded::<()>(1);
    let router = Router::new()
        .route(Method::Get, "/health", |_, _| {
            Reply::Now(Response::text(200, "ok"))
        })
        .route(Method::Get, "/seen", move |_, _| {
            let _ = seen_tx.send(());
            Reply::Now(Response::text(200, "seen"))
        })
        .route(Method::Post, "/length", |request, _| {
            Reply::Now(Response::text(200, request.body().len().to_string()))
        })
        .route(Method::Get, "/block", move |_, _| {
            let _ = blocked_tx.send(());
            // The guard only bounds a failing test; the test releases the loop long before.
            let _ = released.recv_timeout(FAILURE_GUARD);
            Reply::Now(Response::text(200, "done"))
        });
    let server = Server::new(router)
        .bind("127.0.0.1:0")
        .expect("a free port");
    Loop {
        server,
        seen,
        blocked,
        release,
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("the server accepts");
    stream
        .set_read_timeout(Some(FAILURE_GUARD))
        .expect("a socket option");
    stream
}

/// Reads one answer framed by `Content-Length`; returns its status line and body.
fn read_answer(stream: &mut TcpStream) -> (String, String) {
    let mut bytes = Vec::new();
    let mut buf = [0; 4096];
    loop {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("Content-Length: "))
                .and_then(|value| value.parse().ok())
                .expect("a Content-Length");
            if body.len() >= length {
                let status = head.lines().next().unwrap_or_default().to_owned();
                return (status, body[..length].to_owned());
            }
        }
        let n = stream.read(&mut buf).expect("an answer within the guard");
        assert!(
            n > 0,
            "the connection closed before the answer was complete"
        );
        bytes.extend_from_slice(&buf[..n]);
    }
}

/// The first half of a request is read (a short read), the second half arrives later: its
/// arrival is a new event, and the request is answered. The first half rides in one write
/// behind a whole request, `/seen`, whose handler tells the test the write has been read.
#[test]
fn bytes_after_a_short_read_raise_a_new_event() {
    let server = server();
    let mut client = connect(server.server.local_addr());
    client
        .write_all(b"GET /seen HTTP/1.1\r\nHost: t\r\n\r\nGET /health HTTP/1.1\r\nHo")
        .expect("sent");
    server
        .seen
        .recv_timeout(FAILURE_GUARD)
        .expect("the first write was read");
    assert_eq!(read_answer(&mut client).1, "seen");
    client.write_all(b"st: t\r\n\r\n").expect("sent");
    assert_eq!(read_answer(&mut client).0, "HTTP/1.1 200 OK");
    server.server.stop().expect("a clean stop");
}

/// A body of 200 KiB fills the loop's 64 KiB read buffer: full reads do not stop the reading,
/// and the whole body reaches the handler.
#[test]
fn a_request_larger_than_the_read_buffer_is_read_whole() {
    let server = server();
    let mut client = connect(server.server.local_addr());
    let body = vec![b'x'; 200 * 1024];
    let head = format!(
        "POST /length HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    client.write_all(head.as_bytes()).expect("sent");
    client.write_all(&body).expect("sent");
    let (status, length) = read_answer(&mut client);
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(length, body.len().to_string());
    server.server.stop().expect("a clean stop");
}

// ANCHOR: end_of_stream
/// A request and the end of the client's stream reach a connection while the loop is busy, so
/// one event reports both. The request's bytes come back from a short read; the end of the
/// stream will not be reported again, so reading must go on to find it — or the connection
/// would wait for its idle timeout with the client waiting on it.
#[test]
fn an_end_of_stream_reported_with_the_request_is_not_lost() {
    let server = server();
    let addr = server.server.local_addr();
    let mut client = connect(addr);
    // A round trip first: the connection is registered and idle, its first events consumed.
    client
        .write_all(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
        .expect("sent");
    assert_eq!(read_answer(&mut client).0, "HTTP/1.1 200 OK");
    let mut blocker = connect(addr);
    blocker
        .write_all(b"GET /block HTTP/1.1\r\nHost: t\r\n\r\n")
        .expect("sent");
    server
        .blocked
        .recv_timeout(FAILURE_GUARD)
        .expect("the loop is inside `/block`");
    client
        .write_all(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
        .expect("sent");
    client.shutdown(Shutdown::Write).expect("a half-close");
    // Both have reached the socket before the loop can look: the kernel has them once
    // `write_all` and `shutdown` return. Now let the loop go, and it sees one event for both.
    server.release.send(()).expect("the loop waits for us");
    assert_eq!(read_answer(&mut blocker).0, "HTTP/1.1 200 OK");
    assert_eq!(read_answer(&mut client).0, "HTTP/1.1 200 OK");
    let mut rest = Vec::new();
    let closed = client.read_to_end(&mut rest);
    assert!(
        matches!(closed, Ok(0)),
        "the server closes its side once it has answered: {closed:?}, {rest:?}"
    );
    server.server.stop().expect("a clean stop");
}
// ANCHOR_END: end_of_stream
