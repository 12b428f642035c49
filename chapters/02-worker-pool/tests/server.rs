//! Chapter 2's server over real TCP: `/primes` on the pool, and 503 when the queue is full.

use ch01_channels::primes_answer;
use ch02_worker_pool::{PoolSize, PrimesJob, WorkerPool, primes_pool, router};
use crossbeam_channel::unbounded;
use test_support::{FAILURE_GUARD, TestServer};

/// `/primes` is counted by a pool worker.
#[test]
fn primes_are_counted_by_a_worker() {
    let pool = primes_pool(PoolSize::default()).expect("workers");
    let server = TestServer::start(router(pool));
    let answer = server.client().get("/primes?limit=100");
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["primes"], 25);
    let thread = answer.json()["thread"].as_str().map(str::to_owned);
    assert!(
        thread
            .as_deref()
            .is_some_and(|name| name.starts_with("worker-")),
        "{thread:?}"
    );
    server.stop();
}

/// With the one worker busy and the one queue slot taken, the next request gets a JSON 503
/// with `Retry-After` at once — and the two accepted requests are answered once the worker is
/// free.
#[test]
fn a_full_queue_is_503_with_retry_after() {
    let (gate, gate_rx) = unbounded::<()>();
    let (started_tx, started) = unbounded();
    let pool = WorkerPool::new("worker", 1, 1, move |job: PrimesJob| {
        started_tx.send(()).expect("the test is listening");
        let _ = gate_rx.recv_timeout(FAILURE_GUARD);
        job.responder.send(primes_answer(job.limit));
    })
    .expect("a worker");
    let server = TestServer::start(router(pool));

    let mut running = server.client();
    running.send("GET /primes?limit=10 HTTP/1.1\r\nHost: t\r\n\r\n");
    started
        .recv_timeout(FAILURE_GUARD)
        .expect("the worker took the first job");
    let mut queued = server.client();
    queued.send("GET /primes?limit=100 HTTP/1.1\r\nHost: t\r\n\r\n");

    let refused = server.client().get("/primes?limit=1000");
    assert_eq!(refused.status, 503);
    assert_eq!(refused.error_code(), "queue_full");
    assert_eq!(refused.header("retry-after"), Some("1"));

    drop(gate);
    assert_eq!(running.read_answer().json()["primes"], 4);
    assert_eq!(queued.read_answer().json()["primes"], 25);
    server.stop();
}
