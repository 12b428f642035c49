//! The command line of chapters 9 and 10: where to listen, how big, how fast.
//!
//! Chapter 0's `--addr` and `--help` (see `http_loop::cli`), with the flags a server that
//! limits its clients needs. Chapter 10 adds its own through [`Options::parse_with`], so the
//! two chapters read one command line one way.

use ch02_worker_pool::PoolSize;
use ch05_job_status::StoreConfig;
use http_loop::cli;
use lexopt::ValueExt;
use std::net::{IpAddr, SocketAddr};

/// What the command line asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Where to listen.
    pub addr: SocketAddr,
    /// Requests a second each client may make, on average.
    pub rate: u32,
    /// Requests a client may make at once.
    pub burst: u32,
    /// The most clients the limiter tracks at once.
    pub max_clients: usize,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<IpAddr>,
    /// Expensive jobs (primes, wordfreq) running at once.
    pub expensive: usize,
    /// Job workers.
    pub workers: usize,
    /// Jobs waiting for a worker, at most.
    pub queue: usize,
    /// Jobs the store holds, finished or not.
    pub store: usize,
}

impl Default for Options {
    fn default() -> Self {
        let pool = PoolSize::default();
        Options {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            rate: 100,
            burst: 200,
            max_clients: 65_536,
            trusted_proxies: Vec::new(),
            expensive: pool.workers,
            workers: pool.workers,
            queue: ch05_job_status::JOB_QUEUE,
            store: StoreConfig::default().capacity,
        }
    }
}

/// The flags [`Options`] reads, for `--help`.
pub const USAGE: &str = "  --addr HOST:PORT        where to listen (default 127.0.0.1:8080)
  --rate N                requests a second per client, on average (default 100)
  --burst N               requests a client may make at once (default 200)
  --max-clients N         clients the limiter tracks at once (default 65536, at most 10^7)
  --trusted-proxy IP      believe X-Forwarded-For from this proxy (repeatable)
  --expensive N           expensive jobs (primes, wordfreq) running at once (default: cores,
                          at most 1024)
  --workers N             job workers (default: cores, at most 1024)
  --queue N               jobs waiting for a worker, at most (default 1024, at most 10^6)
  --store N               jobs remembered, finished or not (default 1146880, at most 10^7)
  --help                  this text";

impl Options {
    /// Parses the process's arguments, with `extra` for a later chapter's flags and
    /// `extra_usage` for their lines in `--help`. On `--help` prints `about` and the usage
    /// and exits 0; on a bad argument prints the problem and exits 2.
    pub fn from_env_with(
        about: &str,
        extra_usage: &str,
        extra: impl FnMut(&str, &mut lexopt::Parser) -> Result<bool, lexopt::Error>,
    ) -> Options {
        match Options::parse_with(std::env::args_os().skip(1), extra) {
            Ok(Some(options)) => options,
            Ok(None) => {
                println!("{about}\n\nflags:\n{extra_usage}{USAGE}");
                std::process::exit(0);
            }
            Err(error) => {
                eprintln!("error: {error}");
                std::process::exit(2);
            }
        }
    }

    /// Parses `args` (without the program name). `Ok(None)`: help was asked for.
    ///
    /// # Errors
    ///
    /// An unknown flag, a missing value, or one that does not parse.
    pub fn parse(
        args: impl IntoIterator<Item = std::ffi::OsString>,
    ) -> Result<Option<Options>, lexopt::Error> {
        Options::parse_with(args, |_, _| Ok(false))
    }

    /// Like [`parse`](Self::parse), with `extra` offered every flag these options do not know
    /// (its name, and the parser to read its value from); it returns whether it took it.
    ///
    /// # Errors
    ///
    /// As [`parse`](Self::parse), or `extra`'s.
    pub fn parse_with(
        args: impl IntoIterator<Item = std::ffi::OsString>,
        mut extra: impl FnMut(&str, &mut lexopt::Parser) -> Result<bool, lexopt::Error>,
    ) -> Result<Option<Options>, lexopt::Error> {
        let mut options = Options::default();
        let mut parser = lexopt::Parser::from_args(args);
        while let Some(arg) = parser.next()? {
            let flag = match arg {
                lexopt::Arg::Long(name) => name.to_owned(),
                lexopt::Arg::Short('h') => "help".to_owned(),
                other => return Err(other.unexpected()),
            };
            // A later chapter's flags are asked first: it may give one of these a wider
            // meaning (chapter 10's `--store` also takes a Redis URL).
            if flag != "help" && extra(&flag, &mut parser)? {
                continue;
            }
            match flag.as_str() {
                "help" => return Ok(None),
                "addr" => options.addr = cli::resolve(&parser.value()?.string()?)?,
                "rate" => options.rate = positive(&flag, &mut parser)?,
                "burst" => options.burst = positive(&flag, &mut parser)?,
                "max-clients" => options.max_clients = bounded(&flag, &mut parser, 10_000_000)?,
                "trusted-proxy" => {
                    let ip = parser.value()?.string()?;
                    let ip = ip
                        .parse()
                        .map_err(|_| format!("--trusted-proxy {ip:?}: not an IP address"))?;
                    options.trusted_proxies.push(ip);
                }
                "expensive" => options.expensive = bounded(&flag, &mut parser, 1024)?,
                "workers" => options.workers = bounded(&flag, &mut parser, 1024)?,
                "queue" => options.queue = bounded(&flag, &mut parser, 1_000_000)?,
                "store" => options.store = bounded(&flag, &mut parser, MAX_STORE)?,
                _ => return Err(format!("unknown flag --{flag} (try --help)").into()),
            }
        }
        Ok(Some(options))
    }

    /// The job pool's size.
    pub fn pool(&self) -> PoolSize {
        PoolSize {
            workers: self.workers,
            queue: self.queue,
        }
    }

    /// The store's configuration.
    pub fn store_config(&self) -> StoreConfig {
        StoreConfig {
            capacity: self.store,
            ..StoreConfig::default()
        }
    }
}

/// A whole number of at least 1.
fn positive<T: std::str::FromStr + PartialOrd + From<u8>>(
    flag: &str,
    parser: &mut lexopt::Parser,
) -> Result<T, lexopt::Error> {
    let text = parser.value()?.string()?;
    match text.parse::<T>() {
        Ok(value) if value >= T::from(1) => Ok(value),
        _ => Err(format!("--{flag} {text:?}: expected a whole number of at least 1").into()),
    }
}

/// A whole number from 1 to `max`: the sizes allocate up front (a queue, a store's maps, a
/// thread per worker), and a typo of a few digits must be an error, not an abort.
fn bounded(flag: &str, parser: &mut lexopt::Parser, max: usize) -> Result<usize, lexopt::Error> {
    bounded_text(flag, &parser.value()?.string()?, max)
}

/// `--store N`'s most: ten million jobs.
pub const MAX_STORE: usize = 10_000_000;

/// `text`, the value of `--flag`, as a whole number from 1 to `max`.
///
/// # Errors
///
/// The message naming the flag, when it is not one.
pub fn bounded_text(flag: &str, text: &str, max: usize) -> Result<usize, lexopt::Error> {
    let value = match text.parse::<usize>() {
        Ok(value) if value >= 1 => value,
        _ => {
            return Err(format!("--{flag} {text:?}: expected a whole number of at least 1").into());
        }
    };
    if value > max {
        return Err(format!("--{flag} {value}: at most {max}").into());
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<Options>, lexopt::Error> {
        Options::parse(args.iter().map(Into::into))
    }

    #[test]
    fn every_flag_is_read_and_bad_values_are_named() {
        let options = parse(&[
            "--addr",
            "127.0.0.1:0",
            "--rate",
            "5",
            "--burst",
            "7",
            "--max-clients",
            "9",
            "--trusted-proxy",
            "10.0.0.1",
            "--expensive",
            "1",
            "--workers",
            "3",
            "--queue",
            "4",
            "--store",
            "100",
        ])
        .expect("valid")
        .expect("not help");
        assert_eq!(options.addr.port(), 0);
        assert_eq!(
            (options.rate, options.burst, options.max_clients),
            (5, 7, 9)
        );
        assert_eq!(options.trusted_proxies, vec![IpAddr::from([10, 0, 0, 1])]);
        assert_eq!(
            (
                options.expensive,
                options.workers,
                options.queue,
                options.store
            ),
            (1, 3, 4, 100)
        );
        assert!(parse(&["--help"]).expect("valid").is_none());
        for bad in [
            &["--rate", "0"][..],
            &["--burst", "-1"],
            &["--trusted-proxy", "proxy"],
            &["--drain", "5s"],
            &["--queue", "18446744073709551615"],
            &["--store", "4000000000"],
        ] {
            let error = parse(bad).expect_err("refused").to_string();
            assert!(error.contains(bad[0].trim_start_matches('-')), "{error}");
        }
    }

    #[test]
    fn a_later_chapter_adds_its_own_flags() {
        let mut drain = None;
        let args = ["--drain", "5s", "--rate", "2"].map(Into::into);
        let options = Options::parse_with(args, |flag, parser| {
            if flag != "drain" {
                return Ok(false);
            }
            drain = Some(parser.value()?.string()?);
            Ok(true)
        });
        assert_eq!(options.expect("valid").expect("not help").rate, 2);
        assert_eq!(drain.as_deref(), Some("5s"));
    }
}
