//! Chapter 3's server: a context for every request, cancelled when its client hangs up.
//!
//! `cargo run -p ch03-context` (add `-- --addr 127.0.0.1:9000` to move it), then try the lines
//! it prints. Ctrl-C stops it (graceful shutdown comes in chapter 10).

use ch02_worker_pool::PoolSize;
use ch03_context::{request_pool, router};
use http_loop::cli::{self, Args};
use http_loop::{Server, logging};
use std::process::ExitCode;

fn main() -> ExitCode {
    logging::init();
    let args = Args::from_env("ch03-context: a context per request, cancelled on hang-up");
    let started = request_pool(PoolSize::default())
        .and_then(|pool| Server::new(router(pool)).bind(args.addr));
    cli::serve("ch03-context", args.addr, started, |addr| {
        println!("try:");
        println!("  curl -i 'http://{addr}/sleep?ms=500'");
        println!("  curl -m 1 'http://{addr}/sleep?ms=30000'   # curl gives up after 1 s: with");
        println!("      LOG=debug, the server logs that the work stopped at once, not 29 s later");
        println!("  curl -i 'http://{addr}/primes?limit=5000000'");
    })
}
