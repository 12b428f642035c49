//! The deadline heap: how one thread keeps thousands of timeouts without a timer thread.
//!
//! Each connection has at most one deadline at a time (header read, body read, write, idle or
//! linger; see `connection.rs`). The loop keeps them in a min-heap and passes the earliest to
//! `Poll::poll` as its timeout, so it wakes up exactly when the first one falls due.
//!
//! Deadlines move all the time: every request on a keep-alive connection pushes its idle
//! deadline later. Removing an entry from the middle of a binary heap is expensive, so entries
//! are never removed: the heap may hold stale ones, and each is checked against the connection's
//! current deadline when it pops. To keep the stale ones few, a connection pushes a new entry
//! only when its deadline moves *earlier* than the entry it already has in the heap; a deadline
//! that moves later is noticed when the earlier entry pops, and re-pushed then.
//!
//! A closed connection's entry stays too, until it falls due — up to a minute for an idle
//! deadline. Under a churn of short connections (a client that opens one per request) that
//! would be a heap of dead entries growing with the connection rate, so the loop sweeps them out
//! ([`Timers::retain`]) whenever the heap holds more than twice as many entries as there are
//! connections: an O(n) sweep at most every n closes, O(1) per close on average.

use crate::slab::Key;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

/// A min-heap of `(deadline, connection)` entries.
#[derive(Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Reverse<(Instant, usize, u64)>>,
}

impl Timers {
    /// Adds an entry for `key` at `at`.
    pub(crate) fn push(&mut self, at: Instant, key: Key) {
        self.heap.push(Reverse((at, key.index, key.generation)));
    }

    /// How long `poll` may sleep: until the earliest entry, or forever when there is none.
    pub(crate) fn poll_timeout(&self, now: Instant) -> Option<Duration> {
        self.heap
            .peek()
            .map(|Reverse((at, _, _))| at.saturating_duration_since(now))
    }

    /// Pops the earliest entry if it is due at `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<(Instant, Key)> {
        match self.heap.peek() {
            Some(Reverse((at, _, _))) if *at <= now => {
                let Reverse((at, index, generation)) = self.heap.pop()?;
                Some((at, Key { index, generation }))
            }
            _ => None,
        }
    }

    /// The number of entries, stale ones included.
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    /// Keeps only the entries `live` says are still wanted; O(entries).
    pub(crate) fn retain(&mut self, mut live: impl FnMut(Instant, Key) -> bool) {
        self.heap
            .retain(|&Reverse((at, index, generation))| live(at, Key { index, generation }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_pop_earliest_first_and_only_when_due() {
        let mut timers = Timers::default();
        let now = Instant::now();
        let key = |index| Key {
            index,
            generation: 0,
        };
        timers.push(now + Duration::from_secs(2), key(2));
        timers.push(now + Duration::from_secs(1), key(1));

        assert_eq!(timers.poll_timeout(now), Some(Duration::from_secs(1)));
        assert_eq!(timers.pop_due(now), None);
        let later = now + Duration::from_secs(5);
        assert_eq!(timers.pop_due(later).map(|(_, key)| key.index), Some(1));
        assert_eq!(timers.pop_due(later).map(|(_, key)| key.index), Some(2));
        assert_eq!(timers.len(), 0);
    }

    #[test]
    fn retain_sweeps_out_the_entries_no_longer_wanted() {
        let mut timers = Timers::default();
        let now = Instant::now();
        for index in 0..10 {
            let key = Key {
                index,
                generation: 0,
            };
            timers.push(now + Duration::from_secs(60), key);
        }
        timers.retain(|_, key| key.index % 2 == 0);
        assert_eq!(timers.len(), 5);
        let later = now + Duration::from_secs(61);
        let left: Vec<_> = std::iter::from_fn(|| timers.pop_due(later))
            .map(|(_, key)| key.index)
            .collect();
        assert_eq!(left.len(), 5);
        assert!(left.iter().all(|index| index % 2 == 0));
    }
}
