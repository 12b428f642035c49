//! The server's figures in the Prometheus text format: what `GET /metrics` answers.
//!
//! Two kinds of figure, gathered two ways:
//!
//! - **Counted as they happen.** Answers by method, route and status code, and their latency,
//!   reach [`Metrics`] through the event loop's observer hook ([`Observe`]), on the loop
//!   thread, once per answer: a map update under an uncontended lock.
//! - **Read when asked.** Jobs by status, queue depth, busy workers, free permits, threads:
//!   the parts that own them already know, so a scrape asks them ([`Gauges`]) instead of
//!   every change being counted twice.
//!
//! Routes are labelled by pattern (`/jobs/{id}`), and every unknown path by one label,
//! `other`: a label per path would let any client create series without end.

use http_loop::{Answered, Observe, Request};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The upper bounds of the latency histogram's buckets, in seconds.
pub const LATENCY_BUCKETS_S: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0, 30.0,
];

// ANCHOR: route_label
/// The label a path is counted under: its route's pattern, or `other`.
pub fn route_label(path: &str) -> &'static str {
    match path {
        "/health" => "/health",
        "/ready" => "/ready",
        "/metrics" => "/metrics",
        "/openapi.json" => "/openapi.json",
        "/primes" => "/primes",
        "/sleep" => "/sleep",
        "/jobs" => "/jobs",
        // An empty id (`/jobs/`, `/jobs//result`) matches no route: the router answers 404.
        _ => match path.strip_prefix("/jobs/").map(|rest| rest.split_once('/')) {
            Some(None) if path.len() > "/jobs/".len() => "/jobs/{id}",
            Some(Some((id, "result"))) if !id.is_empty() => "/jobs/{id}/result",
            _ => "other",
        },
    }
}
// ANCHOR_END: route_label

/// The figures counted as they happen.
#[derive(Default)]
pub struct Metrics {
    counts: Mutex<Counts>,
    open_connections: AtomicUsize,
}

#[derive(Default)]
struct Counts {
    /// Answers by method, route and status code.
    requests: BTreeMap<(&'static str, &'static str, u16), u64>,
    /// Latency by route.
    latency: BTreeMap<&'static str, Histogram>,
}

#[derive(Default)]
struct Histogram {
    /// Answers at most as slow as each bound of [`LATENCY_BUCKETS_S`] (not cumulative).
    buckets: [u64; LATENCY_BUCKETS_S.len()],
    sum: Duration,
    count: u64,
}

// ANCHOR: observe
impl Observe for Metrics {
    fn route(&self, request: &Request) -> &'static str {
        route_label(request.path())
    }

    fn answered(&self, answer: Answered) {
        let mut counts = self.lock();
        let key = (answer.method.as_str(), answer.route, answer.status);
        *counts.requests.entry(key).or_default() += 1;
        let histogram = counts.latency.entry(answer.route).or_default();
        let seconds = answer.elapsed.as_secs_f64();
        if let Some(bucket) = LATENCY_BUCKETS_S.iter().position(|&le| seconds <= le) {
            histogram.buckets[bucket] += 1;
        }
        histogram.sum += answer.elapsed;
        histogram.count += 1;
    }

    fn open_connections(&self, open: usize) {
        // Relaxed: a gauge, read on its own; no other memory hangs on it.
        self.open_connections.store(open, Ordering::Relaxed);
    }
}
// ANCHOR_END: observe

/// The figures read when `/metrics` is asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Gauges {
    /// Jobs the store holds, by status, in `Status::ALL`'s order; `None` on a shared Redis,
    /// where counting them would read every record.
    pub jobs: Option<[usize; 5]>,
    /// Jobs accepted since start, and how many ended each way.
    pub accepted: u64,
    /// Jobs ended `completed`, `failed`, `cancelled`, since start.
    pub finished: [u64; 3],
    /// Jobs waiting for a worker.
    pub queue_depth: usize,
    /// Long polls waiting for a job to finish.
    pub long_polls: usize,
    /// Job workers running a job.
    pub busy_workers: usize,
    /// Job workers in all.
    pub workers: usize,
    /// Permits for expensive jobs not held.
    pub permits_available: usize,
    /// Requests the rate limiter refused.
    pub rate_limited: u64,
    /// The process's threads.
    pub threads: usize,
    /// Whether the server is draining.
    pub draining: bool,
    /// The shared store's state (`--store redis://…`), if there is one.
    pub store: Option<redis_jobs::BackendStatus>,
}

impl Metrics {
    /// Connections open after the loop's last turn.
    pub fn open_connections(&self) -> usize {
        self.open_connections.load(Ordering::Relaxed)
    }

    /// How many answers of `method` on `route` had status `code`.
    pub fn requests(&self, method: &str, route: &str, code: u16) -> u64 {
        let counts = self.lock();
        let found = counts
            .requests
            .iter()
            .find(|((m, r, c), _)| *m == method && *r == route && *c == code);
        found.map_or(0, |(_, &count)| count)
    }

    // ANCHOR: render
    /// Everything, in the Prometheus text format (version 0.0.4).
    pub fn render(&self, gauges: &Gauges) -> String {
        let mut out = String::with_capacity(4096);
        {
            let counts = self.lock();
            family(
                &mut out,
                "jobserver_http_requests_total",
                "counter",
                "Answers to requests that reached a route handler, by method, route and status code (the HTTP layer's own refusals are not counted).",
            );
            for ((method, route, code), count) in &counts.requests {
                let _ = writeln!(
                    out,
                    "jobserver_http_requests_total{{method=\"{method}\",route=\"{route}\",code=\"{code}\"}} {count}"
                );
            }
            // ANCHOR: histogram
            let name = "jobserver_http_request_duration_seconds";
            family(
                &mut out,
                name,
                "histogram",
                "From the loop turn that read a request to the one that wrote its answer.",
            );
            for (route, histogram) in &counts.latency {
                let mut cumulative = 0;
                for (le, in_bucket) in LATENCY_BUCKETS_S.iter().zip(histogram.buckets) {
                    cumulative += in_bucket;
                    let _ = writeln!(
                        out,
                        "{name}_bucket{{route=\"{route}\",le=\"{le}\"}} {cumulative}"
                    );
                }
                let _ = writeln!(
                    out,
                    "{name}_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                    histogram.count
                );
                let _ = writeln!(
                    out,
                    "{name}_sum{{route=\"{route}\"}} {}",
                    histogram.sum.as_secs_f64()
                );
                let _ = writeln!(out, "{name}_count{{route=\"{route}\"}} {}", histogram.count);
            }
            // ANCHOR_END: histogram
        }
        gauge(
            &mut out,
            "jobserver_http_open_connections",
            "Client connections open.",
            self.open_connections(),
        );
        family(
            &mut out,
            "jobserver_http_rate_limited_total",
            "counter",
            "Requests the rate limiter refused (429, or 503 too_many_clients).",
        );
        let _ = writeln!(
            out,
            "jobserver_http_rate_limited_total {}",
            gauges.rate_limited
        );
        if let Some(jobs) = gauges.jobs {
            family(
                &mut out,
                "jobserver_jobs",
                "gauge",
                "Jobs the store holds, by status.",
            );
            for (status, count) in ["pending", "running", "completed", "failed", "cancelled"]
                .iter()
                .zip(jobs)
            {
                let _ = writeln!(out, "jobserver_jobs{{status=\"{status}\"}} {count}");
            }
        }
        family(
            &mut out,
            "jobserver_jobs_accepted_total",
            "counter",
            "Jobs accepted since the server started (on a shared Redis: jobs this server started).",
        );
        let _ = writeln!(out, "jobserver_jobs_accepted_total {}", gauges.accepted);
        family(
            &mut out,
            "jobserver_jobs_finished_total",
            "counter",
            "Jobs ended since the server started, by how (on a shared Redis: jobs this server ran).",
        );
        for (status, count) in ["completed", "failed", "cancelled"]
            .iter()
            .zip(gauges.finished)
        {
            let _ = writeln!(
                out,
                "jobserver_jobs_finished_total{{status=\"{status}\"}} {count}"
            );
        }
        gauge(
            &mut out,
            "jobserver_job_queue_depth",
            "Jobs waiting for a worker.",
            gauges.queue_depth,
        );
        gauge(
            &mut out,
            "jobserver_long_polls",
            "Long polls waiting for a job to finish.",
            gauges.long_polls,
        );
        family(
            &mut out,
            "jobserver_job_workers",
            "gauge",
            "Job workers, busy or idle.",
        );
        let idle = gauges.workers.saturating_sub(gauges.busy_workers);
        let _ = writeln!(
            out,
            "jobserver_job_workers{{state=\"busy\"}} {}",
            gauges.busy_workers
        );
        let _ = writeln!(out, "jobserver_job_workers{{state=\"idle\"}} {idle}");
        gauge(
            &mut out,
            "jobserver_expensive_permits_available",
            "Permits for expensive jobs not held.",
            gauges.permits_available,
        );
        gauge(
            &mut out,
            "jobserver_threads",
            "Threads of the process (Go's runtime.NumGoroutine, for threads).",
            gauges.threads,
        );
        gauge(
            &mut out,
            "jobserver_draining",
            "1 while the server drains for shutdown.",
            usize::from(gauges.draining),
        );
        if let Some(store) = &gauges.store {
            render_store(&mut out, store);
        }
        out
    }
    // ANCHOR_END: render

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        // Counts change in single steps: a poisoned lock still guards consistent ones.
        self.counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

// ANCHOR: render_store
/// The shared store's lines: whether Redis answers, and the consumer group's figures.
fn render_store(out: &mut String, store: &redis_jobs::BackendStatus) {
    gauge(
        out,
        "jobserver_store_connected",
        "1 while the shared job store (Redis) answers.",
        usize::from(store.connected),
    );
    family(
        out,
        "jobserver_store_group_lag",
        "gauge",
        "Jobs in the shared stream that no server has read yet (the consumer group's lag).",
    );
    let _ = writeln!(out, "jobserver_store_group_lag {}", store.lag);
    family(
        out,
        "jobserver_store_group_in_flight",
        "gauge",
        "Jobs read by some server and not yet acknowledged: running somewhere.",
    );
    let _ = writeln!(out, "jobserver_store_group_in_flight {}", store.in_flight);
}
// ANCHOR_END: render_store

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn gauge(out: &mut String, name: &str, help: &str, value: usize) {
    family(out, name, "gauge", help);
    let _ = writeln!(out, "{name} {value}");
}

// ANCHOR: thread_count
/// The process's threads, from `/proc/self/status` (Linux); 0 where there is no such file.
pub fn thread_count() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|line| line.starts_with("Threads:"))?;
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0)
}
// ANCHOR_END: thread_count

#[cfg(test)]
mod tests {
    use super::*;
    use http_loop::Method;

    #[test]
    fn routes_are_labelled_by_pattern_and_the_rest_is_other() {
        assert_eq!(route_label("/jobs/7c3f"), "/jobs/{id}");
        assert_eq!(route_label("/jobs/7c3f/result"), "/jobs/{id}/result");
        assert_eq!(route_label("/jobs/7c3f/other"), "other");
        assert_eq!(route_label("/jobs/"), "other");
        assert_eq!(route_label("/jobs//result"), "other");
        assert_eq!(route_label("/wp-admin.php"), "other");
    }

    #[test]
    fn answers_are_counted_and_bucketed() {
        let metrics = Metrics::default();
        for elapsed in [
            Duration::ZERO,
            Duration::from_millis(3),
            Duration::from_secs(60),
        ] {
            metrics.answered(Answered {
                method: Method::Get,
                route: "/health",
                status: 200,
                elapsed,
            });
        }
        assert_eq!(metrics.requests("GET", "/health", 200), 3);
        let text = metrics.render(&Gauges::default());
        let name = "jobserver_http_request_duration_seconds";
        let lines = [
            ("_bucket", r#"route="/health",le="0.0005""#, 1),
            ("_bucket", r#"route="/health",le="0.005""#, 2),
            ("_bucket", r#"route="/health",le="30""#, 2),
            ("_bucket", r#"route="/health",le="+Inf""#, 3),
            ("_count", r#"route="/health""#, 3),
        ];
        for (suffix, labels, value) in lines {
            let line = format!("{name}{suffix}{{{labels}}} {value}\n");
            assert!(text.contains(&line), "no line {line:?} in:\n{text}");
        }
    }
}
