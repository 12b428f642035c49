//! Chapter 7: a pipeline — a job that flows through stages on their own threads, joined by
//! bounded links, with backpressure, and cancellation that reaches every stage.
//!
//! The `wordfreq` job splits a text into chunks, tokenizes them, counts each chunk's words and
//! merges the counts: four kinds of work, each a stage, all at once on different chunks.
//!
//! | file | what it shows |
//! |---|---|
//! | `link.rs` | a bounded link that closes when its last sender (or receiver) is dropped (loom-checked) |
//! | `pipeline.rs` | stages on named threads, the watcher that closes every link on cancel, per-stage figures |
//! | `wordfreq.rs` | the `wordfreq` job: split → tokenize → count → merge and top k |
//! | `examples/pipeline.rs` | a pipeline and its figures, without HTTP |
//! | `benches/wordfreq.rs` | the pipeline against one thread on the same text |

pub mod link;
pub mod pipeline;
pub mod wordfreq;

pub use link::{Receiver, Sender, link};
pub use pipeline::{Emit, LinkReport, Pipeline, PipelineError, Probe, Report, StageReport};
pub use wordfreq::{with_wordfreq, word_frequencies, word_frequencies_one_thread};

/// The kinds of job chapter 7's server runs: chapter 6's, and `wordfreq` on pipelines with
/// `workers` threads in each middle stage.
///
/// # Errors
///
/// When the operating system refuses chapter 6's threads.
pub fn job_kinds(workers: usize) -> std::io::Result<ch05_job_status::Kinds> {
    Ok(with_wordfreq(
        ch06_fan_out_fan_in::job_kinds(workers)?,
        workers,
    ))
}
