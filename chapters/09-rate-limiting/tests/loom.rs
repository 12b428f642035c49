//! loom models of chapter 9's synchronization: two requests never both spend a client's last
//! token; two callers never both take a semaphore's last permit; a permit given back wakes the
//! caller waiting for it — each with the broken twin loom is shown to catch.
//!
//! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release -p ch09-rate-limiting --test loom`
#![cfg(loom)]

use ch03_context::Context;
use ch09_rate_limiting::{Decision, Limiter, ManualClock, Permit, Rate, Semaphore};
use loom::sync::Arc;
use loom::thread;
use std::net::IpAddr;
use std::time::Duration;
use sync_shim::model;

// ANCHOR: last_token
/// How a request asks the limiter: the real `check`, or its broken twin.
type Check = fn(&Limiter<ManualClock>, IpAddr) -> Decision;

/// One token left (a burst of 1, and a clock that never moves); two requests from the same
/// client at once. Exactly one may go through.
fn last_token_spent_once(check: Check) {
    race_for_the_last_token(check, 1);
}

/// A client with a burst of `burst` has spent all but one token; two of its requests race
/// for the last. Exactly one may go through.
fn race_for_the_last_token(check: Check, burst: u32) {
    let rate = Rate::every(Duration::from_secs(1), burst);
    let limiter = Arc::new(Limiter::with_clock(rate, 8, ManualClock::default()));
    let client = IpAddr::from([10, 0, 0, 1]);
    for _ in 1..burst {
        assert!(matches!(check(&limiter, client), Decision::Allowed { .. }));
    }
    let other = {
        let limiter = Arc::clone(&limiter);
        thread::spawn(move || check(&limiter, client))
    };
    let mine = check(&limiter, client);
    let theirs = other.join().expect("the other request ends");
    let allowed = [mine, theirs]
        .iter()
        .filter(|decision| matches!(decision, Decision::Allowed { .. }))
        .count();
    assert_eq!(allowed, 1, "the last token was spent {allowed} times");
}
// ANCHOR_END: last_token

#[test]
fn the_last_token_is_spent_once() {
    model::check(|| last_token_spent_once(Limiter::check));
}

/// The same race for a client the table knows already (a burst of 2, one token spent before
/// the two requests): the path through an existing bucket, not the one that inserts it.
fn last_token_of_a_known_client_spent_once(check: Check) {
    race_for_the_last_token(check, 2);
}

#[test]
fn the_last_token_of_a_known_client_is_spent_once() {
    model::check(|| last_token_of_a_known_client_spent_once(Limiter::check));
}

#[test]
#[ignore = "fails on purpose; run by `loom_catches_a_known_clients_token_spent_twice`"]
fn broken_check_then_take_known_client() {
    model::check(|| last_token_of_a_known_client_spent_once(Limiter::check_then_take_broken));
}

#[test]
fn loom_catches_a_known_clients_token_spent_twice() {
    let output = model::assert_model_fails("broken_check_then_take_known_client", "spent 2 times");
    println!("{output}");
}

#[test]
#[ignore = "fails on purpose; run by `loom_catches_the_token_spent_twice`"]
fn broken_check_then_take() {
    model::check(|| last_token_spent_once(Limiter::check_then_take_broken));
}

/// loom finds the interleaving in which both requests see the token before either takes it.
#[test]
fn loom_catches_the_token_spent_twice() {
    let output = model::assert_model_fails("broken_check_then_take", "spent 2 times");
    println!("{output}");
}

// ANCHOR: last_permit
/// How a caller tries for a permit: the real `try_acquire`, or its broken twin.
type TryAcquire = fn(&std::sync::Arc<Semaphore>) -> Option<Permit>;

/// One permit; two callers try at once. At most one may hold it.
fn last_permit_taken_once(try_acquire: TryAcquire) {
    let semaphore = Semaphore::new(1);
    let other = {
        let semaphore = std::sync::Arc::clone(&semaphore);
        thread::spawn(move || try_acquire(&semaphore).map(std::mem::forget).is_some())
    };
    let mine = try_acquire(&semaphore).map(std::mem::forget).is_some();
    let theirs = other.join().expect("the other caller ends");
    assert!(!(mine && theirs), "two holders of one permit");
}
// ANCHOR_END: last_permit

#[test]
fn the_last_permit_is_taken_once() {
    model::check(|| last_permit_taken_once(Semaphore::try_acquire));
}

#[test]
#[ignore = "fails on purpose; run by `loom_catches_two_holders_of_one_permit`"]
fn broken_look_then_take() {
    model::check(|| last_permit_taken_once(Semaphore::try_acquire_look_then_take_broken));
}

#[test]
fn loom_catches_two_holders_of_one_permit() {
    let output = model::assert_model_fails("broken_look_then_take", "two holders of one permit");
    println!("{output}");
}

// ANCHOR: release_wakes
/// How a holder gives its permit back: dropping it, or the broken twin that does not wake.
type Release = fn(Permit);

/// One permit, held; a second caller waits for it in `acquire`. The holder gives it back: the
/// waiter must wake and get it, in every interleaving.
fn release_wakes_the_waiter(release: Release) {
    let semaphore = Semaphore::new(1);
    let held = semaphore.try_acquire().expect("the permit");
    let waiter = {
        let semaphore = std::sync::Arc::clone(&semaphore);
        thread::spawn(move || semaphore.acquire(&Context::background()).is_ok())
    };
    release(held);
    assert!(waiter.join().expect("the waiter ends"), "it got the permit"); // or deadlock
}
// ANCHOR_END: release_wakes

#[test]
fn a_permit_given_back_wakes_the_waiter() {
    model::check(|| release_wakes_the_waiter(drop));
}

#[test]
#[ignore = "fails on purpose; run by `loom_catches_the_waiter_left_asleep`"]
fn broken_release_without_waking() {
    model::check(|| release_wakes_the_waiter(Permit::release_without_waking_broken));
}

#[test]
fn loom_catches_the_waiter_left_asleep() {
    let output = model::assert_model_fails("broken_release_without_waking", "deadlock");
    println!("{output}");
}
