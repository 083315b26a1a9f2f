//! The JSON Schemas `reginv schema` prints validate what `reginv` really writes: a complete demo
//! report, every NDJSON line, a report full of failures, the diff of two reports (document and
//! NDJSON lines), and the audit of an emulator's inventory.

use std::path::Path;

use serde_json::Value;

mod common;
use common::{config_for, reginv, sample_emulator, TempDir};

fn validator(dir: &Path, document: &str) -> jsonschema::Validator {
    let out = reginv(dir, &["schema", document]);
    assert!(out.status.success(), "{out:?}");
    let schema: Value = serde_json::from_slice(&out.stdout).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema")
}

fn assert_valid(validator: &jsonschema::Validator, instance: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match its schema: {errors:#?}"
    );
}

#[test]
fn the_demo_report_and_every_event_line_match_their_schemas() {
    let dir = TempDir::new("demo");
    let report = validator(&dir, "report");
    let events = validator(&dir, "events");

    let out = reginv(&dir, &["demo", "--format", "json", "--tags", "full"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!doc["repositories"].as_array().unwrap().is_empty());
    assert_valid(&report, &doc, "the demo report");

    let out = reginv(&dir, &["demo", "--format", "ndjson", "--tags", "full"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = 0;
    for line in text.lines() {
        let value: Value = serde_json::from_str(line).unwrap();
        assert_valid(&events, &value, line);
        lines += 1;
    }
    assert!(lines > 2, "{text}");

    // The schema is no rubber stamp: a report with a wrong type is refused.
    let mut broken = doc.clone();
    broken["repositories"][0]["tag_count"] = Value::from("many");
    assert!(!report.is_valid(&broken));
    broken = doc;
    broken["sources"][0]["status"] = Value::from("fine");
    assert!(!report.is_valid(&broken));
}

#[test]
fn a_report_of_failures_and_its_error_lines_match_their_schemas() {
    let dir = TempDir::new("failures");
    // Nothing listens on port 1 of the loopback: every listing fails with a network error.
    std::fs::write(
        dir.join("reginv.toml"),
        r#"
[[providers]]
name = "down"
kind = "ncp"
region = "kr"
endpoint = "http://127.0.0.1:1"
access_key = "AK"
secret_key = "SK"
"#,
    )
    .unwrap();
    let report = validator(&dir, "report");
    let events = validator(&dir, "events");

    let out = reginv(&dir, &["inventory", "--format", "json"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!doc["errors"].as_array().unwrap().is_empty(), "{doc}");
    assert_valid(&report, &doc, "a report of failures");

    let out = reginv(&dir, &["inventory", "--format", "ndjson"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\"type\":\"error\""), "{text}");
    for line in text.lines() {
        assert_valid(&events, &serde_json::from_str(line).unwrap(), line);
    }
}

/// A demo report, and a copy with a retag, a repository gone and a repository made private.
fn two_reports(dir: &Path) -> (Value, Value) {
    let out = reginv(dir, &["demo", "--format", "json", "--tags", "full"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let old: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut new = old.clone();
    let repositories = new["repositories"].as_array_mut().unwrap();
    let tagged = repositories
        .iter()
        .position(|r| r["tags"].as_array().is_some_and(|t| !t.is_empty()))
        .expect("a repository with tags");
    repositories[tagged]["tags"][0]["digest"] = Value::from(format!("sha256:{}", "e".repeat(64)));
    repositories[tagged]["public"] =
        Value::from(!repositories[tagged]["public"].as_bool().unwrap_or(false));
    let gone = (0..repositories.len())
        .rfind(|i| *i != tagged)
        .expect("a second repository");
    repositories.remove(gone);
    (old, new)
}

#[test]
fn the_diff_of_two_reports_and_its_lines_match_their_schema() {
    let dir = TempDir::new("diff");
    let schema = validator(&dir, "diff");
    let (old, new) = two_reports(&dir);
    std::fs::write(dir.join("old.json"), old.to_string()).unwrap();
    std::fs::write(dir.join("new.json"), new.to_string()).unwrap();

    let out = reginv(&dir, &["diff", "old.json", "new.json", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let kinds: Vec<&str> = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    for kind in ["tag_moved", "repository_removed"] {
        assert!(kinds.contains(&kind), "no {kind} in {doc}");
    }
    assert_valid(&schema, &doc, "the diff document");

    let out = reginv(
        &dir,
        &["diff", "old.json", "new.json", "--format", "ndjson"],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let mut types = Vec::new();
    for line in text.lines() {
        let value: Value = serde_json::from_str(line).unwrap();
        assert_valid(&schema, &value, line);
        types.push(value["type"].as_str().unwrap().to_string());
    }
    assert_eq!(
        types.len(),
        kinds.len() + doc["sources"].as_array().unwrap().len() + 1
    );
    assert_eq!(types.last().map(String::as_str), Some("summary"), "{text}");

    // Not a rubber stamp: an unknown change kind, or a line of no known type, is refused.
    let mut broken = doc.clone();
    broken["changes"][0]["kind"] = Value::from("tag_renamed");
    assert!(!schema.is_valid(&broken));
    let mut line: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    line["type"] = Value::from("registry");
    assert!(!schema.is_valid(&line));
}

#[tokio::test]
async fn the_audit_of_an_emulator_inventory_matches_its_schema() {
    let emulator = sample_emulator().await;
    let dir = TempDir::new("audit");
    std::fs::write(dir.join("reginv.toml"), config_for(&emulator, None)).unwrap();
    let run_dir = dir.to_path_buf();
    let (schema, out) = tokio::task::spawn_blocking(move || {
        let schema = validator(&run_dir, "audit");
        let args = [
            "audit",
            "--format",
            "json",
            "--as-of",
            "2025-01-01T00:00:00Z",
            "--fail-on",
            "never",
        ];
        (schema, reginv(&run_dir, &args))
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!doc["findings"].as_array().unwrap().is_empty(), "{doc}");
    assert!(!doc["rules"].as_array().unwrap().is_empty(), "{doc}");
    assert_valid(&schema, &doc, "the audit document");

    let mut broken = doc.clone();
    broken["findings"][0]["severity"] = Value::from("dire");
    assert!(!schema.is_valid(&broken));
    broken = doc;
    broken["summary"]["suppressed"] = Value::from(-1);
    assert!(!schema.is_valid(&broken));
}
