//! Counting primes: the CPU-bound work of the chapter servers.
//!
//! A sieve of Eratosthenes over `[0, limit)`. It is deliberately plain — the point is the
//! threads it runs on, not the arithmetic — and chapter 6 splits the same range over workers.

/// How many primes are below `limit`.
///
/// ```
/// assert_eq!(ch01_channels::primes::count_primes_below(10), 4); // 2, 3, 5, 7
/// ```
pub fn count_primes_below(limit: usize) -> usize {
    count_primes_below_unless(limit, || false).unwrap_or_default()
}

/// How many primes are below `limit`, or `None` if `stop` says so first. (Chapter 3 passes
/// "has this request's context ended?".)
///
/// Where `stop` is asked matters as much as how often. The time goes into the crossing-out
/// passes of the small primes (the pass for 2 alone writes `limit / 2` entries), so `stop` is
/// asked before each pass; then every 65,536 numbers of the counting. That is a few hundred
/// calls for the largest limit: nothing next to the sieve, and a cancelled count stops within
/// one pass.
pub fn count_primes_below_unless(limit: usize, mut stop: impl FnMut() -> bool) -> Option<usize> {
    if limit < 3 {
        return Some(0);
    }
    let mut composite = vec![false; limit];
    let mut count = 0;
    for n in 2..limit {
        if n % 65_536 == 0 && stop() {
            return None;
        }
        if composite[n] {
            continue;
        }
        count += 1;
        // Multiples below n² were crossed out by smaller primes already.
        let mut multiple = n.saturating_mul(n);
        if multiple < limit && stop() {
            return None;
        }
        while multiple < limit {
            composite[multiple] = true;
            multiple += n;
        }
    }
    Some(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_counts() {
        assert_eq!(count_primes_below(0), 0);
        assert_eq!(count_primes_below(2), 0);
        assert_eq!(count_primes_below(3), 1);
        assert_eq!(count_primes_below(100), 25);
        assert_eq!(count_primes_below(1_000_000), 78_498);
    }

    #[test]
    fn the_first_crossing_out_pass_can_be_stopped() {
        let mut asked = 0;
        let stopped = count_primes_below_unless(10_000_000, || {
            asked += 1;
            true
        });
        assert_eq!(
            (stopped, asked),
            (None, 1),
            "asked before crossing out the 2s"
        );
    }

    #[test]
    fn stopping_early_gives_no_count() {
        let mut asked = 0;
        let stopped = count_primes_below_unless(1_000_000, || {
            asked += 1;
            asked == 3
        });
        assert_eq!(stopped, None);
        assert_eq!(asked, 3);
    }
}
