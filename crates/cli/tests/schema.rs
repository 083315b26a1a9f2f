//! The JSON Schemas `reginv schema` prints validate what `reginv` really writes: a complete demo
//! report, every NDJSON line, and a report full of failures.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_reginv");

fn reginv(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).current_dir(dir).env_clear().env("HOME", dir);
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd.output().expect("the reginv binary runs")
}

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

fn temp_dir(label: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("reginv-schema-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_demo_report_and_every_event_line_match_their_schemas() {
    let dir = temp_dir("demo");
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
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_report_of_failures_and_its_error_lines_match_their_schemas() {
    let dir = temp_dir("failures");
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
    let _ = std::fs::remove_dir_all(&dir);
}
