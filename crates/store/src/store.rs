//! [`Store`]: an open store, its runs, and new snapshots.

use std::sync::Arc;

use reginv::{Inventory, Source, TagDepth};
use serde_json::json;

use crate::backend::{one_row, Backend, Dialect};
use crate::error::{Result, StoreError};
use crate::run::{RunInfo, RunStatus};
use crate::schema;
use crate::url::StoreUrl;
use crate::value::{Kind, Value};
use crate::writer::SnapshotWriter;

/// An open store: SQLite or PostgreSQL, migrated to this build's schema.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) db: Arc<Backend>,
    url: StoreUrl,
}

/// What a run is about to list: its depth, its sources (in configuration order) and the
/// selection it was given.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RunPlan {
    /// The tag depth.
    pub depth: TagDepth,
    /// The selected sources, in configuration order.
    pub sources: Vec<Source>,
    /// `--registry` names (empty: all).
    pub registries: Vec<String>,
    /// `--repo` glob.
    pub repository_glob: Option<String>,
    /// Whether unchanged repositories' tags are reused from the store.
    pub incremental: bool,
}

impl RunPlan {
    /// The plan of `inventory`: its selected sources, depth and filter.
    pub fn of(inventory: &Inventory) -> RunPlan {
        let options = inventory.options();
        let wanted = &options.filter.sources;
        RunPlan {
            depth: options.depth,
            sources: inventory
                .providers()
                .iter()
                .map(|p| p.source().clone())
                .filter(|s| wanted.is_empty() || wanted.contains(&s.name))
                .collect(),
            registries: options.filter.registries.clone(),
            repository_glob: options.filter.repository_glob.clone(),
            incremental: false,
        }
    }

    /// A plan of these sources at `depth`, everything selected.
    pub fn new(depth: TagDepth, sources: Vec<Source>) -> RunPlan {
        RunPlan {
            depth,
            sources,
            registries: Vec::new(),
            repository_glob: None,
            incremental: false,
        }
    }

    /// Marks the run incremental.
    pub fn incremental(mut self, incremental: bool) -> RunPlan {
        self.incremental = incremental;
        self
    }
}

impl Store {
    /// Opens the store at `url` (an SQLite file is created when missing) and applies the
    /// migrations it lacks.
    pub async fn open(url: &StoreUrl) -> Result<Store> {
        Store::open_at(url, None).await
    }

    /// [`open`](Store::open) for a URL in text form.
    pub async fn open_str(url: &str) -> Result<Store> {
        Store::open(&StoreUrl::parse(url)?).await
    }

    /// Opens the store migrated only up to `version`: a store as an older reginv left it.
    /// For tests of migrations.
    #[doc(hidden)]
    pub async fn open_at_version(url: &StoreUrl, version: i64) -> Result<Store> {
        Store::open_at(url, Some(version)).await
    }

    async fn open_at(url: &StoreUrl, up_to: Option<i64>) -> Result<Store> {
        let db = Backend::open(url).await?;
        schema::migrate(&db, up_to).await?;
        Ok(Store {
            db: Arc::new(db),
            url: url.clone(),
        })
    }

    /// Where the store is (without a password).
    pub fn url(&self) -> &StoreUrl {
        &self.url
    }

    /// The schema version of the store.
    pub async fn schema_version(&self) -> Result<i64> {
        let row = one_row(
            self.db
                .query(
                    "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM reginv_schema",
                    &[],
                    &[Kind::Int],
                )
                .await?,
            "schema version",
        )?;
        Ok(row[0].as_i64().unwrap_or(0))
    }

    /// Starts a run: a new snapshot, `running` until [`SnapshotWriter::finish`]. Its id is
    /// unique and greater than every earlier run's, whichever process wrote them.
    pub async fn begin_run(&self, plan: &RunPlan) -> Result<SnapshotWriter> {
        let selection = json!({
            "sources": plan.sources.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
            "registries": plan.registries,
            "repository_glob": plan.repository_glob,
        });
        let row = one_row(
            self.db
                .query(
                    "INSERT INTO runs (started_at, status, depth, incremental, selection, writer, \
                     reginv_version) VALUES ($1, 'running', $2, $3, $4, $5, $6) RETURNING id",
                    &[
                        Value::Time(Some(chrono::Utc::now())),
                        Value::text(plan.depth.as_str()),
                        Value::Bool(Some(plan.incremental)),
                        Value::text(selection.to_string()),
                        Value::text(crate::host::writer_id()),
                        Value::text(env!("CARGO_PKG_VERSION")),
                    ],
                    &[Kind::Int],
                )
                .await?,
            "new run",
        )?;
        let id = row[0]
            .as_i64()
            .ok_or_else(|| StoreError::Database("new run: no id".into()))?;
        if self.db.dialect() == Dialect::Postgres {
            self.db
                .query(
                    "SELECT CAST(pg_advisory_lock(1380403542, CAST(MOD(CAST($1 AS BIGINT), 2147483647) AS INTEGER)) AS TEXT)",
                    &[Value::int(id)],
                    &[Kind::Text],
                )
                .await?;
        }
        let mut writer = SnapshotWriter::new(self.db.clone(), id, plan.depth);
        writer.add_sources(&plan.sources).await?;
        Ok(writer)
    }

    /// Every run, oldest first.
    pub async fn runs(&self) -> Result<Vec<RunInfo>> {
        let rows = self
            .db
            .query(concat!(runs_select!(), " ORDER BY r.id"), &[], &RUN_KINDS)
            .await?;
        let mut runs = Vec::with_capacity(rows.len());
        for row in rows {
            runs.push(self.run_info(row).await?);
        }
        Ok(runs)
    }

    /// One run.
    pub async fn run(&self, id: i64) -> Result<RunInfo> {
        let rows = self
            .db
            .query(
                concat!(runs_select!(), " WHERE r.id = $1"),
                &[Value::int(id)],
                &RUN_KINDS,
            )
            .await?;
        match rows.into_iter().next() {
            Some(row) => self.run_info(row).await,
            None => Err(StoreError::NotFound(format!(
                "no snapshot {id} in the store"
            ))),
        }
    }

    /// The finished runs (`complete` or `incomplete`), oldest first.
    pub async fn finished_runs(&self) -> Result<Vec<RunInfo>> {
        Ok(self
            .runs()
            .await?
            .into_iter()
            .filter(|r| r.status.is_finished())
            .collect())
    }

    async fn run_info(&self, row: Vec<Value>) -> Result<RunInfo> {
        let bad = |message: String| StoreError::Data {
            table: "runs",
            message,
        };
        let id = row[0].as_i64().ok_or_else(|| bad("no id".into()))?;
        let stored = row[3].as_str().unwrap_or_default();
        let mut status = RunStatus::from_stored(stored)
            .ok_or_else(|| bad(format!("run {id}: unknown status {stored:?}")))?;
        if status == RunStatus::Running && !self.writer_alive(id, row[6].as_str()).await? {
            status = RunStatus::Aborted;
        }
        let depth_text = row[4].as_str().unwrap_or_default();
        Ok(RunInfo {
            id,
            started: row[1]
                .as_time()
                .ok_or_else(|| bad(format!("run {id}: no start time")))?,
            finished: row[2].as_time(),
            status,
            depth: depth_text
                .parse()
                .map_err(|_| bad(format!("run {id}: unknown depth {depth_text:?}")))?,
            incremental: row[5].as_bool().unwrap_or(false),
            sources: row[7].as_u64().unwrap_or(0),
            registries: row[8].as_u64().unwrap_or(0),
            repositories: row[9].as_u64().unwrap_or(0),
            tags: row[10].as_u64().unwrap_or(0),
        })
    }

    /// Whether the writer of a `running` run is still at work: on PostgreSQL, whether some
    /// session holds the run's advisory lock; on SQLite, whether the writing process lives.
    async fn writer_alive(&self, id: i64, writer: Option<&str>) -> Result<bool> {
        match self.db.dialect() {
            Dialect::Sqlite => Ok(writer.is_none_or(crate::host::writer_alive)),
            Dialect::Postgres => {
                let row = one_row(
                    self.db
                        .query(
                            "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' \
                             AND CAST(classid AS BIGINT) = 1380403542 \
                             AND CAST(objid AS BIGINT) = MOD(CAST($1 AS BIGINT), 2147483647) AND granted",
                            &[Value::int(id)],
                            &[Kind::Int],
                        )
                        .await?,
                    "writer lock",
                )?;
                Ok(row[0].as_i64().unwrap_or(0) > 0)
            }
        }
    }

    /// Runs raw SQL statements (`;`-separated, no parameters) on the store. For tests and
    /// maintenance: nothing checks what they do to the schema.
    #[doc(hidden)]
    pub async fn execute_batch(&self, sql: &str) -> Result<()> {
        self.db.batch(sql).await
    }

    /// Runs a query whose first column is text, for reporting queries in tests.
    #[doc(hidden)]
    pub async fn query_text(&self, sql: &'static str) -> Result<Vec<String>> {
        Ok(self
            .db
            .query(sql, &[], &[Kind::Text])
            .await?
            .into_iter()
            .filter_map(|mut row| row.pop().and_then(Value::into_string))
            .collect())
    }
}

/// The columns of [`Store::run_info`], from `runs r`.
macro_rules! runs_select {
    () => {
        "SELECT r.id, r.started_at, r.finished_at, r.status, r.depth, r.incremental, r.writer, \
         (SELECT COUNT(*) FROM run_sources s WHERE s.run_id = r.id), \
         (SELECT COUNT(*) FROM registries g WHERE g.run_id = r.id), \
         (SELECT COUNT(*) FROM repositories p WHERE p.run_id = r.id), \
         (SELECT COUNT(*) FROM tags t WHERE t.run_id = r.id) FROM runs r"
    };
}
use runs_select;

const RUN_KINDS: [Kind; 11] = [
    Kind::Int,
    Kind::Time,
    Kind::Time,
    Kind::Text,
    Kind::Text,
    Kind::Bool,
    Kind::Text,
    Kind::Int,
    Kind::Int,
    Kind::Int,
    Kind::Int,
];
