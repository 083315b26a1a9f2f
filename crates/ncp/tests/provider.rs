//! NcpProvider against a small scripted NCR server on 127.0.0.1: exact request targets and
//! signatures, paging with any cursor, the registry cache, errors and decoding.
//! (Behaviour against the full emulator lives in the workspace's `tests/ncp_emulator.rs`.)

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::TryStreamExt;
use reginv_core::{
    AccessKeyPair, Cursor, ErrorKind, HttpClientConfig, RegistryProvider, RegistryProviderExt,
    RepositoryQuery, RepositoryRef, RetryPolicy,
};
use reginv_ncp::signing::{NcpSigner, ACCESS_KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use reginv_ncp::{NcpConfig, NcpProvider, NcpRegion};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const AK: &str = "AKTEST";
const SK: &str = "sk-do-not-leak-0123456789";

/// One request the server saw.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    target: String,
    body: String,
    signature_ok: bool,
}

/// What the handler answers: status, extra headers, body.
type Reply = (u16, Vec<(&'static str, String)>, String);

/// A scripted HTTP/1.1 server: one request per connection, answered by `handler`.
struct Server {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    async fn start(handler: impl Fn(&str, &str, &str) -> Reply + Send + Sync + 'static) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let handler = Arc::new(handler);
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let log = log.clone();
                let handler = handler.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    let head_end = loop {
                        let n = sock.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i + 4;
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                    let mut lines = head.split("\r\n");
                    let mut first = lines.next().unwrap_or("").split(' ');
                    let method = first.next().unwrap_or("").to_string();
                    let target = first.next().unwrap_or("").to_string();
                    let headers: BTreeMap<String, String> = lines
                        .filter_map(|l| l.split_once(':'))
                        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                        .collect();
                    let length: usize = headers
                        .get("content-length")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    while buf.len() < head_end + length {
                        let n = sock.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            break;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                    }
                    let body = String::from_utf8_lossy(&buf[head_end..]).to_string();
                    let signature_ok = match (
                        headers.get(TIMESTAMP_HEADER),
                        headers.get(ACCESS_KEY_HEADER),
                        headers.get(SIGNATURE_HEADER),
                    ) {
                        (Some(ts), Some(ak), Some(sig)) => {
                            let signer = NcpSigner::new(AccessKeyPair::new(ak.clone(), SK));
                            ts.parse::<u64>()
                                .map(|ts| signer.signature(&method, &target, ts) == *sig)
                                .unwrap_or(false)
                        }
                        _ => false,
                    };
                    log.lock().unwrap().push(Seen {
                        method: method.clone(),
                        target: target.clone(),
                        body: body.clone(),
                        signature_ok,
                    });
                    let (status, extra, reply) = handler(&method, &target, &body);
                    let mut response = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
                        reply.len()
                    );
                    for (k, v) in extra {
                        response.push_str(&format!("{k}: {v}\r\n"));
                    }
                    response.push_str("\r\n");
                    response.push_str(&reply);
                    let _ = sock.write_all(response.as_bytes()).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
        Server {
            base: format!("http://{addr}"),
            seen,
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn targets(&self) -> Vec<String> {
        self.seen().into_iter().map(|s| s.target).collect()
    }
}

fn ok(body: Value) -> Reply {
    (200, vec![], body.to_string())
}

fn provider(server: &Server, region: NcpRegion, page_size: u32) -> Arc<NcpProvider> {
    let mut http = HttpClientConfig::default();
    http.retry = RetryPolicy::new(
        3,
        Duration::from_millis(1),
        Duration::from_millis(20),
        Duration::from_secs(10),
    );
    let config = NcpConfig::new("ncp-test", region)
        .with_endpoint(server.base.clone())
        .with_credentials(AccessKeyPair::new(AK, SK))
        .with_page_size(page_size)
        .with_http(http);
    Arc::new(NcpProvider::new(config).unwrap())
}

/// `n` items of `page` (1-based) of `size` out of `total`, NCR style.
fn envelope(items: Vec<Value>, page: u64, size: u64, total: u64) -> Value {
    let next = (page * size < total).then_some(page + 1);
    let previous = (page > 1).then(|| page - 1);
    json!({"count": total, "next": next, "previous": previous, "results": items})
}

fn query_of(target: &str) -> (String, u64, u64) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut page = 1;
    let mut size = 100;
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("page", v)) => page = v.parse().unwrap(),
            Some(("pagesize", v)) => size = v.parse().unwrap(),
            _ => {}
        }
    }
    (path.to_string(), page, size)
}

/// Registries `reg0..reg{n}` and, in each, images `team/app{i}`; every image has tags.
fn catalogue(
    prefix: &'static str,
    registries: u64,
    images: u64,
) -> impl Fn(&str, &str, &str) -> Reply {
    move |method, target, _body| {
        assert_eq!(method, "GET");
        let (path, page, size) = query_of(target);
        let Some(rest) = path.strip_prefix(prefix) else {
            return (
                404,
                vec![],
                json!({"error": {"errorCode": "300", "message": "no such prefix"}}).to_string(),
            );
        };
        let slice = |total: u64, make: &dyn Fn(u64) -> Value| {
            let start = (page - 1) * size;
            let items = (start..total.min(start + size)).map(make).collect();
            ok(envelope(items, page, size, total))
        };
        let parts: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
        match parts.as_slice() {
            ["repositories"] => slice(registries, &|i| {
                json!({"name": format!("reg{i}"), "end_point": format!("reg{i}.kr.ncr.ntruss.com"),
                       "public_reg_status": i % 2 == 0, "created": 1711695272000u64 + i,
                       "scan_on_push_enabled": true, "bucket": format!("bucket{i}")})
            }),
            ["repositories", reg] => {
                let reg = reg.to_string();
                slice(images, &move |i| {
                    json!({"name": format!("team/app{i}"), "namespace": reg, "pull_count": i,
                           "last_updated": 1711928488000u64, "description": "d"})
                })
            }
            ["repositories", _reg, image] if image.contains("%2F") => {
                ok(json!({"name": image.replace("%2F", "/"), "pull_count": 7,
                          "tag_mutability_enabled": true, "last_updated": 0}))
            }
            ["repositories", _reg, image, "tags"] if image.contains("%2F") => slice(3, &|i| {
                json!({"name": format!("v{i}"), "digest": format!("sha256:{i}"), "full_size": 100 + i,
                       "images": [{"os": "linux", "architecture": "amd64", "latest_pulled": 0},
                                  {"os": "linux", "architecture": "arm64", "variant": "v8",
                                   "latest_pulled": 1711928488000u64}]})
            }),
            ["repositories", _reg, image, "tags", tag] if image.contains("%2F") => {
                ok(json!({"name": tag, "digest": "sha256:abc", "full_size": 5,
                          "images": [{"os": "linux", "architecture": "amd64"}]}))
            }
            _ => (
                404,
                vec![],
                json!({"error": {"errorCode": 300, "message": "Not Found"}}).to_string(),
            ),
        }
    }
}

#[tokio::test]
async fn lists_everything_with_signed_percent_encoded_targets() {
    let server = Server::start(catalogue("/ncr/sgn-api/v2", 3, 5)).await;
    let p = provider(&server, NcpRegion::Sgn, 2);
    let repos: Vec<_> = p
        .list_repositories(RepositoryQuery::all())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(repos.len(), 15);
    let first = &repos[0];
    assert_eq!(first.full_name, "reg0/team/app0");
    assert_eq!(
        first.pull_uri.as_deref(),
        Some("reg0.kr.ncr.ntruss.com/team/app0")
    );
    assert_eq!(first.public, Some(true));
    assert_eq!(repos[5].public, Some(false));
    assert_eq!(first.region, "sgn");
    let tags: Vec<_> = p
        .list_tags(RepositoryRef::new("reg1", "team/app2"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["v0", "v1", "v2"]
    );
    assert_eq!(tags[0].platforms.len(), 2);
    assert!(tags[0].last_pulled_at.is_some());

    let seen = server.seen();
    assert!(seen.iter().all(|s| s.signature_ok), "{seen:?}");
    let targets = server.targets();
    // Registries: 2 pages; images: 3 pages per registry; no extra registry lookups.
    assert_eq!(
        targets
            .iter()
            .filter(|t| t.starts_with("/ncr/sgn-api/v2/repositories?"))
            .count(),
        2,
        "{targets:?}"
    );
    assert!(targets.contains(&"/ncr/sgn-api/v2/repositories/reg2?page=3&pagesize=2".to_string()));
    assert!(targets.contains(
        &"/ncr/sgn-api/v2/repositories/reg1/team%2Fapp2/tags?page=2&pagesize=2".to_string()
    ));
    assert_eq!(targets.len(), 2 + 9 + 2);
}

#[tokio::test]
async fn registry_metadata_is_fetched_once_not_per_repository() {
    let server = Server::start(catalogue("/ncr/api/v2", 5, 7)).await;
    let p = provider(&server, NcpRegion::Kr, 2);
    // Straight to one registry's images: the registry listing (3 pages) is fetched once.
    let repos: Vec<_> = p
        .list_repositories(RepositoryQuery::in_registry("reg4"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(repos.len(), 7);
    assert!(repos
        .iter()
        .all(|r| r.pull_uri.as_deref().unwrap().starts_with("reg4.kr.ncr")));
    let again: Vec<_> = p
        .list_repositories(RepositoryQuery::in_registry("reg3"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(again[0].public, Some(false));
    let repo = p
        .get_repository(&RepositoryRef::new("reg2", "team/app1"))
        .await
        .unwrap();
    assert_eq!(
        repo.pull_uri.as_deref(),
        Some("reg2.kr.ncr.ntruss.com/team/app1")
    );
    // An unknown registry after a complete listing costs no new listing.
    let missing = p.get_registry("nope").await.unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    let targets = server.targets();
    let registry_pages = targets
        .iter()
        .filter(|t| t.starts_with("/ncr/api/v2/repositories?"))
        .count();
    assert_eq!(registry_pages, 3, "{targets:?}");
    let reg = p.get_registry("reg1").await.unwrap();
    assert_eq!(reg.extra["bucket"], json!("bucket1"));
    assert_eq!(reg.scan_on_push, Some(true));
}

#[tokio::test]
async fn any_cursor_is_honoured_and_totals_give_the_remaining_pages() {
    let server = Server::start(catalogue("/ncr/jpn-api/v2", 1, 10)).await;
    let p = provider(&server, NcpRegion::Jpn, 3);
    let q = RepositoryQuery::in_registry("reg0");
    let first = p.repositories_page(&q, None).await.unwrap();
    assert_eq!(first.cursor, Cursor::Page { number: 1, size: 3 });
    assert_eq!(first.next, Some(Cursor::Page { number: 2, size: 3 }));
    assert_eq!(first.total, Some(10));
    let rest: Vec<Cursor> = first.remaining_cursors().collect();
    assert_eq!(rest.len(), 3);
    // Fetch the remaining pages concurrently, out of order.
    let pages = futures::future::try_join_all(
        rest.iter()
            .rev()
            .map(|c| p.repositories_page(&q, Some(c.clone()))),
    )
    .await
    .unwrap();
    let mut names: Vec<String> = first.items.iter().map(|r| r.name.clone()).collect();
    for page in pages.iter().rev() {
        names.extend(page.items.iter().map(|r| r.name.clone()));
    }
    assert_eq!(
        names,
        (0..10).map(|i| format!("team/app{i}")).collect::<Vec<_>>()
    );
    assert_eq!(pages[0].next, None, "the last page has no next");
    let page = p
        .repositories_page(&q, Some(Cursor::Page { number: 2, size: 4 }))
        .await
        .unwrap();
    assert_eq!(page.items[0].name, "team/app4");
    assert!(server
        .targets()
        .contains(&"/ncr/jpn-api/v2/repositories/reg0?page=2&pagesize=4".into()));

    let err = p
        .repositories_page(
            &q,
            Some(Cursor::Offset {
                offset: 0,
                limit: 5,
            }),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    let err = p
        .repositories_page(&q, Some(Cursor::Page { number: 0, size: 5 }))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    let err = p
        .repositories_page(&RepositoryQuery::all(), None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(!p.capabilities().lists_repositories_across_registries);
}

#[tokio::test]
async fn get_tag_and_get_repository_use_percent_encoded_paths() {
    let server = Server::start(catalogue("/ncr/api/v2", 1, 1)).await;
    let p = provider(&server, NcpRegion::Kr, 100);
    let repo = RepositoryRef::new("reg0", "team/app0");
    let tag = p.get_tag(&repo, "v1.0").await.unwrap();
    assert_eq!(tag.name, "v1.0");
    assert_eq!(tag.digest.as_deref(), Some("sha256:abc"));
    assert_eq!(tag.platforms[0].architecture.as_deref(), Some("amd64"));
    let detail = p.get_repository(&repo).await.unwrap();
    assert_eq!(detail.pull_count, Some(7));
    assert_eq!(detail.updated_at, None);
    assert_eq!(
        detail.tag_immutable,
        Some(false),
        "tag_mutability_enabled: true"
    );
    let targets = server.targets();
    assert!(targets.contains(&"/ncr/api/v2/repositories/reg0/team%2Fapp0/tags/v1.0".into()));
    assert!(targets.contains(&"/ncr/api/v2/repositories/reg0/team%2Fapp0".into()));
    let err = p
        .get_tag(&RepositoryRef::new("reg0", "plain"), "x")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.context().operation.as_deref(), Some("get_tag"));
    assert_eq!(err.context().target.as_deref(), Some("reg0/plain:x"));
    assert_eq!(err.context().code.as_deref(), Some("300"));
}

#[tokio::test]
async fn create_registry_posts_the_bucket_and_a_conflict_is_typed() {
    let server = Server::start(|method, target, body| {
        assert_eq!(method, "POST");
        if target.ends_with("/taken") {
            (
                409,
                vec![],
                json!({"error": {"errorCode": "409", "message": "already exists"}}).to_string(),
            )
        } else {
            assert!(body.contains("\"bucket\""));
            (
                201,
                vec![],
                json!({"returnCode": "201", "returnMessage": "Registry Creation is successful"})
                    .to_string(),
            )
        }
    })
    .await;
    let p = provider(&server, NcpRegion::Kr, 100);
    p.create_registry("fresh", "bucket-1").await.unwrap();
    let err = p.create_registry("taken", "bucket-2").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.context().operation.as_deref(), Some("create_registry"));
    assert_eq!(err.context().target.as_deref(), Some("taken"));
    let seen = server.seen();
    assert_eq!(seen.len(), 2, "a conflict is not retried");
    assert_eq!(seen[0].target, "/ncr/api/v2/repositories/fresh");
    assert!(seen.iter().all(|s| s.method == "POST"));
    assert_eq!(
        serde_json::from_str::<Value>(&seen[0].body).unwrap(),
        json!({"bucket": "bucket-1"})
    );
    assert!(seen.iter().all(|s| s.signature_ok));
}

#[tokio::test]
async fn bad_credentials_are_not_retried_and_throttling_is() {
    let calls = Arc::new(Mutex::new(0u32));
    let counter = calls.clone();
    let server = Server::start(move |_, target, _| {
        if target.contains("/denied") {
            return (401, vec![], json!({"error": {"errorCode": "200", "message": "Authentication Failed", "details": "Invalid authentication information."}}).to_string());
        }
        let mut n = counter.lock().unwrap();
        *n += 1;
        match *n {
            1 => (429, vec![("retry-after", "0".to_string())], json!({"error": {"errorCode": 420, "message": "rate limited"}}).to_string()),
            2 => (503, vec![], "<html>down</html>".to_string()),
            _ => ok(json!({"count": 0, "next": null, "previous": null, "results": []})),
        }
    })
    .await;
    let p = provider(&server, NcpRegion::Kr, 10);
    let err = p
        .repositories_page(&RepositoryQuery::in_registry("denied"), None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert_eq!(err.context().target.as_deref(), Some("denied"));
    assert_eq!(
        err.context().operation.as_deref(),
        Some("list_repositories")
    );
    assert!(err.message().contains("Authentication Failed"));
    assert_eq!(p.http_stats().requests, 1);
    assert!(!format!("{err:?}").contains(SK));
    // The credentials were rejected: this provider sends nothing more.
    let err = p.registries_page(None).await.unwrap_err();
    assert!(err.message().contains("not sent"), "{err}");
    assert_eq!(p.http_stats().requests, 1);

    let p = provider(&server, NcpRegion::Kr, 10);
    let page = p.registries_page(None).await.unwrap();
    assert!(page.items.is_empty());
    let stats = p.http_stats();
    assert_eq!(stats.requests, 3);
    assert_eq!(stats.retries, 2);
}

#[tokio::test]
async fn a_body_that_is_not_the_documented_json_is_a_decode_error_with_context() {
    let server = Server::start(|_, target, _| {
        if target.contains("/tags") {
            (
                200,
                vec![],
                // Complete JSON, not the documented shape (a cut-off body is retried instead).
                r#"{"count": 2, "next": null, "results": [{"name": ["v1"]}]}"#.to_string(),
            )
        } else if target.contains("/repositories/reg?") {
            ok(json!({"count": 1, "results": [{"pull_count": 1}]}))
        } else {
            ok(json!({"count": 1, "results": [{"name": "reg"}]}))
        }
    })
    .await;
    let p = provider(&server, NcpRegion::Kr, 10);
    let err = p
        .tags_page(&RepositoryRef::new("reg", "team/app"), None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(err.context().operation.as_deref(), Some("list_tags"));
    assert_eq!(err.context().target.as_deref(), Some("reg/team/app"));
    assert!(err.to_string().contains("list_tags"), "{err}");
    assert_eq!(p.http_stats().retries, 0, "a decode error is final");

    let err = p
        .repositories_page(&RepositoryQuery::in_registry("reg"), None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.message().contains("entry 0"), "{err}");
    assert_eq!(err.context().target.as_deref(), Some("reg"));
}

#[test]
fn construction_checks_and_debug_hides_the_secret() {
    let config = NcpConfig::new("n", NcpRegion::Kr)
        .with_credentials(AccessKeyPair::new(AK, SK))
        .with_page_size(0);
    assert_eq!(
        NcpProvider::new(config).unwrap_err().kind(),
        ErrorKind::InvalidConfig
    );
    let config = NcpConfig::new("n", NcpRegion::Kr)
        .with_credentials(AccessKeyPair::new(AK, SK))
        .with_endpoint("http://10.1.2.3:8080");
    let err = NcpProvider::new(config).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    assert_eq!(err.context().source.as_deref(), Some("n"));
    let p = NcpProvider::new(
        NcpConfig::new("n", NcpRegion::GovKrs).with_credentials(AccessKeyPair::new(AK, SK)),
    )
    .unwrap();
    assert_eq!(
        p.api_base(),
        "https://gov-ncr.apigw.gov-ntruss.com/ncr/krs/v2"
    );
    assert_eq!(p.source().region, "gov-krs");
    let debug = format!("{p:?}");
    assert!(debug.contains(AK));
    assert!(!debug.contains(SK), "{debug}");
}

#[tokio::test]
async fn a_refused_page_size_is_halved_and_remembered() {
    let server = Server::start(|_, target, _| {
        let (_, page, size) = query_of(target);
        if size > 25 {
            return (
                400,
                vec![],
                json!({"error": {"errorCode": "100", "message": "invalid pagesize"}}).to_string(),
            );
        }
        ok(envelope(
            vec![json!({"name": format!("reg{page}")})],
            page,
            size,
            1,
        ))
    })
    .await;
    let p = provider(&server, NcpRegion::Kr, 100);
    assert_eq!(p.page_size(), Some(100));
    let regs: Vec<_> = p.list_registries().try_collect().await.unwrap();
    assert_eq!(regs.len(), 1);
    assert_eq!(p.page_size(), Some(25));
    let sizes: Vec<u64> = server.targets().iter().map(|t| query_of(t).2).collect();
    assert_eq!(sizes, [100, 50, 25]);
    // An explicit cursor is sent as given, never renegotiated.
    let err = p
        .registries_page(Some(Cursor::Page {
            number: 1,
            size: 40,
        }))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert_eq!(server.targets().len(), 4);
}

#[tokio::test]
async fn empty_names_are_refused_before_anything_is_sent() {
    let server = Server::start(catalogue("/ncr/api/v2", 1, 1)).await;
    let p = provider(&server, NcpRegion::Kr, 10);
    let empty_image = RepositoryRef::new("reg0", "");
    let errors = [
        p.repositories_page(&RepositoryQuery::in_registry(""), None)
            .await
            .unwrap_err(),
        p.tags_page(&empty_image, None).await.unwrap_err(),
        p.get_repository(&empty_image).await.unwrap_err(),
        p.get_tag(&RepositoryRef::new("reg0", "team/app0"), "")
            .await
            .unwrap_err(),
        p.create_registry("", "bucket").await.unwrap_err(),
        p.create_registry("name", " ").await.unwrap_err(),
    ];
    for err in errors {
        assert_eq!(err.kind(), ErrorKind::InvalidRequest, "{err}");
        assert!(err.context().operation.is_some());
    }
    assert!(server.seen().is_empty());
}
