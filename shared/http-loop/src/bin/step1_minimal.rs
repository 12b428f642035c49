//! Step 1: the smallest event loop that answers HTTP — one thread, one `Poll`, every client.
//!
//! It accepts until `WouldBlock`, reads until `WouldBlock`, and answers whatever arrived with a
//! fixed `200`, then closes. It does not parse HTTP yet: the later steps add one thing each.
//!
//! `cargo run -p http-loop --bin step1_minimal` (or `… --bin step1_minimal -- 127.0.0.1:9000`)

// ANCHOR: setup
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use std::collections::HashMap;
use std::io::{self, Read, Write};

const LISTENER: Token = Token(0);
const ANSWER: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello\n";

fn main() -> io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or("127.0.0.1:8080".into());
    let mut listener = TcpListener::bind(addr.parse().expect("an address like 127.0.0.1:8080"))?;
    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    println!("listening on http://{}", listener.local_addr()?);

    // ANCHOR_END: setup
    // ANCHOR: loop
    let mut connections: HashMap<Token, TcpStream> = HashMap::new();
    let mut next_token = 1;
    let mut events = Events::with_capacity(1024);
    let mut buf = [0; 4096];
    loop {
        // Sleeps until some socket is ready. `Interrupted`: the process was stopped and
        // continued (Ctrl-Z, then `fg`; a debugger), or a signal arrived: just poll again.
        match poll.poll(&mut events, None) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => other?,
        }
        for event in &events {
            if event.token() == LISTENER {
                // Edge-triggered: take every waiting connection, or hear of them never again.
                while let Ok((mut socket, _)) = listener.accept() {
                    let token = Token(next_token);
                    next_token += 1;
                    poll.registry()
                        .register(&mut socket, token, Interest::READABLE)?;
                    connections.insert(token, socket);
                }
                continue;
            }
            let Some(socket) = connections.get_mut(&event.token()) else {
                continue;
            };
            let mut got_bytes = false;
            let done = loop {
                match socket.read(&mut buf) {
                    Ok(0) => break true, // the client closed its side
                    Ok(_) => got_bytes = true,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break got_bytes,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => break true,
                }
            };
            if done {
                let _ = socket.write_all(ANSWER); // tiny, into an empty send buffer
                connections.remove(&event.token()); // dropping the socket closes it
            }
        }
    }
}
// ANCHOR_END: loop
