//! The limiter on a clock the test moves: bursts, refills to the nanosecond, clients kept
//! apart, and a table that a flood of addresses cannot grow. No test here sleeps.

use ch09_rate_limiting::{Decision, Limiter, ManualClock, Rate};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

fn client(n: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n)) // 10.0.0.0/8, one address per n
}

fn limiter(rate: Rate, max_clients: usize) -> (Limiter<Arc<ManualClock>>, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::default());
    (
        Limiter::with_clock(rate, max_clients, Arc::clone(&clock)),
        clock,
    )
}

// ANCHOR: burst_test
/// A burst of N+1 from one client: N allowed, one limited — and the token comes back exactly
/// when the clock says, not a nanosecond before.
#[test]
fn a_burst_of_n_plus_one_gives_n_then_a_429_until_the_token_is_back() {
    let (limiter, clock) = limiter(Rate::every(Duration::from_millis(250), 4), 100);
    let alice = client(1);
    for remaining in (0..4).rev() {
        assert_eq!(limiter.check(alice), Decision::Allowed { remaining });
    }
    let limited = Decision::Limited {
        retry_in: Duration::from_millis(250),
    };
    assert_eq!(limiter.check(alice), limited);

    clock.advance(Duration::from_millis(250) - Duration::from_nanos(1));
    let one_ns = Decision::Limited {
        retry_in: Duration::from_nanos(1),
    };
    assert_eq!(limiter.check(alice), one_ns, "a nanosecond early");
    clock.advance(Duration::from_nanos(1));
    assert_eq!(
        limiter.check(alice),
        Decision::Allowed { remaining: 0 },
        "on the dot"
    );
}
// ANCHOR_END: burst_test

#[test]
fn one_clients_flood_leaves_the_others_untouched() {
    let (limiter, _clock) = limiter(Rate::per_second(1, 2), 100);
    for _ in 0..100 {
        limiter.check(client(1));
    }
    assert!(matches!(limiter.check(client(1)), Decision::Limited { .. }));
    assert_eq!(limiter.check(client(2)), Decision::Allowed { remaining: 1 });
}

// ANCHOR: flood_test
/// A flood from ten thousand addresses against a table of 100: the table never holds more than
/// 100; while every bucket in it is still refilling a new client gets `TableFull`, told when
/// room will come; once buckets have refilled, the sweep makes room and new clients get in.
#[test]
fn a_flood_of_addresses_cannot_grow_the_table() {
    let rate = Rate::every(Duration::from_secs(1), 5);
    let (limiter, clock) = limiter(rate, 100);
    let mut refused = 0;
    for n in 0..10_000 {
        match limiter.check(client(n)) {
            Decision::Allowed { .. } => {}
            Decision::TableFull { retry_in } => {
                assert_eq!(
                    retry_in,
                    Duration::from_secs(1),
                    "the first bucket is full then"
                );
                refused += 1;
            }
            Decision::Limited { .. } => panic!("a new client is never over its own limit"),
        }
        assert!(limiter.clients() <= 100);
    }
    assert_eq!(refused, 10_000 - 100);
    // Known clients are served as ever while the table is full.
    assert!(matches!(limiter.check(client(0)), Decision::Allowed { .. }));

    clock.advance(Duration::from_secs(1));
    // Each of the 100 took one token of 5: full again after a second — except client 0,
    // which took a second token just now.
    assert!(matches!(
        limiter.check(client(20_000)),
        Decision::Allowed { .. }
    ));
    assert_eq!(
        limiter.clients(),
        2,
        "the full buckets were dropped; client 0 and the new one stay"
    );
}
// ANCHOR_END: flood_test

/// An idle client is forgotten without a trace: after its bucket refills it is dropped at the
/// next sweep, and comes back to a full bucket — exactly what it would have had.
#[test]
fn an_idle_clients_bucket_is_dropped_and_nothing_changes_for_it() {
    let (limiter, clock) = limiter(Rate::every(Duration::from_millis(10), 3), 1);
    assert!(matches!(
        limiter.check(client(1)),
        Decision::Allowed { remaining: 2 }
    ));
    assert!(matches!(
        limiter.check(client(2)),
        Decision::TableFull { .. }
    ));
    clock.advance(Duration::from_millis(10));
    assert!(matches!(
        limiter.check(client(2)),
        Decision::Allowed { remaining: 2 }
    ));
    assert!(
        matches!(limiter.check(client(1)), Decision::TableFull { .. }),
        "1 was dropped"
    );
    clock.advance(Duration::from_millis(10));
    assert_eq!(
        limiter.check(client(1)),
        Decision::Allowed { remaining: 2 },
        "a full bucket"
    );
}
