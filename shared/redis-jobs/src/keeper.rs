//! The keeper: one thread that, every quarter second, measures Redis for `/ready` and
//! `/metrics`, and every third of `claim_idle` or sooner refreshes this server's running entries, so
//! that no other server takes a job that is still being worked on.

use crate::jobs::Shared;
use crate::worker::create_group;
use redis::{Connection, RedisResult, Value};
use std::time::{Duration, Instant};

/// How often Redis is measured.
const MEASURE_EVERY: Duration = Duration::from_millis(250);

/// Measures and refreshes until the server stops.
pub fn keep(shared: &Shared) {
    let refresh_every = shared.config.claim_idle / 3;
    let mut refreshed = Instant::now();
    loop {
        match shared.call(|connection| measure(shared, connection)) {
            Ok(Some(group)) => shared.health.answered(Some(group)),
            Ok(None) => {
                // No stream or group yet (a new Redis, or one that lost its data): make them.
                if shared
                    .call(|connection| create_group(shared, connection))
                    .is_ok()
                {
                    shared.health.answered(None);
                }
            }
            Err(_) => {} // recorded by `call`
        }
        if refreshed.elapsed() >= refresh_every {
            refreshed = Instant::now();
            if let Err(error) = shared.call(|connection| refresh(shared, connection)) {
                log::warn!("could not refresh this server's running jobs: {error}");
            }
        }
        // Never longer than a sixth of claim_idle between two refreshes, so that a short
        // --claim-idle keeps its margin.
        let pause = MEASURE_EVERY.min(refresh_every / 2);
        if ch03_context::work::sleep(&shared.server_ctx, pause).is_err() {
            return;
        }
    }
}

// ANCHOR: refresh_call
/// Claims this server's running entries again, for itself (`lua/refresh.lua`): the claim
/// moves nothing, but sets each entry's idle time back to zero, which tells every other
/// server's `XAUTOCLAIM` that its owner is alive.
fn refresh(shared: &Shared, connection: &mut Connection) -> RedisResult<()> {
    let entries: Vec<String> = shared
        .running()
        .values()
        .map(|job| job.entry.clone())
        .collect();
    if entries.is_empty() {
        return Ok(());
    }
    let refreshed: usize = shared
        .scripts
        .refresh
        .key(&shared.keys.stream)
        .arg(shared.keys.group)
        .arg(&shared.config.consumer)
        .arg(&entries)
        .invoke(connection)?;
    if refreshed < entries.len() {
        // Said at each refresh while such a job still runs here: debug, not warn.
        log::debug!(
            "{} running jobs were claimed by another server while this one was cut off",
            entries.len() - refreshed
        );
    }
    Ok(())
}
// ANCHOR_END: refresh_call

/// The consumer group's lag (entries no server has read) and entries read but not yet
/// acknowledged (jobs running somewhere), from `XINFO GROUPS`.
/// `None` when the stream or the group does not exist.
fn measure(shared: &Shared, connection: &mut Connection) -> RedisResult<Option<(u64, u64)>> {
    let exists: bool = redis::cmd("EXISTS")
        .arg(&shared.keys.stream)
        .query(connection)?;
    if !exists {
        return Ok(None);
    }
    let groups: Vec<Value> = redis::cmd("XINFO")
        .arg("GROUPS")
        .arg(&shared.keys.stream)
        .query(connection)?;
    for group in groups {
        let fields = fields(group);
        let named = |name: &str| {
            fields
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value)
        };
        let is_ours =
            named("name").is_some_and(|name| text(name) == Some(shared.keys.group.to_owned()));
        if is_ours {
            let number = |name: &str| named(name).and_then(number).unwrap_or(0);
            return Ok(Some((number("lag"), number("pending"))));
        }
    }
    Ok(None)
}

/// A reply's field–value pairs: a map in RESP3, a flat array in RESP2.
fn fields(value: Value) -> Vec<(String, Value)> {
    match value {
        Value::Map(pairs) => pairs
            .into_iter()
            .filter_map(|(key, value)| Some((text(&key)?, value)))
            .collect(),
        Value::Array(items) => items
            .chunks(2)
            .filter_map(|pair| match pair {
                [key, value] => Some((text(key)?, value.clone())),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::BulkString(bytes) => String::from_utf8(bytes.clone()).ok(),
        Value::SimpleString(text) => Some(text.clone()),
        _ => None,
    }
}

fn number(value: &Value) -> Option<u64> {
    match value {
        Value::Int(n) => u64::try_from(*n).ok(),
        _ => None,
    }
}
