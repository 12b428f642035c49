//! Step 6: timers — a connection that sends nothing for a while is closed, by a deadline heap
//! that sets how long `poll` may sleep. No timer thread.
//!
//! Over step 4 (the hand-back of step 5 is left out to keep the file short; the crate's loop
//! has both): each connection has an idle deadline, pushed on a min-heap whenever it moves; the
//! earliest entry is `poll`'s timeout; after each batch of events the entries that fell due
//! are popped, and a connection whose deadline is still that entry's is closed. An entry whose
//! connection has moved its deadline since (or closed) is stale, and skipped.
//!
//! `cargo run -p http-loop --bin step6_timers -- 127.0.0.1:8080 5000` (idle timeout in ms;
//! default 10000)

use http_loop::slab::{Key, Slab};
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

const LISTENER: Token = Token(usize::MAX);
const MAX_HEAD: usize = 16 * 1024;

// ANCHOR: connection
/// One client: its socket, the bytes it has sent that are not yet answered, and when it will
/// be closed if it sends nothing more.
struct Connection {
    socket: TcpStream,
    input: Vec<u8>,
    deadline: Instant,
}

/// Deadlines, earliest on top: `(when, slab index, generation)`, since a `Key` is not `Ord`.
type Timers = BinaryHeap<Reverse<(Instant, usize, u64)>>;
// ANCHOR_END: connection

fn main() -> io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or("127.0.0.1:8080".into());
    let mut listener = TcpListener::bind(addr.parse().expect("an address like 127.0.0.1:8080"))?;
    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    let idle_ms = std::env::args()
        .nth(2)
        .map_or(10_000, |ms| ms.parse().expect("milliseconds"));
    let idle = Duration::from_millis(idle_ms);
    println!("listening on http://{}", listener.local_addr()?);

    let mut connections: Slab<Connection> = Slab::default();
    let mut events = Events::with_capacity(1024);
    let mut buf = [0; 4096];
    // ANCHOR: poll
    let mut timers = Timers::new();
    loop {
        // Sleep until an event, or until the earliest deadline: no timer thread needed.
        let timeout = timers
            .peek()
            .map(|Reverse((at, ..))| at.saturating_duration_since(Instant::now()));
        match poll.poll(&mut events, timeout) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue, // stopped, continued
            other => other?,
        }
        let now = Instant::now();
        // ANCHOR_END: poll
        for event in &events {
            if event.token() == LISTENER {
                while let Ok((socket, _)) = listener.accept() {
                    let (input, deadline) = (Vec::new(), now + idle);
                    let key = connections.insert(Connection {
                        socket,
                        input,
                        deadline,
                    });
                    timers.push(Reverse((deadline, key.index, key.generation)));
                    if let Some(c) = connections.get_mut(key) {
                        let token = Token(key.index);
                        poll.registry()
                            .register(&mut c.socket, token, Interest::READABLE)?;
                    }
                }
            // ANCHOR: push
            } else if let Some((key, c)) = connections.get_by_index(event.token().0) {
                if !drive(c, &mut buf) {
                    connections.remove(key);
                } else {
                    // Activity: the deadline moves later. The old entry stays in the heap.
                    c.deadline = now + idle;
                    timers.push(Reverse((c.deadline, key.index, key.generation)));
                }
            }
            // ANCHOR_END: push
        }
        // ANCHOR: expire
        while let Some(&Reverse((at, index, generation))) = timers.peek() {
            if at > now {
                break; // the earliest entry is not due: neither is any other
            }
            timers.pop();
            let key = Key { index, generation };
            // A closed connection, or one whose deadline moved since: a stale entry.
            if connections.get_mut(key).is_some_and(|c| c.deadline == at) {
                connections.remove(key); // idle for too long: close
            }
        }
        // ANCHOR_END: expire
    }
}

// ANCHOR: drive
/// Reads, then answers every whole head in the input. Returns whether the connection lives on.
fn drive(c: &mut Connection, buf: &mut [u8]) -> bool {
    let mut open = true;
    loop {
        match c.socket.read(buf) {
            Ok(0) => break open = false, // answer what came, then close
            Ok(n) => c.input.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    while let Some((len, asked, close)) = parse(&c.input) {
        c.input.drain(..len); // the next request, if any, now starts the buffer
        let answer = match &asked {
            Some(asked) => respond("200 OK", &format!("you asked for {asked}\n"), close),
            None => respond("400 Bad Request", "not an HTTP request\n", true),
        };
        // A small answer that does not fit in the socket's send buffer means the client is
        // not reading: drop it. (The crate's loop keeps an output buffer and waits instead.)
        if c.socket.write_all(&answer).is_err() || close {
            return false;
        }
    }
    open && c.input.len() <= MAX_HEAD
}
// ANCHOR_END: drive

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
