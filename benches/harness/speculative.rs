//! Issue 13.3, the request chain: SWR's repository listing with and without its speculative
//! second page (`HuaweiConfig::speculative_paging`), in the same run, on the same emulator.
//!
//! SWR announces its total (`Content-Range`) only with the first page, so the pages after it
//! wait a round trip for it. With speculation on, the second page is asked for
//! together with the first (`HuaweiConfig::with_speculative_paging`). Rows `swr-spec-<repositories>-<off|on>`: `Inventory::collect` of
//! one SWR source at depth `names` (the listing alone: SWR's repositories carry their tag
//! names), pages of `page` (1,000 at the sizes), `--concurrency 32` only, for accounts
//! of half a page, one and a half pages, two pages (the total on a page boundary: one more
//! page must come back empty) and five pages. Each pair is run `REGINV_BENCH_SPEC_RUNS` times
//! (default 5), off and on alternating; the wall is the median, the spread is in the notes.
//!
//! Rows `swr-spec-warm-<repositories>-<off|on>` list the same accounts through the provider
//! alone once a first request proved the keys: until then the HTTP client sends one request at
//! a time (so that a wrong key costs one request), which holds the speculative request back
//! behind the first page of a fresh source.
//!
//! The chain and the fewest requests are computed from the account size and the page size,
//! not from what the code did: without speculation the chain is the first page, then the
//! rest at once (2 for more than one page), plus one when the total lands on a page boundary
//! and the last page is full (the empty page that proves the end); with it, the first two
//! pages are one link, so only an account of more than two pages still has a second link.

use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use reginv::{
    Inventory, InventoryOptions, PagingOptions, RegistryProvider, RegistryProviderExt, Repository,
    RepositoryQuery, TagDepth,
};
use reginv_emulator::Faults;
use reginv_huawei::{HuaweiConfig, HuaweiCredentials, HuaweiProvider};

use super::host::{EmulatorHost, Measured};
use super::report::{thousands, Row, RowKind, Vendor};
use super::scenario::{self, Expected};
use super::settings::Settings;

/// The global concurrency of the rows (the per-source limit is adaptive).
const CONCURRENCY: usize = 32;

/// The page size of the rows: 1,000 (SWR's largest) at the sizes, half the
/// repositories of the run at smaller ones, so that the same shapes are measured.
fn page_size(settings: &Settings) -> u32 {
    u32::try_from(settings.repositories / 2)
        .unwrap_or(u32::MAX)
        .clamp(1, 1000)
}

/// The account sizes: half a page, one and a half, two, five pages.
pub fn sizes(page: u32) -> Vec<usize> {
    let page = page as usize;
    vec![(page / 2).max(1), page + page / 2, 2 * page, 5 * page]
}

/// How many times each pair is run (`REGINV_BENCH_SPEC_RUNS`, default 5).
fn runs() -> Result<usize, String> {
    match std::env::var("REGINV_BENCH_SPEC_RUNS") {
        Ok(text) => text
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("REGINV_BENCH_SPEC_RUNS={text:?} is not a positive number")),
        Err(_) => Ok(5),
    }
}

/// The chain of the repository listing of `repositories` in pages of `page`.
pub fn chain(repositories: usize, page: u32, speculative: bool) -> u64 {
    let page = page.max(1) as usize;
    let pages = repositories.div_ceil(page).max(1) as u64;
    // A full last page that reaches the total is followed by one more, which must be empty.
    let boundary = u64::from(repositories > 0 && repositories % page == 0);
    match (speculative, pages) {
        // The one more page is the speculative page itself.
        (true, 1) => 1,
        (true, 2) => 1 + boundary,
        (true, _) => 2 + boundary,
        (false, 1) => 1 + boundary,
        (false, _) => 2 + boundary,
    }
}

/// The fewest requests (SWR at depth `names` sends nothing but the repository listing): every
/// page, the one more page after a full last page reaching the total, and with speculation on
/// an account of one short page, the speculative page it did not need.
pub fn fewest_requests(repositories: usize, page: u32, speculative: bool) -> u64 {
    let page = page.max(1) as usize;
    let pages = repositories.div_ceil(page).max(1) as u64;
    let boundary = u64::from(repositories > 0 && repositories % page == 0);
    let wasted = u64::from(speculative && pages == 1 && boundary == 0);
    pages + boundary + wasted
}

/// One measured inventory.
struct Run {
    wall: Duration,
    requests: u64,
    peak_in_flight: u64,
    client_cpu: Duration,
    emulator_cpu: Duration,
}

impl Run {
    /// What `measured` says of the run, whatever it returned.
    fn of<T>(measured: &Measured<T>) -> Run {
        Run {
            wall: measured.wall,
            requests: measured.stats.requests,
            peak_in_flight: measured.stats.peak_in_flight,
            client_cpu: measured.client_cpu,
            emulator_cpu: measured.emulator_cpu,
        }
    }
}

/// The SWR provider of the rows: pages of `page`, speculation `speculative`, up to
/// `concurrency` pages in flight once the total is known (the inventory raises it to its own
/// limit).
fn provider(
    host: &EmulatorHost,
    page: u32,
    speculative: bool,
    concurrency: usize,
) -> Result<HuaweiProvider, String> {
    let emulator = host.emulator();
    let keys = emulator.swr_credentials();
    let config = HuaweiConfig::new("swr-bench", scenario::SWR_REGION)
        .with_endpoint(emulator.swr_endpoint())
        .with_credentials(HuaweiCredentials::aksk(
            keys.access_key.clone(),
            keys.secret_key.clone(),
        ))
        .with_page_size(page)
        .with_paging(PagingOptions::default().with_concurrency(concurrency))
        .with_speculative_paging(speculative);
    HuaweiProvider::new(config).map_err(|e| format!("cannot build the SWR provider: {e}"))
}

/// `Inventory::collect` of a fresh SWR source (its repository listing is its first request).
fn measure_once(
    id: &str,
    host: &EmulatorHost,
    expected: &Expected,
    page: u32,
    speculative: bool,
) -> Result<Run, String> {
    let provider: Arc<dyn RegistryProvider> =
        Arc::new(provider(host, page, speculative, 1).map_err(|e| format!("{id}: {e}"))?);
    let options = InventoryOptions::default()
        .with_depth(TagDepth::Names)
        .with_concurrency(CONCURRENCY);
    let inventory = Inventory::new(vec![provider])
        .with_options(options)
        .map_err(|e| format!("{id}: cannot build the inventory: {e}"))?;
    let measured = host.collect(id, inventory)?;
    scenario::check_report(id, &measured.output, expected, TagDepth::Names)?;
    Ok(Run::of(&measured))
}

/// One listing of every repository through the provider alone (`list_repositories`, pages
/// up to [`CONCURRENCY`] at once), after one request that proved the credentials: the client
/// sends one request at a time until a request succeeded (a wrong key costs one request), so
/// only then can the speculative page go out with the first.
fn measure_warm(
    id: &str,
    host: &EmulatorHost,
    expected: &Expected,
    page: u32,
    speculative: bool,
) -> Result<Run, String> {
    let provider =
        Arc::new(provider(host, page, speculative, CONCURRENCY).map_err(|e| format!("{id}: {e}"))?);
    let runtime = super::host::client_runtime()?;
    let warm = provider.clone();
    runtime
        .block_on(runtime.spawn(async move { warm.registries_page(None).await }))
        .map_err(|e| format!("{id}: {e}"))?
        .map_err(|e| format!("{id}: the request proving the credentials: {e}"))?;
    let measured = host.measure(id, &runtime, async move {
        provider
            .list_repositories(RepositoryQuery::all())
            .try_collect::<Vec<Repository>>()
            .await
    })?;
    drop(runtime);
    let run = Run::of(&measured);
    let listed = measured
        .output
        .map_err(|e| format!("{id}: the listing failed: {e}"))?;
    scenario::verify(id, &listed, expected, TagDepth::Names)?;
    Ok(run)
}

fn milliseconds(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

/// The row of `runs` of one setting: the median wall, the spread and the request counts seen.
fn row_of(
    id: &str,
    what: &str,
    repositories: usize,
    page: u32,
    speculative: bool,
    latency: Duration,
    runs: &[Run],
) -> Row {
    let mut walls: Vec<Duration> = runs.iter().map(|r| r.wall).collect();
    walls.sort_unstable();
    let median = walls[walls.len() / 2];
    let mut requests: Vec<u64> = runs.iter().map(|r| r.requests).collect();
    requests.sort_unstable();
    requests.dedup();
    let middle = &runs[runs.len() / 2];
    let mut row = Row::new(
        id,
        RowKind::Adaptive {
            concurrency: CONCURRENCY,
        },
        format!(
            "SWR names, {what}, {} repos, pages of {page}, speculative second page {}",
            thousands(repositories as u64),
            if speculative { "on" } else { "off" }
        ),
    );
    row.requests = Some(*requests.last().unwrap_or(&0));
    row.fewest_requests = Some(fewest_requests(repositories, page, speculative));
    row.peak_in_flight = Some(runs.iter().map(|r| r.peak_in_flight).max().unwrap_or(0));
    row.wall = Some(median);
    row.latency = Some(latency);
    row.client_cpu = Some(middle.client_cpu);
    row.emulator_cpu = Some(middle.emulator_cpu);
    let chain = chain(repositories, page, speculative);
    row.chain = Some(chain);
    let slots = row
        .fewest_requests
        .unwrap_or(1)
        .div_ceil(CONCURRENCY as u64);
    row.bound = Some(latency * u32::try_from(chain.max(slots)).unwrap_or(u32::MAX));
    row.notes.push(format!(
        "wall median of {} runs {} ms (min {}, max {})",
        runs.len(),
        milliseconds(median),
        milliseconds(walls[0]),
        milliseconds(walls[walls.len() - 1])
    ));
    if requests.len() > 1 {
        row.notes.push(format!(
            "requests varied: {}",
            requests
                .iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    row
}

/// The two ways each account is listed: `Inventory::collect` from a configuration (a fresh
/// source), and the provider's own listing once its credentials are proven.
const MODES: [(&str, &str); 2] = [
    ("swr-spec", "Inventory::collect of a fresh source"),
    (
        "swr-spec-warm",
        "list_repositories after one request proved the keys",
    ),
];

fn row_id(prefix: &str, repositories: usize, speculative: bool) -> String {
    let state = if speculative { "on" } else { "off" };
    format!("{prefix}-{repositories}-{state}")
}

/// The `swr-spec-*` rows that `settings` selects, off and on for each account size, for a
/// fresh source (`swr-spec-<n>-<off|on>`) and a source whose keys are proven
/// (`swr-spec-warm-<n>-<off|on>`).
pub fn speculative_rows(settings: &Settings) -> Result<Vec<Row>, String> {
    let page = page_size(settings);
    let wanted = |prefix: &str, n: usize| {
        settings.wants(&row_id(prefix, n, false)) || settings.wants(&row_id(prefix, n, true))
    };
    let sizes: Vec<usize> = sizes(page)
        .into_iter()
        .filter(|&n| MODES.iter().any(|(prefix, _)| wanted(prefix, n)))
        .collect();
    if sizes.is_empty() {
        return Ok(Vec::new());
    }
    let runs = runs()?;
    let mut rows = Vec::new();
    for repositories in sizes {
        let fixture = scenario::fixture(13, repositories, settings.registries, settings.tags);
        let expected = Expected::of(&fixture, Vendor::Swr, TagDepth::Names, page);
        let faults = Faults {
            latency: settings.latency,
            ..Faults::none()
        };
        let host = EmulatorHost::start(fixture, faults, 100)?;
        for (prefix, what) in MODES {
            if !wanted(prefix, repositories) {
                continue;
            }
            let (mut off, mut on) = (Vec::new(), Vec::new());
            for run in 0..runs {
                for speculative in [false, true] {
                    let id = row_id(prefix, repositories, speculative);
                    let measured = if prefix == "swr-spec" {
                        measure_once(&id, &host, &expected, page, speculative)?
                    } else {
                        measure_warm(&id, &host, &expected, page, speculative)?
                    };
                    eprintln!(
                        "[bench] {id} run {}: {} requests in {} ms",
                        run + 1,
                        measured.requests,
                        milliseconds(measured.wall)
                    );
                    if speculative { &mut on } else { &mut off }.push(measured);
                }
            }
            for (speculative, measured) in [(false, &off), (true, &on)] {
                let id = row_id(prefix, repositories, speculative);
                if settings.wants(&id) {
                    rows.push(row_of(
                        &id,
                        what,
                        repositories,
                        page,
                        speculative,
                        settings.latency,
                        measured,
                    ));
                }
            }
        }
        host.stop();
    }
    Ok(rows)
}
