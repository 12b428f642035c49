//! Chapter 5's server: the job API on top of chapter 4's.
//!
//! `cargo run -p ch05-job-status` (add `-- --addr 127.0.0.1:9000` to move it), then try the
//! lines it prints. Ctrl-C stops it (graceful shutdown comes in chapter 10).

use ch02_worker_pool::PoolSize;
use ch03_context::request_pool;
use ch04_timeouts::loop_timers;
use ch05_job_status::{Jobs, StoreConfig, job_pool_size, router};
use http_loop::cli::{self, Args};
use http_loop::{Server, logging};
use std::process::ExitCode;

fn main() -> ExitCode {
    logging::init();
    let args = Args::from_env("ch05-job-status: submit jobs, follow them by id");
    let started = request_pool(PoolSize::default()).and_then(|requests| {
        let jobs = Jobs::new(StoreConfig::default(), job_pool_size())?;
        Server::new(router(requests, jobs))
            .with_config(loop_timers())
            .bind(args.addr)
    });
    cli::serve("ch05-job-status", args.addr, started, |addr| {
        println!("try:");
        println!(
            "  curl -i -H 'Content-Type: application/json' -d '{{\"kind\":\"sleep\",\"input\":{{\"ms\":3000}}}}' http://{addr}/jobs   # 202, Location"
        );
        println!("  curl -i http://{addr}/jobs/ID                   # pending, running, completed");
        println!("  curl -i 'http://{addr}/jobs/ID/result?wait=5s'  # waits for the result");
        println!("  curl -i -X DELETE http://{addr}/jobs/ID         # cancels it");
        println!(
            "  curl -i -H 'Content-Type: application/json' -d '{{\"kind\":\"primes\",\"input\":{{\"limit\":-1}}}}' http://{addr}/jobs  # 400 naming input.limit"
        );
    })
}
