//! Chapter 10's flags, beside chapter 9's: how long a drain may take, and how much to log.

use crate::shutdown::DEFAULT_DRAIN;
use ch09_rate_limiting::Options;
use lexopt::ValueExt;
use log::LevelFilter;
use std::time::Duration;

/// Chapter 10's lines of `--help`.
pub const USAGE: &str =
    "  --drain DURATION        on SIGINT/SIGTERM, how long jobs may take to finish before they
                          are cancelled, e.g. 30s or 500ms (default 30s)
  --log LEVEL             error, warn, info, debug or trace (default: $LOG, else info)
";

/// What the command line asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerOptions {
    /// Chapter 9's options: address, limits, sizes.
    pub options: Options,
    /// The drain deadline.
    pub drain: Duration,
    /// The log level, if the command line set one.
    pub log: Option<LevelFilter>,
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
        let (mut drain, mut log) = (DEFAULT_DRAIN, None);
        let options = Options::parse_with(args, |flag, parser| {
            read(flag, parser, &mut drain, &mut log)
        })?;
        Ok(options.map(|options| ServerOptions {
            options,
            drain,
            log,
        }))
    }

    /// Parses the process's arguments; prints help (exit 0) or the problem (exit 2).
    pub fn from_env(about: &str) -> ServerOptions {
        let (mut drain, mut log) = (DEFAULT_DRAIN, None);
        let options = Options::from_env_with(about, USAGE, |flag, parser| {
            read(flag, parser, &mut drain, &mut log)
        });
        ServerOptions {
            options,
            drain,
            log,
        }
    }
}

fn read(
    flag: &str,
    parser: &mut lexopt::Parser,
    drain: &mut Duration,
    log: &mut Option<LevelFilter>,
) -> Result<bool, lexopt::Error> {
    match flag {
        "drain" => {
            let text = parser.value()?.string()?;
            *drain = duration(&text)
                .ok_or_else(|| format!("--drain {text:?}: expected e.g. 30s or 500ms"))?;
        }
        "log" => {
            let text = parser.value()?.string()?;
            let level = text.parse().map_err(|_| {
                format!("--log {text:?}: expected error, warn, info, debug or trace")
            })?;
            *log = Some(level);
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
}
