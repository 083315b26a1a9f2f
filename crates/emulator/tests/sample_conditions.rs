//! The sample company serves, in each vendor's own wire fields, one of each condition a registry
//! audit looks for (see `Fixture::sample`).

mod common;

use chrono::{TimeZone, Utc};
use common::*;
use reginv_emulator::Emulator;
use serde_json::Value;

const TWO_GIB: u64 = 2 << 30;

fn find<'a>(items: &'a Value, key: &str, name: &str) -> &'a Value {
    items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i[key] == name)
        .unwrap_or_else(|| panic!("{name} not in {items}"))
}

#[tokio::test]
async fn ncr_registries_images_and_tags_carry_every_audit_condition() {
    let emu = Emulator::builder().start().await.unwrap();
    // Registries: a public one without scan on push, a disconnected one, the rest running.
    let kr = ncp_get(&emu, "/ncr/api/v2/repositories").await.json();
    let public = find(&kr["results"], "name", "acme-public");
    assert_eq!(public["public_reg_status"], true);
    assert_eq!(public["scan_on_push_enabled"], false);
    assert_eq!(public["status"], "running");
    let prod = find(&kr["results"], "name", "acme-prod");
    assert_eq!(
        (&prod["public_reg_status"], &prod["scan_on_push_enabled"]),
        (&Value::Bool(false), &Value::Bool(true))
    );
    let jpn = ncp_get(&emu, "/ncr/jpn-api/v2/repositories").await.json();
    assert_eq!(jpn["results"][0]["name"], "acme-jp-dr");
    assert_eq!(jpn["results"][0]["status"], "disconnected");
    let sgn = ncp_get(&emu, "/ncr/sgn-api/v2/repositories").await.json();
    assert_eq!(sgn["results"][0]["status"], "running");

    // Mutable tags on one image only.
    let base = "/ncr/api/v2/repositories/acme-prod";
    let detail = |image: &str| format!("{base}/{}", image.replace('/', "%2F"));
    let mutable = ncp_get(&emu, &detail("web-frontend")).await.json();
    assert_eq!(mutable["tag_mutability_enabled"], true);
    for image in ["payments/api", "payments/worker", "tools/ci-runner"] {
        let d = ncp_get(&emu, &detail(image)).await.json();
        assert_eq!(d["tag_mutability_enabled"], false, "{image}");
    }

    // An oversized tag, last pulled long before 2025-01-01.
    let as_of = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let ninety_days_before = (as_of - chrono::Duration::days(90)).timestamp_millis();
    let runner = ncp_get(&emu, &format!("{}/tags", detail("tools/ci-runner")))
        .await
        .json();
    let tag = &runner["results"][0];
    assert!(tag["full_size"].as_u64().unwrap() > TWO_GIB, "{tag}");
    let pulled = tag["images"][0]["latest_pulled"].as_i64().unwrap();
    assert!(pulled > 0 && pulled < ninety_days_before, "{pulled}");

    // A tag never pulled (`latest_pulled: 0` on every platform), next to a pulled one.
    let hello = ncp_get(
        &emu,
        "/ncr/api/v2/repositories/acme-public/sdk.examples%2Fhello-world/tags",
    )
    .await
    .json();
    let never = find(&hello["results"], "name", "1.0");
    let platforms = never["images"].as_array().unwrap();
    assert_eq!(platforms.len(), 2);
    assert!(platforms.iter().all(|p| p["latest_pulled"] == 0), "{never}");
    let pulled = find(&hello["results"], "name", "1.1");
    assert!(pulled["images"][0]["latest_pulled"].as_i64().unwrap() > 0);

    // Recent tags were pulled within the 90 days.
    let api = ncp_get(&emu, &format!("{}/tags", detail("payments/api")))
        .await
        .json();
    for tag in api["results"].as_array().unwrap() {
        for p in tag["images"].as_array().unwrap() {
            assert!(p["latest_pulled"].as_i64().unwrap() > ninety_days_before);
        }
    }

    // An empty repository.
    let empty = ncp_get(&emu, &format!("{}/tags", detail("legacy_billing")))
        .await
        .json();
    assert_eq!(empty["count"], 0);
}

#[tokio::test]
async fn swr_repositories_and_tags_carry_every_audit_condition() {
    let emu = Emulator::builder().start().await.unwrap();
    let repos = swr_get(&emu, "/v2/manage/repos").await.json();
    let portal = find(&repos, "name", "web.portal");
    assert_eq!(portal["is_public"], true);
    let private = repos
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["is_public"] == false)
        .count();
    assert!(private >= 4);
    let sandbox = find(&repos, "name", "sandbox_tmp");
    assert_eq!(
        (&sandbox["num_images"], &sandbox["tags"]),
        (&Value::from(0), &serde_json::json!([]))
    );

    // Unscanned multi-platform tags (a manifest list), scanned single-platform ones.
    let busybox = swr_get(&emu, "/v2/manage/namespaces/acme/repos/busybox/tags")
        .await
        .json();
    for tag in busybox.as_array().unwrap() {
        assert_eq!(tag["scanned"], false, "{tag}");
        assert_eq!(tag["tag_type"], 1);
        let manifest: Value = serde_json::from_str(tag["manifest"].as_str().unwrap()).unwrap();
        assert_eq!(
            manifest["mediaType"],
            "application/vnd.docker.distribution.manifest.list.v2+json"
        );
    }
    let app = swr_get(&emu, "/v2/manage/namespaces/acme/repos/team$app/tags")
        .await
        .json();
    for tag in app.as_array().unwrap() {
        assert_eq!(
            (&tag["scanned"], &tag["tag_type"]),
            (&Value::Bool(true), &Value::from(0))
        );
        let manifest: Value = serde_json::from_str(tag["manifest"].as_str().unwrap()).unwrap();
        assert_eq!(
            manifest["mediaType"],
            "application/vnd.docker.distribution.manifest.v2+json"
        );
    }

    // An oversized tag.
    let spark = swr_get(
        &emu,
        "/v2/manage/namespaces/acme-data/repos/etl$spark-jobs/tags",
    )
    .await
    .json();
    let big = find(&spark, "Tag", "3.5.1-r5");
    assert!(big["size"].as_u64().unwrap() > TWO_GIB, "{big}");
}
