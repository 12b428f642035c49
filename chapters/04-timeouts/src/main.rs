//! Chapter 4's server: every request under a deadline, every client under the loop's timers.
//!
//! `cargo run -p ch04-timeouts` (add `-- --addr 127.0.0.1:9000` to move it), then try the
//! lines it prints. Ctrl-C stops it (graceful shutdown comes in chapter 10).

use ch02_worker_pool::PoolSize;
use ch03_context::request_pool;
use ch04_timeouts::{DEFAULT_REQUEST_TIMEOUT, loop_timers, router};
use http_loop::cli::{self, Args};
use http_loop::{Server, logging};
use std::process::ExitCode;

fn main() -> ExitCode {
    logging::init();
    let args = Args::from_env("ch04-timeouts: per-request deadlines and the loop's timers");
    let config = loop_timers();
    let started = request_pool(PoolSize::default()).and_then(|pool| {
        Server::new(router(pool))
            .with_config(config.clone())
            .bind(args.addr)
    });
    cli::serve("ch04-timeouts", args.addr, started, |addr| {
        println!(
            "request deadline {DEFAULT_REQUEST_TIMEOUT:?} by default; header read {:?}, body read {:?}, write {:?}, idle {:?}",
            config.header_read_timeout,
            config.read_timeout,
            config.write_timeout,
            config.idle_timeout
        );
        println!("try:");
        println!("  curl -i 'http://{addr}/sleep?ms=200'                    # in time: 200");
        println!("  curl -i 'http://{addr}/sleep?ms=3000&timeout_ms=500'    # 504 after 0.5 s");
        println!(
            "  curl -i 'http://{addr}/sleep?ms=10000'                  # 504 after the default"
        );
        println!(
            "  cargo run -p ch04-timeouts --example slow_client -- {addr}   # 408 after {} s",
            config.header_read_timeout.as_secs()
        );
    })
}
