//! `--store URL` for `inventory` and `demo`: the inventory is also written as a snapshot, row
//! by row as it streams in; and where the store is (`--store`, `REGINV_STORE`, `[store] url`).

use std::path::Path;
use std::sync::Arc;

use clap::Args;
use futures::StreamExt;
use reginv::{Config, Inventory, InventoryEvent};
use reginv_store::{RunInfo, RunPlan, Snapshot, SnapshotWriter, Store, StoreError};
use tokio::sync::Mutex;

use crate::config_lookup::DEFAULT_CONFIG_FILE;
use crate::error::CliError;
use crate::output::{self, destination::Destination, OutputSettings};
use crate::progress::Progress;
use crate::signals::Interrupts;

/// The variable that names the store when `--store` is not given.
pub const STORE_VAR: &str = "REGINV_STORE";

/// `--store` for `inventory` and `demo`.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Also keep this inventory as a snapshot in a store: a path or sqlite:PATH (created when
    /// missing), or postgres://user@host:port/db[?sslmode=require|verify-full] (password from
    /// the URL or PGPASSWORD) [default for `inventory`: $REGINV_STORE, else `[store] url` in
    /// reginv.toml].
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,

    /// Re-list a repository's tags only when its listing fingerprint (update time, tag count,
    /// size, pull count) differs from the store's latest finished snapshot at this depth or
    /// deeper; otherwise take them from the store. Needs a store.
    #[arg(long)]
    pub incremental: bool,
}

/// The store to use: `flag`, else `$REGINV_STORE`, else the configuration's `[store] url`.
pub fn store_url(flag: Option<&str>, configured: Option<&str>) -> Option<String> {
    choose_url(flag, std::env::var(STORE_VAR).ok(), configured)
}

/// [`store_url`] with the variable's value given.
fn choose_url(flag: Option<&str>, var: Option<String>, configured: Option<&str>) -> Option<String> {
    flag.map(str::to_string)
        .or_else(|| var.filter(|v| !v.trim().is_empty()))
        .or_else(|| configured.map(str::to_string))
}

/// `[store] url` of `--config FILE`, else of `./reginv.toml` when there is one.
pub fn configured_store_url(config: Option<&Path>) -> Result<Option<String>, CliError> {
    let default = Path::new(DEFAULT_CONFIG_FILE);
    let path = match config {
        Some(path) => path,
        None if default.is_file() => default,
        None => return Ok(None),
    };
    Ok(Config::load(path)?.store_url)
}

/// The store at `url`, or where to find one.
pub fn required_url(flag: Option<&str>, config: Option<&Path>) -> Result<String, CliError> {
    let configured = configured_store_url(config)?;
    store_url(flag, configured.as_deref()).ok_or_else(|| {
        CliError::new(format!(
            "no store: give --store URL (a path, sqlite:PATH or postgres://…), set {STORE_VAR}, \
             or write [store] url = \"…\" in {DEFAULT_CONFIG_FILE}"
        ))
    })
}

/// Opens (and migrates) the store.
pub async fn open(url: &str) -> Result<Store, CliError> {
    Store::open_str(url).await.map_err(store_error)
}

/// A store error as the command's error.
pub fn store_error(err: StoreError) -> CliError {
    CliError::new(err.to_string())
}

/// The snapshot `run` of `store`, else its latest finished one. A run that is not there is an
/// error that lists the runs the store holds (or says it is empty). A run that did not finish
/// (`--run` of an interrupted or aborted run) reads as an incomplete inventory, with a warning.
pub async fn pick_snapshot(store: &Store, run: Option<i64>) -> Result<Snapshot, CliError> {
    let runs = store.runs().await.map_err(store_error)?;
    if runs.is_empty() {
        return Err(CliError::new(
            "the store is empty: no snapshot yet (run `reginv inventory --store URL` first)",
        ));
    }
    let chosen = match run {
        Some(id) => runs.iter().find(|r| r.id == id).ok_or_else(|| {
            CliError::new(format!(
                "no snapshot {id} in the store; it holds {}",
                describe_runs(&runs)
            ))
        })?,
        None => runs
            .iter()
            .rev()
            .find(|r| r.status.is_finished())
            .ok_or_else(|| {
                CliError::new(format!(
                    "no finished snapshot in the store (it holds {}); give --run ID to read an \
                     unfinished one",
                    describe_runs(&runs)
                ))
            })?,
    };
    let mut snapshot = store.snapshot(chosen.id).await.map_err(store_error)?;
    if !chosen.status.is_finished() {
        eprintln!(
            "reginv: warning: snapshot {} is {}: its inventory is incomplete",
            chosen.id, chosen.status
        );
        snapshot.report.complete = false;
    }
    tracing::info!(
        snapshot = chosen.id,
        status = %chosen.status,
        depth = %chosen.depth,
        "stored snapshot read"
    );
    Ok(snapshot)
}

/// `1 (complete), 2 (aborted), …`: the last 20 runs, oldest first.
fn describe_runs(runs: &[RunInfo]) -> String {
    let shown = &runs[runs.len().saturating_sub(20)..];
    let mut text = shown
        .iter()
        .map(|r| format!("{} ({})", r.id, r.status))
        .collect::<Vec<_>>()
        .join(", ");
    if shown.len() < runs.len() {
        text = format!("{} earlier runs, then {text}", runs.len() - shown.len());
    }
    text
}

/// What the stream that feeds the store has seen.
struct Feed {
    writer: Option<SnapshotWriter>,
    error: Option<StoreError>,
    complete: bool,
}

/// Runs `inventory`, writes its output as `format`, and stores every event as it arrives.
/// The output is written even when the store fails; the store's failure then ends the command
/// with status 1.
pub async fn list_and_store(
    inventory: Inventory,
    store: &Store,
    incremental: bool,
    settings: &OutputSettings,
    destination: Destination,
    progress: Progress,
    interrupts: Interrupts,
) -> Result<i32, CliError> {
    let plan = RunPlan::of(&inventory).incremental(incremental);
    let reuse = if incremental {
        Some(Arc::new(store.reuse_for(&plan).await.map_err(store_error)?))
    } else {
        None
    };
    let inventory = match &reuse {
        Some(reuse) => {
            let options = inventory.options().clone().with_reuse(reuse.clone());
            inventory.with_options(options)?
        }
        None => inventory,
    };
    let inventory = &inventory;
    let writer = store.begin_run(&plan).await.map_err(store_error)?;
    let id = writer.id();
    let feed = Arc::new(Mutex::new(Feed {
        writer: Some(writer),
        error: None,
        complete: true,
    }));
    let tee = feed.clone();
    let events = inventory
        .stream()
        .then(move |event| {
            let tee = tee.clone();
            let reuse = reuse.clone();
            async move {
                let mut feed = tee.lock().await;
                if matches!(event, InventoryEvent::Failure(_)) {
                    feed.complete = false;
                }
                if let Some(writer) = feed.writer.as_mut() {
                    // A repository whose tags came from the store is marked so in the snapshot.
                    let written = match (&event, &reuse) {
                        (InventoryEvent::Repository(repo), Some(reuse))
                            if reuse.was_reused(repo) =>
                        {
                            writer.push_reused(repo).await
                        }
                        _ => writer.push(&event).await,
                    };
                    if let Err(e) = written {
                        feed.error = Some(e);
                        feed.writer = None;
                    }
                }
                event
            }
        })
        .boxed();
    let code = output::write_events(
        inventory,
        events,
        settings,
        destination,
        progress,
        interrupts,
    )
    .await?;
    let mut feed = feed.lock().await;
    if let Some(err) = feed.error.take() {
        return Err(CliError::new(format!(
            "the inventory was written but snapshot {id} could not be stored: {err}"
        )));
    }
    let complete = feed.complete;
    if let Some(writer) = feed.writer.take() {
        writer.finish(complete).await.map_err(|e| {
            CliError::new(format!(
                "the inventory was written but snapshot {id} could not be finished: {e}"
            ))
        })?;
        tracing::info!(snapshot = id, store = %store.url(), "snapshot stored");
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_missing_snapshot_lists_what_the_store_holds() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_str(&dir.path().join("s.db").display().to_string())
            .await
            .unwrap();
        let err = pick_snapshot(&store, None).await.unwrap_err().to_string();
        assert!(err.contains("the store is empty"), "{err}");
        let err = pick_snapshot(&store, Some(3))
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("the store is empty"), "{err}");
        for _ in 0..2 {
            let writer = store
                .begin_run(&RunPlan::new(reginv::TagDepth::Names, Vec::new()))
                .await
                .unwrap();
            writer.finish(true).await.unwrap();
        }
        let err = pick_snapshot(&store, Some(3))
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no snapshot 3 in the store; it holds 1 (complete), 2 (complete)"),
            "{err}"
        );
        assert_eq!(pick_snapshot(&store, None).await.unwrap().run.id, 2);
        assert_eq!(pick_snapshot(&store, Some(1)).await.unwrap().run.id, 1);
    }

    #[test]
    fn the_flag_wins_then_the_variable_then_the_configuration() {
        let var = || Some("env.db".to_string());
        assert_eq!(
            choose_url(Some("a.db"), var(), Some("b.db")).as_deref(),
            Some("a.db")
        );
        assert_eq!(
            choose_url(None, var(), Some("b.db")).as_deref(),
            Some("env.db")
        );
        assert_eq!(
            choose_url(None, Some(" ".into()), Some("b.db")).as_deref(),
            Some("b.db")
        );
        assert_eq!(choose_url(None, None, None), None);
    }
}
