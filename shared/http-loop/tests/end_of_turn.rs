//! `Defer::at_end_of_turn`: a hook asked for by any number of requests in one turn of the loop
//! runs once, after them all; a turn in which nobody asks runs none; and a hook that panics
//! costs the loop nothing.

use crossbeam_channel::{Receiver, Sender, unbounded};
use http_loop::{EndOfTurn, Method, Reply, Response, Router, Server};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Past this, a test fails rather than hangs.
const FAILURE_GUARD: Duration = Duration::from_secs(10);

/// Collects what `/stage` requests stage, and hands it over at the end of the turn: the shape
/// of chapter 5's job submissions.
struct Batcher {
    staged: Mutex<Vec<u32>>,
    /// Each end of turn sends the batch it handed over.
    handed: Sender<Vec<u32>>,
}

impl EndOfTurn for Batcher {
    fn end_of_turn(&self) {
        let batch = std::mem::take(&mut *self.staged.lock().expect("not poisoned"));
        let _ = self.handed.send(batch);
    }
}

struct Panics;

impl EndOfTurn for Panics {
    fn end_of_turn(&self) {
        panic!("a hook that fails");
    }
}

fn server() -> (http_loop::RunningServer, Receiver<Vec<u32>>) {
    let (handed, batches) = unbounded();
    let batcher = Arc::new(Batcher {
        staged: Mutex::new(Vec::new()),
        handed,
    });
    let hook: Arc<dyn EndOfTurn> = batcher.clone();
    let panics: Arc<dyn EndOfTurn> = Arc::new(Panics);
    let router = Router::new()
        .route(Method::Get, "/health", |_, _| {
            Reply::Now(Response::text(200, "ok"))
        })
        .route(Method::Post, "/stage/{n}", move |request, mut defer| {
            let n = request.param("n").and_then(|n| n.parse().ok()).unwrap_or(0);
            batcher.staged.lock().expect("not poisoned").push(n);
            defer.at_end_of_turn(&hook);
            Reply::Now(Response::text(202, "staged"))
        })
        .route(Method::Post, "/panic", move |_, mut defer| {
            defer.at_end_of_turn(&panics);
            Reply::Now(Response::text(202, "a hook will panic"))
        });
    let server = Server::new(router)
        .bind("127.0.0.1:0")
        .expect("a free port");
    (server, batches)
}

fn connect(server: &http_loop::RunningServer) -> TcpStream {
    let stream = TcpStream::connect(server.local_addr()).expect("the server accepts");
    stream
        .set_read_timeout(Some(FAILURE_GUARD))
        .expect("a timeout");
    stream
}

fn post(path: &str) -> String {
    format!("POST {path} HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n")
}

/// Reads until `count` answers have arrived (each ends with its short text body).
fn read_answers(stream: &mut TcpStream, count: usize, body: &str) -> String {
    let mut received = String::new();
    let mut buffer = [0; 4096];
    while received.matches(body).count() < count {
        let n = stream.read(&mut buffer).expect("answers within the guard");
        assert!(n > 0, "the server closed early: {received}");
        received.push_str(&String::from_utf8_lossy(&buffer[..n]));
    }
    received
}

#[test]
fn requests_of_one_turn_share_one_end_of_turn() {
    let (server, batches) = server();
    let mut client = connect(&server);
    // Three requests in one write: the loop reads them in one turn, and answers all three.
    let three = [post("/stage/1"), post("/stage/2"), post("/stage/3")].concat();
    client.write_all(three.as_bytes()).expect("sent");
    read_answers(&mut client, 3, "staged");
    let batch = batches.recv_timeout(FAILURE_GUARD).expect("the hook ran");
    assert_eq!(
        batch,
        [1, 2, 3],
        "one hand-over for the turn, after all three"
    );
    assert!(batches.try_recv().is_err(), "and only one");
    server.stop().expect("the loop stops");
}

#[test]
fn each_turn_that_asks_gets_its_own_and_others_none() {
    let (server, batches) = server();
    let mut client = connect(&server);
    for n in [7, 8] {
        client
            .write_all(post(&format!("/stage/{n}")).as_bytes())
            .expect("sent");
        read_answers(&mut client, 1, "staged");
        let batch = batches.recv_timeout(FAILURE_GUARD).expect("the hook ran");
        assert_eq!(batch, [n], "a turn's hook runs before the next turn");
    }
    let health = "GET /health HTTP/1.1\r\nHost: t\r\n\r\n";
    client.write_all(health.as_bytes()).expect("sent");
    read_answers(&mut client, 1, "ok");
    // The next turn that asks proves the /health turn ran no hook: its batch comes next.
    client.write_all(post("/stage/9").as_bytes()).expect("sent");
    read_answers(&mut client, 1, "staged");
    let batch = batches.recv_timeout(FAILURE_GUARD).expect("the hook ran");
    assert_eq!(batch, [9], "no hand-over for a turn in which nobody asked");
    server.stop().expect("the loop stops");
}

#[test]
fn a_panicking_hook_does_not_stop_the_loop() {
    let (server, batches) = server();
    let mut client = connect(&server);
    client.write_all(post("/panic").as_bytes()).expect("sent");
    read_answers(&mut client, 1, "a hook will panic");
    client.write_all(post("/stage/5").as_bytes()).expect("sent");
    read_answers(&mut client, 1, "staged");
    let batch = batches
        .recv_timeout(FAILURE_GUARD)
        .expect("the loop lives on");
    assert_eq!(batch, [5]);
    server.stop().expect("the loop stops");
}
