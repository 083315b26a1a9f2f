//! Rules over tags: `image-not-scanned`, `oversized-image`, `stale-image`.

use chrono::{DateTime, Duration, Utc};
use reginv::{Repository, Tag};
use serde_json::json;

use super::{reported, Draft, Outcome, Thresholds};
use crate::input::SourceRows;

/// Every listed tag of the source with its repository, or why tags cannot be judged: the
/// source has repositories but none had its tags listed.
fn tags<'a>(
    source: &str,
    rows: &SourceRows<'a>,
    field: &str,
    known: impl Fn(&Tag) -> bool,
) -> Result<Vec<(&'a Repository, &'a Tag)>, String> {
    let listed: Vec<&'a Repository> = rows
        .repositories
        .iter()
        .copied()
        .filter(|r| r.tags.is_some())
        .collect();
    if listed.is_empty() && !rows.repositories.is_empty() {
        return Err(format!(
            "the tags of {source}'s repositories were not listed (tag depth none)"
        ));
    }
    let tags: Vec<(&'a Repository, &'a Tag)> = listed
        .into_iter()
        .flat_map(|r| r.tags.iter().flatten().map(move |t| (r, t)))
        .collect();
    reported(&tags, |(_, t)| known(t), source, field, "tags")?;
    Ok(tags)
}

/// `image-not-scanned`: `scanned` is `false`.
pub(super) fn not_scanned(source: &str, rows: &SourceRows<'_>) -> Outcome {
    Ok(tags(source, rows, "tag.scanned", |t| t.scanned.is_some())?
        .into_iter()
        .filter(|(_, t)| t.scanned == Some(false))
        .map(|(r, t)| {
            Draft::tag(
                r,
                t,
                format!("{}:{} was never scanned", r.full_name, t.name),
                json!({ "scanned": false, "digest": t.digest }),
            )
        })
        .collect())
}

/// `oversized-image`: `size_bytes` above `max_image_bytes`.
pub(super) fn oversized(source: &str, rows: &SourceRows<'_>, max: u64) -> Outcome {
    Ok(
        tags(source, rows, "tag.size_bytes", |t| t.size_bytes.is_some())?
            .into_iter()
            .filter_map(|(r, t)| Some((r, t, t.size_bytes?)))
            .filter(|(_, _, size)| *size > max)
            .map(|(r, t, size)| {
                Draft::tag(
                    r,
                    t,
                    format!(
                        "{}:{} is {size} bytes, more than {max}",
                        r.full_name, t.name
                    ),
                    json!({ "size_bytes": size, "max_image_bytes": max, "digest": t.digest }),
                )
            })
            .collect(),
    )
}

/// The time a tag's staleness counts from, and which field gave it: its last pull; for a tag
/// never pulled, its last update (or its creation when no update time is known).
fn counted_from(tag: &Tag) -> Option<(DateTime<Utc>, &'static str)> {
    tag.last_pulled_at
        .map(|t| (t, "last_pulled_at"))
        .or(tag.updated_at.map(|t| (t, "updated_at")))
        .or(tag.created_at.map(|t| (t, "created_at")))
}

/// `stale-image`: not pulled within `stale_days` of `as_of`. Not evaluated where the source
/// reports no pull time on any tag.
pub(super) fn stale(source: &str, rows: &SourceRows<'_>, t: &Thresholds) -> Outcome {
    let limit = Duration::days(i64::from(t.stale_days));
    Ok(tags(source, rows, "tag.last_pulled_at", |tag| {
        tag.last_pulled_at.is_some()
    })?
    .into_iter()
    .filter_map(|(r, tag)| {
        let (since, field) = counted_from(tag)?;
        let age = t.as_of.signed_duration_since(since);
        (age > limit).then(|| {
            let days = age.num_days();
            let what = if field == "last_pulled_at" {
                format!("last pulled {days} days ago")
            } else {
                format!("never pulled, last changed {days} days ago")
            };
            Draft::tag(
                r,
                tag,
                format!(
                    "{}:{} was {what} (limit {})",
                    r.full_name, tag.name, t.stale_days
                ),
                json!({
                    "last_pulled_at": tag.last_pulled_at,
                    "counted_from": field,
                    "since": since,
                    "days": days,
                    "stale_days": t.stale_days,
                }),
            )
        })
    })
    .collect())
}
