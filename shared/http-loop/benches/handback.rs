//! What handing an answer back to the loop costs, per answer: the hand-back (a mutex-guarded
//! `Vec` plus the coalescing flag) against a crossbeam channel, for a batch of 1,000 answers
//! sent and then taken by the loop.
//!
//! One thread sends, so the figure is the bare cost of the operations, not of contention or of
//! starting threads; under load the wake-up saved by coalescing (a `write` to an eventfd, about
//! a microsecond) is what matters, and the HTTP load test measures that end to end.
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http_loop::handback::{Handback, Wake};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts wake-ups; stands in for `mio::Waker`.
#[derive(Default)]
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

const BATCH: usize = 1000;

fn handback(c: &mut Criterion) {
    let mut group = c.benchmark_group("handback");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("mutex+flag", |b| {
        let handback = Handback::new(CountingWaker::default());
        let mut out = Vec::with_capacity(BATCH);
        b.iter(|| {
            for i in 0..BATCH {
                handback.send(black_box(i));
            }
            out.clear();
            handback.drain_into(&mut out);
            assert_eq!(out.len(), BATCH);
        });
    });
    group.bench_function("crossbeam-unbounded", |b| {
        let (tx, rx) = crossbeam_channel::unbounded();
        b.iter(|| {
            for i in 0..BATCH {
                let _ = tx.send(black_box(i));
            }
            assert_eq!(rx.try_iter().count(), BATCH);
        });
    });
    group.finish();
}

criterion_group!(benches, handback);
criterion_main!(benches);
