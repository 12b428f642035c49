//! A slow client: it connects, sends half a request head, then waits, and prints what the
//! server answers and when. It needs nothing installed (no `nc`): std's `TcpStream` only.
//!
//! `cargo run -p ch04-timeouts --example slow_client -- 127.0.0.1:8080` tries a running server
//! (chapter 4's answers 408 after its 5 s header-read timeout). With no address it starts
//! chapter 4's server itself on `127.0.0.1:0`, with the header-read timeout cut to 200 ms, tries
//! it, checks the 408, and stops it.

use ch02_worker_pool::PoolSize;
use ch03_context::request_pool;
use ch04_timeouts::{loop_timers, router};
use http_loop::{Config, Server};
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::{Duration, Instant};

// ANCHOR: slow_client
/// Sends half a request head to `addr`, then waits for whatever the server does; returns the
/// answer (empty if the server just closed) and how long it took.
fn send_half_a_head(addr: &str) -> io::Result<(String, Duration)> {
    let mut stream = TcpStream::connect(addr)?;
    // A failure guard, longer than any header-read timeout this book sets.
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let started = Instant::now();
    stream.write_all(b"GET /health HTTP/1.1\r\nHost: x")?; // no blank line: the head is unfinished
    println!("sent half a head to {addr}; waiting for the server");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?; // ends when the server closes its side
    Ok((
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    ))
}
// ANCHOR_END: slow_client

fn main() -> ExitCode {
    let result = match std::env::args().nth(1) {
        Some(addr) => send_half_a_head(&addr).map(|(answer, took)| report(&answer, took)),
        None => demo(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("slow_client: {error}");
            ExitCode::FAILURE
        }
    }
}

fn report(answer: &str, took: Duration) {
    println!(
        "after {:.3} s the server answered and closed:",
        took.as_secs_f64()
    );
    println!(
        "{}",
        if answer.is_empty() {
            "(nothing)"
        } else {
            answer
        }
    );
}

// ANCHOR: demo
/// Chapter 4's server with a 200 ms header-read timeout, tried once.
fn demo() -> io::Result<()> {
    let config = Config {
        header_read_timeout: Duration::from_millis(200),
        ..loop_timers()
    };
    let server = Server::new(router(request_pool(PoolSize::default())?))
        .with_config(config)
        .bind("127.0.0.1:0")?;
    let (answer, took) = send_half_a_head(&server.local_addr().to_string())?;
    server.stop()?;
    report(&answer, took);
    assert!(answer.starts_with("HTTP/1.1 408 "), "expected a 408");
    assert!(took >= Duration::from_millis(200), "the 408 came early");
    println!(
        "slow_client: 408 after {} ms, then closed",
        took.as_millis()
    );
    Ok(())
}
// ANCHOR_END: demo
