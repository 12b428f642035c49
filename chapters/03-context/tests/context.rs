//! The context's contract, case by case, as Go's `context` package states it.

use ch03_context::{Context, Ran, Reason, Task, run_task};
use crossbeam_channel::select;
use std::thread;
use std::time::{Duration, Instant};
use test_support::FAILURE_GUARD;

/// Cancelling a parent ends every descendant, with the parent's reason.
#[test]
fn cancellation_flows_to_every_descendant() {
    let (parent, cancel) = Context::background().with_cancel();
    let (child, _c) = parent.with_cancel();
    let (grandchild, _g) = child.with_timeout(Duration::from_secs(3600));
    let valued = grandchild.with_value("k", 1_u8);
    cancel.cancel();
    for ctx in [&parent, &child, &grandchild, &valued] {
        assert_eq!(ctx.err(), Some(Reason::Cancelled));
        assert!(ctx.is_done());
    }
}

/// Cancelling a child leaves its parent and siblings alone.
#[test]
fn cancellation_never_flows_up_or_sideways() {
    let (parent, _cancel) = Context::background().with_cancel();
    let (first, cancel_first) = parent.with_cancel();
    let (second, _s) = parent.with_cancel();
    cancel_first.cancel();
    assert_eq!(first.err(), Some(Reason::Cancelled));
    assert_eq!(parent.err(), None);
    assert_eq!(second.err(), None);
}

/// A child that ends leaves its parent's list, whichever way it ends, so a long-lived parent
/// (the server's context) holds only its live children.
#[test]
fn ended_children_leave_their_parent() {
    let server = Context::background();
    let mut children: Vec<_> = (0..100).map(|_| server.with_cancel()).collect();
    let (short, _cancel) = server.with_timeout(Duration::ZERO);
    assert_eq!(server.live_children(), 101);
    assert_eq!(short.err(), Some(Reason::DeadlineExceeded)); // the first look ends it
    assert_eq!(server.live_children(), 100);
    children.truncate(40); // dropping a `Cancel` cancels
    assert_eq!(server.live_children(), 40);
    let (_, cancel) = children.pop().expect("a child");
    std::thread::spawn(move || cancel.cancel())
        .join()
        .expect("the cancelling thread");
    assert_eq!(server.live_children(), 39);
    drop(children);
    assert_eq!(server.live_children(), 0);
    assert_eq!(server.err(), None); // none of it reached the parent
}

/// A child of a cancelled context starts cancelled.
#[test]
fn a_child_of_a_cancelled_context_starts_cancelled() {
    let (parent, cancel) = Context::background().with_cancel();
    cancel.cancel();
    let (child, _c) = parent.with_cancel();
    assert_eq!(child.err(), Some(Reason::Cancelled));
}

/// Dropping the `Cancel` cancels: Go's `defer cancel()`, which cannot be forgotten here.
#[test]
fn dropping_the_cancel_handle_cancels() {
    let (ctx, cancel) = Context::background().with_cancel();
    drop(cancel);
    assert_eq!(ctx.err(), Some(Reason::Cancelled));
}

/// The first reason stands: a deadline that passes after a cancel does not change it.
#[test]
fn the_first_reason_stands() {
    let (ctx, cancel) = Context::background().with_deadline(Instant::now() + FAILURE_GUARD);
    cancel.cancel();
    assert_eq!(ctx.wait(), Reason::Cancelled);
    assert_eq!(ctx.err(), Some(Reason::Cancelled));
}

/// A cancel that comes after the deadline has passed is late: the deadline won, even if nobody
/// had looked at the clock yet (as Go's runtime timer would have ended the context).
#[test]
fn a_cancel_after_the_deadline_reports_the_deadline() {
    let (ctx, cancel) = Context::background().with_deadline(Instant::now());
    cancel.cancel();
    assert_eq!(ctx.err(), Some(Reason::DeadlineExceeded));
}

/// A deadline ends the context by itself, and says so; a child inherits the earlier deadline.
#[test]
fn deadlines_end_contexts_and_are_inherited() {
    let before = Instant::now();
    let (parent, _p) = Context::background().with_timeout(Duration::from_millis(20));
    assert!(
        parent
            .deadline()
            .is_some_and(|at| at >= before + Duration::from_millis(20)),
        "the deadline is 20 ms from its making"
    );
    assert_eq!(Context::background().deadline(), None);
    let (child, _c) = parent.with_timeout(Duration::from_secs(3600));
    assert_eq!(
        child.deadline(),
        parent.deadline(),
        "the earlier deadline wins"
    );
    let started = Instant::now();
    assert_eq!(child.wait(), Reason::DeadlineExceeded);
    assert!(started.elapsed() < FAILURE_GUARD);
    assert_eq!(parent.err(), Some(Reason::DeadlineExceeded));
}

/// Values are found by walking up; the nearest wins; a value of another type is not found.
#[test]
fn values_are_found_up_the_tree() {
    let outer = Context::background().with_value("user", "ada");
    let (inner, _c) = outer.with_value("request_id", 7_u64).with_cancel();
    let shadowed = inner.with_value("user", "grace");
    assert_eq!(inner.value::<&str>("user"), Some(&"ada"));
    assert_eq!(inner.value::<u64>("request_id"), Some(&7));
    assert_eq!(shadowed.value::<&str>("user"), Some(&"grace"));
    assert_eq!(inner.value::<u32>("request_id"), None, "wrong type");
    assert_eq!(inner.value::<u64>("missing"), None);
}

/// `done()` closes on cancel, so it can sit in a `select!` beside other channels.
#[test]
fn done_closes_on_cancel_for_select() {
    let (ctx, cancel) = Context::background().with_cancel();
    let (_jobs_tx, jobs) = crossbeam_channel::unbounded::<u32>();
    let waiter = thread::spawn(move || {
        select! {
            recv(jobs) -> _ => "job",
            recv(ctx.done()) -> _ => "done",
            recv(crossbeam_channel::after(FAILURE_GUARD)) -> _ => "failure guard",
        }
    });
    cancel.cancel();
    assert_eq!(waiter.join().expect("no panic"), "done");
}

/// A `done()` asked for after the cancel is already closed.
#[test]
fn done_of_a_cancelled_context_is_closed() {
    let (ctx, cancel) = Context::background().with_cancel();
    cancel.cancel();
    assert!(ctx.done().recv().is_err());
}

/// Many waiters on one context all wake when it is cancelled.
#[test]
fn every_waiter_wakes() {
    let (ctx, cancel) = Context::background().with_cancel();
    let waiters: Vec<_> = (0..8)
        .map(|_| {
            let ctx = ctx.clone();
            thread::spawn(move || ctx.wait())
        })
        .collect();
    cancel.cancel();
    for waiter in waiters {
        assert_eq!(waiter.join().expect("no panic"), Reason::Cancelled);
    }
}

/// Between operations: work whose context has already ended is not started at all — not even
/// the first pass of a ten-million-number sieve.
#[test]
fn work_whose_context_ended_is_not_started() {
    let (ctx, cancel) = Context::background().with_cancel();
    cancel.cancel();
    let (ran, answer) = run_task(&ctx, Task::Primes { limit: 10_000_000 });
    assert_eq!(ran, Ran::NotStarted(Reason::Cancelled));
    assert_eq!(answer.status(), 503);
}

/// Work whose context ends while it runs stops part-way, and says why.
#[test]
fn work_stops_part_way_when_its_context_ends() {
    let (ctx, _cancel) = Context::background().with_timeout(Duration::from_millis(5));
    let (ran, answer) = run_task(
        &ctx,
        Task::Sleep {
            duration: FAILURE_GUARD,
        },
    );
    assert_eq!(ran, Ran::Stopped(Reason::DeadlineExceeded));
    assert_eq!(answer.status(), 504);
}

/// The reasons read as Go's errors do (`context canceled`, `context deadline exceeded`; the
/// book spells "cancelled" the British way throughout), so a log line says the same thing in
/// both languages.
#[test]
fn reasons_read_like_gos_errors() {
    assert_eq!(Reason::Cancelled.to_string(), "context cancelled");
    assert_eq!(
        Reason::DeadlineExceeded.to_string(),
        "context deadline exceeded"
    );
}
