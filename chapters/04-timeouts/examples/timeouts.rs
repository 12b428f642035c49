//! `recv_within` without HTTP: a result in time, a timeout, a cancelled context.
//!
//! `cargo run -p ch04-timeouts --example timeouts`

use ch03_context::{Context, Reason};
use ch04_timeouts::{WaitError, recv_within};
use crossbeam_channel::bounded;
use std::thread;
use std::time::Duration;

fn main() {
    // ANCHOR: example
    let ctx = Context::background();

    // A result that comes in time.
    let (tx, results) = bounded(1);
    thread::spawn(move || tx.send(42));
    let in_time = recv_within(&ctx, &results, Some(Duration::from_secs(5)));
    assert_eq!(in_time, Ok(42));

    // A result that does not come before the operation's own timeout.
    let (_slow_tx, slow) = bounded::<u32>(1);
    let late = recv_within(&ctx, &slow, Some(Duration::from_millis(20)));
    assert_eq!(late, Err(WaitError::TimedOut));

    // No timeout of its own (`never()`), but the request's context has a deadline.
    let (request, _cancel) = ctx.with_timeout(Duration::from_millis(20));
    let stopped = recv_within(&request, &slow, None);
    assert_eq!(stopped, Err(WaitError::Stopped(Reason::DeadlineExceeded)));
    // ANCHOR_END: example
    println!("timeouts: {in_time:?} in time; then {late:?}; then {stopped:?}");
}
