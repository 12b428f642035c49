//! What a finished job costs the store: the resident memory of a store filled with finished
//! `sleep 0` jobs, minus that of the same store empty, divided by the number of jobs.
//!
//! `cargo run --release -p ch05-job-status --example store_memory` (Linux: it reads
//! `/proc/self/statm`). Add a job count to fill a store of that size instead of the default.
//!
//! What it prints is the figure of chapter 5's "What a finished job costs" section, and the
//! arithmetic behind the store's default size.

use ch03_context::Context;
use ch05_job_status::{JobId, JobStore, Outcome, StoreConfig};
use std::process::ExitCode;

// ANCHOR: measure
/// The resident set of this process, in bytes.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // The page size is 4 KiB on every Linux this project runs on (x86-64, arm64 defaults).
    Some(pages * 4096)
}

fn main() -> ExitCode {
    let jobs = match std::env::args().nth(1).map(|count| count.parse::<usize>()) {
        None => StoreConfig::default().capacity,
        Some(Ok(count)) if count > 0 => count,
        Some(_) => {
            eprintln!("usage: store_memory [JOBS]   (a whole number of jobs, at least 1)");
            return ExitCode::from(2);
        }
    };
    let config = StoreConfig {
        capacity: jobs,
        ..StoreConfig::default()
    };
    let (Some(before), store) = (resident_bytes(), JobStore::new(config)) else {
        eprintln!("store_memory: no /proc/self/statm (it needs Linux)");
        return ExitCode::FAILURE;
    };
    let empty = resident_bytes().unwrap_or(before);
    let result = serde_json::json!({ "slept_ms": 0 });
    let mut stored = 0;
    while stored < jobs {
        let Ok(id) = JobId::random() else {
            eprintln!("store_memory: no randomness");
            return ExitCode::FAILURE;
        };
        let (_ctx, cancel) = Context::background().with_cancel();
        if store.insert(id, "sleep", cancel).is_err() {
            break; // a shard is full: the store holds all it can
        }
        let ran = store.start(id).and_then(|()| {
            let outcome = Outcome::Completed(result.clone());
            store.finish(id, outcome)
        });
        if ran.is_err() {
            eprintln!("store_memory: job {id} did not finish");
            return ExitCode::FAILURE;
        }
        stored += 1;
    }
    let full = resident_bytes().unwrap_or(empty);
    let per_job = (full.saturating_sub(empty)) as f64 / stored as f64;
    let result_text = result.to_string();
    // ANCHOR_END: measure
    println!("store of {jobs} jobs ({} shards)", config.shards);
    println!("  resident, empty store:  {:>8.1} MiB", mib(empty));
    println!("  resident, {stored} finished: {:>8.1} MiB", mib(full));
    println!("  per finished job:       {per_job:>8.1} bytes");
    println!(
        "  of which its result {result_text} is {} bytes of JSON",
        result_text.len()
    );
    ExitCode::SUCCESS
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
