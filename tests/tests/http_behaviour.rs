//! The HTTP layer's behaviour with handlers written for the test: answers in order whatever
//! order the handlers finish in, panicking handlers, HEAD, answers to closed connections.

use crossbeam_channel::{Receiver, unbounded};
use http_loop::{Abandoned, Method, Reply, Responder, Response, Router};
use test_support::TestServer;

/// A server whose `/hold/{n}` requests wait until the test answers them: each request's
/// responder is handed to the test through a channel.
fn holding_server() -> (TestServer, Receiver<(String, Responder)>) {
    let (held_tx, held) = unbounded();
    let router = Router::new().route(Method::Get, "/hold/{n}", move |request, defer| {
        let n = request.param("n").unwrap_or_default().to_owned();
        let (responder, reply) = defer.later();
        held_tx.send((n, responder)).expect("the test is listening");
        reply
    });
    (TestServer::start(router), held)
}

/// Pipelined requests whose handlers finish in reverse order are answered in request order.
#[test]
fn answers_follow_request_order_not_completion_order() {
    let (server, held) = holding_server();
    let mut client = server.client();
    client.send(
        "GET /hold/1 HTTP/1.1\r\nHost: t\r\n\r\n\
         GET /hold/2 HTTP/1.1\r\nHost: t\r\n\r\n\
         GET /hold/3 HTTP/1.1\r\nHost: t\r\n\r\n",
    );
    let mut responders: Vec<_> = (0..3)
        .map(|_| held.recv().expect("a held request"))
        .collect();
    // Answer #3 first, then #2, then #1.
    while let Some((n, responder)) = responders.pop() {
        responder.send(Response::text(200, n));
    }
    for expected in ["1", "2", "3"] {
        assert_eq!(client.read_answer().body, expected.as_bytes());
    }
    server.stop();
}

/// An answer that comes back after its client hung up goes nowhere, and harms no one: the
/// next client on the server gets its own answer. (That a *reused* slot never receives an old
/// answer is the slab's generations, tested in `slab.rs`.)
#[test]
fn an_answer_for_a_client_that_hung_up_harms_no_one() {
    let (server, held) = holding_server();
    let mut gone = server.client();
    gone.send("GET /hold/old HTTP/1.1\r\nHost: t\r\n\r\n");
    let (_, old_responder) = held.recv().expect("the old request");
    drop(gone);

    let mut fresh = server.client();
    fresh.send("GET /hold/new HTTP/1.1\r\nHost: t\r\n\r\n");
    let (_, new_responder) = held.recv().expect("the new request");
    old_responder.send(Response::text(200, "old"));
    new_responder.send(Response::text(200, "new"));
    assert_eq!(fresh.read_answer().body, b"new");
    server.stop();
}

fn panicking_server() -> TestServer {
    let router = Router::new()
        .route(Method::Get, "/panic/now", |_, _| panic!("a handler bug"))
        .route(Method::Get, "/panic/later", |_, defer| {
            let (responder, reply) = defer.later();
            std::thread::spawn(move || {
                let _responder = responder;
                panic!("a bug on another thread");
            });
            reply
        })
        .route(Method::Get, "/forgot", |_, defer| {
            let (responder, reply) = defer.later();
            drop(responder);
            reply
        })
        .route(Method::Post, "/echo", |request, _| {
            Reply::Now(Response::new(200).with_body(request.body()))
        })
        .route(Method::Get, "/health", |_, _| {
            Reply::Now(Response::text(200, "ok"))
        });
    TestServer::start(router)
}

/// A handler that panics on the loop thread costs its request a 500; the connection and the
/// server live on.
#[test]
fn a_panic_on_the_loop_is_a_500() {
    let server = panicking_server();
    let mut client = server.client();
    let answer = client.get("/panic/now");
    assert_eq!(answer.status, 500);
    assert_eq!(answer.error_code(), "handler_panicked");
    assert_eq!(client.get("/health").status, 200);
    server.stop();
}

/// A panic on a worker thread drops the responder while unwinding, which answers 500.
#[test]
fn a_panic_on_another_thread_is_a_500() {
    let server = panicking_server();
    let mut client = server.client();
    let answer = client.get("/panic/later");
    assert_eq!(answer.status, 500);
    assert_eq!(answer.error_code(), "handler_panicked");
    assert_eq!(client.get("/health").status, 200);
    server.stop();
}

/// A responder dropped without an answer answers 500 itself: the client never hangs.
#[test]
fn a_forgotten_responder_is_a_500() {
    let server = panicking_server();
    let answer = server.client().get("/forgot");
    assert_eq!(answer.status, 500);
    assert_eq!(answer.error_code(), "no_response");
    server.stop();
}

/// `HEAD` on a `GET` route gets the head of the answer, with its length, and no body.
#[test]
fn head_gets_no_body() {
    let server = panicking_server();
    let mut client = server.client();
    client.send("HEAD /health HTTP/1.1\r\nHost: t\r\n\r\nGET /health HTTP/1.1\r\nHost: t\r\n\r\n");
    let head = client.read_head_answer();
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some("2"));
    // Had the HEAD answer carried a body, these would be its bytes, not the next answer.
    let get = client.read_answer();
    assert_eq!(get.body, b"ok");
    server.stop();
}

/// A client that sends `Expect: 100-continue` is told to go ahead before it sends the body.
#[test]
fn expect_continue_gets_an_interim_answer() {
    let server = panicking_server();
    let mut client = server.client();
    client.send(
        "POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n",
    );
    assert_eq!(client.read_answer().status, 100);
    let answer = client.send("hello").read_answer();
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, b"hello");
    server.stop();
}

/// Every answer carries a `Date` (RFC 9110 §6.6.1), in the fixed format.
#[test]
fn answers_carry_a_date() {
    let server = panicking_server();
    let answer = server.client().get("/health");
    let date = answer.header("date").expect("a Date header");
    assert!(date.ends_with(" GMT") && date.len() == 29, "{date}");
    server.stop();
}

/// A client that hangs up before its request is answered triggers the request's hang-up
/// callback; an answered request's callback is dropped, never called.
#[test]
fn hanging_up_calls_the_callback_of_unanswered_requests_only() {
    let (hung_up_tx, hung_up) = unbounded();
    let (held_tx, held) = unbounded();
    let router = Router::new().route(Method::Get, "/wait/{n}", move |request, defer| {
        let n = request.param("n").unwrap_or_default().to_owned();
        let hung_up_tx = hung_up_tx.clone();
        let name = n.clone();
        let (responder, reply) = defer
            .on_abandon(move |why| {
                hung_up_tx.send((name, why)).expect("the test is listening");
            })
            .later();
        held_tx.send((n, responder)).expect("the test is listening");
        reply
    });
    let server = TestServer::start(router);
    let mut client = server.client();
    client.send("GET /wait/answered HTTP/1.1\r\nHost: t\r\n\r\n");
    let (_, answered) = held.recv().expect("a held request");
    answered.send(Response::text(200, "done"));
    assert_eq!(client.read_answer().status, 200);
    client.send("GET /wait/pending HTTP/1.1\r\nHost: t\r\n\r\n");
    let (_, _pending) = held.recv().expect("a held request");
    drop(client);
    assert_eq!(
        hung_up.recv_timeout(test_support::FAILURE_GUARD),
        Ok(("pending".to_owned(), Abandoned::HangUp))
    );
    server.stop();
    assert!(
        hung_up.try_recv().is_err(),
        "the answered request's callback never ran"
    );
}

/// A client beyond the connection limit whose request is already in the server's socket when
/// the loop accepts it still reads the whole 503 and then a clean end of stream — not a reset,
/// which closing with its request unread would send, and which can destroy the 503.
#[test]
fn a_refused_connection_with_its_request_unread_is_closed_without_a_reset() {
    use http_loop::Config;
    use std::io::{ErrorKind, Read, Write};
    // To make "the request arrives before the accept" certain rather than likely, the test
    // holds the loop inside a handler (a handler must never block the loop; here it is the
    // point) while the refused client connects and sends; the kernel completes the handshake
    // and buffers the request without the loop.
    let (entered_tx, entered) = crossbeam_channel::bounded(0);
    let (release_tx, release) = crossbeam_channel::bounded::<()>(0);
    let router = Router::new().route(Method::Get, "/hold-the-loop", move |_, _| {
        entered_tx.send(()).expect("the test waits for this");
        let _ = release.recv_timeout(test_support::FAILURE_GUARD);
        Reply::Now(Response::text(200, "released"))
    });
    let config = Config {
        max_connections: 1,
        ..Config::default()
    };
    let server = TestServer::start_with(router, config);
    let mut holder = server.client();
    holder.send("GET /hold-the-loop HTTP/1.1\r\nHost: t\r\n\r\n");
    entered.recv().expect("the loop runs the handler");

    let mut refused = std::net::TcpStream::connect(server.addr()).expect("the backlog accepts");
    refused
        .set_read_timeout(Some(test_support::FAILURE_GUARD))
        .expect("a socket option");
    refused
        .write_all(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
        .expect("the kernel buffers the request");
    release_tx.send(()).expect("the handler waits for this");
    assert_eq!(holder.read_answer().status, 200);

    let mut received = Vec::new();
    let ended = loop {
        let mut buf = [0; 1024];
        match refused.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break Err(e),
            Err(e) => panic!("reading the refusal failed: {e}"),
        }
    };
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 503"), "got {text:?}");
    assert!(text.contains("too_many_connections"), "got {text:?}");
    assert!(ended.is_ok(), "the refusal ended in a reset: {ended:?}");
    server.stop();
}

/// A late answer addressed to a closed connection never reaches the connection that reuses
/// its slot in the loop's slab (freed slots are reused first): the answer carries the slot's
/// generation, and the new occupant has another.
#[test]
fn a_late_answer_never_reaches_the_next_occupant_of_its_slot() {
    let (held_tx, held) = crossbeam_channel::unbounded();
    let (abandoned_tx, abandoned) = crossbeam_channel::unbounded();
    let router = Router::new().route(Method::Get, "/hold/{n}", move |request, defer| {
        let n = request.param("n").unwrap_or_default().to_owned();
        let abandoned_tx = abandoned_tx.clone();
        let (responder, reply) = defer
            .on_abandon(move |_| abandoned_tx.send(()).expect("the test listens"))
            .later();
        held_tx.send((n, responder)).expect("the test is listening");
        reply
    });
    let server = TestServer::start(router);
    let mut first = server.client();
    first.send("GET /hold/first HTTP/1.1\r\nHost: t\r\n\r\n");
    let (_, late) = held.recv().expect("the first request is held");
    drop(first);
    // The loop has seen the hang-up; it frees the slot before it looks at any other event.
    abandoned.recv().expect("the hang-up reaches the loop");

    let mut second = server.client(); // takes the freed slot
    second.send("GET /hold/second HTTP/1.1\r\nHost: t\r\n\r\n");
    let (n, own) = held.recv().expect("the second request is held");
    assert_eq!(n, "second");
    late.send(Response::text(200, "for the first client"));
    own.send(Response::text(200, "for the second client"));
    assert_eq!(second.read_answer().body, b"for the second client");
    second.send("GET /health-is-not-routed HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(
        second.read_answer().status,
        404,
        "nothing else was queued for us"
    );
    server.stop();
}

/// Many connections that open and close sweep their dead entries out of the deadline heap —
/// and the sweep keeps the live ones: an idle connection opened before the churn is still
/// closed at its idle timeout.
#[test]
fn the_deadline_sweep_keeps_live_deadlines() {
    let config = http_loop::Config {
        idle_timeout: std::time::Duration::from_millis(500),
        ..http_loop::Config::default()
    };
    let router = Router::new().route(Method::Get, "/health", |_, _| {
        Reply::Now(Response::text(200, "ok"))
    });
    let server = TestServer::start_with(router, config);
    let mut watched = server.client();
    assert_eq!(watched.get("/health").status, 200); // now idle, its deadline in the heap
    // More than 2 × live + 64 closed connections: at least one sweep runs.
    for _ in 0..100 {
        let mut passing = server.client();
        passing.send("GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        assert_eq!(passing.read_answer().status, 200);
        assert!(passing.is_closed_by_server());
    }
    assert!(
        watched.is_closed_by_server(),
        "the idle connection was closed at its timeout"
    );
    server.stop();
}

/// Connections refused beyond the limit do not keep counting once they are gone: when every
/// connection has closed, `max_connections` new ones are all served.
#[test]
fn refused_connections_give_their_place_back() {
    let config = http_loop::Config {
        max_connections: 2,
        ..http_loop::Config::default()
    };
    let router = Router::new().route(Method::Get, "/health", |_, _| {
        Reply::Now(Response::text(200, "ok"))
    });
    let server = TestServer::start_with(router, config);
    let mut open: Vec<_> = (0..2).map(|_| server.client()).collect();
    for client in &mut open {
        assert_eq!(client.get("/health").status, 200);
    }
    let mut refused = server.client();
    refused.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(refused.read_answer().status, 503);
    assert!(refused.is_closed_by_server());
    drop(refused); // ends the lingering close: the server closes the refused connection
    for mut client in open.drain(..) {
        // A round trip on a connection the loop already had: by its answer, the loop has
        // seen the refused client's end of stream too (its event came first).
        assert_eq!(client.get("/health").status, 200);
        client.finish_sending();
        assert!(client.is_closed_by_server());
    }
    for _ in 0..2 {
        let mut again = server.client();
        assert_eq!(again.get("/health").status, 200);
        open.push(again);
    }
    server.stop();
}
