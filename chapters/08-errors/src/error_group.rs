//! An error group: Go's `errgroup`, written out by hand — tasks on named threads sharing a
//! context; the first error is kept and cancels the context, so the siblings stop; `wait`
//! returns when every task has ended, with that first error.
//!
//! Use it for a set of tasks that succeed or fail together: the parts of one request, the
//! sub-jobs of a batch. For tasks whose errors all matter, use an error channel instead
//! (`error_channel.rs`).
//!
//! - [`ErrorGroup::new`] is `errgroup.WithContext(ctx)`: the group's context is a child of
//!   `ctx`, cancelled by the first error (or by `ctx`).
//! - [`with_limit`](ErrorGroup::with_limit) is `SetLimit(n)`: `spawn` waits while `n` tasks run.
//! - A task that panics is an error of the group ([`Panicked`]), not a lost thread: the
//!   others are cancelled, and `wait` still returns.

use ch03_context::{Cancel, Context};
use ch05_job_status::panic_message;
use std::fmt;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use sync_shim::{Arc, Condvar, Mutex, MutexGuard, thread};

// ANCHOR: state
/// Tasks sharing a context; the first error cancels it.
pub struct ErrorGroup<E> {
    shared: Arc<Shared<E>>,
    ctx: Context,
    name: &'static str,
    limit: usize,
    /// The tasks' threads, joined by `wait`: no thread outlives the group.
    threads: Mutex<Vec<thread::JoinHandle<()>>>,
}

struct Shared<E> {
    state: Mutex<State<E>>,
    /// Signalled when a task ends: `wait` and a `spawn` held by the limit both sleep on it.
    task_ended: Condvar,
}

struct State<E> {
    running: usize,
    /// Tasks started so far: the number in each thread's name.
    started: usize,
    first_error: Option<E>,
    /// Cancels the group's context; taken by the first error.
    cancel: Option<Cancel>,
}
// ANCHOR_END: state

/// A task that panicked, as an error of its group: the panic's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Panicked(pub String);

impl fmt::Display for Panicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "panicked: {}", self.0)
    }
}

impl std::error::Error for Panicked {}

impl<E: Send + 'static> ErrorGroup<E> {
    /// A group whose tasks run on threads named `NAME-N`, under a child of `parent`.
    pub fn new(parent: &Context, name: &'static str) -> ErrorGroup<E> {
        let (ctx, cancel) = parent.with_cancel();
        ErrorGroup {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    running: 0,
                    started: 0,
                    first_error: None,
                    cancel: Some(cancel),
                }),
                task_ended: Condvar::new(),
            }),
            ctx,
            name,
            limit: usize::MAX,
            threads: Mutex::new(Vec::new()),
        }
    }

    /// At most `limit` tasks (at least one) run at once; `spawn` waits for room.
    pub fn with_limit(mut self, limit: usize) -> ErrorGroup<E> {
        self.limit = limit.max(1);
        self
    }

    /// The group's context: cancelled by the first error. Tasks get it as their argument.
    pub fn context(&self) -> &Context {
        &self.ctx
    }
}

impl<E: From<Panicked> + Send + 'static> ErrorGroup<E> {
    // ANCHOR: spawn
    /// Starts `task` on a thread of its own (Go's `g.Go(f)`), first waiting while the limit's
    /// worth of tasks run.
    ///
    /// # Errors
    ///
    /// When the operating system refuses the thread (the task is then not counted).
    pub fn spawn(
        &self,
        task: impl FnOnce(&Context) -> Result<(), E> + Send + 'static,
    ) -> io::Result<()> {
        let mut state = self.shared.lock();
        while state.running >= self.limit {
            state = self.shared.sleep(state);
        }
        state.running += 1; // counted before the thread starts, so `wait` cannot miss it
        state.started += 1;
        let number = state.started;
        drop(state);
        let (shared, ctx) = (Arc::clone(&self.shared), self.ctx.clone());
        let started = thread::Builder::new()
            .name(format!("{}-{number}", self.name))
            .spawn(move || {
                let outcome =
                    catch_unwind(AssertUnwindSafe(|| task(&ctx))).unwrap_or_else(|panic| {
                        Err(E::from(Panicked(panic_message(&*panic).to_owned())))
                    });
                shared.task_ended(outcome.err());
            });
        match started {
            Ok(thread) => {
                self.threads().push(thread); // joined by `wait`
                Ok(())
            }
            Err(error) => {
                self.shared.task_ended(None);
                Err(error)
            }
        }
    }
    // ANCHOR_END: spawn
}

impl<E> ErrorGroup<E> {
    // ANCHOR: wait
    /// Waits until every task has ended (Go's `g.Wait()`), and returns the first error.
    ///
    /// # Errors
    ///
    /// The first error a task returned, if any did.
    pub fn wait(self) -> Result<(), E> {
        let mut state = self.shared.lock();
        while state.running > 0 {
            state = self.shared.sleep(state);
        }
        // Every task has ended: the context's work is done either way (Go's errgroup cancels
        // it in `Wait` too), so nothing hangs on to it.
        drop(state.cancel.take());
        let first_error = state.first_error.take();
        drop(state);
        // Their threads are ending too: join them, so that none outlives `wait`.
        for thread in std::mem::take(&mut *self.threads()) {
            let _ = thread.join(); // a task's panic was caught; the thread itself cannot fail
        }
        first_error.map_or(Ok(()), Err)
    }

    fn threads(&self) -> MutexGuard<'_, Vec<thread::JoinHandle<()>>> {
        self.threads
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
    // ANCHOR_END: wait
}

impl<E> Shared<E> {
    // ANCHOR: task_ended
    /// A task has ended with `error`, if any: keep it if it is the first, and cancel the
    /// siblings; then — only then — count the task out and wake the sleepers.
    fn task_ended(&self, error: Option<E>) {
        let mut state = self.lock();
        if let Some(error) = error {
            if state.first_error.is_none() {
                state.first_error = Some(error);
                // The siblings' context ends now; they see it at their next check.
                drop(state.cancel.take());
            }
        }
        state.running -= 1;
        drop(state);
        // All sleepers: `wait`, and a `spawn` waiting for room under the limit.
        self.task_ended.notify_all();
    }
    // ANCHOR_END: task_ended

    fn lock(&self) -> MutexGuard<'_, State<E>> {
        // Nothing panics while the lock is held (tasks run outside it).
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn sleep<'a>(&self, state: MutexGuard<'a, State<E>>) -> MutexGuard<'a, State<E>> {
        self.task_ended
            .wait(state)
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

// ANCHOR: broken
/// A deliberate flaw in a task's end, for the loom models' broken twins.
#[cfg(loom)]
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub enum Flaw {
    /// Counts the task out and wakes `wait` *before* recording its error: `wait` can return
    /// `Ok` while the error is on its way.
    CountedOutFirst,
    /// Records the first error but does not cancel the context: a sibling waiting for the
    /// cancel waits for ever.
    NoCancel,
}

// ANCHOR: broken_spawn
impl<E: Send + 'static> ErrorGroup<E> {
    /// [`spawn`](Self::spawn) with `flaw` in the task's end. Only the loom models call it.
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn spawn_broken(
        &self,
        flaw: Flaw,
        task: impl FnOnce(&Context) -> Result<(), E> + Send + 'static,
    ) {
        self.shared.lock().running += 1;
        let (shared, ctx) = (Arc::clone(&self.shared), self.ctx.clone());
        let thread = thread::spawn(move || {
            let error = task(&ctx).err();
            if let Flaw::CountedOutFirst = flaw {
                shared.lock().running -= 1;
                shared.task_ended.notify_all();
            }
            let mut state = shared.lock();
            if let Some(error) = error {
                if state.first_error.is_none() {
                    state.first_error = Some(error);
                    if let Flaw::CountedOutFirst = flaw {
                        drop(state.cancel.take());
                    }
                }
            }
            if let Flaw::NoCancel = flaw {
                state.running -= 1;
                drop(state);
                shared.task_ended.notify_all();
            }
        });
        self.threads().push(thread);
    }
}
// ANCHOR_END: broken_spawn
// ANCHOR_END: broken
