//! A segmented sieve of Eratosthenes: the primes below `limit` counted one segment at a time,
//! so that segments can be counted on different threads in any order.
//!
//! Chapter 1's sieve holds one flag per number below the limit: a gigabyte for 10⁹. A
//! segmented sieve needs the *base primes* (those up to √limit: 9,592 of them for 10¹⁰) and
//! one segment's flags per thread. Each segment only needs the base primes to cross out its
//! composites, never another segment — which is what makes it a fan-out: the parts are
//! independent, and the answer is the sum of theirs.
//!
//! Flags are kept for odd numbers only (2 is counted apart), one byte each: a segment of
//! [`SEGMENT_SPAN`] numbers is 128 KiB, which fits the cache of one core.

use std::ops::Range;

/// How many numbers one segment covers: 2¹⁸, with flags for its 2¹⁷ odd ones.
pub const SEGMENT_SPAN: u64 = 1 << 18;

// ANCHOR: plan
/// What every segment needs: the limit, the segments' span, and the base primes.
#[derive(Clone, Debug)]
pub struct Sieve {
    limit: u64,
    span: u64,
    /// The odd primes `p` with `p * p < limit`.
    base: Vec<u64>,
}

impl Sieve {
    /// The sieve for the primes below `limit`, in segments of [`SEGMENT_SPAN`] numbers.
    pub fn new(limit: u64) -> Sieve {
        Sieve::with_span(limit, SEGMENT_SPAN)
    }

    /// The same with segments of `span` numbers (even, at least 2): small spans test the
    /// edges between segments.
    pub fn with_span(limit: u64, span: u64) -> Sieve {
        let span = span.max(2) & !1;
        let root = limit.saturating_sub(1).isqrt();
        let base = small_primes(root).into_iter().filter(|&p| p > 2).collect();
        Sieve { limit, span, base }
    }

    /// How many segments cover `[0, limit)`.
    pub fn segments(&self) -> usize {
        usize::try_from(self.limit.div_ceil(self.span)).unwrap_or(usize::MAX)
    }

    /// The numbers segment `index` covers.
    pub fn segment(&self, index: usize) -> Range<u64> {
        let start = self.span.saturating_mul(index as u64).min(self.limit);
        start..start.saturating_add(self.span).min(self.limit)
    }
    // ANCHOR_END: plan

    /// A buffer for [`count_segment`](Self::count_segment): one per thread, reused.
    pub fn buffer(&self) -> Vec<bool> {
        vec![false; usize::try_from(self.span / 2).unwrap_or(0)]
    }

    // ANCHOR: count_segment
    /// How many primes segment `index` holds, using `composite` (from
    /// [`buffer`](Self::buffer)) as scratch space.
    pub fn count_segment(&self, index: usize, composite: &mut [bool]) -> u64 {
        let Range { start, end } = self.segment(index);
        if start >= end {
            return 0;
        }
        // Flag `i` stands for the odd number `start + 2i + 1` (`start` is even).
        let flags = usize::try_from((end - start) / 2).unwrap_or(0);
        let composite = &mut composite[..flags];
        composite.fill(false);
        for &p in &self.base {
            // The first odd multiple of p in the segment, but never below p²: smaller
            // multiples have a smaller factor, which crosses them out.
            let mut multiple = (p * p).max(start.div_ceil(p) * p);
            if multiple % 2 == 0 {
                multiple += p;
            }
            while multiple < end {
                composite[((multiple - start) / 2) as usize] = true;
                multiple += 2 * p;
            }
        }
        let odd_primes = composite.iter().filter(|&&flag| !flag).count() as u64;
        // 1 is odd and no prime: its flag is the first when the segment starts at 0. 2 is
        // prime and has no flag: it counts in the segment that holds it.
        let one = u64::from(start == 0 && end > 1);
        let two = u64::from(start <= 2 && 2 < end);
        odd_primes - one + two
    }
    // ANCHOR_END: count_segment

    /// [`count_segment`](Self::count_segment) with this thread's own scratch buffer, made once
    /// per thread rather than allocated (and zeroed) again for every segment.
    pub fn count_segment_here(&self, index: usize) -> u64 {
        thread_local! {
            static BUFFER: std::cell::RefCell<Vec<bool>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        BUFFER.with_borrow_mut(|buffer| {
            if buffer.len() < (self.span / 2) as usize {
                *buffer = self.buffer();
            }
            self.count_segment(index, buffer)
        })
    }

    /// Every segment in turn, on this thread: the one-worker baseline.
    pub fn count_all(&self) -> u64 {
        let mut buffer = self.buffer();
        (0..self.segments())
            .map(|index| self.count_segment(index, &mut buffer))
            .sum()
    }
}

/// The primes up to and including `n`, by the plain sieve (`n` is at most √10¹⁰ here).
fn small_primes(n: u64) -> Vec<u64> {
    let n = usize::try_from(n).unwrap_or(0);
    let mut composite = vec![false; n + 1];
    let mut primes = Vec::new();
    for i in 2..=n {
        if !composite[i] {
            primes.push(i as u64);
            let mut multiple = i * i;
            while multiple <= n {
                composite[multiple] = true;
                multiple += i;
            }
        }
    }
    primes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_counts() {
        for (limit, primes) in [
            (0, 0),
            (1, 0),
            (2, 0),
            (3, 1),
            (4, 2),
            (10, 4),
            (100, 25),
            (1_000_000, 78_498),
        ] {
            assert_eq!(Sieve::new(limit).count_all(), primes, "below {limit}");
        }
    }

    #[test]
    fn segments_cover_the_range_once() {
        let sieve = Sieve::with_span(1001, 100);
        assert_eq!(sieve.segments(), 11);
        assert_eq!(sieve.segment(0), 0..100);
        assert_eq!(sieve.segment(10), 1000..1001);
        assert_eq!(sieve.segment(11), 1001..1001, "past the end: empty");
    }
}
