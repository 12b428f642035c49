//! The `wordfreq {text, top}` job: the most frequent words of a text, counted by a pipeline.
//!
//! ```text
//!  split ─▶ [8] ─▶ tokenize × N ─▶ [8] ─▶ count × N ─▶ [8] ─▶ merge, top k (the job's worker)
//!  16 KiB     chunks     words, lowercased     a map per chunk      one map, sorted
//! ```
//!
//! Words are Unicode words (UAX #29, by the `unicode-segmentation` crate: `l'été` is `l'été`,
//! `日本語` is three words, punctuation is none), lowercased (`Straße` → `straße`; full case
//! folding, which would make it `strasse`, and normalization are left out).

use crate::pipeline::{Pipeline, PipelineError, Report};
use ch03_context::Context;
use ch05_job_status::job::{field_error, only_fields, whole_number};
use ch05_job_status::{FieldError, JobError, Kinds, Work};
use http_loop::response::excerpt;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;
use unicode_segmentation::UnicodeSegmentation;

/// The most words a job may ask for.
pub const TOP_MAX: u64 = 1000;
/// How many words a job gets when it does not say.
pub const TOP_DEFAULT: u64 = 10;
/// About how many bytes of text one chunk holds.
pub const CHUNK_BYTES: usize = 16 * 1024;
/// How many items each link holds.
pub const LINK_CAPACITY: usize = 8;

/// A word and how often it occurs.
pub type WordCount = (String, u64);

// ANCHOR: split
/// The text cut into chunks of about [`CHUNK_BYTES`], each ending at a whitespace (or the end),
/// so that no word is cut in two.
pub fn chunks(text: &str) -> Vec<Range<usize>> {
    let mut chunks = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let mut end = (start + CHUNK_BYTES).min(text.len());
        // Not inside a character (slicing there would panic: a client's text could do it) …
        while !text.is_char_boundary(end) {
            end += 1;
        }
        // … and on to the next whitespace, so that no word is cut.
        end = text[end..]
            .find(char::is_whitespace)
            .map_or(text.len(), |offset| end + offset);
        chunks.push(start..end);
        start = end;
    }
    chunks
}
// ANCHOR_END: split

// ANCHOR: stages
/// The words of `chunk`, lowercased.
pub fn tokenize(chunk: &str) -> Vec<String> {
    chunk.unicode_words().map(str::to_lowercase).collect()
}

/// How often each word occurs.
pub fn count(words: Vec<String>) -> HashMap<String, u64> {
    let mut counts = HashMap::new();
    for word in words {
        *counts.entry(word).or_insert(0) += 1;
    }
    counts
}

/// Adds `part`'s counts to `total`.
pub fn merge(mut total: HashMap<String, u64>, part: HashMap<String, u64>) -> HashMap<String, u64> {
    for (word, n) in part {
        *total.entry(word).or_insert(0) += n;
    }
    total
}

/// The `top` most frequent words, most frequent first; equal counts in alphabetical order, so
/// that the answer does not depend on which thread counted what.
pub fn top_words(counts: HashMap<String, u64>, top: usize) -> Vec<WordCount> {
    let mut words: Vec<WordCount> = counts.into_iter().collect();
    words.sort_unstable_by(|(a, m), (b, n)| n.cmp(m).then_with(|| a.cmp(b)));
    words.truncate(top);
    words
}
// ANCHOR_END: stages

// ANCHOR: pipeline
/// The top words of `text`, by the pipeline, with `workers` threads for each of the two
/// middle stages.
///
/// # Errors
///
/// As [`Pipeline::finish`], and when a thread cannot start.
pub fn word_frequencies(
    ctx: &Context,
    text: Arc<str>,
    top: usize,
    workers: usize,
) -> Result<(Vec<WordCount>, u64, Report), PipelineError> {
    let source = chunks(&text);
    let (counts, report) = Pipeline::source(ctx, "pipeline", LINK_CAPACITY, source)?
        .stage("tokenize", workers, LINK_CAPACITY, move |range, emit| {
            emit.send(tokenize(&text[range]));
        })?
        .stage("count", workers, LINK_CAPACITY, |words, emit| {
            emit.send(count(words));
        })?
        .finish(HashMap::new(), merge)?;
    let total = counts.values().sum();
    Ok((top_words(counts, top), total, report))
}
// ANCHOR_END: pipeline

/// The same on the calling thread alone: the baseline of the bench, and the tests' oracle.
pub fn word_frequencies_one_thread(text: &str, top: usize) -> (Vec<WordCount>, u64) {
    let counts = count(tokenize(text));
    let total = counts.values().sum();
    (top_words(counts, top), total)
}

/// A `wordfreq {text, top}` job.
#[derive(Debug)]
pub struct WordFreq {
    text: Arc<str>,
    top: usize,
    workers: usize,
}

impl Work for WordFreq {
    fn kind(&self) -> &'static str {
        "wordfreq"
    }

    fn run(&self, ctx: &Context) -> Result<Value, JobError> {
        let (top, words, report) =
            word_frequencies(ctx, Arc::clone(&self.text), self.top, self.workers).map_err(
                |error| match error {
                    PipelineError::Stopped(reason) => JobError::Stopped(reason),
                    PipelineError::NoThread(error) => JobError::Failed(Box::new(error)),
                    PipelineError::Panicked(message) => {
                        JobError::failed(format!("a stage panicked: {message}"))
                    }
                },
            )?;
        let top: Vec<Value> = top
            .into_iter()
            // A "word" may be the whole text (a megabyte with no space in it): the result, which
            // the store keeps for minutes, holds only its start.
            .map(|(word, count)| json!({ "word": excerpt(&word), "count": count }))
            .collect();
        let stages: Vec<Value> = report
            .stages
            .iter()
            .map(|stage| {
                json!({
                    "stage": stage.name,
                    "workers": stage.workers,
                    "items": stage.items_in.max(stage.items_out),
                    "busy_ms": milliseconds(stage.busy),
                    "blocked_ms": milliseconds(stage.blocked),
                })
            })
            .collect();
        Ok(json!({ "words": words, "top": top, "stages": stages }))
    }
}

/// Milliseconds to the microsecond: `0.36`, not `0.35999999999999997`.
fn milliseconds(time: std::time::Duration) -> f64 {
    (time.as_secs_f64() * 1e6).round() / 1e3
}

// ANCHOR: kinds
/// `kinds` and `wordfreq`, on pipelines with `workers` threads in each middle stage.
pub fn with_wordfreq(kinds: Kinds, workers: usize) -> Kinds {
    kinds.with("wordfreq", move |input| parse_wordfreq(input, workers))
}

/// `{"text": "…", "top": 10}`; `top` is optional.
fn parse_wordfreq(input: &Map<String, Value>, workers: usize) -> Result<Box<dyn Work>, FieldError> {
    only_fields(input, &["text", "top"])?;
    let text = match input.get("text") {
        Some(Value::String(text)) => Arc::from(text.as_str()),
        Some(_) => return Err(field_error("input.text", "must be a string")),
        None => return Err(field_error("input.text", "is required: the text to count")),
    };
    let top = match input.get("top") {
        None => TOP_DEFAULT,
        some => whole_number(some, "input.top", 1, TOP_MAX)?,
    };
    let top = usize::try_from(top).unwrap_or(usize::MAX);
    Ok(Box::new(WordFreq { text, top, workers }))
}
// ANCHOR_END: kinds

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_end_at_whitespace_and_cover_the_text() {
        let text = "word ".repeat(10_000);
        let chunks = chunks(&text);
        assert!(chunks.len() > 1);
        assert_eq!(chunks.first().map(|c| c.start), Some(0));
        assert_eq!(chunks.last().map(|c| c.end), Some(text.len()));
        for pair in chunks.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
            assert!(text[pair[1].clone()].starts_with(' '));
        }
    }

    #[test]
    fn a_chunk_boundary_never_splits_a_multibyte_word() {
        let text = "é".repeat(CHUNK_BYTES) + " ü";
        let chunks = chunks(&text);
        assert_eq!(chunks, [0..2 * CHUNK_BYTES, 2 * CHUNK_BYTES..text.len()]);
        // Shifted by one byte, the first guess (byte 16,384) falls inside an `é`: slicing
        // there panics, and it did before `chunks` moved on to a character boundary.
        let text = "a".to_owned() + &"é".repeat(CHUNK_BYTES) + " ü";
        assert!(!text.is_char_boundary(CHUNK_BYTES));
        let tail = text.len() - " ü".len();
        assert_eq!(super::chunks(&text), [0..tail, tail..text.len()]);
    }

    #[test]
    fn unicode_words_lowercased() {
        let words = tokenize("Straße straße, STRASSE! l'Été — été 日本語 naïve NAÏVE 42");
        assert_eq!(
            words,
            [
                "straße", "straße", "strasse", "l'été", "été", "日", "本", "語", "naïve", "naïve",
                "42"
            ]
        );
    }

    #[test]
    fn ties_are_alphabetical() {
        let counts = count(["b", "a", "c", "b"].map(String::from).to_vec());
        assert_eq!(
            top_words(counts, 2),
            [("b".to_owned(), 2), ("a".to_owned(), 1)]
        );
    }
}
