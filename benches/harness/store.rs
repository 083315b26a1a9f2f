//! The snapshot store's figures (issue 14), printed as a table of their own after the inventory
//! table:
//! - how fast a snapshot is written: rows (registries, repositories and tags) per second into
//!   SQLite and, when `REGINV_BENCH_POSTGRES_URL` (or `REGINV_TEST_POSTGRES_URL`) names a
//!   server, PostgreSQL;
//! - what an incremental run costs next to a full one: after no change, and after 1% of the
//!   repositories of each vendor got a new tag. Each incremental run's report is checked equal to
//!   a full run's over the same data (times and request counts aside), so a figure never comes
//!   from a run that missed a change.
//!
//! Row ids: `store-write-sqlite`, `store-write-postgres`, `store-incremental` (all three
//! incremental rows). Every figure comes from this run.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reginv::{Config, InventoryEvent, InventoryOptions, InventoryReport, TagDepth};
use reginv_emulator::{Faults, Fixture};
use reginv_store::{RunPlan, Store};

use super::host::{client_runtime, EmulatorHost};
use super::report::Vendor;
use super::scenario;
use super::settings::Settings;

/// One snapshot write: where, how many rows, how long.
#[derive(Clone, Debug)]
pub struct WriteFigure {
    /// `SQLite` or `PostgreSQL`.
    pub backend: &'static str,
    /// Registries, repositories and tags written.
    pub rows: u64,
    /// How long writing them took (begin to finish).
    pub wall: Duration,
}

/// One run into the store: what it sent and how long it took.
#[derive(Clone, Debug)]
pub struct RunFigure {
    /// `full`, `incremental, no change`, `incremental, 1% changed`, …
    pub label: String,
    /// Requests the emulator received.
    pub requests: u64,
    /// Tag listing requests among them.
    pub tag_requests: u64,
    /// Wall time of the run, storing included.
    pub wall: Duration,
    /// Repositories whose tags were taken from the store.
    pub reused: u64,
    /// For incremental runs: whether the report equals a full run's over the same data.
    pub identical: Option<bool>,
}

/// The figures of one run of this section.
#[derive(Clone, Debug, Default)]
pub struct StoreFigures {
    /// Snapshot writes.
    pub writes: Vec<WriteFigure>,
    /// Why PostgreSQL was not measured, when it was not.
    pub postgres_skipped: Option<String>,
    /// Full and incremental runs.
    pub runs: Vec<RunFigure>,
    /// Repositories per vendor.
    pub repositories: usize,
}

impl StoreFigures {
    /// The markdown table of these figures.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\n### Snapshot store ({} repositories per vendor, NCR + SWR, full depth)\n",
            self.repositories
        );
        let _ = writeln!(out, "| row | rows | wall | rows/s |");
        let _ = writeln!(out, "|---|---:|---:|---:|");
        for w in &self.writes {
            let _ = writeln!(
                out,
                "| snapshot write, {} | {} | {:.2} s | {:.0} |",
                w.backend,
                w.rows,
                w.wall.as_secs_f64(),
                w.rows as f64 / w.wall.as_secs_f64().max(1e-9)
            );
        }
        if let Some(why) = &self.postgres_skipped {
            let _ = writeln!(out, "| snapshot write, PostgreSQL | skipped: {why} | | |");
        }
        let _ = writeln!(
            out,
            "\n| run | requests | tag requests | reused repositories | wall | same report as a full run |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---|");
        for r in &self.runs {
            let same = match r.identical {
                None => "—",
                Some(true) => "yes",
                Some(false) => "NO",
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {:.2} s | {same} |",
                r.label,
                r.requests,
                r.tag_requests,
                r.reused,
                r.wall.as_secs_f64()
            );
        }
        out
    }
}

/// Measures the section when `settings` wants it (`None` when no `store` row is selected).
pub fn run(settings: &Settings) -> Result<Option<StoreFigures>, String> {
    let wants_write = settings.wants("store-write");
    let wants_incremental = settings.wants("store-incremental");
    if !wants_write && !wants_incremental {
        return Ok(None);
    }
    eprintln!(
        "[bench] snapshot store: {} repositories × {} tags per vendor …",
        settings.repositories, settings.tags
    );
    let fixture = scenario::fixture(
        11,
        settings.repositories,
        settings.registries,
        settings.tags,
    );
    let faults = Faults {
        latency: settings.latency,
        ..Faults::none()
    };
    let runtime = client_runtime()?;
    let dir = std::env::temp_dir().join(format!("reginv-bench-store-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut figures = StoreFigures {
        repositories: settings.repositories,
        ..StoreFigures::default()
    };
    let result = (|| -> Result<(), String> {
        let host = EmulatorHost::start(fixture.clone(), faults.clone(), 100)?;
        if wants_write {
            let report = runtime.block_on(full_report(&host))?;
            let sqlite = format!("sqlite:{}", dir.join("write.db").display());
            figures
                .writes
                .push(runtime.block_on(write_snapshot(&sqlite, "SQLite", &host, &report))?);
            let postgres = std::env::var("REGINV_BENCH_POSTGRES_URL")
                .or_else(|_| std::env::var("REGINV_TEST_POSTGRES_URL"))
                .ok()
                .filter(|u| !u.trim().is_empty());
            match postgres {
                Some(url) => figures.writes.push(runtime.block_on(write_snapshot(
                    &url,
                    "PostgreSQL",
                    &host,
                    &report,
                ))?),
                None => {
                    figures.postgres_skipped =
                        Some("set REGINV_BENCH_POSTGRES_URL to a server".to_string())
                }
            }
        }
        if wants_incremental {
            let url = format!("sqlite:{}", dir.join("incremental.db").display());
            let store = runtime
                .block_on(Store::open_str(&url))
                .map_err(|e| format!("cannot open {url}: {e}"))?;
            let full = runtime.block_on(store_run(&store, &host, false, "full run"))?;
            figures.runs.push(full.0);
            let (mut same, same_report) =
                runtime.block_on(store_run(&store, &host, true, "incremental, no change"))?;
            same.identical = Some(comparable(same_report) == comparable(full.1));
            figures.runs.push(same);
            host.stop();

            let changed = EmulatorHost::start(one_percent_changed(&fixture), faults, 100)?;
            let (mut inc, inc_report) =
                runtime.block_on(store_run(&store, &changed, true, "incremental, 1% changed"))?;
            let (reference, reference_report) =
                runtime.block_on(store_run(&store, &changed, false, "full run, 1% changed"))?;
            inc.identical = Some(comparable(inc_report) == comparable(reference_report));
            figures.runs.push(inc);
            figures.runs.push(reference);
            changed.stop();
        } else {
            host.stop();
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result.map(|()| Some(figures))
}

/// The bench configuration: the NCR and the SWR source of `host`, every default.
fn config(host: &EmulatorHost) -> Result<Config, String> {
    let text = format!(
        "{}\n{}",
        scenario::source_toml(host, Vendor::Ncr),
        scenario::source_toml(host, Vendor::Swr)
    );
    Config::from_toml_str(&text, "bench").map_err(|e| format!("the bench configuration: {e}"))
}

fn inventory(host: &EmulatorHost) -> Result<reginv::Inventory, String> {
    reginv::Inventory::from_config(&config(host)?)
        .and_then(|i| {
            i.with_options(
                InventoryOptions::new()
                    .with_depth(TagDepth::Full)
                    .with_registry_rows(true),
            )
        })
        .map_err(|e| format!("cannot build the inventory: {e}"))
}

/// A complete full-depth report of `host`'s data, the rows a snapshot write stores.
async fn full_report(host: &EmulatorHost) -> Result<InventoryReport, String> {
    let report = inventory(host)?.collect().await;
    if !report.complete {
        return Err(format!("the inventory failed: {:?}", report.errors));
    }
    Ok(report)
}

/// Writes `report` as one snapshot into the store at `url`; how long it took.
async fn write_snapshot(
    url: &str,
    backend: &'static str,
    host: &EmulatorHost,
    report: &InventoryReport,
) -> Result<WriteFigure, String> {
    let store = Store::open_str(url)
        .await
        .map_err(|e| format!("cannot open the {backend} store: {e}"))?;
    let plan = RunPlan::of(&inventory(host)?);
    let tags: usize = report
        .repositories
        .iter()
        .map(|r| r.tags.as_ref().map_or(0, Vec::len))
        .sum();
    let rows = (report.registries.len() + report.repositories.len() + tags) as u64;
    let started = Instant::now();
    let mut writer = store
        .begin_run(&plan)
        .await
        .map_err(|e| format!("{backend}: {e}"))?;
    let events = report
        .registries
        .iter()
        .map(|r| InventoryEvent::Registry(Box::new(r.clone())))
        .chain(
            report
                .repositories
                .iter()
                .map(|r| InventoryEvent::Repository(Box::new(r.clone()))),
        )
        .chain(
            report
                .sources
                .iter()
                .cloned()
                .map(InventoryEvent::SourceFinished),
        );
    for event in events {
        writer
            .push(&event)
            .await
            .map_err(|e| format!("{backend}: {e}"))?;
    }
    writer
        .finish(true)
        .await
        .map_err(|e| format!("{backend}: {e}"))?;
    Ok(WriteFigure {
        backend,
        rows,
        wall: started.elapsed(),
    })
}

/// One inventory of `host` streamed into `store` (incremental when `incremental`), as
/// `reginv inventory --store … [--incremental]` runs it; its figures and its report.
async fn store_run(
    store: &Store,
    host: &EmulatorHost,
    incremental: bool,
    label: &str,
) -> Result<(RunFigure, InventoryReport), String> {
    use futures::StreamExt;

    let emulator = host.emulator();
    emulator.reset_stats();
    let started = Instant::now();
    let mut inventory = inventory(host)?;
    let plan = RunPlan::of(&inventory).incremental(incremental);
    if incremental {
        let reuse = store.reuse_for(&plan).await.map_err(|e| e.to_string())?;
        let options = inventory.options().clone().with_reuse(Arc::new(reuse));
        inventory = inventory.with_options(options).map_err(|e| e.to_string())?;
    }
    let mut writer = store.begin_run(&plan).await.map_err(|e| e.to_string())?;
    let mut builder = inventory.report_builder();
    let mut events = inventory.stream();
    while let Some(event) = events.next().await {
        writer.push(&event).await.map_err(|e| e.to_string())?;
        builder.push(event);
    }
    let report = builder.finish();
    writer
        .finish(report.complete)
        .await
        .map_err(|e| e.to_string())?;
    let wall = started.elapsed();
    if !report.complete {
        return Err(format!(
            "{label}: the inventory failed: {:?}",
            report.errors
        ));
    }
    let stats = emulator.stats();
    let tag_requests = stats
        .by_route
        .iter()
        .filter(|(route, _)| route.ends_with("/tags"))
        .map(|(_, by_status)| by_status.values().sum::<u64>())
        .sum();
    let reused = report.sources.iter().filter_map(|s| s.reused).sum();
    Ok((
        RunFigure {
            label: label.to_string(),
            requests: stats.requests,
            tag_requests,
            wall,
            reused,
            identical: None,
        },
        report,
    ))
}

/// `fixture` with 1% of each vendor's repositories (at least one) given a new tag, pushed later
/// than anything in it (their update times move, as a push moves them).
pub fn one_percent_changed(fixture: &Fixture) -> Fixture {
    let mut changed = fixture.clone();
    let later_ms: i64 = 1_800_000_000_000;
    let later = chrono::DateTime::from_timestamp_millis(later_ms).unwrap_or_default();
    let swr: Vec<_> = changed
        .swr
        .namespaces
        .iter_mut()
        .flat_map(|n| n.repos.iter_mut())
        .collect();
    let every = (100).min(swr.len().max(1));
    for repo in swr.into_iter().step_by(every) {
        if let Some(mut pushed) = repo.tags.first().cloned() {
            pushed.name = "bench-pushed".into();
            pushed.digest = format!("sha256:{:064x}", 0xbe9c4u64);
            repo.tags.push(pushed);
            repo.updated = later;
        }
    }
    let ncr: Vec<_> = changed
        .ncp
        .values_mut()
        .flat_map(|registries| registries.iter_mut())
        .flat_map(|r| r.images.iter_mut())
        .collect();
    let every = (100).min(ncr.len().max(1));
    for image in ncr.into_iter().step_by(every) {
        if let Some(mut pushed) = image.tags.first().cloned() {
            pushed.name = "bench-pushed".into();
            pushed.updated = later_ms;
            image.tags.push(pushed);
            image.last_updated = later_ms;
        }
    }
    changed
}

/// `report` without what differs between two runs over the same data, the repositories an
/// incremental run reused included.
fn comparable(report: InventoryReport) -> InventoryReport {
    let mut report = scenario::comparable(report);
    for source in &mut report.sources {
        source.reused = None;
    }
    report
}
