//! The pipeline against one thread on the same 1 MiB text, in one run: the word frequencies
//! counted by `split → tokenize × 2 → count × 2 → merge`, and by one loop on one thread.
//!
//! `cargo bench -p ch07-pipeline --bench wordfreq`

use ch03_context::Context;
use ch07_pipeline::{word_frequencies, word_frequencies_one_thread};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

/// 1 MiB of words from a vocabulary of 2,000, the same on every run.
fn text() -> Arc<str> {
    let mut seed: u32 = 1;
    let mut text = String::with_capacity((1 << 20) + 16);
    while text.len() < 1 << 20 {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        text.push_str(&format!("wörd{} ", (seed >> 16) % 2_000));
    }
    Arc::from(text)
}

fn pipeline_vs_one_thread(c: &mut Criterion) {
    let ctx = Context::background();
    let text = text();
    let mut group = c.benchmark_group("wordfreq 1 MiB");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    group.bench_function("one thread", |b| {
        b.iter(|| black_box(word_frequencies_one_thread(&text, 10)));
    });
    for workers in [1, 2] {
        group.bench_function(format!("pipeline, {workers} per middle stage"), |b| {
            b.iter(|| black_box(word_frequencies(&ctx, Arc::clone(&text), 10, workers).ok()));
        });
    }
    group.finish();
}

criterion_group!(benches, pipeline_vs_one_thread);
criterion_main!(benches);
