//! Stream an inventory as NDJSON: each event is printed the moment it arrives (a repository
//! with its tags, a failure, a finished source), so memory stays flat however large the
//! accounts are.
//!
//! Runs against the built-in emulator: `cargo run --example stream_ndjson`.

use std::io::Write;
use std::sync::Arc;

use futures::StreamExt;
use reginv::huawei::{HuaweiConfig, HuaweiCredentials, HuaweiProvider};
use reginv::ncp::{NcpConfig, NcpProvider, NcpRegion};
use reginv::{Inventory, InventoryEvent, InventoryOptions, RegistryProvider, TagDepth};
use reginv_emulator::{Emulator, Fixture};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = Emulator::builder()
        .fixture(Fixture::sample())
        .start()
        .await?;
    let ncp = NcpConfig::new("ncp-kr", NcpRegion::Kr)
        .with_endpoint(emulator.ncp_endpoint())
        .with_credentials(emulator.ncp_credentials());
    let keys = emulator.swr_credentials();
    let swr = HuaweiConfig::new("swr-ap", "ap-southeast-1")
        .with_endpoint(emulator.swr_endpoint())
        .with_credentials(HuaweiCredentials::aksk(keys.access_key, keys.secret_key));
    let providers: Vec<Arc<dyn RegistryProvider>> = vec![
        Arc::new(NcpProvider::new(ncp)?),
        Arc::new(HuaweiProvider::new(swr)?),
    ];
    let inventory = Inventory::new(providers)
        .with_options(InventoryOptions::default().with_depth(TagDepth::Names))?;

    let mut out = std::io::stdout().lock();
    let (mut repositories, mut failures) = (0u64, 0u64);
    let mut events = inventory.stream();
    while let Some(event) = events.next().await {
        match &event {
            InventoryEvent::Repository(_) => repositories += 1,
            InventoryEvent::Failure(_) => failures += 1,
            InventoryEvent::SourceFinished(_) | InventoryEvent::Registry(_) => {}
        }
        // `{"type":"repository",…}`, `{"type":"error",…}`, `{"type":"source",…}` or
        // `{"type":"registry",…}`.
        serde_json::to_writer(&mut out, &event)?;
        writeln!(out)?;
        out.flush()?;
    }
    eprintln!("{repositories} repositories, {failures} failures");

    emulator.shutdown().await;
    Ok(())
}
