//! Chapter 3's server over real TCP: a client that hangs up cancels its request's work.

use ch02_worker_pool::{PoolSize, WorkerPool};
use ch03_context::{Reason, RequestJob, Task, request_pool, router, run_job, work};
use crossbeam_channel::{Receiver, unbounded};
use test_support::{FAILURE_GUARD, TestServer};

// ANCHOR: observed
/// A server whose `/sleep` work reports to the test when it starts and how it ended.
struct Observed {
    server: TestServer,
    started: Receiver<()>,
    ended: Receiver<Result<(), Reason>>,
}

fn observed_server() -> Observed {
    let (started_tx, started) = unbounded();
    let (ended_tx, ended) = unbounded();
    let pool = WorkerPool::new("worker", 1, 4, move |job: RequestJob| {
        let Task::Sleep { duration } = job.task else {
            run_job(job);
            return;
        };
        // Not every test listens for the start.
        let _ = started_tx.send(());
        ended_tx
            .send(work::sleep(&job.ctx, duration))
            .expect("the test is listening");
    })
    .expect("a worker");
    Observed {
        server: TestServer::start(router(pool)),
        started,
        ended,
    }
}
// ANCHOR_END: observed

// ANCHOR: hang_up
/// A client that hangs up mid-request cancels the request's context, and the work — a
/// one-minute sleep — observes it and stops at once.
#[test]
fn hanging_up_cancels_the_work() {
    let Observed { server, ended, .. } = observed_server();
    let mut client = server.client();
    client.send("GET /sleep?ms=60000 HTTP/1.1\r\nHost: t\r\n\r\n");
    drop(client); // hang up
    assert_eq!(
        ended.recv_timeout(FAILURE_GUARD),
        Ok(Err(Reason::Cancelled)),
        "the work saw the cancellation (a timeout here means it slept on)"
    );
    server.stop();
}
// ANCHOR_END: hang_up

// ANCHOR: stop
/// Stopping the server cancels the work still running, so shutdown does not wait for it.
#[test]
fn stopping_the_server_cancels_running_work() {
    let Observed {
        server,
        started,
        ended,
    } = observed_server();
    let mut client = server.client();
    client.send("GET /sleep?ms=60000 HTTP/1.1\r\nHost: t\r\n\r\n");
    started
        .recv_timeout(FAILURE_GUARD)
        .expect("the work started");
    server.stop(); // returns once the pool has joined its worker
    assert_eq!(ended.try_recv(), Ok(Err(Reason::Cancelled)));
}
// ANCHOR_END: stop

/// Work that finishes answers as before; bad parameters get a 400 naming them.
#[test]
fn work_that_finishes_is_answered() {
    let pool = request_pool(PoolSize::default()).expect("workers");
    let server = TestServer::start(router(pool));
    let mut client = server.client();
    assert_eq!(client.get("/sleep?ms=1").json()["slept_ms"], 1);
    assert_eq!(client.get("/primes?limit=100").json()["primes"], 25);
    let bad = client.get("/sleep?ms=99999999");
    assert_eq!((bad.status, bad.error_code().as_str()), (400, "invalid_ms"));
    server.stop();
}
