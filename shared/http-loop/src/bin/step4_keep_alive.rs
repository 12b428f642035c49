//! Step 4: keep-alive — a connection carries request after request until the client says
//! `Connection: close` (or speaks HTTP/1.0, or hangs up).
//!
//! Over step 3: each answered head is removed from `input` and the next one is parsed, so
//! pipelined requests are answered in order. Request bodies are not read yet (the crate's loop
//! reads them by `Content-Length`): send only requests without one.
//!
//! `cargo run -p http-loop --bin step4_keep_alive` (or `… -- 127.0.0.1:9000`)

use http_loop::slab::Slab;
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use std::io::{self, Read, Write};

const LISTENER: Token = Token(usize::MAX);
const MAX_HEAD: usize = 16 * 1024;

/// One client: its socket, and the bytes it has sent that are not yet answered.
struct Connection {
    socket: TcpStream,
    input: Vec<u8>,
}

fn main() -> io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or("127.0.0.1:8080".into());
    let mut listener = TcpListener::bind(addr.parse().expect("an address like 127.0.0.1:8080"))?;
    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
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
                    let key = connections.insert(Connection {
                        socket,
                        input: Vec::new(),
                    });
                    if let Some(c) = connections.get_mut(key) {
                        let token = Token(key.index);
                        poll.registry()
                            .register(&mut c.socket, token, Interest::READABLE)?;
                    }
                }
            } else if let Some((key, c)) = connections.get_by_index(event.token().0) {
                if !drive(c, &mut buf) {
                    connections.remove(key);
                }
            }
        }
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
