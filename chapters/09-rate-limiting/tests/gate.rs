//! The permit of an expensive job, without HTTP: taken at the door and given back when the job
//! ends; or, for a sub-job that never came through the door, waited for under its context.

use ch03_context::{Context, Reason};
use ch05_job_status::{JobError, Kinds};
use ch09_rate_limiting::{Semaphore, gate_expensive_kinds};
use serde_json::json;
use std::time::Duration;

fn primes(kinds: &Kinds) -> Box<dyn ch05_job_status::Work> {
    let input = json!({"limit": 1000});
    kinds
        .parse_work("primes", input.as_object().expect("an object"))
        .expect("a valid input")
}

#[test]
fn the_door_refuses_while_no_permit_is_free_and_a_run_holds_one_until_it_ends() {
    let permits = Semaphore::new(1);
    let kinds = gate_expensive_kinds(Kinds::basic(), &permits);
    let held = permits.try_acquire().expect("the one permit");
    let busy = primes(&kinds).admit().expect_err("no permit is free");
    assert_eq!(busy.retry_after_s, 1);
    drop(held);
    let job = primes(&kinds);
    job.admit().expect("a permit is free");
    assert_eq!(
        permits.available(),
        1,
        "the door only looks: a queued job holds nothing"
    );
    let result = job
        .run(&Context::background())
        .expect("it runs with a permit");
    assert_eq!(result["primes"], 168);
    assert_eq!(permits.available(), 1, "given back as the job ended");
}

/// The deadlock the door's look avoids: one job worker runs a batch whose sub-job waits for a
/// permit. Were permits taken at the door, a job queued behind the batch could hold the only
/// one, and neither would ever run. Here the sub-job gets the permit, because only running
/// work holds one.
#[test]
fn a_job_admitted_at_the_door_holds_no_permit_a_batch_needs() {
    let permits = Semaphore::new(1);
    let kinds = ch08_errors::with_error_kinds(gate_expensive_kinds(Kinds::basic(), &permits));
    let queued = primes(&kinds);
    queued
        .admit()
        .expect("admitted, and queued behind the batch");
    let input = json!({"jobs": [{"kind": "primes", "input": {"limit": 1000}}]});
    let batch = kinds
        .parse_work("batch", input.as_object().expect("an object"))
        .expect("valid");
    let (ctx, _cancel) = Context::background().with_timeout(Duration::from_secs(10));
    let result = batch.run(&ctx).expect("the batch's sub-job got the permit");
    assert_eq!(result["results"][0]["primes"], 168);
    drop(queued);
}

#[test]
fn a_sub_job_waits_for_a_permit_only_as_long_as_its_context_allows() {
    let permits = Semaphore::new(1);
    let kinds = gate_expensive_kinds(Kinds::basic(), &permits);
    let held = permits.try_acquire().expect("the permit");
    let (ctx, _cancel) = Context::background().with_timeout(Duration::from_millis(20));
    let waited = primes(&kinds).run(&ctx);
    assert!(matches!(
        waited,
        Err(JobError::Stopped(Reason::DeadlineExceeded))
    ));
    let job = primes(&kinds);
    let runner = std::thread::spawn(move || job.run(&Context::background()).is_ok());
    drop(held);
    assert!(
        runner.join().expect("the job ends"),
        "it ran once the permit was free"
    );
}

#[test]
fn cheap_kinds_take_no_permit() {
    let permits = Semaphore::new(1);
    let kinds = gate_expensive_kinds(Kinds::basic(), &permits);
    let _held = permits.try_acquire().expect("the permit");
    let input = json!({"ms": 0});
    let sleep = kinds
        .parse_work("sleep", input.as_object().expect("an object"))
        .expect("valid");
    sleep.admit().expect("a cheap job is always admitted");
    sleep.run(&Context::background()).expect("and runs");
}
