//! The synchronization types every hand-written primitive in this project is built from.
//!
//! Normally this crate re-exports `std::sync` and `std::thread`. Built with
//! `RUSTFLAGS="--cfg loom"`, it re-exports loom's versions instead, so the *same* source of a
//! primitive (the answer hand-back, the worker pool's queue, the context's cancellation …) runs
//! under loom's model checker, which explores every interleaving of its threads.
//!
//! Use it in place of `std::sync` in any code you want loom to check:
//!
//! ```
//! use sync_shim::{Arc, Mutex};
//! let shared = Arc::new(Mutex::new(0));
//! *shared.lock().expect("not poisoned") += 1;
//! ```
//!
//! Code that only *uses* a checked primitive (a server, a test helper) keeps using `std`.
//!
//! The [`model`] module (only under `--cfg loom`) holds what the loom tests share: a model
//! runner with the project's bounds, and the check that a deliberately broken variant fails.

#[cfg(not(loom))]
pub use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
#[cfg(not(loom))]
pub use std::thread;

#[cfg(loom)]
pub use loom::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
#[cfg(loom)]
pub use loom::thread;

/// Atomics: `std::sync::atomic`, or loom's under `--cfg loom`.
pub mod atomic {
    #[cfg(not(loom))]
    pub use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

    #[cfg(loom)]
    pub use loom::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
}

#[cfg(loom)]
pub mod model;
