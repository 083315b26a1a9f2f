//! The inventory rows: the same data listed by `Inventory::collect` at several concurrency
//! levels, and one request at a time the way the vendor SDKs page.
//!
//! The lower bound of a row is `latency × max(chain, waves)`: no client can finish before the
//! longest chain of requests that each need the previous answer, nor before it has pushed its
//! requests through `concurrency` slots, the requests that need a name from an earlier answer
//! only after that answer came: `waves = max over d of d + ceil(requests at level d or deeper
//! / concurrency)`, where a request is at level d when it needs a name only a level d − 1 answer
//! gives (an NCR tag listing is at level 2: it needs an image name from an image page, which
//! needs a registry name from the registry page; later pages of a listing stand at the level
//! of its first, since a client could guess their offsets). At level 0 alone this is
//! `ceil(fewest requests / concurrency)`; the issue's own figure (601 SWR requests at 32 and
//! 20 ms: 0.40 s, 1 + ceil(600 / 32) round trips) counts the same way. Both terms are computed
//! from the fixture and the page sizes the row used, never from what the code did.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use reginv::{
    Config, Cursor, Error, Inventory, InventoryOptions, InventoryReport, Page, RegistryProvider,
    Repository, RepositoryQuery, RepositoryRef, TagDepth,
};
use reginv_emulator::{Fixture, FixtureSizes};
use reginv_huawei::{HuaweiConfig, HuaweiCredentials, HuaweiProvider};
use reginv_ncp::{NcpConfig, NcpProvider, NcpRegion};

use super::host::{EmulatorHost, Measured};
use super::report::{thousands, Row, RowKind, Vendor};
use super::settings::Settings;

/// The NCR region the fixtures fill.
pub const NCR_REGION: &str = "kr";
/// The SWR region the providers name.
pub const SWR_REGION: &str = "ap-southeast-1";

/// A fixture of `repositories` repositories per vendor with exactly `tags` tags each, dealt
/// over `registries` NCR registries (region `kr` only) and as many SWR namespaces.
pub fn fixture(seed: u64, repositories: usize, registries: usize, tags: usize) -> Fixture {
    let sizes = FixtureSizes {
        ncp_regions: vec![NCR_REGION.to_string()],
        registries,
        total_repositories: Some(repositories),
        min_tags: tags,
        max_tags: tags,
        ..FixtureSizes::default()
    };
    Fixture::generate(seed, sizes)
}

/// The NCR provider of the bench source, talking to `host`'s emulator.
pub fn ncr_provider(host: &EmulatorHost, page_size: Option<u32>) -> Result<NcpProvider, String> {
    let emulator = host.emulator();
    let mut config = NcpConfig::new("ncr-bench", NcpRegion::Kr)
        .with_endpoint(emulator.ncp_endpoint())
        .with_credentials(emulator.ncp_credentials());
    if let Some(size) = page_size {
        config = config.with_page_size(size);
    }
    NcpProvider::new(config).map_err(|e| format!("cannot build the NCR provider: {e}"))
}

/// The SWR provider of the bench source, talking to `host`'s emulator.
pub fn swr_provider(host: &EmulatorHost, page_size: Option<u32>) -> Result<HuaweiProvider, String> {
    let emulator = host.emulator();
    let keys = emulator.swr_credentials();
    let mut config = HuaweiConfig::new("swr-bench", SWR_REGION)
        .with_endpoint(emulator.swr_endpoint())
        .with_credentials(HuaweiCredentials::aksk(
            keys.access_key.clone(),
            keys.secret_key.clone(),
        ));
    if let Some(size) = page_size {
        config = config.with_page_size(size);
    }
    HuaweiProvider::new(config).map_err(|e| format!("cannot build the SWR provider: {e}"))
}

/// TOML-quotes `s`.
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The `[[providers]]` entry of `vendor`'s bench source on `host`'s emulator, with every
/// setting at its default (what `reginv inventory` and `Inventory::from_config` use).
pub fn source_toml(host: &EmulatorHost, vendor: Vendor) -> String {
    let emulator = host.emulator();
    let (name, kind, region, endpoint, keys) = match vendor {
        Vendor::Ncr => (
            "ncr-bench",
            "ncp",
            NCR_REGION,
            emulator.ncp_endpoint(),
            emulator.ncp_credentials(),
        ),
        Vendor::Swr => (
            "swr-bench",
            "huawei",
            SWR_REGION,
            emulator.swr_endpoint(),
            emulator.swr_credentials(),
        ),
    };
    format!(
        "[[providers]]\nname = {}\nkind = {}\nregion = {}\nendpoint = {}\naccess_key = {}\n\
         secret_key = {}\n",
        quoted(name),
        quoted(kind),
        quoted(region),
        quoted(&endpoint),
        quoted(&keys.access_key),
        quoted(keys.secret_key.expose()),
    )
}

/// The inventory of `vendor`'s bench source as `reginv inventory` builds it (from a
/// configuration with every default), and the page size its source lists with.
pub fn configured_inventory(
    host: &EmulatorHost,
    vendor: Vendor,
    options: InventoryOptions,
) -> Result<(Inventory, u32), String> {
    let config = Config::from_toml_str(&source_toml(host, vendor), "bench")
        .map_err(|e| format!("the bench configuration: {e}"))?;
    let inventory = Inventory::from_config(&config)
        .and_then(|i| i.with_options(options))
        .map_err(|e| format!("cannot build the inventory: {e}"))?;
    let page_size = inventory
        .providers()
        .first()
        .and_then(|p| p.page_size())
        .ok_or("the configured source does not say its page size")?;
    Ok((inventory, page_size))
}

/// The provider of `vendor` with pages of `page_size`.
fn provider_with_pages(
    vendor: Vendor,
    host: &EmulatorHost,
    page_size: u32,
) -> Result<Arc<dyn RegistryProvider>, String> {
    Ok(match vendor {
        Vendor::Ncr => Arc::new(ncr_provider(host, Some(page_size))?),
        Vendor::Swr => Arc::new(swr_provider(host, Some(page_size))?),
    })
}

/// What a complete inventory of one vendor's half of the fixture holds, and what listing it
/// costs at least.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expected {
    /// Repositories.
    pub repositories: u64,
    /// Tags over every repository.
    pub tags: u64,
    /// The fewest requests, at the page size used.
    pub requests: u64,
    /// The longest chain of requests that each need the answer of the one before.
    pub chain: u64,
    /// The fewest requests at each level: a request at level `d` needs a name that only an
    /// answer at level `d - 1` gives (see the module's documentation).
    pub levels: Vec<u64>,
}

/// Pages a listing of `items` takes at `size` (an empty listing still costs one request).
fn pages(items: usize, size: u32) -> u64 {
    (items as u64).div_ceil(u64::from(size.max(1))).max(1)
}

/// Requests in a row to reach the last page of a listing of `items`: the first page, then,
/// once it announced the total, every later page at once.
fn listing_chain(items: usize, size: u32) -> u64 {
    if pages(items, size) > 1 {
        2
    } else {
        1
    }
}

impl Expected {
    /// The expectation for `vendor` at `depth`, listing with pages of `page_size`.
    ///
    /// - NCR lists per registry: registries → a registry's first image page (→ its later
    ///   pages, known from `count`) → each image's first tag page (→ later tag pages). Tag
    ///   names need the tag listing too, so `names` and `full` cost the same.
    /// - SWR lists every repository in one listing (first page → later pages, known from
    ///   `Content-Range`) whose items carry the tag names, so `names` needs nothing else;
    ///   `full` adds each repository's tag listing.
    pub fn of(fixture: &Fixture, vendor: Vendor, depth: TagDepth, page_size: u32) -> Expected {
        let wants_tags = depth != TagDepth::None;
        match vendor {
            Vendor::Ncr => {
                let registries = fixture.ncp.get(NCR_REGION).cloned().unwrap_or_default();
                let mut levels = vec![pages(registries.len(), page_size), 0, 0];
                let registry_chain = listing_chain(registries.len(), page_size);
                let mut chain = registry_chain;
                let (mut repositories, mut tags) = (0u64, 0u64);
                for registry in &registries {
                    levels[1] += pages(registry.images.len(), page_size);
                    let image_chain = listing_chain(registry.images.len(), page_size);
                    chain = chain.max(registry_chain + image_chain);
                    for image in &registry.images {
                        repositories += 1;
                        tags += image.tags.len() as u64;
                        if wants_tags {
                            levels[2] += pages(image.tags.len(), page_size);
                            let tag_chain = listing_chain(image.tags.len(), page_size);
                            chain = chain.max(registry_chain + image_chain + tag_chain);
                        }
                    }
                }
                Expected {
                    repositories,
                    tags,
                    requests: levels.iter().sum(),
                    chain,
                    levels,
                }
            }
            Vendor::Swr => {
                let repos: Vec<usize> = fixture
                    .swr
                    .namespaces
                    .iter()
                    .flat_map(|ns| ns.repos.iter().map(|r| r.tags.len()))
                    .collect();
                let mut levels = vec![pages(repos.len(), page_size), 0];
                let repo_chain = listing_chain(repos.len(), page_size);
                let mut chain = repo_chain;
                if depth == TagDepth::Full {
                    for &n in &repos {
                        levels[1] += pages(n, page_size);
                        chain = chain.max(repo_chain + listing_chain(n, page_size));
                    }
                }
                Expected {
                    repositories: repos.len() as u64,
                    tags: repos.iter().map(|&n| n as u64).sum(),
                    requests: levels.iter().sum(),
                    chain,
                    levels,
                }
            }
        }
    }

    /// The lower bound on the wall time at `concurrency` requests in flight, in round trips:
    /// `max(chain, waves)` (see the module's documentation).
    fn round_trips(&self, concurrency: usize) -> u64 {
        let slots = concurrency.max(1) as u64;
        let mut deeper = 0;
        let mut waves = 0;
        for (level, &requests) in self.levels.iter().enumerate().rev() {
            deeper += requests;
            if deeper > 0 {
                waves = waves.max(level as u64 + deeper.div_ceil(slots));
            }
        }
        self.chain.max(waves)
    }

    /// The lower bound on the wall time at `concurrency` requests in flight.
    pub fn bound(&self, latency: Duration, concurrency: usize) -> Duration {
        latency * u32::try_from(self.round_trips(concurrency)).unwrap_or(u32::MAX)
    }
}

/// Checks that `repositories` is the complete inventory: every repository, every tag, the
/// details `depth` asks for. A benchmark that lists nothing measures nothing.
pub fn verify(
    what: &str,
    repositories: &[Repository],
    expected: &Expected,
    depth: TagDepth,
) -> Result<(), String> {
    if repositories.len() as u64 != expected.repositories {
        return Err(format!(
            "{what}: listed {} repositories, expected {}",
            repositories.len(),
            expected.repositories
        ));
    }
    let tags: u64 = repositories
        .iter()
        .map(|r| r.tags.as_ref().map_or(0, |t| t.len() as u64))
        .sum();
    if depth != TagDepth::None && tags != expected.tags {
        return Err(format!(
            "{what}: listed {tags} tags, expected {}",
            expected.tags
        ));
    }
    if let Some(repo) = repositories
        .iter()
        .find(|r| r.tags.is_none() && depth != TagDepth::None)
    {
        return Err(format!("{what}: {} has no tag list", repo.full_name));
    }
    if depth == TagDepth::Full {
        let bare = repositories
            .iter()
            .flat_map(|r| r.tags.iter().flatten())
            .filter(|t| t.digest.is_none())
            .count();
        if bare > 0 {
            return Err(format!("{what}: {bare} tags have no digest at depth full"));
        }
    }
    Ok(())
}

pub fn check_report(
    what: &str,
    report: &InventoryReport,
    expected: &Expected,
    depth: TagDepth,
) -> Result<u64, String> {
    if !report.complete || !report.errors.is_empty() {
        let first = report.errors.first().map_or_else(String::new, |f| {
            format!(": {} {:?} {}", f.operation, f.target, f.message)
        });
        return Err(format!(
            "{what}: the inventory is not complete ({} errors){first}",
            report.errors.len()
        ));
    }
    verify(what, &report.repositories, expected, depth)?;
    let summary = report
        .sources
        .first()
        .ok_or_else(|| format!("{what}: the report has no source summary"))?;
    Ok(summary.requests)
}

/// Runs the inventory rows (and their SDK row) of `vendor` at `depth`.
pub fn inventory_rows(
    settings: &Settings,
    host: &EmulatorHost,
    fixture: &Fixture,
    vendor: Vendor,
    depth: TagDepth,
) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    let scenario = format!(
        "{} {depth}, {} repos × {} tags",
        vendor.label(),
        thousands(settings.repositories as u64),
        settings.tags
    );
    for &concurrency in &settings.concurrency {
        let id = format!("{}-{depth}-c{concurrency}", vendor.id());
        if !settings.wants(&id) {
            continue;
        }
        eprintln!("[bench] {id}: Inventory::collect at concurrency {concurrency} …");
        let options = InventoryOptions::default()
            .with_depth(depth)
            .with_concurrency(concurrency)
            .with_per_source_concurrency(concurrency);
        let (inventory, page_size) =
            configured_inventory(host, vendor, options).map_err(|e| format!("{id}: {e}"))?;
        let expected = Expected::of(fixture, vendor, depth, page_size);
        let Measured {
            output: report,
            wall,
            client_cpu,
            emulator_cpu,
            stats,
        } = host.collect(&id, inventory)?;
        let reported = check_report(&id, &report, &expected, depth)?;
        if reported != stats.requests {
            return Err(format!(
                "{id}: the report counts {reported} requests but the emulator received {}",
                stats.requests
            ));
        }
        let mut row = Row::new(
            &id,
            RowKind::Inventory {
                vendor,
                depth,
                concurrency,
            },
            format!("{scenario}, pages of {page_size}"),
        );
        row.requests = Some(stats.requests);
        row.fewest_requests = Some(expected.requests);
        row.peak_in_flight = Some(stats.peak_in_flight);
        row.wall = Some(wall);
        row.latency = Some(settings.latency);
        row.client_cpu = Some(client_cpu);
        row.emulator_cpu = Some(emulator_cpu);
        row.chain = Some(expected.chain);
        row.bound = Some(expected.bound(settings.latency, concurrency));
        eprintln!(
            "[bench] {id}: {} requests in {:.3} s (bound {:.3} s)",
            stats.requests,
            wall.as_secs_f64(),
            row.bound.unwrap_or_default().as_secs_f64()
        );
        rows.push(row);
    }
    let id = format!("{}-{depth}-sdk", vendor.id());
    if settings.wants(&id) {
        rows.push(sdk_row(
            settings, host, fixture, vendor, depth, &id, &scenario,
        )?);
    }
    let sdk_wall = rows.iter().find(|r| r.id == id).and_then(|r| r.wall);
    let fast = format!("{}-{depth}-c{}", vendor.id(), settings.speedup_concurrency);
    if let (Some(sdk), Some(row)) = (sdk_wall, rows.iter_mut().find(|r| r.id == fast)) {
        row.speedup = row
            .wall
            .filter(|w| !w.is_zero())
            .map(|w| sdk.as_secs_f64() / w.as_secs_f64());
    }
    Ok(rows)
}

/// The SDK-style row: the backend's page methods called one at a time, page after page,
/// repository after repository, with the vendor SDK's default page size.
fn sdk_row(
    settings: &Settings,
    host: &EmulatorHost,
    fixture: &Fixture,
    vendor: Vendor,
    depth: TagDepth,
    id: &str,
    scenario: &str,
) -> Result<Row, String> {
    let size = match vendor {
        Vendor::Ncr => settings.sdk_page_size_ncr,
        Vendor::Swr => settings.sdk_page_size_swr,
    };
    eprintln!("[bench] {id}: one request at a time, pages of {size} …");
    let provider = provider_with_pages(vendor, host, size)?;
    let page_size = provider.page_size().unwrap_or(size);
    let expected = Expected::of(fixture, vendor, depth, page_size);
    let runtime = super::host::client_runtime()?;
    let Measured {
        output,
        wall,
        client_cpu,
        emulator_cpu,
        stats,
    } = host.measure(id, &runtime, sdk_inventory(provider, vendor, depth))?;
    drop(runtime);
    let repositories = output.map_err(|e| format!("{id}: {e}"))?;
    verify(id, &repositories, &expected, depth)?;
    let mut row = Row::new(
        id,
        RowKind::Sdk {
            vendor,
            depth,
            page_size,
        },
        format!("{scenario}, pages of {page_size}, one request at a time"),
    );
    row.requests = Some(stats.requests);
    row.fewest_requests = Some(expected.requests);
    row.peak_in_flight = Some(stats.peak_in_flight);
    row.wall = Some(wall);
    row.latency = Some(settings.latency);
    row.client_cpu = Some(client_cpu);
    row.emulator_cpu = Some(emulator_cpu);
    row.chain = Some(expected.chain);
    row.bound = Some(expected.bound(settings.latency, 1));
    eprintln!(
        "[bench] {id}: {} requests in {:.3} s",
        stats.requests,
        wall.as_secs_f64()
    );
    Ok(row)
}

/// Every page of a listing, one request after another, following `next`.
async fn all_pages<T, F, Fut>(mut fetch: F) -> Result<Vec<T>, Error>
where
    F: FnMut(Option<Cursor>) -> Fut,
    Fut: Future<Output = Result<Page<T>, Error>>,
{
    const MAX_PAGES: usize = 1_000_000;
    let mut items = Vec::new();
    let mut cursor = None;
    for _ in 0..MAX_PAGES {
        let page = fetch(cursor).await?;
        let empty = page.items.is_empty();
        items.extend(page.items);
        match page.next {
            Some(next) if !empty => cursor = Some(next),
            _ => return Ok(items),
        }
    }
    Err(Error::protocol("the listing did not end"))
}

/// The inventory as a user of the vendor SDK writes it: nested loops, one request at a time.
async fn sdk_inventory(
    provider: Arc<dyn RegistryProvider>,
    vendor: Vendor,
    depth: TagDepth,
) -> Result<Vec<Repository>, Error> {
    let p = provider.as_ref();
    let mut repositories = Vec::new();
    match vendor {
        Vendor::Ncr => {
            let registries = all_pages(|c| p.registries_page(c)).await?;
            for registry in registries {
                let query = RepositoryQuery::in_registry(registry.name.clone());
                repositories.extend(all_pages(|c| p.repositories_page(&query, c)).await?);
            }
        }
        Vendor::Swr => {
            let query = RepositoryQuery::all();
            repositories = all_pages(|c| p.repositories_page(&query, c)).await?;
        }
    }
    for repo in &mut repositories {
        let listed = vendor == Vendor::Swr && repo.tags.is_some();
        match depth {
            TagDepth::None => repo.tags = None,
            TagDepth::Names if listed => {}
            TagDepth::Names | TagDepth::Full => {
                let target = RepositoryRef::from(&*repo);
                repo.tags = Some(all_pages(|c| p.tags_page(&target, c)).await?);
            }
        }
    }
    Ok(repositories)
}

/// The round-trip row: `count` NCR registry-page requests one after another through the
/// provider, against the same emulator and latency as the inventory rows. Its wall time per
/// request is what one link of a request chain really costs here (the added latency as the
/// emulator's timer delivers it, plus both sides' processing).
pub fn round_trip_row(settings: &Settings, host: &EmulatorHost, count: u32) -> Result<Row, String> {
    let id = "round-trip";
    eprintln!("[bench] {id}: {count} single requests one after another …");
    let provider = ncr_provider(host, None)?;
    let runtime = super::host::client_runtime()?;
    // One request first, so the connection is open.
    runtime
        .block_on(provider.registries_page(None))
        .map_err(|e| format!("{id}: {e}"))?;
    let provider = Arc::new(provider);
    let Measured {
        output,
        wall,
        client_cpu,
        emulator_cpu,
        stats,
    } = host.measure(id, &runtime, async move {
        for _ in 0..count {
            provider.registries_page(None).await?;
        }
        Ok::<(), Error>(())
    })?;
    drop(runtime);
    output.map_err(|e| format!("{id}: {e}"))?;
    let mut row = Row::new(
        id,
        RowKind::RoundTrip,
        format!(
            "NCR registries page, one request at a time, {} ms added latency",
            settings.latency.as_millis()
        ),
    );
    row.requests = Some(stats.requests);
    row.fewest_requests = Some(u64::from(count));
    row.peak_in_flight = Some(stats.peak_in_flight);
    row.wall = Some(wall);
    row.latency = Some(settings.latency);
    row.client_cpu = Some(client_cpu);
    row.emulator_cpu = Some(emulator_cpu);
    row.chain = Some(u64::from(count));
    row.bound = Some(settings.latency * count);
    eprintln!(
        "[bench] {id}: {:.2} ms per request",
        wall.as_secs_f64() * 1e3 / f64::from(count.max(1))
    );
    Ok(row)
}

/// `report` without what differs between two complete runs over the same data: the clock, the
/// request counts and where the adaptive limit and pace ended (they depend on how requests
/// interleaved).
pub fn comparable(mut report: InventoryReport) -> InventoryReport {
    report.generated_at = chrono::DateTime::UNIX_EPOCH;
    for source in &mut report.sources {
        source.elapsed_ms = 0;
        source.requests = 0;
        source.retries = 0;
        source.throttled = 0;
        source.concurrency_limit = None;
        source.paced_rps = None;
    }
    report
}
