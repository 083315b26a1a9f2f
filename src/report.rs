//! What an inventory produces: [`InventoryEvent`]s as they arrive, and the collected
//! [`InventoryReport`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::core::{ProviderKind, Registry, Repository, Source};
use crate::failure::Failure;
use crate::report_builder::Outcome;

/// The version of the [`InventoryReport`] JSON schema.
pub const SCHEMA_VERSION: u32 = 1;

/// One event of an inventory stream.
///
/// Serialized with a `type` field and the payload's fields beside it:
/// `{"type":"repository", …Repository fields…}`, `{"type":"error", …Failure fields…}`,
/// `{"type":"source", …SourceSummary fields…}`, `{"type":"registry", …Registry fields…}`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InventoryEvent {
    /// A repository, with its tags at the requested [`TagDepth`](crate::TagDepth).
    Repository(Box<Repository>),
    /// Something failed; the inventory goes on.
    #[serde(rename = "error")]
    Failure(Failure),
    /// A source has nothing more to list; its summary. Every selected source sends exactly one,
    /// as its last event.
    #[serde(rename = "source")]
    SourceFinished(SourceSummary),
    /// A registry (NCR registry, SWR namespace) the filters select, empty or not, sent before
    /// its repositories.
    Registry(Box<Registry>),
}

/// How a source's listing went.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceStatus {
    /// Everything was listed without an error.
    Ok,
    /// Some listings failed, but some repositories were listed.
    Partial,
    /// Listings failed and no repository was listed.
    Failed,
}

impl SourceStatus {
    /// The status of a source that listed `repositories` repositories with `errors` errors.
    pub fn from_counts(repositories: u64, errors: u64) -> Self {
        match (errors, repositories) {
            (0, _) => SourceStatus::Ok,
            (_, 0) => SourceStatus::Failed,
            _ => SourceStatus::Partial,
        }
    }

    /// The lower-case name (`ok`, `partial`, `failed`), as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceStatus::Ok => "ok",
            SourceStatus::Partial => "partial",
            SourceStatus::Failed => "failed",
        }
    }
}

impl std::fmt::Display for SourceStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one source contributed to an inventory.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SourceSummary {
    /// The source label.
    pub name: String,
    /// Its provider.
    pub provider: ProviderKind,
    /// Its region.
    pub region: String,
    /// The endpoint it talked to.
    pub endpoint: String,
    /// `ok`, `partial` or `failed`.
    pub status: SourceStatus,
    /// Registries listed (after filters), empty ones included.
    #[serde(default)]
    pub registries: u64,
    /// Repositories listed (after filters).
    pub repositories: u64,
    /// Tags listed, over those repositories (0 at depth `none`).
    pub tags: u64,
    /// Failures recorded.
    pub errors: u64,
    /// HTTP requests sent during this inventory, retries included.
    pub requests: u64,
    /// Of those, retries.
    pub retries: u64,
    /// Responses that said the source was throttled (HTTP 429 or the vendor's throttling
    /// code); each counts towards shrinking the source's concurrency limit.
    pub throttled: u64,
    /// The source's adaptive concurrency limit at the end of the run: how many requests it
    /// had come to allow in flight at once (it starts modest, grows while the source answers
    /// promptly, shrinks on throttling, 503s and timeouts, within `--concurrency` and
    /// `--per-source-concurrency`). `None` when not measured (a summary read back from a
    /// store, or written before the limit was adaptive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency_limit: Option<u32>,
    /// The rate, in requests per second, the source was last paced to after it throttled
    /// what it was sent beyond a rate (90% of the rate it was measured to admit: about what its
    /// gateway allows). `None` when it never was (no throttling, or only now and then), and in
    /// summaries stored before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paced_rps: Option<u32>,
    /// The page size the source ended up using, after any negotiation with the vendor (a
    /// refused size is halved and remembered); `None` when the provider does not say.
    pub page_size: Option<u32>,
    /// Wall-clock time from the start of the source's listing to its end, in milliseconds.
    pub elapsed_ms: u64,
    /// In an incremental inventory, the repositories whose tags were taken from an earlier
    /// run instead of listed; absent outside incremental runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reused: Option<u64>,
}

impl SourceSummary {
    /// A summary of `source` with every count at zero and status `ok`.
    pub fn new(source: &Source) -> Self {
        SourceSummary {
            name: source.name.clone(),
            provider: source.provider.clone(),
            region: source.region.clone(),
            endpoint: source.endpoint.clone(),
            status: SourceStatus::Ok,
            registries: 0,
            repositories: 0,
            tags: 0,
            errors: 0,
            requests: 0,
            retries: 0,
            throttled: 0,
            concurrency_limit: None,
            paced_rps: None,
            page_size: None,
            elapsed_ms: 0,
            reused: None,
        }
    }
}

/// A whole inventory, in deterministic order.
///
/// `sources` are in the order the providers were given (config order); `repositories` are
/// sorted by source (in that order), registry and name, and each repository's tags by name;
/// `errors` by source, operation, target and message. Two runs over the same data differ only
/// in `generated_at`, the `elapsed_ms` of each source, and request/retry counts when
/// faults were injected.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InventoryReport {
    /// The schema version of this document ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// When the inventory started.
    pub generated_at: DateTime<Utc>,
    /// Whether nothing failed.
    pub complete: bool,
    /// One summary per source, in config order.
    pub sources: Vec<SourceSummary>,
    /// Every registry listed (NCR registries, SWR namespaces), empty ones included, sorted by
    /// source (config order) and name.
    #[serde(default)]
    pub registries: Vec<Registry>,
    /// Every repository listed, with its tags at the requested depth.
    pub repositories: Vec<Repository>,
    /// Every failure.
    pub errors: Vec<Failure>,
}

impl InventoryReport {
    /// A report of these parts, generated now; `complete` is derived from `errors`. The parts
    /// are kept in the order given.
    pub fn new(
        sources: Vec<SourceSummary>,
        repositories: Vec<Repository>,
        errors: Vec<Failure>,
    ) -> Self {
        InventoryReport {
            schema_version: SCHEMA_VERSION,
            generated_at: Utc::now(),
            complete: errors.is_empty(),
            sources,
            registries: Vec::new(),
            repositories,
            errors,
        }
    }

    /// How the inventory ended: complete, partial, or nothing listed (no sources, or every
    /// source failed).
    pub fn outcome(&self) -> Outcome {
        Outcome::of(&self.sources, self.complete)
    }

    /// The process exit status the [`outcome`](InventoryReport::outcome) maps to
    /// ([`Outcome::exit_code`]): `0` when complete; `1` when there were no sources or every
    /// source failed (nothing could be listed); `2` when something was listed but the report is
    /// incomplete.
    pub fn exit_code(&self) -> i32 {
        self.outcome().exit_code()
    }

    /// Total tags over every repository.
    pub fn tag_count(&self) -> u64 {
        self.repositories
            .iter()
            .map(|r| r.tags.as_ref().map_or(0, |t| t.len() as u64))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{ErrorKind, Tag};

    fn source(name: &str) -> Source {
        Source::new(name, ProviderKind::NCP, "kr", "http://127.0.0.1:1")
    }

    fn summary(name: &str, repositories: u64, errors: u64) -> SourceSummary {
        let mut s = SourceSummary::new(&source(name));
        s.repositories = repositories;
        s.errors = errors;
        s.status = SourceStatus::from_counts(repositories, errors);
        s
    }

    fn failure(name: &str) -> Failure {
        Failure::new(&source(name), "list_registries", ErrorKind::Server, "boom")
    }

    #[test]
    fn status_from_counts() {
        assert_eq!(SourceStatus::from_counts(0, 0), SourceStatus::Ok);
        assert_eq!(SourceStatus::from_counts(3, 0), SourceStatus::Ok);
        assert_eq!(SourceStatus::from_counts(3, 1), SourceStatus::Partial);
        assert_eq!(SourceStatus::from_counts(0, 1), SourceStatus::Failed);
    }

    #[test]
    fn exit_codes() {
        let ok = InventoryReport::new(vec![summary("a", 1, 0), summary("b", 0, 0)], vec![], vec![]);
        assert_eq!(ok.exit_code(), 0);
        let partial = InventoryReport::new(
            vec![summary("a", 1, 0), summary("b", 0, 1)],
            vec![],
            vec![failure("b")],
        );
        assert!(!partial.complete);
        assert_eq!(partial.exit_code(), 2);
        let one_partial =
            InventoryReport::new(vec![summary("a", 2, 1)], vec![], vec![failure("a")]);
        assert_eq!(one_partial.exit_code(), 2);
        let all_failed = InventoryReport::new(
            vec![summary("a", 0, 1), summary("b", 0, 2)],
            vec![],
            vec![failure("a"), failure("b")],
        );
        assert_eq!(all_failed.exit_code(), 1);
        assert_eq!(InventoryReport::new(vec![], vec![], vec![]).exit_code(), 1);
    }

    #[test]
    fn events_serialize_with_a_type_field() {
        let mut repo = Repository::new(&source("a"), "reg", "app");
        repo.tags = Some(vec![Tag::new("latest")]);
        let json = serde_json::to_value(InventoryEvent::Repository(Box::new(repo))).unwrap();
        assert_eq!(json["type"], "repository");
        assert_eq!(json["full_name"], "reg/app");
        assert_eq!(json["tags"][0]["name"], "latest");
        let json = serde_json::to_value(InventoryEvent::Failure(failure("a"))).unwrap();
        assert_eq!(json["type"], "error");
        assert_eq!(json["kind"], "server");
        let json =
            serde_json::to_value(InventoryEvent::SourceFinished(summary("a", 1, 0))).unwrap();
        assert_eq!(json["type"], "source");
        assert_eq!(json["status"], "ok");
        let back: InventoryEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back, InventoryEvent::SourceFinished(summary("a", 1, 0)));
    }

    #[test]
    fn report_round_trips_through_json() {
        let mut repo = Repository::new(&source("a"), "reg", "app");
        repo.tags = Some(vec![Tag::new("1"), Tag::new("2")]);
        let report = InventoryReport::new(vec![summary("a", 1, 1)], vec![repo], vec![failure("a")]);
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["schema_version"], 1);
        assert_eq!(json["complete"], false);
        assert_eq!(json["sources"][0]["status"], "partial");
        let back: InventoryReport = serde_json::from_value(json).unwrap();
        assert_eq!(back, report);
        assert_eq!(back.tag_count(), 2);
    }
}
