//! `reginv audit` end to end against the emulator: every format (the SARIF validated against
//! the SARIF 2.1.0 schema), the same findings from a saved report and from a stored snapshot as
//! from a live run, only the requests the selected rules need, suppressions from reginv.toml,
//! and the exit statuses.
//! Only 127.0.0.1 is ever contacted.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Output;

use reginv_emulator::Emulator;
use serde_json::Value;

mod common;
use common::{config_for, json, reginv_async, sample_emulator, stderr, TempDir};

/// The SARIF 2.1.0 schema, as committed by `reginv-audit` (from npm
/// `@microsoft/sarif-multitool-linux` 5.7.0; see crates/audit/tests/data/README.md).
const SARIF_SCHEMA: &str = include_str!("../../audit/tests/data/sarif-2.1.0.json");

/// The audits' reference time: fixed, so a live run and a saved report judge ages alike.
const AS_OF: &str = "2026-12-01T00:00:00Z";

/// The rules the emulator's sample triggers with the rows the backends fill today. When the
/// emulator's fixture and the backends' security fields land, this becomes every rule
/// (see `every_rule_fires_on_the_sample`).
/// Every rule: the sample carries one of each condition in the vendors' wire fields, and
/// `--max-tags 2` makes its largest repositories sprawl.
const FIRING: &[&str] = &[
    "public-registry",
    "public-repository",
    "registry-disconnected",
    "scan-on-push-disabled",
    "image-not-scanned",
    "oversized-image",
    "mutable-tags",
    "stale-image",
    "tag-sprawl",
    "empty-repository",
];

/// reginv.toml for `emulator` (one ncp source per sample region, one swr source), then
/// `audit_table`.
fn write_config(dir: &Path, emulator: &Emulator, audit_table: &str) {
    let text = format!("{}\n{audit_table}", config_for(emulator, None));
    fs::write(dir.join("reginv.toml"), text).unwrap();
}

fn fired(doc: &Value) -> BTreeSet<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["suppressed"] == false)
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

/// The document without `generated_at` (the only part that differs between two audits of the
/// same data at the same `as_of`).
fn comparable(mut doc: Value) -> Value {
    doc.as_object_mut().unwrap().remove("generated_at");
    doc
}

fn sarif_errors(log: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(SARIF_SCHEMA).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    validator
        .iter_errors(log)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

#[tokio::test]
async fn every_format_of_a_live_audit() {
    let emulator = sample_emulator().await;
    let dir = TempDir::new("formats");
    write_config(dir.path(), &emulator, "");
    let base = [
        "audit",
        "--as-of",
        AS_OF,
        "--fail-on",
        "never",
        "--max-tags",
        "2",
    ];

    let out = reginv_async(dir.path(), &[&base[..], &["--format", "json"]].concat()).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["as_of"], AS_OF);
    assert_eq!(doc["rules"].as_array().unwrap().len(), 10);
    let fired = fired(&doc);
    for rule in FIRING {
        assert!(fired.contains(*rule), "{rule} did not fire: {fired:?}");
    }
    // Every rule either fired, or was evaluated somewhere, or says why not.
    for rule in doc["rules"].as_array().unwrap() {
        let evaluated = rule["evaluated_sources"].as_array().unwrap();
        let not = rule["not_evaluated"].as_array().unwrap();
        assert_eq!(evaluated.len() + not.len(), 4, "{rule}");
        assert!(not
            .iter()
            .all(|n| !n["reason"].as_str().unwrap().is_empty()));
    }
    let findings = doc["findings"].as_array().unwrap().len();

    let out = reginv_async(dir.path(), &[&base[..], &["--format", "sarif"]].concat()).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let log = json(&out);
    assert_eq!(sarif_errors(&log), Vec::<String>::new());
    assert_eq!(
        log["runs"][0]["results"].as_array().unwrap().len(),
        findings
    );
    assert_eq!(
        log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .len(),
        10
    );
    let location = &log["runs"][0]["results"][0]["locations"][0]["logicalLocations"][0];
    assert!(location["fullyQualifiedName"]
        .as_str()
        .unwrap()
        .contains(':'));

    let out = reginv_async(dir.path(), &[&base[..], &["--format", "csv"]].concat()).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    assert_eq!(&reader.headers().unwrap()[0], "rule");
    assert_eq!(reader.records().count(), findings);

    let file = dir.path().join("audit.txt");
    let out = reginv_async(
        dir.path(),
        &[
            &base[..],
            &["--format", "table", "-o", file.to_str().unwrap()],
        ]
        .concat(),
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert!(out.stdout.is_empty());
    let table = fs::read_to_string(&file).unwrap();
    assert!(
        table.starts_with("Audit as of 2026-12-01 00:00 UTC: "),
        "{table}"
    );
    assert!(table.contains("\nHIGH ("), "{table}");
    assert!(table.contains("  public-repository ("), "{table}");
    assert!(table.contains("\nNot evaluated ("), "{table}");
    emulator.shutdown().await;
}

/// `reginv audit --as-of AS_OF --format json --fail-on never` with `extra` arguments.
async fn audit_json(dir: &Path, extra: &[&str]) -> Output {
    let base = [
        "audit",
        "--as-of",
        AS_OF,
        "--format",
        "json",
        "--fail-on",
        "never",
    ];
    reginv_async(dir, &[&base[..], extra].concat()).await
}

#[tokio::test]
async fn a_saved_report_and_a_stored_snapshot_audit_the_same_as_a_live_run() {
    let emulator = sample_emulator().await;
    let dir = TempDir::new("saved");
    write_config(dir.path(), &emulator, "");
    let live = audit_json(dir.path(), &[]).await;
    assert_eq!(live.status.code(), Some(0), "stderr: {}", stderr(&live));
    let live = comparable(json(&live));
    // The sample fires rules of every scope: registry, repository and tag.
    let fired = fired(&live);
    for rule in ["public-registry", "public-repository", "stale-image"] {
        assert!(fired.contains(rule), "{rule}: {fired:?}");
    }
    // `mutable-tags` had the NCR image details it reads fetched.
    let mutable = live["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "mutable-tags")
        .unwrap();
    assert!(
        mutable["evaluated_sources"]
            .as_array()
            .unwrap()
            .contains(&Value::from("ncp-kr")),
        "{mutable}"
    );
    let report = dir.path().join("report.json");
    let store = format!("sqlite:{}", dir.path().join("inv.db").display());
    // One full inventory with repository details (for `mutable-tags`), saved as JSON and
    // stored as snapshot 1; then snapshot 2 at the default depth (tag names only).
    let out = reginv_async(
        dir.path(),
        &[
            "inventory",
            "--tags",
            "full",
            "--details",
            "--format",
            "json",
            "-o",
            report.to_str().unwrap(),
            "--store",
            &store,
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let out = reginv_async(
        dir.path(),
        &[
            "inventory",
            "--details",
            "--format",
            "json",
            "--store",
            &store,
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    emulator.shutdown().await;
    // No configuration (nor registry) needed to audit a saved report or a stored snapshot.
    fs::remove_file(dir.path().join("reginv.toml")).unwrap();
    let saved = audit_json(dir.path(), &["--from", report.to_str().unwrap()]).await;
    assert_eq!(saved.status.code(), Some(0), "stderr: {}", stderr(&saved));
    assert_eq!(comparable(json(&saved)), live);
    let stored = audit_json(dir.path(), &["--store", &store, "--run", "1"]).await;
    assert_eq!(stored.status.code(), Some(0), "stderr: {}", stderr(&stored));
    assert_eq!(comparable(json(&stored)), live);

    // The latest finished snapshot (2) lists tag names only: the rules that need full tags
    // are not evaluated there (and say why), never passed; the others find the same.
    let shallow = audit_json(dir.path(), &["--store", &store]).await;
    assert_eq!(
        shallow.status.code(),
        Some(0),
        "stderr: {}",
        stderr(&shallow)
    );
    let shallow = json(&shallow);
    for rule in shallow["rules"].as_array().unwrap() {
        let id = rule["id"].as_str().unwrap();
        if ["image-not-scanned", "oversized-image", "stale-image"].contains(&id) {
            assert_eq!(rule["evaluated_sources"], serde_json::json!([]), "{id}");
            let reasons = rule["not_evaluated"].as_array().unwrap();
            assert_eq!(reasons.len(), 4, "{id}");
            for reason in reasons {
                let text = reason["reason"].as_str().unwrap();
                assert!(text.contains("tag depth names"), "{id}: {text}");
            }
            assert_eq!(shallow["summary"]["by_rule"][id], 0, "{id}");
        }
    }
    let keys = |doc: &Value, deep: bool| -> BTreeSet<String> {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| {
                deep || !["image-not-scanned", "oversized-image", "stale-image"]
                    .contains(&f["rule"].as_str().unwrap())
            })
            .map(|f| f.to_string())
            .collect()
    };
    assert_eq!(keys(&shallow, true), keys(&live, false));
    emulator_free_errors(dir.path(), &store).await;
}

/// What a store that lacks the asked snapshot says, and the options refused with `--store`.
async fn emulator_free_errors(dir: &Path, store: &str) {
    let out = audit_json(dir, &["--store", store, "--run", "9"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no snapshot 9 in the store; it holds 1 (complete), 2 (complete)"),
        "{}",
        stderr(&out)
    );
    let empty = format!("sqlite:{}", dir.join("empty.db").display());
    let out = audit_json(dir, &["--store", &empty]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("the store is empty"),
        "{}",
        stderr(&out)
    );
    let out = audit_json(dir, &["--store", store, "--from", "report.json"]).await;
    assert_eq!(out.status.code(), Some(1), "a usage error");
    assert!(
        stderr(&out).contains("cannot be used with"),
        "{}",
        stderr(&out)
    );
    let out = audit_json(dir, &["--store", store, "--registry", "acme-prod"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--store"), "{}", stderr(&out));
}

/// Tag-listing requests the emulator received.
fn tag_requests(emulator: &Emulator) -> u64 {
    emulator
        .stats()
        .by_route
        .iter()
        .filter(|(route, _)| route.contains("tags"))
        .map(|(_, statuses)| statuses.values().sum::<u64>())
        .sum()
}

#[tokio::test]
async fn only_the_requests_the_selected_rules_need() {
    let emulator = sample_emulator().await;
    let dir = TempDir::new("depth");
    write_config(dir.path(), &emulator, "");
    let out = reginv_async(
        dir.path(),
        &[
            "audit",
            "--rule",
            "public-repository",
            "--rule",
            "public-registry",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--tags",
            "full",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert!(emulator.stats().requests > 0);
    assert_eq!(
        tag_requests(&emulator),
        0,
        "{:?}",
        emulator.stats().by_route
    );
    let ids: Vec<String> = json(&out)["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["public-registry", "public-repository"]);

    // `mutable-tags` reads NCR image details: one request more per repository, still no tags.
    let without_details = emulator.stats().requests;
    emulator.reset_stats();
    let out = reginv_async(
        dir.path(),
        &[
            "audit",
            "--rule",
            "mutable-tags",
            "--format",
            "json",
            "--fail-on",
            "never",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert_eq!(tag_requests(&emulator), 0);
    assert!(
        emulator.stats().requests > without_details,
        "{:?}",
        emulator.stats().by_route
    );
    emulator.reset_stats();

    let out = reginv_async(
        dir.path(),
        &[
            "audit",
            "--rule",
            "oversized-image",
            "--format",
            "json",
            "--fail-on",
            "never",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert!(tag_requests(&emulator) > 0, "a tag rule lists tags");
    emulator.shutdown().await;
}

#[tokio::test]
async fn suppressions_from_the_config_and_exit_statuses() {
    let emulator = sample_emulator().await;
    let dir = TempDir::new("exit");
    write_config(dir.path(), &emulator, "");
    // The sample has public repositories: a high finding, so the default --fail-on fails.
    let out = reginv_async(dir.path(), &["audit", "--as-of", AS_OF, "--format", "json"]).await;
    assert_eq!(out.status.code(), Some(3), "stderr: {}", stderr(&out));
    let doc = json(&out);
    let high = doc["summary"]["by_severity"]["high"].as_u64().unwrap();
    assert!(high > 0);

    // Suppress every high finding: reported as suppressed, and the run passes.
    write_config(
        dir.path(),
        &emulator,
        "[[audit.suppress]]\nrule = \"public-repository\"\ntarget = \"*\"\nreason = \"demo\"\n\n\
         [[audit.suppress]]\nrule = \"public-registry\"\ntarget = \"*\"\nreason = \"demo\"\n\
         until = 2027-01-01\n\n[[audit.suppress]]\nrule = \"registry-disconnected\"\n\
         target = \"ncp-jpn:*\"\nreason = \"the DR bucket is being moved\"\n",
    );
    let out = reginv_async(dir.path(), &["audit", "--as-of", AS_OF, "--format", "json"]).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let suppressed = json(&out);
    assert_eq!(suppressed["summary"]["by_severity"]["high"], 0);
    assert_eq!(suppressed["summary"]["suppressed"].as_u64().unwrap(), high);
    assert_eq!(
        suppressed["findings"].as_array().unwrap().len(),
        doc["findings"].as_array().unwrap().len(),
        "suppressed findings are still listed"
    );
    // After `until`, the public-registry findings come back.
    let later = reginv_async(
        dir.path(),
        &[
            "audit",
            "--as-of",
            "2027-01-02T00:00:00Z",
            "--format",
            "json",
        ],
    )
    .await;
    let registry_findings = doc["summary"]["by_rule"]["public-registry"]
        .as_u64()
        .unwrap();
    assert_eq!(
        later.status.code(),
        Some(if registry_findings > 0 { 3 } else { 0 }),
        "stderr: {}",
        stderr(&later)
    );
    // A lower --fail-on catches the low/info findings.
    let out = reginv_async(
        dir.path(),
        &["audit", "--as-of", AS_OF, "--fail-on", "info"],
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "stderr: {}", stderr(&out));

    // An unknown rule id is an error that lists the known ones.
    let out = reginv_async(dir.path(), &["audit", "--rule", "public-repo"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("public-repository") && stderr(&out).contains("stale-image"));
    let out = reginv_async(dir.path(), &["audit", "--skip-rule", "nope"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--skip-rule"), "{}", stderr(&out));
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_incomplete_inventory_exits_2() {
    let emulator = sample_emulator().await;
    let dir = TempDir::new("incomplete");
    write_config(dir.path(), &emulator, "");
    let text = fs::read_to_string(dir.path().join("reginv.toml")).unwrap();
    let secret = emulator.swr_credentials().secret_key.expose().to_string();
    fs::write(
        dir.path().join("reginv.toml"),
        text.replace(&secret, "wrong-secret"),
    )
    .unwrap();
    let out = reginv_async(
        dir.path(),
        &["audit", "--format", "json", "--fail-on", "never"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "stderr: {}", stderr(&out));
    let doc = json(&out);
    let rule = &doc["rules"][0];
    assert!(rule["not_evaluated"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["source"] == "swr-ap" && n["reason"].as_str().unwrap().contains("failed")));
    assert!(stderr(&out).contains("warning"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("wrong-secret"));
    emulator.shutdown().await;
}

#[tokio::test]
async fn from_refuses_live_filters_and_bad_files() {
    let dir = TempDir::new("from");
    let out = reginv_async(dir.path(), &["audit", "--from", "missing.json"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("missing.json"));
    fs::write(dir.path().join("bad.json"), "{\"not\": \"a report\"}").unwrap();
    let out = reginv_async(dir.path(), &["audit", "--from", "bad.json"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("not a reginv JSON report"),
        "{}",
        stderr(&out)
    );
    let out = reginv_async(
        dir.path(),
        &["audit", "--from", "bad.json", "--source", "x"],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--from"), "{}", stderr(&out));
}
