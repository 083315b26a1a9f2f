//! SWR /v2/manage over raw HTTP, hand-signed with `reginv_huawei::signing`.

mod common;

use std::collections::BTreeSet;

use chrono::{Duration, Utc};
use common::*;
use reginv_core::{AccessKeyPair, SecretString};
use reginv_emulator::{Emulator, Fixture, FixtureSizes};
use reginv_huawei::signing::HuaweiSigner;
use serde_json::Value;

fn generated() -> Fixture {
    Fixture::generate(
        33,
        FixtureSizes {
            registries: 3,
            total_repositories: Some(157),
            min_tags: 0,
            max_tags: 9,
            ..FixtureSizes::default()
        },
    )
}

/// `(first, last, total)` of `first-last/total`, or `(None, None, total)` of `*/total`.
fn parse_range(value: &str) -> (Option<u64>, Option<u64>, u64) {
    let (range, total) = value.split_once('/').unwrap();
    let total = total.parse().unwrap();
    if range == "*" {
        return (None, None, total);
    }
    let (a, b) = range.split_once('-').unwrap();
    (Some(a.parse().unwrap()), Some(b.parse().unwrap()), total)
}

/// Pages through `path` (which has no query, or ends with `&`-joinable query) with `limit`.
async fn all_pages(emu: &Emulator, path: &str, limit: u64) -> (Vec<Value>, u64) {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut items = Vec::new();
    let mut offset = 0;
    loop {
        let r = swr_get(emu, &format!("{path}{sep}limit={limit}&offset={offset}")).await;
        assert_eq!(r.status, 200, "{path} offset {offset}: {}", r.body);
        let range = r.content_range().expect("Content-Range with limit/offset");
        let page = r.json().as_array().unwrap().clone();
        let (first, last, total) = parse_range(&range);
        if page.is_empty() {
            assert_eq!((first, last), (None, None), "{range}");
            return (items, total);
        }
        assert_eq!(first, Some(offset), "{range}");
        assert_eq!(last, Some(offset + page.len() as u64 - 1), "{range}");
        assert!(page.len() as u64 <= limit);
        offset += limit;
        items.extend(page);
        if offset >= total {
            return (items, total);
        }
    }
}

fn key(v: &Value) -> (String, String) {
    (
        v["namespace"].as_str().unwrap().to_string(),
        v["name"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn repository_paging_across_limits_matches_the_fixture() {
    let fixture = generated();
    let emu = Emulator::builder()
        .fixture(fixture.clone())
        .start()
        .await
        .unwrap();
    let want: BTreeSet<(String, String)> = fixture
        .swr
        .namespaces
        .iter()
        .flat_map(|n| {
            n.repos
                .iter()
                .map(move |r| (n.name.clone(), r.name.clone()))
        })
        .collect();
    assert_eq!(want.len(), 157);
    for limit in [1, 2, 10, 50, 100, 156, 157, 158, 1000] {
        let (items, total) = all_pages(&emu, "/v2/manage/repos", limit).await;
        assert_eq!(total, 157, "limit {limit}");
        let got: Vec<(String, String)> = items.iter().map(key).collect();
        let unique: BTreeSet<(String, String)> = got.iter().cloned().collect();
        assert_eq!(unique.len(), got.len(), "duplicates at limit {limit}");
        assert_eq!(unique, want, "limit {limit}");
        assert!(items.iter().all(|i| i["total_range"] == 157));
    }
    // Just past the end: an empty page with `*/total`.
    let r = swr_get(&emu, "/v2/manage/repos?limit=100&offset=200").await;
    assert_eq!(r.content_range().unwrap(), "*/157");
    assert_eq!(r.json(), serde_json::json!([]));
    // No limit/offset: the first 100, and no Content-Range.
    let r = swr_get(&emu, "/v2/manage/repos").await;
    assert_eq!(r.json().as_array().unwrap().len(), 100);
    assert!(r.content_range().is_none());
}

#[tokio::test]
async fn content_range_values() {
    let emu = Emulator::builder().start().await.unwrap(); // sample: 6 repositories
    for (query, want) in [
        ("limit=2&offset=0", "0-1/6"),
        ("limit=2&offset=2", "2-3/6"),
        ("limit=4&offset=4", "4-5/6"),
        ("limit=4&offset=8", "*/6"),
        ("limit=100&offset=0", "0-5/6"),
        ("limit=5", "0-4/6"),
    ] {
        let r = swr_get(&emu, &format!("/v2/manage/repos?{query}")).await;
        assert_eq!(r.content_range().as_deref(), Some(want), "{query}");
    }
}

#[tokio::test]
async fn repository_item_shape_and_filters() {
    let emu = Emulator::builder().start().await.unwrap();
    let r = swr_get(
        &emu,
        "/v2/manage/repos?namespace=acme&name=team&limit=10&offset=0",
    )
    .await;
    let items = r.json().as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    let item = &items[0];
    for field in [
        "name",
        "category",
        "description",
        "size",
        "is_public",
        "num_images",
        "num_download",
        "created_at",
        "updated_at",
        "logo",
        "url",
        "path",
        "internal_path",
        "domain_name",
        "namespace",
        "tags",
        "status",
        "total_range",
    ] {
        assert!(item.get(field).is_some(), "missing {field}");
    }
    assert_eq!(item["name"], "team/app");
    assert_eq!(
        item["tags"],
        serde_json::json!(["v1.0.0", "v1.1.0", "latest"])
    );
    assert_eq!(item["num_images"], 3);
    let created = item["created_at"].as_str().unwrap();
    assert_eq!(created, "2024-02-01T12:00:00.000000Z");
    assert_eq!(r.content_range().unwrap(), "0-0/1");
    // Namespace filter is a substring match: "acme" matches both namespaces.
    let all = swr_get(&emu, "/v2/manage/repos?namespace=acme")
        .await
        .json();
    assert_eq!(all.as_array().unwrap().len(), 6);
    let data = swr_get(&emu, "/v2/manage/repos?namespace=data")
        .await
        .json();
    assert_eq!(data.as_array().unwrap().len(), 2);
    let by_category = swr_get(&emu, "/v2/manage/repos?category=database")
        .await
        .json();
    assert_eq!(by_category[0]["name"], "postgres-backup");
    let ns = swr_get(&emu, "/v2/manage/namespaces").await.json();
    let names: Vec<&str> = ns["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["acme", "acme-data"]);
    for field in ["id", "creator_name", "auth"] {
        assert!(ns["namespaces"][0].get(field).is_some(), "{field}");
    }
}

#[tokio::test]
async fn bad_limits_and_offsets_are_swr_400s() {
    let emu = Emulator::builder().start().await.unwrap();
    for q in [
        "limit=0",
        "limit=1001",
        "limit=x",
        "limit=10&offset=5",
        "offset=50",
        "offset=-1",
    ] {
        let r = swr_get(&emu, &format!("/v2/manage/repos?{q}")).await;
        assert_eq!(r.status, 400, "{q}");
        let v = r.json();
        let code = v[0]["errorCode"].as_str().unwrap();
        assert!(code.starts_with("SVCSTG.SWR.400"), "{q}: {code}");
        assert!(v[0].get("errorMessage").is_some() && v[0].get("detail").is_some());
    }
    let r = swr_get(&emu, "/v2/manage/repos?limit=1000&offset=0").await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn dollar_names_detail_and_tags() {
    let fixture = generated();
    let emu = Emulator::builder()
        .fixture(fixture.clone())
        .start()
        .await
        .unwrap();
    let mut slashes = 0;
    for ns in &fixture.swr.namespaces {
        for repo in ns.repos.iter().take(20) {
            let dollar = repo.name.replace('/', "$");
            slashes += usize::from(repo.name.contains('/'));
            let base = format!("/v2/manage/namespaces/{}/repos/{dollar}", ns.name);
            let detail = swr_get(&emu, &base).await;
            assert_eq!(detail.status, 200, "{base}: {}", detail.body);
            let d = detail.json();
            assert_eq!(d["name"], repo.name.as_str());
            assert_eq!(d["num_images"], repo.tags.len());
            for field in [
                "id",
                "ns_id",
                "creator_name",
                "url",
                "path",
                "internal_path",
                "created",
                "updated",
                "domain_id",
                "priority",
            ] {
                assert!(d.get(field).is_some(), "missing {field}");
            }
            // Without offset: every tag at once, no Content-Range.
            let all = swr_get(&emu, &format!("{base}/tags")).await;
            assert!(all.content_range().is_none());
            let all = all.json();
            let got: Vec<&str> = all
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["Tag"].as_str().unwrap())
                .collect();
            let want: Vec<&str> = repo.tags.iter().map(|t| t.name.as_str()).collect();
            assert_eq!(got, want, "{base}");
            for size in [1, 2, 4] {
                let (items, total) = all_pages(&emu, &format!("{base}/tags"), size).await;
                assert_eq!(total as usize, repo.tags.len());
                let got: Vec<&str> = items.iter().map(|t| t["Tag"].as_str().unwrap()).collect();
                assert_eq!(got, want, "{base} limit {size}");
            }
            if let Some(tag) = repo.tags.first() {
                let t = &all[0];
                assert!(t.get("tag").is_none(), "the tag name is \"Tag\"");
                for field in [
                    "id",
                    "repo_id",
                    "image_id",
                    "manifest",
                    "digest",
                    "schema",
                    "path",
                    "internal_path",
                    "size",
                    "is_trusted",
                    "created",
                    "updated",
                    "deleted",
                    "domain_id",
                    "scanned",
                    "tag_type",
                ] {
                    assert!(t.get(field).is_some(), "missing {field}");
                }
                assert_eq!(t["digest"], tag.digest.as_str());
                assert_eq!(t["tag_type"], tag.tag_type);
                assert!(t["manifest"].is_string());
                serde_json::from_str::<Value>(t["manifest"].as_str().unwrap()).unwrap();
            }
        }
    }
    assert!(slashes > 0);
    // `%24` is the same as `$`.
    let r = swr_get(
        &Emulator::builder().start().await.unwrap(),
        "/v2/manage/namespaces/acme/repos/team%24app/tags?tag=v1",
    )
    .await;
    assert_eq!(r.json().as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn unknown_repositories_are_swr_404s() {
    let emu = Emulator::builder().start().await.unwrap();
    for path in [
        "/v2/manage/namespaces/nope/repos/busybox",
        "/v2/manage/namespaces/acme/repos/nope/tags",
        "/v2/manage/namespaces/acme/repos/team/app", // `/` must be sent as `$`
    ] {
        let r = swr_get(&emu, path).await;
        assert_eq!(r.status, 404, "{path}");
        let code = r.json()[0]["errorCode"].as_str().unwrap().to_string();
        assert!(code.starts_with("SVCSTG.SWR.404"), "{path}: {code}");
    }
}

#[tokio::test]
async fn bad_signatures_stale_dates_and_tokens() {
    let emu = Emulator::builder().start().await.unwrap();
    let path = "/v2/manage/namespaces/acme/repos/team$app/tags?limit=10&offset=0";
    let good = emu.swr_credentials();
    let now = Utc::now();
    let cases = [
        (
            "wrong SK",
            HuaweiSigner::aksk(AccessKeyPair::new(good.access_key.clone(), "nope")),
            now,
        ),
        (
            "wrong AK",
            HuaweiSigner::aksk(AccessKeyPair::new("OTHER", good.secret_key.expose())),
            now,
        ),
        (
            "stale date",
            HuaweiSigner::aksk(good.clone()),
            now - Duration::minutes(16),
        ),
        (
            "future date",
            HuaweiSigner::aksk(good.clone()),
            now + Duration::minutes(16),
        ),
        (
            "wrong token",
            HuaweiSigner::token(SecretString::new("nope")),
            now,
        ),
    ];
    for (what, signer, date) in cases {
        let r = send(swr_request(&emu, &signer, path, date)).await.unwrap();
        assert_eq!(r.status, 401, "{what}");
        let v = r.json();
        assert_eq!(v["error_code"], "APIGW.0301", "{what}");
        assert!(
            v["error_msg"].is_string() && v["request_id"].is_string(),
            "{what}"
        );
    }
    // Within 15 minutes, with a project id, and with the token: accepted.
    let ok = [
        HuaweiSigner::aksk(good.clone()).with_project_id("0123456789abcdef0123456789abcdef"),
        HuaweiSigner::token(emu.swr_token()),
    ];
    for signer in ok {
        let r = send(swr_request(
            &emu,
            &signer,
            path,
            now - Duration::minutes(14),
        ))
        .await
        .unwrap();
        assert_eq!(r.status, 200, "{signer:?}: {}", r.body);
    }
    // A request whose query was changed after signing.
    let mut req = swr_request(&emu, &HuaweiSigner::aksk(good.clone()), path, now);
    req.url = url(
        &emu,
        "/v2/manage/namespaces/acme/repos/team$app/tags?limit=10&offset=10",
    );
    assert_eq!(send(req).await.unwrap().status, 401);
    // A signature taken over another host header.
    let mut req = swr_request(&emu, &HuaweiSigner::aksk(good), path, now);
    req.headers
        .insert("host", "elsewhere.example".parse().unwrap());
    assert_eq!(send(req).await.unwrap().status, 401);
    // Nothing at all.
    let r = client().get(url(&emu, path).as_str()).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
}

#[tokio::test]
async fn repository_detail_has_creator_id_and_internal_paths_differ() {
    let emu = Emulator::builder().start().await.unwrap();
    let d = swr_get(&emu, "/v2/manage/namespaces/acme/repos/team$app")
        .await
        .json();
    let creator_id = d["creator_id"].as_str().unwrap();
    assert_eq!(creator_id.len(), 32, "{creator_id}");
    assert!(creator_id.bytes().all(|b| b.is_ascii_hexdigit()));
    // The same creator, the same id; the detail now declares all 18 fields of the SDK's model.
    let other = swr_get(&emu, "/v2/manage/namespaces/acme/repos/busybox")
        .await
        .json();
    assert_eq!(other["creator_id"], d["creator_id"]);
    assert_eq!(d.as_object().unwrap().len(), 18, "{d}");
    let path = d["path"].as_str().unwrap();
    let internal = d["internal_path"].as_str().unwrap();
    assert_eq!(path, "swr.ap-southeast-1.myhuaweicloud.com/acme/team/app");
    assert_ne!(internal, path);
    assert!(internal.ends_with(":20202/acme/team/app"), "{internal}");
    let item = &swr_get(&emu, "/v2/manage/repos?name=team").await.json()[0];
    assert_eq!(item["internal_path"], internal);
    assert_ne!(item["internal_path"], item["path"]);
    let tag = &swr_get(&emu, "/v2/manage/namespaces/acme/repos/team$app/tags")
        .await
        .json()[0];
    assert_eq!(
        tag["internal_path"].as_str().unwrap(),
        format!("{internal}:v1.0.0")
    );
}

/// The SDK's signer decodes the whole path before splitting it: `team%2Fapp` is signed as the
/// two segments `team/app`, and the emulator (like the real gateway) verifies it that way.
#[tokio::test]
async fn a_path_with_percent_2f_verifies_as_the_sdk_signs_it() {
    let emu = Emulator::builder().start().await.unwrap();
    let signer = HuaweiSigner::aksk(emu.swr_credentials());
    let sent = "/v2/manage/namespaces/acme/repos/team%2Fapp/tags?limit=10&offset=0";
    let mut req = swr_request(
        &emu,
        &signer,
        "/v2/manage/namespaces/acme/repos/team/app/tags?limit=10&offset=0",
        Utc::now(),
    );
    req.url = url(&emu, sent);
    let r = send(req).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json().as_array().unwrap().len(), 3);
    // A signature over the still-encoded segment is not what the gateway computes.
    let r = send(swr_request(&emu, &signer, sent, Utc::now()))
        .await
        .unwrap();
    assert_eq!(r.status, 401, "{}", r.body);
}

/// A hand-made `SDK-HMAC-SHA256` signature over `payload_hash` (not the body's hash), signing
/// `host`, `x-sdk-date` and the `extra` headers.
fn sign_with_payload_hash(
    emu: &Emulator,
    path: &str,
    extra: &[(&'static str, &str)],
    payload_hash: &str,
) -> reginv_core::http::SignableRequest {
    use reginv_huawei::signing::{
        canonical_headers, canonical_uri, format_sdk_date, signature, string_to_sign,
    };
    let mut req = swr_request(
        emu,
        &HuaweiSigner::token(SecretString::new("unused")),
        path,
        Utc::now(),
    );
    req.headers.remove("x-auth-token");
    let date = format_sdk_date(Utc::now());
    let host = format!("127.0.0.1:{}", emu.local_addr().port());
    let mut signed = vec![
        ("host".to_string(), host),
        ("x-sdk-date".to_string(), date.clone()),
    ];
    for (k, v) in extra {
        signed.push((k.to_string(), v.to_string()));
        req.headers.insert(*k, v.parse().unwrap());
    }
    let (block, names) = canonical_headers(&signed);
    let canonical = format!(
        "GET\n{}\n\n{block}\n{names}\n{payload_hash}",
        canonical_uri(path)
    );
    let credentials = emu.swr_credentials();
    let sig = signature(&credentials.secret_key, &string_to_sign(&date, &canonical));
    req.headers.insert("x-sdk-date", date.parse().unwrap());
    req.headers.insert(
        "authorization",
        format!(
            "SDK-HMAC-SHA256 Access={}, SignedHeaders={names}, Signature={sig}",
            credentials.access_key
        )
        .parse()
        .unwrap(),
    );
    req
}

#[tokio::test]
async fn unsigned_payload_is_honoured_only_when_signed() {
    let emu = Emulator::builder().start().await.unwrap();
    let path = "/v2/manage/namespaces";
    let header = [("x-sdk-content-sha256", "UNSIGNED-PAYLOAD")];
    let mut req = sign_with_payload_hash(&emu, path, &header, "UNSIGNED-PAYLOAD");
    req.body = b"a body the signature does not cover".to_vec();
    let r = send(req).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    // Not signed: the header is ignored, the body's hash was expected.
    let mut req = sign_with_payload_hash(&emu, path, &[], "UNSIGNED-PAYLOAD");
    req.headers
        .insert("x-sdk-content-sha256", "UNSIGNED-PAYLOAD".parse().unwrap());
    req.body = b"a body the signature does not cover".to_vec();
    assert_eq!(send(req).await.unwrap().status, 401);
    // Signed, but another value: the body's hash is expected.
    let mut req = sign_with_payload_hash(
        &emu,
        path,
        &[("x-sdk-content-sha256", "something-else")],
        "UNSIGNED-PAYLOAD",
    );
    req.body = b"a body".to_vec();
    assert_eq!(send(req).await.unwrap().status, 401);
}

#[tokio::test]
async fn legacy_filter_query_of_repos() {
    let emu = Emulator::builder().start().await.unwrap();
    let filter = |f: &str| format!("/v2/manage/repos?filter={}", f.replace('|', "%7C"));
    let r = swr_get(&emu, &filter("namespace::acme-data|limit::1|offset::1")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.content_range().as_deref(), Some("1-1/2"));
    assert_eq!(r.json()[0]["name"], "postgres-backup");
    let r = swr_get(&emu, &filter("name::team|namespace::acme")).await;
    let names: Vec<Value> = r.json().as_array().unwrap().clone();
    assert_eq!(names.len(), 1);
    assert_eq!(names[0]["name"], "team/app");
    assert!(r.content_range().is_none(), "no limit/offset in the filter");
    // The filter wins over the plain parameters.
    let r = swr_get(
        &emu,
        &format!("{}&namespace=acme-data&limit=1", filter("name::busybox")),
    )
    .await;
    assert_eq!(r.json().as_array().unwrap().len(), 1);
    assert_eq!(r.json()[0]["name"], "busybox");
    let r = swr_get(
        &emu,
        &filter("order_column::name|order_type::asc|category::linux"),
    )
    .await;
    assert_eq!(r.json()[0]["name"], "busybox");
    // Tags take it too.
    let r = swr_get(
        &emu,
        &format!(
            "/v2/manage/namespaces/acme/repos/team$app/tags?filter={}",
            "limit::2%7Coffset::0"
        ),
    )
    .await;
    assert_eq!(r.content_range().as_deref(), Some("0-1/3"));
    let r = swr_get(&emu, &filter("namespace:acme")).await;
    assert_eq!(r.status, 400);
    assert!(r.json()[0]["errorCode"]
        .as_str()
        .unwrap()
        .starts_with("SVCSTG.SWR.400"));
}

#[tokio::test]
async fn spaces_in_query_values_as_percent_20_verify() {
    let emu = Emulator::builder().start().await.unwrap();
    let r = swr_get(
        &emu,
        "/v2/manage/repos?name=no%20such%20name&limit=10&offset=0",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json(), serde_json::json!([]));
    assert_eq!(r.content_range().as_deref(), Some("*/0"));
    let r = swr_get(&emu, "/v2/manage/repos?description=Order%20service").await;
    assert_eq!(r.status, 200, "{}", r.body);
}
