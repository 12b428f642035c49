//! The command line every chapter's server shares: `--addr HOST:PORT` and `--help`.
//!
//! Parsed with `lexopt`, a parser with no dependencies and no macros: a chapter that needs more
//! flags can read them the same way.

use crate::server::RunningServer;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;

/// The address a chapter's server listens on unless told otherwise.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// What the command line asked for.
#[derive(Debug, PartialEq, Eq)]
pub struct Args {
    /// Where to listen.
    pub addr: SocketAddr,
}

impl Args {
    /// Parses the process's arguments. On `--help` prints `about` and usage and exits 0; on a bad
    /// argument prints the problem and exits 2.
    pub fn from_env(about: &str) -> Args {
        match Args::parse(std::env::args_os().skip(1)) {
            Ok(Some(args)) => args,
            Ok(None) => {
                println!(
                    "{about}\n\nusage: {} [--addr HOST:PORT]   (default {DEFAULT_ADDR}; a host \
                     name listens on the first address it resolves to)",
                    program()
                );
                std::process::exit(0);
            }
            Err(error) => {
                eprintln!("error: {error}\nusage: {} [--addr HOST:PORT]", program());
                std::process::exit(2);
            }
        }
    }

    /// Parses `args` (without the program name). `Ok(None)` means help was asked for.
    ///
    /// # Errors
    ///
    /// An unknown flag, a missing value, or an address that does not parse.
    pub fn parse(
        args: impl IntoIterator<Item = std::ffi::OsString>,
    ) -> Result<Option<Args>, lexopt::Error> {
        use lexopt::prelude::*;
        let mut addr: SocketAddr = DEFAULT_ADDR.parse().map_err(|_| "bad default")?;
        let mut parser = lexopt::Parser::from_args(args);
        while let Some(arg) = parser.next()? {
            match arg {
                Short('a') | Long("addr") => addr = resolve(&parser.value()?.string()?)?,
                Short('h') | Long("help") => return Ok(None),
                _ => return Err(arg.unexpected()),
            }
        }
        Ok(Some(Args { addr }))
    }
}

/// The name the program was started as, without its folder.
fn program() -> String {
    let path = std::env::args_os().next().unwrap_or_default();
    let name = std::path::Path::new(&path).file_name().unwrap_or_default();
    name.to_string_lossy().into_owned()
}

/// The address `HOST:PORT` names: an IP address as it is, a host name (`localhost:9000`) by
/// the system's resolver, first answer first.
pub fn resolve(text: &str) -> Result<SocketAddr, lexopt::Error> {
    let invalid = |why: String| lexopt::Error::from(format!("--addr {text:?}: {why}"));
    let mut addrs = text.to_socket_addrs().map_err(|error| {
        invalid(format!(
            "{error} (expected HOST:PORT, e.g. 127.0.0.1:8080 or localhost:8080)"
        ))
    })?;
    addrs
        .next()
        .ok_or_else(|| invalid("the name has no address".to_owned()))
}

/// What every chapter's `main` does once it has tried to start its server: report a failure,
/// or say where `name` listens, print what to try (`print_try` is given the real address),
/// and serve until the process ends.
pub fn serve(
    name: &str,
    requested: SocketAddr,
    started: io::Result<RunningServer>,
    print_try: impl FnOnce(SocketAddr),
) -> ExitCode {
    let server = match started {
        Ok(server) => server,
        Err(error) => {
            eprintln!("cannot start {name} on {requested}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let addr = server.local_addr();
    // The smoke test and the bench read the port from this line.
    println!("{name} listening on http://{addr}  (Ctrl-C stops it)");
    print_try(addr);
    match server.wait() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("the event loop failed: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<Args>, lexopt::Error> {
        Args::parse(args.iter().map(Into::into))
    }

    #[test]
    fn the_address_defaults_and_can_be_set() {
        let default = parse(&[]).unwrap().unwrap();
        assert_eq!(default.addr.to_string(), DEFAULT_ADDR);
        let set = parse(&["--addr", "127.0.0.1:0"]).unwrap().unwrap();
        assert_eq!(set.addr.port(), 0);
        assert!(parse(&["--help"]).unwrap().is_none());
        let named = parse(&["--addr", "localhost:9000"]).unwrap().unwrap();
        assert!(named.addr.ip().is_loopback() && named.addr.port() == 9000);
        assert!(parse(&["--addr", "nowhere"]).is_err());
        assert!(parse(&["--addr", "127.0.0.1"]).is_err());
        assert!(parse(&["--port"]).is_err());
    }
}
