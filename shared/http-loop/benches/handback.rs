//! What handing an answer back to the loop costs: the hand-back (mutex + coalescing flag)
//! against a crossbeam channel, for a batch of answers from one thread and from four.
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use http_loop::handback::{Handback, Wake};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts wake-ups; stands in for `mio::Waker`, whose cost is one `write` to an eventfd.
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
    for senders in [1, 4] {
        group.bench_with_input(
            BenchmarkId::new("mutex+flag", senders),
            &senders,
            |b, &n| {
                let handback = Handback::new(CountingWaker::default());
                let mut out = Vec::with_capacity(BATCH);
                b.iter(|| {
                    std::thread::scope(|scope| {
                        for _ in 0..n {
                            scope.spawn(|| {
                                for i in 0..BATCH / n {
                                    handback.send(black_box(i));
                                }
                            });
                        }
                    });
                    out.clear();
                    handback.drain_into(&mut out);
                    assert_eq!(out.len(), BATCH / n * n);
                });
            },
        );
        group.bench_with_input(BenchmarkId::new("crossbeam", senders), &senders, |b, &n| {
            let (tx, rx) = crossbeam_channel::unbounded();
            b.iter(|| {
                std::thread::scope(|scope| {
                    for _ in 0..n {
                        let tx = tx.clone();
                        scope.spawn(move || {
                            for i in 0..BATCH / n {
                                let _ = tx.send(black_box(i));
                            }
                        });
                    }
                });
                assert_eq!(rx.try_iter().count(), BATCH / n * n);
            });
        });
    }
    group.finish();
}

criterion_group!(benches, handback);
criterion_main!(benches);
