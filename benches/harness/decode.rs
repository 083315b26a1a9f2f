//! The decoding micro-benchmark: one page of `decode_items` items of each vendor, as the
//! emulator renders it, decoded and normalized by the backends' own page decoders
//! (`reginv_ncp::decode_tags_page`, `reginv_huawei::decode_repositories_page`,
//! `reginv_huawei::decode_tags_page`, the code their providers run on every page) on one
//! thread, repeatedly, for at least `decode_min_time` split into batches; the figure is the
//! median batch's items per second.

use std::sync::Arc;
use std::time::Instant;

use reginv::core::http::Url;
use reginv::{
    HttpClient, HttpClientConfig, HttpRequest, ProviderKind, Result as CoreResult, Source,
};
use reginv_emulator::Faults;
use reginv_huawei::{HuaweiCredentials, SwrErrorDecoder};
use reginv_ncp::paths::ApiBase;
use reginv_ncp::signing::NcpSigner;
use reginv_ncp::{NcpErrorDecoder, NcpRegion};

use super::host::{client_runtime, EmulatorHost};
use super::report::{thousands, Row, RowKind};
use super::scenario::{self, SWR_REGION};
use super::settings::Settings;

/// The raw bodies of the three pages.
struct Bodies {
    ncr_tags: Vec<u8>,
    swr_repositories: Vec<u8>,
    swr_tags: Vec<u8>,
}

/// Fetches the bodies from an emulator of a fixture with one repository of `n` tags per
/// vendor, and one of `n` SWR repositories of `tags` tags each.
fn bodies(settings: &Settings) -> Result<Bodies, String> {
    let n = settings.decode_items;
    let runtime = client_runtime()?;
    let err = |what: &str, e: reginv::Error| format!("cannot fetch the {what} page: {e}");

    // One repository of n tags, per vendor.
    let host = EmulatorHost::start(scenario::fixture(5, 1, 1, n), Faults::none(), n as u32)?;
    let fixture = host.emulator().fixture();
    let emulator = host.emulator();
    let ncr_source = Source::new(
        "decode-ncr",
        ProviderKind::NCP,
        "kr",
        emulator.ncp_endpoint(),
    );
    let ncr_client = HttpClient::new(
        &ncr_source,
        HttpClientConfig::default(),
        Arc::new(NcpSigner::new(emulator.ncp_credentials())),
        Arc::new(NcpErrorDecoder),
    )
    .map_err(|e| err("NCR tags", e))?;
    let registry = fixture
        .ncp
        .get(scenario::NCR_REGION)
        .and_then(|r| r.first())
        .ok_or("the decode fixture has no NCR registry")?;
    let image = registry
        .images
        .first()
        .ok_or("the decode fixture has no NCR image")?;
    let url = ApiBase::new(NcpRegion::Kr, Some(&emulator.ncp_endpoint()))
        .and_then(|api| api.tags(&registry.name, &image.name, 1, n as u32))
        .map_err(|e| err("NCR tags", e))?;
    let ncr_tags = runtime
        .block_on(ncr_client.send(HttpRequest::get(url, "decode_bench")))
        .map_err(|e| err("NCR tags", e))?
        .body;

    let client = swr_client(&host)?;
    let namespace = fixture
        .swr
        .namespaces
        .first()
        .ok_or("the decode fixture has no SWR namespace")?;
    let repo = namespace
        .repos
        .first()
        .ok_or("the decode fixture has no SWR repository")?;
    let wire_name = repo.name.replace('/', "$");
    let url = swr_url(
        &host,
        &[
            "v2",
            "manage",
            "namespaces",
            &namespace.name,
            "repos",
            &wire_name,
            "tags",
        ],
        n,
    )?;
    let swr_tags = runtime
        .block_on(client.send(HttpRequest::get(url, "decode_bench")))
        .map_err(|e| err("SWR tags", e))?
        .body;
    host.stop();

    // n SWR repositories.
    let host = EmulatorHost::start(
        scenario::fixture(6, n, 1, settings.tags),
        Faults::none(),
        100,
    )?;
    let client = swr_client(&host)?;
    let url = swr_url(&host, &["v2", "manage", "repos"], n)?;
    let swr_repositories = runtime
        .block_on(client.send(HttpRequest::get(url, "decode_bench")))
        .map_err(|e| err("SWR repositories", e))?
        .body;
    host.stop();
    Ok(Bodies {
        ncr_tags,
        swr_repositories,
        swr_tags,
    })
}

fn swr_client(host: &EmulatorHost) -> Result<HttpClient, String> {
    let emulator = host.emulator();
    let keys = emulator.swr_credentials();
    let credentials = HuaweiCredentials::aksk(keys.access_key.clone(), keys.secret_key.clone());
    let source = Source::new(
        "decode-swr",
        ProviderKind::HUAWEI,
        SWR_REGION,
        emulator.swr_endpoint(),
    );
    HttpClient::new(
        &source,
        HttpClientConfig::default(),
        Arc::new(credentials.signer(None)),
        Arc::new(SwrErrorDecoder),
    )
    .map_err(|e| format!("cannot build the SWR client: {e}"))
}

fn swr_url(host: &EmulatorHost, segments: &[&str], limit: usize) -> Result<Url, String> {
    let mut url = Url::parse(&host.emulator().swr_endpoint()).map_err(|e| e.to_string())?;
    url.path_segments_mut()
        .map_err(|_| "the SWR endpoint cannot be a base".to_string())?
        .pop_if_empty()
        .extend(segments);
    url.query_pairs_mut()
        .append_pair("limit", &limit.to_string())
        .append_pair("offset", "0");
    Ok(url)
}

/// Decodes with `decode` for `decode_min_time`; the median batch's items per second on this
/// one thread.
fn measure<T>(
    settings: &Settings,
    what: &str,
    decode: impl Fn() -> CoreResult<Vec<T>>,
    check: impl Fn(&[T]) -> Result<(), String>,
) -> Result<f64, String> {
    let first = decode().map_err(|e| format!("{what}: the page does not decode: {e}"))?;
    if first.len() != settings.decode_items {
        return Err(format!(
            "{what}: decoded {} items, expected {}",
            first.len(),
            settings.decode_items
        ));
    }
    check(&first)?;
    drop(first);
    // Batches over the whole time, and their median rate: a burst of interference from the
    // rest of the machine moves one batch, not the figure.
    let batch_time = settings.decode_min_time / BATCHES;
    let mut rates = Vec::with_capacity(BATCHES as usize);
    for _ in 0..BATCHES {
        let started = Instant::now();
        let mut items = 0u64;
        while started.elapsed() < batch_time || items == 0 {
            let page = decode().map_err(|e| format!("{what}: {e}"))?;
            items += std::hint::black_box(page).len() as u64;
        }
        rates.push(items as f64 / started.elapsed().as_secs_f64());
    }
    rates.sort_by(f64::total_cmp);
    Ok(rates[rates.len() / 2])
}

/// How many batches the decoding time is split into (the figure is their median).
const BATCHES: u32 = 11;

/// The three decoding rows.
pub fn decode_rows(settings: &Settings) -> Result<Vec<Row>, String> {
    let wanted: Vec<&str> = ["decode-ncr-tags", "decode-swr-repos", "decode-swr-tags"]
        .into_iter()
        .filter(|id| settings.wants(id))
        .collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    eprintln!(
        "[bench] decode: fetching {}-item pages from the emulator …",
        settings.decode_items
    );
    let bodies = bodies(settings)?;
    let source = Source::new(
        "decode-swr",
        ProviderKind::HUAWEI,
        SWR_REGION,
        "http://127.0.0.1",
    );
    let n = thousands(settings.decode_items as u64);
    let mut rows = Vec::new();
    for id in wanted {
        eprintln!("[bench] {id} …");
        let (page, tags, bytes, rate) = match id {
            "decode-ncr-tags" => (
                "NCR tags page",
                true,
                bodies.ncr_tags.len(),
                measure(
                    settings,
                    id,
                    || reginv_ncp::decode_tags_page(&bodies.ncr_tags),
                    |tags| {
                        if tags.iter().any(|t| t.platforms.is_empty()) {
                            Err(format!("{id}: tags without platforms"))
                        } else {
                            Ok(())
                        }
                    },
                )?,
            ),
            "decode-swr-repos" => (
                "SWR repositories page",
                false,
                bodies.swr_repositories.len(),
                measure(
                    settings,
                    id,
                    || {
                        reginv_huawei::decode_repositories_page(
                            &source,
                            &bodies.swr_repositories,
                            None,
                        )
                    },
                    |repos| {
                        if repos
                            .iter()
                            .any(|r| r.tags.as_ref().is_none_or(|t| t.len() != settings.tags))
                        {
                            Err(format!(
                                "{id}: repositories without their {} tag names",
                                settings.tags
                            ))
                        } else {
                            Ok(())
                        }
                    },
                )?,
            ),
            _ => (
                "SWR tags page",
                true,
                bodies.swr_tags.len(),
                measure(
                    settings,
                    id,
                    || reginv_huawei::decode_tags_page(&bodies.swr_tags),
                    |tags| {
                        if tags.iter().any(|t| t.digest.is_none()) {
                            Err(format!("{id}: tags without digest"))
                        } else {
                            Ok(())
                        }
                    },
                )?,
            ),
        };
        let mut row = Row::new(
            id,
            RowKind::Decode { page, tags },
            format!(
                "decode + normalize one {n}-item {page} ({} KiB of JSON as the emulator renders it)",
                thousands((bytes / 1024) as u64)
            ),
        );
        row.items_per_second = Some(rate);
        eprintln!("[bench] {id}: {} items/s", thousands(rate.round() as u64));
        rows.push(row);
    }
    Ok(rows)
}
