//! What every store test shares: one store per backend (a fresh SQLite file, and a fresh
//! database on the PostgreSQL server named by `REGINV_TEST_POSTGRES_URL`, when there is one).

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::StreamExt;
use reginv::{Config, Inventory, InventoryEvent, InventoryOptions, ProviderConfig, TagDepth};
use reginv_emulator::{Emulator, Fixture};
use reginv_store::{RunPlan, Store, StoreUrl};

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
    let text = postgres_db(test).await?;
    Some(StoreUrl::parse(&format!("{text}?sslmode=disable")).expect("test database URL"))
}

/// [`postgres_url`] as `postgres://user@host:port/db`, without parameters.
pub async fn postgres_db(test: &str) -> Option<String> {
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
    let head = base.split_once('?').map_or(base.as_str(), |(head, _)| head);
    let server = head.rsplit_once('/').map_or(head, |(server, _)| server);
    Some(format!("{server}/{name}"))
}

/// The backends to run a test against: SQLite always, PostgreSQL when available.
pub async fn backends(test: &str) -> Vec<StoreUrl> {
    let mut urls = vec![sqlite_url()];
    urls.extend(postgres_url(test).await);
    urls
}

pub async fn start(fixture: Fixture) -> Emulator {
    Emulator::builder()
        .fixture(fixture)
        .start()
        .await
        .expect("the emulator starts")
}

/// The demo's sources: one per NCR region of the fixture, one SWR; `bad_swr_keys` makes the
/// SWR source fail (its signature is refused).
pub fn inventory(emulator: &Emulator, bad_swr_keys: bool) -> Inventory {
    let mut providers: Vec<ProviderConfig> = emulator.source_entries();
    let swr = providers.last_mut().expect("the SWR source");
    swr.set("name", "swr");
    if bad_swr_keys {
        swr.set("secret_key", "not-the-secret");
    }
    Inventory::from_config(&Config::new(providers, "test"))
        .expect("inventory")
        .with_options(InventoryOptions::new().with_depth(TagDepth::Full))
        .expect("options")
}

/// Runs `inventory` into `store`; the run id.
pub async fn snapshot(store: &Store, inventory: &Inventory) -> i64 {
    let mut writer = store.begin_run(&RunPlan::of(inventory)).await.unwrap();
    let mut events = inventory.stream();
    let mut complete = true;
    while let Some(event) = events.next().await {
        complete &= !matches!(event, InventoryEvent::Failure(_));
        writer.push(&event).await.unwrap();
    }
    writer.finish(complete).await.unwrap()
}
