//! How long a thread waits after Redis failed it: 50 ms, doubling to a second, and 50 ms again
//! once Redis answers. The one rhythm of every retry in this crate — a worker's read, the
//! listener's subscription, a job's start and finish.

use ch03_context::Context;
use std::time::Duration;

/// The first wait after a failure.
pub const FIRST: Duration = Duration::from_millis(50);

/// The longest wait: a Redis back from a restart is found within a second.
pub const LONGEST: Duration = Duration::from_secs(1);

/// The wait before the next try.
#[derive(Debug)]
pub struct Backoff {
    pause: Duration,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff { pause: FIRST }
    }
}

impl Backoff {
    /// The next wait, for a log line.
    pub fn pause(&self) -> Duration {
        self.pause
    }

    /// Redis answered: the next failure waits [`FIRST`] again.
    pub fn reset(&mut self) {
        self.pause = FIRST;
    }

    /// Waits, cut short when `stop` ends, and doubles the next wait. `false`: `stop` ended —
    /// the server is stopping, and the caller gives up.
    pub fn wait(&mut self, stop: &Context) -> bool {
        let stopped = ch03_context::work::sleep(stop, self.pause).is_err();
        self.pause = (self.pause * 2).min(LONGEST);
        !stopped
    }
}
