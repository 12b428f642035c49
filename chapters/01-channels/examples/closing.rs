//! Closing a channel by dropping its senders; receiving until it is closed — the Go guide's §10.
//!
//! `cargo run -p ch01-channels --example closing`
//!
//! Go closes a channel with `close(ch)`; only the sender should, and closing twice panics.
//! In Rust a channel closes when its *last sender is dropped*. There is no `close` to call
//! twice, and a receiver cannot close it for the senders: the pitfall cannot be written.

use crossbeam_channel::{RecvError, bounded};
use std::thread;

fn main() {
    // ANCHOR: closing
    let (tx, rx) = bounded(4);
    let producers: Vec<_> = (0..3)
        .map(|id| {
            let tx = tx.clone();
            // Each producer owns a sender; it is dropped when the thread's closure ends.
            thread::spawn(move || tx.send(id * 10).expect("the receiver is alive"))
        })
        .collect();
    // Drop our own sender too: otherwise the channel would never close and the loop below
    // would wait forever — the Rust form of a goroutine blocked on a channel nobody closes.
    drop(tx);

    // Go's `for v := range ch`: ends when the channel is closed *and* empty.
    let mut received: Vec<i32> = rx.iter().collect();
    received.sort_unstable();
    assert_eq!(received, [0, 10, 20]);

    // Go's `v, ok := <-ch` with `ok == false`: a closed channel says so, every time.
    assert_eq!(rx.recv(), Err(RecvError));
    // ANCHOR_END: closing

    for producer in producers {
        producer.join().expect("no producer panicked");
    }
    println!("closing: received {received:?}, then the channel reported it was closed");
}
