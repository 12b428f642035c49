//! The fan-out's speedup: the primes below 10⁸ counted by one thread, then fanned out over 1,
//! 2 and 4 workers, hand-written and on rayon, in one run. The speedup of each is the one
//! thread's time divided by its time (the book's table); on a 2-core machine the ceiling is 2.
//!
//! `cargo bench -p ch06-fan-out-fan-in --bench speedup`

use ch03_context::Context;
use ch06_fan_out_fan_in::{FanOut, Sieve, count_primes, rayon_sieve};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

const LIMIT: u64 = 100_000_000;

fn speedup(c: &mut Criterion) {
    let ctx = Context::background();
    let sieve = Sieve::new(LIMIT);
    let mut group = c.benchmark_group("primes below 1e8");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    group.bench_function("one thread, no fan-out", |b| {
        b.iter(|| black_box(sieve.count_all()));
    });
    for workers in [1, 2, 4] {
        let fan_out = FanOut::new("bench", workers);
        group.bench_with_input(
            BenchmarkId::new("threads", workers),
            &fan_out,
            |b, fan_out| {
                b.iter(|| black_box(count_primes(fan_out, &ctx, &sieve).ok()));
            },
        );
        let pool = rayon_sieve::primes_pool(workers).expect("rayon threads");
        group.bench_with_input(BenchmarkId::new("rayon", workers), &pool, |b, pool| {
            b.iter(|| black_box(rayon_sieve::count_primes(pool, &ctx, &sieve).ok()));
        });
    }
    group.finish();
}

criterion_group!(benches, speedup);
criterion_main!(benches);
