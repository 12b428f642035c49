//! loom models of the hand-back: answers from other threads reach the loop, a stop request
//! reaches it too, and a wake-up is never lost, however the threads interleave.
//!
//! Run with:
//! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release -p http-loop --test loom`
//!
//! The event loop's `Poll` is modelled by [`ModelPoll`]: a flag under a mutex and a condition
//! variable. `wake` sets the flag; `wait` sleeps until it is set and clears it, as `poll`
//! returns one `WAKER` event for any number of `wake` calls. When every thread is blocked,
//! loom reports a deadlock: a lost wake-up looks exactly like that.
#![cfg(loom)]

use http_loop::handback::{Handback, Wake};
use loom::sync::{Condvar, Mutex};
use loom::thread;
use std::sync::Arc;
use sync_shim::atomic::{AtomicUsize, Ordering};
use sync_shim::model;

// ANCHOR: model_poll
/// Stands in for `mio::Poll` and its `Waker`.
#[derive(Default)]
struct ModelPoll {
    woken: Mutex<bool>,
    condvar: Condvar,
    /// How many times `wake` was called: coalescing keeps this at or below the sends.
    wakes: AtomicUsize,
}

impl ModelPoll {
    /// Sleeps until woken, like `Poll::poll` with no timeout.
    fn wait(&self) {
        let mut woken = self.woken.lock().expect("not poisoned");
        while !*woken {
            woken = self.condvar.wait(woken).expect("not poisoned");
        }
        *woken = false;
    }
}

/// The waker handed to the hand-back: it wakes one `ModelPoll`.
struct ModelWaker(Arc<ModelPoll>);

impl Wake for ModelWaker {
    fn wake(&self) {
        let poll = &self.0;
        poll.wakes.fetch_add(1, Ordering::Relaxed);
        *poll.woken.lock().expect("not poisoned") = true;
        poll.condvar.notify_one();
    }
}
// ANCHOR_END: model_poll

/// How the loop takes the queue: the real `drain_into`, or its broken twin.
type Drain = fn(&Handback<u32, ModelWaker>, &mut Vec<u32>);

// ANCHOR: model
/// Two threads each send one answer while the loop waits, wakes and drains until it has both.
fn two_senders_one_loop(drain: Drain) {
    let poll = Arc::new(ModelPoll::default());
    let handback = Arc::new(Handback::new(ModelWaker(Arc::clone(&poll))));

    let senders: Vec<_> = (1..=2)
        .map(|answer| {
            let handback = Arc::clone(&handback);
            thread::spawn(move || handback.send(answer))
        })
        .collect();

    let mut received = Vec::new();
    while received.len() < 2 {
        poll.wait(); // deadlocks here if a wake-up was lost
        drain(&handback, &mut received);
    }
    for sender in senders {
        sender.join().expect("the sender did not panic");
    }
    received.sort_unstable();
    assert_eq!(received, [1, 2]);
    assert!(
        poll.wakes.load(Ordering::Relaxed) <= 2,
        "at most one wake-up per send"
    );
}
// ANCHOR_END: model

// ANCHOR: tests
// ANCHOR: real_and_broken
/// The real hand-back delivers both answers in every interleaving.
#[test]
fn handback_never_loses_a_wake_up() {
    model::check(|| two_senders_one_loop(Handback::drain_into));
}
// ANCHOR_END: real_and_broken

/// How a thread hands an answer back: the real `send`, or its uncoalesced twin.
type SendAnswer = fn(&Handback<u32, ModelWaker>, u32);

// ANCHOR: burst
/// One thread sends a burst while the loop is busy elsewhere: one wake-up for the burst.
fn a_burst_costs_one_wake_up(send: SendAnswer) {
    let poll = Arc::new(ModelPoll::default());
    let handback = Arc::new(Handback::new(ModelWaker(Arc::clone(&poll))));
    let sender = {
        let handback = Arc::clone(&handback);
        thread::spawn(move || {
            for answer in 0..3 {
                send(&handback, answer);
            }
        })
    };
    sender.join().expect("the sender did not panic");
    let wakes = poll.wakes.load(Ordering::Relaxed);
    assert_eq!(
        wakes, 1,
        "a burst of three sends woke the loop {wakes} times"
    );
    let mut received = Vec::new();
    poll.wait();
    handback.drain_into(&mut received);
    assert_eq!(received, [0, 1, 2]);
}

/// The real `send` coalesces: the burst costs one wake-up.
#[test]
fn a_burst_from_one_thread_is_coalesced() {
    model::check(|| a_burst_costs_one_wake_up(Handback::send));
}
// ANCHOR_END: burst

/// The twin that wakes on every send (correct, but a system call per answer).
#[test]
#[ignore = "fails on purpose; run by `loom_catches_the_uncoalesced_burst`"]
fn broken_send_waking_every_time() {
    model::check(|| a_burst_costs_one_wake_up(Handback::send_waking_every_time_broken));
}

/// The model notices the wake-ups the flag exists to save.
#[test]
fn loom_catches_the_uncoalesced_burst() {
    model::assert_model_fails("broken_send_waking_every_time", "woke the loop 3 times");
}

// ANCHOR: real_and_broken
/// The broken twin: it clears the flag after draining. Run in a child process by the test
/// below, which expects loom to report the deadlock.
#[test]
#[ignore = "fails on purpose; run by `loom_catches_the_lost_wake_up`"]
fn broken_drain_then_clear() {
    model::check(|| two_senders_one_loop(Handback::drain_then_clear_broken));
}
// ANCHOR_END: real_and_broken
// ANCHOR_END: tests

// ANCHOR: caught
/// loom finds the interleaving in which the broken drain strands an answer.
#[test]
fn loom_catches_the_lost_wake_up() {
    let output = model::assert_model_fails("broken_drain_then_clear", "deadlock");
    println!("{output}");
}
// ANCHOR_END: caught

/// How a thread asks the loop to stop: the real `request_stop`, or its broken twin.
type RequestStop = fn(&Handback<u32, ModelWaker>);

// ANCHOR: stop_model
/// One thread asks the loop to stop while the loop sleeps, wakes, and checks.
fn stop_reaches_the_loop(request_stop: RequestStop) {
    let poll = Arc::new(ModelPoll::default());
    let handback = Arc::new(Handback::new(ModelWaker(Arc::clone(&poll))));
    let stopper = {
        let handback = Arc::clone(&handback);
        thread::spawn(move || request_stop(&handback))
    };
    loop {
        poll.wait(); // deadlocks here if the loop checked the flag too early
        if handback.stop_requested() {
            break;
        }
    }
    stopper.join().expect("the stopper did not panic");
}
// ANCHOR_END: stop_model

/// Setting the flag before waking: the loop always stops.
#[test]
fn a_stop_request_is_never_missed() {
    model::check(|| stop_reaches_the_loop(Handback::request_stop));
}

/// The broken twin: waking before setting the flag.
#[test]
#[ignore = "fails on purpose; run by `loom_catches_the_missed_stop`"]
fn broken_wake_then_set() {
    model::check(|| stop_reaches_the_loop(Handback::request_stop_broken));
}

/// loom finds the interleaving in which the loop wakes, sees no flag, and sleeps forever.
#[test]
fn loom_catches_the_missed_stop() {
    let output = model::assert_model_fails("broken_wake_then_set", "deadlock");
    println!("{output}");
}
