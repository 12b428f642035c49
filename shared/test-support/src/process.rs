//! A server binary started as a child process: the way tests reach what only a real process
//! has — its signals, its exit code, `kill -9`, several servers sharing one Redis.

use crate::{Client, FAILURE_GUARD};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Instant;

/// A chapter's server binary, running; killed when dropped.
pub struct ServerProcess {
    /// The process, until `exit_code` takes it to wait for it.
    child: Option<Child>,
    addr: SocketAddr,
    /// Its log, line by line, as it writes them.
    log: mpsc::Receiver<String>,
}

impl ServerProcess {
    /// Starts `binary` with `args` and reads the address it listens on from the first line it
    /// prints (every chapter's binary prints `… listening on http://ADDR …` first).
    pub fn start(binary: &str, args: &[&str]) -> ServerProcess {
        let mut child = Command::new(binary)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("{binary} starts: {error}"));
        // Only the first line is read; the pipe then closes, and the server must live on
        // (its banner ignores a closed stdout).
        let stdout = child.stdout.take().expect("piped");
        let mut first = String::new();
        BufReader::new(stdout)
            .read_line(&mut first)
            .expect("it prints where it listens");
        let addr = first
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("no address in {first:?}"));
        let (line_tx, log) = mpsc::channel();
        let stderr = child.stderr.take().expect("piped");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = line_tx.send(line);
            }
        });
        ServerProcess {
            child: Some(child),
            addr,
            log,
        }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A client connected to it.
    pub fn client(&self) -> Client {
        Client::connect(self.addr)
    }

    /// Its process id, for a signal.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("the server is running").id()
    }

    /// `kill -9`: the process ends at once, in the middle of whatever it did.
    pub fn kill_hard(mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill(); // SIGKILL on Unix
            let _ = child.wait();
        }
    }

    /// Waits for a log line containing `text`; returns it.
    pub fn log_line(&self, text: &str) -> String {
        let deadline = Instant::now() + FAILURE_GUARD;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.log.recv_timeout(left) {
                Ok(line) if line.contains(text) => return line,
                Ok(line) => seen.push(line),
                Err(_) => panic!(
                    "no log line with {text:?}; the log since:\n{}",
                    seen.join("\n")
                ),
            }
        }
    }

    /// Waits for the process to exit; its exit code (`None`: ended by a signal).
    /// `Child::wait` cannot time out, so a thread waits and the test waits for the thread,
    /// with the guard.
    pub fn exit_code(mut self) -> Option<i32> {
        let pid = self.pid();
        let mut child = self.child.take().expect("the server is running");
        let (exited_tx, exited) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = exited_tx.send(child.wait().map(|status| status.code()));
        });
        match exited.recv_timeout(FAILURE_GUARD) {
            Ok(status) => status.expect("the child can be waited for"),
            Err(_) => {
                // Not yet reaped (the thread still waits for it): the pid is still this child.
                let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
                panic!("the server did not exit within {FAILURE_GUARD:?}");
            }
        }
    }

    /// Waits until `/metrics` shows `line` (a metric and its value): the server has reached
    /// a state the test must not race past. Each look is a full request, not a guess at time.
    pub fn wait_for_metric(&self, line: &str) {
        let deadline = Instant::now() + FAILURE_GUARD;
        let mut client = self.client();
        while Instant::now() < deadline {
            let metrics = client.get("/metrics");
            if String::from_utf8_lossy(&metrics.body)
                .lines()
                .any(|l| l == line)
            {
                return;
            }
        }
        panic!("/metrics never showed {line:?}");
    }
}

impl Drop for ServerProcess {
    /// A test that fails part-way leaves no server behind.
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
