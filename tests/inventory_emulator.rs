//! The `reginv` facade against the emulator over real HTTP: two NCR sources (regions `kr` and
//! `sgn` of one emulator) and two SWR sources (two emulators with different data) merged in one
//! inventory, with real signing, paging, retries and injected faults.

#![cfg(all(feature = "ncp", feature = "huawei"))]

use std::sync::Arc;
use std::time::Duration;

use reginv::huawei::{HuaweiConfig, HuaweiCredentials, HuaweiProvider};
use reginv::ncp::{NcpConfig, NcpProvider, NcpRegion};
use reginv::{
    AccessKeyPair, Config, Environment, ErrorKind, Filter, HttpClientConfig, Inventory,
    InventoryOptions, InventoryReport, ProviderKind, RegistryProvider, RetryPolicy, SourceStatus,
    TagDepth,
};
use reginv_emulator::{Emulator, Faults, Fixture, FixtureSizes};

/// A safety net against hangs; never a timing assertion.
const SAFETY_NET: Duration = Duration::from_secs(120);

/// Small data: 2 registries x 3 repositories in each of `kr` and `sgn`, and 2 namespaces x 3
/// repositories for SWR; up to 5 tags each.
fn fixture(seed: u64) -> Fixture {
    Fixture::generate(
        seed,
        FixtureSizes {
            ncp_regions: vec!["kr".into(), "sgn".into()],
            registries: 2,
            repositories_per_registry: 3,
            total_repositories: None,
            min_tags: 0,
            max_tags: 5,
        },
    )
}

async fn start(seed: u64) -> Emulator {
    Emulator::builder()
        .fixture(fixture(seed))
        .start()
        .await
        .expect("the emulator starts")
}

/// Quick retries, enough attempts to outlast the emulator's cap on consecutive faults.
fn http(attempts: u32) -> HttpClientConfig {
    let mut http = HttpClientConfig::default();
    http.retry = RetryPolicy::new(
        attempts,
        Duration::from_millis(2),
        Duration::from_millis(20),
        Duration::from_secs(60),
    );
    http
}

fn ncp(
    emu: &Emulator,
    name: &str,
    region: NcpRegion,
    keys: AccessKeyPair,
    attempts: u32,
) -> Arc<dyn RegistryProvider> {
    let config = NcpConfig::new(name, region)
        .with_endpoint(emu.ncp_endpoint())
        .with_credentials(keys)
        .with_page_size(2)
        .with_http(http(attempts));
    Arc::new(NcpProvider::new(config).expect("NCP provider"))
}

fn swr(emu: &Emulator, name: &str, region: &str, attempts: u32) -> Arc<dyn RegistryProvider> {
    let config = HuaweiConfig::new(name, region)
        .with_endpoint(emu.swr_endpoint())
        .with_credentials(HuaweiCredentials::AkSk(emu.swr_credentials()))
        .with_page_size(2)
        .with_http(http(attempts));
    Arc::new(HuaweiProvider::new(config).expect("SWR provider"))
}

/// One expected repository: provenance, location and its tags as (name, digest), by name.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Row {
    source: String,
    provider: String,
    region: String,
    registry: String,
    name: String,
    tags: Vec<(String, Option<String>)>,
}

fn expected_ncp(fixture: &Fixture, region: &str, source: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    for registry in fixture.ncp.get(region).expect("region in fixture") {
        for image in &registry.images {
            let mut tags: Vec<(String, Option<String>)> = image
                .tags
                .iter()
                .map(|t| (t.name.clone(), Some(t.digest.clone())))
                .collect();
            tags.sort();
            rows.push(Row {
                source: source.into(),
                provider: "ncp".into(),
                region: region.into(),
                registry: registry.name.clone(),
                name: image.name.clone(),
                tags,
            });
        }
    }
    rows.sort();
    rows
}

fn expected_swr(fixture: &Fixture, region: &str, source: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    for namespace in &fixture.swr.namespaces {
        for repo in &namespace.repos {
            let mut tags: Vec<(String, Option<String>)> = repo
                .tags
                .iter()
                .map(|t| (t.name.clone(), Some(t.digest.clone())))
                .collect();
            tags.sort();
            rows.push(Row {
                source: source.into(),
                provider: "huawei".into(),
                region: region.into(),
                registry: namespace.name.clone(),
                name: repo.name.clone(),
                tags,
            });
        }
    }
    rows.sort();
    rows
}

fn rows(report: &InventoryReport) -> Vec<Row> {
    report
        .repositories
        .iter()
        .map(|r| Row {
            source: r.source.clone(),
            provider: r.provider.to_string(),
            region: r.region.clone(),
            registry: r.registry.clone(),
            name: r.name.clone(),
            tags: r
                .tags
                .as_ref()
                .expect("tags listed")
                .iter()
                .map(|t| (t.name.clone(), t.digest.clone()))
                .collect(),
        })
        .collect()
}

/// The parts of a report that differ between equal runs, set to fixed values.
fn without_clock(mut report: InventoryReport, keep_requests: bool) -> InventoryReport {
    report.generated_at = chrono::DateTime::UNIX_EPOCH;
    for source in &mut report.sources {
        source.elapsed_ms = 0;
        // Where the adaptive limit and pace stand depends on how the requests interleaved.
        source.concurrency_limit = None;
        source.paced_rps = None;
        if !keep_requests {
            source.requests = 0;
            source.retries = 0;
            source.throttled = 0;
        }
    }
    report
}

/// Two NCR sources (kr, sgn) of one emulator and two SWR sources of two emulators.
struct World {
    ncr: Emulator,
    swr_a: Emulator,
    swr_b: Emulator,
}

impl World {
    async fn start() -> World {
        World {
            ncr: start(11).await,
            swr_a: start(22).await,
            swr_b: start(33).await,
        }
    }

    fn providers(&self, attempts: u32) -> Vec<Arc<dyn RegistryProvider>> {
        vec![
            ncp(
                &self.ncr,
                "ncp-kr",
                NcpRegion::Kr,
                self.ncr.ncp_credentials(),
                attempts,
            ),
            ncp(
                &self.ncr,
                "ncp-sgn",
                NcpRegion::Sgn,
                self.ncr.ncp_credentials(),
                attempts,
            ),
            swr(&self.swr_a, "swr-ap", "ap-southeast-1", attempts),
            swr(&self.swr_b, "swr-cn", "cn-north-4", attempts),
        ]
    }

    fn expected(&self) -> Vec<Row> {
        let ncr = self.ncr.fixture();
        let mut all = expected_ncp(&ncr, "kr", "ncp-kr");
        all.extend(expected_ncp(&ncr, "sgn", "ncp-sgn"));
        all.extend(expected_swr(
            &self.swr_a.fixture(),
            "ap-southeast-1",
            "swr-ap",
        ));
        all.extend(expected_swr(&self.swr_b.fixture(), "cn-north-4", "swr-cn"));
        all
    }
}

async fn collect(inventory: &Inventory) -> InventoryReport {
    tokio::time::timeout(SAFETY_NET, inventory.collect())
        .await
        .expect("the inventory finishes")
}

fn full() -> InventoryOptions {
    InventoryOptions::new().with_depth(TagDepth::Full)
}

#[tokio::test]
async fn four_sources_merge_into_one_complete_report_in_deterministic_order() {
    let world = World::start().await;
    let inventory = Inventory::new(world.providers(3))
        .with_options(full())
        .unwrap();
    let report = collect(&inventory).await;
    assert!(report.complete, "{:#?}", report.errors);
    assert_eq!(report.exit_code(), 0);

    // Every repository and tag of the fixtures, exactly once, with its provenance, in order:
    // source (config order), registry, repository; tags by name.
    let expected = world.expected();
    assert!(expected.len() >= 20, "the fixtures are not empty");
    assert!(
        expected.iter().any(|r| r.name.contains('/')),
        "names with / are covered"
    );
    assert_eq!(rows(&report), expected);

    let names: Vec<&str> = report.sources.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["ncp-kr", "ncp-sgn", "swr-ap", "swr-cn"]);
    for summary in &report.sources {
        assert_eq!(summary.status, SourceStatus::Ok);
        let mine: Vec<&Row> = expected
            .iter()
            .filter(|r| r.source == summary.name)
            .collect();
        assert_eq!(summary.repositories, mine.len() as u64, "{}", summary.name);
        let tags: usize = mine.iter().map(|r| r.tags.len()).sum();
        assert_eq!(summary.tags, tags as u64, "{}", summary.name);
        assert!(summary.requests > 0);
        assert_eq!(summary.retries, 0);
        assert_eq!(summary.errors, 0);
    }
    assert_eq!(report.sources[0].provider, ProviderKind::NCP);
    assert_eq!(report.sources[3].provider, ProviderKind::HUAWEI);
    assert_eq!(report.sources[3].region, "cn-north-4");
    assert_eq!(report.sources[3].endpoint, world.swr_b.swr_endpoint());
    // Full depth carries tag details.
    let tagged = report
        .repositories
        .iter()
        .flat_map(|r| r.tags.iter().flatten())
        .collect::<Vec<_>>();
    assert!(!tagged.is_empty());
    assert!(tagged
        .iter()
        .all(|t| t.digest.is_some() && t.size_bytes.is_some()));

    // A second run is the same report, but for the clock.
    let again = collect(&inventory).await;
    assert_eq!(without_clock(again, true), without_clock(report, true));
}

#[tokio::test]
async fn the_progress_counters_end_at_the_reports_totals() {
    let world = World::start().await;
    let inventory = Inventory::new(world.providers(3))
        .with_options(full())
        .unwrap();
    let progress = inventory.progress();
    let report = collect(&inventory).await;
    assert!(report.complete, "{:#?}", report.errors);
    let counted = progress.sources();
    assert_eq!(counted.len(), report.sources.len());
    for (now, summary) in counted.iter().zip(&report.sources) {
        assert_eq!(now.name, summary.name);
        assert!(summary.repositories > 0, "{}", summary.name);
        // Both vendors announce their totals on the first page (per registry for NCR).
        assert_eq!(
            now.repositories_announced,
            Some(summary.repositories),
            "{now:?}"
        );
        assert_eq!(now.repositories_listed, summary.repositories, "{now:?}");
        assert_eq!(now.repositories_done, summary.repositories, "{now:?}");
        assert_eq!(now.repositories, summary.repositories, "{now:?}");
        assert_eq!(now.tags, summary.tags, "{now:?}");
        assert_eq!(now.errors, 0, "{now:?}");
        assert!(now.finished, "{now:?}");
    }

    // A run that selects one source and drops repositories by a glob: the dropped ones are
    // done too, so `done` still reaches what was listed; the unselected sources start afresh
    // only when a run selects them.
    let keep = report
        .repositories
        .iter()
        .find(|r| r.source == "ncp-kr")
        .unwrap()
        .name
        .clone();
    let options = InventoryOptions::new().with_filter(
        Filter::all()
            .with_source("ncp-kr")
            .with_repository_glob(glob::Pattern::escape(&keep)),
    );
    let narrowed = inventory.with_options(options).unwrap();
    let report = collect(&narrowed).await;
    let now = narrowed.progress().source("ncp-kr").unwrap();
    assert_eq!(report.sources.len(), 1);
    assert_eq!(now.repositories, report.sources[0].repositories);
    assert_eq!(now.tags, report.sources[0].tags);
    assert!(now.repositories < now.repositories_listed, "{now:?}");
    assert_eq!(now.repositories_done, now.repositories_listed);
    assert_eq!(now.repositories_announced, Some(now.repositories_listed));
    assert!(now.finished);
    // The earlier run's counters of a source this run did not select stay as they were.
    assert_eq!(progress.source("swr-cn").unwrap(), counted[3]);
}

#[tokio::test]
async fn names_cost_no_tag_requests_on_swr() {
    let world = World::start().await;
    let inventory = Inventory::new(world.providers(3))
        .with_options(InventoryOptions::new().with_depth(TagDepth::Names))
        .unwrap();
    let report = collect(&inventory).await;
    assert!(report.complete, "{:#?}", report.errors);
    let expected: Vec<Row> = world
        .expected()
        .into_iter()
        .map(|mut r| {
            r.tags = r.tags.into_iter().map(|(name, _)| (name, None)).collect();
            r
        })
        .collect();
    assert_eq!(rows(&report), expected);
    for emu in [&world.swr_a, &world.swr_b] {
        let stats = emu.stats();
        let tag_requests: u64 = stats
            .by_route
            .iter()
            .filter(|(route, _)| route.ends_with("/tags"))
            .map(|(_, by_status)| by_status.values().sum::<u64>())
            .sum();
        assert_eq!(tag_requests, 0, "{:?}", stats.by_route);
    }
    // NCR's listing carries no tag names: its tags were listed.
    let ncr_tags: u64 = world
        .ncr
        .stats()
        .by_route
        .iter()
        .filter(|(route, _)| route.ends_with("/tags"))
        .map(|(_, by_status)| by_status.values().sum::<u64>())
        .sum();
    assert!(ncr_tags > 0);
}

#[tokio::test]
async fn failing_sources_are_data_and_the_others_complete() {
    let world = World::start().await;
    // swr-cn's emulator drops every connection, for longer than any retry policy persists.
    world.swr_b.set_faults(Faults {
        drop_rate: 1.0,
        max_consecutive_faults: 1_000_000,
        ..Faults::none()
    });
    let wrong = AccessKeyPair::new(world.ncr.ncp_credentials().access_key, "not-the-secret");
    let providers = vec![
        ncp(
            &world.ncr,
            "ncp-kr",
            NcpRegion::Kr,
            world.ncr.ncp_credentials(),
            3,
        ),
        ncp(&world.ncr, "ncp-sgn", NcpRegion::Sgn, wrong, 3),
        swr(&world.swr_a, "swr-ap", "ap-southeast-1", 3),
        swr(&world.swr_b, "swr-cn", "cn-north-4", 3),
    ];
    let report = collect(&Inventory::new(providers).with_options(full()).unwrap()).await;
    assert!(!report.complete);
    assert_eq!(report.exit_code(), 2);

    let status: Vec<(&str, SourceStatus)> = report
        .sources
        .iter()
        .map(|s| (s.name.as_str(), s.status))
        .collect();
    assert_eq!(
        status,
        [
            ("ncp-kr", SourceStatus::Ok),
            ("ncp-sgn", SourceStatus::Failed),
            ("swr-ap", SourceStatus::Ok),
            ("swr-cn", SourceStatus::Failed),
        ]
    );
    // The healthy sources lost nothing.
    let expected: Vec<Row> = world
        .expected()
        .into_iter()
        .filter(|r| r.source == "ncp-kr" || r.source == "swr-ap")
        .collect();
    assert_eq!(rows(&report), expected);
    // The errors name the failing sources, and only them.
    assert!(report
        .errors
        .iter()
        .all(|f| f.source == "ncp-sgn" || f.source == "swr-cn"));
    let auth = report
        .errors
        .iter()
        .find(|f| f.source == "ncp-sgn")
        .expect("ncp-sgn's error");
    assert_eq!(auth.kind, ErrorKind::Authentication);
    assert_eq!(auth.status, Some(401));
    assert_eq!(auth.provider, ProviderKind::NCP);
    assert_eq!(auth.operation, "list_registries");
    let dropped = report
        .errors
        .iter()
        .find(|f| f.source == "swr-cn")
        .expect("swr-cn's error");
    assert_eq!(dropped.kind, ErrorKind::Network);
    assert_eq!(dropped.provider, ProviderKind::HUAWEI);
    assert_eq!(dropped.status, None);
    let swr_cn = &report.sources[3];
    assert_eq!(swr_cn.retries, 2, "three attempts, then the error is data");
    assert!(world.swr_b.stats().dropped >= 3);
}

#[tokio::test]
async fn ten_percent_injected_faults_are_retried_to_the_same_inventory() {
    let world = World::start().await;
    let clean = collect(
        &Inventory::new(world.providers(6))
            .with_options(full())
            .unwrap(),
    )
    .await;
    assert!(clean.complete, "{:#?}", clean.errors);

    // 429s, 5xx and dropped connections on one request in ten, never more than two in a row
    // for one request, so five retries always get through.
    for (seed, emu) in [(101, &world.ncr), (202, &world.swr_a), (303, &world.swr_b)] {
        emu.set_faults(Faults {
            seed,
            throttle_rate: 0.034,
            server_error_rate: 0.033,
            drop_rate: 0.033,
            retry_after_secs: 0,
            max_consecutive_faults: 2,
            ..Faults::none()
        });
    }
    let faulty = collect(
        &Inventory::new(world.providers(6))
            .with_options(full())
            .unwrap(),
    )
    .await;
    assert!(faulty.complete, "{:#?}", faulty.errors);
    assert_eq!(faulty.exit_code(), 0);
    let retries: u64 = faulty.sources.iter().map(|s| s.retries).sum();
    let injected: u64 = [&world.ncr, &world.swr_a, &world.swr_b]
        .iter()
        .map(|e| e.stats().faults_injected)
        .sum();
    assert!(injected > 0, "faults were injected");
    assert!(retries > 0, "and retried");
    assert_eq!(without_clock(faulty, false), without_clock(clean, false));
}

#[tokio::test]
async fn filters_narrow_every_source() {
    let world = World::start().await;
    let expected = world.expected();
    // The first SWR namespace and the first kr registry, and repositories whose name has a `/`.
    let namespace = world.swr_a.fixture().swr.namespaces[0].name.clone();
    let registry = world.ncr.fixture().ncp["kr"][0].name.clone();
    let options = InventoryOptions::new()
        .with_depth(TagDepth::None)
        .with_filter(
            Filter::all()
                .with_source("ncp-kr")
                .with_source("swr-ap")
                .with_registry(&registry)
                .with_registry(&namespace),
        );
    let report = collect(
        &Inventory::new(world.providers(3))
            .with_options(options)
            .unwrap(),
    )
    .await;
    assert!(report.complete, "{:#?}", report.errors);
    assert_eq!(report.sources.len(), 2);
    let got: Vec<(String, String, String)> = report
        .repositories
        .iter()
        .map(|r| (r.source.clone(), r.registry.clone(), r.name.clone()))
        .collect();
    let want: Vec<(String, String, String)> = expected
        .iter()
        .filter(|r| {
            (r.source == "ncp-kr" && r.registry == registry)
                || (r.source == "swr-ap" && r.registry == namespace)
        })
        .map(|r| (r.source.clone(), r.registry.clone(), r.name.clone()))
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, want);
    assert!(report.repositories.iter().all(|r| r.tags.is_none()));

    // A glob: the last name of swr-ap, matched exactly (sent to SWR as a substring).
    let target = expected
        .iter()
        .rev()
        .find(|r| r.source == "swr-ap")
        .unwrap()
        .name
        .clone();
    let options = InventoryOptions::new()
        .with_filter(Filter::all().with_repository_glob(glob::Pattern::escape(&target)));
    let report = collect(
        &Inventory::new(world.providers(3))
            .with_options(options)
            .unwrap(),
    )
    .await;
    assert!(report.complete, "{:#?}", report.errors);
    let want: Vec<(String, String)> = expected
        .iter()
        .filter(|r| r.name == target)
        .map(|r| (r.source.clone(), r.name.clone()))
        .collect();
    let got: Vec<(String, String)> = report
        .repositories
        .iter()
        .map(|r| (r.source.clone(), r.name.clone()))
        .collect();
    assert_eq!(got, want);
}

#[tokio::test]
async fn an_inventory_from_a_toml_config() {
    let world = World::start().await;
    let ncr_keys = world.ncr.ncp_credentials();
    let swr_keys = world.swr_a.swr_credentials();
    let text = format!(
        r#"
[[providers]]
name = "ncp-kr"
kind = "ncp"
region = "kr"
endpoint = "{ncp}"
access_key = "{ncp_ak}"
secret_key = "{ncp_sk}"

[[providers]]
name = "swr-ap"
kind = "huawei"
region = "ap-southeast-1"
endpoint = "{swr}"
access_key_env = "TEST_SWR_AK"
secret_key_env = "TEST_SWR_SK"
"#,
        ncp = world.ncr.ncp_endpoint(),
        ncp_ak = ncr_keys.access_key,
        ncp_sk = ncr_keys.secret_key.expose(),
        swr = world.swr_a.swr_endpoint(),
    );
    let config = Config::from_toml_str(&text, "test.toml").unwrap();
    let env = Environment::from_vars([
        ("TEST_SWR_AK", swr_keys.access_key.clone()),
        ("TEST_SWR_SK", swr_keys.secret_key.expose().to_string()),
    ]);
    let inventory = Inventory::from_config_in(&config, &env)
        .unwrap()
        .with_options(full())
        .unwrap();
    let report = collect(&inventory).await;
    assert!(report.complete, "{:#?}", report.errors);
    let expected: Vec<Row> = world
        .expected()
        .into_iter()
        .filter(|r| r.source == "ncp-kr" || r.source == "swr-ap")
        .collect();
    assert_eq!(rows(&report), expected);

    // A variable the config names but the environment lacks is a config error naming both.
    let err = Inventory::from_config_in(&config, &Environment::from_vars([("TEST_SWR_AK", "x")]))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    let msg = err.to_string();
    assert!(
        msg.contains("test.toml: providers[1] (\"swr-ap\"): key `secret_key_env`"),
        "{msg}"
    );
    assert!(msg.contains("TEST_SWR_SK"), "{msg}");
}
