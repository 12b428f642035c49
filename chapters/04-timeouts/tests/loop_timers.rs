//! The event loop's write timeout: a client that stops reading its answers is disconnected.
//! (The header-read, body-read and idle timers are tested against every chapter's server in
//! `tests/tests/refusals.rs`.)

use crossbeam_channel::unbounded;
use http_loop::{Abandoned, Config, Method, Reply, Response, Router};
use std::time::Duration;
use test_support::{FAILURE_GUARD, TestServer};

/// The client asks for a 32 MiB answer and never reads it. After the write timeout the server
/// closes the connection, which abandons the request pipelined behind it: the test hears of
/// the close through that request's abandon callback, with no sleep.
#[test]
fn a_client_that_stops_reading_is_disconnected() {
    let (abandoned_tx, abandoned) = unbounded();
    let router = Router::new()
        .route(Method::Get, "/big", |_, _| {
            Reply::Now(Response::new(200).with_body(vec![b'x'; 32 * 1024 * 1024]))
        })
        .route(Method::Get, "/watch", move |_, defer| {
            let abandoned_tx = abandoned_tx.clone();
            let (responder, reply) = defer
                .on_abandon(move |why| abandoned_tx.send(why).expect("the test is listening"))
                .later();
            // Never answered: only a close can end it.
            std::mem::forget(responder);
            reply
        });
    let config = Config {
        write_timeout: Duration::from_millis(100),
        ..Config::default()
    };
    let server = TestServer::start_with(router, config);
    let mut client = server.client();
    client.send("GET /big HTTP/1.1\r\nHost: t\r\n\r\nGET /watch HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(abandoned.recv_timeout(FAILURE_GUARD), Ok(Abandoned::HangUp));
    server.stop();
}
