//! The pipeline counts what one thread counts: on generated texts of every size around the
//! chunk size, and on text that is not ASCII.

use ch03_context::Context;
use ch07_pipeline::wordfreq::CHUNK_BYTES;
use ch07_pipeline::{word_frequencies, word_frequencies_one_thread};
use std::sync::Arc;

fn pipeline(text: &str, top: usize) -> (Vec<(String, u64)>, u64) {
    let ctx = Context::background();
    let (top, words, report) =
        word_frequencies(&ctx, Arc::from(text), top, 2).expect("a complete run");
    assert_eq!(report.stages.len(), 4, "split, tokenize, count, finish");
    (top, words)
}

#[test]
fn the_pipeline_agrees_with_one_thread() {
    let vocabulary = [
        "Über",
        "uber",
        "naïve",
        "NAÏVE",
        "the",
        "l'été",
        "日本語",
        "a-b",
        "x",
    ];
    let mut seed: u32 = 3;
    for bytes in [
        0,
        1,
        100,
        CHUNK_BYTES - 3,
        CHUNK_BYTES + 5,
        5 * CHUNK_BYTES,
        300_000,
    ] {
        let mut text = String::new();
        while text.len() < bytes {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            text.push_str(vocabulary[(seed >> 16) as usize % vocabulary.len()]);
            text.push_str(if seed % 7 == 0 { "\n\t" } else { " " });
        }
        assert_eq!(
            pipeline(&text, 1000),
            word_frequencies_one_thread(&text, 1000),
            "{bytes} bytes"
        );
    }
}

#[test]
fn words_are_unicode_words_lowercased() {
    let (top, words) = pipeline("Straße straße STRASSE. Été, été; ÉTÉ! 東京 東京", 3);
    assert_eq!(
        words, 10,
        "東京 is two words: UAX #29 does not join ideographs"
    );
    assert_eq!(
        top,
        [
            ("été".to_owned(), 3),
            ("straße".to_owned(), 2),
            ("京".to_owned(), 2)
        ]
    );
}
