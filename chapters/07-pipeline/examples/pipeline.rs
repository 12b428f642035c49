//! A pipeline without HTTP: the word frequencies of a generated text of 1 MiB, and what each
//! stage did — which one was busy, which ones waited.
//!
//! `cargo run --release -p ch07-pipeline --example pipeline`

use ch03_context::Context;
use ch07_pipeline::{PipelineError, word_frequencies};
use std::sync::Arc;

/// A text of about `bytes` bytes of words from a small vocabulary, some far more frequent than
/// others (as in real text), the same on every run.
fn text(bytes: usize) -> String {
    const WORDS: [&str; 12] = [
        "the", "of", "pipeline", "stage", "été", "and", "chunk", "a", "Straße", "worker", "to",
        "link",
    ];
    let mut seed: u32 = 7;
    let mut text = String::with_capacity(bytes + 16);
    while text.len() < bytes {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        // Squaring a uniform number skews it towards the first words of the list.
        let uniform = f64::from(seed >> 16) / 65_536.0;
        text.push_str(WORDS[(uniform * uniform * WORDS.len() as f64) as usize]);
        text.push(' ');
    }
    text
}

fn main() -> Result<(), PipelineError> {
    let ctx = Context::background();
    let (top, words, report) = word_frequencies(&ctx, Arc::from(text(1 << 20)), 5, 2)?;
    println!("{words} words; the top five:");
    for (word, count) in top {
        println!("  {word:<10} {count:>7}");
    }
    println!("\nstage       workers  items   busy ms  blocked ms");
    for stage in &report.stages {
        println!(
            "{:<11} {:>7} {:>6} {:>9.1} {:>11.1}",
            stage.name,
            stage.workers,
            stage.items_in.max(stage.items_out),
            stage.busy.as_secs_f64() * 1e3,
            stage.blocked.as_secs_f64() * 1e3
        );
    }
    println!("\nlink after  capacity  high water");
    for link in &report.links {
        println!(
            "{:<11} {:>8} {:>11}",
            link.after, link.capacity, link.high_water
        );
    }
    Ok(())
}
