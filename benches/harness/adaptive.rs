//! The rows of issue 13: one knob (`--concurrency` only, the per-source limit adaptive), a
//! server that rate-limits, injected faults, and a server that throttles 1% of requests.
//!
//! - `<vendor>-full-auto`: `Inventory::collect` with every default but `concurrency` 32 (no
//!   per-source cap), on the same fixture and latency as the other inventory rows.
//! - `ratelimit-100` / `ratelimit-100-full`: NCR full on a quarter of the fixture / the whole
//!   fixture against an emulator that allows 100 requests/s per credential (token bucket,
//!   burst 100) and answers `Retry-After: 0` beyond; its bound is the fewest requests less the
//!   burst ÷ 100 per second.
//! - `faults-20`: NCR full with 20% injected faults (429, 5xx, dropped connections, truncated
//!   bodies, a quarter each); the report must equal the fault-free run's.
//! - `throttle1-clean` / `throttle1`: NCR full, the 29,000 repositories (14.5 times the
//!   fixture), concurrency 64, clean and with 1.1% of requests answered 429 with
//!   `Retry-After: 1`.

use std::time::Duration;

use reginv::{InventoryOptions, InventoryReport, TagDepth};
use reginv_emulator::{Faults, Fixture};

use super::host::EmulatorHost;
use super::report::{thousands, Row, RowKind, Vendor};
use super::scenario::{self, Expected};
use super::settings::Settings;

/// What one measured inventory gave.
struct Measured {
    row: Row,
    report: InventoryReport,
}

/// Runs `Inventory::collect` of `vendor` at depth full on `host` with `options` and checks it
/// complete against `fixture`.
fn measure(
    id: &str,
    scenario_text: String,
    host: &EmulatorHost,
    fixture: &Fixture,
    vendor: Vendor,
    options: InventoryOptions,
    latency: Duration,
) -> Result<Measured, String> {
    eprintln!("[bench] {id} …");
    let concurrency = options.concurrency;
    let depth = TagDepth::Full;
    let (inventory, page_size) =
        scenario::configured_inventory(host, vendor, options).map_err(|e| format!("{id}: {e}"))?;
    let expected = Expected::of(fixture, vendor, depth, page_size);
    let super::host::Measured {
        output: report,
        wall,
        client_cpu,
        emulator_cpu,
        stats,
    } = host.collect(id, inventory)?;
    scenario::check_report(id, &report, &expected, depth)?;
    let summary = report
        .sources
        .first()
        .ok_or_else(|| format!("{id}: no source summary"))?;
    let mut row = Row::new(
        id,
        RowKind::Adaptive { concurrency },
        format!("{scenario_text}, pages of {page_size}"),
    );
    row.requests = Some(stats.requests);
    row.fewest_requests = Some(expected.requests);
    row.peak_in_flight = Some(stats.peak_in_flight);
    row.wall = Some(wall);
    row.latency = Some(latency);
    row.client_cpu = Some(client_cpu);
    row.emulator_cpu = Some(emulator_cpu);
    row.chain = Some(expected.chain);
    row.bound = Some(expected.bound(latency, concurrency));
    row.notes.push(format!(
        "limit reached {}; {} throttled; {} retries",
        summary
            .concurrency_limit
            .map_or_else(|| "?".to_string(), |l| l.to_string()),
        thousands(summary.throttled),
        thousands(summary.retries)
    ));
    if let Some(rate) = summary.paced_rps {
        row.notes.push(format!("last paced to {rate}/s"));
    }
    eprintln!(
        "[bench] {id}: {} requests in {:.3} s (bound {:.3} s), {}",
        stats.requests,
        wall.as_secs_f64(),
        row.bound.unwrap_or_default().as_secs_f64(),
        row.notes.join("; ")
    );
    Ok(Measured { row, report })
}

fn latency_faults(settings: &Settings) -> Faults {
    Faults {
        latency: settings.latency,
        ..Faults::none()
    }
}

/// Every row of issue 13 the settings select.
pub fn adaptive_rows(settings: &Settings) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    let wanted = |id: &str| settings.wants(id);
    let auto_ids = ["ncr-full-auto", "swr-full-auto", "faults-20"];
    if auto_ids.iter().any(|id| wanted(id)) {
        let fixture =
            scenario::fixture(7, settings.repositories, settings.registries, settings.tags);
        let host = EmulatorHost::start(fixture.clone(), latency_faults(settings), 100)?;
        let scenario_text = |vendor: Vendor, what: &str| {
            format!(
                "{} full, {} repos × {} tags, {what}",
                vendor.label(),
                thousands(settings.repositories as u64),
                settings.tags
            )
        };
        let one_knob = || {
            InventoryOptions::default()
                .with_depth(TagDepth::Full)
                .with_concurrency(32)
        };
        let mut clean_ncr = None;
        for vendor in [Vendor::Ncr, Vendor::Swr] {
            let id = format!("{}-full-auto", vendor.id());
            if !(wanted(&id) || vendor == Vendor::Ncr && wanted("faults-20")) {
                continue;
            }
            let measured = measure(
                &id,
                scenario_text(vendor, "defaults + --concurrency 32 only"),
                &host,
                &fixture,
                vendor,
                one_knob(),
                settings.latency,
            )?;
            if vendor == Vendor::Ncr {
                clean_ncr = Some(measured.report.clone());
            }
            if wanted(&id) {
                rows.push(measured.row);
            }
        }
        if wanted("faults-20") {
            host.emulator().set_faults(Faults {
                seed: 13,
                retry_after_secs: 0,
                ..latency_faults(settings).with_fault_rate(0.2)
            });
            let mut measured = measure(
                "faults-20",
                scenario_text(
                    Vendor::Ncr,
                    "20% injected faults (429, 5xx, drops, truncated bodies)",
                ),
                &host,
                &fixture,
                Vendor::Ncr,
                one_knob(),
                settings.latency,
            )?;
            let stats = host.emulator().stats();
            let clean = clean_ncr.ok_or("faults-20: no fault-free run to compare with")?;
            let identical = scenario::comparable(measured.report) == scenario::comparable(clean);
            if !identical {
                return Err("faults-20: the report differs from the fault-free run".to_string());
            }
            measured.row.notes.push(format!(
                "{} faults injected ({} truncated bodies, {} drops); complete and identical to \
                 the fault-free run",
                thousands(stats.faults_injected),
                thousands(stats.truncated),
                thousands(stats.dropped)
            ));
            rows.push(measured.row);
        }
        host.stop();
    }
    // A quarter of the fixture (short: the first round trip after the burst, when every
    // request in flight is throttled before any client can know, weighs more) and the whole.
    let ratelimit = [
        ("ratelimit-100", (settings.repositories / 4).max(1)),
        ("ratelimit-100-full", settings.repositories),
    ];
    for (id, repositories) in ratelimit {
        if !wanted(id) {
            continue;
        }
        let fixture = scenario::fixture(8, repositories, settings.registries, settings.tags);
        let host = EmulatorHost::start(
            fixture.clone(),
            Faults {
                rate_limit_per_second: Some(100),
                rate_limit_burst: Some(100),
                retry_after_secs: 0,
                ..latency_faults(settings)
            },
            100,
        )?;
        let mut measured = measure(
            id,
            format!(
                "NCR full, {} repos × {} tags, server allows 100 requests/s (burst 100), \
                 `Retry-After: 0`",
                thousands(repositories as u64),
                settings.tags
            ),
            &host,
            &fixture,
            Vendor::Ncr,
            InventoryOptions::default()
                .with_depth(TagDepth::Full)
                .with_concurrency(32),
            settings.latency,
        )?;
        let fewest = measured.row.fewest_requests.unwrap_or(0);
        // The server's rate is the bound: the burst's 100 requests at once, the rest at 100/s.
        let at_rate = fewest.saturating_sub(100) as f64 / 100.0;
        measured.row.bound =
            Some(Duration::from_secs_f64(at_rate).max(measured.row.bound.unwrap_or_default()));
        let throttled = measured.report.sources[0].throttled;
        measured.row.throttled_share = Some(throttled as f64 / fewest.max(1) as f64);
        rows.push(measured.row);
        host.stop();
    }
    if wanted("throttle1") {
        // The case: 29,000 repositories (at scale 1) at concurrency 64.
        let repositories = settings.repositories * 29 / 2;
        let fixture = scenario::fixture(9, repositories, settings.registries, settings.tags);
        let host = EmulatorHost::start(fixture.clone(), latency_faults(settings), 100)?;
        let text = |what: &str| {
            format!(
                "NCR full, {} repos × {} tags, {what}",
                thousands(repositories as u64),
                settings.tags
            )
        };
        let options = || {
            InventoryOptions::default()
                .with_depth(TagDepth::Full)
                .with_concurrency(64)
        };
        let clean = measure(
            "throttle1-clean",
            text("no faults"),
            &host,
            &fixture,
            Vendor::Ncr,
            options(),
            settings.latency,
        )?;
        host.emulator().set_faults(Faults {
            seed: 11,
            throttle_rate: 0.011,
            retry_after_secs: 1,
            ..latency_faults(settings)
        });
        let mut throttled = measure(
            "throttle1",
            text("1.1% of requests answered 429 with `Retry-After: 1`"),
            &host,
            &fixture,
            Vendor::Ncr,
            options(),
            settings.latency,
        )?;
        if let (Some(t), Some(c)) = (throttled.row.wall, clean.row.wall) {
            throttled.row.slowdown = Some(t.as_secs_f64() / c.as_secs_f64());
        }
        rows.push(clean.row);
        rows.push(throttled.row);
        host.stop();
    }
    Ok(rows)
}
