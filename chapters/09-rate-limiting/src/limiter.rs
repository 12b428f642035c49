//! A token bucket per client, in a table that cannot grow without bound.
//!
//! Every request asks [`Limiter::check`] with its client's address. The table maps addresses
//! to buckets under one mutex: a check is a hash lookup and a few additions, so the lock is
//! held for well under a microsecond — except during a sweep of a full table, which walks it.
//! (Today one event-loop thread calls it; the limiter is shared state all the same — `Sync`,
//! behind an `Arc` — and correct from any number of threads, which its loom models check.)
//!
//! **The bound.** A client that sends one request costs a bucket. A flood from many
//! addresses — a botnet, or one host with a /64 of IPv6 — must not grow the table without
//! limit. Two rules keep it at `max_clients`:
//!
//! - *A full bucket is no bucket.* A bucket that has refilled to its burst is exactly what a
//!   new client would get, so dropping it changes no answer. When the table is full, a sweep
//!   drops every full bucket.
//! - *A sweep is never wasted.* If nothing was full, nothing will be until the earliest
//!   bucket's `full_at`: the sweep remembers that time, and until it comes a new client is
//!   refused at once (503 `too_many_clients`, with `Retry-After`) instead of paying for a
//!   sweep that would free nothing. Known clients are served as always.

use crate::clock::{Clock, SystemClock};
use crate::token_bucket::{Bucket, Rate, Take};
use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;
use sync_shim::{Mutex, MutexGuard};

/// The answer for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Allowed {
        /// Whole tokens the client has left.
        remaining: u32,
    },
    /// Over the client's limit: 429.
    Limited {
        /// Until the client's next token.
        retry_in: Duration,
    },
    /// A client the table has no room for: 503.
    TableFull {
        /// Until a bucket will have refilled and can make room.
        retry_in: Duration,
    },
}

// ANCHOR: limiter
/// Token buckets by client address.
pub struct Limiter<C = SystemClock> {
    rate: Rate,
    max_clients: usize,
    clock: C,
    table: Mutex<Table>,
}

struct Table {
    buckets: HashMap<IpAddr, Bucket>,
    /// No sweep before this time: the last one found nothing full, and nothing will be sooner.
    next_sweep_ns: u64,
}
// ANCHOR_END: limiter

impl Limiter<SystemClock> {
    /// A limiter on the system clock.
    pub fn new(rate: Rate, max_clients: usize) -> Limiter {
        Limiter::with_clock(rate, max_clients, SystemClock::default())
    }
}

impl<C: Clock> Limiter<C> {
    /// A limiter on `clock`: a [`ManualClock`](crate::ManualClock) in tests.
    pub fn with_clock(rate: Rate, max_clients: usize, clock: C) -> Limiter<C> {
        Limiter {
            rate,
            max_clients: max_clients.max(1),
            clock,
            table: Mutex::new(Table {
                buckets: HashMap::new(),
                next_sweep_ns: 0,
            }),
        }
    }

    /// The rate every client gets.
    pub fn rate(&self) -> Rate {
        self.rate
    }

    // ANCHOR: check
    /// Takes a token from `client`'s bucket, or says why not. The look at the bucket and the
    /// taking are one step under the table's lock: two requests can never both take the last
    /// token (the loom model's point, and its broken twin's failure).
    pub fn check(&self, client: IpAddr) -> Decision {
        let now = self.clock.now_ns(); // read before the lock: the lock is held for the table only
        let mut table = self.lock();
        if let Some(bucket) = table.buckets.get_mut(&client) {
            return decide(bucket.try_take(self.rate, now));
        }
        if table.buckets.len() >= self.max_clients && !table.sweep(self.rate, now, self.max_clients)
        {
            let retry_in = table.next_sweep_ns.saturating_sub(now);
            return Decision::TableFull {
                retry_in: Duration::from_nanos(retry_in),
            };
        }
        let mut bucket = Bucket::full(self.rate, now);
        let taken = bucket.try_take(self.rate, now);
        table.buckets.insert(client, bucket);
        decide(taken)
    }
    // ANCHOR_END: check

    // ANCHOR: broken
    /// The broken twin of [`check`](Self::check): looks under one lock, takes under the next.
    /// Two requests can both see the last token and both take it.
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn check_then_take_broken(&self, client: IpAddr) -> Decision {
        let now = self.clock.now_ns();
        let has_token = {
            let mut table = self.lock();
            let rate = self.rate;
            let bucket = table
                .buckets
                .entry(client)
                .or_insert_with(|| Bucket::full(rate, now));
            bucket.has_token(rate, now)
        }; // the lock is released here: the mistake
        if !has_token {
            return Decision::Limited {
                retry_in: self.rate.interval(),
            };
        }
        if let Some(bucket) = self.lock().buckets.get_mut(&client) {
            bucket.spend_unchecked(self.rate);
        }
        Decision::Allowed { remaining: 0 }
    }
    // ANCHOR_END: broken

    /// How many clients the table holds.
    pub fn clients(&self) -> usize {
        self.lock().buckets.len()
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        // Nothing panics under the lock (a hash-map insert aside, on allocation failure, which
        // aborts): a poisoned lock still guards a consistent table.
        self.table
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

// ANCHOR: sweep
impl Table {
    /// Makes room by dropping every full bucket — at most once until a bucket can have
    /// filled. Returns whether there is room for one more client now.
    fn sweep(&mut self, rate: Rate, now: u64, max_clients: usize) -> bool {
        if now < self.next_sweep_ns {
            return false;
        }
        self.buckets
            .retain(|_, bucket| bucket.full_at_ns(rate) > now);
        if self.buckets.len() < max_clients {
            return true;
        }
        // Nothing was full, so nothing will be before the earliest bucket fills.
        let earliest = self.buckets.values().map(|b| b.full_at_ns(rate)).min();
        self.next_sweep_ns = earliest.unwrap_or(now);
        false
    }
}
// ANCHOR_END: sweep

fn decide(take: Take) -> Decision {
    match take {
        Take::Taken { remaining, .. } => Decision::Allowed { remaining },
        Take::Refused { retry_in } => Decision::Limited { retry_in },
    }
}
