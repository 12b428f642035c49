//! The store under a read-heavy mix, as a status-polling API sees it: mostly `view`s of known
//! jobs, some submissions that complete. criterion times one operation of each kind, and a
//! batch of the mix (19 reads to 1 write), on a store already holding 10,000 jobs.
use ch03_context::Context;
use ch05_job_status::{JobId, JobStore, Outcome, StoreConfig};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn filled_store() -> (JobStore, Vec<JobId>) {
    let store = JobStore::new(StoreConfig {
        capacity: 20_000,
        ..StoreConfig::default()
    });
    let ids: Vec<_> = (0..10_000)
        .map(|_| {
            let id = JobId::random().expect("randomness");
            let (_ctx, cancel) = Context::background().with_cancel();
            store.insert(id, "sleep", cancel).expect("room");
            id
        })
        .collect();
    (store, ids)
}

/// A submission that runs and completes, as a worker would record it.
fn submit_and_complete(store: &JobStore) {
    let id = JobId::random().expect("randomness");
    let (_ctx, cancel) = Context::background().with_cancel();
    if store.insert(id, "sleep", cancel).is_ok() {
        let _ = store.start(id);
        let _ = store.finish(id, Outcome::Completed(serde_json::json!(0)));
    }
}

fn store_reads(c: &mut Criterion) {
    let (store, ids) = filled_store();
    let mut i = 0;
    c.bench_function("store/view", |b| {
        b.iter(|| {
            i = (i + 1) % ids.len();
            black_box(store.view(ids[i]))
        });
    });
    c.bench_function("store/submit+complete", |b| {
        b.iter(|| submit_and_complete(&store));
    });
    c.bench_function("store/mix 19 reads : 1 write", |b| {
        b.iter(|| {
            for _ in 0..19 {
                i = (i + 1) % ids.len();
                black_box(store.view(ids[i]));
            }
            submit_and_complete(&store);
        });
    });
}

criterion_group!(benches, store_reads);
criterion_main!(benches);
