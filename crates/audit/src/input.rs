//! What an audit reads: the rows of an inventory, grouped by source.

use reginv::{InventoryReport, Registry, Repository, SourceStatus, SourceSummary, TagDepth};

/// The parts of an inventory an audit reads. Build it from an [`InventoryReport`] (`From`), or
/// from parts when the rows come from elsewhere (a stored snapshot).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct AuditInput<'a> {
    /// The sources, in the inventory's order (findings are ordered by it).
    pub sources: &'a [SourceSummary],
    /// The registry rows; `None` when the inventory does not carry registry rows at all (then
    /// the registry rules are not evaluated anywhere).
    pub registries: Option<&'a [Registry]>,
    /// The repository rows, with their tags when listed.
    pub repositories: &'a [Repository],
    /// The tag depth the inventory was listed at, when known (a stored snapshot records it; a
    /// JSON report does not, and each repository's `tags` say whether its tags were listed).
    /// A rule that needs a deeper listing is not evaluated, with that reason.
    pub depth: Option<TagDepth>,
}

impl<'a> AuditInput<'a> {
    /// Input of these parts.
    pub fn new(
        sources: &'a [SourceSummary],
        registries: Option<&'a [Registry]>,
        repositories: &'a [Repository],
    ) -> Self {
        AuditInput {
            sources,
            registries,
            repositories,
            depth: None,
        }
    }

    /// The same input, known to be listed at tag depth `depth`.
    pub fn with_depth(mut self, depth: TagDepth) -> Self {
        self.depth = Some(depth);
        self
    }

    /// Every source name: the summaries' in order, then any other source a row names.
    pub(crate) fn source_names(&self) -> Vec<&'a str> {
        let mut names: Vec<&'a str> = self.sources.iter().map(|s| s.name.as_str()).collect();
        let rows = self
            .registries
            .unwrap_or_default()
            .iter()
            .map(|r| r.source.as_str())
            .chain(self.repositories.iter().map(|r| r.source.as_str()));
        for name in rows {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names
    }

    /// Whether the listing of `source` failed outright (nothing of it can be judged).
    pub(crate) fn failed(&self, source: &str) -> bool {
        self.sources
            .iter()
            .any(|s| s.name == source && s.status == SourceStatus::Failed)
    }

    /// The rows of one source. A source with repositories but no registry row did not have
    /// its registries listed (every repository is in a registry; a report written before
    /// reports carried registries reads as an empty list): its registries are unknown.
    pub(crate) fn rows_of(&self, source: &str) -> SourceRows<'a> {
        let repositories: Vec<&'a Repository> = self
            .repositories
            .iter()
            .filter(|r| r.source == source)
            .collect();
        let registries = self
            .registries
            .map(|rows| {
                rows.iter()
                    .filter(|r| r.source == source)
                    .collect::<Vec<_>>()
            })
            .filter(|rows| !rows.is_empty() || repositories.is_empty());
        SourceRows {
            registries,
            repositories,
        }
    }
}

impl<'a> From<&'a InventoryReport> for AuditInput<'a> {
    /// The report's sources, registries and repositories. A report written before reports
    /// carried registries reads as no registry row: the registries of a source with
    /// repositories are then unknown, and the registry rules are not evaluated on it.
    fn from(report: &'a InventoryReport) -> Self {
        AuditInput::new(
            &report.sources,
            Some(&report.registries),
            &report.repositories,
        )
    }
}

/// The rows of one source.
#[derive(Debug, Clone)]
pub(crate) struct SourceRows<'a> {
    /// Its registries (`None`: registry rows not carried).
    pub registries: Option<Vec<&'a Registry>>,
    /// Its repositories.
    pub repositories: Vec<&'a Repository>,
}
