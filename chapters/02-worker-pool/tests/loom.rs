//! loom models of the bounded queue — closing wakes every waiting worker, and no item is lost or
//! taken twice, however the threads interleave — and of the pool built on it: `shutdown` waits
//! for every accepted job.
//!
//! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release -p ch02-worker-pool --test loom`
#![cfg(loom)]

use ch02_worker_pool::{BoundedQueue, PushError, WorkerPool};
use loom::sync::atomic::Ordering;
use loom::thread;
use std::sync::Arc;
use sync_shim::model;

/// How the pool closes the queue: the real `close`, or its broken twin.
type Close = fn(&BoundedQueue<u32>);

// ANCHOR: model
/// Two workers wait on an empty queue; the pool closes it. Both must wake and exit.
fn close_wakes_every_worker(close: Close) {
    let queue = Arc::new(BoundedQueue::new(2));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let queue = Arc::clone(&queue);
            thread::spawn(move || while queue.pop().is_some() {})
        })
        .collect();
    close(&queue);
    for worker in workers {
        worker.join().expect("a worker exits"); // deadlocks here if one sleeps forever
    }
}
// ANCHOR_END: model

// ANCHOR: tests
/// The real `close` wakes both workers in every interleaving.
#[test]
fn close_wakes_every_waiting_worker() {
    model::check(|| close_wakes_every_worker(BoundedQueue::close));
}

/// The broken twin: `notify_one` in `close`.
#[test]
#[ignore = "fails on purpose; run by `loom_catches_the_worker_left_asleep`"]
fn broken_close_wakes_one() {
    model::check(|| close_wakes_every_worker(BoundedQueue::close_waking_one_broken));
}

/// loom finds the interleaving in which both workers sleep when the queue closes, and only one
/// is woken.
#[test]
fn loom_catches_the_worker_left_asleep() {
    let output = model::assert_model_fails("broken_close_wakes_one", "deadlock");
    println!("{output}");
}
// ANCHOR_END: tests

// ANCHOR: exactly_once
/// Items pushed while two workers pop are each taken exactly once, none is lost when the
/// queue closes behind them, and both workers exit.
fn every_item_taken_once(close: Close) {
    let queue = Arc::new(BoundedQueue::new(1));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let queue = Arc::clone(&queue);
            thread::spawn(move || {
                let mut taken = Vec::new();
                while let Some(item) = queue.pop() {
                    taken.push(item);
                }
                taken
            })
        })
        .collect();
    // The producer is the event loop: it never waits, so a full queue means "retry later".
    let mut next = 1;
    while next <= 2 {
        if queue.try_push(next).is_ok() {
            next += 1;
        } else {
            thread::yield_now();
        }
    }
    close(&queue);
    let mut taken: Vec<u32> = workers
        .into_iter()
        .flat_map(|worker| worker.join().expect("a worker exits"))
        .collect();
    taken.sort_unstable();
    assert_eq!(taken, [1, 2]);
}
// ANCHOR_END: exactly_once

/// The real queue: every item once, every worker out.
#[test]
fn every_item_is_taken_exactly_once() {
    model::check(|| every_item_taken_once(BoundedQueue::close));
}

/// The same model with the broken `close`.
#[test]
#[ignore = "fails on purpose; run by `loom_catches_a_worker_asleep_after_the_work`"]
fn broken_close_after_work() {
    model::check(|| every_item_taken_once(BoundedQueue::close_waking_one_broken));
}

/// Even with work flowing, loom finds the end where both workers sleep and one stays asleep.
#[test]
fn loom_catches_a_worker_asleep_after_the_work() {
    model::assert_model_fails("broken_close_after_work", "deadlock");
}

/// How a pool is shut down: the real `shutdown`, or its twin that does not join.
type Shutdown = fn(WorkerPool<u32>);

// ANCHOR: pool_model
/// Two workers; the pool accepts what fits of three jobs, then shuts down. When `shutdown`
/// returns, every accepted job has run exactly once and no worker is busy: a job accepted is
/// a job run, and nothing runs after the pool is gone.
fn shutdown_runs_every_accepted_job(shutdown: Shutdown) {
    let ran = Arc::new(loom::sync::atomic::AtomicUsize::new(0));
    let pool = {
        let ran = Arc::clone(&ran);
        WorkerPool::new("worker", 2, 1, move |_job: u32| {
            ran.fetch_add(1, Ordering::SeqCst);
        })
        .expect("loom threads")
    };
    let accepted = (0..3).filter(|&job| pool.try_submit(job).is_ok()).count();
    assert!(accepted >= 1, "an empty queue takes a job");
    shutdown(pool);
    assert_eq!(
        ran.load(Ordering::SeqCst),
        accepted,
        "shutdown returned before every accepted job had run"
    );
}
// ANCHOR_END: pool_model

/// The real `shutdown` closes the queue, lets the workers drain it, and joins them.
#[test]
fn shutdown_waits_for_every_accepted_job() {
    model::check(|| shutdown_runs_every_accepted_job(WorkerPool::shutdown));
}

/// The broken twin: close without join.
#[test]
#[ignore = "fails on purpose; run by `loom_catches_a_shutdown_that_does_not_wait`"]
fn broken_shutdown_without_join() {
    model::check(|| shutdown_runs_every_accepted_job(WorkerPool::shutdown_without_join_broken));
}

/// loom finds the order in which `shutdown` returns while a worker is still on its job.
#[test]
fn loom_catches_a_shutdown_that_does_not_wait() {
    model::assert_model_fails("broken_shutdown_without_join", "before every accepted job");
}

/// How the pool pushes a job: the real `try_push`, or the twin that looks for a sleeper first.
type Push = fn(&BoundedQueue<u32>, u32) -> Result<(), PushError<u32>>;

// ANCHOR: push_wakes
/// One worker waits for work; the pool pushes one job, before any close. The worker must get
/// it now — not only when the queue closes and wakes everyone.
fn a_push_wakes_the_sleeping_worker(push: Push) {
    let queue = Arc::new(BoundedQueue::new(1));
    let (taken_tx, taken) = loom::sync::mpsc::channel();
    let worker = {
        let queue = Arc::clone(&queue);
        thread::spawn(move || {
            while let Some(job) = queue.pop() {
                taken_tx.send(job).expect("the main thread listens");
            }
        })
    };
    push(&queue, 7).expect("room for one");
    // Deadlocks here if the worker sleeps beside the job.
    assert_eq!(taken.recv().expect("the worker took the job"), 7);
    queue.close();
    worker.join().expect("the worker exits");
}
// ANCHOR_END: push_wakes

/// The real `try_push` looks for sleepers under the lock it pushes under.
#[test]
fn a_push_wakes_a_sleeping_worker() {
    model::check(|| a_push_wakes_the_sleeping_worker(BoundedQueue::try_push));
}

/// The broken twin looks first, under a lock of its own.
#[test]
#[ignore = "fails on purpose; run by `loom_catches_a_push_that_wakes_nobody`"]
fn broken_push_looking_first() {
    model::check(|| a_push_wakes_the_sleeping_worker(BoundedQueue::try_push_looking_first_broken));
}

/// loom finds the worker falling asleep between the look and the push.
#[test]
fn loom_catches_a_push_that_wakes_nobody() {
    model::assert_model_fails("broken_push_looking_first", "deadlock");
}

/// How the pool is closed: the real `close`, or its twin that closes the queue first.
type ClosePool = fn(&WorkerPool<u32>);

// ANCHOR: hand_over_model
/// The event loop stages a job and hands it over at the end of its turn, while another thread
/// closes the pool (chapter 10's drain does, on a signal). A job accepted is a job run: if
/// `stage` said yes, a worker runs it, whichever comes first.
fn a_staged_job_runs_despite_the_close(close: ClosePool) {
    let ran = Arc::new(loom::sync::atomic::AtomicUsize::new(0));
    let pool = {
        let ran = Arc::clone(&ran);
        Arc::new(
            WorkerPool::new("worker", 1, 2, move |_job: u32| {
                ran.fetch_add(1, Ordering::SeqCst);
            })
            .expect("loom threads"),
        )
    };
    let closer = {
        let pool = Arc::clone(&pool);
        thread::spawn(move || close(&pool))
    };
    let accepted = usize::from(pool.stage(1).is_ok());
    let _refused = pool.hand_over(); // the end of the loop's turn; a refused job never runs
    closer.join().expect("the closer returns");
    let pool = Arc::into_inner(pool).expect("the closer has let go of the pool");
    pool.shutdown(); // joins the worker: every queued job has run
    assert_eq!(
        ran.load(Ordering::SeqCst),
        accepted,
        "an accepted job never ran"
    );
}
// ANCHOR_END: hand_over_model

/// The real `close`: stage and close take one lock, so a job is staged before the close (and
/// queued by it) or refused.
#[test]
fn a_staged_job_runs_whatever_the_close_does() {
    model::check(|| a_staged_job_runs_despite_the_close(WorkerPool::close));
}

/// The broken twin closes the queue before it stops the staging.
#[test]
#[ignore = "fails on purpose; run by `loom_catches_a_job_staged_behind_a_closed_queue`"]
fn broken_close_queue_first() {
    model::check(|| a_staged_job_runs_despite_the_close(WorkerPool::close_queue_first_broken));
}

/// loom finds the job accepted between the two halves of the broken close.
#[test]
fn loom_catches_a_job_staged_behind_a_closed_queue() {
    model::assert_model_fails("broken_close_queue_first", "an accepted job never ran");
}

/// How a worker takes an item: the real `pop`, or its twin that never wakes a helper.
type Pop = fn(&BoundedQueue<Arc<Rendezvous>>) -> Option<Arc<Rendezvous>>;

/// Two jobs that each wait until both have started: they finish only if two workers run them.
struct Rendezvous {
    arrived: loom::sync::Mutex<usize>,
    both: loom::sync::Condvar,
}

impl Rendezvous {
    fn arrive_and_wait(&self) {
        let mut arrived = self.arrived.lock().expect("not poisoned");
        *arrived += 1;
        self.both.notify_all();
        while *arrived < 2 {
            arrived = self.both.wait(arrived).expect("not poisoned");
        }
    }

    fn wait_for_both(&self) {
        let mut arrived = self.arrived.lock().expect("not poisoned");
        while *arrived < 2 {
            arrived = self.both.wait(arrived).expect("not poisoned");
        }
    }
}

// ANCHOR: helper_model
/// Two workers wait for work; the loop hands over two jobs at once, with one wake-up. The
/// jobs meet each other, so both workers must run: the worker that wakes must wake the other
/// for the job it leaves behind.
fn a_hand_over_of_two_runs_on_two_workers(pop: Pop) {
    let queue = Arc::new(BoundedQueue::new(2));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let queue = Arc::clone(&queue);
            thread::spawn(move || {
                while let Some(job) = pop(&queue) {
                    job.arrive_and_wait();
                }
            })
        })
        .collect();
    let meeting = Arc::new(Rendezvous {
        arrived: loom::sync::Mutex::new(0),
        both: loom::sync::Condvar::new(),
    });
    let mut turn = vec![Arc::clone(&meeting), Arc::clone(&meeting)];
    queue.push_batch(&mut turn).expect("open");
    // Not closed before both jobs have started: a close wakes every worker, and would hide a
    // hand-over that woke too few.
    meeting.wait_for_both(); // deadlocks here if one job waits alone
    queue.close();
    for worker in workers {
        worker.join().expect("a worker exits");
    }
}
// ANCHOR_END: helper_model

/// The real `pop` wakes a helper when it leaves items behind with a worker asleep.
#[test]
fn a_hand_over_wakes_a_helper() {
    model::check(|| a_hand_over_of_two_runs_on_two_workers(BoundedQueue::pop));
}

/// The broken twin takes its item and lets the others sleep.
#[test]
#[ignore = "fails on purpose; run by `loom_catches_a_hand_over_left_to_one_worker`"]
fn broken_pop_without_helper() {
    model::check(|| {
        a_hand_over_of_two_runs_on_two_workers(BoundedQueue::pop_without_helper_broken)
    });
}

/// loom finds the order in which one worker holds a job that waits for the other job, while
/// the only worker who could run it sleeps.
#[test]
fn loom_catches_a_hand_over_left_to_one_worker() {
    model::assert_model_fails("broken_pop_without_helper", "deadlock");
}

/// How a worker takes an item, for the model below.
type PopU32 = fn(&BoundedQueue<u32>) -> Option<u32>;

// ANCHOR: two_turns_model
/// One worker; two turns of the loop, each handing over one job once the last was taken. Each
/// hand-over must wake the worker: the mark that says "a wake-up is on its way" must be gone
/// once that wake-up has arrived.
fn every_turn_wakes_a_sleeping_worker(pop: PopU32) {
    let queue = Arc::new(BoundedQueue::new(1));
    let (taken_tx, taken) = loom::sync::mpsc::channel();
    let worker = {
        let queue = Arc::clone(&queue);
        thread::spawn(move || {
            while let Some(job) = pop(&queue) {
                taken_tx.send(job).expect("the main thread listens");
            }
        })
    };
    for job in [1, 2] {
        queue.push_batch(&mut vec![job]).expect("open");
        // Deadlocks here if the worker sleeps beside the job.
        assert_eq!(taken.recv().expect("the worker took the job"), job);
    }
    queue.close();
    worker.join().expect("the worker exits");
}
// ANCHOR_END: two_turns_model

/// The real `pop` clears the mark when its worker wakes.
#[test]
fn every_turn_wakes_the_worker() {
    model::check(|| every_turn_wakes_a_sleeping_worker(BoundedQueue::pop));
}

/// The broken twin leaves the mark set.
#[test]
#[ignore = "fails on purpose; run by `loom_catches_a_wake_mark_left_set`"]
fn broken_pop_keeping_the_wake_mark() {
    model::check(|| {
        every_turn_wakes_a_sleeping_worker(BoundedQueue::pop_keeping_the_wake_mark_broken)
    });
}

/// loom finds the second turn whose job waits beside a sleeping worker.
#[test]
fn loom_catches_a_wake_mark_left_set() {
    model::assert_model_fails("broken_pop_keeping_the_wake_mark", "deadlock");
}
