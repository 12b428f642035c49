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
    // ANCHOR: fill
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
    if let Err(error) = submit_finished(&store, jobs, &result) {
        eprintln!("store_memory: {error}");
        return ExitCode::FAILURE;
    }
    let full = resident_bytes().unwrap_or(empty);
    // Ids are random, so one shard fills (and evicts its oldest) a little before the others.
    let held = store.len();
    let per_job = (full.saturating_sub(empty)) as f64 / held as f64;
    // ANCHOR_END: fill
    // As many again: every one evicts the oldest finished job. The tables must not grow.
    if let Err(error) = submit_finished(&store, jobs, &result) {
        eprintln!("store_memory: {error}");
        return ExitCode::FAILURE;
    }
    let churned = resident_bytes().unwrap_or(full);
    let result_text = result.to_string();
    // ANCHOR_END: measure
    println!("store of {jobs} jobs ({} shards)", config.shards);
    println!("  resident, empty store:        {:>8.1} MiB", mib(empty));
    println!("  resident, {held} finished:  {:>8.1} MiB", mib(full));
    println!("  per finished job:             {per_job:>8.1} bytes");
    println!(
        "  of which its result {result_text} is {} bytes of JSON",
        result_text.len()
    );
    println!(
        "  after {jobs} more, each evicting the oldest: {:>8.1} MiB",
        mib(churned)
    );
    ExitCode::SUCCESS
}

/// Submits `count` jobs that finish at once with `result`.
fn submit_finished(
    store: &JobStore,
    count: usize,
    result: &serde_json::Value,
) -> Result<(), String> {
    for _ in 0..count {
        let id = JobId::random().map_err(|error| format!("no randomness: {error}"))?;
        let (_ctx, cancel) = Context::background().with_cancel();
        store
            .insert(id, "sleep", cancel)
            .map_err(|_| "a shard is full of unfinished jobs".to_owned())?;
        store
            .start(id)
            .and_then(|()| store.finish(id, Outcome::Completed(result.clone())))
            .map_err(|refused| format!("job {id} did not finish: {refused:?}"))?;
    }
    Ok(())
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
