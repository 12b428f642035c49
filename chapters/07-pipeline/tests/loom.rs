//! loom models of a pipeline link: the last of two senders dropped at once closes it, so the
//! stage after wakes and ends; and a sender waiting on a full link is woken by the receiver
//! that makes room — in every interleaving.
//!
//! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release -p ch07-pipeline --test loom`
#![cfg(loom)]

use ch02_worker_pool::BoundedQueue;
use ch07_pipeline::{Sender, link};
use loom::thread;
use std::sync::Arc;
use sync_shim::model;

// ANCHOR: model
/// Two workers of a stage each send one item and end, dropping their ends at the same time;
/// the next stage reads until the link closes. It must get both items, and then the end.
fn last_sender_closes(mark: fn(Sender<u32>) -> Sender<u32>) {
    let (sender, receiver) = link(2);
    let sender = mark(sender);
    let workers: Vec<_> = (1..=2)
        .map(|item| {
            let sender = sender.clone();
            thread::spawn(move || {
                sender.send(item).expect("the receiver is alive");
            })
        })
        .collect();
    drop(sender); // the stage's own end: only the workers' remain
    let mut got = Vec::new();
    while let Some(item) = receiver.recv() {
        got.push(item); // deadlocks here if nobody closes the link
    }
    got.sort_unstable();
    assert_eq!(got, [1, 2]);
    for worker in workers {
        worker.join().expect("a worker ends");
    }
}
// ANCHOR_END: model

// ANCHOR: tests
/// The real drop: one read-modify-write elects exactly one closer.
#[test]
fn the_last_sender_closes_the_link() {
    model::check(|| last_sender_closes(|sender| sender));
}

/// The broken twin: the count read and written back in two steps.
#[test]
#[ignore = "fails on purpose; run by `loom_catches_the_link_nobody_closes`"]
fn broken_counting_in_two_steps() {
    model::check(|| last_sender_closes(Sender::counting_in_two_steps_broken));
}

/// loom finds the interleaving where both senders read 2, and the receiver sleeps for ever.
#[test]
fn loom_catches_the_link_nobody_closes() {
    let output = model::assert_model_fails("broken_counting_in_two_steps", "deadlock");
    println!("{output}");
}
// ANCHOR_END: tests

// ANCHOR: backpressure
/// A producer sends three items into a queue of one while a consumer takes them: the
/// producer waits for room twice, and must be woken each time.
fn producer_woken_for_room(pop: fn(&BoundedQueue<u32>) -> Option<u32>) {
    let queue = Arc::new(BoundedQueue::new(1));
    let producer = {
        let queue = Arc::clone(&queue);
        thread::spawn(move || {
            for item in 1..=3 {
                queue.push(item).expect("open");
            }
        })
    };
    for expected in 1..=3 {
        assert_eq!(pop(&queue), Some(expected));
    }
    producer.join().expect("the producer ends"); // deadlocks if it sleeps beside the room
}

#[test]
fn a_pop_wakes_the_producer_waiting_for_room() {
    model::check(|| producer_woken_for_room(BoundedQueue::pop));
}

/// The broken twin: a pop that makes room but wakes nobody.
#[test]
#[ignore = "fails on purpose; run by `loom_catches_the_producer_left_asleep`"]
fn broken_pop_not_waking_the_producer() {
    model::check(|| producer_woken_for_room(BoundedQueue::pop_not_waking_producer_broken));
}

#[test]
fn loom_catches_the_producer_left_asleep() {
    let output = model::assert_model_fails("broken_pop_not_waking_the_producer", "deadlock");
    println!("{output}");
}
// ANCHOR_END: backpressure
