//! Gathering streamed events into a sorted [`InventoryReport`].

use chrono::{DateTime, Utc};
use reginv::{Failure, InventoryEvent, InventoryReport, Registry, Repository, SourceSummary};

/// Collects events; [`finish`](ReportAssembler::finish) sorts them into a report.
///
/// The order is the facade's: sources in configuration order; repositories by source (in that
/// order), registry and name, each one's tags by name; errors by source, operation, target and
/// message.
#[derive(Debug)]
pub struct ReportAssembler {
    started: DateTime<Utc>,
    order: Vec<String>,
    sources: Vec<SourceSummary>,
    registries: Vec<Registry>,
    repositories: Vec<Repository>,
    errors: Vec<Failure>,
}

impl ReportAssembler {
    /// An assembler for sources named in `order` (configuration order); the report's
    /// `generated_at` is now, when the inventory starts.
    pub fn new(order: Vec<String>) -> Self {
        ReportAssembler {
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
    use reginv::{ErrorKind, ProviderKind, Source, Tag};

    fn source(name: &str) -> Source {
        Source::new(name, ProviderKind::HUAWEI, "ap", "http://127.0.0.1:1")
    }

    fn repo(source_name: &str, registry: &str, name: &str, tags: &[&str]) -> InventoryEvent {
        let mut repo = Repository::new(&source(source_name), registry, name);
        repo.tags = Some(tags.iter().map(|t| Tag::new(*t)).collect());
        InventoryEvent::Repository(Box::new(repo))
    }

    #[test]
    fn sorts_by_config_order_registry_name_and_tag() {
        let mut assembler = ReportAssembler::new(vec!["zeta".into(), "alpha".into()]);
        let failure = |s: &str, target: &str| {
            let mut f = Failure::new(&source(s), "list_tags", ErrorKind::Server, "boom");
            f.target = Some(target.into());
            InventoryEvent::Failure(f)
        };
        let registry = |s: &str, name: &str| {
            InventoryEvent::Registry(Box::new(Registry::new(&source(s), name)))
        };
        for event in [
            registry("alpha", "b"),
            registry("zeta", "z"),
            registry("alpha", "a"),
            repo("alpha", "a", "x", &["2", "1"]),
            failure("alpha", "a/y"),
            repo("zeta", "b", "z", &[]),
            repo("zeta", "a", "y", &["b", "a"]),
            failure("zeta", "b/q"),
            failure("zeta", "a/q"),
            InventoryEvent::SourceFinished(SourceSummary::new(&source("alpha"))),
            InventoryEvent::SourceFinished(SourceSummary::new(&source("zeta"))),
        ] {
            assembler.push(event);
        }
        let report = assembler.finish();
        let names: Vec<&str> = report
            .repositories
            .iter()
            .map(|r| r.full_name.as_str())
            .collect();
        assert_eq!(names, ["a/y", "b/z", "a/x"]);
        let tags: Vec<&str> = report.repositories[0]
            .tags
            .iter()
            .flatten()
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(tags, ["a", "b"]);
        let sources: Vec<&str> = report.sources.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(sources, ["zeta", "alpha"]);
        let registries: Vec<(&str, &str)> = report
            .registries
            .iter()
            .map(|r| (r.source.as_str(), r.name.as_str()))
            .collect();
        assert_eq!(registries, [("zeta", "z"), ("alpha", "a"), ("alpha", "b")]);
        let errors: Vec<(&str, Option<&str>)> = report
            .errors
            .iter()
            .map(|e| (e.source.as_str(), e.target.as_deref()))
            .collect();
        assert_eq!(
            errors,
            [
                ("zeta", Some("a/q")),
                ("zeta", Some("b/q")),
                ("alpha", Some("a/y"))
            ]
        );
        assert!(!report.complete);
        assert_eq!(report.exit_code(), 2);
    }
}
