//! Chapter 7's server: chapter 6's, with `wordfreq` jobs counted by a pipeline.
//!
//! `cargo run -p ch07-pipeline` (add `-- --addr 127.0.0.1:9000` to move it), then try the
//! lines it prints. Ctrl-C stops it (graceful shutdown comes in chapter 10).

use ch02_worker_pool::PoolSize;
use ch03_context::request_pool;
use ch04_timeouts::loop_timers;
use ch05_job_status::{Jobs, StoreConfig, job_pool_size, router};
use ch07_pipeline::job_kinds;
use http_loop::cli::{self, Args};
use http_loop::{Server, logging};
use std::process::ExitCode;

fn main() -> ExitCode {
    logging::init();
    let args = Args::from_env("ch07-pipeline: a wordfreq job counted by a pipeline of stages");
    let workers = PoolSize::default().workers;
    let started = request_pool(PoolSize::default()).and_then(|requests| {
        let jobs = Jobs::with_kinds(job_kinds(workers)?, StoreConfig::default(), job_pool_size())?;
        Server::new(router(requests, jobs))
            .with_config(loop_timers())
            .bind(args.addr)
    });
    cli::serve("ch07-pipeline", args.addr, started, |addr| {
        let submit = "curl -s -H 'Content-Type: application/json' -d";
        println!("try (each answers with an id; then GET /jobs/ID/result?wait=10s):");
        println!(
            "  {submit} '{{\"kind\":\"wordfreq\",\"input\":{{\"text\":\"the cat and the hat\",\"top\":2}}}}' http://{addr}/jobs"
        );
        println!(
            "  jq -Rs '{{kind:\"wordfreq\",input:{{text:.,top:5}}}}' README.md | {submit} @- http://{addr}/jobs"
        );
        println!(
            "  curl -s 'http://{addr}/jobs/ID/result?wait=10s'   # top words, and each stage's figures"
        );
        println!(
            "  {submit} '{{\"kind\":\"wordfreq\",\"input\":{{\"text\":\"x\",\"top\":5000}}}}' http://{addr}/jobs  # 400 naming input.top"
        );
    })
}
