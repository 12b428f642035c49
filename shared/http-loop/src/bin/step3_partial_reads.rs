//! Step 3: partial reads — a request may arrive in pieces, so each connection keeps a buffer.
//!
//! Step 2 answered whatever bytes came first. This step appends what it reads to the
//! connection's `input`, waits for the blank line that ends the request head, parses the head
//! with `httparse`, and answers with what was asked (`you asked for GET /path`), then closes.
//!
//! `cargo run -p http-loop --bin step3_partial_reads` (or `… -- 127.0.0.1:9000`)

use http_loop::slab::Slab;
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use std::io::{self, Read, Write};

const LISTENER: Token = Token(usize::MAX);
/// A head longer than this is refused: without a cap, a client could make us buffer gigabytes.
const MAX_HEAD: usize = 16 * 1024;

// ANCHOR: connection
/// One client: its socket, and the bytes it has sent that do not yet make a whole head.
struct Connection {
    socket: TcpStream,
    input: Vec<u8>,
}
// ANCHOR_END: connection

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
                    let input = Vec::new();
                    let key = connections.insert(Connection { socket, input });
                    if let Some(c) = connections.get_mut(key) {
                        poll.registry().register(
                            &mut c.socket,
                            Token(key.index),
                            Interest::READABLE,
                        )?;
                    }
                }
                continue;
            }
            let Some((key, c)) = connections.get_by_index(event.token().0) else {
                continue;
            };
            // ANCHOR: read
            let mut closed = false;
            loop {
                match c.socket.read(&mut buf) {
                    Ok(0) => break closed = true,
                    Ok(n) => c.input.extend_from_slice(&buf[..n]), // keep what came
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => break closed = true,
                }
            }
            let answer = answer(&c.input);
            if let Some(answer) = &answer {
                let _ = c.socket.write_all(answer);
            }
            if closed || answer.is_some() || c.input.len() > MAX_HEAD {
                connections.remove(key);
            }
            // ANCHOR_END: read
        }
    }
}

// ANCHOR: answer
/// The answer to the request at the front of `input`, once its whole head is there.
fn answer(input: &[u8]) -> Option<Vec<u8>> {
    // Parse only once the blank line that ends the head has arrived.
    input.windows(4).position(|w| w == b"\r\n\r\n")?;
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut request = httparse::Request::new(&mut headers);
    let (status, body) = match request.parse(input) {
        Ok(_) => {
            let (method, path) = (request.method?, request.path?);
            ("200 OK", format!("you asked for {method} {path}\n"))
        }
        Err(e) => ("400 Bad Request", format!("not an HTTP request: {e}\n")),
    };
    let head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
    Some(format!("{head}Connection: close\r\n\r\n{body}").into_bytes())
}
// ANCHOR_END: answer
