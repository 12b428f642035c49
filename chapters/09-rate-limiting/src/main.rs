//! Chapter 9's server: chapter 8's, with a token bucket per client in front of every route and
//! a semaphore bounding the expensive jobs.
//!
//! `cargo run -p ch09-rate-limiting` (`-- --help` lists the flags), then try the lines it
//! prints. Ctrl-C stops it (graceful shutdown comes in chapter 10).

use ch03_context::request_pool;
use ch04_timeouts::loop_timers;
use ch09_rate_limiting::{Options, app};
use http_loop::{Server, cli, logging};
use std::process::ExitCode;

fn main() -> ExitCode {
    logging::init();
    let about = "ch09-rate-limiting: a token bucket per client, a semaphore for expensive jobs";
    let options = Options::from_env_with(about, "", |_, _| Ok(false));
    let started = request_pool(ch02_worker_pool::PoolSize::default()).and_then(|requests| {
        Server::new(app(requests, &options)?)
            .with_config(loop_timers())
            .bind(options.addr)
    });
    cli::serve("ch09-rate-limiting", options.addr, started, |addr| {
        let (rate, burst) = (options.rate, options.burst);
        let submit = "curl -s -H 'Content-Type: application/json' -d";
        println!("try (each client may send {burst} requests at once, then {rate} a second):");
        println!(
            "  for i in $(seq {}); do curl -s -o /dev/null -w '%{{http_code}} ' http://{addr}/health; done; echo",
            burst.saturating_add(3)
        );
        println!("      # {burst} × 200, then 429s");
        println!(
            "  curl -si http://{addr}/health | grep -i -e retry-after -e ratelimit   # when limited"
        );
        println!(
            "  {submit} '{{\"kind\":\"primes\",\"input\":{{\"limit\":10000000000}}}}' http://{addr}/jobs"
        );
        println!(
            "      # {} at once; the next gets 503 busy with Retry-After",
            options.expensive
        );
    })
}
