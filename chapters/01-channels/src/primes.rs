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
    if limit < 3 {
        return 0;
    }
    let mut composite = vec![false; limit];
    let mut count = 0;
    for n in 2..limit {
        if composite[n] {
            continue;
        }
        count += 1;
        // Multiples below n² were crossed out by smaller primes already.
        let mut multiple = n.saturating_mul(n);
        while multiple < limit {
            composite[multiple] = true;
            multiple += n;
        }
    }
    count
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
}
