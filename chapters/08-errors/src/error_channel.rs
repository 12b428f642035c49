//! An error channel: tasks on threads send each `Result` into one channel, and the caller
//! reads them all — every error, not only the first. The Go guide's `errCh := make(chan
//! error, n)`.
//!
//! Use it when each task's failure matters on its own (a report of which parts failed);
//! when the first failure makes the rest pointless, use the error group.

use crossbeam_channel::unbounded;
use std::thread;

// ANCHOR: error_channel
/// Runs each task on a thread of its own, and returns every result, in the tasks' order.
/// A task that panics gives `Err` with its message: a thread's end is a result too.
pub fn run_all<T: Send, E: Send>(
    tasks: Vec<impl FnOnce() -> Result<T, E> + Send>,
    panicked: impl Fn(String) -> E + Sync,
) -> Vec<Result<T, E>> {
    let count = tasks.len();
    let (results_tx, results) = unbounded();
    thread::scope(|scope| {
        for (index, task) in tasks.into_iter().enumerate() {
            let (task_tx, panicked) = (results_tx.clone(), &panicked);
            let body = move || {
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(task))
                    .unwrap_or_else(|panic| {
                        Err(panicked(ch05_job_status::panic_message(&*panic).to_owned()))
                    });
                // The receiver lives until every task has sent: this cannot fail.
                let _ = task_tx.send((index, result));
            };
            let named = thread::Builder::new().name(format!("task-{index}"));
            if let Err(error) = named.spawn_scoped(scope, body) {
                // No thread: the task never ran, and its result says so.
                let _ = results_tx.send((index, Err(panicked(format!("no thread: {error}")))));
            }
        }
    });
    drop(results_tx); // every task's clone is gone: the channel is closed
    let mut ordered: Vec<_> = results.iter().collect();
    debug_assert_eq!(ordered.len(), count);
    ordered.sort_by_key(|(index, _)| *index);
    ordered.into_iter().map(|(_, result)| result).collect()
}
// ANCHOR_END: error_channel
