//! The OCI Distribution read API over raw HTTP: catalog and tag paging with `Link`, manifests,
//! indexes and configs with exact digests, the error body, Basic and Bearer token auth.

mod common;

use std::collections::BTreeSet;

use common::client;
use reginv_emulator::{Emulator, Fixture, FixtureSizes, OciAuth};
use serde_json::Value;
use sha2::{Digest, Sha256};

const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const ACCEPT_ALL: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";

struct Got {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Got {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    fn error_code(&self) -> String {
        let v = self.json();
        let e = &v["errors"][0];
        assert!(e["message"].is_string() && e.get("detail").is_some(), "{v}");
        e["code"].as_str().unwrap().to_string()
    }
}

async fn request(
    emu: &Emulator,
    method: reqwest::Method,
    path: &str,
    headers: &[(&str, &str)],
) -> Got {
    let mut builder = client().request(method, format!("{}{path}", emu.oci_endpoint()));
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    let r = builder.send().await.unwrap();
    Got {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        body: r.bytes().await.unwrap().to_vec(),
    }
}

async fn get(emu: &Emulator, path: &str) -> Got {
    request(emu, reqwest::Method::GET, path, &[("accept", ACCEPT_ALL)]).await
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Follows `Link: <…>; rel="next"` from `first`, collecting `key` of every page.
async fn all_pages(emu: &Emulator, first: &str, key: &str) -> (Vec<String>, usize) {
    let mut next = Some(first.to_string());
    let mut items = Vec::new();
    let mut pages = 0;
    while let Some(path) = next.take() {
        let r = get(emu, &path).await;
        assert_eq!(r.status, 200, "{path}");
        pages += 1;
        for item in r.json()[key].as_array().cloned().unwrap_or_default() {
            items.push(item.as_str().unwrap().to_string());
        }
        if let Some(link) = r.header("link") {
            let (target, rel) = link.split_once(';').unwrap();
            assert_eq!(rel.trim(), "rel=\"next\"", "{link}");
            next = Some(target.trim_matches(['<', '>', ' ']).to_string());
        }
        assert!(pages < 1000);
    }
    (items, pages)
}

/// The sample's repositories as OCI names (`registry/name`, `namespace/name`), sorted.
const SAMPLE_NAMES: [&str; 13] = [
    "acme-data/etl/spark-jobs",
    "acme-data/postgres-backup",
    "acme-prod/legacy_billing",
    "acme-prod/payments/api",
    "acme-prod/payments/worker",
    "acme-prod/tools/ci-runner",
    "acme-prod/web-frontend",
    "acme-public/sdk.examples/hello-world",
    "acme-sg/payments/api",
    "acme/busybox",
    "acme/sandbox_tmp",
    "acme/team/app",
    "acme/web.portal",
];

#[tokio::test]
async fn catalog_and_tags_page_with_link_headers() {
    let emu = Emulator::builder().start().await.unwrap();
    let base = get(&emu, "/v2/").await;
    assert_eq!(base.status, 200);
    assert_eq!(
        base.header("docker-distribution-api-version"),
        Some("registry/2.0")
    );
    let want: Vec<String> = SAMPLE_NAMES.iter().map(|n| n.to_string()).collect();
    for n in [1, 4, 12, 13, 100] {
        let (got, pages) = all_pages(&emu, &format!("/v2/_catalog?n={n}"), "repositories").await;
        assert_eq!(got, want, "n={n}");
        assert_eq!(pages, want.len().div_ceil(n), "n={n}");
    }
    let first = get(&emu, "/v2/_catalog?n=2").await;
    assert_eq!(
        first.header("link"),
        Some("</v2/_catalog?last=acme-data%2Fpostgres-backup&n=2>; rel=\"next\"")
    );
    let (all, pages) = all_pages(&emu, "/v2/_catalog", "repositories").await;
    assert_eq!((all.len(), pages), (13, 1));

    // Tags, sorted, paged the same way; a repository without tags says `"tags": null`.
    let (tags, pages) = all_pages(&emu, "/v2/acme-prod/payments/api/tags/list?n=1", "tags").await;
    assert_eq!(tags, ["latest", "v2.14.0", "v2.14.1"]);
    assert_eq!(pages, 3);
    let list = get(&emu, "/v2/acme/team/app/tags/list").await.json();
    assert_eq!(list["name"], "acme/team/app");
    assert_eq!(
        list["tags"],
        serde_json::json!(["latest", "v1.0.0", "v1.1.0"])
    );
    let empty = get(&emu, "/v2/acme-prod/legacy_billing/tags/list")
        .await
        .json();
    assert_eq!(empty["tags"], Value::Null);

    // Errors in the OCI shape.
    let r = get(&emu, "/v2/acme-prod/nope/tags/list").await;
    assert_eq!((r.status, r.error_code().as_str()), (404, "NAME_UNKNOWN"));
    let r = get(&emu, "/v2/_catalog?n=abc").await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (400, "PAGINATION_NUMBER_INVALID")
    );
    let r = request(
        &emu,
        reqwest::Method::PUT,
        "/v2/acme/busybox/manifests/x",
        &[],
    )
    .await;
    assert_eq!((r.status, r.error_code().as_str()), (405, "UNSUPPORTED"));
    let stats = emu.stats();
    assert!(stats.count("GET /v2/_catalog", 200) >= 5);
    assert_eq!(stats.count("GET /v2/{name}/tags/list", 404), 1);
}

#[tokio::test]
async fn manifests_indexes_and_configs_with_exact_digests() {
    let emu = Emulator::builder().start().await.unwrap();
    let path = "/v2/acme-prod/payments/api/manifests/latest";
    let index = get(&emu, path).await;
    assert_eq!(index.status, 200);
    assert_eq!(index.header("content-type"), Some(DOCKER_LIST));
    let digest = index.header("docker-content-digest").unwrap().to_string();
    assert_eq!(digest, sha256(&index.body));
    assert_eq!(
        index.header("content-length"),
        Some(index.body.len().to_string().as_str())
    );
    // HEAD: the same headers, no body.
    let head = request(&emu, reqwest::Method::HEAD, path, &[("accept", ACCEPT_ALL)]).await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("docker-content-digest"), Some(digest.as_str()));
    assert_eq!(
        head.header("content-length"),
        index.header("content-length")
    );
    // An alias shares the digest; another release does not.
    let alias = get(&emu, "/v2/acme-prod/payments/api/manifests/v2.14.1").await;
    assert_eq!(alias.header("docker-content-digest"), Some(digest.as_str()));
    let older = get(&emu, "/v2/acme-prod/payments/api/manifests/v2.14.0").await;
    assert_ne!(older.header("docker-content-digest"), Some(digest.as_str()));
    // By digest, the same bytes.
    let by_digest = get(
        &emu,
        &format!("/v2/acme-prod/payments/api/manifests/{digest}"),
    )
    .await;
    assert_eq!(by_digest.body, index.body);

    // Each platform manifest and its config, sizes adding up to the fixture's.
    let fixture = Fixture::sample();
    let want = &fixture.ncp["kr"][0].images[0].tags[2];
    assert_eq!(want.name, "latest");
    let v = index.json();
    let manifests = v["manifests"].as_array().unwrap();
    assert_eq!(manifests.len(), 2);
    for (entry, platform) in manifests.iter().zip(&want.images) {
        assert_eq!(
            entry["platform"]["architecture"],
            platform.architecture.as_str()
        );
        assert_eq!(entry["platform"]["os"], "linux");
        assert_eq!(
            entry["platform"].get("variant").and_then(Value::as_str),
            platform.variant.as_deref()
        );
        let child_digest = entry["digest"].as_str().unwrap();
        let child = get(
            &emu,
            &format!("/v2/acme-prod/payments/api/manifests/{child_digest}"),
        )
        .await;
        assert_eq!(child.header("content-type"), Some(DOCKER_MANIFEST));
        assert_eq!(sha256(&child.body), child_digest);
        assert_eq!(entry["size"], child.body.len());
        let m = child.json();
        let config_digest = m["config"]["digest"].as_str().unwrap();
        let config = get(
            &emu,
            &format!("/v2/acme-prod/payments/api/blobs/{config_digest}"),
        )
        .await;
        assert_eq!(config.status, 200);
        assert_eq!(sha256(&config.body), config_digest);
        assert_eq!(m["config"]["size"], config.body.len());
        let c = config.json();
        assert_eq!(c["architecture"], platform.architecture.as_str());
        assert_eq!(c["os"], "linux");
        assert_eq!(c["created"], "2024-12-09T17:02:00Z");
        let layers: u64 = m["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["size"].as_u64().unwrap())
            .sum();
        assert_eq!(config.body.len() as u64 + layers, platform.size);
    }

    // A single-platform tag is an image manifest; SWR repositories are served too.
    let single = get(&emu, "/v2/acme-prod/payments/worker/manifests/latest").await;
    assert_eq!(single.header("content-type"), Some(DOCKER_MANIFEST));
    let swr = get(&emu, "/v2/acme/busybox/manifests/latest").await;
    assert_eq!(swr.header("content-type"), Some(DOCKER_LIST));
    let swr = get(&emu, "/v2/acme/team/app/manifests/v1.0.0").await;
    assert_eq!(swr.header("content-type"), Some(DOCKER_MANIFEST));

    // What the client does not accept, and what is not there.
    let only_oci = request(
        &emu,
        reqwest::Method::GET,
        path,
        &[("accept", "application/vnd.oci.image.manifest.v1+json")],
    )
    .await;
    assert_eq!(
        (only_oci.status, only_oci.error_code().as_str()),
        (404, "MANIFEST_UNKNOWN")
    );
    let r = get(&emu, "/v2/acme-prod/payments/api/manifests/nope").await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (404, "MANIFEST_UNKNOWN")
    );
    let r = get(&emu, "/v2/acme-prod/payments/api/blobs/sha256:00").await;
    assert_eq!((r.status, r.error_code().as_str()), (404, "BLOB_UNKNOWN"));
    let r = get(&emu, "/v2/nope/x/manifests/latest").await;
    assert_eq!((r.status, r.error_code().as_str()), (404, "NAME_UNKNOWN"));
}

#[tokio::test]
async fn oci_media_types_from_generated_fixtures() {
    let fixture = Fixture::generate(
        5,
        FixtureSizes {
            registries: 1,
            total_repositories: Some(30),
            min_tags: 2,
            max_tags: 4,
            ..FixtureSizes::default()
        },
    );
    let emu = Emulator::builder()
        .fixture(fixture.clone())
        .start()
        .await
        .unwrap();
    let mut seen = BTreeSet::new();
    for reg in fixture.ncp.values().flatten() {
        for image in &reg.images {
            for tag in &image.tags {
                let name = format!("{}/{}", reg.name, image.name);
                let r = get(&emu, &format!("/v2/{name}/manifests/{}", tag.name)).await;
                assert_eq!(r.status, 200, "{name}:{}", tag.name);
                let media = r.header("content-type").unwrap().to_string();
                let oci = tag.images.iter().any(|p| p.media_type.contains(".oci."));
                let want = match (oci, tag.images.len() > 1) {
                    (true, true) => OCI_INDEX,
                    (true, false) => OCI_MANIFEST,
                    (false, true) => DOCKER_LIST,
                    (false, false) => DOCKER_MANIFEST,
                };
                assert_eq!(media, want, "{name}:{}", tag.name);
                assert_eq!(r.json()["mediaType"], want);
                seen.insert(media);
            }
        }
    }
    assert_eq!(seen.len(), 4, "every kind of manifest: {seen:?}");
}

fn basic(user: &str, password: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

#[tokio::test]
async fn basic_auth() {
    let emu = Emulator::builder()
        .oci_auth(OciAuth::Basic {
            username: "reader".into(),
            password: "s3cret".into(),
        })
        .start()
        .await
        .unwrap();
    let r = get(&emu, "/v2/").await;
    assert_eq!((r.status, r.error_code().as_str()), (401, "UNAUTHORIZED"));
    assert_eq!(
        r.header("www-authenticate"),
        Some("Basic realm=\"reginv-emulator\"")
    );
    let wrong = basic("reader", "nope");
    let r = request(
        &emu,
        reqwest::Method::GET,
        "/v2/_catalog",
        &[("authorization", &wrong)],
    )
    .await;
    assert_eq!(r.status, 401);
    let good = basic("reader", "s3cret");
    let r = request(
        &emu,
        reqwest::Method::GET,
        "/v2/_catalog",
        &[("authorization", &good)],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["repositories"].as_array().unwrap().len(), 13);
}

#[tokio::test]
async fn bearer_token_flow() {
    let emu = Emulator::builder()
        .oci_auth(OciAuth::Token {
            username: "robot".into(),
            password: "pa55".into(),
        })
        .start()
        .await
        .unwrap();
    let host = format!("127.0.0.1:{}", emu.local_addr().port());
    let r = get(&emu, "/v2/_catalog?n=5").await;
    assert_eq!((r.status, r.error_code().as_str()), (401, "UNAUTHORIZED"));
    let challenge = r.header("www-authenticate").unwrap().to_string();
    assert_eq!(
        challenge,
        format!(
            "Bearer realm=\"http://{host}/oci/token\",service=\"reginv-emulator\",scope=\"registry:catalog:*\""
        )
    );
    let base = get(&emu, "/v2/").await;
    assert_eq!(base.status, 401);
    assert!(!base.header("www-authenticate").unwrap().contains("scope="));

    // The token endpoint wants Basic credentials.
    let token_path = "/oci/token?service=reginv-emulator&scope=registry%3Acatalog%3A%2A";
    let r = get(&emu, token_path).await;
    assert_eq!(r.status, 401);
    let r = request(
        &emu,
        reqwest::Method::GET,
        token_path,
        &[("authorization", &basic("robot", "no"))],
    )
    .await;
    assert_eq!(r.status, 401);
    let r = request(
        &emu,
        reqwest::Method::GET,
        token_path,
        &[("authorization", &basic("robot", "pa55"))],
    )
    .await;
    assert_eq!(r.status, 200);
    let body = r.json();
    let token = body["token"].as_str().unwrap().to_string();
    assert_eq!(body["access_token"], token.as_str());
    assert_eq!(body["expires_in"], 300);
    assert!(body["issued_at"].is_string());

    let bearer = format!("Bearer {token}");
    let with = |path: &'static str| {
        let bearer = bearer.clone();
        let emu = &emu;
        async move {
            request(
                emu,
                reqwest::Method::GET,
                path,
                &[("authorization", &bearer), ("accept", ACCEPT_ALL)],
            )
            .await
        }
    };
    assert_eq!(with("/v2/_catalog?n=5").await.status, 200);
    assert_eq!(with("/v2/").await.status, 200);
    // The catalog token does not grant a repository.
    let r = with("/v2/acme/busybox/tags/list").await;
    assert_eq!(r.status, 401);
    let challenge = r.header("www-authenticate").unwrap();
    assert!(
        challenge.contains("scope=\"repository:acme/busybox:pull\"")
            && challenge.contains("error=\"insufficient_scope\""),
        "{challenge}"
    );
    let r = request(
        &emu,
        reqwest::Method::GET,
        "/oci/token?service=reginv-emulator&scope=repository%3Aacme%2Fbusybox%3Apull",
        &[("authorization", &basic("robot", "pa55"))],
    )
    .await;
    let repo_token = format!("Bearer {}", r.json()["token"].as_str().unwrap());
    let r = request(
        &emu,
        reqwest::Method::GET,
        "/v2/acme/busybox/manifests/latest",
        &[("authorization", &repo_token), ("accept", ACCEPT_ALL)],
    )
    .await;
    assert_eq!(r.status, 200);
    let r = request(
        &emu,
        reqwest::Method::GET,
        "/v2/_catalog",
        &[("authorization", "Bearer forged")],
    )
    .await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn throttled_in_the_oci_shape() {
    let emu = Emulator::builder()
        .rate_limit(1)
        .rate_limit_burst(1)
        .retry_after_secs(3)
        .start()
        .await
        .unwrap();
    assert_eq!(get(&emu, "/v2/").await.status, 200);
    let limited = loop {
        let r = get(&emu, "/v2/").await;
        if r.status == 429 {
            break r;
        }
        assert!(emu.stats().requests < 50, "never throttled");
    };
    assert_eq!(limited.error_code(), "TOOMANYREQUESTS");
    assert_eq!(limited.header("retry-after"), Some("3"));
}
