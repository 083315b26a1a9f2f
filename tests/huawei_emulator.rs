//! The Huawei SWR backend against the emulator over real HTTP: signing, paging with
//! `Content-Range`, filters, `$` paths, token and temporary credentials, errors, retries, and a
//! server that lies about its total.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use reginv_core::{
    Cursor, Error, ErrorKind, HttpClientConfig, PagingOptions, Registry, RegistryProvider,
    RegistryProviderExt, Repository, RepositoryQuery, RepositoryRef, RetryPolicy, Tag,
};
use reginv_emulator::{Emulator, Faults, Fixture, FixtureSizes};
use reginv_huawei::{HuaweiConfig, HuaweiCredentials, HuaweiProvider};

const REPOS_ROUTE: &str = "GET /v2/manage/repos";
const TAGS_ROUTE: &str = "GET /v2/manage/namespaces/{namespace}/repos/{repository}/tags";

/// A safety net against hangs; never a timing assertion.
const SAFETY_NET: Duration = Duration::from_secs(120);

async fn start(fixture: Fixture, faults: Faults) -> Emulator {
    Emulator::builder()
        .fixture(fixture)
        .faults(faults)
        .start()
        .await
        .expect("the emulator starts")
}

/// Quick retries so fault tests stay short: enough attempts to outlast the emulator's cap of
/// consecutive faults (3).
fn fast_http() -> HttpClientConfig {
    let mut http = HttpClientConfig::default();
    http.retry = RetryPolicy::new(
        6,
        Duration::from_millis(5),
        Duration::from_millis(100),
        Duration::from_secs(60),
    );
    http
}

fn config(emu: &Emulator, page_size: u32) -> HuaweiConfig {
    HuaweiConfig::new("swr-emu", "ap-southeast-1")
        .with_endpoint(emu.swr_endpoint())
        .with_credentials(HuaweiCredentials::AkSk(emu.swr_credentials()))
        .with_page_size(page_size)
        .with_http(fast_http())
}

fn provider(emu: &Emulator, page_size: u32) -> Arc<HuaweiProvider> {
    Arc::new(HuaweiProvider::new(config(emu, page_size)).expect("provider"))
}

async fn repos_of(
    p: &Arc<HuaweiProvider>,
    query: RepositoryQuery,
) -> Result<Vec<Repository>, Error> {
    tokio::time::timeout(SAFETY_NET, p.list_repositories(query).try_collect())
        .await
        .expect("the listing ended")
}

async fn tags_of(p: &Arc<HuaweiProvider>, repo: RepositoryRef) -> Result<Vec<Tag>, Error> {
    tokio::time::timeout(SAFETY_NET, p.list_tags(repo).try_collect())
        .await
        .expect("the listing ended")
}

/// `namespace/repo` → tag names, from the fixture.
fn fixture_repos(fixture: &Fixture) -> BTreeMap<String, Vec<String>> {
    fixture
        .swr
        .namespaces
        .iter()
        .flat_map(|ns| {
            ns.repos.iter().map(move |r| {
                (
                    format!("{}/{}", ns.name, r.name),
                    r.tags.iter().map(|t| t.name.clone()).collect(),
                )
            })
        })
        .collect()
}

/// `full_name` → listed tag names; fails on a repository listed twice.
fn listed(repos: &[Repository]) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for r in repos {
        let tags = r
            .tags
            .as_ref()
            .expect("the listing carries tag names")
            .iter()
            .map(|t| t.name.clone())
            .collect();
        assert!(
            out.insert(r.full_name.clone(), tags).is_none(),
            "{} listed twice",
            r.full_name
        );
    }
    out
}

fn generated(seed: u64, namespaces: usize, repos: usize, max_tags: usize) -> Fixture {
    Fixture::generate(
        seed,
        FixtureSizes {
            registries: namespaces,
            total_repositories: Some(repos),
            min_tags: 0,
            max_tags,
            ..FixtureSizes::default()
        },
    )
}

fn swr_fixture(json: &str) -> Fixture {
    Fixture::from_json(&format!(r#"{{"ncp": {{}}, "swr": {json}}}"#)).expect("fixture")
}

#[tokio::test]
async fn lists_every_repository_exactly_once_across_page_boundaries() {
    let fixture = generated(11, 3, 23, 4);
    let emu = start(fixture.clone(), Faults::none()).await;
    let want = fixture_repos(&emu.fixture());
    assert_eq!(want.len(), 23);
    for limit in [1u32, 7, 100, 1000] {
        emu.reset_stats();
        let p = provider(&emu, limit);
        let repos = repos_of(&p, RepositoryQuery::all()).await.unwrap();
        assert_eq!(listed(&repos), want, "limit {limit}");
        // One request per page, and one more only when the last page is full (the total
        // might be short of the real count): the total ended the listing.
        let pages = 23u64 / u64::from(limit) + 1;
        assert_eq!(emu.stats().count(REPOS_ROUTE, 200), pages, "limit {limit}");
        assert_eq!(emu.stats().requests, pages, "limit {limit}");
        assert_eq!(p.http_stats().requests, pages);
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn large_listings_cross_pages_of_100_and_1000() {
    let fixture = generated(12, 4, 2345, 2);
    let emu = start(fixture, Faults::none()).await;
    let want = fixture_repos(&emu.fixture());
    assert_eq!(want.len(), 2345);
    for limit in [100u32, 1000] {
        emu.reset_stats();
        let p = provider(&emu, limit);
        let repos = repos_of(&p, RepositoryQuery::all()).await.unwrap();
        assert_eq!(listed(&repos), want, "limit {limit}");
        assert_eq!(
            emu.stats().count(REPOS_ROUTE, 200),
            2345u64.div_ceil(u64::from(limit))
        );
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn pages_fetched_in_parallel_from_the_announced_total_are_complete() {
    let fixture = generated(13, 3, 250, 3);
    let emu = start(fixture, Faults::none()).await;
    let want = fixture_repos(&emu.fixture());
    let p = Arc::new(
        HuaweiProvider::new(
            config(&emu, 7).with_paging(PagingOptions::default().with_concurrency(8)),
        )
        .unwrap(),
    );
    let repos = repos_of(&p, RepositoryQuery::all()).await.unwrap();
    assert_eq!(listed(&repos), want);
    assert_eq!(emu.stats().count(REPOS_ROUTE, 200), 250u64.div_ceil(7));

    // Any offset cursor is honoured, as the parallel fetch relies on.
    let cursor = Cursor::Offset {
        offset: 14,
        limit: 7,
    };
    let page = p
        .repositories_page(&RepositoryQuery::all(), Some(cursor.clone()))
        .await
        .unwrap();
    assert_eq!(page.cursor, cursor);
    assert_eq!(page.total, Some(250));
    let names: Vec<&str> = page.items.iter().map(|r| r.full_name.as_str()).collect();
    let expected: Vec<&str> = repos[14..21].iter().map(|r| r.full_name.as_str()).collect();
    assert_eq!(names, expected);
    assert_eq!(
        page.next,
        Some(Cursor::Offset {
            offset: 21,
            limit: 7
        })
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn lists_namespaces_as_registries() {
    let fixture = generated(14, 5, 10, 1);
    let emu = start(fixture, Faults::none()).await;
    let p = provider(&emu, 100);
    let registries: Vec<Registry> = p.list_registries().try_collect().await.unwrap();
    let names: BTreeSet<String> = registries.iter().map(|r| r.name.clone()).collect();
    let want: BTreeSet<String> = emu
        .fixture()
        .swr
        .namespaces
        .iter()
        .map(|n| n.name.clone())
        .collect();
    assert_eq!(names, want);
    assert!(registries.iter().all(|r| r.extra.contains_key("auth")));
    let page = p.registries_page(None).await.unwrap();
    assert_eq!(page.total, Some(5));
    assert_eq!(page.next, None);
    assert_eq!(p.list_namespaces().await.unwrap().len(), 5);
    emu.shutdown().await;
}

/// Namespaces whose names contain one another, so SWR's fuzzy filter over-matches.
const NESTED_NAMESPACES: &str = r#"{"namespaces": [
    {"name": "a-team", "repos": [{"name": "app1"}, {"name": "app2"}, {"name": "web/app"}]},
    {"name": "team", "repos": [{"name": "app"}, {"name": "team/app", "tags": [{"name": "v1"}]},
                               {"name": "tools"}, {"name": "zz-app"}]},
    {"name": "team-b", "repos": [{"name": "app"}, {"name": "db"}]}
]}"#;

#[tokio::test]
async fn the_namespace_filter_keeps_only_that_namespace() {
    let emu = start(swr_fixture(NESTED_NAMESPACES), Faults::none()).await;
    for limit in [1u32, 2, 100] {
        emu.reset_stats();
        let p = provider(&emu, limit);
        let repos = repos_of(&p, RepositoryQuery::in_registry("team"))
            .await
            .unwrap();
        let names: Vec<&str> = repos.iter().map(|r| r.full_name.as_str()).collect();
        assert_eq!(
            names,
            ["team/app", "team/team/app", "team/tools", "team/zz-app"],
            "limit {limit}"
        );
        // The server was asked for the namespace and matched fuzzily; its extra rows were
        // dropped, and pages holding only such rows were skipped (not taken as the end). A
        // filtered listing has no total it can trust, so an empty page ends it.
        assert_eq!(
            emu.stats().count(REPOS_ROUTE, 200),
            9u64.div_ceil(u64::from(limit)) + 1,
            "limit {limit}"
        );
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn the_name_filter_is_an_exact_substring_match() {
    let emu = start(swr_fixture(NESTED_NAMESPACES), Faults::none()).await;
    let p = provider(&emu, 2);
    let repos = repos_of(&p, RepositoryQuery::all().with_name_contains("app"))
        .await
        .unwrap();
    let names: BTreeSet<&str> = repos.iter().map(|r| r.full_name.as_str()).collect();
    let want: BTreeSet<&str> = [
        "a-team/app1",
        "a-team/app2",
        "a-team/web/app",
        "team/app",
        "team/team/app",
        "team/zz-app",
        "team-b/app",
    ]
    .into();
    assert_eq!(names, want);

    let repos = repos_of(
        &p,
        RepositoryQuery::in_registry("team").with_name_contains("/"),
    )
    .await
    .unwrap();
    let names: Vec<&str> = repos.iter().map(|r| r.full_name.as_str()).collect();
    assert_eq!(names, ["team/team/app"]);

    let none = repos_of(&p, RepositoryQuery::in_registry("nobody"))
        .await
        .unwrap();
    assert!(none.is_empty());
    emu.shutdown().await;
}

#[tokio::test]
async fn names_with_slashes_travel_as_dollars() {
    let emu = start(Fixture::sample(), Faults::none()).await;
    let fixture = emu.fixture();
    let p = provider(&emu, 100);
    let all = repos_of(&p, RepositoryQuery::all()).await.unwrap();
    let slashed: Vec<&Repository> = all.iter().filter(|r| r.name.contains('/')).collect();
    assert!(!slashed.is_empty(), "the sample has names with '/'");
    for repo in slashed {
        let r = RepositoryRef::from(repo);
        let detail = p.get_repository(&r).await.unwrap();
        assert_eq!(detail.full_name, repo.full_name);
        let tags = tags_of(&p, r.clone()).await.unwrap();
        let want: Vec<String> = fixture
            .swr
            .namespaces
            .iter()
            .find(|n| n.name == r.registry)
            .and_then(|n| n.repos.iter().find(|x| x.name == r.name))
            .map(|x| x.tags.iter().map(|t| t.name.clone()).collect())
            .unwrap();
        let got: Vec<String> = tags.iter().map(|t| t.name.clone()).collect();
        assert_eq!(got, want, "{r}");
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn tags_are_paged_with_full_details() {
    let tags: Vec<String> = (0..25)
        .map(|i| {
            format!(
                r#"{{"name": "v{i:02}", "size": {}, "digest": "sha256:{i:064}",
                    "created": "2024-01-01T00:00:{i:02}Z", "updated": "2024-02-01T00:00:{i:02}Z"}}"#,
                1000 + i
            )
        })
        .collect();
    let fixture = swr_fixture(&format!(
        r#"{{"namespaces": [{{"name": "group", "repos": [{{"name": "team/app", "tags": [{}]}}]}}]}}"#,
        tags.join(",")
    ));
    let emu = start(fixture, Faults::none()).await;
    let want: Vec<String> = (0..25).map(|i| format!("v{i:02}")).collect();
    for limit in [1u32, 7, 100] {
        emu.reset_stats();
        let p = provider(&emu, limit);
        let got = tags_of(&p, RepositoryRef::new("group", "team/app"))
            .await
            .unwrap();
        let names: Vec<String> = got.iter().map(|t| t.name.clone()).collect();
        assert_eq!(names, want, "limit {limit}");
        assert_eq!(
            emu.stats().count(TAGS_ROUTE, 200),
            25u64 / u64::from(limit) + 1,
            "limit {limit}"
        );
        let first = &got[0];
        assert_eq!(first.size_bytes, Some(1000));
        assert_eq!(
            first.digest.as_deref(),
            Some(format!("sha256:{:064}", 0).as_str())
        );
        assert_eq!(
            first.created_at.map(|t| t.to_rfc3339()),
            Some("2024-01-01T00:00:00+00:00".to_string())
        );
        assert!(first.updated_at > first.created_at);
        for key in ["image_id", "id", "repo_id", "path"] {
            assert!(first.extra.contains_key(key), "{key}");
        }
        // The fixture gives no manifest: an empty one is not kept.
        assert!(!first.extra.contains_key("manifest") && !first.extra.contains_key("manifest_raw"));
        assert!(first.is_index.is_some() && first.scanned.is_some());
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn multi_platform_tags_carry_their_platforms() {
    let fixture = generated(15, 2, 40, 6);
    let emu = start(fixture, Faults::none()).await;
    let fixture = emu.fixture();
    let p = provider(&emu, 100);
    let mut seen_multi = false;
    for ns in &fixture.swr.namespaces {
        for repo in &ns.repos {
            let tags = tags_of(&p, RepositoryRef::new(&ns.name, &repo.name))
                .await
                .unwrap();
            assert_eq!(tags.len(), repo.tags.len());
            for (got, want) in tags.iter().zip(&repo.tags) {
                assert_eq!(got.name, want.name);
                assert_eq!(got.digest.as_deref(), Some(want.digest.as_str()));
                assert_eq!(got.size_bytes, Some(want.size));
                assert_eq!(got.created_at, Some(want.created));
                assert_eq!(got.updated_at, Some(want.updated));
                assert_eq!(got.is_index, Some(want.tag_type == 1), "{}", got.name);
                assert_eq!(got.scanned, Some(want.scanned), "{}", got.name);
                if want.tag_type == 1 {
                    seen_multi = true;
                    assert!(got.platforms.len() >= 2, "{}", got.name);
                    assert!(got.platforms.iter().all(|p| p.os.is_some()));
                }
            }
        }
    }
    assert!(seen_multi, "the fixture has multi-platform tags");
    emu.shutdown().await;
}

#[tokio::test]
async fn get_repository_maps_the_detail_and_reports_not_found() {
    let emu = start(Fixture::sample(), Faults::none()).await;
    let fixture = emu.fixture();
    let ns = &fixture.swr.namespaces[0];
    let want = &ns.repos[0];
    let p = provider(&emu, 100);
    let r = p
        .get_repository(&RepositoryRef::new(&ns.name, &want.name))
        .await
        .unwrap();
    assert_eq!(r.registry, ns.name);
    assert_eq!(r.name, want.name);
    assert_eq!(r.size_bytes, Some(want.size));
    assert_eq!(r.public, Some(want.is_public));
    assert_eq!(r.tag_count, Some(want.tags.len() as u64));
    assert_eq!(r.pull_count, Some(want.num_download));
    assert_eq!(r.created_at, Some(want.created));
    assert_eq!(r.updated_at, Some(want.updated));
    assert!(r
        .pull_uri
        .as_deref()
        .is_some_and(|u| u.ends_with(&r.full_name)));
    for key in ["id", "ns_id", "creator_name", "category", "internal_path"] {
        assert!(r.extra.contains_key(key), "{key}");
    }

    let missing = RepositoryRef::new(&ns.name, "no/such-repo");
    let err = p.get_repository(&missing).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.status(), Some(404));
    assert!(err
        .context()
        .code
        .as_deref()
        .is_some_and(|c| c.starts_with("SVCSTG.SWR.404")));
    assert_eq!(err.context().operation.as_deref(), Some("get_repository"));
    assert_eq!(
        err.context().target.as_deref(),
        Some(format!("{}/no/such-repo", ns.name).as_str())
    );
    assert!(err.context().request_id.is_some(), "{err}");
    emu.shutdown().await;
}

#[tokio::test]
async fn token_and_temporary_credentials_work() {
    let emu = start(Fixture::sample(), Faults::none()).await;
    let want = fixture_repos(&emu.fixture());
    let token = Arc::new(
        HuaweiProvider::new(
            config(&emu, 2).with_credentials(HuaweiCredentials::Token(emu.swr_token())),
        )
        .unwrap(),
    );
    let repos = repos_of(&token, RepositoryQuery::all()).await.unwrap();
    assert_eq!(listed(&repos), want);

    let keys = emu.swr_credentials();
    let temporary = Arc::new(
        HuaweiProvider::new(
            config(&emu, 2)
                .with_credentials(HuaweiCredentials::Temporary {
                    keys,
                    security_token: "sts-token".into(),
                })
                .with_project_id("0123456789abcdef0123456789abcdef"),
        )
        .unwrap(),
    );
    let repos = repos_of(&temporary, RepositoryQuery::all()).await.unwrap();
    assert_eq!(listed(&repos), want);

    let bad_token = Arc::new(
        HuaweiProvider::new(
            config(&emu, 2).with_credentials(HuaweiCredentials::token("not-the-token")),
        )
        .unwrap(),
    );
    let err = repos_of(&bad_token, RepositoryQuery::all())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_bad_secret_is_an_authentication_error_sent_once() {
    let emu = start(Fixture::sample(), Faults::none()).await;
    let ak = emu.swr_credentials().access_key;
    let p = Arc::new(
        HuaweiProvider::new(
            config(&emu, 100).with_credentials(HuaweiCredentials::aksk(ak, "wrong-secret")),
        )
        .unwrap(),
    );
    let err = repos_of(&p, RepositoryQuery::all()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication, "{err}");
    assert_eq!(err.status(), Some(401));
    assert_eq!(
        err.context().operation.as_deref(),
        Some("list_repositories")
    );
    assert!(err.context().code.is_some(), "{err}");
    assert!(!err.to_string().contains("wrong-secret"));
    // Exactly one request: a 401 is never retried (five bad signatures lock a key).
    assert_eq!(emu.stats().requests, 1);
    assert_eq!(emu.stats().auth_failures, 1);
    assert_eq!(p.http_stats().requests, 1);
    assert_eq!(p.http_stats().retries, 0);
    emu.shutdown().await;
}

#[tokio::test]
async fn throttling_and_server_errors_are_retried_through() {
    let fixture = generated(16, 3, 30, 3);
    for faults in [
        Faults {
            throttle_rate: 1.0,
            retry_after_secs: 0,
            ..Faults::none()
        },
        Faults {
            server_error_rate: 1.0,
            ..Faults::none()
        },
        Faults {
            drop_rate: 1.0,
            ..Faults::none()
        },
        Faults {
            seed: 5,
            throttle_rate: 0.2,
            server_error_rate: 0.2,
            drop_rate: 0.2,
            ..Faults::none()
        },
    ] {
        let emu = start(fixture.clone(), faults.clone()).await;
        let want = fixture_repos(&emu.fixture());
        let p = provider(&emu, 7);
        let repos = repos_of(&p, RepositoryQuery::all()).await.unwrap();
        assert_eq!(listed(&repos), want, "{faults:?}");
        let first = RepositoryRef::from(&repos[0]);
        let tags = tags_of(&p, first.clone()).await.unwrap();
        assert_eq!(
            tags.iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
            want[&repos[0].full_name],
            "{faults:?}"
        );
        let stats = emu.stats();
        assert!(stats.faults_injected > 0, "{faults:?}");
        assert!(p.http_stats().retries > 0, "{faults:?}");
        emu.shutdown().await;
    }
}

#[tokio::test]
async fn a_truncated_body_is_retried_and_a_lasting_one_names_operation_and_target() {
    // Cut off up to three times in a row: every listing completes, retried.
    let emu = start(
        Fixture::sample(),
        Faults {
            truncate_rate: 1.0,
            ..Faults::none()
        },
    )
    .await;
    let p = provider(&emu, 100);
    let repos = repos_of(&p, RepositoryQuery::in_registry("acme"))
        .await
        .unwrap();
    assert!(!repos.is_empty());
    let tags = tags_of(&p, RepositoryRef::new("acme", "team/app"))
        .await
        .unwrap();
    assert!(!tags.is_empty());
    assert!(emu.stats().truncated > 0);
    assert_eq!(p.http_stats().retries, emu.stats().truncated);

    // Cut off every time: a network error that says so, with the operation and target.
    emu.set_faults(Faults {
        truncate_rate: 1.0,
        max_consecutive_faults: 100,
        ..Faults::none()
    });
    let err = repos_of(&p, RepositoryQuery::in_registry("acme"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert!(err.to_string().contains("cut off"), "{err}");
    assert_eq!(
        err.context().operation.as_deref(),
        Some("list_repositories")
    );
    assert_eq!(err.context().target.as_deref(), Some("acme"));

    let err = tags_of(&p, RepositoryRef::new("acme", "team/app"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert_eq!(err.context().operation.as_deref(), Some("list_tags"));
    assert_eq!(err.context().target.as_deref(), Some("acme/team/app"));
    emu.shutdown().await;
}

#[tokio::test]
async fn a_server_that_announces_a_wrong_total_ends_with_an_error() {
    let fixture = generated(17, 2, 20, 30);
    for (skew, limit, concurrency) in [(5i64, 7u32, 1usize), (5, 7, 4), (-3, 7, 1), (1000, 20, 1)] {
        let emu = start(
            fixture.clone(),
            Faults {
                total_skew: skew,
                ..Faults::none()
            },
        )
        .await;
        let p = Arc::new(
            HuaweiProvider::new(
                config(&emu, limit)
                    .with_paging(PagingOptions::default().with_concurrency(concurrency)),
            )
            .unwrap(),
        );
        let err = repos_of(&p, RepositoryQuery::all()).await.unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::Protocol,
            "skew {skew}, limit {limit}: {err}"
        );
        assert_eq!(
            err.context().operation.as_deref(),
            Some("list_repositories")
        );

        // The same for tags (a total announced too low can only be caught when the pages
        // deliver more than it, so only the skews that announce more are tried).
        if skew < 0 {
            emu.shutdown().await;
            continue;
        }
        let fixture = emu.fixture();
        let (ns, repo) = fixture
            .swr
            .namespaces
            .iter()
            .flat_map(|n| n.repos.iter().map(move |r| (n, r)))
            .find(|(_, r)| r.tags.len() > limit as usize)
            .expect("a repository with more than one page of tags");
        let err = tags_of(&p, RepositoryRef::new(&ns.name, &repo.name))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "skew {skew}: {err}");
        emu.shutdown().await;
    }
}
