//! Several complete servers on one real Redis (`--store redis://…`): each test starts its own
//! `redis-server` on a free port, and two or three server processes against it.
//!
//! Skipped, loudly, only where `redis-server` is not installed; the test command installs it.

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};
use test_support::{Answer, Client, RedisServer, ServerProcess};

/// How long a test waits for every job to end before it fails.
const JOBS_GUARD: Duration = Duration::from_secs(60);

/// A complete server on `redis`, the limiter out of the way.
fn server(redis: &RedisServer, extra: &[&str]) -> ServerProcess {
    let url = redis.url();
    let mut args = vec![
        "--addr",
        "127.0.0.1:0",
        "--rate",
        "1000000",
        "--burst",
        "1000000",
    ];
    args.extend(["--store", &url, "--claim-idle", "1s"]);
    args.extend(extra);
    ServerProcess::start(env!("CARGO_BIN_EXE_ch10-graceful-shutdown"), &args)
}

fn sleep_job(ms: u64) -> String {
    format!(r#"{{"kind":"sleep","input":{{"ms":{ms}}}}}"#)
}

/// Long polls job `id` until it has ended; its final answer.
fn ended(client: &mut Client, id: &str) -> Answer {
    let deadline = Instant::now() + JOBS_GUARD;
    loop {
        let answer = client.get(&format!("/jobs/{id}/result?wait=5s"));
        let status = answer.json()["status"].as_str().map(str::to_owned);
        let running = matches!(status.as_deref(), Some("pending" | "running"));
        if !running && answer.status != 503 {
            return answer;
        }
        assert!(
            Instant::now() < deadline,
            "job {id} never ended: {answer:?}"
        );
    }
}

/// The value of the metric line starting with `name` (labels included).
fn metric(server: &ServerProcess, name: &str) -> u64 {
    let metrics = server.client().get("/metrics");
    String::from_utf8_lossy(&metrics.body)
        .lines()
        .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no metric {name}"))
}

#[test]
fn a_job_is_seen_waited_for_and_cancelled_from_any_server() {
    let Some(redis) = RedisServer::start("a_job_is_seen_waited_for_and_cancelled_from_any_server")
    else {
        return;
    };
    let (a, b) = (server(&redis, &[]), server(&redis, &[]));
    let (mut on_a, mut on_b) = (a.client(), b.client());

    // Submitted to A, waited for on B.
    let quick = on_a.accepted_job(&sleep_job(50));
    let result = ended(&mut on_b, &quick);
    assert_eq!(result.status, 200, "{result:?}");
    assert_eq!(result.json()["result"]["slept_ms"], 50);

    // Submitted to A, cancelled from B while it runs on one of them.
    let long = on_a.accepted_job(&sleep_job(60_000));
    let seen = on_b.get(&format!("/jobs/{long}"));
    assert_eq!(seen.status, 200);
    assert_eq!(seen.json()["kind"], "sleep");
    let cancelled = on_b.request("DELETE", &format!("/jobs/{long}"), b"");
    assert_eq!(cancelled.status, 200, "{cancelled:?}");
    assert_eq!(cancelled.json()["status"], "cancelled");
    assert_eq!(
        on_a.get(&format!("/jobs/{long}")).json()["status"],
        "cancelled"
    );
    let again = on_a.request("DELETE", &format!("/jobs/{long}"), b"");
    assert_eq!(
        (again.status, again.error_code().as_str()),
        (409, "already_finished")
    );

    // The work itself stopped, on whichever server ran it: both end with no busy worker and
    // two finished jobs between them, one completed and one cancelled.
    a.wait_for_metric("jobserver_job_workers{state=\"busy\"} 0");
    b.wait_for_metric("jobserver_job_workers{state=\"busy\"} 0");
    let finished = |status: &str| {
        let name = format!("jobserver_jobs_finished_total{{status=\"{status}\"}}");
        metric(&a, &name) + metric(&b, &name)
    };
    let deadline = Instant::now() + JOBS_GUARD;
    while finished("cancelled") < 1 {
        assert!(
            Instant::now() < deadline,
            "the cancelled job's work never ended"
        );
    }
    assert_eq!((finished("completed"), finished("cancelled")), (1, 1));
    assert_eq!(
        on_b.get("/jobs/00000000-0000-4000-8000-000000000000")
            .status,
        404
    );
}

#[test]
fn a_retry_with_the_same_idempotency_key_makes_one_job() {
    let Some(redis) = RedisServer::start("a_retry_with_the_same_idempotency_key_makes_one_job")
    else {
        return;
    };
    let (a, b) = (server(&redis, &[]), server(&redis, &[]));
    let submit = |server: &ServerProcess, key: &str, body: &str| {
        let headers = format!("Content-Type: application/json\r\nIdempotency-Key: {key}\r\n");
        server
            .client()
            .request_with("POST", "/jobs", &headers, body.as_bytes())
    };
    let first = submit(&a, "order-42", &sleep_job(10));
    assert_eq!(first.status, 202);
    assert_eq!(first.header("idempotent-replayed"), None);
    let retry = submit(&b, "order-42", &sleep_job(10));
    assert_eq!(retry.status, 202);
    assert_eq!(
        retry.json()["id"],
        first.json()["id"],
        "the retry names the first job"
    );
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));

    let other_body = submit(&b, "order-42", &sleep_job(11));
    assert_eq!(
        (other_body.status, other_body.error_code().as_str()),
        (422, "idempotency_key_reused")
    );
    let bad_key = submit(&a, "has space", &sleep_job(10));
    assert_eq!(
        (bad_key.status, bad_key.error_code().as_str()),
        (400, "invalid_idempotency_key")
    );

    let id = first.json()["id"].as_str().expect("an id").to_owned();
    assert_eq!(ended(&mut a.client(), &id).status, 200);
    // One job ran, on one of the two.
    let accepted =
        metric(&a, "jobserver_jobs_accepted_total") + metric(&b, "jobserver_jobs_accepted_total");
    assert_eq!(accepted, 1);
}

#[test]
fn a_killed_servers_jobs_are_run_by_another() {
    let Some(redis) = RedisServer::start("a_killed_servers_jobs_are_run_by_another") else {
        return;
    };
    // A takes two jobs to run and leaves two queued; then it is killed mid-job.
    let a = server(&redis, &["--workers", "2"]);
    let mut on_a = a.client();
    let ids: Vec<String> = (0..4)
        .map(|_| on_a.accepted_job(&sleep_job(2_000)))
        .collect();
    a.wait_for_metric("jobserver_job_workers{state=\"busy\"} 2");
    a.kill_hard();

    // B claims A's two running jobs once they go unrefreshed for --claim-idle (1 s), and
    // reads the two queued ones: every accepted job ends, completed, and B counts all four.
    let b = server(&redis, &["--workers", "2"]);
    let mut on_b = b.client();
    for id in &ids {
        let result = ended(&mut on_b, id);
        assert_eq!(result.status, 200, "job {id}: {result:?}");
    }
    assert_eq!(metric(&b, "jobserver_jobs_accepted_total"), 4);
    assert_eq!(
        metric(&b, "jobserver_jobs_finished_total{status=\"completed\"}"),
        4
    );
    b.wait_for_metric("jobserver_store_group_in_flight 0");
}

#[test]
fn a_long_job_on_a_live_server_is_neither_claimed_nor_left_behind() {
    let Some(redis) =
        RedisServer::start("a_long_job_on_a_live_server_is_neither_claimed_nor_left_behind")
    else {
        return;
    };
    // Two live servers, --claim-idle 1s, and a job that runs for three of them.
    let (a, b) = (server(&redis, &[]), server(&redis, &[]));
    let headers = "Content-Type: application/json\r\nIdempotency-Key: long-1\r\n";
    let submitted = a
        .client()
        .request_with("POST", "/jobs", headers, sleep_job(3_000).as_bytes());
    assert_eq!(submitted.status, 202, "{submitted:?}");
    let id = submitted.json()["id"].as_str().expect("an id").to_owned();

    // One long poll on B, longer than the job: answered by the job's end, not its deadline.
    let poll = thread::spawn({
        let mut on_b = b.client();
        let path = format!("/jobs/{id}/result?wait=10s");
        move || on_b.get(&path)
    });
    // While it runs, its entry stays delivered once: the keeper's refresh keeps the other
    // server (and this one's own claimer) off it.
    let deadline = Instant::now() + JOBS_GUARD;
    while !poll.is_finished() {
        let pending = redis.cli(&["XPENDING", "jobs:stream", "workers", "-", "+", "10"]);
        let deliveries: Vec<&str> = pending.lines().skip(3).step_by(4).collect();
        assert!(
            deliveries.iter().all(|count| *count == "1"),
            "a live server's job was claimed: {pending}"
        );
        assert!(Instant::now() < deadline, "job {id} never ended");
    }
    let result = poll.join().expect("the poll");
    assert_eq!(result.status, 200, "{result:?}");

    // Ended: its entry acknowledged and deleted, its record and its key on the job's TTL.
    assert_eq!(redis.cli(&["XLEN", "jobs:stream"]).trim(), "0");
    assert_eq!(
        redis
            .cli(&["XPENDING", "jobs:stream", "workers"])
            .lines()
            .next(),
        Some("0")
    );
    for key in [
        format!("jobs:job:{id}"),
        "jobs:idempotency:long-1".to_owned(),
    ] {
        let ttl: i64 = redis.cli(&["TTL", &key]).trim().parse().expect("a TTL");
        // The store's TTL (600 s), not the 24 hours an unfinished job's key is kept.
        assert!((1..=600).contains(&ttl), "{key} has TTL {ttl}");
    }
    let accepted =
        metric(&a, "jobserver_jobs_accepted_total") + metric(&b, "jobserver_jobs_accepted_total");
    assert_eq!(accepted, 1, "the job ran once");
}

#[test]
fn a_server_that_lost_redis_longer_than_claim_idle_does_not_run_its_job_twice() {
    let Some(redis) = RedisServer::start(
        "a_server_that_lost_redis_longer_than_claim_idle_does_not_run_its_job_twice",
    ) else {
        return;
    };
    let a = server(&redis, &["--workers", "2"]);
    let id = a.client().accepted_job(&sleep_job(3_000));
    a.wait_for_metric("jobserver_job_workers{state=\"busy\"} 1");
    // Redis stops answering for longer than --claim-idle (1 s): the running job's entry goes
    // unrefreshed, and when Redis is back, A's idle worker may claim it before A's keeper
    // refreshes it. A must then leave it to the run in progress, not start it again.
    redis.cli(&["DEBUG", "SLEEP", "1.5"]);
    assert_eq!(ended(&mut a.client(), &id).status, 200);
    a.wait_for_metric("jobserver_job_workers{state=\"busy\"} 0");
    assert_eq!(
        metric(&a, "jobserver_jobs_accepted_total"),
        1,
        "the job ran once"
    );
}

#[test]
fn a_cancel_announced_while_the_listener_reconnects_still_stops_the_job() {
    let Some(redis) =
        RedisServer::start("a_cancel_announced_while_the_listener_reconnects_still_stops_the_job")
    else {
        return;
    };
    // The job runs on A (B is started after A has taken it).
    let a = server(&redis, &[]);
    let id = a.client().accepted_job(&sleep_job(60_000));
    a.wait_for_metric("jobserver_job_workers{state=\"busy\"} 1");
    let b = server(&redis, &[]);
    // Every listener loses its connection; the cancel is announced while A's reconnects, so A
    // never hears it. Only the re-check A makes once subscribed again can stop the work.
    redis.cli(&["CLIENT", "KILL", "TYPE", "pubsub"]);
    let cancelled = b.client().request("DELETE", &format!("/jobs/{id}"), b"");
    assert_eq!(cancelled.status, 200, "{cancelled:?}");
    a.wait_for_metric("jobserver_job_workers{state=\"busy\"} 0");
    a.wait_for_metric("jobserver_jobs_finished_total{status=\"cancelled\"} 1");
}

#[test]
fn a_dead_servers_job_behind_a_dozen_live_ones_is_claimed() {
    let Some(redis) = RedisServer::start("a_dead_servers_job_behind_a_dozen_live_ones_is_claimed")
    else {
        return;
    };
    // Twelve long jobs run on A and stay fresh: the first twelve entries pending in the group.
    let a = server(&redis, &["--workers", "12"]);
    let mut on_a = a.client();
    for _ in 0..12 {
        on_a.accepted_job(&sleep_job(30_000));
    }
    a.wait_for_metric("jobserver_job_workers{state=\"busy\"} 12");
    // C takes the thirteenth, and dies running it.
    let c = server(&redis, &["--workers", "1"]);
    let dead = c.client().accepted_job(&sleep_job(500));
    c.wait_for_metric("jobserver_job_workers{state=\"busy\"} 1");
    c.kill_hard();
    // One XAUTOCLAIM looks at ten pending entries; B finds the dead one only by going on from
    // where its last look stopped. It must run it while A's twelve still run.
    let b = server(&redis, &["--workers", "1"]);
    assert_eq!(ended(&mut b.client(), &dead).status, 200);
    assert_eq!(
        metric(&a, "jobserver_job_workers{state=\"busy\"}"),
        12,
        "the dead server's job waited for the live ones to end"
    );
}

#[test]
fn a_finish_retried_after_the_drain_began_reads_no_next_entry() {
    let Some(mut redis) =
        RedisServer::start("a_finish_retried_after_the_drain_began_reads_no_next_entry")
    else {
        return;
    };
    // A runs one job and has a second queued behind it; no look for dead servers' entries
    // comes due meanwhile (that, too, makes the finish read nothing).
    let a = server(
        &redis,
        &["--workers", "1", "--drain", "20s", "--claim-idle", "60s"],
    );
    let mut on_a = a.client();
    on_a.accepted_job(&sleep_job(800));
    on_a.accepted_job(&sleep_job(1));
    a.wait_for_metric("jobserver_job_workers{state=\"busy\"} 1");
    // Redis goes away while the job runs: its finish is retried until Redis is back, and the
    // drain begins in between. The retry must not read the queued entry for a server that
    // drains: it would sit pending under A's name, unstarted, until a claim found it.
    redis.stop();
    // The job has ended and its finish is being retried: the worker says so.
    a.log_line("record a job's end");
    let killed = std::process::Command::new("kill")
        .arg(a.pid().to_string())
        .status()
        .expect("kill runs");
    assert!(killed.success());
    a.log_line("draining");
    redis.restart();
    assert_eq!(a.exit_code(), Some(0));
    let pending = redis.cli(&["XPENDING", "jobs:stream", "workers"]);
    assert_eq!(
        pending.lines().next(),
        Some("0"),
        "an entry was read for a draining server: {pending}"
    );
}

#[test]
fn a_dead_servers_job_is_claimed_while_a_backlog_keeps_the_workers_busy() {
    let Some(redis) =
        RedisServer::start("a_dead_servers_job_is_claimed_while_a_backlog_keeps_the_workers_busy")
    else {
        return;
    };
    // C takes a job and dies running it.
    let c = server(&redis, &["--workers", "1"]);
    let dead = c.client().accepted_job(&sleep_job(300));
    c.wait_for_metric("jobserver_job_workers{state=\"busy\"} 1");
    c.kill_hard();
    // B's one worker has a backlog of six seconds: each finish reads the next entry along
    // with it, so the worker never reads on its own. The look for dead servers' entries must
    // still come, a quarter of --claim-idle (1 s) apart, not once the backlog is gone.
    let b = server(&redis, &["--workers", "1"]);
    let mut on_b = b.client();
    let backlog: Vec<String> = (0..30)
        .map(|_| on_b.accepted_job(&sleep_job(200)))
        .collect();
    assert_eq!(ended(&mut on_b, &dead).status, 200);
    let last = on_b.get(&format!("/jobs/{}", backlog[backlog.len() - 1]));
    assert_eq!(
        last.json()["status"].as_str(),
        Some("pending"),
        "the dead server's job waited for the backlog: {last:?}"
    );
}

#[test]
fn a_job_claimed_from_a_paused_server_stays_with_its_claimant() {
    let Some(redis) =
        RedisServer::start("a_job_claimed_from_a_paused_server_stays_with_its_claimant")
    else {
        return;
    };
    let signal = |server: &ServerProcess, name: &str| {
        let sent = std::process::Command::new("kill")
            .args([name, &server.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
    };
    // A runs a long job, and is paused for longer than --claim-idle (1 s): B claims the job.
    let a = server(&redis, &["--workers", "1", "--log", "debug"]);
    a.client().accepted_job(&sleep_job(8_000));
    a.wait_for_metric("jobserver_job_workers{state=\"busy\"} 1");
    signal(&a, "-STOP");
    let b = server(&redis, &["--workers", "1"]);
    b.wait_for_metric("jobserver_job_workers{state=\"busy\"} 1");
    let owner = || {
        let pending = redis.cli(&["XPENDING", "jobs:stream", "workers", "-", "+", "10"]);
        pending.lines().nth(1).unwrap_or_default().to_owned()
    };
    let claimant = owner();
    // A goes on, and its keeper refreshes again: it must leave the entry to B, not claim it
    // back (and B it again at its own refresh, to and fro for as long as both runs last).
    // Each of A's refreshes that finds the entry gone says so; after two, B still holds it.
    signal(&a, "-CONT");
    for _ in 0..2 {
        a.log_line("claimed by another server");
    }
    assert_eq!(owner(), claimant, "the entry changed hands");
}

#[test]
fn the_queue_bound_counts_only_jobs_not_yet_started() {
    let Some(redis) = RedisServer::start("the_queue_bound_counts_only_jobs_not_yet_started") else {
        return;
    };
    let a = server(&redis, &["--queue", "1", "--workers", "1"]);
    let mut on_a = a.client();
    for _ in 0..3 {
        let id = on_a.accepted_job(&sleep_job(1));
        assert_eq!(ended(&mut on_a, &id).status, 200);
    }
    assert_eq!(redis.cli(&["GET", "jobs:queued"]).trim(), "0");
}

#[test]
fn redis_restarted_under_load_loses_no_accepted_job() {
    let Some(mut redis) = RedisServer::start("redis_restarted_under_load_loses_no_accepted_job")
    else {
        return;
    };
    let servers = [
        server(&redis, &[]),
        server(&redis, &[]),
        server(&redis, &[]),
    ];
    let addrs: Vec<_> = servers.iter().map(ServerProcess::addr).collect();

    // A client submits without pause, round the three servers, and reports every answer.
    let (answers_tx, answers) = mpsc::channel::<Answer>();
    let (stop_tx, stop) = mpsc::channel::<()>();
    let load = thread::spawn(move || {
        let mut clients: Vec<Client> = addrs.iter().map(|addr| Client::connect(*addr)).collect();
        for turn in 0.. {
            if stop.try_recv().is_ok() {
                return;
            }
            let client = &mut clients[turn % 3];
            if answers_tx.send(client.submit_job(&sleep_job(5))).is_err() {
                return;
            }
        }
    });
    let mut seen = Seen::default();
    seen.take(&answers, |seen| seen.accepted.len() >= 100);
    redis.stop();
    seen.take(&answers, |seen| seen.unavailable >= 10);
    let ready = servers[0].client().get("/ready");
    assert_eq!(
        (ready.status, ready.error_code().as_str()),
        (503, "store_unavailable")
    );
    assert_eq!(metric(&servers[0], "jobserver_store_connected"), 0);
    let before_restart = seen.accepted.len();
    redis.restart();
    seen.take(&answers, |seen| seen.accepted.len() >= before_restart + 100);
    let _ = stop_tx.send(());
    drop(answers);
    load.join().expect("the load thread");

    // Every job accepted — before the stop, and after the restart — ends completed.
    let mut client = servers[1].client();
    for id in &seen.accepted {
        let result = ended(&mut client, id);
        assert_eq!(result.status, 200, "job {id}: {result:?}");
    }
    // Ready again: each server has reconnected (a look at a time, until the guard).
    let deadline = Instant::now() + JOBS_GUARD;
    for server in &servers {
        while server.client().get("/ready").status != 200 {
            assert!(
                Instant::now() < deadline,
                "{} never ready again",
                server.addr()
            );
        }
    }
    let ran: u64 = servers
        .iter()
        .map(|server| {
            metric(
                server,
                "jobserver_jobs_finished_total{status=\"completed\"}",
            )
        })
        .sum();
    let accepted = seen.accepted.len() as u64;
    assert!(ran >= accepted, "{ran} completed of {accepted} accepted");
}

/// What the load's answers said so far.
#[derive(Default)]
struct Seen {
    /// The ids of the jobs accepted (202).
    accepted: Vec<String>,
    /// The 503s `store_unavailable`.
    unavailable: usize,
}

impl Seen {
    /// Reads answers until `enough` says so; any answer but a 202 or a clear 503 fails.
    fn take(&mut self, answers: &mpsc::Receiver<Answer>, enough: impl Fn(&Seen) -> bool) {
        let deadline = Instant::now() + JOBS_GUARD;
        while !enough(self) {
            let answer = answers.recv_timeout(JOBS_GUARD).expect("the load runs");
            match answer.status {
                202 => {
                    let id = answer.json()["id"].as_str().expect("an id").to_owned();
                    self.accepted.push(id);
                }
                503 => {
                    assert_eq!(answer.error_code(), "store_unavailable", "{answer:?}");
                    assert_eq!(answer.header("retry-after"), Some("1"));
                    self.unavailable += 1;
                }
                other => panic!("unexpected answer {other}: {answer:?}"),
            }
            assert!(Instant::now() < deadline, "the load stalled");
        }
    }
}
