//! The pipeline's promises, without HTTP: backpressure holds what is queued to the links'
//! capacities; a cancel or a deadline stops every stage and joins every thread.

use ch03_context::{Context, Reason};
use ch07_pipeline::{Pipeline, PipelineError};
use crossbeam_channel::bounded;
use std::time::Instant;
use test_support::{FAILURE_GUARD, threads_named_after_exit};

/// Runs `body` on a thread of its own and waits for it at most the failure guard.
fn within_guard<T: Send + 'static>(body: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = bounded(1);
    std::thread::spawn(move || tx.send(body()));
    rx.recv_timeout(FAILURE_GUARD)
        .expect("the pipeline ended within the failure guard")
}

// ANCHOR: backpressure
/// The last stage holds its first item until every link is full. Then the source has sent no
/// more than the links hold, plus the one item each middle worker holds in its hands: it is
/// waiting at the first link, not running ahead. Every link's high water stays at or below
/// its capacity for the whole run.
#[test]
fn a_slow_last_stage_holds_the_source_back() {
    let ctx = Context::background();
    let pipeline = Pipeline::source(&ctx, "slow", 3, 0..10_000u64)
        .and_then(|p| p.stage("double", 2, 4, |n, emit| _ = emit.send(n * 2)))
        .expect("threads");
    let probe = pipeline.probe();
    let mut sent_when_full = None;
    let (sum, report) = pipeline
        .finish(0, |sum, n| {
            if sent_when_full.is_none() {
                let started = Instant::now();
                while probe.queued() < probe.capacity() {
                    assert!(started.elapsed() < FAILURE_GUARD, "the links never filled");
                    std::thread::yield_now();
                }
                sent_when_full = Some(probe.items_out("source"));
            }
            sum + n
        })
        .expect("a complete run");
    assert_eq!(sum, (0..10_000u64).map(|n| n * 2).sum::<u64>());
    let sent = sent_when_full.expect("measured");
    // Links of 3 and 4, one item in the hands of each of the 2 doublers, one being folded.
    let most = 3 + 4 + 2 + 1;
    assert!(
        sent <= most,
        "the source ran ahead: {sent} sent, at most {most}"
    );
    for link in &report.links {
        assert!(link.high_water <= link.capacity, "{link:?}");
    }
    assert!(
        report
            .links
            .iter()
            .all(|link| link.high_water == link.capacity)
    );
}
// ANCHOR_END: backpressure

// ANCHOR: cancel
/// A cancel while every stage is busy or blocked: `finish` says why, and no thread of the
/// pipeline is left.
#[test]
fn a_cancel_stops_every_stage() {
    let (outcome, threads) = within_guard(|| {
        let (ctx, cancel) = Context::background().with_cancel();
        let mut cancel = Some(cancel);
        let outcome = Pipeline::source(&ctx, "cancelled", 2, 0..)
            .and_then(|p| p.stage("pass", 3, 2, |n: u64, emit| _ = emit.send(n)))
            .and_then(|p| p.stage("pass-again", 1, 2, |n, emit| _ = emit.send(n)))
            .map_err(PipelineError::NoThread)
            .and_then(|p| {
                p.finish((), |(), _| {
                    if let Some(cancel) = cancel.take() {
                        cancel.cancel(); // an endless source: only the cancel ends it
                    }
                })
            });
        (outcome.err(), threads_named_after_exit(&["cancelled-"]))
    });
    assert!(matches!(
        outcome,
        Some(PipelineError::Stopped(Reason::Cancelled))
    ));
    assert_eq!(threads, 0, "a stage outlived the pipeline");
}
// ANCHOR_END: cancel

// ANCHOR: deadline
/// A stage that never returns an item, and a deadline: the watcher closes the links, every
/// stage wakes from its wait, and `finish` reports the deadline.
#[test]
fn a_deadline_wakes_stages_asleep_on_their_links() {
    let (outcome, threads) = within_guard(|| {
        let (ctx, _cancel) =
            Context::background().with_timeout(std::time::Duration::from_millis(30));
        let outcome = Pipeline::source(&ctx, "deadline", 1, 0..)
            // Drops every item: the next stage sleeps on an empty link, the source on a full one.
            .and_then(|p| p.stage("drop", 1, 1, |_: u64, _: &ch07_pipeline::Emit<'_, u64>| {}))
            .map_err(PipelineError::NoThread)
            .and_then(|p| p.finish(0, |n, _| n + 1));
        (outcome.err(), threads_named_after_exit(&["deadline-"]))
    });
    assert!(matches!(
        outcome,
        Some(PipelineError::Stopped(Reason::DeadlineExceeded))
    ));
    assert_eq!(threads, 0);
}
// ANCHOR_END: deadline

// ANCHOR: watcher
/// The last stage cancels and then holds on, as a slow fold would: every other thread of the
/// pipeline must end while it holds — asleep on a full or an empty link, only the watcher's
/// close can wake it.
#[test]
fn a_cancel_wakes_every_stage_while_the_last_one_still_works() {
    let left = within_guard(|| {
        let (ctx, cancel) = Context::background().with_cancel();
        let mut cancel = Some(cancel);
        let mut left = None;
        let outcome = Pipeline::source(&ctx, "held", 1, 0..)
            .and_then(|p| p.stage("pass", 2, 1, |n: u64, emit| _ = emit.send(n)))
            .map_err(PipelineError::NoThread)
            .and_then(|p| {
                p.finish((), |(), _| {
                    if let Some(cancel) = cancel.take() {
                        cancel.cancel();
                        left = Some(threads_named_after_exit(&["held-"]));
                    }
                })
            });
        assert!(matches!(
            outcome,
            Err(PipelineError::Stopped(Reason::Cancelled))
        ));
        left
    });
    assert_eq!(left, Some(0), "a stage slept on after the cancel");
}
// ANCHOR_END: watcher

/// A stage that panics on one item: `finish` says so instead of passing off the items that
/// went missing as a complete result.
#[test]
fn a_panicking_stage_gives_no_result() {
    let ctx = Context::background();
    let outcome = Pipeline::source(&ctx, "panics", 4, 0..100u64)
        .and_then(|p| {
            p.stage("fragile", 2, 4, |n: u64, emit| {
                assert_ne!(n, 42, "item 42 breaks the stage");
                emit.send(n);
            })
        })
        .map_err(PipelineError::NoThread)
        .and_then(|p| p.finish(0, |sum, n| sum + n));
    match outcome {
        Err(PipelineError::Panicked(message)) => assert!(message.contains("item 42"), "{message}"),
        other => panic!("a partial sum passed for a result: {other:?}"),
    }
}

/// A pipeline built but dropped unfinished stops and joins its threads too.
#[test]
fn an_unfinished_pipeline_joins_its_threads_when_dropped() {
    let threads = within_guard(|| {
        let ctx = Context::background();
        let pipeline = Pipeline::source(&ctx, "dropped", 1, 0..)
            .and_then(|p| p.stage("pass", 2, 1, |n: u64, emit| _ = emit.send(n)))
            .expect("threads");
        drop(pipeline);
        threads_named_after_exit(&["dropped-"])
    });
    assert_eq!(threads, 0);
}
