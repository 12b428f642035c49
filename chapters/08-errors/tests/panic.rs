//! A job that panics fails alone: its worker lives on. (One test in this file: the thread
//! count is the whole process's, and other tests' servers would blur it.)

mod common;

use common::{ended, fail, server};
use serde_json::json;
use test_support::threads_named;

// ANCHOR: panic
/// A job that panics fails with the panic's message; the one job worker lives on and runs the
/// next job, and the pool still has its one thread.
#[test]
fn a_panicking_job_fails_alone_and_its_worker_lives_on() {
    let server = server();
    let mut client = server.client();
    let status = ended(&mut client, fail("panic"));
    assert_eq!(status["status"], "failed");
    assert_eq!(
        status["error"],
        "the job panicked: the job panicked on purpose"
    );
    let next = ended(&mut client, json!({"kind": "sleep", "input": {"ms": 0}}));
    assert_eq!(next["status"], "completed");
    // The server has one job worker (see `common::server`). Counted after the jobs ran, not
    // before: a new thread names itself once it runs, so a count taken just after the pool
    // started could miss it.
    assert_eq!(threads_named(&["job-worker-"]), 1, "the pool kept its size");
}
// ANCHOR_END: panic
