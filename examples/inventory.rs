//! Embed reginv: build one provider per account/region, merge them into one inventory, collect
//! the report and print totals per source.
//!
//! Runs against the built-in emulator (started here on 127.0.0.1), so it needs no credentials:
//! `cargo run --example inventory`. Against the real clouds, drop the emulator and the
//! `with_endpoint` calls, and pass your own keys (or let them come from the environment).

use std::sync::Arc;

use reginv::huawei::{HuaweiConfig, HuaweiCredentials, HuaweiProvider};
use reginv::ncp::{NcpConfig, NcpProvider, NcpRegion};
use reginv::{Inventory, InventoryOptions, RegistryProvider, TagDepth};
use reginv_emulator::{Emulator, Fixture};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = Emulator::builder()
        .fixture(Fixture::sample())
        .start()
        .await?;

    // One NCR source per region, one SWR source: each is a `RegistryProvider`.
    let mut providers: Vec<Arc<dyn RegistryProvider>> = Vec::new();
    for (name, region) in [("ncp-kr", NcpRegion::Kr), ("ncp-sgn", NcpRegion::Sgn)] {
        let config = NcpConfig::new(name, region)
            .with_endpoint(emulator.ncp_endpoint())
            .with_credentials(emulator.ncp_credentials());
        providers.push(Arc::new(NcpProvider::new(config)?));
    }
    let keys = emulator.swr_credentials();
    let swr = HuaweiConfig::new("swr-ap", "ap-southeast-1")
        .with_endpoint(emulator.swr_endpoint())
        .with_credentials(HuaweiCredentials::aksk(keys.access_key, keys.secret_key));
    providers.push(Arc::new(HuaweiProvider::new(swr)?));

    // List them all concurrently, tag names included, and merge.
    let inventory = Inventory::new(providers)
        .with_options(InventoryOptions::default().with_depth(TagDepth::Names))?;
    let report = inventory.collect().await;

    println!(
        "{:<10} {:<8} {:<16} {:>7} {:>13} {:>5} {:>9}",
        "SOURCE", "PROVIDER", "REGION", "STATUS", "REPOSITORIES", "TAGS", "REQUESTS"
    );
    for source in &report.sources {
        println!(
            "{:<10} {:<8} {:<16} {:>7} {:>13} {:>5} {:>9}",
            source.name,
            source.provider.as_str(),
            source.region,
            source.status.as_str(),
            source.repositories,
            source.tags,
            source.requests
        );
    }
    println!(
        "total: {} repositories, {} tags; complete: {}",
        report.repositories.len(),
        report.tag_count(),
        report.complete
    );
    for failure in &report.errors {
        eprintln!("error: {failure}");
    }

    emulator.shutdown().await;
    std::process::exit(report.exit_code());
}
