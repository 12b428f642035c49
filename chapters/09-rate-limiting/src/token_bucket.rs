//! A token bucket: a client may make `burst` requests at once, then one every `interval`.
//!
//! The bucket holds up to `burst` tokens; a request takes one; tokens come back at a steady
//! rate. Nothing refills it in the background — no timer, no thread: each time the bucket is
//! used it first adds what the time since its last use has earned ("lazy refill").
//!
//! The level is kept in *nanoseconds of refill* rather than in tokens: one token is worth
//! `interval` nanoseconds, a full bucket `burst × interval`. Refilling is then an addition of
//! elapsed time, taking a token a subtraction, and every answer — how long until the next
//! token, how long until full — is exact integer arithmetic, with no float to round.

use std::time::Duration;

// ANCHOR: rate
/// How fast a bucket refills, and how much it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    /// The time one token takes to come back, in nanoseconds (at least 1).
    interval_ns: u64,
    /// The most tokens a bucket holds: the requests a client may make at once.
    burst: u32,
}

impl Rate {
    /// `per_second` tokens a second (at least 1), up to `burst` (at least 1) at once.
    pub fn per_second(per_second: u32, burst: u32) -> Rate {
        Rate::every(Duration::from_secs(1) / per_second.max(1), burst)
    }

    /// One token every `interval` (at least a nanosecond), up to `burst` (at least 1) at once.
    pub fn every(interval: Duration, burst: u32) -> Rate {
        Rate {
            interval_ns: u64::try_from(interval.as_nanos())
                .unwrap_or(u64::MAX)
                .max(1),
            burst: burst.max(1),
        }
    }

    /// The time one token takes to come back.
    pub fn interval(self) -> Duration {
        Duration::from_nanos(self.interval_ns)
    }

    /// The most tokens a bucket holds.
    pub fn burst(self) -> u32 {
        self.burst
    }

    /// A full bucket, in nanoseconds of refill.
    fn capacity_ns(self) -> u64 {
        self.interval_ns.saturating_mul(u64::from(self.burst))
    }
}
// ANCHOR_END: rate

/// What taking a token gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Take {
    /// A token was taken.
    Taken {
        /// Whole tokens left.
        remaining: u32,
        /// Until the bucket is full again, if nothing more is taken.
        full_in: Duration,
    },
    /// The bucket was empty: nothing was taken.
    Refused {
        /// Until the next token comes.
        retry_in: Duration,
    },
}

// ANCHOR: bucket
/// One client's bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bucket {
    /// What the bucket holds, in nanoseconds of refill (0 to `burst × interval`).
    level_ns: u64,
    /// When `level_ns` was last brought up to date, on the limiter's clock.
    updated_ns: u64,
}

impl Bucket {
    /// A full bucket: a new client may use its whole burst.
    pub fn full(rate: Rate, now_ns: u64) -> Bucket {
        Bucket {
            level_ns: rate.capacity_ns(),
            updated_ns: now_ns,
        }
    }

    /// Takes a token if there is one, after adding what the time since the last use earned.
    pub fn try_take(&mut self, rate: Rate, now_ns: u64) -> Take {
        self.refill(rate, now_ns);
        if self.level_ns < rate.interval_ns {
            let retry_in = rate.interval_ns - self.level_ns;
            return Take::Refused {
                retry_in: Duration::from_nanos(retry_in),
            };
        }
        self.level_ns -= rate.interval_ns;
        Take::Taken {
            remaining: u32::try_from(self.level_ns / rate.interval_ns).unwrap_or(u32::MAX),
            full_in: Duration::from_nanos(rate.capacity_ns() - self.level_ns),
        }
    }

    /// Lazy refill: the time since the last update, in nanoseconds, is what was earned.
    fn refill(&mut self, rate: Rate, now_ns: u64) {
        // Two threads may read the clock in one order and take the lock in the other: a
        // `now` older than the last update earns nothing, and does not move time back.
        let earned = now_ns.saturating_sub(self.updated_ns);
        self.level_ns = self.level_ns.saturating_add(earned).min(rate.capacity_ns());
        self.updated_ns = self.updated_ns.max(now_ns);
    }
    // ANCHOR_END: bucket

    // ANCHOR: full_at
    /// When the bucket will be full, on the limiter's clock, if nothing more is taken. A full
    /// bucket is the same as no bucket at all: from then on, the client may be forgotten.
    pub fn full_at_ns(&self, rate: Rate) -> u64 {
        let missing = rate.capacity_ns().saturating_sub(self.level_ns);
        self.updated_ns.saturating_add(missing)
    }
    // ANCHOR_END: full_at

    /// Spends a token the way a broken limiter does: after a check made under an earlier
    /// lock, without looking again. Only for the loom twin.
    #[cfg(loom)]
    pub(crate) fn spend_unchecked(&mut self, rate: Rate) {
        self.level_ns = self.level_ns.saturating_sub(rate.interval_ns);
    }

    /// Whether a token is there, refilling first: the broken twin's separate check.
    #[cfg(loom)]
    pub(crate) fn has_token(&mut self, rate: Rate, now_ns: u64) -> bool {
        self.refill(rate, now_ns);
        self.level_ns >= rate.interval_ns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    #[test]
    fn a_burst_then_one_token_per_interval() {
        let rate = Rate::every(Duration::from_millis(100), 3);
        let mut bucket = Bucket::full(rate, 0);
        for remaining in [2, 1, 0] {
            assert!(
                matches!(bucket.try_take(rate, 0), Take::Taken { remaining: r, .. } if r == remaining)
            );
        }
        let refused = bucket.try_take(rate, 0);
        assert_eq!(
            refused,
            Take::Refused {
                retry_in: Duration::from_millis(100)
            }
        );
        // One nanosecond early: still refused, and told exactly how long is left.
        let early = bucket.try_take(rate, 100 * MS - 1);
        assert_eq!(
            early,
            Take::Refused {
                retry_in: Duration::from_nanos(1)
            }
        );
        // On the dot: the token is back.
        assert!(matches!(
            bucket.try_take(rate, 100 * MS),
            Take::Taken { remaining: 0, .. }
        ));
    }

    #[test]
    fn a_bucket_never_holds_more_than_its_burst() {
        let rate = Rate::per_second(10, 2);
        let mut bucket = Bucket::full(rate, 0);
        let an_hour = 3_600_000 * MS;
        assert!(matches!(
            bucket.try_take(rate, an_hour),
            Take::Taken { remaining: 1, .. }
        ));
        assert!(matches!(
            bucket.try_take(rate, an_hour),
            Take::Taken { remaining: 0, .. }
        ));
        assert!(matches!(
            bucket.try_take(rate, an_hour),
            Take::Refused { .. }
        ));
    }

    #[test]
    fn full_in_and_full_at_agree() {
        let rate = Rate::every(Duration::from_millis(10), 4);
        let mut bucket = Bucket::full(rate, 5 * MS);
        let Take::Taken { full_in, .. } = bucket.try_take(rate, 5 * MS) else {
            panic!("a full bucket gives a token");
        };
        assert_eq!(full_in, Duration::from_millis(10));
        assert_eq!(bucket.full_at_ns(rate), 15 * MS);
    }

    #[test]
    fn time_read_out_of_order_earns_nothing_and_moves_nothing_back() {
        let rate = Rate::every(Duration::from_millis(10), 1);
        let mut bucket = Bucket::full(rate, 50 * MS);
        assert!(matches!(bucket.try_take(rate, 50 * MS), Take::Taken { .. }));
        assert!(matches!(
            bucket.try_take(rate, 40 * MS),
            Take::Refused { .. }
        ));
        assert_eq!(
            bucket.full_at_ns(rate),
            60 * MS,
            "the older reading changed nothing"
        );
    }

    #[test]
    fn extreme_rates_do_not_overflow() {
        let rate = Rate::every(Duration::from_secs(u64::MAX / 2), u32::MAX);
        let mut bucket = Bucket::full(rate, u64::MAX - 1);
        assert!(matches!(
            bucket.try_take(rate, u64::MAX),
            Take::Taken { .. }
        ));
        let zero = Rate::per_second(0, 0);
        assert_eq!((zero.interval(), zero.burst()), (Duration::from_secs(1), 1));
    }
}
