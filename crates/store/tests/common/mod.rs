//! What every store test shares: one store per backend (a fresh SQLite file, and a fresh
//! database on the PostgreSQL server named by `REGINV_TEST_POSTGRES_URL`, when there is one).

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use reginv_store::StoreUrl;

/// The variable `.ci/services/postgres.sh` exports.
pub const POSTGRES_VAR: &str = "REGINV_TEST_POSTGRES_URL";

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A new, empty SQLite store file.
pub fn sqlite_url() -> StoreUrl {
    let dir: PathBuf = std::env::temp_dir().join(unique("reginv-store-test"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    StoreUrl::Sqlite(dir.join("store.db"))
}

/// A new, empty PostgreSQL database on the test server; `None` (after saying so) when there is
/// no server outside CI. Under `CI=true` a missing server is a failure.
pub async fn postgres_url(test: &str) -> Option<StoreUrl> {
    let Ok(base) = std::env::var(POSTGRES_VAR) else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{test}: {POSTGRES_VAR} is not set: CI must run the PostgreSQL suite (.ci/services/postgres.sh)");
        }
        eprintln!("{test}: skipped against PostgreSQL: {POSTGRES_VAR} is not set (.ci/services/postgres.sh starts a server)");
        return None;
    };
    let name = unique("reginv_t");
    let (client, connection) = tokio_postgres::connect(&base, tokio_postgres::NoTls)
        .await
        .expect("connect to the test PostgreSQL server");
    tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create a test database");
    let url = match base.split_once('?') {
        Some((head, query)) => format!(
            "{}/{name}?{query}",
            head.rsplit_once('/').map_or(head, |(h, _)| h)
        ),
        None => format!(
            "{}/{name}",
            base.rsplit_once('/').map_or(base.as_str(), |(h, _)| h)
        ),
    };
    Some(StoreUrl::parse(&url).expect("test database URL"))
}

/// The backends to run a test against: SQLite always, PostgreSQL when available.
pub async fn backends(test: &str) -> Vec<StoreUrl> {
    let mut urls = vec![sqlite_url()];
    urls.extend(postgres_url(test).await);
    urls
}
