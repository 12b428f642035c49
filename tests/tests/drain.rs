//! Draining the HTTP layer (chapter 10's first step): the listener closes, idle connections
//! close, a busy one finishes its request — answered with `Connection: close` — and then
//! closes, and `wait_drained` hears of it when the last one has.

use http_loop::{Method, Reply, Responder, Response, Router, Server};
use std::net::TcpStream;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use test_support::{Client, FAILURE_GUARD};

/// A server whose `GET /later` hands its responder to the test, which answers when it likes.
fn server_with_held_requests() -> (
    http_loop::RunningServer,
    crossbeam_channel::Receiver<Responder>,
) {
    let (held_tx, held) = crossbeam_channel::unbounded();
    let held_tx = Mutex::new(held_tx);
    let router = Router::new()
        .route(Method::Get, "/health", |_, _| {
            Reply::Now(Response::text(200, "ok"))
        })
        .route(Method::Get, "/later", move |_, defer| {
            let (responder, reply) = defer.later();
            let sent = held_tx.lock().map(|held_tx| held_tx.send(responder));
            assert!(matches!(sent, Ok(Ok(()))), "the test holds the responder");
            reply
        });
    let server = Server::new(router)
        .bind("127.0.0.1:0")
        .expect("a free port");
    (server, held)
}

#[test]
fn a_drain_closes_idle_connections_and_lets_busy_ones_finish() {
    let (server, held) = server_with_held_requests();
    let mut idle = Client::connect(server.local_addr());
    assert_eq!(idle.get("/health").status, 200, "kept alive, then idle");
    let mut busy = Client::connect(server.local_addr());
    busy.send("GET /later HTTP/1.1\r\nHost: t\r\n\r\n");
    let responder = held
        .recv_timeout(FAILURE_GUARD)
        .expect("the request is in flight");

    server.drain();
    assert!(
        idle.is_closed_by_server(),
        "an idle connection is closed at once"
    );
    // The idle connection closed after the listener did (see `begin_drain`).
    assert!(
        TcpStream::connect(server.local_addr()).is_err(),
        "a new client is refused by the kernel"
    );
    assert!(
        !server.wait_drained(Instant::now()),
        "not drained while a request is in flight"
    );

    responder.send(Response::text(200, "done"));
    let answer = busy.read_answer();
    assert_eq!((answer.status, answer.body.as_slice()), (200, &b"done"[..]));
    assert_eq!(
        answer.header("connection"),
        Some("close"),
        "its last answer says so"
    );
    assert!(busy.is_closed_by_server(), "and then it closes");
    assert!(server.wait_drained(Instant::now() + FAILURE_GUARD));
    server.stop().expect("a clean stop");
}

#[test]
fn pipelined_requests_already_read_are_answered_and_nothing_after_them() {
    let (server, held) = server_with_held_requests();
    let mut client = Client::connect(server.local_addr());
    // Two requests in one write: both are read and in flight before the drain.
    client.send("GET /later HTTP/1.1\r\nHost: t\r\n\r\nGET /later HTTP/1.1\r\nHost: t\r\n\r\n");
    let first = held
        .recv_timeout(FAILURE_GUARD)
        .expect("the first is in flight");
    let second = held
        .recv_timeout(FAILURE_GUARD)
        .expect("the second is in flight");
    server.drain();
    second.send(Response::text(200, "second"));
    first.send(Response::text(200, "first"));
    let answers = [client.read_answer(), client.read_answer()];
    assert_eq!(answers[0].body, b"first", "answers keep their order");
    assert_eq!(answers[0].header("connection"), None);
    assert_eq!(answers[1].body, b"second");
    assert_eq!(answers[1].header("connection"), Some("close"));
    assert!(client.is_closed_by_server());
    assert!(server.wait_drained(Instant::now() + FAILURE_GUARD));
    server.stop().expect("a clean stop");
}

#[test]
fn without_a_drain_wait_drained_times_out() {
    let (server, _held) = server_with_held_requests();
    let started = Instant::now();
    assert!(!server.wait_drained(started + Duration::from_millis(50)));
    server.stop().expect("a clean stop");
}
