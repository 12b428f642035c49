//! The `HashMap`-doubling trap, measured: one map behind one lock, allocated small, against the
//! store as built (sharded, each shard allocated at its full size), under a flood of inserts
//! while readers look jobs up.
//!
//! `cargo bench -p ch05-job-status --bench store` (`-- --test`: a tiny run, to check it works)
//!
//! Each configuration: 2 writer threads insert jobs as fast as they can (a submission flood)
//! while 2 reader threads look up known jobs (status polls). Reported: inserts per second,
//! and the readers' worst and 99.99th-percentile wait — the stall a status poll suffers when
//! it lands behind a resize.

use ch03_context::Context;
use ch05_job_status::{JobId, JobStore, StoreConfig};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

fn main() {
    let quick = std::env::args().any(|arg| arg == "--test");
    let capacity = if quick { 20_000 } else { 1_000_000 };
    let configurations = [
        (
            "one map, one lock, grown on demand",
            StoreConfig {
                capacity,
                shards: 1,
                preallocate: false,
                ..StoreConfig::default()
            },
        ),
        (
            "one map, one lock, preallocated",
            StoreConfig {
                capacity,
                shards: 1,
                preallocate: true,
                ..StoreConfig::default()
            },
        ),
        (
            "16 shards, preallocated (as built)",
            StoreConfig {
                capacity,
                shards: 16,
                preallocate: true,
                ..StoreConfig::default()
            },
        ),
    ];
    println!("{capacity} inserts by 2 writers while 2 readers poll");
    println!(
        "{:<38} {:>12} {:>14} {:>14}",
        "store", "inserts/s", "read p99.99", "read max"
    );
    for (name, config) in configurations {
        let (rate, p9999, max) = flood(config, capacity);
        println!(
            "{name:<38} {rate:>12.0} {:>11.3} ms {:>11.3} ms",
            p9999.as_secs_f64() * 1000.0,
            max.as_secs_f64() * 1000.0
        );
    }
}

fn flood(config: StoreConfig, count: usize) -> (f64, Duration, Duration) {
    let store = Arc::new(JobStore::new(config));
    // A few jobs for the readers to poll.
    let known: Arc<Vec<JobId>> = Arc::new(
        (0..64)
            .map(|_| {
                let id = JobId::random().expect("randomness");
                let (_ctx, cancel) = Context::background().with_cancel();
                store.insert(id, "sleep", cancel).expect("room");
                id
            })
            .collect(),
    );
    // Ids are made before the clock starts: the bench measures the store, not getrandom.
    let batches: Vec<Vec<JobId>> = (0..2)
        .map(|_| {
            (0..(count - 64) / 2)
                .map(|_| JobId::random().expect("randomness"))
                .collect()
        })
        .collect();
    let writing = Arc::new(AtomicBool::new(true));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (store, known, writing) =
                (Arc::clone(&store), Arc::clone(&known), Arc::clone(&writing));
            thread::spawn(move || {
                let mut waits = Vec::new();
                let mut i = 0;
                while writing.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    std::hint::black_box(store.view(known[i % known.len()]));
                    waits.push(started.elapsed());
                    i += 1;
                }
                waits
            })
        })
        .collect();
    let started = Instant::now();
    let writers: Vec<_> = batches
        .into_iter()
        .map(|batch| {
            let store = Arc::clone(&store);
            thread::spawn(move || {
                for id in batch {
                    let (_ctx, cancel) = Context::background().with_cancel();
                    // Room for all: nothing is evicted, so the map only grows.
                    let _ = store.insert(id, "sleep", cancel);
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().expect("a writer");
    }
    let seconds = started.elapsed().as_secs_f64();
    writing.store(false, Ordering::Relaxed);
    let mut waits: Vec<Duration> = readers
        .into_iter()
        .flat_map(|reader| reader.join().expect("a reader"))
        .collect();
    waits.sort_unstable();
    let at = |q: f64| waits[((waits.len() as f64 - 1.0) * q) as usize];
    (count as f64 / seconds, at(0.9999), at(1.0))
}
