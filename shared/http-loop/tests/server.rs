//! The server's life, from the crate's own point of view: it starts, answers, and stops when
//! asked — and only then. (The workspace's `tests/` run every chapter's server through far
//! more; this file keeps the crate's own test suite able to see a stop that never comes, or
//! one that comes by itself.)

use http_loop::{Method, Reply, Response, Router, Server};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

fn get_health(addr: std::net::SocketAddr) -> String {
    let mut stream = TcpStream::connect(addr).expect("the server accepts");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a socket option");
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .expect("the request is sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("an answer");
    answer
}

/// A server answers until it is stopped, and `stop` returns once its loop has ended.
#[test]
fn a_server_serves_until_stopped() {
    let router = Router::new().route(Method::Get, "/health", |_, _| {
        Reply::Now(Response::text(200, "ok"))
    });
    let server = Server::new(router)
        .bind("127.0.0.1:0")
        .expect("a free port");
    let addr = server.local_addr();
    for _ in 0..3 {
        let answer = get_health(addr);
        assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    }
    // A stop that never reaches the loop would hang: wait for it on another thread, with a
    // failure guard.
    let (stopped_tx, stopped) = std::sync::mpsc::channel();
    std::thread::spawn(move || stopped_tx.send(server.stop().is_ok()));
    let stopped = stopped.recv_timeout(Duration::from_secs(10));
    assert_eq!(stopped, Ok(true), "the loop ended cleanly, in time");
    assert!(
        TcpStream::connect(addr).is_err(),
        "the listener is closed once the server has stopped"
    );
}
