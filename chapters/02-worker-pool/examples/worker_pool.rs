//! The worker pool without HTTP: jobs in, results out, shutdown joins every worker.
//!
//! `cargo run -p ch02-worker-pool --example worker_pool`
//!
//! The Go guide's shape — `Job Queue (channel) → Worker Pool (goroutines) → Results` — with a
//! results channel that closes when the last worker (holding the last sender) exits.

use ch02_worker_pool::{Rejected, WorkerPool};
use crossbeam_channel::unbounded;

fn main() {
    // ANCHOR: example
    let (results_tx, results) = unbounded();
    let pool = WorkerPool::new("worker", 3, 4, move |n: u64| {
        let name = std::thread::current().name().unwrap_or_default().to_owned();
        results_tx.send((n, n * n, name)).expect("main receives");
    })
    .expect("three threads");

    let mut refused = 0;
    for n in 1..=10 {
        // The event loop's way: never wait. A real server would answer 503 here.
        if let Err(Rejected::QueueFull(_)) = pool.try_submit(n) {
            refused += 1;
        }
    }
    // Runs every queued job, then joins the workers; dropping `run` drops the last sender,
    // so the results channel closes and the loop below ends.
    pool.shutdown();
    let mut squares: Vec<_> = results.iter().collect();
    // ANCHOR_END: example
    squares.sort();
    for (n, square, worker) in &squares {
        println!("{n}² = {square:>3}  by {worker}");
    }
    println!(
        "worker_pool: {} jobs run, {refused} refused with the queue full",
        squares.len()
    );
    assert_eq!(squares.len() + refused, 10);
}
