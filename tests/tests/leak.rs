//! The leak check: after a server stops, the process has exactly the threads it had before —
//! the Rust counterpart of watching Go's `runtime.NumGoroutine` return to its start.
//!
//! This file holds one test on purpose: the test harness runs the tests of one binary on
//! several threads, and another test's threads would blur the count.

use server_tests::CHAPTERS;
use std::thread;
use test_support::{thread_count, thread_count_back_to};

// ANCHOR: leak
/// Every thread a chapter's server started — its event loop, its request threads — has ended
/// when `stop` returns.
#[test]
fn stopping_a_server_leaves_no_thread_behind() {
    for chapter in CHAPTERS {
        let before = thread_count();
        let server = (chapter.start)(http_loop::Config::default());
        // Work that runs off the loop: a handful of clients at once, each on its own thread.
        thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    let mut client = server.client();
                    for _ in 0..5 {
                        assert_eq!(client.get("/primes?limit=20000").status, 200);
                    }
                });
            }
        });
        assert!(
            thread_count() > before,
            "the server runs at least its event loop"
        );
        server.stop();
        assert_eq!(
            thread_count_back_to(before),
            before,
            "{} left threads behind",
            chapter.name
        );
    }
}
// ANCHOR_END: leak
