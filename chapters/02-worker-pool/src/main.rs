//! Chapter 2's server: chapter 1's routes, with `/primes` run by a fixed worker pool.
//!
//! `cargo run -p ch02-worker-pool` (add `-- --addr 127.0.0.1:9000` to move it), then try the
//! lines it prints. Ctrl-C stops it (graceful shutdown comes in chapter 10).

use ch02_worker_pool::{PoolSize, primes_pool, router};
use http_loop::cli::{self, Args};
use http_loop::{Server, logging};
use std::process::ExitCode;

fn main() -> ExitCode {
    logging::init();
    let args = Args::from_env("ch02-worker-pool: a fixed pool of workers and a bounded queue");
    let size = PoolSize::default();
    let started = primes_pool(size).and_then(|pool| Server::new(router(pool)).bind(args.addr));
    cli::serve("ch02-worker-pool", args.addr, started, |addr| {
        println!("{} workers, a queue of {} jobs", size.workers, size.queue);
        println!("try:");
        println!(
            "  curl -i 'http://{addr}/primes?limit=1000000'   # counted by worker-0 or worker-1"
        );
        println!("  # a burst bigger than the queue: some answers are 503 with Retry-After");
        println!(
            "  for i in $(seq 200); do curl -s -o /dev/null -w '%{{http_code}}\\n' 'http://{addr}/primes?limit=5000000' & done | sort | uniq -c"
        );
    })
}
