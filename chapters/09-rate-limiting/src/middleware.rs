//! The limiter in front of a server: each request takes a token of its client's bucket, or is
//! answered 429 without reaching the routes.
//!
//! **Who the client is.** The peer's IP address — unless the peer is a proxy the server was
//! told to trust (`--trusted-proxy`), whose `X-Forwarded-For` names the client. Only then: the
//! header is text any client can send, and believing it from anyone lets every request claim
//! a fresh address and a fresh bucket. The last address in the header is the one the trusted
//! proxy itself added; the earlier ones came from the client and prove nothing.
//!
//! **What the client is told.** 429 with a JSON error, `Retry-After` in whole seconds rounded
//! up (a client that waits that long finds a token), and the IETF httpapi draft's
//! `RateLimit-Policy` (the quota: `q` requests at once, refilled in `w` seconds) and
//! `RateLimit` (what is left: `r` requests, `t` seconds until the next) fields.
//!
//! `/ready` and `/metrics` are not limited: they are asked by the infrastructure that runs the
//! server, which must not be blinded by a flood it is there to see.

use crate::limiter::{Decision, Limiter};
use crate::token_bucket::Rate;
use http_loop::{Defer, Handler, Reply, Request, Response};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The paths a limiter lets through untouched.
pub const EXEMPT_PATHS: [&str; 2] = ["/ready", "/metrics"];

// ANCHOR: rate_limited
/// A handler behind a per-client limiter.
pub struct RateLimited<H> {
    inner: H,
    limiter: Arc<Limiter>,
    trusted_proxies: Vec<IpAddr>,
    /// Requests answered 429 or 503 by the limiter, for `/metrics`.
    refused: Arc<AtomicU64>,
}

impl<H: Handler> Handler for RateLimited<H> {
    fn handle(&self, request: Request, defer: Defer<'_>) -> Reply {
        if EXEMPT_PATHS.contains(&request.path()) {
            return self.inner.handle(request, defer);
        }
        // A request from no socket (a test's) has no client to limit.
        let Some(client) = client_of(&request, &self.trusted_proxies) else {
            return self.inner.handle(request, defer);
        };
        match self.limiter.check(client) {
            Decision::Allowed { .. } => self.inner.handle(request, defer),
            Decision::Limited { retry_in } => {
                self.refused.fetch_add(1, Ordering::Relaxed);
                Reply::Now(too_many_requests(self.limiter.rate(), retry_in))
            }
            Decision::TableFull { retry_in } => {
                self.refused.fetch_add(1, Ordering::Relaxed);
                Reply::Now(too_many_clients(retry_in))
            }
        }
    }
}
// ANCHOR_END: rate_limited

impl<H> RateLimited<H> {
    /// `inner`, behind `limiter`; `X-Forwarded-For` believed only from `trusted_proxies`.
    pub fn new(inner: H, limiter: Arc<Limiter>, trusted_proxies: Vec<IpAddr>) -> RateLimited<H> {
        RateLimited {
            inner,
            limiter,
            trusted_proxies,
            refused: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The count of requests the limiter refused, shared: chapter 10's metrics read it.
    pub fn refused(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.refused)
    }
}

// ANCHOR: client_of
/// The address a request is limited under: the peer, or — when the peer is a trusted proxy —
/// the last address of its last `X-Forwarded-For` line, if that is an address.
pub fn client_of(request: &Request, trusted_proxies: &[IpAddr]) -> Option<IpAddr> {
    let peer = request.peer()?;
    if !trusted_proxies.contains(&peer) {
        return Some(peer);
    }
    // The last address of the last line: a proxy appends to the header, or adds a line of its
    // own after the client's — either way, what it wrote comes last.
    let forwarded = request
        .headers()
        .iter()
        .rfind(|header| header.name.eq_ignore_ascii_case("x-forwarded-for"))
        .and_then(|header| std::str::from_utf8(&header.value).ok())
        .and_then(|value| value.rsplit(',').next())
        .and_then(|last| last.trim().parse().ok());
    Some(forwarded.unwrap_or(peer))
}
// ANCHOR_END: client_of

// ANCHOR: too_many_requests
/// The 429 for a client over its limit, whose next token comes in `retry_in`.
pub fn too_many_requests(rate: Rate, retry_in: Duration) -> Response {
    let retry_after = whole_seconds_up(retry_in);
    let refill = rate.interval().saturating_mul(rate.burst());
    let message = format!(
        "too many requests: {} at once, then one every {:?}; try again in {retry_after} s",
        rate.burst(),
        rate.interval()
    );
    Response::error(429, "rate_limited", &message)
        .with_header("Retry-After", retry_after.to_string())
        .with_header(
            "RateLimit-Policy",
            format!(
                "\"per-client\";q={};w={}",
                rate.burst(),
                whole_seconds_up(refill)
            ),
        )
        .with_header("RateLimit", format!("\"per-client\";r=0;t={retry_after}"))
}
// ANCHOR_END: too_many_requests

// ANCHOR: too_many_clients
/// The 503 for a new client when the table of clients is full.
pub fn too_many_clients(retry_in: Duration) -> Response {
    let retry_after = whole_seconds_up(retry_in);
    let message = "the server is tracking as many clients as it can; try again";
    Response::error(503, "too_many_clients", message)
        .with_header("Retry-After", retry_after.to_string())
}

/// `duration` in whole seconds, rounded up, and at least 1: `Retry-After: 0` invites a client
/// to retry at once, which is never what a refusal means.
pub fn whole_seconds_up(duration: Duration) -> u64 {
    let seconds = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
    seconds.max(1)
}
// ANCHOR_END: too_many_clients

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_round_up_and_never_reach_zero() {
        assert_eq!(whole_seconds_up(Duration::from_millis(1)), 1);
        assert_eq!(whole_seconds_up(Duration::from_secs(2)), 2);
        assert_eq!(whole_seconds_up(Duration::from_millis(2001)), 3);
        assert_eq!(whole_seconds_up(Duration::ZERO), 1);
    }

    #[test]
    fn a_429_says_when_and_under_which_policy() {
        let rate = Rate::per_second(10, 20);
        let answer = too_many_requests(rate, Duration::from_millis(100));
        assert_eq!(answer.status(), 429);
        assert_eq!(answer.header("retry-after"), Some("1"));
        assert_eq!(
            answer.header("ratelimit-policy"),
            Some("\"per-client\";q=20;w=2")
        );
        assert_eq!(answer.header("ratelimit"), Some("\"per-client\";r=0;t=1"));
    }
}
