//! What a finished job costs the store, held to its budget: at most 250 bytes of resident
//! memory per finished job beyond its result, and no growth when a full store keeps taking
//! jobs. A string where a number would do, a result allocated with slack, or a table sized so
//! that churn doubles it would each break it.
//!
//! One test in its own binary: nothing else allocates while it measures. Linux only (it reads
//! `/proc/self/statm`); `examples/store_memory.rs` prints the same figure for any size.

#![cfg(target_os = "linux")]

use ch03_context::Context;
use ch05_job_status::{JobId, JobStore, Outcome, StoreConfig};

/// The budget, beyond the result's own allocation.
const BUDGET_BYTES: f64 = 250.0;

fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("Linux has /proc");
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|pages| pages.parse().ok())
        .expect("statm's second field is the resident pages");
    pages * 4096
}

#[test]
fn a_finished_job_costs_at_most_250_bytes_beyond_its_result() {
    // The default store's geometry (28,672 jobs a shard, in a table of 65,536 slots), with
    // fewer shards, so the test takes a second, not ten.
    let per_shard = StoreConfig::default().capacity / StoreConfig::default().shards;
    let config = StoreConfig {
        capacity: 4 * per_shard,
        shards: 4,
        ..StoreConfig::default()
    };
    let store = JobStore::new(config);
    let result = serde_json::json!({ "slept_ms": 0 });
    // The result's own allocation: its JSON text, rounded up to the allocator's 16-byte steps
    // with its 8-byte header, at least 32 bytes.
    let result_bytes = (result.to_string().len() + 8).div_ceil(16).max(2) * 16;
    let empty = resident_bytes();
    submit_finished(&store, config.capacity, &result);
    let full = resident_bytes();
    // Ids are random, so one shard fills (and evicts its oldest) a little before the others.
    let held = store.len();
    assert!(held > config.capacity * 9 / 10, "held {held}");
    let per_job = (full - empty) as f64 / held as f64;
    let beyond_result = per_job - result_bytes as f64;
    println!("{per_job:.1} bytes per finished job, {beyond_result:.1} beyond its result");
    assert!(
        beyond_result <= BUDGET_BYTES,
        "{beyond_result:.1} bytes per finished job beyond its result; the budget is {BUDGET_BYTES}"
    );

    // As many again, each evicting the oldest: a full store under churn must not grow. (A
    // table filled past half would double here, when its deleted marks use up its room.)
    submit_finished(&store, config.capacity, &result);
    let churned = resident_bytes();
    let grown = churned.saturating_sub(full) as f64 / (full - empty) as f64;
    println!("after churn: {:.1}% more", grown * 100.0);
    assert!(
        grown < 0.05,
        "the full store grew by {:.0}% under churn",
        grown * 100.0
    );
}

fn submit_finished(store: &JobStore, count: usize, result: &serde_json::Value) {
    for _ in 0..count {
        let id = JobId::random().expect("randomness");
        let (_ctx, cancel) = Context::background().with_cancel();
        store.insert(id, "sleep", cancel).expect("room");
        store.start(id).expect("pending → running");
        let completed = Outcome::Completed(result.clone());
        store.finish(id, completed).expect("running → completed");
    }
}
