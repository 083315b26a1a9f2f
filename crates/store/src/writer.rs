//! [`SnapshotWriter`]: a run's rows, written as the inventory streams them.

use std::collections::HashSet;
use std::sync::Arc;

use reginv::{Failure, InventoryEvent, Registry, Repository, Source, SourceSummary, TagDepth};

use crate::backend::{Backend, Stmt};
use crate::error::Result;
use crate::run::RunStatus;
use crate::value::Value;

/// Rows buffered before they are written in one transaction: memory stays flat however large
/// the inventory, and a batch costs one commit.
const BATCH_STATEMENTS: usize = 1_000;

/// Writes one run. Feed it every [`InventoryEvent`] with [`push`](SnapshotWriter::push), then
/// [`finish`](SnapshotWriter::finish) it. Until then the run is `running`; a writer dropped
/// without finishing marks an SQLite run `interrupted` on the way out (a PostgreSQL run, whose
/// writes need the runtime, shows as `aborted` once its connection is gone), and a killed
/// process leaves an `aborted` run.
#[derive(Debug)]
pub struct SnapshotWriter {
    db: Arc<Backend>,
    id: i64,
    depth: TagDepth,
    pending: Vec<Stmt>,
    registries: HashSet<(String, String)>,
    failures: i64,
    done: bool,
}

const INSERT_SOURCE: &str = "INSERT INTO run_sources (run_id, position, name, provider, region, \
    endpoint) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";

const FINISH_SOURCE: &str = "UPDATE run_sources SET status = $1, repositories = $2, tags = $3, \
    errors = $4, requests = $5, retries = $6, throttled = $7, page_size = $8, elapsed_ms = $9, \
    reused = $10, registries = $11, concurrency_limit = $12, paced_rps = $13 WHERE run_id = $14 \
    AND name = $15";

const INSERT_REPOSITORY: &str = "INSERT INTO repositories (run_id, source, provider, region, \
    registry, name, full_name, pull_uri, description, public, tag_immutable, tag_count, \
    size_bytes, pull_count, created_at, updated_at, tags_listed, tags_reused, extra) VALUES ($1, \
    $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) \
    ON CONFLICT DO NOTHING";

const INSERT_TAG: &str = "INSERT INTO tags (run_id, source, registry, repository, name, digest, \
    size_bytes, created_at, updated_at, last_pulled_at, scanned, media_type, is_index, platforms, \
    extra) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
    ON CONFLICT DO NOTHING";

const INFER_REGISTRY: &str = "INSERT INTO registries (run_id, source, provider, region, name, \
    extra, listed) VALUES ($1, $2, $3, $4, $5, '{}', FALSE) ON CONFLICT DO NOTHING";

const UPSERT_REGISTRY: &str = "INSERT INTO registries (run_id, source, provider, region, name, \
    public, scan_on_push, status, pull_endpoint, created_at, extra, listed) VALUES ($1, $2, $3, \
    $4, $5, $6, $7, $8, $9, $10, $11, TRUE) ON CONFLICT (run_id, source, name) DO UPDATE SET \
    public = excluded.public, scan_on_push = excluded.scan_on_push, status = excluded.status, \
    pull_endpoint = excluded.pull_endpoint, created_at = excluded.created_at, \
    extra = excluded.extra, listed = TRUE";

const INSERT_FAILURE: &str = "INSERT INTO failures (run_id, seq, source, provider, operation, \
    target, kind, message, status, code, request_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
    $10, $11)";

const FINISH_RUN: &str = "UPDATE runs SET status = $1, finished_at = $2 WHERE id = $3";

const UNLOCK: &str =
    "SELECT CAST(pg_advisory_unlock(1380403542, CAST(MOD(CAST($1 AS BIGINT), 2147483647) AS INTEGER)) AS TEXT)";

pub(crate) fn json_text<T: serde::Serialize>(value: &T) -> Value {
    Value::text(serde_json::to_string(value).unwrap_or_else(|_| "null".into()))
}

impl SnapshotWriter {
    pub(crate) fn new(db: Arc<Backend>, id: i64, depth: TagDepth) -> SnapshotWriter {
        SnapshotWriter {
            db,
            id,
            depth,
            pending: Vec::new(),
            registries: HashSet::new(),
            failures: 0,
            done: false,
        }
    }

    /// The run id.
    pub fn id(&self) -> i64 {
        self.id
    }

    /// The depth the run lists at.
    pub fn depth(&self) -> TagDepth {
        self.depth
    }

    pub(crate) async fn add_sources(&mut self, sources: &[Source]) -> Result<()> {
        for (position, source) in sources.iter().enumerate() {
            self.pending.push(Stmt {
                sql: INSERT_SOURCE,
                params: vec![
                    Value::int(self.id),
                    Value::int(position as i64),
                    Value::text(&source.name),
                    Value::text(source.provider.as_str()),
                    Value::text(&source.region),
                    Value::text(&source.endpoint),
                ],
            });
        }
        self.flush().await
    }

    /// Records one event; rows reach the database in batches.
    pub async fn push(&mut self, event: &InventoryEvent) -> Result<()> {
        match event {
            InventoryEvent::Repository(repo) => self.repository(repo, false),
            InventoryEvent::Failure(failure) => self.failure(failure),
            InventoryEvent::SourceFinished(summary) => self.source_finished(summary),
            InventoryEvent::Registry(registry) => self.registry(registry),
        }
        self.flush_if_full().await
    }

    /// Records a registry with every field its listing carried.
    fn registry(&mut self, registry: &Registry) {
        self.registries
            .insert((registry.source.clone(), registry.name.clone()));
        self.pending.push(Stmt {
            sql: UPSERT_REGISTRY,
            params: vec![
                Value::int(self.id),
                Value::text(&registry.source),
                Value::text(registry.provider.as_str()),
                Value::text(&registry.region),
                Value::text(&registry.name),
                Value::Bool(registry.public),
                Value::Bool(registry.scan_on_push),
                Value::opt_text(registry.status.as_deref()),
                Value::opt_text(registry.pull_endpoint.as_deref()),
                Value::Time(registry.created_at),
                json_text(&registry.extra),
            ],
        });
    }

    /// Records a repository whose tags were taken from an earlier run (incremental runs).
    pub async fn push_reused(&mut self, repo: &Repository) -> Result<()> {
        self.repository(repo, true);
        self.flush_if_full().await
    }

    fn repository(&mut self, repo: &Repository, reused: bool) {
        let key = (repo.source.clone(), repo.registry.clone());
        if !self.registries.contains(&key) {
            // The registry as far as its repositories tell; a listed registry row replaces it.
            self.pending.push(Stmt {
                sql: INFER_REGISTRY,
                params: vec![
                    Value::int(self.id),
                    Value::text(&repo.source),
                    Value::text(repo.provider.as_str()),
                    Value::text(&repo.region),
                    Value::text(&repo.registry),
                ],
            });
            self.registries.insert(key);
        }
        self.pending.push(Stmt {
            sql: INSERT_REPOSITORY,
            params: vec![
                Value::int(self.id),
                Value::text(&repo.source),
                Value::text(repo.provider.as_str()),
                Value::text(&repo.region),
                Value::text(&repo.registry),
                Value::text(&repo.name),
                Value::text(&repo.full_name),
                Value::opt_text(repo.pull_uri.as_deref()),
                Value::opt_text(repo.description.as_deref()),
                Value::Bool(repo.public),
                Value::Bool(repo.tag_immutable),
                Value::count(repo.tag_count),
                Value::count(repo.size_bytes),
                Value::count(repo.pull_count),
                Value::Time(repo.created_at),
                Value::Time(repo.updated_at),
                Value::Bool(Some(repo.tags.is_some())),
                Value::Bool(Some(reused)),
                json_text(&repo.extra),
            ],
        });
        for tag in repo.tags.iter().flatten() {
            self.pending.push(Stmt {
                sql: INSERT_TAG,
                params: vec![
                    Value::int(self.id),
                    Value::text(&repo.source),
                    Value::text(&repo.registry),
                    Value::text(&repo.name),
                    Value::text(&tag.name),
                    Value::opt_text(tag.digest.as_deref()),
                    Value::count(tag.size_bytes),
                    Value::Time(tag.created_at),
                    Value::Time(tag.updated_at),
                    Value::Time(tag.last_pulled_at),
                    Value::Bool(tag.scanned),
                    Value::opt_text(tag.media_type.as_deref()),
                    Value::Bool(tag.is_index),
                    json_text(&tag.platforms),
                    json_text(&tag.extra),
                ],
            });
        }
    }

    fn failure(&mut self, failure: &Failure) {
        self.failures += 1;
        self.pending.push(Stmt {
            sql: INSERT_FAILURE,
            params: vec![
                Value::int(self.id),
                Value::int(self.failures),
                Value::text(&failure.source),
                Value::text(failure.provider.as_str()),
                Value::text(&failure.operation),
                Value::opt_text(failure.target.as_deref()),
                Value::text(failure.kind.to_string()),
                Value::text(&failure.message),
                Value::Int(failure.status.map(i64::from)),
                Value::opt_text(failure.code.as_deref()),
                Value::opt_text(failure.request_id.as_deref()),
            ],
        });
    }

    fn source_finished(&mut self, summary: &SourceSummary) {
        self.pending.push(Stmt {
            sql: FINISH_SOURCE,
            params: vec![
                Value::text(summary.status.as_str()),
                Value::count(Some(summary.repositories)),
                Value::count(Some(summary.tags)),
                Value::count(Some(summary.errors)),
                Value::count(Some(summary.requests)),
                Value::count(Some(summary.retries)),
                Value::count(Some(summary.throttled)),
                Value::Int(summary.page_size.map(i64::from)),
                Value::count(Some(summary.elapsed_ms)),
                Value::count(summary.reused),
                Value::count(Some(summary.registries)),
                Value::Int(summary.concurrency_limit.map(i64::from)),
                Value::Int(summary.paced_rps.map(i64::from)),
                Value::int(self.id),
                Value::text(&summary.name),
            ],
        });
    }

    /// Writes the buffered rows now.
    pub async fn flush(&mut self) -> Result<()> {
        let stmts = std::mem::take(&mut self.pending);
        self.db.transaction(&stmts).await
    }

    /// Writes the buffered rows once a batch is full.
    async fn flush_if_full(&mut self) -> Result<()> {
        if self.pending.len() >= BATCH_STATEMENTS {
            self.flush().await?;
        }
        Ok(())
    }

    /// Writes what is left and marks the run finished: `complete` when `complete` (nothing
    /// failed), else `incomplete`. Returns the run id.
    pub async fn finish(self, complete: bool) -> Result<i64> {
        let status = if complete {
            RunStatus::Complete
        } else {
            RunStatus::Incomplete
        };
        self.close(status).await
    }

    /// Writes what is left and marks the run `interrupted` (stopped before its end on purpose).
    pub async fn interrupt(self) -> Result<i64> {
        self.close(RunStatus::Interrupted).await
    }

    async fn close(mut self, status: RunStatus) -> Result<i64> {
        self.pending.push(Stmt {
            sql: FINISH_RUN,
            params: vec![
                Value::text(status.as_str()),
                Value::Time(Some(chrono::Utc::now())),
                Value::int(self.id),
            ],
        });
        self.flush().await?;
        self.done = true;
        if self.db.dialect() == crate::backend::Dialect::Postgres {
            self.db
                .query(UNLOCK, &[Value::int(self.id)], &[crate::value::Kind::Text])
                .await?;
        }
        Ok(self.id)
    }
}

impl Drop for SnapshotWriter {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let mut stmts = std::mem::take(&mut self.pending);
        stmts.push(Stmt {
            sql: FINISH_RUN,
            params: vec![
                Value::text(RunStatus::Interrupted.as_str()),
                Value::Time(Some(chrono::Utc::now())),
                Value::int(self.id),
            ],
        });
        if !self.db.transaction_now(&stmts) {
            tracing::debug!(
                run = self.id,
                "run left unfinished; it will show as aborted"
            );
        }
    }
}
