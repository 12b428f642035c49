//! A request context: Go's `context.Context`, by hand — cancellation that flows from parent to
//! children, an optional deadline, request-scoped values, and the reason it ended.
//!
//! ```go
//! ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
//! defer cancel()
//! ```
//!
//! ```
//! use ch03_context::{Context, Reason};
//! use std::time::Duration;
//!
//! let request = Context::background().with_value("request_id", 42_u64);
//! let (ctx, cancel) = request.with_timeout(Duration::from_secs(5)); // `cancel` cancels on drop
//! assert_eq!(ctx.value::<u64>("request_id"), Some(&42));
//! assert_eq!(ctx.err(), None);
//! cancel.cancel();
//! assert_eq!(ctx.err(), Some(Reason::Cancelled));
//! ```
//!
//! How it is built: each context is a node holding its parent (for values and deadlines). A
//! cancellable node (the root, and every `with_cancel`/`with_deadline` child) also holds a
//! [`Signal`]: the list of its live children and, once it ends, the [`Reason`]. A value node
//! has no signal of its own: it ends when its nearest cancellable ancestor does. Cancelling
//! records the reason, wakes everyone waiting, closes the [`done`](Context::done) channel, and
//! cancels the children — who cancel theirs — then leaves the parent's list. A child made
//! from an already-cancelled parent starts cancelled.
//!
//! Both "record the reason and take the children" and "check the parent and register" happen
//! under the parent's lock: without it, a child registered just after the parent took its list
//! would never hear of the cancellation. The loom model in `tests/loom.rs` shows that race, with
//! the broken twin [`Context::with_cancel_racy_broken`].
//!
//! **Deadlines without a runtime.** Go's `ctx.Done()` closes by itself at the deadline, because
//! Go's runtime runs timers. There is no runtime here, and no thread per deadline: a deadline
//! takes effect when someone looks — [`err`](Context::err) and [`is_done`](Context::is_done) read
//! the clock, [`wait`](Context::wait) sleeps no later than the deadline, and a `select!` adds
//! the arm `recv(ctx.deadline_timer())`. In the server, the event loop's own timer heap is the
//! one that looks (chapter 4).
//!
//! **`Cancel` cancels when dropped**: Go's `defer cancel()`, which the compiler cannot forget.

use crossbeam_channel::{Receiver, Sender};
use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};
use sync_shim::atomic::{AtomicBool, Ordering};
use sync_shim::{Arc, Condvar, Mutex, MutexGuard};

/// Why a context ended: Go's `context.Canceled` and `context.DeadlineExceeded`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Someone called [`Cancel::cancel`] (or dropped the `Cancel`), here or on an ancestor.
    Cancelled,
    /// The deadline, here or on an ancestor, has passed.
    DeadlineExceeded,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reason::Cancelled => "context cancelled",
            Reason::DeadlineExceeded => "context deadline exceeded",
        })
    }
}

impl std::error::Error for Reason {}

/// A type with no values: the `done` channel carries no message, it only closes.
pub enum Never {}

// ANCHOR: node
// ANCHOR: node_tree
/// A context: cheap to clone (one `Arc`), passed as the first parameter of every operation that
/// may block or run long.
#[derive(Clone)]
pub struct Context {
    node: Arc<Node>,
}

struct Node {
    parent: Option<Context>,
    /// The earliest deadline of this node and its ancestors.
    deadline: Option<Instant>,
    /// A request-scoped value (Go's `WithValue`: one per node, found by walking up).
    value: Option<(&'static str, Box<dyn Any + Send + Sync>)>,
    /// `None` for a value node, which ends with its nearest cancellable ancestor.
    signal: Option<Signal>,
}
// ANCHOR_END: node_tree

// ANCHOR: node_signal
/// The cancellation state of a cancellable node.
pub struct Signal {
    /// Names the node in its parent's list of children.
    id: u64,
    /// Set when the node is cancelled: a lock-free check for hot loops.
    done: AtomicBool,
    state: Mutex<State>,
    /// Waiters in [`Context::wait`] sleep here.
    cancelled: Condvar,
}

#[derive(Default)]
struct State {
    reason: Option<Reason>,
    /// Threads asleep in `wait`: a cancel with none skips the wake-up (a system call).
    waiters: usize,
    /// Live cancellable children, by their signal's id: each is cancelled with this node. The
    /// server context has a child per live request and job, and one leaves with every request,
    /// so leaving must not search a list: O(log n) here (Go's `context` keeps a hash map). A
    /// `BTreeMap` rather than a `HashMap`: no rehash of every entry when it grows, and a fixed
    /// iteration order, which the loom models need (loom replays executions, and a hash map's
    /// random seed would change the order children are cancelled in from one run to the next).
    children: BTreeMap<u64, Context>,
    /// Dropped on cancel, which closes every receiver that `done()` handed out.
    done_sender: Option<Sender<Never>>,
    done_receiver: Option<Receiver<Never>>,
}
// ANCHOR_END: node_signal
// ANCHOR_END: node

impl Signal {
    fn new() -> Signal {
        // Not a sync_shim atomic: the ids only have to differ, and a static cannot hold one of
        // loom's atomics.
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        Signal {
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            done: AtomicBool::new(false),
            state: Mutex::new(State::default()),
            cancelled: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding this lock, so a poisoned state is still consistent.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Context {
    /// The root context: never cancelled, no deadline, no values (Go's `context.Background()`).
    pub fn background() -> Context {
        Context {
            node: Arc::new(Node {
                parent: None,
                deadline: None,
                value: None,
                signal: Some(Signal::new()),
            }),
        }
    }

    // ANCHOR: constructors
    /// A child that ends when this context ends, or when the returned [`Cancel`] is used or
    /// dropped (Go's `context.WithCancel`).
    pub fn with_cancel(&self) -> (Context, Cancel) {
        self.cancellable_child(None)
    }

    /// A child that also ends at `deadline` (Go's `context.WithDeadline`). A parent's earlier
    /// deadline still applies.
    pub fn with_deadline(&self, deadline: Instant) -> (Context, Cancel) {
        self.cancellable_child(Some(deadline))
    }

    /// A child that also ends `timeout` from now (Go's `context.WithTimeout`).
    pub fn with_timeout(&self, timeout: Duration) -> (Context, Cancel) {
        self.cancellable_child(Some(Instant::now() + timeout))
    }

    /// A child carrying `value` under `key` (Go's `context.WithValue`). It ends when this
    /// context ends, and has no `Cancel` of its own.
    pub fn with_value(&self, key: &'static str, value: impl Any + Send + Sync) -> Context {
        Context {
            node: Arc::new(Node {
                parent: Some(self.clone()),
                deadline: self.node.deadline,
                value: Some((key, Box::new(value))),
                signal: None,
            }),
        }
    }
    // ANCHOR_END: constructors

    // ANCHOR: child
    fn cancellable_child(&self, deadline: Option<Instant>) -> (Context, Cancel) {
        let deadline = match (self.node.deadline, deadline) {
            (Some(inherited), Some(own)) => Some(inherited.min(own)),
            (inherited, own) => inherited.or(own),
        };
        let child = Context {
            node: Arc::new(Node {
                parent: Some(self.clone()),
                deadline,
                value: None,
                signal: Some(Signal::new()),
            }),
        };
        // Check and register under one lock. `cancel` takes the same lock to record its
        // reason and take the list, so either the child is in the list it takes, or the child
        // sees the reason here and starts cancelled.
        let mut parent = self.signal().lock();
        match parent.reason {
            Some(reason) => {
                drop(parent);
                child.cancel(reason);
            }
            None => {
                let id = child.signal().id;
                parent.children.insert(id, child.clone());
            }
        }
        let cancel = Cancel {
            context: child.clone(),
        };
        (child, cancel)
    }
    // ANCHOR_END: child

    // ANCHOR: broken
    /// The broken twin of [`with_cancel`](Self::with_cancel): it checks the parent, then
    /// registers under a *second* lock. A cancellation between the two misses the child.
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn with_cancel_racy_broken(&self) -> (Context, Cancel) {
        let child = Context {
            node: Arc::new(Node {
                parent: Some(self.clone()),
                deadline: self.node.deadline,
                value: None,
                signal: Some(Signal::new()),
            }),
        };
        let cancelled = self.signal().lock().reason;
        match cancelled {
            Some(reason) => child.cancel(reason),
            None => {
                let id = child.signal().id;
                self.signal().lock().children.insert(id, child.clone());
            }
        }
        let cancel = Cancel {
            context: child.clone(),
        };
        (child, cancel)
    }
    // ANCHOR_END: broken

    // ANCHOR: signal
    /// The cancellation state this context follows: its own, or its nearest cancellable
    /// ancestor's.
    fn signal(&self) -> &Signal {
        let mut node = &*self.node;
        loop {
            match (&node.signal, &node.parent) {
                (Some(signal), _) => return signal,
                (None, Some(parent)) => node = &parent.node,
                (None, None) => unreachable!("the root is cancellable"),
            }
        }
    }
    // ANCHOR_END: signal

    // ANCHOR: cancel
    // ANCHOR: cancel_record
    /// Ends this context (and, through its signal, every context that follows it).
    fn cancel(&self, reason: Reason) {
        self.cancel_and_wake(reason, Condvar::notify_all, true);
    }

    /// [`cancel`](Self::cancel), waking the waiters with `wake` and leaving the parent's list
    /// if `leave_parent`: `notify_all` (every thread asleep in `wait` must hear of it) and
    /// `true`, except in the broken twins the loom models catch.
    fn cancel_and_wake(&self, reason: Reason, wake: fn(&Condvar), leave_parent: bool) {
        // Go ends a context at its deadline with a runtime timer, and a cancel that beats the
        // timer records `Canceled`. Here no timer runs, so a cancel after the deadline is
        // common (the event loop's own deadline answer is one): record the deadline, which won.
        let reason = if self.deadline_passed() {
            Reason::DeadlineExceeded
        } else {
            reason
        };
        let signal = self.signal();
        let (children, waiters) = {
            let mut state = signal.lock();
            if state.reason.is_some() {
                return; // the first reason stands
            }
            state.reason = Some(reason);
            signal.done.store(true, Ordering::Release);
            state.done_sender = None; // closes every `done()` receiver
            (std::mem::take(&mut state.children), state.waiters)
        };
        // ANCHOR_END: cancel_record
        // ANCHOR: cancel_propagate
        // Outside the lock: waking and cancelling children need not hold up anyone else. A
        // waiter counted under the lock is asleep or about to re-check `reason`, which it will
        // find set, so skipping the wake-up when the count is zero loses nobody.
        if waiters > 0 {
            wake(&signal.cancelled);
        }
        for child in children.into_values() {
            child.cancel_and_wake(reason, wake, leave_parent);
        }
        // Leave the parent's list, so a long-lived parent does not collect dead children.
        if let Some(parent) = self.cancellable_parent().filter(|_| leave_parent) {
            parent.signal().lock().children.remove(&signal.id);
        }
    }
    // ANCHOR_END: cancel_propagate
    // ANCHOR_END: cancel

    /// The parent whose list this context's signal is in, if any.
    fn cancellable_parent(&self) -> Option<&Context> {
        let mut node = &*self.node;
        // Walk up to the node that owns the signal, then to its parent.
        while node.signal.is_none() {
            node = &node.parent.as_ref()?.node;
        }
        node.parent.as_ref()
    }

    // ANCHOR: err
    /// Why the context ended, or `None` while it lives. Reads the clock: a passed deadline
    /// ends the context here and now (Go's `ctx.Err()`).
    pub fn err(&self) -> Option<Reason> {
        if let Some(reason) = self.signal().lock().reason {
            return Some(reason);
        }
        if self
            .node
            .deadline
            .is_some_and(|deadline| Instant::now() >= deadline)
        {
            self.cancel(Reason::DeadlineExceeded);
            return self.signal().lock().reason;
        }
        None
    }
    // ANCHOR_END: err

    // ANCHOR: is_done
    /// Whether the context has ended: one atomic load (and a clock read if it has a deadline),
    /// cheap enough for the inner loop of long work ("check `ctx.Done()` in loops").
    pub fn is_done(&self) -> bool {
        self.signal().done.load(Ordering::Acquire) || self.deadline_passed()
    }
    // ANCHOR_END: is_done

    fn deadline_passed(&self) -> bool {
        self.node
            .deadline
            .is_some_and(|deadline| Instant::now() >= deadline)
    }

    /// How many cancellable children are registered with this context's signal: live ones
    /// only, since a child leaves when it ends. For tests and metrics.
    pub fn live_children(&self) -> usize {
        self.signal().lock().children.len()
    }

    /// The deadline, if this context or an ancestor has one.
    pub fn deadline(&self) -> Option<Instant> {
        self.node.deadline
    }

    // ANCHOR: wait
    /// Blocks until the context ends, and says why.
    pub fn wait(&self) -> Reason {
        let signal = self.signal();
        let mut state = signal.lock();
        loop {
            if let Some(reason) = state.reason {
                return reason;
            }
            let now = Instant::now();
            let timeout = match self.node.deadline {
                Some(deadline) if now >= deadline => {
                    drop(state);
                    self.cancel(Reason::DeadlineExceeded);
                    return self.err().unwrap_or(Reason::DeadlineExceeded);
                }
                Some(deadline) => Some(deadline - now),
                None => None,
            };
            // Counted while asleep, so that `cancel` knows to wake us. Sleeps until cancelled,
            // or until the deadline; then the loop looks again (a wake-up may be spurious).
            state.waiters += 1;
            state = match timeout {
                None => signal
                    .cancelled
                    .wait(state)
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
                Some(timeout) => {
                    signal
                        .cancelled
                        .wait_timeout(state, timeout)
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .0
                }
            };
            state.waiters -= 1;
        }
    }
    // ANCHOR_END: wait

    // ANCHOR: done
    /// A channel that closes when the context is cancelled (Go's `ctx.Done()`), for
    /// `crossbeam_channel::select!`. It does not close at the deadline by itself: add the arm
    /// `recv(ctx.deadline_timer())` (see the module documentation).
    pub fn done(&self) -> Receiver<Never> {
        let mut state = self.signal().lock();
        if let Some(receiver) = &state.done_receiver {
            return receiver.clone();
        }
        let (sender, receiver) = crossbeam_channel::bounded(0);
        if state.reason.is_none() {
            state.done_sender = Some(sender); // otherwise dropped here: closed at once
        }
        state.done_receiver = Some(receiver.clone());
        receiver
    }

    /// A channel that delivers once, at the deadline; never, without one.
    pub fn deadline_timer(&self) -> Receiver<Instant> {
        match self.node.deadline {
            Some(deadline) => crossbeam_channel::at(deadline),
            None => crossbeam_channel::never(),
        }
    }
    // ANCHOR_END: done

    /// The value stored under `key` by this context or the nearest ancestor that has one, if it
    /// is a `T` (Go's `ctx.Value(key)`).
    pub fn value<T: Any>(&self, key: &str) -> Option<&T> {
        let mut node = &*self.node;
        loop {
            if let Some((name, value)) = &node.value {
                if *name == key {
                    return value.downcast_ref();
                }
            }
            node = &node.parent.as_ref()?.node;
        }
    }
}

// ANCHOR: cancel_handle
/// Ends its context: by [`cancel`](Cancel::cancel), or when dropped (Go's `defer cancel()`).
#[must_use = "dropping a Cancel cancels its context at once"]
pub struct Cancel {
    context: Context,
}

impl Cancel {
    /// Cancels the context, its children, and theirs.
    pub fn cancel(self) {
        // Drop does it.
    }
}

impl Cancel {
    /// The broken twin of [`cancel`](Cancel::cancel): wakes one waiter, not all of them.
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn cancel_waking_one_broken(self) {
        self.context
            .cancel_and_wake(Reason::Cancelled, Condvar::notify_one, true);
    }

    /// The broken twin of [`cancel`](Cancel::cancel): the context stays in its parent's list.
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn cancel_staying_listed_broken(self) {
        self.context
            .cancel_and_wake(Reason::Cancelled, Condvar::notify_all, false);
    }
}

impl Drop for Cancel {
    fn drop(&mut self) {
        self.context.cancel(Reason::Cancelled);
    }
}
// ANCHOR_END: cancel_handle
