//! The times SWR sends, read leniently.
//!
//! SWR writes `2021-06-10T03:24:44.784402Z` (UTC, microseconds). Any RFC 3339 form is accepted,
//! as are a naive `2021-06-10T03:24:44` / `2021-06-10 03:24:44` (taken as UTC), Go's default
//! `2021-06-10 03:24:44.1 +0000 UTC`, a bare date, and Unix epoch numbers (seconds, or
//! milliseconds when large). What cannot be read is reported back so the caller can keep the raw
//! text; it never fails a page.
//!
//! ```
//! use reginv_huawei::timestamps::parse_time;
//!
//! let t = parse_time(&serde_json::json!("2021-06-10T03:24:44.784402Z")).unwrap().unwrap();
//! assert_eq!(t.to_rfc3339(), "2021-06-10T03:24:44.784402+00:00");
//! assert_eq!(parse_time(&serde_json::json!(null)), Ok(None));
//! assert!(parse_time(&serde_json::json!("yesterday")).is_err());
//! ```

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde_json::Value;

/// Naive forms, taken as UTC.
const NAIVE_FORMATS: [&str; 4] = [
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y/%m/%d %H:%M:%S%.f",
    "%Y%m%dT%H%M%SZ",
];

/// Forms with a numeric offset.
const OFFSET_FORMATS: [&str; 3] = [
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%.f %z",
];

/// Epoch numbers at or above this are taken as milliseconds (10^11 s is the year 5138).
const MILLIS_THRESHOLD: i64 = 100_000_000_000;

/// Reads a time from a JSON value. `Ok(None)` for null, an empty string, or an absent value;
/// `Err(raw text)` for something that is not a time.
pub fn parse_time(value: &Value) -> Result<Option<DateTime<Utc>>, String> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => parse_time_str(s),
        Value::Number(n) => {
            let epoch = n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64));
            match epoch.and_then(from_epoch) {
                Some(t) => Ok(Some(t)),
                None => Err(n.to_string()),
            }
        }
        other => Err(other.to_string()),
    }
}

/// Reads a time from text; `Ok(None)` for empty text, `Err(text)` when it is not a time.
pub fn parse_time_str(text: &str) -> Result<Option<DateTime<Utc>>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Ok(Some(d.with_timezone(&Utc)));
    }
    // Go's `time.Time.String()`: "2006-01-02 15:04:05.999 +0000 UTC".
    let without_zone_name = match t.rsplit_once(' ') {
        Some((head, zone)) if !zone.is_empty() && zone.chars().all(|c| c.is_ascii_uppercase()) => {
            head.trim_end()
        }
        _ => t,
    };
    for candidate in [t, without_zone_name] {
        for format in OFFSET_FORMATS {
            if let Ok(d) = DateTime::parse_from_str(candidate, format) {
                return Ok(Some(d.with_timezone(&Utc)));
            }
        }
        for format in NAIVE_FORMATS {
            if let Ok(n) = NaiveDateTime::parse_from_str(candidate, format) {
                return Ok(Some(n.and_utc()));
            }
        }
    }
    if let Ok(date) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        if let Some(n) = date.and_hms_opt(0, 0, 0) {
            return Ok(Some(n.and_utc()));
        }
    }
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        if let Some(time) = t.parse::<i64>().ok().and_then(from_epoch) {
            return Ok(Some(time));
        }
    }
    Err(text.to_string())
}

fn from_epoch(n: i64) -> Option<DateTime<Utc>> {
    if n < 0 {
        return None;
    }
    if n >= MILLIS_THRESHOLD {
        Utc.timestamp_millis_opt(n).single()
    } else {
        Utc.timestamp_opt(n, 0).single()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn reads_every_supported_form() {
        let cases = [
            ("2021-06-10T03:24:44.784402Z", "2021-06-10T03:24:44.784402Z"),
            ("2021-06-10T03:24:44Z", "2021-06-10T03:24:44Z"),
            ("2021-06-10t03:24:44z", "2021-06-10T03:24:44Z"),
            ("2021-06-10T11:24:44+08:00", "2021-06-10T03:24:44Z"),
            ("2021-06-10T11:24:44.5+0800", "2021-06-10T03:24:44.5Z"),
            ("2021-06-10 03:24:44", "2021-06-10T03:24:44Z"),
            ("2021-06-10T03:24:44", "2021-06-10T03:24:44Z"),
            ("2021-06-10T03:24:44.123", "2021-06-10T03:24:44.123Z"),
            ("2021-06-10 03:24:44.1 +0000 UTC", "2021-06-10T03:24:44.1Z"),
            ("2021-06-10 11:24:44 +0800 CST", "2021-06-10T03:24:44Z"),
            ("2021/06/10 03:24:44", "2021-06-10T03:24:44Z"),
            ("20210610T032444Z", "2021-06-10T03:24:44Z"),
            ("2021-06-10", "2021-06-10T00:00:00Z"),
            ("1623295484", "2021-06-10T03:24:44Z"),
            ("  2021-06-10T03:24:44Z\n", "2021-06-10T03:24:44Z"),
        ];
        for (text, want) in cases {
            assert_eq!(
                parse_time(&json!(text)),
                Ok(Some(at(want))),
                "{text:?} should read as {want}"
            );
        }
    }

    #[test]
    fn reads_epoch_numbers_in_seconds_and_milliseconds() {
        let want = Ok(Some(at("2021-06-10T03:24:44Z")));
        assert_eq!(parse_time(&json!(1_623_295_484)), want);
        assert_eq!(parse_time(&json!(1_623_295_484_000_i64)), want);
        assert_eq!(parse_time(&json!(1_623_295_484.0)), want);
    }

    #[test]
    fn nothing_is_none_and_nonsense_is_the_raw_text() {
        assert_eq!(parse_time(&json!(null)), Ok(None));
        assert_eq!(parse_time(&json!("")), Ok(None));
        assert_eq!(parse_time(&json!("   ")), Ok(None));
        for bad in [
            "yesterday",
            "2021-13-45T99:99:99Z",
            "10/06/2021",
            "T",
            "2021-06-10T",
        ] {
            assert_eq!(parse_time(&json!(bad)), Err(bad.to_string()), "{bad}");
        }
        assert_eq!(parse_time(&json!(-5)), Err("-5".to_string()));
        assert_eq!(parse_time(&json!(true)), Err("true".to_string()));
        assert!(parse_time(&json!({"a": 1})).is_err());
    }
}
