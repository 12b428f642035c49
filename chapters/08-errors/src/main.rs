//! Chapter 8's server: chapter 7's, with `fail` and `batch` jobs that show how errors travel.
//!
//! `cargo run -p ch08-errors` (add `-- --addr 127.0.0.1:9000` to move it), then try the
//! lines it prints. Ctrl-C stops it (graceful shutdown comes in chapter 10).

use ch02_worker_pool::PoolSize;
use ch03_context::request_pool;
use ch04_timeouts::loop_timers;
use ch05_job_status::{Jobs, StoreConfig, job_pool_size, router};
use ch08_errors::job_kinds;
use http_loop::cli::{self, Args};
use http_loop::{Server, logging};
use std::process::ExitCode;

fn main() -> ExitCode {
    logging::init();
    let args = Args::from_env("ch08-errors: jobs that fail, panic, retry, and fail together");
    let workers = PoolSize::default().workers;
    let started = request_pool(PoolSize::default()).and_then(|requests| {
        let jobs = Jobs::with_kinds(job_kinds(workers)?, StoreConfig::default(), job_pool_size())?;
        Server::new(router(requests, jobs))
            .with_config(loop_timers())
            .bind(args.addr)
    });
    cli::serve("ch08-errors", args.addr, started, |addr| {
        let submit = "curl -s -H 'Content-Type: application/json' -d";
        println!("try (each answers with an id; then GET /jobs/ID/result?wait=10s):");
        println!(
            "  {submit} '{{\"kind\":\"fail\",\"input\":{{\"mode\":\"panic\"}}}}' http://{addr}/jobs      # failed, with the panic's message"
        );
        println!(
            "  {submit} '{{\"kind\":\"fail\",\"input\":{{\"mode\":\"transient\",\"times\":2}}}}' http://{addr}/jobs   # completed on attempt 3"
        );
        println!(
            "  {submit} '{{\"kind\":\"batch\",\"input\":{{\"jobs\":[{{\"kind\":\"sleep\",\"input\":{{\"ms\":5000}}}},{{\"kind\":\"fail\",\"input\":{{\"mode\":\"error\"}}}}]}}}}' http://{addr}/jobs"
        );
        println!(
            "      # failed at once: sub-job 1 (fail): the job failed on purpose; the sleep is cancelled"
        );
        println!(
            "  curl -s http://{addr}/jobs/ID                     # status, and the error if it failed"
        );
    })
}
