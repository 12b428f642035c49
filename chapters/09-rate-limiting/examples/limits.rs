//! Chapter 9's pieces without HTTP: a bucket on a clock moved by hand, a client table at its
//! bound, and the semaphore's two ways to wait.
//!
//! `cargo run -p ch09-rate-limiting --example limits`

use ch03_context::Context;
use ch09_rate_limiting::{Decision, Limiter, ManualClock, Rate, Semaphore};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

fn main() {
    // A burst of 3, then a token every 100 ms; the clock moves only when we say.
    let clock = Arc::new(ManualClock::default());
    let limiter = Limiter::with_clock(
        Rate::every(Duration::from_millis(100), 3),
        2,
        Arc::clone(&clock),
    );
    let alice = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    for n in 1..=4 {
        println!("alice, request {n}: {:?}", limiter.check(alice));
    }
    clock.advance(Duration::from_millis(100));
    println!("alice, 100 ms later: {:?}", limiter.check(alice));

    // A table of two clients: a third is refused until a bucket has refilled.
    let bob = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
    let carol = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 3));
    println!("bob: {:?}", limiter.check(bob));
    println!("carol, table full: {:?}", limiter.check(carol));
    clock.advance(Duration::from_millis(300));
    let carol_later = limiter.check(carol);
    assert!(matches!(carol_later, Decision::Allowed { .. }));
    println!(
        "carol, 300 ms later: {carol_later:?} ({} clients tracked)",
        limiter.clients()
    );

    // The semaphore: at the door, a permit or no; inside accepted work, wait under a context.
    let permits = Semaphore::new(1);
    let held = permits.try_acquire().expect("the one permit");
    println!(
        "try_acquire with the permit held: {:?}",
        permits.try_acquire().map(|_| "a permit")
    );
    let (ctx, _cancel) = Context::background().with_timeout(Duration::from_millis(50));
    println!(
        "acquire under a 50 ms timeout: {:?}",
        permits.acquire(&ctx).map(|_| "a permit")
    );
    drop(held);
    println!(
        "after the holder is done: {:?}",
        permits.try_acquire().map(|_| "a permit")
    );
}
