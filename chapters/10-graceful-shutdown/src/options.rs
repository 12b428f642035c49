//! Chapter 10's flags, beside chapter 9's: how long a drain may take, how much to log, and
//! where the jobs are kept.

use crate::shutdown::DEFAULT_DRAIN;
use ch09_rate_limiting::Options;
use ch09_rate_limiting::options::{MAX_STORE, bounded_text};
use lexopt::ValueExt;
use log::LevelFilter;
use std::time::Duration;

/// Chapter 10's lines of `--help`.
pub const USAGE: &str =
    "  --drain DURATION        on SIGINT/SIGTERM, how long jobs may take to finish before they
                          are cancelled, e.g. 30s or 500ms (default 30s)
  --log LEVEL             error, warn, info, debug or trace (default: $LOG, else info)
  --store redis://HOST:PORT
                          keep the jobs on a Redis, shared with every server given the same
                          URL, instead of in this process (--store N, below)
  --claim-idle DURATION   with --store redis://…: how long a running job may go unrefreshed
                          (its server dead) before another server runs it again (default 30s)
";

/// The `--claim-idle` default: a server refreshes its running jobs every third of it, so a
/// live server is never taken for dead unless Redis itself was away that long.
pub const DEFAULT_CLAIM_IDLE: Duration = Duration::from_secs(30);

/// Where the jobs are kept (`--store`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum StoreChoice {
    /// In this process: chapter 5's store and chapter 2's pool.
    #[default]
    Memory,
    /// On the Redis at `url`, shared with every server given the same.
    Redis {
        /// `redis://HOST:PORT`.
        url: String,
        /// After how long unrefreshed a running job is claimed by another server.
        claim_idle: Duration,
    },
}

/// What the command line asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerOptions {
    /// Chapter 9's options: address, limits, sizes.
    pub options: Options,
    /// The drain deadline.
    pub drain: Duration,
    /// The log level, if the command line set one.
    pub log: Option<LevelFilter>,
    /// Where the jobs are kept.
    pub store: StoreChoice,
}

/// The flags of this chapter, as they are read.
#[derive(Default)]
struct Flags {
    drain: Option<Duration>,
    log: Option<LevelFilter>,
    redis: Option<String>,
    /// `--store N`: chapter 9's flag, which `--store` still is when given a number.
    capacity: Option<usize>,
    claim_idle: Option<Duration>,
}

impl Flags {
    fn into_options(self, mut options: Options) -> Result<ServerOptions, lexopt::Error> {
        if let Some(capacity) = self.capacity {
            options.store = capacity;
        }
        let store = match self.redis {
            None => StoreChoice::Memory,
            Some(url) => StoreChoice::Redis {
                url,
                claim_idle: self.claim_idle.unwrap_or(DEFAULT_CLAIM_IDLE),
            },
        };
        if self.claim_idle.is_some() && store == StoreChoice::Memory {
            return Err(
                "--claim-idle is for --store redis://…: one process has no one to claim from"
                    .into(),
            );
        }
        Ok(ServerOptions {
            options,
            drain: self.drain.unwrap_or(DEFAULT_DRAIN),
            log: self.log,
            store,
        })
    }
}

impl ServerOptions {
    /// Parses `args` (without the program name). `Ok(None)`: help was asked for.
    ///
    /// # Errors
    ///
    /// An unknown flag, or a value that does not parse.
    pub fn parse(
        args: impl IntoIterator<Item = std::ffi::OsString>,
    ) -> Result<Option<ServerOptions>, lexopt::Error> {
        let mut flags = Flags::default();
        let options = Options::parse_with(args, |flag, parser| read(flag, parser, &mut flags))?;
        options
            .map(|options| flags.into_options(options))
            .transpose()
    }

    /// Parses the process's arguments; prints help (exit 0) or the problem (exit 2).
    pub fn from_env(about: &str) -> ServerOptions {
        let mut flags = Flags::default();
        let options =
            Options::from_env_with(about, USAGE, |flag, parser| read(flag, parser, &mut flags));
        flags.into_options(options).unwrap_or_else(|error| {
            eprintln!("error: {error}");
            std::process::exit(2);
        })
    }
}

fn read(flag: &str, parser: &mut lexopt::Parser, flags: &mut Flags) -> Result<bool, lexopt::Error> {
    let mut duration_of = |name: &str| -> Result<Duration, lexopt::Error> {
        let text = parser.value()?.string()?;
        Ok(duration(&text)
            .ok_or_else(|| format!("--{name} {text:?}: expected e.g. 30s or 500ms"))?)
    };
    match flag {
        "drain" => flags.drain = Some(duration_of("drain")?),
        "claim-idle" => {
            let idle = duration_of("claim-idle")?;
            if idle < Duration::from_millis(300) {
                return Err(
                    "--claim-idle: at least 300ms (a live server refreshes every third of it)"
                        .into(),
                );
            }
            flags.claim_idle = Some(idle);
        }
        "log" => {
            let text = parser.value()?.string()?;
            let level = text.parse().map_err(|_| {
                format!("--log {text:?}: expected error, warn, info, debug or trace")
            })?;
            flags.log = Some(level);
        }
        "store" => {
            let text = parser.value()?.string()?;
            if text.starts_with("redis://") {
                flags.redis = Some(text);
            } else if text.bytes().all(|byte| byte.is_ascii_digit()) {
                flags.capacity = Some(bounded_text("store", &text, MAX_STORE)?);
            } else {
                return Err(format!(
                    "--store {text:?}: expected a number of jobs, or redis://HOST:PORT"
                )
                .into());
            }
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// `30s` or `500ms`: digits and a unit, nothing else.
pub fn duration(text: &str) -> Option<Duration> {
    let (digits, unit) = match text.strip_suffix("ms") {
        Some(digits) => (digits, Duration::from_millis(1)),
        None => (text.strip_suffix('s')?, Duration::from_secs(1)),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    unit.checked_mul(digits.parse().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drain_and_log_are_read_beside_chapter_9s_flags() {
        let args = ["--drain", "5s", "--log", "debug", "--rate", "7"].map(Into::into);
        let parsed = ServerOptions::parse(args)
            .expect("valid")
            .expect("not help");
        assert_eq!(parsed.drain, Duration::from_secs(5));
        assert_eq!(parsed.log, Some(LevelFilter::Debug));
        assert_eq!(parsed.options.rate, 7);
        for bad in [["--drain", "5"], ["--drain", "-1s"], ["--log", "loud"]] {
            assert!(
                ServerOptions::parse(bad.map(Into::into)).is_err(),
                "{bad:?}"
            );
        }
        assert_eq!(duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(duration("+1s"), None);
    }

    #[test]
    fn the_store_is_memory_unless_a_redis_url_is_given() {
        let parse = |args: &[&str]| ServerOptions::parse(args.iter().map(Into::into));
        let memory = parse(&["--store", "5000"])
            .expect("valid")
            .expect("not help");
        assert_eq!(memory.store, StoreChoice::Memory);
        assert_eq!(
            memory.options.store, 5000,
            "chapter 9's --store N still holds"
        );
        let shared = parse(&["--store", "redis://127.0.0.1:6379", "--claim-idle", "2s"])
            .expect("valid")
            .expect("not help");
        assert_eq!(
            shared.store,
            StoreChoice::Redis {
                url: "redis://127.0.0.1:6379".to_owned(),
                claim_idle: Duration::from_secs(2),
            }
        );
        for bad in [
            &["--store", "postgres://db"][..],
            &["--store", "0"],
            &["--claim-idle", "2s"],
            &["--store", "redis://h:1", "--claim-idle", "10ms"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
