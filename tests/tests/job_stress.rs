//! The job server under what its users do at once: submissions, long polls, `DELETE`s, and
//! clients that hang up in the middle of a request, from many threads, for a bounded number of
//! rounds. Then the invariants: every accepted job reached a terminal status, no answer was a
//! 500, and stopping the server left no thread behind.
//!
//! One test in this file on purpose: the thread count would see another test's threads.

use ch02_worker_pool::PoolSize;
use ch05_job_status::{Jobs, StoreConfig};
use std::collections::BTreeSet;
use std::sync::Mutex;
use std::thread;
use test_support::{Client, TestServer, thread_count, thread_count_back_to};

const CLIENTS: usize = 4;
const ROUNDS: usize = 40;

fn submit(client: &mut Client, body: &str) -> (u16, Option<String>) {
    client.send(format!(
        "POST /jobs HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    ));
    let answer = client.read_answer();
    let id = (answer.status == 202)
        .then(|| answer.json()["id"].as_str().map(str::to_owned))
        .flatten();
    (answer.status, id)
}

/// One user's rounds: what it did, as the statuses it was answered, and the jobs it got.
fn user(server: &TestServer, user: usize, statuses: &Mutex<Vec<u16>>) -> Vec<String> {
    let mut client = server.client();
    let mut jobs: Vec<String> = Vec::new();
    let mut seen = Vec::new();
    for round in 0..ROUNDS {
        let last = jobs.last().cloned();
        match (round + user) % 5 {
            0 => {
                let ms = (round % 3) * 20;
                let body = format!(r#"{{"kind":"sleep","input":{{"ms":{ms}}}}}"#);
                let (status, id) = submit(&mut client, &body);
                seen.push(status);
                jobs.extend(id);
            }
            1 => {
                let body = r#"{"kind":"primes","input":{"limit":30000}}"#;
                let (status, id) = submit(&mut client, body);
                seen.push(status);
                jobs.extend(id);
            }
            2 => {
                if let Some(id) = last {
                    seen.push(client.get(&format!("/jobs/{id}/result?wait=30ms")).status);
                }
            }
            3 => {
                if let Some(id) = last {
                    seen.push(client.request("DELETE", &format!("/jobs/{id}"), b"").status);
                }
            }
            _ => {
                // Hang up mid-request: a long poll, or half a head, then the end of our
                // stream. Whatever the server still says before it closes is recorded.
                let mut gone = server.client();
                match &last {
                    Some(id) => gone.send(format!(
                        "GET /jobs/{id}/result?wait=5s HTTP/1.1\r\nHost: t\r\n\r\n"
                    )),
                    None => gone.send("POST /jobs HTTP/1.1\r\nHost: t\r\nContent-Le"),
                };
                gone.finish_sending();
                seen.extend(gone.try_read_answer().map(|answer| answer.status));
            }
        }
    }
    statuses.lock().expect("not poisoned").extend(seen);
    jobs
}

/// Every accepted job reaches `completed`, `failed` or `cancelled`; no answer is a 500; no
/// thread outlives the server.
#[test]
fn what_users_do_at_once_leaves_every_job_finished_and_no_thread_behind() {
    let before = thread_count();
    let requests = ch03_context::request_pool(PoolSize::default()).expect("workers");
    let jobs = Jobs::new(StoreConfig::default(), PoolSize::default()).expect("job workers");
    let server = TestServer::start(ch05_job_status::router(requests, jobs));

    let statuses = Mutex::new(Vec::new());
    let accepted: Vec<String> = thread::scope(|scope| {
        let users: Vec<_> = (0..CLIENTS)
            .map(|n| {
                let (server, statuses) = (&server, &statuses);
                scope.spawn(move || user(server, n, statuses))
            })
            .collect();
        users
            .into_iter()
            .flat_map(|user| user.join().expect("a user thread"))
            .collect()
    });

    let statuses = statuses.into_inner().expect("not poisoned");
    let kinds: BTreeSet<u16> = statuses.iter().copied().collect();
    assert!(!kinds.contains(&500), "a 500 among {kinds:?}");
    assert!(kinds.contains(&202), "no job was accepted: {kinds:?}");
    assert!(!accepted.is_empty());

    let mut client = server.client();
    for id in &accepted {
        // Waits for the job to end (the longest runs 40 ms), then reads how it ended.
        let answer = client.get(&format!("/jobs/{id}/result?wait=10s"));
        let status = answer.json()["status"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            ["completed", "failed", "cancelled"].contains(&status.as_str()),
            "job {id} ended the stress {status:?} ({})",
            answer.status
        );
    }
    drop(client);
    server.stop();
    assert_eq!(
        thread_count_back_to(before),
        before,
        "the server left threads behind"
    );
}
