//! Dates as HTTP and JSON want them: the `Date` header's IMF-fixdate, and RFC 3339 for
//! timestamps in bodies (the job server's `created_at`).
//!
//! RFC 9110 §6.6.1 asks an origin server with a clock to send `Date`. Formatting it for every
//! response would be waste — the text changes once a second — so the event loop keeps a
//! `DateCache` and refreshes it once per loop turn. Formatting is done by hand (a
//! civil-from-days conversion): the project needs no date crate for two formats.

use std::time::{SystemTime, UNIX_EPOCH};

/// The current `Date` value, re-formatted only when the second changes.
pub(crate) struct DateCache {
    second: u64,
    text: String,
}

impl Default for DateCache {
    fn default() -> Self {
        let mut cache = DateCache {
            second: u64::MAX,
            text: String::new(),
        };
        cache.refresh(SystemTime::now());
        cache
    }
}

impl DateCache {
    /// Brings the cached text up to `now`.
    pub(crate) fn refresh(&mut self, now: SystemTime) {
        let second = now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since_epoch| since_epoch.as_secs());
        if second != self.second {
            self.second = second;
            self.text = format_http_date(second);
        }
    }

    /// The `Date` header's value, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }
}

// ANCHOR: unix_millis
/// A moment, in milliseconds since the Unix epoch: 8 bytes to keep, and shown — displayed or
/// serialized — as RFC 3339 in UTC, `2026-11-29T05:28:00.123Z`, without an allocation. A
/// store of a million jobs keeps two of these per job instead of two 24-character strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixMillis(pub u64);

impl UnixMillis {
    /// Now, by the system clock.
    pub fn now() -> UnixMillis {
        UnixMillis::from(SystemTime::now())
    }
}

impl From<SystemTime> for UnixMillis {
    /// A time before the epoch (a clock set very wrong) is the epoch.
    fn from(time: SystemTime) -> UnixMillis {
        let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or_default();
        UnixMillis(u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX))
    }
}

// ANCHOR_END: unix_millis

impl std::fmt::Display for UnixMillis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let seconds = self.0 / 1000;
        let (year, month, day) = civil_from_days(seconds / 86_400);
        let seconds_of_day = seconds % 86_400;
        if year > 9999 {
            // Past the four digits RFC 3339 allows: not a time this server will see.
            return write!(f, "{year}-{month:02}-{day:02}T00:00:00.000Z");
        }
        // Digits written straight into a buffer: every `GET /jobs/{id}` shows two of these,
        // and the formatting machinery of `write!` costs more than the rest of the answer's
        // serialization.
        let mut text = *b"0000-00-00T00:00:00.000Z";
        let mut put = |at: usize, width: usize, mut value: u64| {
            for slot in text[at..at + width].iter_mut().rev() {
                *slot = b'0' + (value % 10) as u8; // a digit: the cast cannot truncate
                value /= 10;
            }
        };
        put(0, 4, year);
        put(5, 2, month);
        put(8, 2, day);
        put(11, 2, seconds_of_day / 3600);
        put(14, 2, seconds_of_day / 60 % 60);
        put(17, 2, seconds_of_day % 60);
        put(20, 3, self.0 % 1000);
        // Only ASCII digits and separators went in.
        f.write_str(std::str::from_utf8(&text).map_err(|_| std::fmt::Error)?)
    }
}

impl serde::Serialize for UnixMillis {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Formats seconds since the Unix epoch as an IMF-fixdate (RFC 9110 §5.6.7).
pub fn format_http_date(unix_seconds: u64) -> String {
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix_seconds / 86_400;
    let seconds_of_day = unix_seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[(days % 7) as usize], // 1970-01-01 was a Thursday
        MONTHS[month as usize - 1],
        seconds_of_day / 3600,
        seconds_of_day / 60 % 60,
        seconds_of_day % 60,
    )
}

/// Year, month (1–12) and day (1–31) of the day `days` after 1970-01-01, by Howard Hinnant's
/// `civil_from_days` algorithm: shift to years starting in March, so the leap day is last.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_dates() {
        let time = UNIX_EPOCH + std::time::Duration::from_millis(951_782_400_123);
        assert_eq!(
            UnixMillis::from(time).to_string(),
            "2000-02-29T00:00:00.123Z"
        );
        assert_eq!(
            UnixMillis::from(UNIX_EPOCH).to_string(),
            "1970-01-01T00:00:00.000Z"
        );
        // 2026-11-29T05:28:07.009Z, each field with a leading zero to keep.
        assert_eq!(
            UnixMillis(1_795_930_087_009).to_string(),
            "2026-11-29T05:28:07.009Z"
        );
        assert_eq!(
            UnixMillis(253_402_300_799_999).to_string(),
            "9999-12-31T23:59:59.999Z"
        );
    }

    #[test]
    fn known_dates() {
        assert_eq!(format_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        // RFC 9110's own example.
        assert_eq!(
            format_http_date(784_111_777),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
        // A leap day.
        assert_eq!(
            format_http_date(951_782_400),
            "Tue, 29 Feb 2000 00:00:00 GMT"
        );
        assert_eq!(
            format_http_date(1_795_954_732),
            "Sun, 29 Nov 2026 12:18:52 GMT"
        );
    }
}
