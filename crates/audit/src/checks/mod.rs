//! The rules' logic: for one rule and one source's rows, either the findings (possibly none)
//! or why the rule cannot be evaluated there.
//!
//! "The provider reports the data" is decided from the rows, never from the provider kind: a
//! field that is `None` on every row of a source means the source does not report it, and the
//! rule is not evaluated there. A source with no row of the kind a rule reads is evaluated
//! (there is nothing to find). A row whose field is `None` in a source that reports the field
//! on other rows is skipped.

mod registry;
mod repository;
mod tag;

use chrono::{DateTime, Utc};
use reginv::{ProviderKind, Registry, Repository, Tag};
use serde_json::{Map, Value};

use crate::input::SourceRows;
use crate::rules::Rule;

/// The thresholds a check judges with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Thresholds {
    pub stale_days: u32,
    pub max_image_bytes: u64,
    pub max_tags: u64,
    pub as_of: DateTime<Utc>,
}

/// A finding before severity and suppression are applied.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    pub provider: ProviderKind,
    pub region: String,
    pub registry: Option<String>,
    pub repository: Option<String>,
    pub tag: Option<String>,
    pub message: String,
    pub evidence: Map<String, Value>,
}

impl Draft {
    fn registry(row: &Registry, message: String, evidence: Value) -> Self {
        Draft {
            provider: row.provider.clone(),
            region: row.region.clone(),
            registry: Some(row.name.clone()),
            repository: None,
            tag: None,
            message,
            evidence: object(evidence),
        }
    }

    fn repository(row: &Repository, message: String, evidence: Value) -> Self {
        Draft {
            provider: row.provider.clone(),
            region: row.region.clone(),
            registry: Some(row.registry.clone()),
            repository: Some(row.name.clone()),
            tag: None,
            message,
            evidence: object(evidence),
        }
    }

    fn tag(row: &Repository, tag: &Tag, message: String, evidence: Value) -> Self {
        let mut draft = Draft::repository(row, message, evidence);
        draft.tag = Some(tag.name.clone());
        draft
    }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => Map::from_iter([("value".to_string(), other)]),
    }
}

/// Findings, or why the rule is not evaluated on the source.
pub(crate) type Outcome = Result<Vec<Draft>, String>;

/// Runs `rule` over one source's rows.
pub(crate) fn check(rule: &Rule, source: &str, rows: &SourceRows<'_>, t: &Thresholds) -> Outcome {
    match rule.id {
        "public-registry" => registry::public(source, rows),
        "registry-disconnected" => registry::disconnected(source, rows),
        "scan-on-push-disabled" => registry::scan_on_push(source, rows),
        "public-repository" => repository::public(source, rows),
        "mutable-tags" => repository::mutable_tags(source, rows),
        "tag-sprawl" => repository::sprawl(source, rows, t.max_tags),
        "empty-repository" => repository::empty(source, rows),
        "image-not-scanned" => tag::not_scanned(source, rows),
        "oversized-image" => tag::oversized(source, rows, t.max_image_bytes),
        "stale-image" => tag::stale(source, rows, t),
        other => Err(format!("rule {other} has no check")),
    }
}

/// `Ok` when `rows` is empty or some row has the field (`known`); otherwise why not.
fn reported<T>(
    rows: &[T],
    known: impl Fn(&T) -> bool,
    source: &str,
    field: &str,
    rows_name: &str,
) -> Result<(), String> {
    if rows.is_empty() || rows.iter().any(known) {
        Ok(())
    } else {
        Err(format!(
            "{source} reports no `{field}` on any of its {} {rows_name}",
            rows.len()
        ))
    }
}
