//! The complete job server's store and queue on a shared Redis, so that several identical
//! servers share one set of jobs — the shape of Sidekiq, BullMQ or Celery.
//!
//! | file | what it holds |
//! |---|---|
//! | `lua/*.lua` | the four status moves, each one atomic script: submit, start, finish, cancel |
//! | `keys.rs` | the keys' names, and the scripts loaded |
//! | `jobs.rs` | [`RedisJobs`]: the connections, the threads, what the server's routes and drain ask of it |
//! | `api.rs` | the job API's four routes, their round trips made off the event loop |
//! | `worker.rs` | a job worker: read the stream as one consumer of the group, start, run, finish |
//! | `listener.rs` | the pub/sub listener: a job ended elsewhere — cancel it here, answer its long polls |
//! | `waiters.rs` | the long polls this server holds, by job |
//! | `keeper.rs` | refreshes this server's running entries, and measures Redis for `/ready` and `/metrics` |
//! | `backoff.rs` | the wait after a failure: 50 ms, doubling to a second |
//! | `health.rs` | what the keeper found, and the 503 a lost Redis answers |
//! | `connections.rs` | a few connections, reused; on a failure, dropped with the idle ones, so the next call reconnects |
//!
//! Two protocols between this server's threads hang on an end that Redis announces after the
//! status change: a long poll kept before its caller looks (`api::park_with`), and a job
//! registered before its start (`worker::start_registered`), both met by the listener
//! (`listener::ended_with`). `tests/loom.rs` model-checks them, each with a broken twin.
//!
//! Delivery is at least once: a job whose server dies while running it is claimed by another
//! server once its stream entry has gone unrefreshed for `claim_idle`, and runs again there.

pub mod api;
pub mod backoff;
pub mod config;
pub mod connections;
pub mod health;
pub mod jobs;
pub mod keeper;
pub mod keys;
pub mod listener;
pub mod waiters;
pub mod worker;

pub use config::RedisConfig;
pub use health::BackendStatus;
pub use jobs::RedisJobs;
