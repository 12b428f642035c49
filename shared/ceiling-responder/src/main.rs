//! The ceiling: a single-thread mio responder that does the least a server can do per request.
//!
//! It does not parse HTTP. It counts the blank lines that end request heads (`\r\n\r\n`) and
//! answers each with the same fixed 200, so its requests per second are the most one
//! event-loop thread on this machine can give. The benchmark runs it beside the chapter
//! servers, in the same run, and reports each server as a ratio to it: a ratio survives a noisy
//! machine far better than a raw number does.
//!
//! Only for the benchmark: it answers anything, including garbage, with 200.
//!
//! `cargo run --release -p ceiling-responder -- --addr 127.0.0.1:8090`

use http_loop::cli::Args;
use http_loop::slab::Slab;
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use std::io::{self, Read, Write};

const LISTENER: Token = Token(usize::MAX);
const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"status\":\"ok\"}";

/// One client: how much of a `\r\n\r\n` it has sent so far, and what it has not yet taken.
struct Client {
    socket: TcpStream,
    matched: usize,
    output: Vec<u8>,
    /// Registered for writability: only while output is pending, as in the real loop, since
    /// an edge-triggered socket registered for it reports every ACK that frees buffer space.
    wants_write: bool,
}

fn main() -> io::Result<()> {
    let args = Args::from_env("ceiling-responder: the benchmarks' upper bound");
    let mut listener = TcpListener::bind(args.addr)?;
    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    println!("listening on http://{}", listener.local_addr()?);

    let mut clients: Slab<Client> = Slab::default();
    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0; 64 * 1024];
    loop {
        if let Err(e) = poll.poll(&mut events, None) {
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        for event in &events {
            if event.token() == LISTENER {
                while let Ok((socket, _)) = listener.accept() {
                    socket.set_nodelay(true)?;
                    let key = clients.insert(Client {
                        socket,
                        matched: 0,
                        output: Vec::new(),
                        wants_write: false,
                    });
                    if let Some(client) = clients.get_mut(key) {
                        poll.registry().register(
                            &mut client.socket,
                            Token(key.index),
                            Interest::READABLE,
                        )?;
                    }
                }
                continue;
            }
            let Some((key, client)) = clients.get_by_index(event.token().0) else {
                continue;
            };
            if !serve(client, &mut buf) {
                clients.remove(key);
                continue;
            }
            let wants_write = !client.output.is_empty();
            if wants_write != client.wants_write {
                client.wants_write = wants_write;
                let interest = if wants_write {
                    Interest::READABLE | Interest::WRITABLE
                } else {
                    Interest::READABLE
                };
                poll.registry()
                    .reregister(&mut client.socket, Token(key.index), interest)?;
            }
        }
    }
}

/// Reads until `WouldBlock`, answers every complete head, writes what it can. Returns `false`
/// when the client is gone.
fn serve(client: &mut Client, buf: &mut [u8]) -> bool {
    loop {
        match client.socket.read(buf) {
            Ok(0) => return false,
            Ok(n) => {
                for &byte in &buf[..n] {
                    client.matched = match (client.matched, byte) {
                        (0 | 2, b'\r') => client.matched + 1,
                        (1 | 3, b'\n') => client.matched + 1,
                        (_, b'\r') => 1,
                        _ => 0,
                    };
                    if client.matched == 4 {
                        client.matched = 0;
                        client.output.extend_from_slice(RESPONSE);
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    while !client.output.is_empty() {
        match client.socket.write(&client.output) {
            Ok(n) => {
                client.output.drain(..n);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    true
}
