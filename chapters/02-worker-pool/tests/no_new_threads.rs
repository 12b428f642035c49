//! However many jobs arrive, the pool starts no thread after `new`. (One test in this file: the
//! thread count is the whole process's, and other tests' threads would blur it.)

use ch02_worker_pool::WorkerPool;
use crossbeam_channel::unbounded;
use test_support::{FAILURE_GUARD, thread_count, thread_count_back_to};

// ANCHOR: no_new_threads
#[test]
fn a_thousand_submissions_start_no_thread() {
    let (gate, gate_rx) = unbounded::<()>();
    let (ran_tx, ran) = unbounded();
    let pool = WorkerPool::new("worker", 2, 8, move |job: u32| {
        let _ = gate_rx.recv_timeout(FAILURE_GUARD);
        ran_tx.send(job).expect("the test is listening");
    })
    .expect("worker threads");
    let after_start = thread_count();
    let accepted = (0..1000)
        .filter(|&job| pool.try_submit(job).is_ok())
        .count();
    assert_eq!(thread_count(), after_start, "a thread appeared");
    // Two workers held at the gate plus eight queued jobs: nothing more gets in.
    assert!(accepted <= 10, "{accepted} accepted");
    drop(gate);
    for _ in 0..accepted {
        ran.recv_timeout(FAILURE_GUARD)
            .expect("an accepted job ran");
    }
    pool.shutdown();
    assert_eq!(
        thread_count_back_to(after_start - 2),
        after_start - 2,
        "the workers were joined"
    );
}
// ANCHOR_END: no_new_threads
