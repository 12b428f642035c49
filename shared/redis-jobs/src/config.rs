//! What a server needs to know to share a Redis with others: where it is, what to call the
//! keys, and the few durations that make delivery at-least-once.

use std::time::Duration;

/// A TTL, a bound or a duration, chosen at start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedisConfig {
    /// `redis://HOST:PORT` (a database number may follow: `redis://HOST:PORT/2`).
    pub url: String,
    /// What every key starts with: servers that share a prefix share their jobs.
    pub prefix: String,
    /// This server's name in the consumer group: unique per process, so a restarted server
    /// does not inherit the entries of the one before it (they are claimed like any other).
    pub consumer: String,
    /// Job workers of this server: the jobs it runs at once.
    pub workers: usize,
    /// Jobs that may wait for a worker, across every server: past it, `POST /jobs` is a 503.
    pub max_queued: usize,
    /// How long a finished job (and its idempotency key) is kept.
    pub ttl: Duration,
    /// How long a running job's entry may go unrefreshed before another server claims it.
    /// Each server refreshes its own running entries every third of `claim_idle` or sooner,
    /// so an entry of a live server is rarely idle for more than half of it.
    pub claim_idle: Duration,
    /// Threads that make the HTTP side's round trips, off the event loop.
    pub callers: usize,
    /// Requests that may wait for a caller: past it, a 503.
    pub call_queue: usize,
}

/// How long an idempotency key is kept while its job has not finished (then, its job's TTL).
pub const KEY_KEPT_WHILE_UNFINISHED: Duration = Duration::from_secs(24 * 3600);

/// The connect, read and write timeout of every connection: past it, Redis counts as lost.
pub const IO_TIMEOUT: Duration = Duration::from_secs(2);

impl RedisConfig {
    /// The defaults for `url`: prefix `jobs`, a random consumer name, 2 workers, 1,024 queued,
    /// a 10-minute TTL (the in-memory store's), claimed after 30 s.
    ///
    /// # Errors
    ///
    /// When the operating system gives no randomness for the consumer's name.
    pub fn new(url: &str) -> Result<RedisConfig, getrandom::Error> {
        Ok(RedisConfig {
            url: url.to_owned(),
            prefix: "jobs".to_owned(),
            consumer: consumer_name()?,
            workers: 2,
            max_queued: 1024,
            ttl: Duration::from_secs(600),
            claim_idle: Duration::from_secs(30),
            callers: 8,
            call_queue: 1024,
        })
    }
}

/// `server-<pid>-<8 hex digits>`: the pid for a person reading `XINFO CONSUMERS`, the
/// random part because pids repeat across machines and restarts.
fn consumer_name() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes)?;
    Ok(format!(
        "server-{}-{:08x}",
        std::process::id(),
        u32::from_be_bytes(bytes)
    ))
}
