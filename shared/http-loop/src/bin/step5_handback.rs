//! Step 5: the hand-back — the answer is computed on another thread, and the loop is woken to
//! send it.
//!
//! Over step 4: each request is handed to a new thread (chapter 1 bounds that; chapter 2 uses a
//! pool). The thread sends the answer back through the crate's `Handback`: a `Mutex<Vec>` plus
//! a `mio::Waker`, with a flag so that a burst of answers costs one wake-up. The answer carries
//! the connection's slab `Key`, index *and* generation, so an answer for a client that left is
//! dropped, never sent to the next occupant of its index. A connection handles one request at
//! a time (`busy`); the crate's loop runs them concurrently and restores their order.
//!
//! `cargo run -p http-loop --bin step5_handback` (or `… -- 127.0.0.1:9000`)

use http_loop::handback::Handback;
use http_loop::slab::{Key, Slab};
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token, Waker};
use std::io::{self, Read, Write};
use std::sync::Arc;
use std::thread;

const LISTENER: Token = Token(usize::MAX);
const WAKER: Token = Token(usize::MAX - 1);
/// Answers from other threads, each for the connection its `Key` names.
type Answers = Handback<(Key, Vec<u8>), Waker>;
const MAX_HEAD: usize = 16 * 1024;

// ANCHOR: connection
/// One client: its socket, the bytes it has sent that are not yet answered, and whether a
/// thread is computing its answer (and whether that answer is the last).
struct Connection {
    socket: TcpStream,
    input: Vec<u8>,
    busy: bool,
    closing: bool,
}
// ANCHOR_END: connection

fn main() -> io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or("127.0.0.1:8080".into());
    let mut listener = TcpListener::bind(addr.parse().expect("an address like 127.0.0.1:8080"))?;
    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    // ANCHOR: waker
    let waker = Waker::new(poll.registry(), WAKER)?;
    let handback: Arc<Answers> = Arc::new(Handback::new(waker));
    let mut answers = Vec::new();
    // ANCHOR_END: waker
    println!("listening on http://{}", listener.local_addr()?);

    let mut connections: Slab<Connection> = Slab::default();
    let mut events = Events::with_capacity(1024);
    let mut buf = [0; 4096];
    loop {
        match poll.poll(&mut events, None) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue, // stopped, continued
            other => other?,
        }
        for event in &events {
            if event.token() == LISTENER {
                while let Ok((socket, _)) = listener.accept() {
                    let (input, busy, closing) = (Vec::new(), false, false);
                    let c = Connection {
                        socket,
                        input,
                        busy,
                        closing,
                    };
                    let key = connections.insert(c);
                    if let Some(c) = connections.get_mut(key) {
                        let token = Token(key.index);
                        poll.registry()
                            .register(&mut c.socket, token, Interest::READABLE)?;
                    }
                }
            // ANCHOR: woken
            } else if event.token() == WAKER {
                handback.drain_into(&mut answers);
                for (key, answer) in answers.drain(..) {
                    // The key's generation: an answer for a client that left finds nothing.
                    let Some(c) = connections.get_mut(key) else {
                        continue;
                    };
                    c.busy = false;
                    let sent = c.socket.write_all(&answer).is_ok();
                    if !sent || c.closing || !drive(key, c, &mut buf, &handback) {
                        connections.remove(key);
                    }
                }
            // ANCHOR_END: woken
            } else if let Some((key, c)) = connections.get_by_index(event.token().0) {
                if !drive(key, c, &mut buf, &handback) {
                    connections.remove(key);
                }
            }
        }
    }
}

/// Reads, then hands the next whole head to a thread. Returns whether the connection lives on.
fn drive(key: Key, c: &mut Connection, buf: &mut [u8], handback: &Arc<Answers>) -> bool {
    let mut open = true;
    loop {
        match c.socket.read(buf) {
            Ok(0) => break open = false, // shortcut: closes, dropping any answer in flight
            Ok(n) => c.input.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    // ANCHOR: hand_off
    while !c.busy {
        let Some((len, asked, close)) = parse(&c.input) else {
            break;
        };
        c.input.drain(..len);
        let Some(asked) = asked else {
            let _ = c
                .socket
                .write_all(&respond("400 Bad Request", "not HTTP\n", true));
            return false;
        };
        (c.busy, c.closing) = (true, close);
        let handback = Arc::clone(handback);
        let worker = thread::Builder::new().name(format!("worker-{}", key.index));
        let spawned = worker.spawn(move || {
            let name = thread::current().name().unwrap_or("a thread").to_owned();
            let body = format!("{name} answered {asked}\n");
            handback.send((key, respond("200 OK", &body, close))); // push, and wake the loop
        });
        if spawned.is_err() {
            return false;
        }
    }
    // ANCHOR_END: hand_off
    open && c.input.len() <= MAX_HEAD
}

// ANCHOR: parse
/// The head at the front of `input`: its length, "METHOD /path" (`None` if malformed), and
/// whether the connection closes after its answer.
fn parse(input: &[u8]) -> Option<(usize, Option<String>, bool)> {
    let len = input.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut request = httparse::Request::new(&mut headers);
    if request.parse(&input[..len]).is_err() {
        return Some((len, None, true));
    }
    let close = request.version == Some(0) // HTTP/1.0: close (a simplification)
        || request.headers.iter().any(|h| {
            h.name.eq_ignore_ascii_case("connection") && h.value.eq_ignore_ascii_case(b"close")
        });
    Some((
        len,
        Some(format!("{} {}", request.method?, request.path?)),
        close,
    ))
}

/// An answer in wire form.
fn respond(status: &str, body: &str, close: bool) -> Vec<u8> {
    let (length, connection) = (body.len(), if close { "Connection: close\r\n" } else { "" });
    format!("HTTP/1.1 {status}\r\nContent-Length: {length}\r\n{connection}\r\n{body}").into_bytes()
}
// ANCHOR_END: parse
