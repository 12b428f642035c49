//! Chapter 6's server: chapter 5's, with `primes` jobs fanned out over workers.
//!
//! `cargo run -p ch06-fan-out-fan-in` (add `-- --addr 127.0.0.1:9000` to move it), then try
//! the lines it prints. Ctrl-C stops it (graceful shutdown comes in chapter 10).

use ch02_worker_pool::PoolSize;
use ch03_context::request_pool;
use ch04_timeouts::loop_timers;
use ch05_job_status::{Jobs, StoreConfig, job_pool_size, router};
use ch06_fan_out_fan_in::{Engines, kinds};
use http_loop::cli::{self, Args};
use http_loop::{Server, logging};
use std::process::ExitCode;
use std::sync::Arc;

fn main() -> ExitCode {
    logging::init();
    let args = Args::from_env("ch06-fan-out-fan-in: a primes job split over workers");
    // ANCHOR: compose
    let workers = PoolSize::default().workers;
    let started = request_pool(PoolSize::default()).and_then(|requests| {
        let engines = Engines::new(workers).map_err(std::io::Error::other)?;
        let jobs = Jobs::with_kinds(
            kinds(Arc::new(engines)),
            StoreConfig::default(),
            job_pool_size(),
        )?;
        Server::new(router(requests, jobs))
            .with_config(loop_timers())
            .bind(args.addr)
    });
    // ANCHOR_END: compose
    cli::serve("ch06-fan-out-fan-in", args.addr, started, |addr| {
        let submit = "curl -s -H 'Content-Type: application/json' -d";
        println!("try (each answers with an id; then GET /jobs/ID/result?wait=30s):");
        println!(
            "  {submit} '{{\"kind\":\"primes\",\"input\":{{\"limit\":10000000000}}}}' http://{addr}/jobs   # {workers} threads, ~10 s"
        );
        println!(
            "  {submit} '{{\"kind\":\"primes\",\"input\":{{\"limit\":10000000000,\"engine\":\"rayon\"}}}}' http://{addr}/jobs"
        );
        println!(
            "  curl -s 'http://{addr}/jobs/ID/result?wait=30s'   # the count, engine, workers"
        );
        println!("  curl -s -X DELETE http://{addr}/jobs/ID          # stops every worker");
        println!(
            "  top -H -p $(pgrep -f ch06-fan-out)               # primes-0, primes-1, rayon-primes-0 …"
        );
    })
}
