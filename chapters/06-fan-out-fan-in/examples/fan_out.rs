//! The fan-out/fan-in without HTTP: the same parts, with results as they come and in order.
//!
//! `cargo run -p ch06-fan-out-fan-in --example fan_out`

use ch03_context::Context;
use ch06_fan_out_fan_in::{FanOut, FanOutError, Sieve};
use std::ops::ControlFlow;

// ANCHOR: as_they_come
fn main() -> Result<(), FanOutError> {
    let ctx = Context::background();
    let sieve = Sieve::with_span(10_000_000, 1_250_000);
    let fan_out = FanOut::new("demo", 3);

    println!("the primes in each eighth of [0, 10⁷), as they come:");
    fan_out.run(
        &ctx,
        0..sieve.segments(),
        |segment| (sieve.segment(segment), sieve.count_segment_here(segment)),
        |index, (range, primes)| {
            println!("  part {index}: {range:?} holds {primes}");
            ControlFlow::Continue(())
        },
    )?;
    // ANCHOR_END: as_they_come

    // ANCHOR: in_order
    println!("the same, put back in order, with a running total:");
    let mut total = 0;
    fan_out.run_in_order(
        &ctx,
        0..sieve.segments(),
        |segment| (sieve.segment(segment), sieve.count_segment_here(segment)),
        |(range, primes)| {
            total += primes;
            println!(
                "  {range:?} holds {primes:>6}; below {:>8}: {total}",
                range.end
            );
            ControlFlow::Continue(())
        },
    )?;

    println!("and stopping after the first three:");
    let mut seen = 0;
    fan_out.run_in_order(
        &ctx,
        0..sieve.segments(),
        |segment| sieve.count_segment_here(segment),
        |primes| {
            seen += 1;
            println!("  part {seen}: {primes}");
            if seen == 3 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        },
    )?;
    println!("every worker has ended: `run` joins them before it returns");
    // ANCHOR_END: in_order
    Ok(())
}
