//! Chapter 1's server: a thread per request.
//!
//! `cargo run -p ch01-channels` (add `-- --addr 127.0.0.1:9000` to move it), then try the lines
//! it prints. Ctrl-C stops it (graceful shutdown comes in chapter 10).

use http_loop::cli::{self, Args};
use http_loop::{Server, logging};
use std::process::ExitCode;

fn main() -> ExitCode {
    logging::init();
    let args = Args::from_env("ch01-channels: the simplest server, a thread per request");
    let started = Server::new(ch01_channels::router()).bind(args.addr);
    cli::serve("ch01-channels", args.addr, started, |addr| {
        println!("try:");
        println!("  curl -i http://{addr}/health");
        println!(
            "  curl -i 'http://{addr}/primes?limit=1000000'   # counted on a thread of its own"
        );
        println!("  curl -i 'http://{addr}/primes?limit=lots'      # 400, naming the problem");
        println!("  curl -i -X POST http://{addr}/health           # 405, with Allow");
    })
}
