//! A small logger: each line names its level and the thread it came from.
//!
//! The thread name is half the story when following one request across threads (the request
//! id, in the message, is the other half):
//!
//! ```text
//! [DEBUG event-loop] req-17 GET /primes
//! [DEBUG request-17] req-17: counting primes below 1000000
//! ```
//!
//! The level comes from the `LOG` environment variable (`error`, `warn`, `info`, `debug`,
//! `trace`); the default, `info`, prints only start-up and shutdown lines. A crate like
//! `env_logger` would do more; this is all the book needs, and it shows there is no magic.

use log::{LevelFilter, Log, Metadata, Record};
use std::io::Write;

// ANCHOR: logger
struct ThreadNameLogger;

impl Log for ThreadNameLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let thread = std::thread::current();
        let name = thread.name().unwrap_or("unnamed");
        // One `writeln!` per line on a locked handle: lines from threads never interleave.
        let _ = writeln!(
            std::io::stderr().lock(),
            "[{} {name}] {}",
            record.level(),
            record.args()
        );
    }

    fn flush(&self) {}
}

/// Installs the logger, with the level named by `LOG`. Calling it twice does nothing.
pub fn init() {
    let level = std::env::var("LOG")
        .ok()
        .and_then(|level| level.parse().ok())
        .unwrap_or(LevelFilter::Info);
    if log::set_logger(&ThreadNameLogger).is_ok() {
        log::set_max_level(level);
    }
}
// ANCHOR_END: logger
