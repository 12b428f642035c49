//! loom models of the wait group: the last `done` wakes a waiting `wait`, and a `wait` that
//! returns has seen every counted task's work — in every interleaving of the threads.
//!
//! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release -p ch06-fan-out-fan-in --test loom`
#![cfg(loom)]

use ch06_fan_out_fan_in::{Done, WaitGroup};
use loom::sync::Mutex;
use loom::thread;
use std::sync::Arc;
use sync_shim::model;

/// How a task tells the group it is finished: the real `drop`, or the broken twin.
type Finish = fn(Done);

// ANCHOR: model
/// Two tasks finish while the fan-in's closer waits for them. The closer must wake, and must
/// see both tasks' results: the wait group is all that orders them.
fn closer_sees_every_result(finish: Finish) {
    let group = WaitGroup::new();
    let results = Arc::new(Mutex::new(Vec::new()));
    for task in 0..2 {
        let done = group.add(); // before the thread starts
        let results = Arc::clone(&results);
        thread::spawn(move || {
            results.lock().expect("not poisoned").push(task);
            finish(done);
        });
    }
    group.wait(); // deadlocks here if the last `done` wakes nobody
    assert_eq!(
        results.lock().expect("not poisoned").len(),
        2,
        "closed too early"
    );
}
// ANCHOR_END: model

// ANCHOR: tests
/// Dropping `Done` wakes the closer in every interleaving, after both results are in.
#[test]
fn the_last_done_wakes_the_waiter() {
    model::check(|| closer_sees_every_result(drop));
}

/// The broken twin: `done` that counts down but wakes nobody.
#[test]
#[ignore = "fails on purpose; run by `loom_catches_the_missing_wake_up`"]
fn broken_done_without_waking() {
    model::check(|| closer_sees_every_result(Done::done_without_waking_broken));
}

/// loom finds the interleaving where the closer is asleep when the last task finishes.
#[test]
fn loom_catches_the_missing_wake_up() {
    let output = model::assert_model_fails("broken_done_without_waking", "deadlock");
    println!("{output}");
}
// ANCHOR_END: tests

// ANCHOR: add_late
/// Go's classic wait-group bug: `wg.Add(1)` inside the goroutine instead of before `go`. The
/// closer can run first, see zero, and close while a task has not even been counted.
fn counted_inside_the_task(group: &WaitGroup, results: &Arc<Mutex<Vec<u32>>>) {
    for task in 0..2 {
        let (group, results) = (group.clone(), Arc::clone(results));
        thread::spawn(move || {
            let _done = group.add(); // too late: the closer may have looked already
            results.lock().expect("not poisoned").push(task);
        });
    }
}

/// The same model with the tasks counted inside: loom finds the early close.
#[test]
#[ignore = "fails on purpose; run by `loom_catches_the_task_counted_too_late`"]
fn broken_add_inside_the_task() {
    model::check(|| {
        let group = WaitGroup::new();
        let results = Arc::new(Mutex::new(Vec::new()));
        counted_inside_the_task(&group, &results);
        group.wait();
        assert_eq!(
            results.lock().expect("not poisoned").len(),
            2,
            "closed too early"
        );
    });
}

#[test]
fn loom_catches_the_task_counted_too_late() {
    let output = model::assert_model_fails("broken_add_inside_the_task", "closed too early");
    println!("{output}");
}
// ANCHOR_END: add_late
