//! The inventory benchmark harness, shared by `cargo bench --bench inventory`
//! (benches/inventory.rs, at the sizes) and `cargo test --test bench_smoke`
//! (tests/bench_smoke.rs, at a tiny size).
//!
//! [`run`] starts the emulator with injected latency and measures, in one run:
//! - the round trip of one request at a time (what one link of a request chain costs);
//! - `Inventory::collect` for NCR and SWR at depth `names` and `full` at each concurrency,
//!   next to the lower bound of each scenario ([`scenario`]);
//! - the same inventories one request at a time with the vendor SDKs' page sizes;
//! - issue 13's rows ([`adaptive`]): only `--concurrency`, a rate-limited server, injected
//!   faults, 1% throttling;
//! - issue 13.3's rows ([`speculative`]): SWR's listing with and without its speculative second
//!   page, in the same run;
//! - the `reginv` binary's peak RSS streaming ndjson ([`memory`]);
//! - decoding one page of each vendor ([`decode`]);
//! - the snapshot store's write throughput and incremental runs ([`store`], a table of its own).
//!
//! Every figure of the [`Report`](report::Report) comes from that run. Progress goes to stderr.

// Each of the two targets that include this module uses a different part of it (the bench
// reads the environment, the smoke test its tiny settings and the rows' fields).
#![allow(dead_code)]

pub mod adaptive;
pub mod cpu;
pub mod decode;
pub mod host;
pub mod machine;
pub mod memory;
pub mod report;
pub mod scenario;
pub mod settings;
pub mod speculative;
pub mod store;
pub mod timeline;

use reginv::TagDepth;
use reginv_emulator::Faults;

pub use settings::Settings;

use host::EmulatorHost;
use machine::Machine;
use report::{Report, Vendor};

/// Runs every row `settings` selects and returns them, in table order.
pub fn run(settings: &Settings) -> Result<Report, String> {
    let machine = Machine::detect();
    eprintln!("[bench] {machine}");
    let mut rows = Vec::new();
    let inventory_wanted = [Vendor::Ncr, Vendor::Swr].iter().any(|v| {
        [TagDepth::Names, TagDepth::Full].iter().any(|d| {
            settings
                .concurrency
                .iter()
                .map(|c| format!("{}-{d}-c{c}", v.id()))
                .chain([format!("{}-{d}-sdk", v.id()), "round-trip".to_string()])
                .any(|id| settings.wants(&id))
        })
    });
    if inventory_wanted {
        eprintln!(
            "[bench] generating {} repositories × {} tags per vendor …",
            settings.repositories, settings.tags
        );
        let fixture =
            scenario::fixture(7, settings.repositories, settings.registries, settings.tags);
        let faults = Faults {
            latency: settings.latency,
            ..Faults::none()
        };
        let host = EmulatorHost::start(fixture.clone(), faults, 100)?;
        if settings.wants("round-trip") {
            rows.push(scenario::round_trip_row(
                settings,
                &host,
                settings.round_trips,
            )?);
        }
        for vendor in [Vendor::Ncr, Vendor::Swr] {
            for depth in [TagDepth::Names, TagDepth::Full] {
                rows.extend(scenario::inventory_rows(
                    settings, &host, &fixture, vendor, depth,
                )?);
            }
        }
        host.stop();
    }
    rows.extend(adaptive::adaptive_rows(settings)?);
    rows.extend(speculative::speculative_rows(settings)?);
    rows.extend(memory::memory_rows(settings)?);
    rows.extend(decode::decode_rows(settings)?);
    Ok(Report {
        machine,
        settings: settings.clone(),
        rows,
    })
}
