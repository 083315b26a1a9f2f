//! [`Value`]: one SQL parameter or column value, the same for every backend.

use chrono::{DateTime, Utc};

/// A typed, nullable SQL value. Integers are `BIGINT`, times `TIMESTAMPTZ` in PostgreSQL and
/// RFC 3339 text in SQLite, JSON is text.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(Option<bool>),
    Time(Option<DateTime<Utc>>),
}

/// The type of a column to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Int,
    Text,
    Bool,
    Time,
}

impl Value {
    pub(crate) fn int(v: i64) -> Value {
        Value::Int(Some(v))
    }

    /// A count or size: `NULL` when unknown or beyond `BIGINT` (2^63 bytes is not a real size).
    pub(crate) fn count(v: Option<u64>) -> Value {
        Value::Int(v.and_then(|v| i64::try_from(v).ok()))
    }

    pub(crate) fn text(v: impl Into<String>) -> Value {
        Value::Text(Some(v.into()))
    }

    pub(crate) fn opt_text(v: Option<&str>) -> Value {
        Value::Text(v.map(str::to_string))
    }

    pub(crate) fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(v) => *v,
            _ => None,
        }
    }

    pub(crate) fn as_u64(&self) -> Option<u64> {
        self.as_i64().and_then(|v| u64::try_from(v).ok())
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(v) => v.as_deref(),
            _ => None,
        }
    }

    pub(crate) fn into_string(self) -> Option<String> {
        match self {
            Value::Text(v) => v,
            _ => None,
        }
    }

    pub(crate) fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(v) => *v,
            _ => None,
        }
    }

    pub(crate) fn as_time(&self) -> Option<DateTime<Utc>> {
        match self {
            Value::Time(v) => *v,
            _ => None,
        }
    }
}

/// RFC 3339 in UTC with a `Z` and only the fractional digits needed, as the JSON report writes
/// times: sorts as text, and reads back to the same instant.
pub(crate) fn time_text(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Parses what [`time_text`] wrote.
pub(crate) fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn times_round_trip_through_text() {
        let t = Utc.with_ymd_and_hms(2024, 5, 1, 12, 30, 0).unwrap();
        assert_eq!(time_text(&t), "2024-05-01T12:30:00Z");
        assert_eq!(parse_time(&time_text(&t)), Some(t));
        let precise = t + chrono::Duration::nanoseconds(123_456_789);
        assert_eq!(parse_time(&time_text(&precise)), Some(precise));
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn counts_beyond_bigint_are_unknown() {
        assert_eq!(Value::count(Some(7)).as_u64(), Some(7));
        assert_eq!(Value::count(Some(u64::MAX)), Value::Int(None));
        assert_eq!(Value::count(None), Value::Int(None));
    }
}
