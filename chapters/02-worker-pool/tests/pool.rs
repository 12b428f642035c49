//! The worker pool: parallel, bounded, never blocking the caller, running every accepted job,
//! and surviving panics.

use ch02_worker_pool::{Rejected, WorkerPool};
use crossbeam_channel::{Receiver, Sender, unbounded};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use test_support::FAILURE_GUARD;

// ANCHOR: gated
/// A pool whose jobs say when they start, then wait at a gate until the test opens it, so the
/// test decides when the workers are busy.
struct Gated {
    pool: WorkerPool<u32>,
    /// Dropping it opens the gate for every job.
    gate: Sender<()>,
    started: Receiver<u32>,
    finished: Receiver<u32>,
}

fn gated_pool(workers: usize, capacity: usize) -> Gated {
    let (gate, gate_rx) = unbounded::<()>();
    let (started_tx, started) = unbounded();
    let (finished_tx, finished) = unbounded();
    let pool = WorkerPool::new("worker", workers, capacity, move |job: u32| {
        started_tx.send(job).expect("the test is listening");
        // Blocks until the test drops the gate's sender (or the failure guard fires).
        let _ = gate_rx.recv_timeout(FAILURE_GUARD);
        finished_tx.send(job).expect("the test is listening");
    })
    .expect("worker threads");
    Gated {
        pool,
        gate,
        started,
        finished,
    }
}
// ANCHOR_END: gated

// ANCHOR: barrier
/// The workers really run at the same time: three jobs meet at a three-party barrier, which
/// one worker alone would never get past.
#[test]
fn workers_run_jobs_in_parallel() {
    let barrier = Arc::new(Barrier::new(3));
    let (done_tx, done) = unbounded();
    let pool = WorkerPool::new("worker", 3, 3, move |barrier: Arc<Barrier>| {
        barrier.wait();
        done_tx.send(()).expect("the test is listening");
    })
    .expect("worker threads");
    for _ in 0..3 {
        pool.try_submit(Arc::clone(&barrier))
            .expect("room for three");
    }
    for _ in 0..3 {
        done.recv_timeout(FAILURE_GUARD)
            .expect("all three met at the barrier");
    }
}
// ANCHOR_END: barrier

// ANCHOR: full
/// With every worker busy and the queue full, `try_submit` refuses at once and hands the job
/// back: the caller (the event loop) never waits.
#[test]
fn a_full_queue_refuses_at_once_and_returns_the_job() {
    let gated = gated_pool(1, 2);
    gated.pool.try_submit(1).expect("the worker takes it");
    assert_eq!(
        gated.started.recv_timeout(FAILURE_GUARD),
        Ok(1),
        "the worker is busy"
    );
    gated.pool.try_submit(2).expect("queued");
    gated.pool.try_submit(3).expect("queued");
    assert_eq!(gated.pool.try_submit(4), Err(Rejected::QueueFull(4)));
    assert_eq!((gated.pool.busy(), gated.pool.queued()), (1, 2));

    drop(gated.gate);
    let mut finished: Vec<_> = (0..3)
        .map(|_| {
            gated
                .finished
                .recv_timeout(FAILURE_GUARD)
                .expect("a job ran")
        })
        .collect();
    finished.sort_unstable();
    assert_eq!(finished, [1, 2, 3]);
}
// ANCHOR_END: full

/// Shutdown runs every queued job, then joins the workers: a job accepted is a job run.
#[test]
fn shutdown_runs_the_queue_and_joins_every_worker() {
    let ran = Arc::new(AtomicUsize::new(0));
    let (gate, gate_rx) = unbounded::<()>();
    let pool = {
        let ran = Arc::clone(&ran);
        WorkerPool::new("worker", 2, 16, move |_: u32| {
            let _ = gate_rx.recv_timeout(FAILURE_GUARD);
            ran.fetch_add(1, Ordering::SeqCst);
        })
        .expect("worker threads")
    };
    for job in 0..10 {
        pool.try_submit(job).expect("room for ten");
    }
    drop(gate); // the workers go; most jobs are still queued when shutdown starts
    pool.shutdown();
    assert_eq!(ran.load(Ordering::SeqCst), 10, "every accepted job ran");
}

/// After `close`, new jobs are refused as `ShuttingDown`, and the queued ones still run.
#[test]
fn a_closed_pool_refuses_new_jobs_and_finishes_old_ones() {
    let gated = gated_pool(1, 4);
    gated.pool.try_submit(1).expect("accepted");
    gated.pool.try_submit(2).expect("accepted");
    gated.pool.close();
    assert_eq!(gated.pool.try_submit(3), Err(Rejected::ShuttingDown(3)));
    drop(gated.gate);
    gated.pool.shutdown();
    let finished: Vec<_> = gated.finished.try_iter().collect();
    assert_eq!(finished, [1, 2]);
}

/// A panicking job fails alone; the worker lives on and runs the next one.
#[test]
fn a_panicking_job_does_not_kill_its_worker() {
    let (ran_tx, ran) = unbounded();
    let pool = WorkerPool::new("worker", 1, 4, move |job: u32| {
        assert!(job != 13, "unlucky job");
        ran_tx.send(job).expect("the test is listening");
    })
    .expect("a worker");
    pool.try_submit(13).expect("queued");
    pool.try_submit(14).expect("queued");
    assert_eq!(ran.recv_timeout(FAILURE_GUARD), Ok(14));
}

/// The workers carry the names the log lines show.
#[test]
fn workers_are_named() {
    let (name_tx, names) = unbounded();
    let pool = WorkerPool::new("worker", 1, 1, move |(): ()| {
        let name = std::thread::current().name().map(str::to_owned);
        name_tx.send(name).expect("the test is listening");
    })
    .expect("a worker");
    pool.try_submit(()).expect("queued");
    assert_eq!(
        names.recv_timeout(FAILURE_GUARD),
        Ok(Some("worker-0".to_owned()))
    );
}

/// A pool dropped without `shutdown` shuts down the same way: the queued jobs run and every
/// worker is joined before `drop` returns.
#[test]
fn dropping_a_pool_runs_the_queue_and_joins_too() {
    let gated = gated_pool(1, 4);
    for job in 0..3 {
        gated.pool.try_submit(job).expect("room");
    }
    drop(gated.gate);
    drop(gated.pool);
    let finished: Vec<_> = gated.finished.try_iter().collect();
    assert_eq!(finished, [0, 1, 2], "drop returned before the queue ran");
}

/// What the pool reports of itself — its size, its bound, and its load — is what it is
/// doing: the numbers a `/metrics` page shows.
#[test]
fn a_pool_reports_its_size_and_load() {
    let gated = gated_pool(2, 3);
    assert_eq!((gated.pool.workers(), gated.pool.capacity()), (2, 3));
    assert_eq!((gated.pool.busy(), gated.pool.queued()), (0, 0));
    for job in 0..3 {
        gated.pool.try_submit(job).expect("room");
    }
    // Two jobs reach a worker and wait at the gate; the third waits in the queue.
    for _ in 0..2 {
        gated
            .started
            .recv_timeout(FAILURE_GUARD)
            .expect("a job starts");
    }
    assert_eq!((gated.pool.busy(), gated.pool.queued()), (2, 1));
    drop(gated.gate);
    gated.pool.shutdown();
}

/// A worker that falls asleep on an empty queue is counted while it sleeps, and no longer once
/// a job has woken it: the count a push reads to decide whether to wake anyone.
#[test]
fn the_sleeping_count_goes_up_and_back_down() {
    let queue = Arc::new(ch02_worker_pool::BoundedQueue::new(1));
    let (taken_tx, taken) = unbounded();
    let (go_on, go_on_rx) = unbounded::<()>();
    let worker = {
        let queue = Arc::clone(&queue);
        std::thread::spawn(move || {
            taken_tx.send(queue.pop()).expect("the test listens");
            // Out of `pop` until the test has looked at the count.
            let _ = go_on_rx.recv_timeout(FAILURE_GUARD);
            while queue.pop().is_some() {}
        })
    };
    // Wait until the worker is asleep (a state to observe, not a time to wait out).
    let guard = std::time::Instant::now() + FAILURE_GUARD;
    while queue.sleeping() == 0 {
        assert!(std::time::Instant::now() < guard, "the worker never slept");
        std::thread::yield_now();
    }
    queue.try_push(7).expect("room");
    assert_eq!(taken.recv_timeout(FAILURE_GUARD), Ok(Some(7)));
    let asleep = queue.sleeping();
    assert_eq!(asleep, 0, "the woken worker is still counted asleep");
    drop(go_on);
    queue.close();
    worker.join().expect("the worker exits");
}

/// `stage` counts the jobs staged and those queued against the bound, and answers at once; a
/// hand-over queues them; jobs staged before a close are queued by it, and after it refused.
#[test]
fn staged_jobs_count_against_the_bound_and_survive_a_close() {
    let gated = gated_pool(1, 3);
    gated.pool.stage(1).expect("room");
    gated.pool.stage(2).expect("room");
    gated.pool.hand_over().expect("open");
    let started = gated.started.recv_timeout(FAILURE_GUARD);
    assert_eq!(started, Ok(1), "the hand-over woke the worker");
    // Job 1 runs, job 2 is queued: room for two more of three.
    gated.pool.stage(3).expect("room");
    gated.pool.stage(4).expect("room");
    assert_eq!(
        gated.pool.stage(5),
        Err(Rejected::QueueFull(5)),
        "one queued and two staged fill a queue of three"
    );
    gated.pool.close(); // jobs 3 and 4 are still staged: the close queues them
    assert_eq!(gated.pool.stage(6), Err(Rejected::ShuttingDown(6)));
    gated.pool.hand_over().expect("nothing left to hand over");
    drop(gated.gate);
    gated.pool.shutdown();
    let finished: Vec<_> = gated.finished.try_iter().collect();
    assert_eq!(
        finished,
        [1, 2, 3, 4],
        "every job staged before the close ran, in order"
    );
}

/// A pool shut down (or dropped) in the middle of a turn runs what was staged: the close
/// queues it.
#[test]
fn a_pool_shut_down_mid_turn_runs_its_staged_jobs() {
    let gated = gated_pool(1, 4);
    gated.pool.stage(1).expect("room"); // accepted; the turn's end never comes
    drop(gated.gate);
    gated.pool.shutdown();
    let finished: Vec<_> = gated.finished.try_iter().collect();
    assert_eq!(finished, [1], "an accepted job never ran");
}

/// A hand-over's count is seen at once, without the queue's lock: the room `stage` counts.
#[test]
fn a_hand_over_is_counted_at_once() {
    let gated = gated_pool(1, 4);
    gated.pool.stage(1).expect("room");
    gated.pool.hand_over().expect("open");
    assert_eq!(gated.started.recv_timeout(FAILURE_GUARD), Ok(1));
    gated.pool.stage(2).expect("room");
    gated.pool.stage(3).expect("room");
    assert_eq!(gated.pool.queued(), 0, "staged, not yet queued");
    gated.pool.hand_over().expect("open");
    assert_eq!(gated.pool.queued(), 2, "the worker is busy: both wait");
    drop(gated.gate);
    gated.pool.shutdown();
}
