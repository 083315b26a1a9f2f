//! Unit tests of the merge logic, with `mockall` providers that fail, stall or return odd pages
//! on cue.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use mockall::mock;

use super::*;
use crate::core::provider::first_page;
use crate::core::{
    Cursor, ErrorKind, HttpStatsSnapshot, Page, PagingOptions, ProviderKind, Registry,
};

mock! {
    /// A provider whose every answer is set per test.
    #[derive(Debug)]
    pub Provider {}

    #[async_trait]
    impl RegistryProvider for Provider {
        fn source(&self) -> &Source;
        fn capabilities(&self) -> Capabilities;
        fn paging_options(&self) -> PagingOptions;
        fn page_size(&self) -> Option<u32>;
        fn http_stats(&self) -> HttpStatsSnapshot;
        async fn registries_page(&self, cursor: Option<Cursor>) -> Result<Page<Registry>>;
        async fn repositories_page(
            &self,
            query: &RepositoryQuery,
            cursor: Option<Cursor>,
        ) -> Result<Page<Repository>>;
        async fn tags_page(&self, repo: &RepositoryRef, cursor: Option<Cursor>) -> Result<Page<Tag>>;
        async fn get_repository(&self, repo: &RepositoryRef) -> Result<Repository>;
    }
}

// ----- fixtures ------------------------------------------------------------------------------

fn source(name: &str, provider: ProviderKind) -> Source {
    Source::new(name, provider, "r1", "http://127.0.0.1:1")
}

/// NCR-like: lists repositories per registry, tags cost requests.
fn ncr_caps() -> Capabilities {
    Capabilities::default()
}

/// SWR-like: one listing across namespaces, carrying tag names, filtering names server-side.
fn swr_caps() -> Capabilities {
    let mut caps = Capabilities::default();
    caps.lists_repositories_across_registries = true;
    caps.repository_listing_has_tag_names = true;
    caps.filters_names_server_side = true;
    caps
}

/// The registries, repositories and tags one mock serves, in pages of two.
#[derive(Clone)]
struct Catalog {
    source: Source,
    registries: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    /// Fill repositories' `tags` with names in listings (SWR).
    names_in_listing: bool,
    /// Match `query.registry` as a substring, as SWR does.
    fuzzy_registry: bool,
}

/// One registry of a [`Catalog`]: its name and its repositories with their tag names.
type RegistryData<'a> = (&'a str, &'a [(&'a str, &'a [&'a str])]);

const PAGE: u32 = 2;

fn paged<T: Clone>(items: &[T], cursor: Option<Cursor>) -> Page<T> {
    let cursor = first_page(cursor, PAGE);
    let start = cursor.first_item() as usize;
    let chunk: Vec<T> = items
        .iter()
        .skip(start)
        .take(PAGE as usize)
        .cloned()
        .collect();
    let next = (start + chunk.len() < items.len()).then(|| cursor.following());
    Page::new(chunk, cursor, next, Some(items.len() as u64))
}

impl Catalog {
    fn new(source: Source, data: &[RegistryData]) -> Self {
        let registries = data
            .iter()
            .map(|(reg, repos)| {
                let repos = repos
                    .iter()
                    .map(|(name, tags)| {
                        (
                            name.to_string(),
                            tags.iter().map(|t| t.to_string()).collect(),
                        )
                    })
                    .collect();
                (reg.to_string(), repos)
            })
            .collect();
        Catalog {
            source,
            registries,
            names_in_listing: false,
            fuzzy_registry: false,
        }
    }

    fn swr(mut self) -> Self {
        self.names_in_listing = true;
        self.fuzzy_registry = true;
        self
    }

    fn registries_page(&self, cursor: Option<Cursor>) -> Result<Page<Registry>> {
        let all: Vec<Registry> = self
            .registries
            .keys()
            .map(|name| Registry::new(&self.source, name.clone()))
            .collect();
        Ok(paged(&all, cursor))
    }

    fn repositories(&self, query: &RepositoryQuery) -> Vec<Repository> {
        let mut out = Vec::new();
        for (registry, repos) in &self.registries {
            let wanted = match &query.registry {
                None => true,
                Some(r) if self.fuzzy_registry => registry.contains(r.as_str()),
                Some(r) => r == registry,
            };
            if !wanted {
                continue;
            }
            for (name, tags) in repos {
                if query
                    .name_contains
                    .as_ref()
                    .is_some_and(|n| !name.contains(n.as_str()))
                {
                    continue;
                }
                let mut repo = Repository::new(&self.source, registry.clone(), name.clone());
                if self.names_in_listing {
                    repo.tags = Some(tags.iter().map(Tag::new).collect());
                }
                out.push(repo);
            }
        }
        out
    }

    fn repositories_page(
        &self,
        query: &RepositoryQuery,
        cursor: Option<Cursor>,
    ) -> Result<Page<Repository>> {
        Ok(paged(&self.repositories(query), cursor))
    }

    fn tags_page(&self, repo: &RepositoryRef, cursor: Option<Cursor>) -> Result<Page<Tag>> {
        let Some(tags) = self
            .registries
            .get(&repo.registry)
            .and_then(|r| r.get(&repo.name))
        else {
            return Err(Error::from_status(404, format!("no repository {repo}")));
        };
        let tags: Vec<Tag> = tags
            .iter()
            .map(|name| {
                let mut tag = Tag::new(name.clone());
                tag.digest = Some(format!("sha256:{name}"));
                tag.size_bytes = Some(42);
                tag
            })
            .collect();
        Ok(paged(&tags, cursor))
    }

    fn tag_total(&self) -> usize {
        self.registries
            .values()
            .flat_map(|r| r.values())
            .map(Vec::len)
            .sum()
    }
}

/// A mock with the fixed parts (source, capabilities, options, stats) set.
fn base_mock(source: &Source, caps: Capabilities) -> MockProvider {
    let mut mock = MockProvider::new();
    mock.expect_source().return_const(source.clone());
    mock.expect_capabilities().return_const(caps);
    mock.expect_paging_options()
        .returning(PagingOptions::default);
    mock.expect_page_size().return_const(None);
    mock.expect_http_stats()
        .returning(HttpStatsSnapshot::default);
    mock.expect_get_repository().never();
    mock
}

/// A mock serving `catalog` in full.
fn serving(catalog: &Catalog, caps: Capabilities) -> MockProvider {
    let mut mock = base_mock(&catalog.source, caps);
    let c = catalog.clone();
    mock.expect_registries_page()
        .returning(move |cursor| c.registries_page(cursor));
    let c = catalog.clone();
    mock.expect_repositories_page()
        .returning(move |q, cursor| c.repositories_page(q, cursor));
    let c = catalog.clone();
    mock.expect_tags_page()
        .returning(move |r, cursor| c.tags_page(r, cursor));
    mock
}

fn ncr_catalog(name: &str) -> Catalog {
    Catalog::new(
        source(name, ProviderKind::NCP),
        &[
            (
                "prod",
                &[
                    ("web", &["2.0", "1.0", "latest"]),
                    ("api", &["v1"]),
                    ("team/db", &[]),
                ],
            ),
            ("dev", &[("web", &["x"]), ("tool", &["a", "c", "b"])]),
        ],
    )
}

fn swr_catalog(name: &str) -> Catalog {
    Catalog::new(
        source(name, ProviderKind::HUAWEI),
        &[
            (
                "ns1",
                &[("backend", &["3", "1", "2"]), ("frontend", &["latest"])],
            ),
            ("ns1-old", &[("backend", &["0"])]),
        ],
    )
    .swr()
}

fn inventory(providers: Vec<MockProvider>, options: InventoryOptions) -> Inventory {
    let providers = providers
        .into_iter()
        .map(|p| Arc::new(p) as Arc<dyn RegistryProvider>)
        .collect();
    Inventory::new(providers).with_options(options).unwrap()
}

fn names(report: &InventoryReport) -> Vec<String> {
    report
        .repositories
        .iter()
        .map(|r| format!("{}:{}", r.source, r.full_name))
        .collect()
}

fn tag_names(repo: &Repository) -> Vec<&str> {
    repo.tags
        .as_ref()
        .expect("tags listed")
        .iter()
        .map(|t| t.name.as_str())
        .collect()
}

fn find<'a>(report: &'a InventoryReport, source: &str, full_name: &str) -> &'a Repository {
    report
        .repositories
        .iter()
        .find(|r| r.source == source && r.full_name == full_name)
        .unwrap_or_else(|| panic!("{source}:{full_name} missing"))
}

// ----- merge and order -----------------------------------------------------------------------

#[tokio::test]
async fn merges_sources_in_config_order_then_registry_repository_and_tag() {
    // Config order deliberately not alphabetical.
    let ncr = ncr_catalog("zeta-ncr");
    let swr = swr_catalog("alpha-swr");
    let inv = inventory(
        vec![serving(&ncr, ncr_caps()), serving(&swr, swr_caps())],
        InventoryOptions::new(),
    );
    let report = inv.collect().await;
    assert!(report.complete, "{:?}", report.errors);
    assert_eq!(report.exit_code(), 0);
    assert_eq!(
        names(&report),
        [
            "zeta-ncr:dev/tool",
            "zeta-ncr:dev/web",
            "zeta-ncr:prod/api",
            "zeta-ncr:prod/team/db",
            "zeta-ncr:prod/web",
            "alpha-swr:ns1/backend",
            "alpha-swr:ns1/frontend",
            "alpha-swr:ns1-old/backend",
        ]
    );
    assert_eq!(
        tag_names(find(&report, "zeta-ncr", "prod/web")),
        ["1.0", "2.0", "latest"]
    );
    assert_eq!(
        tag_names(find(&report, "alpha-swr", "ns1/backend")),
        ["1", "2", "3"]
    );
    let sources: Vec<(&str, SourceStatus, u64, u64)> = report
        .sources
        .iter()
        .map(|s| (s.name.as_str(), s.status, s.repositories, s.tags))
        .collect();
    assert_eq!(
        sources,
        [
            ("zeta-ncr", SourceStatus::Ok, 5, ncr.tag_total() as u64),
            ("alpha-swr", SourceStatus::Ok, 3, swr.tag_total() as u64),
        ]
    );
    assert_eq!(report.sources[1].provider, ProviderKind::HUAWEI);
    // A second run is equal but for the clock.
    let mut again = inv.collect().await;
    again.generated_at = report.generated_at;
    for (a, b) in again.sources.iter_mut().zip(&report.sources) {
        a.elapsed_ms = b.elapsed_ms;
    }
    assert_eq!(again, report);
}

#[tokio::test]
async fn the_stream_ends_each_source_with_its_summary() {
    let inv = inventory(
        vec![
            serving(&ncr_catalog("a"), ncr_caps()),
            serving(&swr_catalog("b"), swr_caps()),
        ],
        InventoryOptions::new().with_depth(TagDepth::Full),
    );
    let events: Vec<InventoryEvent> = inv.stream().collect().await;
    for name in ["a", "b"] {
        let positions: Vec<usize> = events
            .iter()
            .enumerate()
            .filter(|(_, e)| match e {
                InventoryEvent::Repository(r) => r.source == name,
                InventoryEvent::Failure(f) => f.source == name,
                InventoryEvent::SourceFinished(s) => s.name == name,
                InventoryEvent::Registry(_) => false,
            })
            .map(|(i, _)| i)
            .collect();
        let last = *positions.last().unwrap();
        let InventoryEvent::SourceFinished(summary) = &events[last] else {
            panic!("{name}'s last event is not its summary");
        };
        let finished = events
            .iter()
            .filter(|e| matches!(e, InventoryEvent::SourceFinished(s) if s.name == name))
            .count();
        assert_eq!(finished, 1);
        assert_eq!(summary.repositories as usize, positions.len() - 1);
    }
}

#[tokio::test]
async fn a_listing_that_repeats_a_repository_or_tag_yields_it_once() {
    let src = source("s", ProviderKind::HUAWEI);
    let mut mock = base_mock(&src, swr_caps());
    let s = src.clone();
    mock.expect_repositories_page().returning(move |_, cursor| {
        // Page 1: a, b; page 2 (the listing shifted): b again, c.
        let cursor = first_page(cursor, 2);
        let (names, next) = match cursor.first_item() {
            0 => (["a", "b"], Some(cursor.following())),
            _ => (["b", "c"], None),
        };
        let items = names
            .iter()
            .map(|n| {
                let mut r = Repository::new(&s, "ns", *n);
                r.tags = Some(vec![Tag::new("t"), Tag::new("t")]);
                r
            })
            .collect();
        Ok(Page::new(items, cursor, next, None))
    });
    mock.expect_tags_page().never();
    mock.expect_registries_page().never();
    let report = inventory(vec![mock], InventoryOptions::new())
        .collect()
        .await;
    assert_eq!(names(&report), ["s:ns/a", "s:ns/b", "s:ns/c"]);
    assert_eq!(tag_names(&report.repositories[0]), ["t"]);
    assert!(report.complete);
}

#[tokio::test]
async fn each_registry_listing_drops_its_own_repeats_and_only_those() {
    // NCR-like: each registry listed on its own. `r1` shifts by 999 between its two pages:
    // all but the first of its first page (1,000 repositories) come again, then one new one.
    // `r2` has the same names, which are not repeats.
    let src = source("s", ProviderKind::NCP);
    let mut mock = base_mock(&src, ncr_caps());
    let s = src.clone();
    mock.expect_registries_page().returning(move |cursor| {
        let registries = ["r1", "r2"].map(|n| Registry::new(&s, n));
        Ok(paged(&registries, cursor))
    });
    let s = src.clone();
    mock.expect_repositories_page().returning(move |q, cursor| {
        let registry = q.registry.clone().expect("listed per registry");
        let cursor = first_page(cursor, 1_000);
        let repo = |name: String| Repository::new(&s, registry.as_str(), name);
        let first: Vec<Repository> = (0..1_000).map(|i| repo(format!("app-{i:04}"))).collect();
        let (items, next) = match (registry.as_str(), cursor.first_item()) {
            ("r1", 0) => (first, Some(cursor.following())),
            ("r1", _) => {
                let mut again: Vec<Repository> = first.into_iter().skip(1).collect();
                again.push(repo("new".to_string()));
                (again, None)
            }
            _ => (first, None),
        };
        Ok(Page::new(items, cursor, next, None))
    });
    mock.expect_tags_page().never();
    let report = inventory(
        vec![mock],
        InventoryOptions::new().with_depth(TagDepth::None),
    )
    .collect()
    .await;
    assert!(report.complete);
    let listed = names(&report);
    assert_eq!(listed.len(), 2_001, "every repository once");
    let unique: std::collections::BTreeSet<&String> = listed.iter().collect();
    assert_eq!(unique.len(), 2_001);
    assert!(listed.contains(&"s:r1/new".to_string()));
    assert!(listed.contains(&"s:r2/app-0999".to_string()));
    assert_eq!(report.sources[0].repositories, 2_001);
}

#[test]
fn the_repeat_window_is_four_pages_within_its_bounds() {
    assert_eq!(repeat_window(Some(100)), REPEAT_WINDOW_MIN);
    assert_eq!(repeat_window(Some(1_000)), 4_000);
    assert_eq!(repeat_window(None), 4_000);
    assert_eq!(repeat_window(Some(0)), 4_000);
    assert_eq!(repeat_window(Some(100_000)), REPEAT_WINDOW_MAX);
}

// ----- depth ---------------------------------------------------------------------------------

#[tokio::test]
async fn names_on_an_swr_like_provider_send_no_tag_requests() {
    let swr = swr_catalog("swr");
    let mut mock = base_mock(&swr.source, swr_caps());
    let c = swr.clone();
    mock.expect_repositories_page()
        .withf(|q, _| q.registry.is_none())
        .returning(move |q, cursor| c.repositories_page(q, cursor));
    mock.expect_registries_page().never();
    mock.expect_tags_page().never();
    let report = inventory(
        vec![mock],
        InventoryOptions::new().with_depth(TagDepth::Names),
    )
    .collect()
    .await;
    assert!(report.complete);
    assert_eq!(report.sources[0].tags, swr.tag_total() as u64);
    assert_eq!(tag_names(find(&report, "swr", "ns1/frontend")), ["latest"]);
}

#[tokio::test]
async fn names_on_other_providers_list_tags_and_keep_only_names() {
    let ncr = ncr_catalog("ncr");
    let report = inventory(
        vec![serving(&ncr, ncr_caps())],
        InventoryOptions::new().with_depth(TagDepth::Names),
    )
    .collect()
    .await;
    let web = find(&report, "ncr", "prod/web");
    assert_eq!(tag_names(web), ["1.0", "2.0", "latest"]);
    assert!(web
        .tags
        .as_ref()
        .unwrap()
        .iter()
        .all(|t| t.digest.is_none() && t.size_bytes.is_none()));
    assert_eq!(
        tag_names(find(&report, "ncr", "prod/team/db")),
        Vec::<&str>::new()
    );
}

#[tokio::test]
async fn full_lists_tag_details_for_every_provider() {
    let ncr = ncr_catalog("ncr");
    let swr = swr_catalog("swr");
    let mut swr_mock = base_mock(&swr.source, swr_caps());
    let c = swr.clone();
    swr_mock
        .expect_repositories_page()
        .returning(move |q, cursor| c.repositories_page(q, cursor));
    let c = swr.clone();
    let tag_calls = Arc::new(AtomicUsize::new(0));
    let calls = tag_calls.clone();
    swr_mock.expect_tags_page().returning(move |r, cursor| {
        calls.fetch_add(1, Ordering::SeqCst);
        c.tags_page(r, cursor)
    });
    let report = inventory(
        vec![serving(&ncr, ncr_caps()), swr_mock],
        InventoryOptions::new().with_depth(TagDepth::Full),
    )
    .collect()
    .await;
    assert!(report.complete, "{:?}", report.errors);
    for repo in &report.repositories {
        for tag in repo.tags.as_ref().unwrap() {
            assert_eq!(
                tag.digest.as_deref(),
                Some(format!("sha256:{}", tag.name).as_str())
            );
        }
    }
    assert_eq!(
        tag_names(find(&report, "swr", "ns1/backend")),
        ["1", "2", "3"]
    );
    // Three repositories, backend's three tags in two pages: four tag requests.
    assert_eq!(tag_calls.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn none_sends_no_tag_requests_and_leaves_tags_unset() {
    let ncr = ncr_catalog("ncr");
    let swr = swr_catalog("swr");
    let mut ncr_mock = base_mock(&ncr.source, ncr_caps());
    let c = ncr.clone();
    ncr_mock
        .expect_registries_page()
        .returning(move |cursor| c.registries_page(cursor));
    let c = ncr.clone();
    ncr_mock
        .expect_repositories_page()
        .returning(move |q, cursor| c.repositories_page(q, cursor));
    ncr_mock.expect_tags_page().never();
    let mut swr_mock = base_mock(&swr.source, swr_caps());
    let c = swr.clone();
    swr_mock
        .expect_repositories_page()
        .returning(move |q, cursor| c.repositories_page(q, cursor));
    swr_mock.expect_tags_page().never();
    let report = inventory(
        vec![ncr_mock, swr_mock],
        InventoryOptions::new().with_depth(TagDepth::None),
    )
    .collect()
    .await;
    assert_eq!(report.repositories.len(), 8);
    assert!(report.repositories.iter().all(|r| r.tags.is_none()));
    assert!(report.sources.iter().all(|s| s.tags == 0));
}

#[test]
fn tag_depth_parses_and_prints() {
    for depth in [TagDepth::None, TagDepth::Names, TagDepth::Full] {
        assert_eq!(depth.to_string().parse::<TagDepth>().unwrap(), depth);
        assert_eq!(
            serde_json::to_value(depth).unwrap(),
            serde_json::Value::String(depth.to_string())
        );
    }
    assert_eq!("FULL".parse::<TagDepth>().unwrap(), TagDepth::Full);
    let err = "deep".parse::<TagDepth>().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    assert_eq!(TagDepth::default(), TagDepth::Names);
}

// ----- failures ------------------------------------------------------------------------------

#[tokio::test]
async fn a_failing_source_loses_nothing_of_the_others() {
    let bad = source("bad", ProviderKind::NCP);
    let mut failing = base_mock(&bad, ncr_caps());
    failing.expect_registries_page().returning(|_| {
        Err(Error::from_status(401, "signature rejected")
            .with_code("200")
            .with_request_id("req-9"))
    });
    failing.expect_repositories_page().never();
    failing.expect_tags_page().never();
    let good = ncr_catalog("good");
    let report = inventory(
        vec![failing, serving(&good, ncr_caps())],
        InventoryOptions::new(),
    )
    .collect()
    .await;
    assert!(!report.complete);
    assert_eq!(report.exit_code(), 2);
    assert_eq!(report.repositories.len(), 5);
    assert!(report.repositories.iter().all(|r| r.source == "good"));
    assert_eq!(report.sources[0].status, SourceStatus::Failed);
    assert_eq!(report.sources[0].errors, 1);
    assert_eq!(report.sources[1].status, SourceStatus::Ok);
    let [failure] = report.errors.as_slice() else {
        panic!("{:?}", report.errors);
    };
    assert_eq!(failure.source, "bad");
    assert_eq!(failure.provider, ProviderKind::NCP);
    assert_eq!(failure.operation, "list_registries");
    assert_eq!(failure.kind, ErrorKind::Authentication);
    assert_eq!(failure.status, Some(401));
    assert_eq!(failure.code.as_deref(), Some("200"));
    assert_eq!(failure.request_id.as_deref(), Some("req-9"));
}

#[tokio::test]
async fn a_failing_registry_or_repository_keeps_the_rest_of_its_source() {
    let ncr = ncr_catalog("ncr");
    let mut mock = base_mock(&ncr.source, ncr_caps());
    let c = ncr.clone();
    mock.expect_registries_page()
        .returning(move |cursor| c.registries_page(cursor));
    let c = ncr.clone();
    mock.expect_repositories_page().returning(move |q, cursor| {
        if q.registry.as_deref() == Some("dev") {
            return Err(Error::from_status(503, "endpoint error"));
        }
        c.repositories_page(q, cursor)
    });
    let c = ncr.clone();
    mock.expect_tags_page().returning(move |r, cursor| {
        // The second page of prod/web's tags fails.
        if r.name == "web" && cursor.is_some() {
            return Err(Error::from_status(500, "unexpected"));
        }
        c.tags_page(r, cursor)
    });
    let report = inventory(
        vec![mock],
        InventoryOptions::new().with_depth(TagDepth::Full),
    )
    .collect()
    .await;
    assert_eq!(
        names(&report),
        ["ncr:prod/api", "ncr:prod/team/db", "ncr:prod/web"]
    );
    assert_eq!(
        tag_names(find(&report, "ncr", "prod/web")),
        ["1.0", "2.0"],
        "the first page is kept"
    );
    assert_eq!(report.sources[0].status, SourceStatus::Partial);
    assert_eq!(report.exit_code(), 2);
    let failures: Vec<(&str, Option<&str>, ErrorKind)> = report
        .errors
        .iter()
        .map(|f| (f.operation.as_str(), f.target.as_deref(), f.kind))
        .collect();
    assert_eq!(
        failures,
        [
            ("list_repositories", Some("dev"), ErrorKind::Server),
            ("list_tags", Some("prod/web"), ErrorKind::Server),
        ]
    );
}

#[tokio::test]
async fn every_source_failing_exits_1() {
    let mocks = ["a", "b"]
        .iter()
        .map(|name| {
            let mut m = base_mock(&source(name, ProviderKind::HUAWEI), swr_caps());
            m.expect_repositories_page()
                .returning(|_, _| Err(Error::new(ErrorKind::Network, "connection reset")));
            m
        })
        .collect();
    let report = inventory(mocks, InventoryOptions::new()).collect().await;
    assert_eq!(report.exit_code(), 1);
    assert!(report
        .sources
        .iter()
        .all(|s| s.status == SourceStatus::Failed));
    assert_eq!(report.errors.len(), 2);
    assert_eq!(
        inventory(vec![], InventoryOptions::new())
            .collect()
            .await
            .exit_code(),
        1
    );
}

// ----- odd pages -----------------------------------------------------------------------------

#[tokio::test]
async fn an_empty_first_page_is_an_empty_registry() {
    let src = source("s", ProviderKind::NCP);
    let mut mock = base_mock(&src, ncr_caps());
    let s = src.clone();
    mock.expect_registries_page().returning(move |cursor| {
        let cursor = first_page(cursor, 2);
        Ok(Page::new(
            vec![Registry::new(&s, "empty")],
            cursor,
            None,
            Some(1),
        ))
    });
    // Empty, with a `next` that must not be followed.
    mock.expect_repositories_page()
        .times(1)
        .returning(|_, cursor| {
            let cursor = first_page(cursor, 2);
            Ok(Page::new(
                vec![],
                cursor.clone(),
                Some(cursor.following()),
                None,
            ))
        });
    let report = inventory(vec![mock], InventoryOptions::new())
        .collect()
        .await;
    assert!(report.complete);
    assert!(report.repositories.is_empty());
    assert_eq!(report.sources[0].status, SourceStatus::Ok);
    assert_eq!(report.exit_code(), 0);
}

#[tokio::test]
async fn a_repeated_cursor_is_a_failure_and_keeps_what_arrived() {
    let src = source("s", ProviderKind::HUAWEI);
    let mut mock = base_mock(&src, swr_caps());
    let s = src.clone();
    mock.expect_repositories_page()
        .times(1)
        .returning(move |_, cursor| {
            let cursor = first_page(cursor, 2);
            // Points back at itself: a loop the core's page guard refuses.
            let items = vec![
                Repository::new(&s, "ns", "a"),
                Repository::new(&s, "ns", "b"),
            ];
            Ok(Page::new(items, cursor.clone(), Some(cursor), None))
        });
    let report = inventory(
        vec![mock],
        InventoryOptions::new().with_depth(TagDepth::None),
    )
    .collect()
    .await;
    assert_eq!(names(&report), ["s:ns/a", "s:ns/b"]);
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.errors[0].kind, ErrorKind::Protocol);
    assert_eq!(report.errors[0].operation, "list_repositories");
    assert_eq!(report.sources[0].status, SourceStatus::Partial);
}

// ----- filters -------------------------------------------------------------------------------

#[tokio::test]
async fn the_source_filter_lists_only_named_sources() {
    let skipped = source("skipped", ProviderKind::NCP);
    let mut untouched = MockProvider::new();
    untouched.expect_source().return_const(skipped);
    untouched.expect_capabilities().return_const(ncr_caps());
    untouched.expect_registries_page().never();
    untouched.expect_repositories_page().never();
    untouched.expect_http_stats().never();
    let kept = ncr_catalog("kept");
    let report = inventory(
        vec![untouched, serving(&kept, ncr_caps())],
        InventoryOptions::new().with_filter(Filter::all().with_source("kept")),
    )
    .collect()
    .await;
    assert_eq!(report.sources.len(), 1);
    assert_eq!(report.sources[0].name, "kept");
    assert_eq!(report.repositories.len(), 5);
}

#[test]
fn options_are_validated() {
    let make = || {
        Inventory::new(vec![
            Arc::new(serving(&ncr_catalog("a"), ncr_caps())) as Arc<dyn RegistryProvider>
        ])
    };
    let err = make()
        .with_options(InventoryOptions::new().with_filter(Filter::all().with_source("nope")))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    assert!(err.to_string().contains("unknown source \"nope\""), "{err}");
    assert!(err.to_string().contains("are: a"), "{err}");
    let err = make()
        .with_options(InventoryOptions::new().with_filter(Filter::all().with_repository_glob("[")))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    assert!(make()
        .with_options(InventoryOptions::new().with_concurrency(0))
        .is_err());
    assert!(make()
        .with_options(InventoryOptions::new().with_per_source_concurrency(0))
        .is_err());
    let inv = make()
        .with_options(InventoryOptions::new().with_concurrency(3))
        .unwrap();
    assert_eq!(inv.options().concurrency, 3);
    assert_eq!(inv.providers().len(), 1);
    assert!(format!("{inv:?}").contains("\"a\""));
}

#[tokio::test]
async fn the_registry_filter_is_sent_to_the_provider_and_checked_again() {
    // NCR-like: registries are listed, only prod's repositories (ns1 is not one of its).
    let ncr = ncr_catalog("ncr");
    let mut ncr_mock = base_mock(&ncr.source, ncr_caps());
    let c = ncr.clone();
    ncr_mock
        .expect_registries_page()
        .returning(move |cursor| c.registries_page(cursor));
    let c = ncr.clone();
    ncr_mock
        .expect_repositories_page()
        .withf(|q, _| q.registry.as_deref() == Some("prod") && q.name_contains.is_none())
        .returning(move |q, cursor| c.repositories_page(q, cursor));
    ncr_mock.expect_tags_page().never();
    // SWR-like: each namespace sent, matched fuzzily by the server (ns1-old), dropped by us.
    let swr = swr_catalog("swr");
    let mut swr_mock = base_mock(&swr.source, swr_caps());
    let c = swr.clone();
    swr_mock
        .expect_repositories_page()
        .withf(|q, _| matches!(q.registry.as_deref(), Some("ns1" | "prod")))
        .returning(move |q, cursor| c.repositories_page(q, cursor));
    let report = inventory(
        vec![ncr_mock, swr_mock],
        InventoryOptions::new()
            .with_depth(TagDepth::None)
            .with_filter(Filter::all().with_registry("prod").with_registry("ns1")),
    )
    .collect()
    .await;
    assert!(report.complete, "{:?}", report.errors);
    assert_eq!(
        names(&report),
        [
            "ncr:prod/api",
            "ncr:prod/team/db",
            "ncr:prod/web",
            "swr:ns1/backend",
            "swr:ns1/frontend"
        ]
    );
}

#[tokio::test]
async fn namespaces_the_server_matches_fuzzily_are_listed_once_each() {
    // SWR matches the namespace filter as a substring: the listing asked for `ns1` also brings
    // `ns1-old`'s repositories, which the listing asked for `ns1-old` brings too.
    let swr = swr_catalog("swr");
    let mut mock = base_mock(&swr.source, swr_caps());
    let c = swr.clone();
    mock.expect_repositories_page()
        .returning(move |q, cursor| c.repositories_page(q, cursor));
    mock.expect_tags_page().never();
    let report = inventory(
        vec![mock],
        InventoryOptions::new()
            .with_depth(TagDepth::None)
            .with_filter(Filter::all().with_registry("ns1").with_registry("ns1-old")),
    )
    .collect()
    .await;
    assert!(report.complete, "{:?}", report.errors);
    assert_eq!(
        names(&report),
        ["swr:ns1/backend", "swr:ns1/frontend", "swr:ns1-old/backend"]
    );
    assert_eq!(report.sources[0].repositories, 3);
}

#[tokio::test]
async fn a_registry_listed_twice_or_named_twice_is_listed_once() {
    // NCR-like: the registries listing repeats `prod` (on its second page, after `qa`, which the
    // filter leaves out).
    let ncr = ncr_catalog("ncr");
    let mut ncr_mock = base_mock(&ncr.source, ncr_caps());
    let s = ncr.source.clone();
    ncr_mock.expect_registries_page().returning(move |cursor| {
        let registries = ["prod", "dev", "qa", "prod"].map(|n| Registry::new(&s, n));
        Ok(paged(&registries, cursor))
    });
    let c = ncr.clone();
    ncr_mock
        .expect_repositories_page()
        .returning(move |q, cursor| c.repositories_page(q, cursor));
    ncr_mock.expect_tags_page().never();
    // SWR-like: the namespace is named twice in the filter, and the registries listing (for the
    // registry rows) repeats it.
    let swr = swr_catalog("swr");
    let mut swr_mock = base_mock(&swr.source, swr_caps());
    let s = swr.source.clone();
    swr_mock.expect_registries_page().returning(move |cursor| {
        let registries = ["ns1", "ns1", "ns1-old"].map(|n| Registry::new(&s, n));
        Ok(paged(&registries, cursor))
    });
    let c = swr.clone();
    swr_mock
        .expect_repositories_page()
        .returning(move |q, cursor| c.repositories_page(q, cursor));
    let report = inventory(
        vec![ncr_mock, swr_mock],
        InventoryOptions::new()
            .with_depth(TagDepth::None)
            .with_registry_rows(true)
            .with_filter(
                Filter::all()
                    .with_registry("prod")
                    .with_registry("dev")
                    .with_registry("ns1")
                    .with_registry("ns1"),
            ),
    )
    .collect()
    .await;
    assert!(report.complete, "{:?}", report.errors);
    assert_eq!(
        names(&report),
        [
            "ncr:dev/tool",
            "ncr:dev/web",
            "ncr:prod/api",
            "ncr:prod/team/db",
            "ncr:prod/web",
            "swr:ns1/backend",
            "swr:ns1/frontend"
        ]
    );
    let mut registries: Vec<String> = report
        .registries
        .iter()
        .map(|r| format!("{}:{}", r.source, r.name))
        .collect();
    registries.sort();
    assert_eq!(registries, ["ncr:dev", "ncr:prod", "swr:ns1"]);
}

#[tokio::test]
async fn the_glob_is_sent_only_where_names_are_filtered_server_side() {
    let ncr = ncr_catalog("ncr");
    let mut ncr_mock = base_mock(&ncr.source, ncr_caps());
    let c = ncr.clone();
    ncr_mock
        .expect_registries_page()
        .returning(move |cursor| c.registries_page(cursor));
    let c = ncr.clone();
    ncr_mock
        .expect_repositories_page()
        .withf(|q, _| q.name_contains.is_none())
        .returning(move |q, cursor| c.repositories_page(q, cursor));
    let c = ncr.clone();
    ncr_mock
        .expect_tags_page()
        .returning(move |r, cursor| c.tags_page(r, cursor));
    let swr = swr_catalog("swr");
    let mut swr_mock = base_mock(&swr.source, swr_caps());
    let c = swr.clone();
    swr_mock
        .expect_repositories_page()
        .withf(|q, _| q.name_contains.as_deref() == Some("end"))
        .returning(move |q, cursor| c.repositories_page(q, cursor));
    swr_mock.expect_tags_page().never();
    let report = inventory(
        vec![ncr_mock, swr_mock],
        InventoryOptions::new().with_filter(Filter::all().with_repository_glob("*end")),
    )
    .collect()
    .await;
    // The server's substring match lets backend, frontend through; the glob keeps both, and
    // none of NCR's names end with "end".
    assert_eq!(
        names(&report),
        ["swr:ns1/backend", "swr:ns1/frontend", "swr:ns1-old/backend"]
    );

    let ncr = ncr_catalog("ncr");
    let report = inventory(
        vec![serving(&ncr, ncr_caps())],
        InventoryOptions::new()
            .with_depth(TagDepth::None)
            .with_filter(Filter::all().with_repository_glob("prod/*")),
    )
    .collect()
    .await;
    assert_eq!(
        names(&report),
        ["ncr:prod/api", "ncr:prod/team/db", "ncr:prod/web"]
    );
}

// ----- limits and stalls ---------------------------------------------------------------------

/// The page functions of [`Scripted`], returning futures so a test decides when they finish.
trait Pages: Send + Sync {
    fn registries(&self, cursor: Option<Cursor>) -> BoxFuture<'static, Result<Page<Registry>>>;
    fn repositories(
        &self,
        query: RepositoryQuery,
        cursor: Option<Cursor>,
    ) -> BoxFuture<'static, Result<Page<Repository>>>;
    fn tags(
        &self,
        repo: RepositoryRef,
        cursor: Option<Cursor>,
    ) -> BoxFuture<'static, Result<Page<Tag>>>;
}

mock! {
    /// Page answers as futures.
    #[derive(Debug)]
    pub Pages {}
    impl Pages for Pages {
        fn registries(&self, cursor: Option<Cursor>) -> BoxFuture<'static, Result<Page<Registry>>>;
        fn repositories(
            &self,
            query: RepositoryQuery,
            cursor: Option<Cursor>,
        ) -> BoxFuture<'static, Result<Page<Repository>>>;
        fn tags(&self, repo: RepositoryRef, cursor: Option<Cursor>) -> BoxFuture<'static, Result<Page<Tag>>>;
    }
}

/// A provider whose pages are [`MockPages`] futures, counting its requests as HTTP stats.
#[derive(Debug)]
struct Scripted {
    source: Source,
    caps: Capabilities,
    pages: MockPages,
    requests: AtomicU64,
}

impl Scripted {
    fn provider(source: Source, caps: Capabilities, pages: MockPages) -> Arc<dyn RegistryProvider> {
        Arc::new(Scripted {
            source,
            caps,
            pages,
            requests: AtomicU64::new(0),
        })
    }
}

#[async_trait]
impl RegistryProvider for Scripted {
    fn source(&self) -> &Source {
        &self.source
    }
    fn capabilities(&self) -> Capabilities {
        self.caps
    }
    fn http_stats(&self) -> HttpStatsSnapshot {
        let mut stats = HttpStatsSnapshot::default();
        stats.requests = self.requests.load(Ordering::SeqCst);
        stats
    }
    async fn registries_page(&self, cursor: Option<Cursor>) -> Result<Page<Registry>> {
        self.requests.fetch_add(1, Ordering::SeqCst);
        self.pages.registries(cursor).await
    }
    async fn repositories_page(
        &self,
        query: &RepositoryQuery,
        cursor: Option<Cursor>,
    ) -> Result<Page<Repository>> {
        self.requests.fetch_add(1, Ordering::SeqCst);
        self.pages.repositories(query.clone(), cursor).await
    }
    async fn tags_page(&self, repo: &RepositoryRef, cursor: Option<Cursor>) -> Result<Page<Tag>> {
        self.requests.fetch_add(1, Ordering::SeqCst);
        self.pages.tags(repo.clone(), cursor).await
    }
    async fn get_repository(&self, repo: &RepositoryRef) -> Result<Repository> {
        Ok(Repository::new(&self.source, &repo.registry, &repo.name))
    }
}

/// Requests in flight, and the most there ever were.
#[derive(Default)]
struct InFlight {
    now: AtomicUsize,
    peak: AtomicUsize,
}

impl InFlight {
    fn enter(&self) {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
    }
    fn leave(&self) {
        self.now.fetch_sub(1, Ordering::SeqCst);
    }
    fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}

/// Answers `result` after 10 ms (of the paused clock), counted in `counters` meanwhile.
fn slow<T: Send + 'static>(
    counters: Vec<Arc<InFlight>>,
    result: Result<T>,
) -> BoxFuture<'static, Result<T>> {
    async move {
        counters.iter().for_each(|c| c.enter());
        tokio::time::sleep(Duration::from_millis(10)).await;
        counters.iter().for_each(|c| c.leave());
        result
    }
    .boxed()
}

/// Slow pages serving `catalog`, counting in flight per source and globally.
fn slow_pages(catalog: &Catalog, mine: Arc<InFlight>, global: Arc<InFlight>) -> MockPages {
    let mut pages = MockPages::new();
    let (c, m, g) = (catalog.clone(), mine.clone(), global.clone());
    pages
        .expect_registries()
        .returning(move |cursor| slow(vec![m.clone(), g.clone()], c.registries_page(cursor)));
    let (c, m, g) = (catalog.clone(), mine.clone(), global.clone());
    pages.expect_repositories().returning(move |q, cursor| {
        slow(vec![m.clone(), g.clone()], c.repositories_page(&q, cursor))
    });
    let (c, m, g) = (catalog.clone(), mine, global);
    pages
        .expect_tags()
        .returning(move |r, cursor| slow(vec![m.clone(), g.clone()], c.tags_page(&r, cursor)));
    pages
}

/// [`MockPages`] answering `catalog`'s registries and repositories at once; the test sets its
/// tags.
fn listing_pages(catalog: &Catalog) -> MockPages {
    let mut pages = MockPages::new();
    let c = catalog.clone();
    pages
        .expect_registries()
        .returning(move |cursor| futures::future::ready(c.registries_page(cursor)).boxed());
    let c = catalog.clone();
    pages.expect_repositories().returning(move |q, cursor| {
        futures::future::ready(c.repositories_page(&q, cursor)).boxed()
    });
    pages
}

/// A catalog big enough to keep every limit busy.
fn wide_catalog(name: &str) -> Catalog {
    let repos: Vec<(String, Vec<String>)> = (0..12)
        .map(|i| {
            (
                format!("repo{i:02}"),
                (0..5).map(|t| format!("t{t}")).collect(),
            )
        })
        .collect();
    let mut catalog = Catalog::new(source(name, ProviderKind::NCP), &[]);
    for registry in ["r1", "r2", "r3"] {
        catalog
            .registries
            .insert(registry.to_string(), repos.iter().cloned().collect());
    }
    catalog
}

async fn peaks(
    global_limit: usize,
    per_source_limit: usize,
) -> (usize, Vec<usize>, InventoryReport) {
    let global = Arc::new(InFlight::default());
    let mut per_source = Vec::new();
    let mut providers = Vec::new();
    for name in ["a", "b", "c"] {
        let mine = Arc::new(InFlight::default());
        let catalog = wide_catalog(name);
        providers.push(Scripted::provider(
            catalog.source.clone(),
            ncr_caps(),
            slow_pages(&catalog, mine.clone(), global.clone()),
        ));
        per_source.push(mine);
    }
    let report = Inventory::new(providers)
        .with_options(
            InventoryOptions::new()
                .with_depth(TagDepth::Full)
                .with_concurrency(global_limit)
                .with_per_source_concurrency(per_source_limit),
        )
        .unwrap()
        .collect()
        .await;
    (
        global.peak(),
        per_source.iter().map(|p| p.peak()).collect(),
        report,
    )
}

#[tokio::test(start_paused = true)]
async fn requests_in_flight_never_exceed_the_limits() {
    let (global, per_source, report) = peaks(3, 2).await;
    assert!(report.complete, "{:?}", report.errors);
    assert_eq!(report.repositories.len(), 3 * 36);
    assert!(global <= 3, "global peak {global}");
    assert!(
        per_source.iter().all(|p| *p <= 2),
        "per-source peaks {per_source:?}"
    );
    // The limits are reached, so the test would see a limiter that let more through.
    assert_eq!(global, 3);
    assert!(per_source.contains(&2), "{per_source:?}");

    let (global, per_source, report) = peaks(32, 4).await;
    assert!(report.complete);
    assert_eq!(
        per_source,
        [4, 4, 4],
        "each source runs up to its own limit"
    );
    assert_eq!(global, 12);
    // Every page request was counted and reported: 2 registry pages... per source.
    for summary in &report.sources {
        // registries: 2 pages; repositories: 3 registries x 6 pages, the last one full, so one
        // more page each proves the total; tags: 36 repos x 3 pages.
        assert_eq!(summary.requests, 2 + 3 * (6 + 1) + 36 * 3, "{summary:?}");
        assert_eq!(summary.tags, 36 * 5);
    }
}

#[tokio::test(start_paused = true)]
async fn a_stalled_source_does_not_hold_up_the_others() {
    // Source "stuck" never answers its first tag request; the per-source limit of 1 keeps it to
    // one of the two global permits, so "fine" finishes.
    let stuck = ncr_catalog("stuck");
    let mut pages = listing_pages(&stuck);
    pages
        .expect_tags()
        .returning(|_, _| futures::future::pending().boxed());
    let fine = wide_catalog("fine");
    let providers = vec![
        Scripted::provider(stuck.source.clone(), ncr_caps(), pages),
        Scripted::provider(
            fine.source.clone(),
            ncr_caps(),
            slow_pages(
                &fine,
                Arc::new(InFlight::default()),
                Arc::new(InFlight::default()),
            ),
        ),
    ];
    let inv = Inventory::new(providers)
        .with_options(
            InventoryOptions::new()
                .with_concurrency(2)
                .with_per_source_concurrency(1),
        )
        .unwrap();
    let mut events = inv.stream();
    let mut fine_repos = 0;
    let summary = tokio::time::timeout(Duration::from_secs(3600), async {
        while let Some(event) = events.next().await {
            match event {
                InventoryEvent::Repository(r) if r.source == "fine" => fine_repos += 1,
                InventoryEvent::Repository(r) => panic!("stuck listed {}", r.full_name),
                InventoryEvent::SourceFinished(s) if s.name == "fine" => return s,
                InventoryEvent::SourceFinished(s) => panic!("{} cannot finish", s.name),
                InventoryEvent::Failure(f) => panic!("{f}"),
                InventoryEvent::Registry(_) => {}
            }
        }
        panic!("the stream ended without fine's summary");
    })
    .await
    .expect("fine finished while stuck stalls");
    assert_eq!(summary.status, SourceStatus::Ok);
    assert_eq!(summary.repositories, 36);
    assert_eq!(fine_repos, 36);
}

#[tokio::test(start_paused = true)]
async fn a_slow_source_finishes_last_and_the_stream_then_ends() {
    let slow_catalog = ncr_catalog("slow");
    let mut pages = MockPages::new();
    let c = slow_catalog.clone();
    pages.expect_registries().returning(move |cursor| {
        let page = c.registries_page(cursor);
        async move {
            tokio::time::sleep(Duration::from_secs(600)).await;
            page
        }
        .boxed()
    });
    let c = slow_catalog.clone();
    pages.expect_repositories().returning(move |q, cursor| {
        futures::future::ready(c.repositories_page(&q, cursor)).boxed()
    });
    let c = slow_catalog.clone();
    pages
        .expect_tags()
        .returning(move |r, cursor| futures::future::ready(c.tags_page(&r, cursor)).boxed());
    let fast = ncr_catalog("fast");
    let mut fast_pages = MockPages::new();
    let c = fast.clone();
    fast_pages
        .expect_registries()
        .returning(move |cursor| futures::future::ready(c.registries_page(cursor)).boxed());
    let c = fast.clone();
    fast_pages
        .expect_repositories()
        .returning(move |q, cursor| {
            futures::future::ready(c.repositories_page(&q, cursor)).boxed()
        });
    let c = fast.clone();
    fast_pages
        .expect_tags()
        .returning(move |r, cursor| futures::future::ready(c.tags_page(&r, cursor)).boxed());
    let inv = Inventory::new(vec![
        Scripted::provider(slow_catalog.source.clone(), ncr_caps(), pages),
        Scripted::provider(fast.source.clone(), ncr_caps(), fast_pages),
    ]);
    let order = Arc::new(Mutex::new(Vec::new()));
    let seen = order.clone();
    let events: Vec<InventoryEvent> = inv
        .stream()
        .inspect(move |e| {
            if let InventoryEvent::SourceFinished(s) = e {
                seen.lock().unwrap().push(s.name.clone());
            }
        })
        .collect()
        .await;
    assert_eq!(*order.lock().unwrap(), ["fast", "slow"]);
    let repos = events
        .iter()
        .filter(|e| matches!(e, InventoryEvent::Repository(_)))
        .count();
    assert_eq!(repos, 10);
}

/// Counts drops of the future it lives in.
struct DropCounter(Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test(start_paused = true)]
async fn dropping_the_stream_cancels_requests_in_flight() {
    let catalog = ncr_catalog("s");
    let dropped = Arc::new(AtomicUsize::new(0));
    let started = Arc::new(AtomicUsize::new(0));
    let mut pages = MockPages::new();
    let (d, s) = (dropped.clone(), started.clone());
    pages.expect_registries().returning(move |_| {
        let guard = DropCounter(d.clone());
        s.fetch_add(1, Ordering::SeqCst);
        async move {
            let _guard = guard;
            futures::future::pending::<()>().await;
            unreachable!("never answers")
        }
        .boxed()
    });
    pages.expect_repositories().never();
    pages.expect_tags().never();
    let inv = Inventory::new(vec![Scripted::provider(
        catalog.source.clone(),
        ncr_caps(),
        pages,
    )]);
    let mut events = inv.stream();
    // Poll until the runtime is idle (the paused clock then jumps to the timeout): the request
    // is running on its task. Then give up on the stream.
    let poll = tokio::time::timeout(Duration::from_millis(50), events.next()).await;
    assert!(poll.is_err(), "the stalled source yields nothing");
    assert_eq!(started.load(Ordering::SeqCst), 1);
    assert_eq!(dropped.load(Ordering::SeqCst), 0);
    drop(events);
    for _ in 0..100 {
        if dropped.load(Ordering::SeqCst) == 1 {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(
        dropped.load(Ordering::SeqCst),
        1,
        "the request's task was aborted"
    );
}

// ----- issue 7: parallel pages, negotiated page size, throttling in the summary ---------------

#[tokio::test]
async fn pages_after_the_first_are_fetched_with_the_per_source_concurrency() {
    let source = source("s", ProviderKind::NCP);
    let limited = crate::limiter::LimitedProvider::new(
        Arc::new(base_mock(&source, ncr_caps())),
        Arc::new(tokio::sync::Semaphore::new(32)),
        6,
    );
    assert_eq!(limited.paging_options().concurrency, 6);
    assert_eq!(
        limited.paging_options().max_pages,
        PagingOptions::default().max_pages
    );
}

#[tokio::test]
async fn the_summary_reports_the_page_size_and_throttling() {
    let catalog = ncr_catalog("s");
    let mut mock = MockProvider::new();
    mock.expect_source().return_const(catalog.source.clone());
    mock.expect_capabilities().return_const(ncr_caps());
    mock.expect_paging_options()
        .returning(PagingOptions::default);
    mock.expect_page_size().return_const(Some(25u32));
    let listed = Arc::new(AtomicU64::new(0));
    let seen = listed.clone();
    mock.expect_http_stats().returning(move || {
        // Before the listing: nothing; once it started: 3 throttled responses.
        let mut stats = HttpStatsSnapshot::default();
        if seen.load(Ordering::SeqCst) > 0 {
            stats.requests = 10;
            stats.throttled = 3;
        }
        stats
    });
    mock.expect_get_repository().never();
    let c = catalog.clone();
    mock.expect_registries_page().returning(move |cursor| {
        listed.fetch_add(1, Ordering::SeqCst);
        c.registries_page(cursor)
    });
    let c = catalog.clone();
    mock.expect_repositories_page()
        .returning(move |q, cursor| c.repositories_page(q, cursor));
    let c = catalog.clone();
    mock.expect_tags_page()
        .returning(move |r, cursor| c.tags_page(r, cursor));
    let report = Inventory::new(vec![Arc::new(mock)]).collect().await;
    let summary = &report.sources[0];
    assert_eq!(summary.page_size, Some(25));
    assert_eq!(summary.throttled, 3);
    assert_eq!(summary.requests, 10);
    // The limit is reported; it learns from the attempts themselves (through the retry
    // policy's wait hook, see the limiter's tests), not from the client's counters, so the
    // counters alone leave it where it started.
    let limit = summary.concurrency_limit.expect("the limit is reported");
    assert_eq!(limit as usize, crate::adaptive::INITIAL_LIMIT);
    assert_eq!(summary.paced_rps, None, "never paced");
    assert!(report.complete);
}

#[tokio::test(start_paused = true)]
async fn the_summary_reports_the_pace_of_a_source_throttled_at_a_rate() {
    let catalog = wide_catalog("s");
    let mut pages = listing_pages(&catalog);
    let c = catalog.clone();
    pages.expect_tags().returning(move |repo, cursor| {
        let page = c.tags_page(&repo, cursor);
        async move {
            // Every tag page's first attempt is throttled (`Retry-After: 0`), the second goes
            // through: half the attempts, as a gateway answers a client sending twice its rate.
            crate::core::RetryPolicy::default()
                .run(
                    true,
                    |attempt| async move {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        if attempt == 1 {
                            return Err(Error::from_status(429, "slow down")
                                .with_retry_after(Some(Duration::ZERO)));
                        }
                        Ok(())
                    },
                    |_, _| {},
                )
                .await?;
            page
        }
        .boxed()
    });
    let provider = Scripted::provider(catalog.source.clone(), ncr_caps(), pages);
    let report = Inventory::new(vec![provider]).collect().await;
    assert!(report.complete, "{:?}", report.errors);
    let paced = report.sources[0].paced_rps.expect("the pace is reported");
    assert!(paced >= 1, "{paced}");
}

// ----- issue 13.4: the listing's read-ahead sized to the depth ------------------------------

/// Never asked: an incremental run's store, for the options test below.
#[derive(Debug)]
struct NoReuse;

#[async_trait]
impl TagReuse for NoReuse {
    async fn tags(&self, _repo: &Repository, _depth: TagDepth) -> Option<Vec<Tag>> {
        None
    }
}

/// The source run `Inventory::indexed_events` would make for a provider of `caps` at `depth`,
/// with a per-source cap of `per_source`.
fn source_run(
    caps: Capabilities,
    depth: TagDepth,
    details: bool,
    reuse: Option<Arc<dyn TagReuse>>,
    per_source: usize,
) -> SourceRun {
    let source = source("s", ProviderKind::NCP);
    let provider = LimitedProvider::new(
        Arc::new(base_mock(&source, caps)),
        Arc::new(Semaphore::new(per_source)),
        per_source,
    );
    SourceRun {
        provider: Arc::new(provider),
        source: source.clone(),
        capabilities: caps,
        depth,
        details,
        registry_rows: false,
        fanout: per_source * 2,
        matcher: Arc::new(RepositoryMatcher::everything()),
        reuse,
        reused: AtomicU64::new(0),
        progress: InventoryProgress::new([&source]).start(0),
    }
}

#[tokio::test]
async fn listings_read_ahead_by_the_fanout_where_each_repository_costs_requests() {
    let default = PagingOptions::default().read_ahead_items;
    let reuse: Arc<dyn TagReuse> = Arc::new(NoReuse);
    for (caps, depth, details, reuse, expected) in [
        // A request (or more) per repository: the fan-out of 2 x 16 sets the pace.
        (ncr_caps(), TagDepth::Full, false, None, 32),
        (swr_caps(), TagDepth::Full, false, None, 32),
        (ncr_caps(), TagDepth::Names, false, None, 32),
        (swr_caps(), TagDepth::None, true, None, 32),
        // The listing itself is all there is to wait for: the provider's read-ahead.
        (ncr_caps(), TagDepth::None, false, None, default),
        (swr_caps(), TagDepth::Names, false, None, default),
        // An incremental run takes most tags from the store, without a request.
        (
            ncr_caps(),
            TagDepth::Full,
            false,
            Some(reuse.clone()),
            default,
        ),
    ] {
        let run = source_run(caps, depth, details, reuse, 16);
        let options = run.listing_paging_options();
        assert_eq!(
            options.read_ahead_items, expected,
            "{depth} details={details}"
        );
        // Everything else is the provider's (through the limiter).
        assert_eq!(options.concurrency, 16);
        assert_eq!(options.max_pages, PagingOptions::default().max_pages);
        // The pages in flight hold no more than that, but there is always one.
        for page in [10, 100, 1000] {
            assert_eq!(
                options.pages_in_flight(page),
                (expected / page).clamp(1, 16) as usize,
                "{depth}: pages of {page}"
            );
        }
    }
}

#[tokio::test]
async fn a_full_listing_with_a_small_read_ahead_is_still_complete() {
    // 3 registries x 12 repositories in pages of 2, at full depth with a fan-out of 4: the
    // read-ahead of 4 items keeps two pages in flight per listing, and nothing is lost.
    let catalog = wide_catalog("s");
    let inv = Inventory::new(vec![Arc::new(serving(&catalog, ncr_caps()))])
        .with_options(
            InventoryOptions::new()
                .with_depth(TagDepth::Full)
                .with_per_source_concurrency(2),
        )
        .unwrap();
    let report = inv.collect().await;
    assert!(report.complete, "{:?}", report.errors);
    assert_eq!(report.repositories.len(), 36);
    assert!(report
        .repositories
        .iter()
        .all(|r| r.tags.as_ref().is_some_and(|t| !t.is_empty())));
}
