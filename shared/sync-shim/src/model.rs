//! Helpers shared by the project's loom tests (only built under `--cfg loom`).
//!
//! Every loom model in this project comes in a pair: the model run on the real code, which must
//! pass, and the same model run on a deliberately broken variant, which loom must catch. A
//! failing loom model panics, and a panic while loom's own `Arc`s are alive aborts the whole
//! test binary (loom issue 291), so `#[should_panic]` cannot hold the broken half. Instead the
//! broken model is an `#[ignore]`d test that [`assert_model_fails`] runs in a child process of
//! the same test binary, asserting that it failed and that loom said why.

use std::process::Command;

// ANCHOR: check
/// Runs `body` under loom with the preemption bound this project uses: 3, for every model.
///
/// Why 3 is enough, measured on the project's models and their broken twins: at a bound of 1,
/// three twins escape (the queue's `notify_one` close, the context's child registered too
/// late, its `notify_one` cancel); at 2, every twin is caught; 3 keeps one preemption in hand.
/// At 6, every real model still passes (the worker pool's in about two minutes, the others in
/// seconds), and at 20 the queue's and the context's still do. Unbounded, a model with four
/// threads can run for tens of minutes. `LOOM_MAX_PREEMPTIONS` in the environment overrides
/// the bound, for a deeper search by hand.
pub fn check<F>(body: F)
where
    F: Fn() + Sync + Send + 'static,
{
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(3);
    }
    builder.check(body);
}
// ANCHOR_END: check

// ANCHOR: fails
/// Runs the `#[ignore]`d test `broken_test` of the current test binary in a child process and
/// asserts that loom failed it with a message containing `expected`.
///
/// Returns loom's output (the child's stderr), which the book quotes.
///
/// # Panics
///
/// When the broken model passes (loom did not catch the bug), or fails for another reason.
pub fn assert_model_fails(broken_test: &str, expected: &str) -> String {
    let test_binary = std::env::current_exe().expect("the test binary knows its own path");
    let output = Command::new(test_binary)
        .args([
            broken_test,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("the test binary can run itself");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("running 1 test"),
        "the child ran no test named {broken_test}:\n{stdout}"
    );
    assert!(
        !output.status.success(),
        "loom did not catch the broken variant `{broken_test}`:\n{stdout}\n{stderr}"
    );
    assert!(
        stderr.contains(expected),
        "`{broken_test}` failed, but not with `{expected}`:\n{stderr}"
    );
    stderr
}
// ANCHOR_END: fails
