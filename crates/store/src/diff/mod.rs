//! What changed between two inventories: registries, repositories and tags added or removed,
//! exposure and identity fields changed, and tags that now point at another image (`tag_moved`:
//! a retag, which is how a supply-chain incident looks from outside).
//!
//! **A failed listing is never a removal.** When a source failed in either run, or did not
//! finish, nothing of it is compared; when a registry's repositories or a repository's tags
//! failed to list in either run, or were not listed at all (tag depth `none`, or another depth),
//! nothing under them is reported added or removed. Each source is reported `comparable` or not,
//! with the reason. The diff never branches on the provider: a field takes part when both runs
//! know it.
//!
//! [`diff`] is pure: it compares two [`Side`]s, each a report with its registries and what
//! is known of its run.

mod scope;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use reginv::{InventoryReport, Registry, Repository, SourceStatus, Tag, TagDepth};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::read::Snapshot;
use scope::Scopes;

/// The version of the diff JSON document.
pub const DIFF_SCHEMA_VERSION: u32 = 1;

/// What kind of change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// A registry (or namespace) appeared.
    RegistryAdded,
    /// A registry disappeared.
    RegistryRemoved,
    /// A registry's exposure or identity fields changed (`public`, `scan_on_push`, `status`,
    /// `pull_endpoint`).
    RegistryChanged,
    /// A repository appeared.
    RepositoryAdded,
    /// A repository disappeared.
    RepositoryRemoved,
    /// A repository's exposure or identity fields changed (`public`, `tag_immutable`,
    /// `description`, `pull_uri`).
    RepositoryChanged,
    /// A tag appeared.
    TagAdded,
    /// A tag disappeared.
    TagRemoved,
    /// The same tag name now has another digest: a retag.
    TagMoved,
}

impl ChangeKind {
    /// Every kind, in the order changes are listed.
    pub const ALL: [ChangeKind; 9] = [
        ChangeKind::RegistryAdded,
        ChangeKind::RegistryRemoved,
        ChangeKind::RegistryChanged,
        ChangeKind::RepositoryAdded,
        ChangeKind::RepositoryRemoved,
        ChangeKind::RepositoryChanged,
        ChangeKind::TagAdded,
        ChangeKind::TagRemoved,
        ChangeKind::TagMoved,
    ];

    /// The name, as serialized (`tag_moved`).
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::RegistryAdded => "registry_added",
            ChangeKind::RegistryRemoved => "registry_removed",
            ChangeKind::RegistryChanged => "registry_changed",
            ChangeKind::RepositoryAdded => "repository_added",
            ChangeKind::RepositoryRemoved => "repository_removed",
            ChangeKind::RepositoryChanged => "repository_changed",
            ChangeKind::TagAdded => "tag_added",
            ChangeKind::TagRemoved => "tag_removed",
            ChangeKind::TagMoved => "tag_moved",
        }
    }
}

/// One changed field of a `*_changed` change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FieldChange {
    /// The field name (`public`).
    pub name: String,
    /// Its value in the older run.
    pub before: Json,
    /// Its value in the newer run.
    pub after: Json,
}

/// One change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Change {
    /// What changed.
    pub kind: ChangeKind,
    /// The source label.
    pub source: String,
    /// The registry.
    pub registry: String,
    /// The repository name, for repository and tag changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// The tag name, for tag changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// The object in the older run (`null` when added). Repositories without their tags.
    pub before: Json,
    /// The object in the newer run (`null` when removed).
    pub after: Json,
    /// For `*_changed`: the fields that changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<FieldChange>>,
}

/// Whether a source could be compared, and if not entirely, why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SourceComparison {
    /// The source label.
    pub name: String,
    /// `true` when everything of the source was compared.
    pub comparable: bool,
    /// Why not (`null` when comparable).
    pub reason: Option<String>,
}

/// What is known of one side's run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct RunRef {
    /// The snapshot id, for a stored run.
    pub id: Option<i64>,
    /// The report file, for a `--format json` report.
    pub file: Option<String>,
    /// When the inventory started.
    pub started: DateTime<Utc>,
    /// When it finished, when known.
    pub finished: Option<DateTime<Utc>>,
    /// Its status (`complete`, `incomplete`), when stored.
    pub status: Option<String>,
    /// Its tag depth, when known.
    pub depth: Option<TagDepth>,
}

/// One side of a diff: an inventory, its registries, and what is known of its run.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Side {
    /// The run.
    pub run: RunRef,
    /// The inventory.
    pub report: InventoryReport,
    /// Its registries (may be empty: registries are then known from the repositories).
    pub registries: Vec<Registry>,
}

impl Side {
    /// A stored snapshot.
    pub fn from_snapshot(snapshot: Snapshot) -> Side {
        Side {
            run: RunRef {
                id: Some(snapshot.run.id),
                file: None,
                started: snapshot.run.started,
                finished: snapshot.run.finished,
                status: Some(snapshot.run.status.as_str().to_string()),
                depth: Some(snapshot.run.depth),
            },
            report: snapshot.report,
            registries: snapshot.registries,
        }
    }

    /// A `--format json` report read from `file`, with the registries it lists (its depth is
    /// not recorded in the document; each repository's `tags` say whether its tags were
    /// listed).
    pub fn from_report(report: InventoryReport, file: impl Into<String>) -> Side {
        Side {
            run: RunRef {
                id: None,
                file: Some(file.into()),
                started: report.generated_at,
                finished: None,
                status: None,
                depth: None,
            },
            registries: report.registries.clone(),
            report,
        }
    }
}

/// The diff document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Diff {
    /// [`DIFF_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The older run.
    pub from: RunRef,
    /// The newer run.
    pub to: RunRef,
    /// Every source of either run, newer run's order first.
    pub sources: Vec<SourceComparison>,
    /// The changes, by source, registry, repository, tag.
    pub changes: Vec<Change>,
    /// How many changes of each kind (every kind, zeros included).
    pub summary: BTreeMap<ChangeKind, u64>,
}

impl Diff {
    /// Whether anything changed.
    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty()
    }

    /// The document as NDJSON lines (`reginv diff --format ndjson`): each change, each
    /// source, then the summary.
    pub fn lines(&self) -> impl Iterator<Item = DiffLine<'_>> {
        let changes = self.changes.iter().map(DiffLine::Change);
        let sources = self.sources.iter().map(DiffLine::Source);
        let summary = DiffLine::Summary(DiffSummary {
            schema_version: self.schema_version,
            from: &self.from,
            to: &self.to,
            summary: &self.summary,
        });
        changes.chain(sources).chain(std::iter::once(summary))
    }
}

/// One line of the diff as NDJSON: the object of the [`Diff`] it stands for, with a `type`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DiffLine<'a> {
    /// One change (`"type": "change"`), as in [`Diff::changes`].
    Change(&'a Change),
    /// One source (`"type": "source"`), as in [`Diff::sources`].
    Source(&'a SourceComparison),
    /// The last line (`"type": "summary"`).
    Summary(DiffSummary<'a>),
}

/// The last NDJSON line of a diff: what the [`Diff`] document says besides its changes and
/// sources.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DiffSummary<'a> {
    /// [`DIFF_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The older run.
    pub from: &'a RunRef,
    /// The newer run.
    pub to: &'a RunRef,
    /// How many changes of each kind (every kind, zeros included).
    pub summary: &'a BTreeMap<ChangeKind, u64>,
}

/// Compares `from` (older) with `to` (newer).
pub fn diff(from: &Side, to: &Side) -> Diff {
    let mut names: Vec<&str> = Vec::new();
    for s in to.report.sources.iter().chain(&from.report.sources) {
        if !names.contains(&s.name.as_str()) {
            names.push(&s.name);
        }
    }
    for side in [to, from] {
        // A source that did not finish has no summary but may have rows.
        for name in side.report.repositories.iter().map(|r| r.source.as_str()) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    let mut sources = Vec::new();
    let mut changes = Vec::new();
    for name in names {
        let (comparison, source_changes) = compare_source(name, from, to);
        sources.push(comparison);
        changes.extend(source_changes);
    }
    let mut summary: BTreeMap<ChangeKind, u64> = ChangeKind::ALL.iter().map(|k| (*k, 0)).collect();
    for change in &changes {
        *summary.entry(change.kind).or_default() += 1;
    }
    Diff {
        schema_version: DIFF_SCHEMA_VERSION,
        from: from.run.clone(),
        to: to.run.clone(),
        sources,
        changes,
        summary,
    }
}

fn label(side: &Side) -> String {
    match (&side.run.id, &side.run.file) {
        (Some(id), _) => format!("run {id}"),
        (None, Some(file)) => file.clone(),
        (None, None) => "a run".to_string(),
    }
}

fn compare_source(name: &str, from: &Side, to: &Side) -> (SourceComparison, Vec<Change>) {
    let not_comparable = |reason: String| {
        (
            SourceComparison {
                name: name.to_string(),
                comparable: false,
                reason: Some(reason),
            },
            Vec::new(),
        )
    };
    let summary = |side: &Side| side.report.sources.iter().find(|s| s.name == name).cloned();
    let (Some(old), Some(new)) = (summary(from), summary(to)) else {
        let missing = if summary(from).is_none() { from } else { to };
        return not_comparable(format!(
            "not listed to the end in {}: nothing of it is compared",
            label(missing)
        ));
    };
    for (side, s) in [(from, &old), (to, &new)] {
        if s.status == SourceStatus::Failed {
            return not_comparable(format!(
                "its listing failed in {}: nothing of it is compared",
                label(side)
            ));
        }
    }
    let old_scopes = Scopes::of(name, &from.report);
    let new_scopes = Scopes::of(name, &to.report);
    let mut reasons = Vec::new();
    for (side, scopes) in [(from, &old_scopes), (to, &new_scopes)] {
        if let Some(text) = scopes.describe() {
            reasons.push(format!(
                "{text} failed in {}: nothing under them is reported added or removed",
                label(side)
            ));
        }
    }
    let depths_differ = matches!((from.run.depth, to.run.depth), (Some(a), Some(b)) if a != b);
    if depths_differ {
        reasons.push(format!(
            "tags listed at depth {} in {} and {} in {}: tags are not compared",
            from.run.depth.map_or("?", TagDepth::as_str),
            label(from),
            to.run.depth.map_or("?", TagDepth::as_str),
            label(to),
        ));
    }
    let mut ctx = SourceDiff {
        name,
        old: &old_scopes,
        new: &new_scopes,
        compare_tags: !depths_differ,
        changes: Vec::new(),
    };
    ctx.registries(from, to);
    ctx.repositories(from, to);
    let comparison = SourceComparison {
        name: name.to_string(),
        comparable: reasons.is_empty(),
        reason: (!reasons.is_empty()).then(|| reasons.join("; ")),
    };
    (comparison, ctx.changes)
}

struct SourceDiff<'a> {
    name: &'a str,
    old: &'a Scopes,
    new: &'a Scopes,
    compare_tags: bool,
    changes: Vec<Change>,
}

/// The registries of `source` in `side`: the listed ones, and those known from repositories.
fn registries_of<'a>(side: &'a Side, source: &str) -> BTreeMap<&'a str, Option<&'a Registry>> {
    let mut out: BTreeMap<&str, Option<&Registry>> = BTreeMap::new();
    for repo in side
        .report
        .repositories
        .iter()
        .filter(|r| r.source == source)
    {
        out.entry(repo.registry.as_str()).or_insert(None);
    }
    for registry in side.registries.iter().filter(|r| r.source == source) {
        out.insert(registry.name.as_str(), Some(registry));
    }
    out
}

fn repositories_of<'a>(
    side: &'a Side,
    source: &str,
) -> BTreeMap<(&'a str, &'a str), &'a Repository> {
    side.report
        .repositories
        .iter()
        .filter(|r| r.source == source)
        .map(|r| ((r.registry.as_str(), r.name.as_str()), r))
        .collect()
}

fn to_json<T: Serialize>(value: &T) -> Json {
    serde_json::to_value(value).unwrap_or(Json::Null)
}

/// A repository as a change shows it: without its tags (tag changes are their own).
fn repository_json(repo: &Repository) -> Json {
    let mut value = to_json(repo);
    if let Json::Object(map) = &mut value {
        map.remove("tags");
    }
    value
}

/// The fields known on both sides that differ.
fn changed_fields(pairs: Vec<(&str, Json, Json)>) -> Vec<FieldChange> {
    pairs
        .into_iter()
        .filter(|(_, before, after)| !before.is_null() && !after.is_null() && before != after)
        .map(|(name, before, after)| FieldChange {
            name: name.to_string(),
            before,
            after,
        })
        .collect()
}

impl SourceDiff<'_> {
    /// Whether additions and removals of `registry` (and of everything in it) are reported.
    fn registry_listed(&self, registry: &str) -> bool {
        self.old.registry_listed(registry) && self.new.registry_listed(registry)
    }

    /// Records a change of `kind` at `(registry, repository, tag)`.
    fn push(
        &mut self,
        kind: ChangeKind,
        (registry, repository, tag): (&str, Option<&str>, Option<&str>),
        before: Json,
        after: Json,
        fields: Option<Vec<FieldChange>>,
    ) {
        self.changes.push(Change {
            kind,
            source: self.name.to_string(),
            registry: registry.to_string(),
            repository: repository.map(str::to_string),
            tag: tag.map(str::to_string),
            before,
            after,
            fields,
        });
    }

    fn registries(&mut self, from: &Side, to: &Side) {
        let old = registries_of(from, self.name);
        let new = registries_of(to, self.name);
        let names: BTreeSet<&str> = old.keys().chain(new.keys()).copied().collect();
        for name in names {
            let json = |r: Option<&Option<&Registry>>| match r {
                Some(Some(registry)) => to_json(registry),
                Some(None) => serde_json::json!({ "source": self.name, "name": name }),
                None => Json::Null,
            };
            match (old.get(name), new.get(name)) {
                (None, Some(_)) if self.registry_listed(name) => self.push(
                    ChangeKind::RegistryAdded,
                    (name, None, None),
                    Json::Null,
                    json(new.get(name)),
                    None,
                ),
                (Some(_), None) if self.registry_listed(name) => self.push(
                    ChangeKind::RegistryRemoved,
                    (name, None, None),
                    json(old.get(name)),
                    Json::Null,
                    None,
                ),
                (Some(Some(a)), Some(Some(b))) => {
                    let fields = changed_fields(vec![
                        ("public", to_json(&a.public), to_json(&b.public)),
                        (
                            "scan_on_push",
                            to_json(&a.scan_on_push),
                            to_json(&b.scan_on_push),
                        ),
                        ("status", to_json(&a.status), to_json(&b.status)),
                        (
                            "pull_endpoint",
                            to_json(&a.pull_endpoint),
                            to_json(&b.pull_endpoint),
                        ),
                    ]);
                    if !fields.is_empty() {
                        self.push(
                            ChangeKind::RegistryChanged,
                            (name, None, None),
                            to_json(a),
                            to_json(b),
                            Some(fields),
                        );
                    }
                }
                _ => {}
            }
        }
    }

    fn repositories(&mut self, from: &Side, to: &Side) {
        let old = repositories_of(from, self.name);
        let new = repositories_of(to, self.name);
        let keys: BTreeSet<(&str, &str)> = old.keys().chain(new.keys()).copied().collect();
        for key @ (registry, name) in keys {
            match (old.get(&key), new.get(&key)) {
                (None, Some(b)) if self.registry_listed(registry) => self.push(
                    ChangeKind::RepositoryAdded,
                    (registry, Some(name), None),
                    Json::Null,
                    repository_json(b),
                    None,
                ),
                (Some(a), None) if self.registry_listed(registry) => self.push(
                    ChangeKind::RepositoryRemoved,
                    (registry, Some(name), None),
                    repository_json(a),
                    Json::Null,
                    None,
                ),
                (Some(a), Some(b)) => {
                    let fields = changed_fields(vec![
                        ("public", to_json(&a.public), to_json(&b.public)),
                        (
                            "tag_immutable",
                            to_json(&a.tag_immutable),
                            to_json(&b.tag_immutable),
                        ),
                        (
                            "description",
                            to_json(&a.description),
                            to_json(&b.description),
                        ),
                        ("pull_uri", to_json(&a.pull_uri), to_json(&b.pull_uri)),
                    ]);
                    if !fields.is_empty() {
                        self.push(
                            ChangeKind::RepositoryChanged,
                            (registry, Some(name), None),
                            repository_json(a),
                            repository_json(b),
                            Some(fields),
                        );
                    }
                    self.tags(a, b);
                }
                _ => {}
            }
        }
    }

    fn tags(&mut self, a: &Repository, b: &Repository) {
        let (Some(old), Some(new)) = (&a.tags, &b.tags) else {
            return;
        };
        if !self.compare_tags
            || !self.old.tags_listed(&a.registry, &a.name)
            || !self.new.tags_listed(&b.registry, &b.name)
        {
            return;
        }
        let old: HashMap<&str, &Tag> = old.iter().map(|t| (t.name.as_str(), t)).collect();
        let new: HashMap<&str, &Tag> = new.iter().map(|t| (t.name.as_str(), t)).collect();
        let names: BTreeSet<&str> = old.keys().chain(new.keys()).copied().collect();
        for name in names {
            let (kind, before, after) = match (old.get(name), new.get(name)) {
                (None, Some(t)) => (ChangeKind::TagAdded, Json::Null, to_json(t)),
                (Some(t), None) => (ChangeKind::TagRemoved, to_json(t), Json::Null),
                (Some(x), Some(y)) => match (&x.digest, &y.digest) {
                    (Some(d1), Some(d2)) if d1 != d2 => {
                        (ChangeKind::TagMoved, to_json(x), to_json(y))
                    }
                    _ => continue,
                },
                (None, None) => continue,
            };
            self.push(
                kind,
                (&a.registry, Some(&a.name), Some(name)),
                before,
                after,
                None,
            );
        }
    }
}
