//! Chapter 2: a worker pool — a fixed number of threads reading jobs from a bounded queue.
//!
//! Chapter 1 started a thread for every request: fine for ten requests, ruinous for ten
//! thousand. Here `/primes` requests become `PrimesJob`s in a bounded queue, and a fixed number
//! of workers take them one by one. When the queue is full, the server answers 503 with
//! `Retry-After` at once: the event loop never waits and no thread is ever added.
//!
//! | file | what it shows |
//! |---|---|
//! | `bounded_queue.rs` | Go's buffered channel by hand: a `VecDeque`, a `Mutex`, a `Condvar`, and `close` (loom-checked) |
//! | `pool.rs` | the pool: named workers, `try_submit` that never waits, `stage` and `hand_over` for a turn's jobs at once, shutdown that runs the queue and joins |
//! | `app.rs` | chapter 1's routes with `/primes` on the pool, and the 503 |
//! | `examples/worker_pool.rs` | the pool without HTTP |
//! | `benches/burst.rs` | thread per request against the pool, under a burst of slow requests |

mod app;
pub mod bounded_queue;
pub mod pool;

pub use app::{PoolSize, PrimesJob, PrimesPool, primes_pool, router};
pub use bounded_queue::{BoundedQueue, Closed, PushError};
pub use pool::{Rejected, WorkerPool};
