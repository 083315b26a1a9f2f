//! The NAVER Cloud NCR backend against the emulator over real HTTP: signature v2, page/pagesize
//! paging in every region, `%2F` paths, the registry metadata cache, create-registry, errors,
//! retries of throttling, server errors and truncated bodies.

#![cfg(feature = "ncp")]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use reginv_core::{
    AccessKeyPair, Cursor, Error, ErrorKind, HttpClientConfig, PagingOptions, Registry,
    RegistryProvider, RegistryProviderExt, Repository, RepositoryQuery, RepositoryRef, RetryPolicy,
    Tag,
};
use reginv_emulator::{Emulator, Faults, Fixture, FixtureSizes, NcpImage, NcpRegistry};
use reginv_ncp::{NcpConfig, NcpProvider, NcpRegion};

/// A safety net against hangs; never a timing assertion.
const SAFETY_NET: Duration = Duration::from_secs(120);

const REGIONS: [(NcpRegion, &str); 3] = [
    (NcpRegion::Kr, "/ncr/api/v2"),
    (NcpRegion::Sgn, "/ncr/sgn-api/v2"),
    (NcpRegion::Jpn, "/ncr/jpn-api/v2"),
];

fn sizes() -> FixtureSizes {
    FixtureSizes {
        ncp_regions: vec!["kr".into(), "sgn".into(), "jpn".into()],
        registries: 3,
        repositories_per_registry: 9,
        min_tags: 0,
        max_tags: 7,
        ..FixtureSizes::default()
    }
}

async fn start(fixture: Fixture, faults: Faults, max_page_size: u32) -> Emulator {
    Emulator::builder()
        .fixture(fixture)
        .faults(faults)
        .ncp_max_page_size(max_page_size)
        .start()
        .await
        .expect("the emulator starts")
}

/// Quick retries, enough attempts to outlast the emulator's cap of consecutive faults.
fn fast_http(attempts: u32) -> HttpClientConfig {
    let mut http = HttpClientConfig::default();
    http.retry = RetryPolicy::new(
        attempts,
        Duration::from_millis(2),
        Duration::from_millis(50),
        Duration::from_secs(60),
    );
    http
}

fn config(emu: &Emulator, region: NcpRegion, page_size: u32) -> NcpConfig {
    NcpConfig::new(format!("ncp-{region}"), region)
        .with_endpoint(emu.ncp_endpoint())
        .with_credentials(emu.ncp_credentials())
        .with_page_size(page_size)
        .with_http(fast_http(6))
}

fn provider(emu: &Emulator, region: NcpRegion, page_size: u32) -> Arc<NcpProvider> {
    Arc::new(NcpProvider::new(config(emu, region, page_size)).expect("provider"))
}

async fn registries_of(p: &Arc<NcpProvider>) -> Result<Vec<Registry>, Error> {
    tokio::time::timeout(SAFETY_NET, p.list_registries().try_collect())
        .await
        .expect("the listing ended")
}

async fn repos_of(p: &Arc<NcpProvider>, query: RepositoryQuery) -> Result<Vec<Repository>, Error> {
    tokio::time::timeout(SAFETY_NET, p.list_repositories(query).try_collect())
        .await
        .expect("the listing ended")
}

async fn tags_of(p: &Arc<NcpProvider>, repo: RepositoryRef) -> Result<Vec<Tag>, Error> {
    tokio::time::timeout(SAFETY_NET, p.list_tags(repo).try_collect())
        .await
        .expect("the listing ended")
}

/// The pull endpoint the emulator announces for `reg` in `region`.
fn end_point(region: &str, reg: &NcpRegistry) -> String {
    if reg.end_point.is_empty() {
        format!("{}.{region}.ncr.ntruss.com", reg.name)
    } else {
        reg.end_point.clone()
    }
}

fn registries(fixture: &Fixture, region: &str) -> Vec<NcpRegistry> {
    fixture.ncp.get(region).cloned().unwrap_or_default()
}

/// An image whose name contains `/`, with at least one tag, and its registry.
fn slashed_image(fixture: &Fixture, region: &str) -> (NcpRegistry, NcpImage) {
    registries(fixture, region)
        .into_iter()
        .find_map(|reg| {
            let image = reg
                .images
                .iter()
                .find(|i| i.name.contains('/') && !i.tags.is_empty())?
                .clone();
            Some((reg, image))
        })
        .expect("the fixture has an image with '/' and tags")
}

fn assert_tag_matches(tag: &Tag, want: &reginv_emulator::NcpTag) {
    assert_eq!(tag.name, want.name);
    assert_eq!(
        tag.digest.as_deref(),
        Some(want.digest.as_str()),
        "{}",
        want.name
    );
    assert_eq!(tag.size_bytes, Some(want.full_size), "{}", want.name);
    assert_eq!(tag.platforms.len(), want.images.len(), "{}", want.name);
    for (got, p) in tag.platforms.iter().zip(&want.images) {
        assert_eq!(got.architecture.as_deref(), Some(p.architecture.as_str()));
        assert_eq!(got.os.as_deref(), Some(p.os.as_str()));
        assert_eq!(got.variant, p.variant);
        assert_eq!(got.digest.as_deref(), Some(p.digest.as_str()));
        assert_eq!(got.size_bytes, Some(p.size));
        assert_eq!(got.media_type.as_deref(), Some(p.media_type.as_str()));
    }
    let latest_pulled = want
        .images
        .iter()
        .map(|p| p.latest_pulled)
        .filter(|ms| *ms > 0)
        .max();
    assert_eq!(
        tag.last_pulled_at.map(|t| t.timestamp_millis()),
        latest_pulled,
        "{}",
        want.name
    );
    assert_eq!(
        tag.updated_at.map(|t| t.timestamp_millis()),
        Some(want.updated).filter(|ms| *ms > 0)
    );
}

#[tokio::test]
async fn full_listing_across_pages_in_every_region_matches_the_fixture() {
    let fixture = Fixture::generate(41, sizes());
    let emu = start(fixture.clone(), Faults::none(), 4).await;
    for (region, prefix) in REGIONS {
        let key = region.as_str();
        let want_regs = registries(&fixture, key);
        assert!(!want_regs.is_empty(), "fixture has {key} registries");
        let p = provider(&emu, region, 4);

        let regs = registries_of(&p).await.unwrap();
        assert_eq!(
            regs.iter().map(|r| r.name.clone()).collect::<BTreeSet<_>>(),
            want_regs
                .iter()
                .map(|r| r.name.clone())
                .collect::<BTreeSet<_>>()
        );
        for reg in &regs {
            let want = want_regs.iter().find(|w| w.name == reg.name).unwrap();
            assert_eq!(reg.public, Some(want.public));
            assert_eq!(reg.pull_endpoint, Some(end_point(key, want)));
            assert_eq!(reg.region, key);
            assert_eq!(reg.scan_on_push, Some(want.scan_on_push));
            assert_eq!(reg.status.as_deref(), Some("running"));
        }

        let repos = repos_of(&p, RepositoryQuery::all()).await.unwrap();
        let want_repos: BTreeMap<String, (&NcpRegistry, &NcpImage)> = want_regs
            .iter()
            .flat_map(|reg| {
                reg.images
                    .iter()
                    .map(move |img| (format!("{}/{}", reg.name, img.name), (reg, img)))
            })
            .collect();
        assert_eq!(
            repos
                .iter()
                .map(|r| r.full_name.clone())
                .collect::<BTreeSet<_>>(),
            want_repos.keys().cloned().collect::<BTreeSet<_>>(),
            "{key}"
        );
        assert_eq!(repos.len(), want_repos.len(), "no duplicates in {key}");
        for repo in &repos {
            let (reg, img) = want_repos[&repo.full_name];
            assert_eq!(
                repo.pull_uri.as_deref(),
                Some(format!("{}/{}", end_point(key, reg), img.name).as_str())
            );
            assert_eq!(repo.public, Some(reg.public));
            assert_eq!(repo.pull_count, Some(img.pull_count));
            assert_eq!(
                repo.updated_at.map(|t| t.timestamp_millis()),
                Some(img.last_updated).filter(|ms| *ms > 0)
            );
            let tags = tags_of(&p, repo.into()).await.unwrap();
            assert_eq!(tags.len(), img.tags.len(), "{}", repo.full_name);
            for (tag, want) in tags.iter().zip(&img.tags) {
                assert_tag_matches(tag, want);
            }
        }

        // Every request was signed right and asked for a page size the server takes. The
        // registry listing was fetched by `list_registries` and once more by
        // `list_repositories` (which lists registries first); repositories found their
        // registry's endpoint in the provider's cache, with no request per repository.
        let stats = emu.stats();
        assert_eq!(stats.auth_failures, 0);
        assert_eq!(stats.status_total(400), 0);
        assert_eq!(stats.status_total(404), 0);
        let pages = want_regs.len().div_ceil(4) as u64;
        assert_eq!(
            stats.route_total(&format!("GET {prefix}/repositories")),
            2 * pages,
            "{key}: no registry lookups beyond the two listings"
        );
        assert_eq!(p.http_stats().retries, 0);
    }
}

#[tokio::test]
async fn the_remaining_pages_can_be_fetched_in_parallel() {
    let fixture = Fixture::generate(7, sizes());
    let emu = start(fixture.clone(), Faults::none(), 100).await;
    let (reg, _) = slashed_image(&fixture, "kr");
    let p = provider(&emu, NcpRegion::Kr, 2);
    let q = RepositoryQuery::in_registry(reg.name.clone());
    let first = p.repositories_page(&q, None).await.unwrap();
    assert_eq!(first.total, Some(reg.images.len() as u64));
    let rest: Vec<Cursor> = first.remaining_cursors().collect();
    assert_eq!(rest.len(), reg.images.len().div_ceil(2) - 1);
    let pages =
        futures::future::try_join_all(rest.into_iter().map(|c| p.repositories_page(&q, Some(c))))
            .await
            .unwrap();
    let mut names: Vec<String> = first.items.into_iter().map(|r| r.name).collect();
    names.extend(pages.into_iter().flat_map(|pg| pg.items).map(|r| r.name));
    let want: Vec<String> = reg.images.iter().map(|i| i.name.clone()).collect();
    assert_eq!(names, want);

    // The same through the core's paginate with concurrency.
    let mut cfg = config(&emu, NcpRegion::Kr, 2);
    let mut paging = PagingOptions::default();
    paging.concurrency = 4;
    cfg.paging = paging;
    let parallel = Arc::new(NcpProvider::new(cfg).unwrap());
    let listed = repos_of(&parallel, q).await.unwrap();
    assert_eq!(listed.into_iter().map(|r| r.name).collect::<Vec<_>>(), want);
}

#[tokio::test]
async fn names_with_slashes_are_sent_as_2f_for_detail_tags_and_tag_detail() {
    let fixture = Fixture::generate(11, sizes());
    let emu = start(fixture.clone(), Faults::none(), 100).await;
    for (region, prefix) in REGIONS {
        let (reg, img) = slashed_image(&fixture, region.as_str());
        let p = provider(&emu, region, 100);
        let repo_ref = RepositoryRef::new(reg.name.clone(), img.name.clone());

        let repo = p.get_repository(&repo_ref).await.unwrap();
        assert_eq!(repo.name, img.name);
        assert_eq!(repo.full_name, format!("{}/{}", reg.name, img.name));
        assert_eq!(
            repo.description,
            Some(img.description.clone()).filter(|d| !d.is_empty())
        );
        assert_eq!(repo.tag_immutable, Some(!img.tag_mutability));
        assert_eq!(
            repo.extra["full_description"],
            serde_json::Value::String(img.full_description.clone())
        );
        assert_eq!(
            repo.pull_uri,
            Some(format!("{}/{}", end_point(region.as_str(), &reg), img.name))
        );

        let tags = tags_of(&p, repo_ref.clone()).await.unwrap();
        assert_eq!(
            tags.iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
            img.tags.iter().map(|t| t.name.clone()).collect::<Vec<_>>()
        );
        let want = img.tags.last().unwrap();
        let tag = p.get_tag(&repo_ref, &want.name).await.unwrap();
        assert_tag_matches(&tag, want);

        let stats = emu.stats();
        for route in [
            format!("GET {prefix}/repositories/{{registry}}/{{image}}"),
            format!("GET {prefix}/repositories/{{registry}}/{{image}}/tags"),
            format!("GET {prefix}/repositories/{{registry}}/{{image}}/tags/{{reference}}"),
        ] {
            assert!(stats.count(&route, 200) >= 1, "{route}: {stats:?}");
        }
        assert_eq!(stats.status_total(404), 0, "{stats:?}");
    }
}

#[tokio::test]
async fn unknown_images_and_tags_are_not_found_with_context() {
    let fixture = Fixture::generate(5, sizes());
    let emu = start(fixture.clone(), Faults::none(), 100).await;
    let (reg, img) = slashed_image(&fixture, "jpn");
    let p = provider(&emu, NcpRegion::Jpn, 100);
    let err = p
        .get_tag(
            &RepositoryRef::new(reg.name.clone(), img.name.clone()),
            "no-such-tag",
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.context().operation.as_deref(), Some("get_tag"));
    assert_eq!(
        err.context().target.as_deref(),
        Some(format!("{}/{}:no-such-tag", reg.name, img.name).as_str())
    );
    assert_eq!(err.context().code.as_deref(), Some("300"));
    let err = p
        .get_repository(&RepositoryRef::new(reg.name.clone(), "team/none"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.context().operation.as_deref(), Some("get_repository"));
    let err = repos_of(&p, RepositoryQuery::in_registry("no-such-registry"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.context().target.as_deref(), Some("no-such-registry"));
    assert_eq!(p.http_stats().retries, 0);
}

#[tokio::test]
async fn a_created_registry_is_listed_and_creating_it_again_is_a_conflict() {
    let fixture = Fixture::generate(3, sizes());
    let emu = start(fixture.clone(), Faults::none(), 100).await;
    let p = provider(&emu, NcpRegion::Sgn, 2);
    // Fill the registry cache first, so the new registry must be found after creation.
    let before = registries_of(&p).await.unwrap();
    assert!(before.iter().all(|r| r.name != "fresh-registry"));

    p.create_registry("fresh-registry", "fresh-bucket")
        .await
        .unwrap();
    let after = registries_of(&p).await.unwrap();
    assert_eq!(after.len(), before.len() + 1);
    let fresh = after.iter().find(|r| r.name == "fresh-registry").unwrap();
    assert_eq!(fresh.extra["bucket"], "fresh-bucket");
    assert_eq!(fresh.public, Some(false));
    let got = p.get_registry("fresh-registry").await.unwrap();
    assert_eq!(got.pull_endpoint, fresh.pull_endpoint);
    assert!(repos_of(&p, RepositoryQuery::in_registry("fresh-registry"))
        .await
        .unwrap()
        .is_empty());
    assert!(emu.fixture().ncp["sgn"]
        .iter()
        .any(|r| r.name == "fresh-registry"));

    let err = p
        .create_registry("fresh-registry", "other-bucket")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.context().operation.as_deref(), Some("create_registry"));
    assert_eq!(err.context().target.as_deref(), Some("fresh-registry"));
    assert_eq!(err.status(), Some(409));
    let err = p
        .create_registry("other-registry", "fresh-bucket")
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Conflict,
        "a taken bucket is a conflict too"
    );

    // A fresh provider sees it on first listing, and its images are found through the cache.
    let other = provider(&emu, NcpRegion::Sgn, 100);
    let repo = repos_of(&other, RepositoryQuery::all()).await.unwrap();
    assert_eq!(
        repo.len(),
        fixture.ncp["sgn"]
            .iter()
            .map(|r| r.images.len())
            .sum::<usize>()
    );
}

#[tokio::test]
async fn a_bad_secret_is_an_authentication_error_after_exactly_one_request() {
    let emu = start(Fixture::generate(1, sizes()), Faults::none(), 100).await;
    let good = emu.ncp_credentials();
    let bad = AccessKeyPair::new(good.access_key.clone(), "definitely-not-the-secret");
    let cfg = config(&emu, NcpRegion::Kr, 100).with_credentials(bad);
    let p = Arc::new(NcpProvider::new(cfg).unwrap());
    let err = registries_of(&p).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.context().code.as_deref(), Some("200"));
    assert_eq!(err.context().operation.as_deref(), Some("list_registries"));
    assert!(!err.to_string().contains("definitely-not-the-secret"));
    assert_eq!(emu.stats().requests, 1);
    assert_eq!(emu.stats().auth_failures, 1);
    let stats = p.http_stats();
    assert_eq!((stats.requests, stats.retries), (1, 0));
}

#[tokio::test]
async fn throttling_with_retry_after_and_server_errors_are_retried_through() {
    let fixture = Fixture::generate(23, sizes());
    let faults = Faults {
        seed: 99,
        throttle_rate: 0.3,
        retry_after_secs: 1,
        server_error_rate: 0.3,
        drop_rate: 0.1,
        max_consecutive_faults: 3,
        ..Faults::none()
    };
    let emu = start(fixture.clone(), faults, 100).await;
    let p = provider(&emu, NcpRegion::Kr, 3);
    let repos = repos_of(&p, RepositoryQuery::all()).await.unwrap();
    let want: BTreeSet<String> = fixture.ncp["kr"]
        .iter()
        .flat_map(|r| {
            r.images
                .iter()
                .map(move |i| format!("{}/{}", r.name, i.name))
        })
        .collect();
    assert_eq!(
        repos
            .iter()
            .map(|r| r.full_name.clone())
            .collect::<BTreeSet<_>>(),
        want
    );
    for repo in repos.iter().take(6) {
        tags_of(&p, repo.into()).await.unwrap();
    }
    let stats = emu.stats();
    assert!(stats.throttled > 0, "{stats:?}");
    assert!(stats.server_errors > 0, "{stats:?}");
    let client = p.http_stats();
    assert_eq!(
        client.retries, stats.faults_injected,
        "every fault was retried once"
    );
    assert_eq!(client.requests, stats.requests);
    assert!(client.throttled > 0);
}

#[tokio::test]
async fn retry_after_is_read_from_the_429() {
    let faults = Faults {
        throttle_rate: 1.0,
        retry_after_secs: 7,
        max_consecutive_faults: 100,
        ..Faults::none()
    };
    let emu = start(Fixture::generate(2, sizes()), faults, 100).await;
    let cfg = config(&emu, NcpRegion::Jpn, 100).with_http(fast_http(2));
    let p = Arc::new(NcpProvider::new(cfg).unwrap());
    let err = p.registries_page(None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(err.context().code.as_deref(), Some("420"));
    assert_eq!(p.http_stats().requests, 2, "retried once, then gave up");
}

#[tokio::test]
async fn a_lasting_truncated_body_is_a_network_error_naming_operation_and_target() {
    let fixture = Fixture::generate(17, sizes());
    let emu = start(fixture.clone(), Faults::none(), 100).await;
    let (reg, img) = slashed_image(&fixture, "kr");
    let p = provider(&emu, NcpRegion::Kr, 100);
    // Fill the registry cache before bodies start breaking.
    registries_of(&p).await.unwrap();
    emu.set_faults(Faults {
        truncate_rate: 1.0,
        max_consecutive_faults: 100,
        ..Faults::none()
    });

    let repo_ref = RepositoryRef::new(reg.name.clone(), img.name.clone());
    let target = format!("{}/{}", reg.name, img.name);
    let err = p.tags_page(&repo_ref, None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert_eq!(err.context().operation.as_deref(), Some("list_tags"));
    assert_eq!(err.context().target.as_deref(), Some(target.as_str()));
    assert!(err.to_string().contains(&target), "{err}");

    let err = repos_of(&p, RepositoryQuery::in_registry(reg.name.clone()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network);
    assert_eq!(
        err.context().operation.as_deref(),
        Some("list_repositories")
    );
    assert_eq!(err.context().target.as_deref(), Some(reg.name.as_str()));

    let err = p.get_repository(&repo_ref).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network);
    assert_eq!(err.context().operation.as_deref(), Some("get_repository"));

    let err = p.get_tag(&repo_ref, &img.tags[0].name).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network);
    assert_eq!(
        err.context().target.as_deref(),
        Some(format!("{target}:{}", img.tags[0].name).as_str())
    );
    assert!(emu.stats().truncated >= 4);
    // Each was retried: a cut-off body is a broken transfer, not a final answer.
    assert!(p.http_stats().retries >= 4);
    assert!(err.to_string().contains("cut off"), "{err}");
}

#[tokio::test]
async fn a_page_size_over_the_servers_maximum_is_negotiated_down() {
    let fixture = Fixture::generate(29, sizes());
    let emu = start(fixture.clone(), Faults::none(), 30).await;
    let p = provider(&emu, NcpRegion::Kr, 100);
    let repos = repos_of(&p, RepositoryQuery::all()).await.unwrap();
    let total: usize = fixture.ncp["kr"].iter().map(|r| r.images.len()).sum();
    assert_eq!(repos.len(), total);
    assert_eq!(p.page_size(), Some(25), "100 and 50 refused, 25 taken");
    assert_eq!(
        emu.stats().status_total(400),
        2,
        "negotiated once, then remembered"
    );
    // An explicit cursor is honoured as given.
    let page = p
        .registries_page(Some(Cursor::Page { number: 1, size: 2 }))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 2.min(fixture.ncp["kr"].len()));
}
