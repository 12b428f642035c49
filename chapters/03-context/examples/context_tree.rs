//! Cancellation flowing down a tree of contexts, without HTTP.
//!
//! `cargo run -p ch03-context --example context_tree`
//!
//! A server context; two requests under it, one with a deadline; a sub-task under one request.
//! Cancelling a request ends its sub-task too, and leaves its sibling alone; the deadline ends
//! the other on its own; cancelling the server would end everything left.

use ch03_context::{Context, Reason};
use std::thread;
use std::time::Duration;

fn main() {
    // ANCHOR: tree
    let (server, stop_server) = Context::background().with_cancel();
    let (request_a, cancel_a) = server.with_value("request_id", "a").with_cancel();
    let (request_b, _cancel_b) = server
        .with_value("request_id", "b")
        .with_timeout(Duration::from_millis(50));
    let (subtask, _cancel_subtask) = request_a.with_cancel();

    // A worker waits on the sub-task's context, as a long job would.
    let worker = {
        let subtask = subtask.clone();
        thread::spawn(move || subtask.wait())
    };

    cancel_a.cancel(); // the client of request a hung up
    assert_eq!(worker.join().expect("no panic"), Reason::Cancelled);
    assert_eq!(
        subtask.err(),
        Some(Reason::Cancelled),
        "children end with their parent"
    );
    assert_eq!(request_b.err(), None, "siblings do not");
    assert_eq!(request_b.value::<&str>("request_id"), Some(&"b"));

    assert_eq!(request_b.wait(), Reason::DeadlineExceeded); // 50 ms later
    stop_server.cancel();
    assert_eq!(server.err(), Some(Reason::Cancelled));
    // ANCHOR_END: tree
    println!(
        "context_tree: a cancelled with its sub-task, b ran out of time, then the server stopped"
    );
}
