//! The real binary, stopped by real signals: SIGTERM drains — short jobs finish, long ones are
//! cancelled and marked so, every long poll gets its answer, idle connections close, the
//! accounting line adds up, the exit code is 0 — and a second signal exits at once.

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use test_support::{Client, FAILURE_GUARD};

/// The server, started as a child process.
struct Server {
    /// The process, until `exit_code` takes it to wait for it.
    child: Option<Child>,
    addr: SocketAddr,
    /// Its log, line by line, as it writes them.
    log: mpsc::Receiver<String>,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ch10-graceful-shutdown"))
            .args([
                "--addr",
                "127.0.0.1:0",
                "--rate",
                "1000000",
                "--burst",
                "1000000",
            ])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
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
        Server {
            child: Some(child),
            addr,
            log,
        }
    }

    fn pid(&self) -> Pid {
        let child = self.child.as_ref().expect("the server is running");
        Pid::from_raw(i32::try_from(child.id()).expect("a pid"))
    }

    fn signal(&self, signal: Signal) {
        let pid = self.pid();
        kill(pid, signal).expect("the signal is sent");
    }

    /// Waits for a log line containing `text`; returns it.
    fn log_line(&self, text: &str) -> String {
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

    /// Waits for the process to exit; its exit code. `Child::wait` cannot time out, so a
    /// thread waits and the test waits for the thread, with the guard.
    fn exit_code(mut self) -> Option<i32> {
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
                let _ = kill(pid, Signal::SIGKILL);
                panic!("the server did not exit within {FAILURE_GUARD:?}");
            }
        }
    }

    /// Waits until `/metrics` shows `line` (a metric and its value): the server has reached
    /// a state the test must not race past. Each look is a full request, not a guess at time.
    fn wait_for_metric(&self, line: &str) {
        let deadline = Instant::now() + FAILURE_GUARD;
        let mut client = Client::connect(self.addr);
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

impl Drop for Server {
    /// A test that fails part-way leaves no server behind.
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
        }
    }
}

fn submit(client: &mut Client, ms: u64) -> String {
    client.accepted_job(&format!(r#"{{"kind":"sleep","input":{{"ms":{ms}}}}}"#))
}

/// Sends a long poll for `id` on a connection of its own, without reading the answer yet.
fn long_poll(addr: SocketAddr, id: &str) -> Client {
    let mut client = Client::connect(addr);
    client.send(format!(
        "GET /jobs/{id}/result?wait=30s HTTP/1.1\r\nHost: t\r\n\r\n"
    ));
    client
}

// ANCHOR: drain_test
// ANCHOR: drain_test_before
#[test]
fn sigterm_drains_finishes_short_jobs_cancels_long_ones_and_answers_everyone() {
    let server = Server::start(&["--drain", "2s", "--workers", "2"]);
    let mut client = Client::connect(server.addr);
    let short = submit(&mut client, 300);
    let long = submit(&mut client, 60_000);
    let mut short_poll = long_poll(server.addr, &short);
    let mut long_poll = long_poll(server.addr, &long);
    let mut idle = Client::connect(server.addr);
    assert_eq!(idle.get("/health").status, 200);
    server.wait_for_metric("jobserver_long_polls 2");

    server.signal(Signal::SIGTERM);
    server.log_line("draining");
    assert!(idle.is_closed_by_server(), "an idle connection is closed");
    assert!(
        TcpStream::connect(server.addr).is_err(),
        "the listener is closed"
    );
    // ANCHOR_END: drain_test_before

    // ANCHOR: drain_test_after
    let short_answer = short_poll.read_answer();
    assert_eq!(short_answer.status, 200, "the short job finished");
    assert_eq!(short_answer.json()["result"]["slept_ms"], 300);
    let long_answer = long_poll.read_answer();
    assert_eq!(long_answer.status, 409, "the long job has no result");
    assert_eq!(long_answer.json()["status"], "cancelled");
    let message = long_answer.json()["error"]["message"].to_string();
    assert!(message.contains("the server shut down"), "{message}");
    for answer in [&short_answer, &long_answer] {
        assert_eq!(
            answer.header("connection"),
            Some("close"),
            "each was its connection's last"
        );
    }

    let accounting = server.log_line("jobs accepted");
    assert!(
        accounting.ends_with(
            "jobs accepted 2 = completed 1 + failed 0 + cancelled 1 (1 at the drain deadline) + lost 0"
        ),
        "{accounting}"
    );
    assert_eq!(server.exit_code(), Some(0));
}
// ANCHOR_END: drain_test_after
// ANCHOR_END: drain_test

#[test]
fn a_drain_with_nothing_to_wait_for_ends_at_once() {
    let server = Server::start(&["--drain", "30s"]);
    let mut client = Client::connect(server.addr);
    let id = submit(&mut client, 0);
    assert_eq!(client.job_result(&id)["status"], "completed");
    drop(client);
    let started = Instant::now();
    server.signal(Signal::SIGINT);
    let accounting = server.log_line("jobs accepted");
    assert!(accounting.ends_with("jobs accepted 1 = completed 1 + failed 0 + cancelled 0 (0 at the drain deadline) + lost 0"), "{accounting}");
    assert_eq!(server.exit_code(), Some(0));
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "it did not wait out the deadline"
    );
}

// ANCHOR: second_signal_test
#[test]
fn a_second_signal_exits_at_once_with_a_non_zero_code() {
    let server = Server::start(&["--drain", "60s"]);
    let mut client = Client::connect(server.addr);
    submit(&mut client, 60_000);
    server.signal(Signal::SIGTERM);
    server.log_line("draining");
    server.signal(Signal::SIGINT);
    let line = server.log_line("exiting now");
    assert!(line.contains("signal 2 again"), "{line}");
    // Within the failure guard, far inside the 60 s drain: it did not wait.
    assert_eq!(server.exit_code(), Some(128 + 2));
}
// ANCHOR_END: second_signal_test
