//! The output formats on a hand-made audit: SARIF valid against the 2.1.0 schema, CSV safe for
//! spreadsheets, the table grouped by severity and rule and escaped for terminals.

mod common;

use common::*;
use reginv::{ProviderKind, Repository, SourceSummary};
use reginv_audit::{render, Audit, AuditConfig, AuditDocument, AuditInput, Suppression};
use serde_json::Value;

/// The SARIF 2.1.0 JSON schema, from npm `@microsoft/sarif-multitool-linux` 5.7.0
/// (`package/sarif-2.1.0.json`); see `tests/data/README.md`.
const SARIF_SCHEMA: &str = include_str!("data/sarif-2.1.0.json");

fn audit(world: &World) -> AuditDocument {
    let mut config = AuditConfig::new();
    config.as_of = Some(as_of());
    config.max_tags = 5;
    config.suppress = vec![Suppression::new(
        "public-repository",
        "a:open/app",
        "published on purpose",
    )];
    Audit::new(config).unwrap().run_input(world.input())
}

/// Validates `log` against the SARIF 2.1.0 schema; the errors, if any.
pub fn sarif_errors(log: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(SARIF_SCHEMA).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    validator
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn sarif_is_valid_2_1_0_with_rules_locations_and_suppressions() {
    let doc = audit(&World::new());
    let mut out = Vec::new();
    render::write_sarif(&doc, &mut out).unwrap();
    let log: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(sarif_errors(&log), Vec::<String>::new());
    assert_eq!(log["version"], "2.1.0");
    let schema = log["$schema"].as_str().unwrap();
    assert!(
        schema.ends_with("sarif-schema-2.1.0.json") && !schema.contains("rtm"),
        "{schema}"
    );
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 10);
    assert_eq!(rules[0]["id"], "public-registry");
    assert_eq!(rules[0]["defaultConfiguration"]["level"], "error");
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), doc.findings.len());
    let stale = results
        .iter()
        .find(|r| r["ruleId"] == "stale-image")
        .unwrap();
    assert_eq!(
        stale["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "a:open/app:big"
    );
    assert_eq!(stale["level"], "note");
    assert_eq!(
        rules[stale["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "stale-image"
    );
    let suppressed = results
        .iter()
        .find(|r| r["ruleId"] == "public-repository")
        .unwrap();
    assert_eq!(suppressed["suppressions"][0]["kind"], "external");
    assert_eq!(
        suppressed["suppressions"][0]["justification"],
        "published on purpose"
    );
    let notes = run["invocations"][0]["toolConfigurationNotifications"]
        .as_array()
        .unwrap();
    assert!(notes.iter().any(|n| n["message"]["text"]
        .as_str()
        .unwrap()
        .starts_with("stale-image not evaluated on b")));
}

#[test]
fn the_schema_check_rejects_an_invalid_log() {
    let bad = serde_json::json!({"version": "2.1.0", "runs": [{"tool": {}}]});
    assert!(!sarif_errors(&bad).is_empty());
}

#[test]
fn csv_has_one_row_per_finding_and_neutralises_formulas() {
    let mut world = World::new();
    let a = source("a", ProviderKind::NCP);
    let mut evil = Repository::new(&a, "=cmd", "@SUM(A1)");
    evil.tags = Some(Vec::new());
    world.repositories.push(evil);
    let doc = audit(&world);
    let mut out = Vec::new();
    render::write_csv(&doc, &mut out).unwrap();
    let mut reader = csv::Reader::from_reader(out.as_slice());
    assert_eq!(reader.headers().unwrap(), render::CSV_HEADER.as_slice());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), doc.findings.len());
    let row = rows
        .iter()
        .find(|r| &r[0] == "empty-repository" && r[5].contains("cmd"))
        .unwrap();
    assert_eq!(&row[5], "'=cmd");
    assert_eq!(&row[6], "'@SUM(A1)");
    assert_eq!(&row[8], "a:=cmd/@SUM(A1)");
    for record in &rows {
        for cell in record {
            assert!(!cell.starts_with(['=', '+', '-', '@']), "{cell}");
        }
    }
    let suppressed = rows.iter().find(|r| &r[0] == "public-repository").unwrap();
    assert_eq!(
        (&suppressed[10], &suppressed[11]),
        ("true", "published on purpose")
    );
}

#[test]
fn the_table_groups_by_severity_and_rule_and_names_what_was_not_evaluated() {
    let mut world = World::new();
    let a = source("a", ProviderKind::NCP);
    let mut evil = Repository::new(&a, "gone", "x\u{1b}]0;pwned\u{7}");
    evil.tags = Some(Vec::new());
    world.repositories.push(evil);
    let doc = audit(&world);
    let mut out = Vec::new();
    render::write_table(&doc, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text}"
    );
    assert!(text.contains("x\\u{1b}]0;pwned\\u{7}"), "{text}");
    assert!(
        text.starts_with("Audit as of 2026-06-01 12:00 UTC: 11 findings (2 high, 3 medium, 4 low, 2 info), 1 suppressed"),
        "{text}"
    );
    let high = text.find("\nHIGH (2)").expect("HIGH group");
    let medium = text.find("\nMEDIUM (3)").expect("MEDIUM group");
    let info = text.find("\nINFO (2)").expect("INFO group");
    assert!(high < medium && medium < info);
    assert!(
        text.contains("  stale-image (2): Image not pulled recently"),
        "{text}"
    );
    assert!(text.contains("  empty-repository (2): Repository without tags"));
    assert!(text.contains("\nSuppressed (1)\n  high public-repository a:open/app"));
    assert!(text.contains("(reason: published on purpose)"));
    assert!(text.contains("\nNot evaluated ("));
    assert!(
        text.contains("  stale-image on b: b reports no `tag.last_pulled_at`"),
        "{text}"
    );
    assert!(text.contains("  public-registry on c: the inventory of c failed"));
}

#[test]
fn a_clean_audit_says_so() {
    let sources = [SourceSummary::new(&source("a", ProviderKind::NCP))];
    let mut config = AuditConfig::new();
    config.as_of = Some(as_of());
    let doc = Audit::new(config)
        .unwrap()
        .run_input(AuditInput::new(&sources, Some(&[]), &[]));
    let mut out = Vec::new();
    render::write_table(&doc, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("Audit as of 2026-06-01 12:00 UTC: 0 findings, 0 suppressed\n"));
    assert!(text.contains("No unsuppressed finding: public-registry, public-repository"));
    let mut sarif = Vec::new();
    render::write_sarif(&doc, &mut sarif).unwrap();
    assert_eq!(
        sarif_errors(&serde_json::from_slice(&sarif).unwrap()),
        Vec::<String>::new()
    );
}
