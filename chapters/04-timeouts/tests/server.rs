//! Chapter 4's server over real TCP: a request past its deadline gets 504 and its work is
//! cancelled — even work that ignores its context gets the 504 on time.

use ch02_worker_pool::WorkerPool;
use ch03_context::{Reason, RequestJob, Task, run_job, stopped, work};
use ch04_timeouts::router;
use crossbeam_channel::unbounded;
use test_support::{FAILURE_GUARD, TestServer};

/// The request's deadline passes while the work sleeps: the client gets a JSON 504 at the
/// deadline, and the work sees its context end with `DeadlineExceeded`.
#[test]
fn past_its_deadline_a_request_gets_504_and_its_work_stops() {
    let (observed_tx, observed) = unbounded();
    let pool = WorkerPool::new("worker", 1, 4, move |job: RequestJob| {
        let Task::Sleep { duration } = job.task else {
            run_job(job);
            return;
        };
        let outcome = work::sleep(&job.ctx, duration);
        // The worker's own 504 and the loop's race to the slot: both say the same.
        if let Err(reason) = outcome {
            job.responder.send(stopped(reason));
        }
        observed_tx.send(outcome).expect("the test is listening");
    })
    .expect("a worker");
    let server = TestServer::start(router(pool));

    let answer = server.client().get("/sleep?ms=60000&timeout_ms=50");
    assert_eq!(answer.status, 504);
    assert_eq!(answer.error_code(), "deadline_exceeded");
    assert_eq!(
        observed.recv_timeout(FAILURE_GUARD),
        Ok(Err(Reason::DeadlineExceeded))
    );
    server.stop();
}

// ANCHOR: deaf_work
/// Work that never looks at its context still cannot hold the client past the deadline: the
/// event loop answers 504 itself, drops the late answer when it comes, and the connection
/// carries on with the next request.
#[test]
fn the_loop_answers_504_even_when_the_work_ignores_its_context() {
    let (gate, gate_rx) = unbounded::<()>();
    let (finished_tx, finished) = unbounded();
    let pool = WorkerPool::new("worker", 1, 4, move |job: RequestJob| {
        if let Task::Sleep { .. } = job.task {
            let _ = gate_rx.recv_timeout(FAILURE_GUARD); // deaf to the context
            job.responder
                .send(http_loop::Response::text(200, "too late"));
            finished_tx.send(()).expect("the test is listening");
        } else {
            run_job(job);
        }
    })
    .expect("a worker");
    let server = TestServer::start(router(pool));

    let mut client = server.client();
    let answer = client.get("/sleep?ms=1&timeout_ms=50");
    assert_eq!(answer.status, 504);
    drop(gate); // now let the deaf job finish and send its late answer
    finished
        .recv_timeout(FAILURE_GUARD)
        .expect("the job finished");
    let next = client.get("/primes?limit=100");
    assert_eq!(
        next.status, 200,
        "the late answer was not delivered in its place"
    );
    assert_eq!(next.json()["primes"], 25);
    server.stop();
}
// ANCHOR_END: deaf_work

/// Work that finishes in time is answered as usual; a bad `timeout_ms` is a 400 naming it.
#[test]
fn in_time_is_200_and_bad_timeouts_are_400() {
    let pool = ch03_context::request_pool(ch02_worker_pool::PoolSize::default()).expect("workers");
    let server = TestServer::start(router(pool));
    let mut client = server.client();
    assert_eq!(client.get("/sleep?ms=1&timeout_ms=5000").status, 200);
    for bad in ["0", "-5", "soon", "60001", "99999999999999999999"] {
        let answer = client.get(&format!("/sleep?ms=1&timeout_ms={bad}"));
        assert_eq!(answer.status, 400, "{bad}");
        assert_eq!(answer.error_code(), "invalid_timeout_ms");
    }
    server.stop();
}
