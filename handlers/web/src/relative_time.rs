//! When a post was written, as people say it: "just now", "5 minutes ago", "yesterday", and
//! past four weeks the date. Computed on the server from the post's Unix milliseconds against
//! the time of the page; the page keeps the exact time in a `<time datetime>` for anyone who
//! wants it.

const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;

/// How long before `now_ms` `then_ms` was. A time in the future (another machine's clock) is
/// "just now".
pub fn relative(then_ms: u64, now_ms: u64) -> String {
    let secs = now_ms.saturating_sub(then_ms) / 1000;
    let ago = |n: u64, unit: &str| format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" });
    match secs {
        0..45 => "just now".into(),
        45..90 => "a minute ago".into(),
        90..2700 => ago(secs.div_ceil(MINUTE).max(2), "minute"),
        2700..5400 => "an hour ago".into(),
        5400..79200 => ago((secs + HOUR / 2) / HOUR, "hour"),
        79200..129600 => "yesterday".into(),
        129600..2419200 => ago((secs + DAY / 2) / DAY, "day"),
        _ => date(then_ms),
    }
}

/// `then_ms` as an ISO date, `2026-11-03` (UTC).
pub fn date(then_ms: u64) -> String {
    let (year, month, day) = civil_from_days((then_ms / 1000 / DAY) as i64);
    format!("{year:04}-{month:02}-{day:02}")
}

/// `then_ms` as an RFC 3339 UTC time, for `<time datetime>`.
pub fn datetime(then_ms: u64) -> String {
    let secs = then_ms / 1000;
    let of_day = secs % DAY;
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        date(then_ms),
        of_day / HOUR,
        of_day % HOUR / MINUTE,
        of_day % MINUTE
    )
}

/// The proleptic Gregorian date of day `days` since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_796_187_615_000; // 2026-12-02T05:00:15Z

    fn ago(secs: u64) -> String {
        relative(NOW - secs * 1000, NOW)
    }

    #[test]
    fn recent_times_read_as_people_say_them() {
        assert_eq!(ago(0), "just now");
        assert_eq!(ago(44), "just now");
        assert_eq!(ago(45), "a minute ago");
        assert_eq!(ago(120), "2 minutes ago");
        assert_eq!(ago(44 * 60), "44 minutes ago");
        assert_eq!(ago(50 * 60), "an hour ago");
        assert_eq!(ago(3 * 3600), "3 hours ago");
        assert_eq!(ago(25 * 3600), "yesterday");
        assert_eq!(ago(3 * 86_400), "3 days ago");
        assert_eq!(ago(27 * 86_400), "27 days ago");
    }

    #[test]
    fn old_times_are_dates_and_future_ones_are_now() {
        assert_eq!(ago(40 * 86_400), "2026-10-23");
        assert_eq!(relative(NOW + 60_000, NOW), "just now");
        assert_eq!(relative(0, NOW), "1970-01-01");
    }

    #[test]
    fn dates_and_times_are_utc_iso() {
        assert_eq!(datetime(NOW), "2026-12-02T05:00:15Z");
        assert_eq!(date(951_782_400_000), "2000-02-29");
        assert_eq!(datetime(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            date(u64::MAX),
            date(u64::MAX / 1000 / 86_400 * 86_400 * 1000)
        );
    }
}
