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
fn a_permit_taken_at_the_door_is_given_back_when_the_job_ends() {
    let permits = Semaphore::new(1);
    let kinds = gate_expensive_kinds(Kinds::basic(), &permits);
    let job = primes(&kinds);
    job.admit().expect("the one permit");
    assert_eq!(permits.available(), 0);
    assert!(primes(&kinds).admit().is_err(), "no second");
    let result = job
        .run(&Context::background())
        .expect("it runs with its permit");
    assert_eq!(result["primes"], 168);
    assert_eq!(permits.available(), 1, "given back as the job ended");
}

#[test]
fn a_job_never_run_gives_its_permit_back_when_dropped() {
    let permits = Semaphore::new(1);
    let kinds = gate_expensive_kinds(Kinds::basic(), &permits);
    let job = primes(&kinds);
    job.admit().expect("the permit");
    drop(job); // the queue was full, say
    assert_eq!(permits.available(), 1);
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
