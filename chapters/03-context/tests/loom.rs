//! loom models of the context: a cancellation reaches every waiter and every child — even a
//! child registered at the very moment its parent is cancelled.
//!
//! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release -p ch03-context --test loom`
#![cfg(loom)]

use ch03_context::{Cancel, Context, Reason};
use loom::thread;
use sync_shim::model;

/// How a thread makes a child context: the real `with_cancel`, or its broken twin.
type MakeChild = fn(&Context) -> (Context, Cancel);

// ANCHOR: model
/// One thread makes a child of `parent` and waits on it; another waits on `parent` itself;
/// the main thread cancels `parent`. Both waiters must wake, with the parent's reason.
fn cancel_reaches_every_waiter_and_child(make_child: MakeChild) {
    let (parent, cancel) = Context::background().with_cancel();
    let child_waiter = {
        let parent = parent.clone();
        thread::spawn(move || {
            let (child, _cancel_child) = make_child(&parent);
            child.wait() // deadlocks here if the child never heard of the cancellation
        })
    };
    let parent_waiter = {
        let parent = parent.clone();
        thread::spawn(move || parent.wait())
    };
    cancel.cancel();
    assert_eq!(child_waiter.join().expect("no panic"), Reason::Cancelled);
    assert_eq!(parent_waiter.join().expect("no panic"), Reason::Cancelled);
}
// ANCHOR_END: model

// ANCHOR: tests
/// The real `with_cancel` checks the parent and registers under one lock.
#[test]
fn cancellation_reaches_every_waiter_and_child() {
    model::check(|| cancel_reaches_every_waiter_and_child(Context::with_cancel));
}

/// The broken twin checks, then registers under a second lock.
#[test]
#[ignore = "fails on purpose; run by `loom_catches_the_child_registered_too_late`"]
fn broken_check_then_register() {
    model::check(|| cancel_reaches_every_waiter_and_child(Context::with_cancel_racy_broken));
}

/// loom finds the interleaving: the child sees "not cancelled", the parent cancels and takes
/// its (empty) list, the child registers into a list nobody will look at again, and waits.
#[test]
fn loom_catches_the_child_registered_too_late() {
    let output = model::assert_model_fails("broken_check_then_register", "deadlock");
    println!("{output}");
}
// ANCHOR_END: tests

/// How the main thread cancels: the real `Cancel::cancel`, or the twin that wakes one waiter.
type CancelWith = fn(Cancel);

// ANCHOR: two_waiters
/// Two threads wait on one context; the main thread cancels it. Both must wake.
fn cancel_wakes_both_waiters(cancel_with: CancelWith) {
    let (ctx, cancel) = Context::background().with_cancel();
    let waiters: Vec<_> = (0..2)
        .map(|_| {
            let ctx = ctx.clone();
            thread::spawn(move || ctx.wait())
        })
        .collect();
    cancel_with(cancel);
    for waiter in waiters {
        // Deadlocks here if a waiter sleeps on.
        assert_eq!(waiter.join().expect("no panic"), Reason::Cancelled);
    }
}
// ANCHOR_END: two_waiters

/// The real cancel wakes every waiter (`notify_all`).
#[test]
fn cancellation_wakes_every_waiter_of_one_context() {
    model::check(|| cancel_wakes_both_waiters(Cancel::cancel));
}

/// The broken twin: `notify_one`.
#[test]
#[ignore = "fails on purpose; run by `loom_catches_a_waiter_left_asleep`"]
fn broken_cancel_waking_one() {
    model::check(|| cancel_wakes_both_waiters(Cancel::cancel_waking_one_broken));
}

/// loom finds both waiters asleep when the cancel comes, and one of them never woken.
#[test]
fn loom_catches_a_waiter_left_asleep() {
    model::assert_model_fails("broken_cancel_waking_one", "deadlock");
}

// ANCHOR: child_on_another_thread
/// A child is cancelled on one thread while another waits on it and the root lives on: the
/// waiter wakes, the root is untouched, and the child has left the root's list.
fn child_cancelled_elsewhere(cancel_with: CancelWith) {
    let root = Context::background();
    let (child, cancel) = root.with_cancel();
    let waiter = {
        let child = child.clone();
        thread::spawn(move || child.wait())
    };
    let canceller = thread::spawn(move || cancel_with(cancel));
    canceller.join().expect("no panic");
    assert_eq!(waiter.join().expect("no panic"), Reason::Cancelled);
    assert_eq!(root.err(), None, "a child's cancel never flows up");
    assert_eq!(root.live_children(), 0, "the child left its parent's list");
}
// ANCHOR_END: child_on_another_thread

/// Cancellation of a child on another thread, modelled.
#[test]
fn a_child_cancelled_on_another_thread_leaves_the_root_alone() {
    model::check(|| child_cancelled_elsewhere(Cancel::cancel));
}

/// The broken twin: the cancelled child stays in the root's list.
#[test]
#[ignore = "fails on purpose; run by `loom_catches_a_child_left_in_the_list`"]
fn broken_cancel_staying_listed() {
    model::check(|| child_cancelled_elsewhere(Cancel::cancel_staying_listed_broken));
}

/// loom (on its first execution already) sees the root holding a dead child: with a root that
/// lives as long as the server, that is a leak that grows with every request.
#[test]
fn loom_catches_a_child_left_in_the_list() {
    model::assert_model_fails("broken_cancel_staying_listed", "left its parent's list");
}
