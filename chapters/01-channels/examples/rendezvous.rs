//! Unbuffered (rendezvous) vs buffered channels — the Go guide's §10, "Buffered vs Unbuffered".
//!
//! `cargo run -p ch01-channels --example rendezvous`
//!
//! Go's `make(chan T)` is crossbeam's `bounded(0)`: a send waits until a receiver takes the
//! value, so sender and receiver meet. Go's `make(chan T, n)` is `bounded(n)`: a send waits only
//! when `n` values are already waiting. (`unbounded()` never waits — and never pushes back on a
//! producer that is faster than its consumer, which is why the servers in this book avoid it.)

use crossbeam_channel::{TrySendError, bounded};
use std::thread;

fn main() {
    // ANCHOR: rendezvous
    let (tx, rx) = bounded::<&str>(0);
    // Nobody is receiving, so a send cannot complete: `try_send` says so instead of waiting.
    assert!(matches!(tx.try_send("hello"), Err(TrySendError::Full(_))));

    // With a receiver waiting on another thread, the send completes: the two threads meet.
    let receiver = thread::spawn(move || rx.recv());
    tx.send("hello").expect("the receiver is alive");
    println!(
        "rendezvous: handed over {:?}",
        receiver.join().expect("no panic")
    );
    // ANCHOR_END: rendezvous

    // ANCHOR: buffered
    let (tx, rx) = bounded::<u32>(2);
    tx.try_send(1).expect("room for two");
    tx.try_send(2).expect("room for two");
    // The buffer is full: a third send would wait for a receiver. This is backpressure.
    assert!(matches!(tx.try_send(3), Err(TrySendError::Full(3))));
    println!("buffered: {} waiting, the third send would block", rx.len());
    // ANCHOR_END: buffered
}
