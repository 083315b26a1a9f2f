//! NCR API v2 over raw HTTP, hand-signed with `reginv_ncp::signing`.

mod common;

use std::collections::BTreeSet;

use common::*;
use reginv_core::AccessKeyPair;
use reginv_emulator::{Emulator, Fixture, FixtureSizes};
use reginv_ncp::signing::now_millis;
use serde_json::Value;

fn generated() -> Fixture {
    Fixture::generate(
        21,
        FixtureSizes {
            registries: 3,
            repositories_per_registry: 23,
            min_tags: 0,
            max_tags: 13,
            ..FixtureSizes::default()
        },
    )
}

/// Every page of an NCR listing at `pagesize`, checking the envelope on the way.
async fn all_pages(emu: &Emulator, path: &str, pagesize: u64) -> Vec<Value> {
    let mut items = Vec::new();
    let mut page = 1;
    loop {
        let r = ncp_get(emu, &format!("{path}?page={page}&pagesize={pagesize}")).await;
        assert_eq!(r.status, 200, "{path} page {page}: {}", r.body);
        let v = r.json();
        let count = v["count"].as_u64().unwrap();
        let results = v["results"].as_array().unwrap().clone();
        assert!(results.len() as u64 <= pagesize);
        let expected_previous = if page > 1 {
            Value::from(page - 1)
        } else {
            Value::Null
        };
        assert_eq!(v["previous"], expected_previous);
        items.extend(results);
        if page * pagesize < count {
            assert_eq!(v["next"], Value::from(page + 1), "{path} page {page}");
            page += 1;
        } else {
            assert_eq!(v["next"], Value::Null, "{path} page {page}");
            assert_eq!(items.len() as u64, count, "{path}: pages sum to count");
            return items;
        }
    }
}

fn names(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_string())
        .collect()
}

fn prefix(region: &str) -> &'static str {
    match region {
        "kr" => "/ncr/api/v2",
        "sgn" => "/ncr/sgn-api/v2",
        "jpn" => "/ncr/jpn-api/v2",
        _ => unreachable!(),
    }
}

/// A path segment as a client sends it: `/` as `%2F`.
fn seg(name: &str) -> String {
    name.replace('/', "%2F")
}

#[tokio::test]
async fn paging_across_sizes_matches_the_fixture() {
    let fixture = generated();
    let emu = Emulator::builder()
        .fixture(fixture.clone())
        .start()
        .await
        .unwrap();
    for (region, registries) in &fixture.ncp {
        let p = prefix(region);
        for size in [1, 2, 3, 10, 100] {
            let got = names(&all_pages(&emu, &format!("{p}/repositories"), size).await);
            let want: Vec<String> = registries.iter().map(|r| r.name.clone()).collect();
            assert_eq!(got, want, "{region} registries at pagesize {size}");
        }
        for reg in registries {
            // Sizes around the number of images: below, at, just above, far above.
            let n = reg.images.len() as u64;
            for size in [1, 7, n.max(1), n + 1, 100] {
                let got =
                    names(&all_pages(&emu, &format!("{p}/repositories/{}", reg.name), size).await);
                let want: Vec<String> = reg.images.iter().map(|i| i.name.clone()).collect();
                assert_eq!(got, want, "{region}/{} at pagesize {size}", reg.name);
                let unique: BTreeSet<&String> = got.iter().collect();
                assert_eq!(unique.len(), got.len(), "duplicates");
            }
        }
    }
}

#[tokio::test]
async fn tags_of_images_with_slashes_page_completely() {
    let fixture = generated();
    let emu = Emulator::builder()
        .fixture(fixture.clone())
        .start()
        .await
        .unwrap();
    let mut checked_slash = false;
    let mut checked_multi = false;
    for (region, registries) in &fixture.ncp {
        let p = prefix(region);
        for reg in registries {
            for image in &reg.images {
                checked_slash |= image.name.contains('/');
                let path = format!("{p}/repositories/{}/{}/tags", reg.name, seg(&image.name));
                for size in [3, 100] {
                    let items = all_pages(&emu, &path, size).await;
                    let want: Vec<String> = image.tags.iter().map(|t| t.name.clone()).collect();
                    assert_eq!(names(&items), want, "{path}");
                    for (item, tag) in items.iter().zip(&image.tags) {
                        assert_eq!(item["digest"], tag.digest.as_str());
                        assert_eq!(item["full_size"], tag.full_size);
                        assert_eq!(item["last_updated"], tag.updated);
                        let platforms = item["images"].as_array().unwrap();
                        assert_eq!(platforms.len(), tag.images.len());
                        checked_multi |= platforms.len() > 1;
                        for (p, want) in platforms.iter().zip(&tag.images) {
                            assert_eq!(p["architecture"], want.architecture.as_str());
                            assert_eq!(p["os"], want.os.as_str());
                            assert_eq!(p["mediaType"], want.media_type.as_str());
                            assert_eq!(p["size"], want.size);
                            assert_eq!(p["created"], want.created);
                        }
                    }
                }
            }
        }
    }
    assert!(checked_slash && checked_multi);
}

#[tokio::test]
async fn image_and_tag_detail() {
    let emu = Emulator::builder().start().await.unwrap();
    let r = ncp_get(&emu, "/ncr/api/v2/repositories/acme-prod/payments%2Fapi").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["name"], "payments/api");
    assert_eq!(v["namespace"], "acme-prod");
    assert!(
        v["last_updated"].as_i64().unwrap() > 1_600_000_000_000,
        "epoch ms"
    );
    for field in [
        "full_description",
        "private_id",
        "tag_mutability_enabled",
        "pull_count",
    ] {
        assert!(v.get(field).is_some(), "missing {field}");
    }
    let r = ncp_get(
        &emu,
        "/ncr/api/v2/repositories/acme-prod/payments%2Fapi/tags/latest",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["name"], "latest");
    assert_eq!(v["images"].as_array().unwrap().len(), 2);
    // The image list item shape.
    let r = ncp_get(&emu, "/ncr/api/v2/repositories/acme-public").await;
    let item = &r.json()["results"][0];
    assert_eq!(item["name"], "sdk.examples/hello-world");
    assert_eq!(item["is_private"], false);
    // An unencoded slash is a different (unknown) path.
    let r = ncp_get(&emu, "/ncr/api/v2/repositories/acme-prod/payments/api").await;
    assert_eq!(r.status, 404, "{}", r.body);
}

#[tokio::test]
async fn regions_are_separate() {
    let emu = Emulator::builder().start().await.unwrap();
    let sgn = ncp_get(&emu, "/ncr/sgn-api/v2/repositories").await.json();
    assert_eq!(names(sgn["results"].as_array().unwrap()), ["acme-sg"]);
    let jpn = ncp_get(&emu, "/ncr/jpn-api/v2/repositories/acme-jp-dr")
        .await
        .json();
    assert_eq!(jpn["count"], 0);
    assert_eq!(jpn["results"], serde_json::json!([]));
    let r = ncp_get(&emu, "/ncr/sgn-api/v2/repositories/acme-prod").await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn bad_paging_is_the_vendors_400() {
    let emu = Emulator::builder()
        .ncp_max_page_size(50)
        .start()
        .await
        .unwrap();
    for q in [
        "page=0",
        "pagesize=0",
        "pagesize=51",
        "page=abc",
        "page=-1&pagesize=10",
    ] {
        let r = ncp_get(&emu, &format!("/ncr/api/v2/repositories?{q}")).await;
        assert_eq!(r.status, 400, "{q}");
        assert_eq!(r.json()["error"]["errorCode"], "100", "{q}");
    }
    let r = ncp_get(&emu, "/ncr/api/v2/repositories?pagesize=50").await;
    assert_eq!(r.status, 200);
    // Default page size when none is sent: 10.
    let fixture = Fixture::generate(
        1,
        FixtureSizes {
            registries: 1,
            repositories_per_registry: 25,
            ..FixtureSizes::default()
        },
    );
    let reg = fixture.ncp["kr"][0].name.clone();
    let emu = Emulator::builder().fixture(fixture).start().await.unwrap();
    let v = ncp_get(&emu, &format!("/ncr/api/v2/repositories/{reg}"))
        .await
        .json();
    assert_eq!(v["count"], 25);
    assert_eq!(v["results"].as_array().unwrap().len(), 10);
    assert_eq!(v["next"], 2);
    // A page past the end is empty, not an error.
    let v = ncp_get(
        &emu,
        &format!("/ncr/api/v2/repositories/{reg}?page=9&pagesize=10"),
    )
    .await
    .json();
    assert_eq!(v["results"], serde_json::json!([]));
    assert_eq!(v["next"], Value::Null);
}

#[tokio::test]
async fn unknown_things_are_404_with_error_code_300() {
    let emu = Emulator::builder().start().await.unwrap();
    for path in [
        "/ncr/api/v2/repositories/nope",
        "/ncr/api/v2/repositories/acme-prod/nope",
        "/ncr/api/v2/repositories/acme-prod/nope/tags",
        "/ncr/api/v2/repositories/acme-prod/web-frontend/tags/nope",
    ] {
        let r = ncp_get(&emu, path).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.json()["error"]["errorCode"], "300", "{path}");
    }
}

#[tokio::test]
async fn create_registry_then_listed_and_conflicts() {
    let emu = Emulator::builder().start().await.unwrap();
    let r = ncp_post(
        &emu,
        "/ncr/api/v2/repositories/new-reg",
        r#"{"bucket":"new-bucket"}"#,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["returnCode"], "201");
    let listed = ncp_get(&emu, "/ncr/api/v2/repositories?page=1&pagesize=100")
        .await
        .json();
    assert_eq!(listed["count"], 3);
    assert!(names(listed["results"].as_array().unwrap()).contains(&"new-reg".to_string()));
    let empty = ncp_get(&emu, "/ncr/api/v2/repositories/new-reg")
        .await
        .json();
    assert_eq!(empty["count"], 0);
    assert!(emu.fixture().ncp["kr"]
        .iter()
        .any(|r| r.name == "new-reg" && r.bucket == "new-bucket"));
    // Same name again, or an existing bucket (in any region): 409.
    let again = ncp_post(
        &emu,
        "/ncr/api/v2/repositories/new-reg",
        r#"{"bucket":"other"}"#,
    )
    .await;
    assert_eq!(again.status, 409, "{}", again.body);
    let bucket = ncp_post(
        &emu,
        "/ncr/sgn-api/v2/repositories/other-reg",
        r#"{"bucket":"new-bucket"}"#,
    )
    .await;
    assert_eq!(bucket.status, 409, "{}", bucket.body);
    // A bad body is a 400.
    let bad = ncp_post(
        &emu,
        "/ncr/api/v2/repositories/third-reg",
        r#"{"bukket":"x"}"#,
    )
    .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["error"]["errorCode"], "100");
    assert_eq!(emu.fixture().ncp_registry_count(), 5);
}

#[tokio::test]
async fn bad_signatures_and_stale_timestamps_are_rejected() {
    let emu = Emulator::builder().start().await.unwrap();
    let path = "/ncr/api/v2/repositories/acme-prod/payments%2Fapi/tags?page=1&pagesize=10";
    let good = emu.ncp_credentials();
    let wrong_secret = AccessKeyPair::new(good.access_key.clone(), "not-the-secret");
    let wrong_key = AccessKeyPair::new("SOMEONEELSE", good.secret_key.expose());
    let now = now_millis();
    let cases = [
        ("wrong secret", wrong_secret, now),
        ("wrong access key", wrong_key, now),
        ("stale timestamp", good.clone(), now - 6 * 60 * 1000),
        ("future timestamp", good.clone(), now + 6 * 60 * 1000),
    ];
    for (what, creds, ts) in cases {
        let r = send(ncp_request(&emu, creds, "GET", path, ts, ""))
            .await
            .unwrap();
        assert_eq!(r.status, 401, "{what}");
        let v = r.json();
        assert_eq!(v["error"]["errorCode"], "200", "{what}");
        assert_eq!(v["error"]["message"], "Authentication Failed", "{what}");
    }
    // Within the 5-minute window is fine.
    let r = send(ncp_request(
        &emu,
        good.clone(),
        "GET",
        path,
        now - 4 * 60 * 1000,
        "",
    ))
    .await
    .unwrap();
    assert_eq!(r.status, 200);
    // A signature over the decoded path does not verify the encoded one.
    let mut req = ncp_request(
        &emu,
        good.clone(),
        "GET",
        "/ncr/api/v2/repositories/acme-prod/payments/api/tags",
        now,
        "",
    );
    req.url = url(&emu, path);
    assert_eq!(send(req).await.unwrap().status, 401);
    // No headers at all.
    let r = client().get(url(&emu, path).as_str()).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(emu.stats().auth_failures, 6);
}
