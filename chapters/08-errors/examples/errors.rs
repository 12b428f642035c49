//! Errors without HTTP: an error channel that collects every failure, an error group whose
//! first failure cancels the rest, and a retry that succeeds on its third attempt.
//!
//! `cargo run -p ch08-errors --example errors`

use ch03_context::{Context, Reason};
use ch05_job_status::error_chain;
use ch08_errors::error_channel::run_all;
use ch08_errors::{Backoff, ErrorGroup, OnPurpose, Panicked, SubJobFailed, Transient, find, retry};
use std::time::Duration;

#[derive(Debug)]
enum Failure {
    Stopped(Reason),
    Broken(&'static str),
    Panicked(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Stopped(reason) => write!(f, "stopped: {reason:?}"),
            Failure::Broken(why) => write!(f, "broken: {why}"),
            Failure::Panicked(message) => write!(f, "panicked: {message}"),
        }
    }
}

impl From<Panicked> for Failure {
    fn from(panicked: Panicked) -> Failure {
        Failure::Panicked(panicked.0)
    }
}

fn main() {
    println!("an error channel: every task's result, failures included");
    let tasks: Vec<Box<dyn FnOnce() -> Result<u32, String> + Send>> = vec![
        Box::new(|| Ok(1)),
        Box::new(|| Err("part 2 is missing".to_owned())),
        Box::new(|| panic!("part 3 panicked")),
        Box::new(|| Ok(4)),
    ];
    for (index, result) in run_all(tasks, |message| format!("panicked: {message}"))
        .iter()
        .enumerate()
    {
        println!("  task {index}: {result:?}");
    }

    println!("an error group: the first failure cancels the others");
    let group = ErrorGroup::new(&Context::background(), "demo");
    for _ in 0..3 {
        group
            .spawn(|ctx| Err(Failure::Stopped(ctx.wait()))) // waits for the group's cancel
            .expect("a thread");
    }
    group
        .spawn(|_| Err(Failure::Broken("the disk is full")))
        .expect("a thread");
    match group.wait() {
        Ok(()) => println!("  wait: every task succeeded"),
        Err(first) => println!("  wait: the first error, {first}"),
    }

    println!("a retry: two transient failures, then success");
    let policy = Backoff {
        attempts: 5,
        first: Duration::from_millis(10),
        max: Duration::from_millis(100),
    };
    let outcome = retry(
        &Context::background(),
        policy,
        |ctx, wait| {
            println!("  waiting {wait:?} before the next attempt");
            ch08_errors::retry::sleep_on_clock(ctx, wait)
        },
        ch08_errors::retry::random_fraction,
        |_: &Transient| true,
        |attempt| match attempt {
            1 | 2 => Err(Transient { attempt }),
            _ => Ok(attempt),
        },
    );
    println!("  outcome: {outcome:?}");

    println!("an error chain, printed and searched");
    let error = SubJobFailed {
        index: 2,
        kind: "fail",
        cause: Box::new(OnPurpose),
    };
    println!("  {}", error_chain(&error));
    println!("  holds OnPurpose: {}", find::<OnPurpose>(&error).is_some());
}
