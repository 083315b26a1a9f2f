//! The schema, as numbered migrations applied in order when a store is opened.
//!
//! A migration is never edited once released: a change is a new migration, so a store written
//! by an older reginv opens (and is brought up to date) in a newer one. `reginv_schema` records
//! the versions applied. The DDL is one text for both databases; `{ID}` and `{TIME}` are the
//! only words spelled differently.

use chrono::Utc;

use crate::backend::{Backend, Dialect};
use crate::error::{Result, StoreError};
use crate::value::{Kind, Value};

/// The migrations, in order: `(version, DDL)`.
pub(crate) const MIGRATIONS: &[(i64, &str)] = &[
    (1, V1_TABLES),
    (2, V2_VIEWS),
    (3, V3_SOURCE_REGISTRIES),
    (4, V4_CONCURRENCY_LIMIT),
    (5, V5_PACED_RPS),
];

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i64 = 5;

/// The rate each source was last paced to (`SourceSummary::paced_rps`); `NULL` in runs stored
/// before it was kept, and for sources that were never paced.
const V5_PACED_RPS: &str = "
ALTER TABLE run_sources ADD COLUMN paced_rps BIGINT;
";

/// Where each source's adaptive concurrency limit ended (`SourceSummary::concurrency_limit`);
/// `NULL` in runs stored before it was kept, and for sources that reported none.
const V4_CONCURRENCY_LIMIT: &str = "
ALTER TABLE run_sources ADD COLUMN concurrency_limit BIGINT;
";

/// How many registries each source listed (`SourceSummary::registries`); `NULL` in runs
/// stored before it was kept.
const V3_SOURCE_REGISTRIES: &str = "
ALTER TABLE run_sources ADD COLUMN registries BIGINT;
";

const V1_TABLES: &str = "
CREATE TABLE runs (
    id {ID},
    started_at {TIME} NOT NULL,
    finished_at {TIME},
    status TEXT NOT NULL,
    depth TEXT NOT NULL,
    incremental BOOLEAN NOT NULL,
    selection TEXT NOT NULL,
    writer TEXT NOT NULL,
    reginv_version TEXT NOT NULL
);
CREATE TABLE run_sources (
    run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    provider TEXT NOT NULL,
    region TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    status TEXT,
    repositories BIGINT,
    tags BIGINT,
    errors BIGINT,
    requests BIGINT,
    retries BIGINT,
    throttled BIGINT,
    page_size BIGINT,
    elapsed_ms BIGINT,
    reused BIGINT,
    PRIMARY KEY (run_id, name)
);
CREATE TABLE registries (
    run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    provider TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    public BOOLEAN,
    scan_on_push BOOLEAN,
    status TEXT,
    pull_endpoint TEXT,
    created_at {TIME},
    extra TEXT NOT NULL,
    listed BOOLEAN NOT NULL,
    PRIMARY KEY (run_id, source, name)
);
CREATE TABLE repositories (
    run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    provider TEXT NOT NULL,
    region TEXT NOT NULL,
    registry TEXT NOT NULL,
    name TEXT NOT NULL,
    full_name TEXT NOT NULL,
    pull_uri TEXT,
    description TEXT,
    public BOOLEAN,
    tag_immutable BOOLEAN,
    tag_count BIGINT,
    size_bytes BIGINT,
    pull_count BIGINT,
    created_at {TIME},
    updated_at {TIME},
    tags_listed BOOLEAN NOT NULL,
    tags_reused BOOLEAN NOT NULL,
    extra TEXT NOT NULL,
    PRIMARY KEY (run_id, source, registry, name)
);
CREATE TABLE tags (
    run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    registry TEXT NOT NULL,
    repository TEXT NOT NULL,
    name TEXT NOT NULL,
    digest TEXT,
    size_bytes BIGINT,
    created_at {TIME},
    updated_at {TIME},
    last_pulled_at {TIME},
    scanned BOOLEAN,
    media_type TEXT,
    is_index BOOLEAN,
    platforms TEXT NOT NULL,
    extra TEXT NOT NULL,
    PRIMARY KEY (run_id, source, registry, repository, name)
);
CREATE TABLE failures (
    run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    source TEXT NOT NULL,
    provider TEXT NOT NULL,
    operation TEXT NOT NULL,
    target TEXT,
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    status BIGINT,
    code TEXT,
    request_id TEXT,
    PRIMARY KEY (run_id, seq)
);
";

const V2_VIEWS: &str = "
CREATE VIEW latest_source_runs AS
    SELECT s.name AS source, MAX(s.run_id) AS run_id
    FROM run_sources s JOIN runs r ON r.id = s.run_id
    WHERE r.status IN ('complete', 'incomplete') AND s.status = 'ok'
    GROUP BY s.name;
CREATE VIEW latest_registries AS
    SELECT g.* FROM registries g
    JOIN latest_source_runs l ON g.run_id = l.run_id AND g.source = l.source;
CREATE VIEW latest_repositories AS
    SELECT p.* FROM repositories p
    JOIN latest_source_runs l ON p.run_id = l.run_id AND p.source = l.source;
CREATE VIEW latest_tags AS
    SELECT t.* FROM tags t
    JOIN latest_source_runs l ON t.run_id = l.run_id AND t.source = l.source;
CREATE INDEX runs_by_status ON runs (status, id);
";

fn ddl(sql: &str, dialect: Dialect) -> String {
    let (id, time) = match dialect {
        Dialect::Sqlite => ("INTEGER PRIMARY KEY AUTOINCREMENT", "TEXT"),
        Dialect::Postgres => (
            "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
            "TIMESTAMPTZ",
        ),
    };
    sql.replace("{ID}", id).replace("{TIME}", time)
}

/// Brings the store up to `up_to` (every migration when `None`), in one transaction that other
/// openers wait for. An error when the store is newer than this build.
pub(crate) async fn migrate(db: &Backend, up_to: Option<i64>) -> Result<()> {
    let begin = match db.dialect() {
        Dialect::Sqlite => "BEGIN IMMEDIATE",
        Dialect::Postgres => "BEGIN",
    };
    db.batch(begin).await?;
    let result = apply(db, up_to).await;
    match result {
        Ok(()) => db.batch("COMMIT").await,
        Err(e) => {
            let _ = db.batch("ROLLBACK").await;
            Err(e)
        }
    }
}

async fn apply(db: &Backend, up_to: Option<i64>) -> Result<()> {
    if db.dialect() == Dialect::Postgres {
        // Two reginv processes opening a new database at once: one migrates, the other waits.
        db.batch("SELECT pg_advisory_xact_lock(1380403542, 0)")
            .await?;
    }
    db.batch(
        "CREATE TABLE IF NOT EXISTS reginv_schema (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)",
    )
    .await?;
    let rows = db
        .query(
            "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM reginv_schema",
            &[],
            &[Kind::Int],
        )
        .await?;
    let current = rows
        .first()
        .and_then(|r| r.first())
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if current > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            found: current,
            known: SCHEMA_VERSION,
        });
    }
    for (version, sql) in MIGRATIONS {
        if *version <= current || up_to.is_some_and(|max| *version > max) {
            continue;
        }
        tracing::info!(version, "applying store migration");
        db.batch(&ddl(sql, db.dialect())).await?;
        db.execute(
            "INSERT INTO reginv_schema (version, applied_at) VALUES ($1, $2)",
            &[Value::int(*version), Value::text(Utc::now().to_rfc3339())],
        )
        .await?;
    }
    Ok(())
}
