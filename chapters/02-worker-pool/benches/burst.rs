//! Thread per request (chapter 1) against the worker pool (chapter 2), under the same burst of
//! slow requests, in one run: successful answers per second, latency percentiles, 503s, and
//! the most threads the server had at once.
//!
//! `cargo bench -p ch02-worker-pool --bench burst` (`-- --test`: a tiny burst, to check it runs)
//!
//! Not a criterion benchmark: criterion times a function many times, and this is one burst
//! against two live servers. Both run in this process; the server's threads are counted by
//! name (`event-loop`, `request-…`, `worker-…`) every millisecond.

use http_loop::Handler;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};
use test_support::{TestServer, threads_named};

struct Burst {
    clients: usize,
    requests_per_client: usize,
    limit: usize,
}

struct Outcome {
    seconds: f64,
    ok: usize,
    refused: usize,
    latencies: Vec<Duration>,
    peak_server_threads: usize,
}

fn main() {
    let quick = std::env::args().any(|arg| arg == "--test");
    let burst = if quick {
        Burst {
            clients: 8,
            requests_per_client: 2,
            limit: 10_000,
        }
    } else {
        Burst {
            clients: 256,
            requests_per_client: 8,
            limit: 2_000_000,
        }
    };
    println!(
        "burst: {} clients at once, {} requests each, GET /primes?limit={}",
        burst.clients, burst.requests_per_client, burst.limit
    );
    println!(
        "{:<26} {:>7} {:>6} {:>6} {:>9} {:>9} {:>13}",
        "server", "200s/s", "200", "503", "p50 ms", "p99 ms", "peak threads"
    );
    let size = ch02_worker_pool::PoolSize::default();
    run("ch01 thread per request", ch01_channels::router(), &burst);
    let pool = ch02_worker_pool::primes_pool(size).expect("workers");
    let name = format!("ch02 pool ({}+{} queued)", size.workers, size.queue);
    run(&name, ch02_worker_pool::router(pool), &burst);
}

fn run(name: &str, handler: impl Handler, burst: &Burst) {
    let server = TestServer::start(handler);
    let outcome = fire(&server, burst);
    server.stop();
    let mut latencies = outcome.latencies;
    latencies.sort_unstable();
    let percentile = |p: f64| {
        let index = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies[index].as_secs_f64() * 1000.0
    };
    println!(
        "{:<26} {:>7.0} {:>6} {:>6} {:>9.2} {:>9.2} {:>13}",
        name,
        outcome.ok as f64 / outcome.seconds,
        outcome.ok,
        outcome.refused,
        percentile(0.50),
        percentile(0.99),
        outcome.peak_server_threads,
    );
}

fn fire(server: &TestServer, burst: &Burst) -> Outcome {
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let sampling = Arc::clone(&sampling);
        thread::spawn(move || {
            let mut peak = 0;
            while sampling.load(Ordering::Relaxed) {
                peak = peak.max(threads_named(&["event-loop", "request-", "worker-"]));
                thread::sleep(Duration::from_millis(1)); // a sampling interval, not a sync
            }
            peak
        })
    };
    let path = format!("/primes?limit={}", burst.limit);
    let start = Instant::now();
    let clients: Vec<_> = (0..burst.clients)
        .map(|_| {
            let mut client = server.client();
            let path = path.clone();
            let requests = burst.requests_per_client;
            thread::spawn(move || {
                (0..requests)
                    .map(|_| {
                        let sent = Instant::now();
                        let status = client.get(&path).status;
                        (status, sent.elapsed())
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let results: Vec<_> = clients
        .into_iter()
        .flat_map(|client| client.join().expect("a client thread"))
        .collect();
    let seconds = start.elapsed().as_secs_f64();
    sampling.store(false, Ordering::Relaxed);
    let peak = sampler.join().expect("the sampler");
    Outcome {
        seconds,
        ok: results.iter().filter(|(status, _)| *status == 200).count(),
        refused: results.iter().filter(|(status, _)| *status == 503).count(),
        latencies: results.iter().map(|(_, latency)| *latency).collect(),
        peak_server_threads: peak,
    }
}
