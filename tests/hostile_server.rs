//! The real NCR and SWR providers, with real signing, against a scripted hostile server on
//! 127.0.0.1: short pages, totals that contradict the data, a server that ignores the page asked
//! for, redirects to another server, absurd totals, endless bodies and rejected credentials.
//! Each scenario checks the guarantee the README states: a listing reported complete has every
//! item the server announced (otherwise the items received are kept and the failure recorded);
//! credentials go only to the configured endpoint; nothing a server sends balloons the process.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reginv::core::{
    AccessKeyPair, ErrorKind, HttpClientConfig, PagingOptions, RegistryProvider, RetryPolicy,
};
use reginv::huawei::{HuaweiConfig, HuaweiCredentials, HuaweiProvider};
use reginv::ncp::signing::{NcpSigner, ACCESS_KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use reginv::ncp::{NcpConfig, NcpProvider, NcpRegion};
use reginv::{Config, Environment, Filter, Inventory, InventoryOptions, InventoryReport, TagDepth};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const AK: &str = "AK-HOSTILE";
const SK: &str = "sk-hostile-do-not-leak-0123456789";

/// One request the server saw.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    query: BTreeMap<String, String>,
    headers: BTreeMap<String, String>,
}

impl Seen {
    fn number(&self, key: &str) -> Option<u64> {
        self.query.get(key).and_then(|v| v.parse().ok())
    }
}

/// What the server answers.
enum Body {
    Text(String),
    /// A chunked body of 64 KiB chunks, at most 100 MiB, until the client hangs up.
    Endless,
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Body,
}

fn json_reply(value: Value) -> Reply {
    Reply {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: Body::Text(value.to_string()),
    }
}

impl Reply {
    fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// A scripted HTTP/1.1 server: one request per connection, answered by its handler.
struct Hostile {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Body bytes written by `Body::Endless` replies.
    streamed: Arc<AtomicU64>,
}

impl Hostile {
    async fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Hostile {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let streamed = Arc::new(AtomicU64::new(0));
        let (log, bytes) = (seen.clone(), streamed.clone());
        let handler = Arc::new(handler);
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let (log, bytes, handler) = (log.clone(), bytes.clone(), handler.clone());
                tokio::spawn(serve_one(sock, log, bytes, handler));
            }
        });
        Hostile {
            base: format!("http://{addr}"),
            seen,
            streamed,
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn count(&self, path_prefix: &str) -> usize {
        self.seen()
            .iter()
            .filter(|s| s.path.starts_with(path_prefix))
            .count()
    }
}

async fn serve_one(
    mut sock: tokio::net::TcpStream,
    log: Arc<Mutex<Vec<Seen>>>,
    streamed: Arc<AtomicU64>,
    handler: Arc<impl Fn(&Seen) -> Reply>,
) {
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
    let target = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or("")
        .to_string();
    let headers: BTreeMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let query = query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let seen = Seen {
        path: path.to_string(),
        query,
        headers,
    };
    log.lock().unwrap().push(seen.clone());
    let reply = handler(&seen);
    let mut head = format!(
        "HTTP/1.1 {} Scripted\r\nconnection: close\r\n",
        reply.status
    );
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    match reply.body {
        Body::Text(text) => {
            head.push_str(&format!("content-length: {}\r\n\r\n", text.len()));
            head.push_str(&text);
            let _ = sock.write_all(head.as_bytes()).await;
        }
        Body::Endless => {
            head.push_str("transfer-encoding: chunked\r\n\r\n");
            if sock.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let piece = format!("10000\r\n{}\r\n", "[".repeat(0x10000));
            for _ in 0..1600 {
                if sock.write_all(piece.as_bytes()).await.is_err() {
                    return;
                }
                streamed.fetch_add(0x10000, Ordering::SeqCst);
            }
        }
    }
    let _ = sock.shutdown().await;
}

fn http_config() -> HttpClientConfig {
    let mut http = HttpClientConfig::default();
    http.retry = RetryPolicy::new(
        2,
        Duration::from_millis(1),
        Duration::from_millis(5),
        Duration::from_secs(10),
    );
    http
}

fn swr(server: &Hostile, page_size: u32, concurrency: usize) -> Arc<dyn RegistryProvider> {
    swr_with(server, page_size, concurrency, http_config())
}

fn swr_with(
    server: &Hostile,
    page_size: u32,
    concurrency: usize,
    http: HttpClientConfig,
) -> Arc<dyn RegistryProvider> {
    let config = HuaweiConfig::new("swr-hostile", "ap-southeast-1")
        .with_endpoint(server.base.clone())
        .with_credentials(HuaweiCredentials::aksk(AK, SK))
        .with_page_size(page_size)
        .with_http(http)
        .with_paging(PagingOptions::default().with_concurrency(concurrency));
    Arc::new(HuaweiProvider::new(config).unwrap())
}

/// The SWR source asking for its repository listing's second page with the first.
fn swr_speculative(
    server: &Hostile,
    page_size: u32,
    concurrency: usize,
) -> Arc<dyn RegistryProvider> {
    let config = HuaweiConfig::new("swr-hostile", "ap-southeast-1")
        .with_endpoint(server.base.clone())
        .with_credentials(HuaweiCredentials::aksk(AK, SK))
        .with_page_size(page_size)
        .with_http(http_config())
        .with_paging(PagingOptions::default().with_concurrency(concurrency))
        .with_speculative_paging(true);
    Arc::new(HuaweiProvider::new(config).unwrap())
}

fn ncr(server: &Hostile, page_size: u32, concurrency: usize) -> Arc<dyn RegistryProvider> {
    ncr_with(server, page_size, concurrency, http_config())
}

fn ncr_with(
    server: &Hostile,
    page_size: u32,
    concurrency: usize,
    http: HttpClientConfig,
) -> Arc<dyn RegistryProvider> {
    let config = NcpConfig::new("ncr-hostile", NcpRegion::Kr)
        .with_endpoint(server.base.clone())
        .with_credentials(AccessKeyPair::new(AK, SK))
        .with_page_size(page_size)
        .with_http(http)
        .with_paging(PagingOptions::default().with_concurrency(concurrency));
    Arc::new(NcpProvider::new(config).unwrap())
}

async fn inventory(provider: Arc<dyn RegistryProvider>) -> InventoryReport {
    Inventory::new(vec![provider])
        .with_options(InventoryOptions::new().with_depth(TagDepth::None))
        .unwrap()
        .collect()
        .await
}

/// The report lists `kept` repositories, is incomplete, and its one failure is a protocol
/// error whose message contains `says`.
fn assert_incomplete(report: &InventoryReport, kept: usize, says: &str) {
    assert!(!report.complete, "reported complete: {:?}", report.sources);
    assert_eq!(
        report.repositories.len(),
        kept,
        "the items received are kept"
    );
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    let failure = &report.errors[0];
    assert_eq!(failure.kind, ErrorKind::Protocol, "{failure}");
    assert!(failure.message.contains(says), "{failure}");
}

fn assert_complete(report: &InventoryReport, count: usize) {
    assert!(report.complete, "{:?}", report.errors);
    assert_eq!(report.repositories.len(), count);
    let mut names: Vec<&str> = report
        .repositories
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    names.dedup();
    assert_eq!(names.len(), count, "every repository exactly once");
}

// ---------------------------------------------------------------------------------------------
// SWR shapes: `GET /v2/manage/repos?limit=&offset=`, a bare JSON array and `Content-Range`.

const SWR_REPOS: &str = "/v2/manage/repos";

fn swr_repos(names: impl Iterator<Item = u64>) -> Value {
    Value::Array(
        names
            .map(|i| json!({"name": format!("app{i:05}"), "namespace": "group", "tags": []}))
            .collect(),
    )
}

/// An SWR repository listing of `real` repositories that sends at most `cap` per page and
/// announces `total` (no `Content-Range` when `None`).
fn swr_listing(real: u64, cap: u64, total: Option<u64>) -> impl Fn(&Seen) -> Reply {
    move |seen| {
        assert!(
            seen.headers
                .get("authorization")
                .is_some_and(|a| a.starts_with("SDK-HMAC-SHA256 Access=AK-HOSTILE")),
            "unsigned: {seen:?}"
        );
        let offset = seen.number("offset").unwrap_or(0);
        let limit = seen.number("limit").unwrap_or(100);
        assert_eq!(
            offset % limit,
            0,
            "SWR wants offsets that are multiples of the limit"
        );
        let end = real.min(offset + limit.min(cap));
        let reply = json_reply(swr_repos(offset..end));
        match total {
            Some(t) => reply.with_header(
                "content-range",
                format!("{offset}-{}/{t}", end.saturating_sub(1)),
            ),
            None => reply,
        }
    }
}

// NCR shapes: `{"count", "next", "previous", "results"}` paged by `page`/`pagesize`.

const NCR_IMAGES: &str = "/ncr/api/v2/repositories/reg";

fn ncr_signature_ok(seen: &Seen) -> bool {
    let (Some(ts), Some(ak), Some(sig)) = (
        seen.headers.get(TIMESTAMP_HEADER),
        seen.headers.get(ACCESS_KEY_HEADER),
        seen.headers.get(SIGNATURE_HEADER),
    ) else {
        return false;
    };
    let query: Vec<String> = seen.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let target = if query.is_empty() {
        seen.path.clone()
    } else {
        // The provider sends page before pagesize, which sorts the same way.
        format!("{}?{}", seen.path, query.join("&"))
    };
    let signer = NcpSigner::new(AccessKeyPair::new(ak.clone(), SK));
    ts.parse::<u64>()
        .is_ok_and(|ts| signer.signature("GET", &target, ts) == *sig)
}

/// An NCR server with one registry `reg`, whose image listing `images` answers from
/// `(page, pagesize)`.
fn ncr_server(
    images: impl Fn(u64, u64) -> Value + Send + Sync + 'static,
) -> impl Fn(&Seen) -> Reply {
    move |seen| {
        assert!(ncr_signature_ok(seen), "bad signature: {seen:?}");
        let page = seen.number("page").unwrap_or(1);
        let size = seen.number("pagesize").unwrap_or(100);
        if seen.path == "/ncr/api/v2/repositories" {
            let results = if page == 1 {
                vec![json!({"name": "reg"})]
            } else {
                vec![]
            };
            return json_reply(json!({"count": 1, "next": null, "results": results}));
        }
        assert_eq!(seen.path, NCR_IMAGES, "{seen:?}");
        json_reply(images(page, size))
    }
}

fn ncr_images(range: std::ops::Range<u64>) -> Vec<Value> {
    range
        .map(|i| json!({"name": format!("app{i:05}")}))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// 1. Short pages.

#[tokio::test]
async fn swr_short_pages_lose_nothing_with_or_without_content_range() {
    for (total, concurrency) in [(Some(250), 1), (Some(250), 4), (None, 1)] {
        let server = Hostile::start(swr_listing(250, 50, total)).await;
        let report = inventory(swr(&server, 100, concurrency)).await;
        assert_complete(&report, 250);
        assert!(
            server.count(SWR_REPOS) <= 250 / 50 + 2,
            "{}",
            server.count(SWR_REPOS)
        );
    }
}

#[tokio::test]
async fn ncr_short_pages_are_a_recorded_failure_not_a_complete_listing() {
    // Pages of 100 asked, 50 sent; the server's `next` and `count` as NCR computes them.
    let server = Hostile::start(ncr_server(|page, size| {
        let start = (page - 1) * size;
        let results = ncr_images(start.min(250)..(start + 50).min(250));
        let next = (page * size < 250).then_some(page + 1);
        json!({"count": 250, "next": next, "results": results})
    }))
    .await;
    let report = inventory(ncr(&server, 100, 1)).await;
    assert_incomplete(&report, 150, "announced 250 items but delivered 150");
}

// 2. Totals that contradict the data.

#[tokio::test]
async fn swr_total_on_a_page_boundary_below_the_real_count_fails_loudly() {
    for concurrency in [1, 4] {
        let server = Hostile::start(swr_listing(300, 1000, Some(200))).await;
        let report = inventory(swr(&server, 100, concurrency)).await;
        assert_incomplete(&report, 200, "more than the 200 it announced");
    }
}

#[tokio::test]
async fn ncr_count_above_a_null_next_fails_loudly() {
    let server = Hostile::start(ncr_server(|page, _| {
        let results = if page == 1 { ncr_images(0..1) } else { vec![] };
        json!({"count": 3, "next": null, "results": results})
    }))
    .await;
    let report = inventory(ncr(&server, 100, 1)).await;
    assert_incomplete(&report, 1, "announced 3 items but delivered 1");
    assert_eq!(
        server.count(NCR_IMAGES),
        2,
        "checked once more, then stopped"
    );
}

// 2b. SWR's speculative second page (`speculative_paging`): the same guarantees.

/// The offsets the server was asked for in the repository listing, sorted.
fn swr_offsets(server: &Hostile) -> Vec<u64> {
    let mut offsets: Vec<u64> = server
        .seen()
        .iter()
        .filter(|s| s.path.starts_with(SWR_REPOS))
        .filter_map(|s| s.number("offset"))
        .collect();
    offsets.sort_unstable();
    offsets
}

#[tokio::test]
async fn swr_speculative_paging_keeps_every_guarantee() {
    for concurrency in [1, 4] {
        // Three pages: the speculative request is page 2, asked once.
        let server = Hostile::start(swr_listing(250, 1000, Some(250))).await;
        let report = inventory(swr_speculative(&server, 100, concurrency)).await;
        assert_complete(&report, 250);
        assert_eq!(swr_offsets(&server), vec![0, 100, 200], "c{concurrency}");

        // One page: at most one request more than without speculation (none when the first
        // page's answer came before the speculative request was sent: it is then aborted).
        let server = Hostile::start(swr_listing(60, 1000, Some(60))).await;
        let report = inventory(swr_speculative(&server, 100, concurrency)).await;
        assert_complete(&report, 60);
        let offsets = swr_offsets(&server);
        assert!(
            offsets == [0] || offsets == [0, 100],
            "c{concurrency}: {offsets:?}"
        );

        // Short pages (50 of 100 sent): the speculative page is not the next one; nothing lost.
        let server = Hostile::start(swr_listing(250, 50, Some(250))).await;
        let report = inventory(swr_speculative(&server, 100, concurrency)).await;
        assert_complete(&report, 250);

        // A total on a page boundary below the real count: the speculative page is the page
        // that finds the rest, and the listing fails as it does without speculation.
        let server = Hostile::start(swr_listing(300, 1000, Some(100))).await;
        let report = inventory(swr_speculative(&server, 100, concurrency)).await;
        assert_incomplete(&report, 100, "more than the 100 it announced");

        // A server that ignores the offset: the speculative page repeats the first.
        let server = Hostile::start(|_: &Seen| {
            json_reply(swr_repos(0..100)).with_header("content-range", "0-99/100000")
        })
        .await;
        let report = inventory(swr_speculative(&server, 100, concurrency)).await;
        assert_incomplete(&report, 100, "same item");
    }
}

// 3. A server that ignores offset / page.

#[tokio::test]
async fn a_server_ignoring_offset_or_page_is_stopped_at_once() {
    for concurrency in [1, 4] {
        // SWR: always the first 100 of 100,000.
        let server = Hostile::start(|_: &Seen| {
            json_reply(swr_repos(0..100)).with_header("content-range", "0-99/100000")
        })
        .await;
        let report = inventory(swr(&server, 100, concurrency)).await;
        assert_incomplete(&report, 100, "same item");
        // Bounded by the pages in flight (the inventory's per-source concurrency, 8, applies
        // to the pages after the first), not by the 100,000-page cap.
        let bound = 1 + 8 + 2;
        assert!(
            server.count(SWR_REPOS) <= bound,
            "{}",
            server.count(SWR_REPOS)
        );

        // NCR: always page 1 of 100,000.
        let server = Hostile::start(ncr_server(
            |_, _| json!({"count": 100_000, "next": 2, "results": ncr_images(0..100)}),
        ))
        .await;
        let report = inventory(ncr(&server, 100, concurrency)).await;
        assert_incomplete(&report, 100, "same item");
        assert!(
            server.count(NCR_IMAGES) <= bound,
            "{}",
            server.count(NCR_IMAGES)
        );
    }
}

// 4. Redirects never take credentials to another server.

#[tokio::test]
async fn redirects_are_never_followed_so_no_credential_reaches_a_second_server() {
    let stranger = Hostile::start(|_: &Seen| json_reply(json!([]))).await;
    let location = format!("{}/v2/manage/repos?limit=100&offset=0", stranger.base);
    let moved = location.clone();
    let server = Hostile::start(move |_: &Seen| Reply {
        status: 302,
        headers: vec![("location".into(), moved.clone())],
        body: Body::Text(String::new()),
    })
    .await;
    for provider in [swr(&server, 100, 1), ncr(&server, 100, 1)] {
        let report = inventory(provider).await;
        assert!(!report.complete);
        let failure = &report.errors[0];
        assert_eq!(failure.kind, ErrorKind::Protocol, "{failure}");
        assert_eq!(failure.status, Some(302));
        assert!(failure.message.contains(&location), "{failure}");
    }
    assert!(server.seen().len() >= 2);
    let leaked = stranger.seen();
    assert!(leaked.is_empty(), "a second server got {leaked:?}");
}

// 7. Absurd totals.

#[tokio::test]
async fn absurd_totals_are_protocol_errors_after_one_request() {
    for total in ["1000000000000", "18446744073709551615"] {
        for concurrency in [1, 8] {
            let range = format!("0-0/{total}");
            let server = Hostile::start(move |_: &Seen| {
                json_reply(swr_repos(0..1)).with_header("content-range", range.clone())
            })
            .await;
            let report = inventory(swr(&server, 100, concurrency)).await;
            assert_incomplete(&report, 1, "plausible");
            assert_eq!(server.count(SWR_REPOS), 1);
        }
    }
    for count in [json!("1e20"), json!(u64::MAX), json!(99_999_999_999u64)] {
        for concurrency in [1, 8] {
            let count = count.clone();
            let server = Hostile::start(ncr_server(
                move |_, _| json!({"count": count, "next": 2, "results": ncr_images(0..1)}),
            ))
            .await;
            let report = inventory(ncr(&server, 100, concurrency)).await;
            assert_incomplete(&report, 1, "plausible");
            assert_eq!(server.count(NCR_IMAGES), 1);
        }
    }
}

// 8. Bodies past the cap.

#[tokio::test]
async fn an_endless_body_fails_at_the_cap_without_being_read() {
    let endless = |_: &Seen| Reply {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: Body::Endless,
    };
    let mut http = http_config();
    http.max_body_bytes = 1024 * 1024;
    for vendor in ["swr", "ncr"] {
        let server = Hostile::start(endless).await;
        let provider = match vendor {
            "swr" => swr_with(&server, 100, 1, http.clone()),
            _ => ncr_with(&server, 100, 1, http.clone()),
        };
        let report = inventory(provider).await;
        assert!(!report.complete, "{vendor}");
        let failure = &report.errors[0];
        assert_eq!(failure.kind, ErrorKind::Protocol, "{vendor}: {failure}");
        assert!(failure.message.contains("max_body_bytes"), "{failure}");
        // The server could write the cap and what the sockets buffer, never the 100 MiB.
        let streamed = server.streamed.load(Ordering::SeqCst);
        assert!(
            streamed < 50 * 1024 * 1024,
            "{vendor}: {streamed} bytes streamed"
        );
    }
}

// 5. Rejected credentials stop the source.

#[tokio::test]
async fn rejected_credentials_stop_the_source_after_one_request() {
    let swr_401 = |_: &Seen| {
        Reply {
        status: 401,
        headers: vec![],
        body: Body::Text(
            json!({"error_code": "APIGW.0301", "error_msg": "Incorrect IAM authentication information"})
                .to_string(),
        ),
    }
    };
    let ncr_401 = |_: &Seen| Reply {
        status: 401,
        headers: vec![],
        body: Body::Text(
            json!({"error": {"errorCode": "200", "message": "Authentication Failed"}}).to_string(),
        ),
    };
    for (kind, region, server) in [
        ("huawei", "ap-southeast-1", Hostile::start(swr_401).await),
        ("ncp", "kr", Hostile::start(ncr_401).await),
    ] {
        let toml = format!(
            r#"[[providers]]
name = "src"
kind = "{kind}"
region = "{region}"
endpoint = "{}"
access_key = "{AK}"
secret_key_env = "MY_WRONG_SK"
"#,
            server.base
        );
        let config = Config::from_toml_str(&toml, "reginv.toml").unwrap();
        let env = Environment::from_vars([("MY_WRONG_SK", SK)]);
        let mut filter = Filter::all();
        for name in ["reg", "a", "b", "c", "d"] {
            filter = filter.with_registry(name);
        }
        let report = Inventory::from_config_in(&config, &env)
            .unwrap()
            .with_options(
                InventoryOptions::new()
                    .with_depth(TagDepth::Full)
                    .with_filter(filter),
            )
            .unwrap()
            .collect()
            .await;
        assert!(!report.complete);
        assert_eq!(
            server.seen().len(),
            1,
            "{kind}: one bad signature, then nothing"
        );
        assert_eq!(report.sources[0].requests, 1);
        assert!(!report.errors.is_empty());
        for failure in &report.errors {
            assert_eq!(failure.kind, ErrorKind::Authentication, "{failure}");
            assert!(
                failure.message.contains("MY_WRONG_SK"),
                "{kind}: the failure names where the secret came from: {failure}"
            );
            assert!(!failure.message.contains(SK), "{failure}");
        }
    }
}

// 2, against the emulator of both vendors: `--total-skew=-500` (every announced total 500 below
// the real count).

#[tokio::test]
async fn the_emulator_announcing_500_fewer_fails_loudly_for_both_vendors() {
    use reginv_emulator::{Emulator, Faults, Fixture, FixtureSizes};
    let fixture = Fixture::generate(
        7,
        FixtureSizes {
            ncp_regions: vec!["kr".into()],
            registries: 1,
            repositories_per_registry: 700,
            total_repositories: Some(700),
            min_tags: 0,
            max_tags: 0,
        },
    );
    let emu = Emulator::builder()
        .fixture(fixture)
        .faults(Faults {
            total_skew: -500,
            ..Faults::none()
        })
        .start()
        .await
        .expect("the emulator starts");
    let ncr = NcpConfig::new("ncr-emu", NcpRegion::Kr)
        .with_endpoint(emu.ncp_endpoint())
        .with_credentials(emu.ncp_credentials())
        .with_page_size(100)
        .with_http(http_config());
    let swr = HuaweiConfig::new("swr-emu", "ap-southeast-1")
        .with_endpoint(emu.swr_endpoint())
        .with_credentials(HuaweiCredentials::AkSk(emu.swr_credentials()))
        .with_page_size(100)
        .with_http(http_config());
    let providers: [Arc<dyn RegistryProvider>; 2] = [
        Arc::new(NcpProvider::new(ncr).unwrap()),
        Arc::new(HuaweiProvider::new(swr).unwrap()),
    ];
    for provider in providers {
        let name = provider.source().name.clone();
        let report = inventory(provider).await;
        assert!(!report.complete, "{name}: 500 repositories lost silently");
        assert!(
            report
                .errors
                .iter()
                .any(|f| f.kind == ErrorKind::Protocol && f.message.contains("more than the")),
            "{name}: {:?}",
            report.errors
        );
    }
    emu.shutdown().await;
}
