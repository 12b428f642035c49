//! What one request costs the server context when many others are alive: every request and job
//! context is a child of one server context, so making a child and dropping it (its `Cancel`
//! leaves the parent's list) happens under that parent's lock, once per request.
//!
//! `cargo bench -p ch03-context --bench children`
//!
//! With a list searched on removal, the cost grows with the number of live siblings (10,000
//! live jobs is the job server's default); with removal by id it stays flat.

use ch03_context::Context;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn child_among_siblings(c: &mut Criterion) {
    let mut group = c.benchmark_group("make and drop a child among live siblings");
    for siblings in [0, 1_000, 10_000] {
        let server = Context::background();
        let live: Vec<_> = (0..siblings).map(|_| server.with_cancel()).collect();
        group.bench_with_input(BenchmarkId::from_parameter(siblings), &siblings, |b, _| {
            b.iter(|| {
                let (ctx, cancel) = server.with_cancel();
                black_box(&ctx);
                drop(cancel);
            });
        });
        drop(live);
    }
    group.finish();
}

criterion_group!(benches, child_among_siblings);
criterion_main!(benches);
