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
