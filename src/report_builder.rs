//! [`ReportBuilder`]: the one place where inventory events become an [`InventoryReport`] (its
//! deterministic order and its [`Outcome`]), used by [`Inventory::collect`](crate::Inventory::collect)
//! and by anything that consumes [`Inventory::stream`](crate::Inventory::stream) itself (the
//! CLI, which also drives a progress line from the events).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::core::{Registry, Repository};
use crate::failure::Failure;
use crate::report::{InventoryEvent, InventoryReport, SourceStatus, SourceSummary};

/// How an inventory ended, for callers that act on it (the CLI's exit status).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every selected source listed without an error.
    Complete,
    /// Something was listed, but some listings failed.
    Partial,
    /// Nothing could be listed: no source was selected, or every source failed.
    NothingListed,
}

impl Outcome {
    /// The outcome of a run whose sources ended as `sources`, with no failure at all when
    /// `complete`.
    pub fn of(sources: &[SourceSummary], complete: bool) -> Outcome {
        if sources.is_empty() {
            Outcome::NothingListed
        } else if complete {
            Outcome::Complete
        } else if sources.iter().all(|s| s.status == SourceStatus::Failed) {
            Outcome::NothingListed
        } else {
            Outcome::Partial
        }
    }

    /// The snake_case name (`complete`, `partial`, `nothing_listed`).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Complete => "complete",
            Outcome::Partial => "partial",
            Outcome::NothingListed => "nothing_listed",
        }
    }

    /// The process exit status the `reginv` command maps this outcome to: `0` complete, `2`
    /// partial, `1` nothing listed.
    pub fn exit_code(self) -> i32 {
        match self {
            Outcome::Complete => 0,
            Outcome::Partial => 2,
            Outcome::NothingListed => 1,
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Collects events; [`finish`](ReportBuilder::finish) sorts them into a report.
///
/// The order: sources in configuration order; registries by source (in that order) and
/// name; repositories by source, registry and name, each one's tags by name; errors by source, operation, target and
/// message. Sources not named in the order follow, by name.
#[derive(Debug)]
pub struct ReportBuilder {
    started: DateTime<Utc>,
    order: Vec<String>,
    sources: Vec<SourceSummary>,
    registries: Vec<Registry>,
    repositories: Vec<Repository>,
    errors: Vec<Failure>,
}

impl ReportBuilder {
    /// A builder for sources named in `order` (configuration order); the report's
    /// `generated_at` is now, when the inventory starts.
    pub fn new(order: Vec<String>) -> Self {
        ReportBuilder {
            started: Utc::now(),
            order,
            sources: Vec::new(),
            registries: Vec::new(),
            repositories: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Keeps one event.
    pub fn push(&mut self, event: InventoryEvent) {
        match event {
            InventoryEvent::Repository(repo) => self.repositories.push(*repo),
            InventoryEvent::Failure(failure) => self.errors.push(failure),
            InventoryEvent::SourceFinished(summary) => self.sources.push(summary),
            InventoryEvent::Registry(registry) => self.registries.push(*registry),
        }
    }

    /// The report, sorted.
    pub fn finish(mut self) -> InventoryReport {
        let rank = |name: &str| {
            self.order
                .iter()
                .position(|n| n == name)
                .unwrap_or(usize::MAX)
        };
        let by_source = |a: &str, b: &str| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b));
        self.sources.sort_by(|a, b| by_source(&a.name, &b.name));
        for repo in &mut self.repositories {
            if let Some(tags) = &mut repo.tags {
                tags.sort_by(|a, b| a.name.cmp(&b.name));
            }
        }
        self.repositories.sort_by(|a, b| {
            by_source(&a.source, &b.source)
                .then_with(|| a.registry.cmp(&b.registry))
                .then_with(|| a.name.cmp(&b.name))
        });
        self.errors.sort_by(|a, b| {
            by_source(&a.source, &b.source)
                .then_with(|| a.operation.cmp(&b.operation))
                .then_with(|| a.target.cmp(&b.target))
                .then_with(|| a.message.cmp(&b.message))
        });
        self.registries
            .sort_by(|a, b| by_source(&a.source, &b.source).then_with(|| a.name.cmp(&b.name)));
        let mut report = InventoryReport::new(self.sources, self.repositories, self.errors);
        report.registries = self.registries;
        report.generated_at = self.started;
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{ProviderKind, Source};

    fn summary(name: &str, repositories: u64, errors: u64) -> SourceSummary {
        let source = Source::new(name, ProviderKind::new("custom"), "r", "memory://");
        let mut s = SourceSummary::new(&source);
        s.repositories = repositories;
        s.errors = errors;
        s.status = SourceStatus::from_counts(repositories, errors);
        s
    }

    #[test]
    fn outcomes_and_their_exit_codes() {
        let cases = [
            (vec![], true, Outcome::NothingListed, 1),
            (vec![summary("a", 1, 0)], true, Outcome::Complete, 0),
            (
                vec![summary("a", 1, 0), summary("b", 0, 1)],
                false,
                Outcome::Partial,
                2,
            ),
            (
                vec![summary("a", 0, 1), summary("b", 0, 2)],
                false,
                Outcome::NothingListed,
                1,
            ),
        ];
        for (sources, complete, outcome, code) in cases {
            assert_eq!(Outcome::of(&sources, complete), outcome);
            assert_eq!(outcome.exit_code(), code);
        }
        assert_eq!(
            serde_json::to_value(Outcome::NothingListed).unwrap(),
            "nothing_listed"
        );
    }

    #[test]
    fn unknown_sources_follow_by_name() {
        let mut builder = ReportBuilder::new(vec!["z".into()]);
        for name in ["b", "z", "a"] {
            builder.push(InventoryEvent::SourceFinished(summary(name, 0, 0)));
        }
        let report = builder.finish();
        let names: Vec<&str> = report.sources.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["z", "a", "b"]);
        assert_eq!(report.outcome(), Outcome::Complete);
    }
}
