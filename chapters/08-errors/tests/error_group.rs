//! The error group without HTTP: the first error wins and cancels the rest, `wait` waits for
//! every task, the limit holds, a panic is an error, and no thread is left.

use ch03_context::{Context, Reason};
use ch08_errors::{ErrorGroup, Panicked};
use crossbeam_channel::bounded;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use test_support::{FAILURE_GUARD, threads_named_after_exit};

#[derive(Debug, PartialEq, Eq)]
enum Error {
    Failed(&'static str),
    Stopped(Reason),
    Panicked(String),
}

impl From<Panicked> for Error {
    fn from(panicked: Panicked) -> Error {
        Error::Panicked(panicked.0)
    }
}

// ANCHOR: first_error
/// Three tasks wait for the group's context; a fourth fails. The failure cancels the three,
/// `wait` returns it — not their `Stopped` — and every thread has ended.
#[test]
fn the_first_error_cancels_the_rest_and_is_returned() {
    let group = ErrorGroup::new(&Context::background(), "first");
    for _ in 0..3 {
        group
            .spawn(|ctx| Err(Error::Stopped(ctx.wait())))
            .expect("a thread");
    }
    group
        .spawn(|_| Err(Error::Failed("disk full")))
        .expect("a thread");
    assert_eq!(group.wait(), Err(Error::Failed("disk full")));
    assert_eq!(threads_named_after_exit(&["first-"]), 0);
}
// ANCHOR_END: first_error

#[test]
fn wait_waits_for_every_task_and_succeeds_when_all_do() {
    let group = ErrorGroup::<Error>::new(&Context::background(), "all");
    let finished = Arc::new(AtomicUsize::new(0));
    let (open, gate) = bounded::<()>(0);
    for _ in 0..3 {
        let (finished, gate) = (Arc::clone(&finished), gate.clone());
        group
            .spawn(move |_| {
                let _ = gate.recv_timeout(FAILURE_GUARD); // held until the gate closes
                finished.fetch_add(1, Ordering::SeqCst);
                Ok(())
            })
            .expect("a thread");
    }
    drop(open); // every task may finish now; `wait` must see all three
    assert_eq!(group.wait(), Ok(()));
    assert_eq!(finished.load(Ordering::SeqCst), 3);
}

/// With a limit of 2, the third `spawn` waits until one of the first two ends; never more
/// than two run at once.
#[test]
fn the_limit_holds() {
    let group = ErrorGroup::<Error>::new(&Context::background(), "limit").with_limit(2);
    let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    for _ in 0..8 {
        let (running, most) = (Arc::clone(&running), Arc::clone(&most));
        group
            .spawn(move |_| {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                // Linger a moment, waiting for a third task to join: it never must. (If the limit
                // let a third in, it would be seen here; the guard keeps the test short.)
                let started = std::time::Instant::now();
                while running.load(Ordering::SeqCst) <= 2 && started.elapsed() < FAILURE_GUARD / 200
                {
                    std::thread::yield_now();
                }
                running.fetch_sub(1, Ordering::SeqCst);
                Ok(())
            })
            .expect("a thread");
    }
    assert_eq!(group.wait(), Ok(()));
    assert_eq!(most.load(Ordering::SeqCst), 2, "two at once, never more");
}

#[test]
fn a_panicking_task_is_the_groups_error_and_cancels_the_rest() {
    let group = ErrorGroup::new(&Context::background(), "panics");
    group
        .spawn(|ctx| Err(Error::Stopped(ctx.wait())))
        .expect("a thread");
    group
        .spawn(|_| -> Result<(), Error> { panic!("index out of range") })
        .expect("a thread");
    assert_eq!(
        group.wait(),
        Err(Error::Panicked("index out of range".to_owned()))
    );
}

/// The parent's cancel reaches every task: a cancelled job cancels its group.
#[test]
fn cancelling_the_parent_stops_the_group() {
    let (parent, cancel) = Context::background().with_cancel();
    let group = ErrorGroup::new(&parent, "parent");
    group
        .spawn(|ctx| Err(Error::Stopped(ctx.wait())))
        .expect("a thread");
    cancel.cancel();
    assert_eq!(group.wait(), Err(Error::Stopped(Reason::Cancelled)));
}

/// `wait` joins the tasks' threads: a thread's last act — its thread-locals' destructors —
/// has happened when `wait` returns, not merely its task.
#[test]
fn no_task_thread_outlives_wait() {
    struct SaysWhenItEnds(Arc<std::sync::atomic::AtomicBool>);
    impl Drop for SaysWhenItEnds {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    thread_local! {
        static LAST_ACT: std::cell::RefCell<Option<SaysWhenItEnds>> = const { std::cell::RefCell::new(None) };
    }
    let ended = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let group = ErrorGroup::<Error>::new(&Context::background(), "joined");
    let flag = Arc::clone(&ended);
    group
        .spawn(move |_| {
            LAST_ACT.with_borrow_mut(|last| *last = Some(SaysWhenItEnds(flag)));
            Ok(())
        })
        .expect("a thread");
    assert_eq!(group.wait(), Ok(()));
    assert!(
        ended.load(Ordering::SeqCst),
        "the task's thread was still running"
    );
}
