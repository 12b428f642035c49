//! The names of the keys, the four Lua scripts that change a job's status, and the keeper's. Each script
//! runs atomically in Redis: no other command runs between its reads and its writes, which
//! is what the in-memory store's write lock gave (chapter 5).

use ch05_job_status::JobId;
use redis::Script;

// ANCHOR: keys
/// The keys of one deployment, all under one prefix.
#[derive(Debug)]
pub struct Keys {
    prefix: String,
    /// The stream of submitted jobs' ids.
    pub stream: String,
    /// The consumer group every server reads the stream in.
    pub group: &'static str,
    /// How many jobs wait, not yet started: the queue's bound is checked against it.
    pub queued: String,
    /// The pub/sub channel on which a job's end is announced to every server.
    pub ended: String,
}

impl Keys {
    /// The keys under `prefix`.
    pub fn new(prefix: &str) -> Keys {
        Keys {
            prefix: prefix.to_owned(),
            stream: format!("{prefix}:stream"),
            group: "workers",
            queued: format!("{prefix}:queued"),
            ended: format!("{prefix}:ended"),
        }
    }

    /// The hash that holds job `id`.
    pub fn job(&self, id: JobId) -> String {
        format!("{}:job:{id}", self.prefix)
    }

    /// The key a client's `Idempotency-Key` is kept under.
    pub fn idempotency(&self, key: &str) -> String {
        format!("{}:idempotency:{key}", self.prefix)
    }
}
// ANCHOR_END: keys

/// The scripts, loaded once; `invoke` sends `EVALSHA`, and the script itself only when Redis
/// does not know it (after a restart, say).
pub struct Scripts {
    /// `POST /jobs`.
    pub submit: Script,
    /// A worker takes a job.
    pub start: Script,
    /// A worker's job ended.
    pub finish: Script,
    /// `DELETE /jobs/{id}`, and the drain's deadline.
    pub cancel: Script,
    /// The keeper: this server's running entries, kept fresh.
    pub refresh: Script,
}

impl Default for Scripts {
    fn default() -> Scripts {
        Scripts {
            submit: Script::new(include_str!("lua/submit.lua")),
            start: Script::new(include_str!("lua/start.lua")),
            finish: Script::new(include_str!("lua/finish.lua")),
            cancel: Script::new(include_str!("lua/cancel.lua")),
            refresh: Script::new(include_str!("lua/refresh.lua")),
        }
    }
}
