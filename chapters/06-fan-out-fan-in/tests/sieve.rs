//! The segmented sieve gives chapter 1's answers: for every limit below 3,000 with segments of
//! every small span, for pseudo-random larger limits, and for the known counts — on one thread
//! and fanned out on both engines.

use ch01_channels::primes::count_primes_below;
use ch03_context::Context;
use ch06_fan_out_fan_in::{FanOut, Sieve, count_primes, rayon_sieve};

// ANCHOR: small_limits
#[test]
fn every_small_limit_and_span_agrees_with_the_plain_sieve() {
    for limit in 0..3_000u64 {
        let expected = count_primes_below(limit as usize) as u64;
        for span in [2, 4, 6, 10, 64, 1000] {
            assert_eq!(
                Sieve::with_span(limit, span).count_all(),
                expected,
                "below {limit}, span {span}"
            );
        }
    }
}
// ANCHOR_END: small_limits

/// xorshift64: a fixed seed, so a failure names a case that can be run again.
fn pseudo_random(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn random_limits_and_spans_agree_with_the_plain_sieve() {
    let mut seed = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..40 {
        let limit = pseudo_random(&mut seed) % 2_000_000;
        let span = 2 + pseudo_random(&mut seed) % 100_000;
        assert_eq!(
            Sieve::with_span(limit, span).count_all(),
            count_primes_below(limit as usize) as u64,
            "below {limit}, span {span}"
        );
    }
}

#[test]
fn known_counts_on_every_engine() {
    let ctx = Context::background();
    let sieve = Sieve::new(10_000_000);
    assert_eq!(sieve.count_all(), 664_579);
    let fan_out = FanOut::new("known", 3);
    assert_eq!(count_primes(&fan_out, &ctx, &sieve).ok(), Some(664_579));
    let pool = rayon_sieve::primes_pool(3).expect("rayon threads");
    assert_eq!(
        rayon_sieve::count_primes(&pool, &ctx, &sieve).ok(),
        Some(664_579)
    );
    // 10⁸ on the fan-out only: the plain sieve would need 100 MB for it.
    let sieve = Sieve::new(100_000_000);
    assert_eq!(count_primes(&fan_out, &ctx, &sieve).ok(), Some(5_761_455));
}
