//! Reading a stored run back into the facade's [`InventoryReport`].

use std::collections::HashMap;

use reginv::{
    Extra, Failure, InventoryReport, Platform, ProviderKind, Registry, Repository, Source,
    SourceStatus, SourceSummary, Tag,
};

use crate::error::{Result, StoreError};
use crate::run::RunInfo;
use crate::store::Store;
use crate::value::{Kind, Value};

/// A stored run: what `reginv diff` compares.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Snapshot {
    /// The run.
    pub run: RunInfo,
    /// Its inventory, in the facade's order, as `--format json` would have printed it.
    pub report: InventoryReport,
    /// Its registries: those listed with their fields, and those known only from their
    /// repositories (name only).
    pub registries: Vec<Registry>,
}

fn bad(table: &'static str, message: impl Into<String>) -> StoreError {
    StoreError::Data {
        table,
        message: message.into(),
    }
}

fn json<T: serde::de::DeserializeOwned>(table: &'static str, value: &Value) -> Result<T> {
    serde_json::from_str(value.as_str().unwrap_or("null"))
        .map_err(|e| bad(table, format!("bad JSON: {e}")))
}

/// The source of a row that starts `source, provider, region`.
fn source_in(row: &[Value], source_of: &impl Fn(&str, &str, &str) -> Source) -> Source {
    source_of(
        row[0].as_str().unwrap_or_default(),
        row[1].as_str().unwrap_or_default(),
        row[2].as_str().unwrap_or_default(),
    )
}

fn text(table: &'static str, value: &mut Value) -> Result<String> {
    std::mem::replace(value, Value::Text(None))
        .into_string()
        .ok_or_else(|| bad(table, "a required text is NULL"))
}

impl Store {
    /// Run `id` as a [`Snapshot`].
    pub async fn snapshot(&self, id: i64) -> Result<Snapshot> {
        let run = self.run(id).await?;
        let sources = self.sources_of(id).await?;
        let endpoints: HashMap<String, (usize, Source)> = sources
            .iter()
            .enumerate()
            .map(|(i, (s, _))| (s.name.clone(), (i, s.clone())))
            .collect();
        let rank = |name: &str| endpoints.get(name).map_or(usize::MAX, |(i, _)| *i);
        let source_of = |name: &str, provider: &str, region: &str| {
            endpoints
                .get(name)
                .map(|(_, s)| s.clone())
                .unwrap_or_else(|| {
                    Source::new(name, ProviderKind::new(provider), region, String::new())
                })
        };

        let mut tags = self.tags_of(id).await?;
        let mut repositories = Vec::new();
        for mut row in self
            .db
            .query(
                "SELECT source, provider, region, registry, name, full_name, pull_uri, \
                 description, public, tag_immutable, tag_count, size_bytes, pull_count, \
                 created_at, updated_at, tags_listed, extra FROM repositories WHERE run_id = $1",
                &[Value::int(id)],
                &[
                    Kind::Text,
                    Kind::Text,
                    Kind::Text,
                    Kind::Text,
                    Kind::Text,
                    Kind::Text,
                    Kind::Text,
                    Kind::Text,
                    Kind::Bool,
                    Kind::Bool,
                    Kind::Int,
                    Kind::Int,
                    Kind::Int,
                    Kind::Time,
                    Kind::Time,
                    Kind::Bool,
                    Kind::Text,
                ],
            )
            .await?
        {
            let t = "repositories";
            let source = source_in(&row, &source_of);
            let mut repo = Repository::new(&source, text(t, &mut row[3])?, text(t, &mut row[4])?);
            repo.full_name = text(t, &mut row[5])?;
            repo.pull_uri = row[6].as_str().map(str::to_string);
            repo.description = row[7].as_str().map(str::to_string);
            repo.public = row[8].as_bool();
            repo.tag_immutable = row[9].as_bool();
            repo.tag_count = row[10].as_u64();
            repo.size_bytes = row[11].as_u64();
            repo.pull_count = row[12].as_u64();
            repo.created_at = row[13].as_time();
            repo.updated_at = row[14].as_time();
            repo.extra = json::<Extra>(t, &row[16])?;
            if row[15].as_bool() == Some(true) {
                let key = (
                    repo.source.clone(),
                    repo.registry.clone(),
                    repo.name.clone(),
                );
                let mut list = tags.remove(&key).unwrap_or_default();
                list.sort_by(|a, b| a.name.cmp(&b.name));
                repo.tags = Some(list);
            }
            repositories.push(repo);
        }
        repositories.sort_by(|a, b| {
            rank(&a.source)
                .cmp(&rank(&b.source))
                .then_with(|| a.source.cmp(&b.source))
                .then_with(|| a.registry.cmp(&b.registry))
                .then_with(|| a.name.cmp(&b.name))
        });

        let mut errors = self.failures_of(id, &source_of).await?;
        errors.sort_by(|a, b| {
            rank(&a.source)
                .cmp(&rank(&b.source))
                .then_with(|| a.operation.cmp(&b.operation))
                .then_with(|| a.target.cmp(&b.target))
                .then_with(|| a.message.cmp(&b.message))
        });
        let registries = self.registries_of(id, &source_of, &rank).await?;
        let summaries: Vec<SourceSummary> = sources.into_iter().filter_map(|(_, s)| s).collect();
        let mut report = InventoryReport::new(summaries, repositories, errors);
        // The report's registries are those the run listed (its registry events); the
        // snapshot's also those known only from their repositories.
        report.registries = registries
            .iter()
            .filter(|(_, listed)| *listed)
            .map(|(r, _)| r.clone())
            .collect();
        let registries = registries.into_iter().map(|(r, _)| r).collect();
        report.generated_at = run.started;
        Ok(Snapshot {
            run,
            report,
            registries,
        })
    }

    /// The run's sources in configuration order, each with its summary once it finished.
    pub(crate) async fn sources_of(&self, id: i64) -> Result<Vec<(Source, Option<SourceSummary>)>> {
        let t = "run_sources";
        let rows = self
            .db
            .query(
                "SELECT name, provider, region, endpoint, status, repositories, tags, errors, \
                 requests, retries, throttled, page_size, elapsed_ms, reused, registries, \
                 concurrency_limit, paced_rps FROM run_sources \
                 WHERE run_id = $1 ORDER BY position",
                &[Value::int(id)],
                &[
                    Kind::Text,
                    Kind::Text,
                    Kind::Text,
                    Kind::Text,
                    Kind::Text,
                    Kind::Int,
                    Kind::Int,
                    Kind::Int,
                    Kind::Int,
                    Kind::Int,
                    Kind::Int,
                    Kind::Int,
                    Kind::Int,
                    Kind::Int,
                    Kind::Int,
                    Kind::Int,
                    Kind::Int,
                ],
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for mut row in rows {
            let source = Source::new(
                text(t, &mut row[0])?,
                ProviderKind::new(text(t, &mut row[1])?),
                text(t, &mut row[2])?,
                text(t, &mut row[3])?,
            );
            let summary = match row[4].as_str() {
                None => None,
                Some(status) => {
                    let mut s = SourceSummary::new(&source);
                    s.status = serde_json::from_value::<SourceStatus>(status.into())
                        .map_err(|_| bad(t, format!("unknown source status {status:?}")))?;
                    s.repositories = row[5].as_u64().unwrap_or(0);
                    s.tags = row[6].as_u64().unwrap_or(0);
                    s.errors = row[7].as_u64().unwrap_or(0);
                    s.requests = row[8].as_u64().unwrap_or(0);
                    s.retries = row[9].as_u64().unwrap_or(0);
                    s.throttled = row[10].as_u64().unwrap_or(0);
                    s.page_size = row[11].as_i64().and_then(|v| u32::try_from(v).ok());
                    s.elapsed_ms = row[12].as_u64().unwrap_or(0);
                    s.reused = row[13].as_u64();
                    s.registries = row[14].as_u64().unwrap_or(0);
                    s.concurrency_limit = row[15].as_i64().and_then(|v| u32::try_from(v).ok());
                    s.paced_rps = row[16].as_i64().and_then(|v| u32::try_from(v).ok());
                    Some(s)
                }
            };
            out.push((source, summary));
        }
        Ok(out)
    }

    /// Every tag of run `id`, by (source, registry, repository).
    async fn tags_of(&self, id: i64) -> Result<HashMap<(String, String, String), Vec<Tag>>> {
        let t = "tags";
        let mut out: HashMap<(String, String, String), Vec<Tag>> = HashMap::new();
        for mut row in self
            .db
            .query(
                "SELECT source, registry, repository, name, digest, size_bytes, created_at, \
                 updated_at, last_pulled_at, scanned, media_type, is_index, platforms, extra \
                 FROM tags WHERE run_id = $1",
                &[Value::int(id)],
                &TAG_KINDS,
            )
            .await?
        {
            let key = (
                text(t, &mut row[0])?,
                text(t, &mut row[1])?,
                text(t, &mut row[2])?,
            );
            let tag = tag_from_row(&mut row[3..])?;
            out.entry(key).or_default().push(tag);
        }
        Ok(out)
    }

    async fn failures_of(
        &self,
        id: i64,
        source_of: &impl Fn(&str, &str, &str) -> Source,
    ) -> Result<Vec<Failure>> {
        let t = "failures";
        let mut out = Vec::new();
        for mut row in self
            .db
            .query(
                "SELECT source, provider, operation, target, kind, message, status, code, \
                 request_id FROM failures WHERE run_id = $1 ORDER BY seq",
                &[Value::int(id)],
                &[
                    Kind::Text,
                    Kind::Text,
                    Kind::Text,
                    Kind::Text,
                    Kind::Text,
                    Kind::Text,
                    Kind::Int,
                    Kind::Text,
                    Kind::Text,
                ],
            )
            .await?
        {
            let source = source_of(
                row[0].as_str().unwrap_or_default(),
                row[1].as_str().unwrap_or_default(),
                "",
            );
            let kind_text = text(t, &mut row[4])?;
            let kind = serde_json::from_value(kind_text.clone().into())
                .map_err(|_| bad(t, format!("unknown error kind {kind_text:?}")))?;
            let mut failure =
                Failure::new(&source, text(t, &mut row[2])?, kind, text(t, &mut row[5])?);
            failure.provider = ProviderKind::new(row[1].as_str().unwrap_or_default());
            failure.target = row[3].as_str().map(str::to_string);
            failure.status = row[6].as_i64().and_then(|v| u16::try_from(v).ok());
            failure.code = row[7].as_str().map(str::to_string);
            failure.request_id = row[8].as_str().map(str::to_string);
            out.push(failure);
        }
        Ok(out)
    }

    async fn registries_of(
        &self,
        id: i64,
        source_of: &impl Fn(&str, &str, &str) -> Source,
        rank: &impl Fn(&str) -> usize,
    ) -> Result<Vec<(Registry, bool)>> {
        let t = "registries";
        let mut out = Vec::new();
        for mut row in self
            .db
            .query(
                "SELECT source, provider, region, name, public, scan_on_push, status, \
                 pull_endpoint, created_at, extra, listed FROM registries WHERE run_id = $1",
                &[Value::int(id)],
                &[
                    Kind::Text,
                    Kind::Text,
                    Kind::Text,
                    Kind::Text,
                    Kind::Bool,
                    Kind::Bool,
                    Kind::Text,
                    Kind::Text,
                    Kind::Time,
                    Kind::Text,
                    Kind::Bool,
                ],
            )
            .await?
        {
            let source = source_in(&row, source_of);
            let mut registry = Registry::new(&source, text(t, &mut row[3])?);
            registry.provider = ProviderKind::new(row[1].as_str().unwrap_or_default());
            registry.region = row[2].as_str().unwrap_or_default().to_string();
            registry.public = row[4].as_bool();
            registry.scan_on_push = row[5].as_bool();
            registry.status = row[6].as_str().map(str::to_string);
            registry.pull_endpoint = row[7].as_str().map(str::to_string);
            registry.created_at = row[8].as_time();
            registry.extra = json::<Extra>(t, &row[9])?;
            out.push((registry, row[10].as_bool() == Some(true)));
        }
        out.sort_by(|(a, _), (b, _)| {
            rank(&a.source)
                .cmp(&rank(&b.source))
                .then_with(|| a.source.cmp(&b.source))
                .then_with(|| a.name.cmp(&b.name))
        });
        Ok(out)
    }
}

/// The columns of a tag as [`tag_from_row`] reads them.
pub(crate) const TAG_COLUMNS: [Kind; 11] = [
    Kind::Text,
    Kind::Text,
    Kind::Int,
    Kind::Time,
    Kind::Time,
    Kind::Time,
    Kind::Bool,
    Kind::Text,
    Kind::Bool,
    Kind::Text,
    Kind::Text,
];

/// The columns of `source, registry, repository`, then a tag as [`tag_from_row`] reads it.
const TAG_KINDS: [Kind; 14] = {
    let mut kinds = [Kind::Text; 14];
    let mut i = 0;
    while i < TAG_COLUMNS.len() {
        kinds[3 + i] = TAG_COLUMNS[i];
        i += 1;
    }
    kinds
};

/// A tag from `name, digest, size_bytes, created_at, updated_at, last_pulled_at, scanned,
/// media_type, is_index, platforms, extra`.
pub(crate) fn tag_from_row(row: &mut [Value]) -> Result<Tag> {
    let t = "tags";
    let mut tag = Tag::new(text(t, &mut row[0])?);
    tag.digest = row[1].as_str().map(str::to_string);
    tag.size_bytes = row[2].as_u64();
    tag.created_at = row[3].as_time();
    tag.updated_at = row[4].as_time();
    tag.last_pulled_at = row[5].as_time();
    tag.scanned = row[6].as_bool();
    tag.media_type = row[7].as_str().map(str::to_string);
    tag.is_index = row[8].as_bool();
    tag.platforms = json::<Vec<Platform>>(t, &row[9])?;
    tag.extra = json::<Extra>(t, &row[10])?;
    Ok(tag)
}
