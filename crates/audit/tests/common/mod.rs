//! Hand-made inventories for the rule tests.

#![allow(dead_code)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use reginv::{
    InventoryReport, ProviderKind, Registry, Repository, Source, SourceStatus, SourceSummary, Tag,
};
use reginv_audit::{AuditDocument, AuditInput};

pub const GIB: u64 = 1024 * 1024 * 1024;

/// The audits' reference time.
pub fn as_of() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
}

pub fn days_ago(days: i64) -> DateTime<Utc> {
    as_of() - Duration::days(days)
}

pub fn source(name: &str, provider: ProviderKind) -> Source {
    Source::new(name, provider, "r1", "http://127.0.0.1:1")
}

pub fn tag(name: &str, edit: impl FnOnce(&mut Tag)) -> Tag {
    let mut tag = Tag::new(name);
    edit(&mut tag);
    tag
}

/// Three sources:
/// - `a` (ncp) reports everything: registry `open` (public, no scan on push, running) and
///   `gone` (private, scans, disconnected); repositories `open/app` (public, mutable, tags
///   `big` 3 GiB pulled 200 days ago, `small` 1 GiB pulled 10 days ago, `old` never pulled and
///   updated 100 days ago, `fresh` never pulled and updated 5 days ago), `gone/empty` (private,
///   immutable, no tags) and `gone/many` (private, immutable, 6 tags);
/// - `b` (huawei) reports `public` and `scanned` but no scan on push, status, immutability or
///   pull times: registry `ns` (private), repository `ns/web` with `v1` (not scanned) and `v2`
///   (scanned);
/// - `c` failed.
pub struct World {
    pub sources: Vec<SourceSummary>,
    pub registries: Vec<Registry>,
    pub repositories: Vec<Repository>,
}

impl World {
    pub fn new() -> World {
        let a = source("a", ProviderKind::NCP);
        let b = source("b", ProviderKind::HUAWEI);
        let c = source("c", ProviderKind::new("acme"));
        let mut open = Registry::new(&a, "open");
        open.public = Some(true);
        open.scan_on_push = Some(false);
        open.status = Some("running".into());
        let mut gone = Registry::new(&a, "gone");
        gone.public = Some(false);
        gone.scan_on_push = Some(true);
        gone.status = Some("disconnected".into());
        let mut ns = Registry::new(&b, "ns");
        ns.public = Some(false);

        let mut app = Repository::new(&a, "open", "app");
        app.public = Some(true);
        app.tag_immutable = Some(false);
        app.tags = Some(vec![
            tag("big", |t| {
                t.size_bytes = Some(3 * GIB);
                t.last_pulled_at = Some(days_ago(200));
                t.updated_at = Some(days_ago(300));
            }),
            tag("small", |t| {
                t.size_bytes = Some(GIB);
                t.last_pulled_at = Some(days_ago(10));
                t.updated_at = Some(days_ago(300));
            }),
            tag("old", |t| {
                t.size_bytes = Some(10);
                t.updated_at = Some(days_ago(100));
            }),
            tag("fresh", |t| {
                t.size_bytes = Some(10);
                t.updated_at = Some(days_ago(5));
            }),
        ]);
        let mut empty = Repository::new(&a, "gone", "empty");
        empty.public = Some(false);
        empty.tag_immutable = Some(true);
        empty.tags = Some(Vec::new());
        let mut many = Repository::new(&a, "gone", "many");
        many.public = Some(false);
        many.tag_immutable = Some(true);
        many.tags = Some(
            (1..=6)
                .map(|i| {
                    tag(&format!("v{i}"), |t| {
                        t.last_pulled_at = Some(days_ago(1));
                        t.size_bytes = Some(100);
                    })
                })
                .collect(),
        );
        let mut web = Repository::new(&b, "ns", "web");
        web.public = Some(false);
        web.tags = Some(vec![
            tag("v1", |t| {
                t.scanned = Some(false);
                t.updated_at = Some(days_ago(400));
                t.size_bytes = Some(50);
            }),
            tag("v2", |t| {
                t.scanned = Some(true);
                t.size_bytes = Some(50);
            }),
        ]);
        let mut failed = SourceSummary::new(&c);
        failed.status = SourceStatus::Failed;
        failed.errors = 1;
        World {
            sources: vec![SourceSummary::new(&a), SourceSummary::new(&b), failed],
            registries: vec![open, gone, ns],
            repositories: vec![app, empty, many, web],
        }
    }

    pub fn input(&self) -> AuditInput<'_> {
        AuditInput::new(&self.sources, Some(&self.registries), &self.repositories)
    }

    pub fn report(&self) -> InventoryReport {
        InventoryReport::new(self.sources.clone(), self.repositories.clone(), Vec::new())
    }
}

/// The targets of a rule's findings, in order, with whether each is suppressed.
pub fn targets(doc: &AuditDocument, rule: &str) -> Vec<String> {
    doc.findings
        .iter()
        .filter(|f| f.rule == rule)
        .map(|f| {
            if f.suppressed {
                format!("{} (suppressed)", f.target())
            } else {
                f.target()
            }
        })
        .collect()
}

/// The sources a rule was evaluated on, and those it was not.
pub fn coverage(doc: &AuditDocument, rule: &str) -> (Vec<String>, Vec<String>) {
    let report = doc
        .rules
        .iter()
        .find(|r| r.id == rule)
        .unwrap_or_else(|| panic!("rule {rule} not run"));
    (
        report.evaluated_sources.clone(),
        report
            .not_evaluated
            .iter()
            .map(|n| n.source.clone())
            .collect(),
    )
}

/// The reason `rule` was not evaluated on `source`.
pub fn reason(doc: &AuditDocument, rule: &str, source: &str) -> String {
    doc.rules
        .iter()
        .find(|r| r.id == rule)
        .and_then(|r| r.not_evaluated.iter().find(|n| n.source == source))
        .map(|n| n.reason.clone())
        .unwrap_or_else(|| panic!("{rule} was evaluated on {source}"))
}
