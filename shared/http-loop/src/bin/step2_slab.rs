//! Step 2: connections in a slab instead of a `HashMap`: the token *is* the index.
//!
//! Same server as step 1, but a connection is found by indexing a `Vec` (no hashing), and a
//! closed connection's index is reused by the next one. The slab is the crate's own
//! (`http_loop::slab`), whose keys carry a generation: step 5 shows why that matters.
//!
//! `cargo run -p http-loop --bin step2_slab` (or `… --bin step2_slab -- 127.0.0.1:9000`)

use http_loop::slab::Slab;
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use std::io::{self, Read, Write};

// ANCHOR: tokens
/// The listener's token sits at the far end, so that every index of the slab is free for
/// connections: connection `i` is registered as `Token(i)`.
const LISTENER: Token = Token(usize::MAX);
// ANCHOR_END: tokens
const ANSWER: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello\n";

fn main() -> io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or("127.0.0.1:8080".into());
    let mut listener = TcpListener::bind(addr.parse().expect("an address like 127.0.0.1:8080"))?;
    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    println!("listening on http://{}", listener.local_addr()?);

    // ANCHOR: slab
    let mut connections: Slab<TcpStream> = Slab::default();
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
                    let key = connections.insert(socket);
                    if let Some(socket) = connections.get_mut(key) {
                        poll.registry()
                            .register(socket, Token(key.index), Interest::READABLE)?;
                    }
                }
                continue;
            }
            // One bounds-checked index: no hashing. `None` for an index freed earlier.
            let Some((key, socket)) = connections.get_by_index(event.token().0) else {
                continue;
            };
            // ANCHOR_END: slab
            let mut got_bytes = false;
            let done = loop {
                match socket.read(&mut buf) {
                    Ok(0) => break true,
                    Ok(_) => got_bytes = true,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break got_bytes,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => break true,
                }
            };
            if done {
                let _ = socket.write_all(ANSWER);
                connections.remove(key); // frees the index for the next connection
            }
        }
    }
}
