//! How long parsing one request takes: the event loop pays it for every request.
use criterion::{Criterion, criterion_group, criterion_main};
use http_loop::Config;
use http_loop::parse::{find_head_end, parse_request};
use std::hint::black_box;

const HEALTH: &[u8] = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\n\r\n";
const BROWSER: &[u8] = b"GET /jobs/0f6c2a9e4b7d4c1e8a3f5b6d7e8f9a0b?wait=2s HTTP/1.1\r\n\
Host: localhost:8080\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101\r\n\
Accept: application/json\r\nAccept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate\r\n\
Connection: keep-alive\r\nCache-Control: no-cache\r\n\r\n";

fn parsing(c: &mut Criterion) {
    let config = Config::default();
    c.bench_function("parse/health", |b| {
        b.iter(|| parse_request(black_box(HEALTH), &config))
    });
    c.bench_function("parse/browser", |b| {
        b.iter(|| parse_request(black_box(BROWSER), &config))
    });
    c.bench_function("find_head_end/browser", |b| {
        b.iter(|| find_head_end(black_box(BROWSER), 0))
    });
}

criterion_group!(benches, parsing);
criterion_main!(benches);
