//! Exactly what NCR API v2 sends, read leniently.
//!
//! Every field is optional: numbers may arrive as strings, booleans as `"true"`/`1`, any field
//! may be `null` or missing, and a value of an unexpected type reads as absent instead of failing
//! the page. Fields without a normalized home are kept in each struct's `extra` map (flattened),
//! so nothing the vendor returned is lost. Conversion into core models lives in
//! [`normalize`](crate::normalize).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// The list envelope: `{"count", "next", "previous", "results"}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub(crate) struct WirePage<T> {
    #[serde(default, deserialize_with = "lenient::u64")]
    pub count: Option<u64>,
    #[serde(default, deserialize_with = "lenient::u64")]
    pub next: Option<u64>,
    #[serde(default, deserialize_with = "lenient::u64")]
    #[allow(dead_code)] // read for completeness; paging follows `next`
    pub previous: Option<u64>,
    #[serde(default, deserialize_with = "lenient::vec")]
    pub results: Vec<T>,
}

/// A registry of `GET /repositories`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct WireRegistry {
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient::millis")]
    pub created: Option<i64>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub end_point: Option<String>,
    #[serde(default, deserialize_with = "lenient::bool")]
    pub public_reg_status: Option<bool>,
    #[serde(default, deserialize_with = "lenient::bool")]
    pub scan_on_push_enabled: Option<bool>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub status: Option<String>,
    /// `bucket`, `end_point_enabled`, `private_end_point`, `private_id`, and anything newer.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// An image of `GET /repositories/{registry}` or `GET /repositories/{registry}/{image}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct WireImage {
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub namespace: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "lenient::u64")]
    pub pull_count: Option<u64>,
    #[serde(default, deserialize_with = "lenient::millis")]
    pub last_updated: Option<i64>,
    /// Image detail only: whether a pushed tag may be overwritten.
    #[serde(default, deserialize_with = "lenient::bool")]
    pub tag_mutability_enabled: Option<bool>,
    /// `full_description`, `private_id`, `can_edit`, `is_automated`, `is_private`,
    /// `repository_type`, `star_count`, `status`, `user`, and anything newer.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A tag of `GET …/tags` or `GET …/tags/{reference}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct WireTag {
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub digest: Option<String>,
    #[serde(default, deserialize_with = "lenient::u64")]
    pub full_size: Option<u64>,
    #[serde(default, deserialize_with = "lenient::millis")]
    pub last_updated: Option<i64>,
    #[serde(default, deserialize_with = "lenient::vec")]
    pub images: Vec<WirePlatform>,
    /// `id`, `image_id`, `creator`, `last_updater`, `repository`, `v2`, and anything newer.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// One platform image of a tag (`images[]`).
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct WirePlatform {
    #[serde(default, deserialize_with = "lenient::string")]
    pub os: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub architecture: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub variant: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub digest: Option<String>,
    #[serde(default, deserialize_with = "lenient::u64")]
    pub size: Option<u64>,
    #[serde(default, rename = "mediaType", deserialize_with = "lenient::string")]
    pub media_type: Option<String>,
    #[serde(default, deserialize_with = "lenient::millis")]
    pub created: Option<i64>,
    #[serde(default, deserialize_with = "lenient::millis")]
    pub updated: Option<i64>,
    #[serde(default, deserialize_with = "lenient::millis")]
    pub latest_pulled: Option<i64>,
    /// `features`, `os_version`, `os_features`, and anything newer.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// Epoch milliseconds as a UTC time; 0, negative or out-of-range values are `None`.
pub(crate) fn epoch_millis(ms: Option<i64>) -> Option<DateTime<Utc>> {
    ms.filter(|ms| *ms > 0)
        .and_then(DateTime::<Utc>::from_timestamp_millis)
}

/// Deserializers that never fail on a surprising value: they read it as absent.
pub(crate) mod lenient {
    use super::*;

    fn value_to_u64(value: &Value) -> Option<u64> {
        match value {
            Value::Number(n) => n.as_u64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite() && *f >= 0.0 && f.fract() == 0.0)
                    .map(|f| f as u64)
            }),
            Value::String(s) => {
                let s = s.trim();
                s.parse::<u64>().ok().or_else(|| {
                    s.parse::<f64>()
                        .ok()
                        .filter(|f| f.is_finite() && *f >= 0.0 && f.fract() == 0.0)
                        .map(|f| f as u64)
                })
            }
            _ => None,
        }
    }

    /// A non-negative integer, from a number or a numeric string.
    pub fn u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        Ok(value_to_u64(&Value::deserialize(d)?))
    }

    /// A boolean, from `true`/`false`, `"true"`/`"false"` (any case) or `1`/`0`.
    pub fn bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Bool(b) => Some(b),
            Value::Number(n) => match n.as_i64() {
                Some(0) => Some(false),
                Some(1) => Some(true),
                _ => None,
            },
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "y" | "yes" => Some(true),
                "false" | "0" | "n" | "no" => Some(false),
                _ => None,
            },
            _ => None,
        })
    }

    /// A string, from a string or a number or boolean (printed).
    pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        })
    }

    /// Epoch milliseconds, from a number, a numeric string, or an RFC 3339 time.
    pub fn millis<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        let value = Value::deserialize(d)?;
        Ok(match &value {
            Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64)),
            Value::String(s) => {
                let s = s.trim();
                s.parse::<i64>()
                    .ok()
                    .or_else(|| value_to_u64(&value).map(|v| v.min(i64::MAX as u64) as i64))
                    .or_else(|| {
                        DateTime::parse_from_rfc3339(s)
                            .ok()
                            .map(|t| t.timestamp_millis())
                    })
            }
            _ => None,
        })
    }

    /// A list whose unreadable entries fail the list (an entry must be an object), while `null`
    /// or a missing list reads as empty.
    pub fn vec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn epoch_millis_zero_null_and_negative_are_none() {
        assert_eq!(epoch_millis(None), None);
        assert_eq!(epoch_millis(Some(0)), None);
        assert_eq!(epoch_millis(Some(-5)), None);
        assert_eq!(
            epoch_millis(Some(1711695272000)),
            Some(Utc.with_ymd_and_hms(2024, 3, 29, 6, 54, 32).unwrap())
        );
        assert_eq!(
            epoch_millis(Some(1711695272123)).map(|t| t.timestamp_subsec_millis()),
            Some(123)
        );
        assert_eq!(epoch_millis(Some(i64::MAX)), None);
    }

    #[test]
    fn numbers_as_strings_nulls_and_odd_types_read_leniently() {
        let tag: WireTag = serde_json::from_str(
            r#"{"name": 7, "full_size": "1024", "last_updated": "1711928488000",
                "digest": null, "images": null, "id": "12"}"#,
        )
        .unwrap();
        assert_eq!(tag.name.as_deref(), Some("7"));
        assert_eq!(tag.full_size, Some(1024));
        assert_eq!(tag.last_updated, Some(1711928488000));
        assert_eq!(tag.digest, None);
        assert!(tag.images.is_empty());
        assert_eq!(tag.extra["id"], "12");

        let reg: WireRegistry = serde_json::from_str(
            r#"{"name": "r", "public_reg_status": "TRUE", "created": 1.711695272e12,
                "end_point": {"odd": true}}"#,
        )
        .unwrap();
        assert_eq!(reg.public_reg_status, Some(true));
        assert_eq!(reg.created, Some(1711695272000));
        assert_eq!(reg.end_point, None);

        let img: WireImage = serde_json::from_str(
            r#"{"name": "a", "pull_count": -3, "last_updated": "2024-04-01T00:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(img.pull_count, None);
        assert_eq!(img.last_updated, Some(1711929600000));

        let page: WirePage<WireRegistry> =
            serde_json::from_str(r#"{"count": "3", "next": "2", "results": null}"#).unwrap();
        assert_eq!(page.count, Some(3));
        assert_eq!(page.next, Some(2));
        assert!(page.results.is_empty());
        let page: WirePage<WireRegistry> = serde_json::from_str("{}").unwrap();
        assert_eq!(page.count, None);
    }
}
