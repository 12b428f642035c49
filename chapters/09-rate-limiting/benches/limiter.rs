//! What the limiter costs a request: one check of a known client, a check that adds a new
//! client, and a table at its bound refusing a flood — each on the real clock.
//!
//! `cargo bench -p ch09-rate-limiting --bench limiter`

use ch09_rate_limiting::{Decision, Limiter, Rate};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

fn client(n: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n))
}

fn limiter(c: &mut Criterion) {
    let mut group = c.benchmark_group("limiter");
    // A rate no loop reaches: every check takes a token, none is refused.
    let generous = Rate::per_second(u32::MAX, u32::MAX);

    let one_client = Limiter::new(generous, 65_536);
    group.bench_function("check, one known client", |b| {
        b.iter(|| black_box(one_client.check(black_box(client(1)))));
    });

    let many = Limiter::new(generous, 65_536);
    for n in 0..10_000 {
        many.check(client(n));
    }
    let mut n = 0;
    group.bench_function("check, 10 000 known clients in turn", |b| {
        b.iter(|| {
            n = (n + 1) % 10_000;
            black_box(many.check(client(n)))
        });
    });

    // Full of clients that are all still refilling (for an hour): a new one is refused, and
    // after the first refusal's sweep, without another.
    let full = Limiter::new(Rate::every(Duration::from_secs(3600), 10), 1_000);
    for n in 0..1_000 {
        full.check(client(n));
    }
    let mut next = 1_000;
    group.bench_function("check, a new client at a full table", |b| {
        b.iter(|| {
            next += 1;
            let decision = full.check(client(next));
            assert!(matches!(decision, Decision::TableFull { .. }));
        });
    });
    group.finish();
}

criterion_group!(benches, limiter);
criterion_main!(benches);
