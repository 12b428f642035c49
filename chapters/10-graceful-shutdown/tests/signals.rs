//! The real binary, stopped by real signals: SIGTERM drains — short jobs finish, long ones are
//! cancelled and marked so, every long poll gets its answer, idle connections close, the
//! accounting line adds up, the exit code is 0 — and a second signal exits at once.

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};
use test_support::{Client, ServerProcess};

/// The complete server, as a child process, with the limiter out of the way.
fn start(args: &[&str]) -> ServerProcess {
    let unlimited = [
        "--addr",
        "127.0.0.1:0",
        "--rate",
        "1000000",
        "--burst",
        "1000000",
    ];
    let args: Vec<&str> = unlimited.iter().chain(args).copied().collect();
    ServerProcess::start(env!("CARGO_BIN_EXE_ch10-graceful-shutdown"), &args)
}

fn signal(server: &ServerProcess, signal: Signal) {
    let pid = Pid::from_raw(i32::try_from(server.pid()).expect("a pid"));
    kill(pid, signal).expect("the signal is sent");
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
    let server = start(&["--drain", "2s", "--workers", "2"]);
    let mut client = Client::connect(server.addr());
    let short = submit(&mut client, 300);
    let long = submit(&mut client, 60_000);
    let mut short_poll = long_poll(server.addr(), &short);
    let mut long_poll = long_poll(server.addr(), &long);
    let mut idle = Client::connect(server.addr());
    assert_eq!(idle.get("/health").status, 200);
    server.wait_for_metric("jobserver_long_polls 2");

    signal(&server, Signal::SIGTERM);
    server.log_line("draining");
    assert!(idle.is_closed_by_server(), "an idle connection is closed");
    assert!(
        TcpStream::connect(server.addr()).is_err(),
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
    let server = start(&["--drain", "30s"]);
    let mut client = Client::connect(server.addr());
    let id = submit(&mut client, 0);
    assert_eq!(client.job_result(&id)["status"], "completed");
    drop(client);
    let started = Instant::now();
    signal(&server, Signal::SIGINT);
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
    let server = start(&["--drain", "60s"]);
    let mut client = Client::connect(server.addr());
    submit(&mut client, 60_000);
    signal(&server, Signal::SIGTERM);
    server.log_line("draining");
    signal(&server, Signal::SIGINT);
    let line = server.log_line("exiting now");
    assert!(line.contains("signal 2 again"), "{line}");
    // Within the failure guard, far inside the 60 s drain: it did not wait.
    assert_eq!(server.exit_code(), Some(128 + 2));
}
// ANCHOR_END: second_signal_test
