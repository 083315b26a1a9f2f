//! Each built-in rule on hand-made inventories: finds what it must and nothing else, is not
//! evaluated where the data is missing, respects thresholds and `as_of`, and honours
//! suppressions until they expire.

mod common;

use chrono::{Duration, NaiveDate};
use common::*;
use reginv::{ProviderKind, Repository, SourceSummary};
use reginv_audit::{Audit, AuditConfig, AuditDocument, AuditInput, FailOn, Severity, Suppression};

fn config() -> AuditConfig {
    let mut config = AuditConfig::new();
    config.as_of = Some(as_of());
    config.max_tags = 5;
    config
}

fn run(config: AuditConfig, input: AuditInput<'_>) -> AuditDocument {
    Audit::new(config).unwrap().run_input(input)
}

fn audit_world() -> AuditDocument {
    run(config(), World::new().input())
}

#[test]
fn each_rule_finds_exactly_what_it_must() {
    let doc = audit_world();
    let expected: [(&str, &[&str]); 10] = [
        ("public-registry", &["a:open"]),
        ("public-repository", &["a:open/app"]),
        ("registry-disconnected", &["a:gone"]),
        ("scan-on-push-disabled", &["a:open"]),
        ("image-not-scanned", &["b:ns/web:v1"]),
        ("oversized-image", &["a:open/app:big"]),
        ("mutable-tags", &["a:open/app"]),
        ("stale-image", &["a:open/app:big", "a:open/app:old"]),
        ("tag-sprawl", &["a:gone/many"]),
        ("empty-repository", &["a:gone/empty"]),
    ];
    for (rule, targets_expected) in expected {
        assert_eq!(targets(&doc, rule), targets_expected, "{rule}");
    }
    assert_eq!(doc.findings.len(), 11, "no other finding");
    assert_eq!(doc.summary.by_severity.high, 3);
    assert_eq!(doc.summary.by_severity.medium, 3);
    assert_eq!(doc.summary.by_severity.low, 4);
    assert_eq!(doc.summary.by_severity.info, 1);
    assert_eq!(doc.summary.by_rule["stale-image"], 2);
    assert_eq!(doc.summary.suppressed, 0);
    // Most severe first, then rule order.
    let severities: Vec<Severity> = doc.findings.iter().map(|f| f.severity).collect();
    let mut sorted = severities.clone();
    sorted.sort_by(|x, y| y.cmp(x));
    assert_eq!(severities, sorted);
    assert_eq!(doc.findings[0].rule, "public-registry");
}

#[test]
fn findings_carry_provenance_and_evidence() {
    let doc = audit_world();
    let big = doc
        .findings
        .iter()
        .find(|f| f.rule == "oversized-image")
        .unwrap();
    assert_eq!(big.source, "a");
    assert_eq!(big.provider, ProviderKind::NCP);
    assert_eq!(big.region, "r1");
    assert_eq!(
        (
            big.registry.as_deref(),
            big.repository.as_deref(),
            big.tag.as_deref()
        ),
        (Some("open"), Some("app"), Some("big"))
    );
    assert_eq!(big.evidence["size_bytes"], 3 * GIB);
    assert_eq!(big.evidence["max_image_bytes"], 2 * GIB);
    let registry = doc
        .findings
        .iter()
        .find(|f| f.rule == "public-registry")
        .unwrap();
    assert_eq!(
        (registry.repository.as_ref(), registry.tag.as_ref()),
        (None, None)
    );
    let old = doc
        .findings
        .iter()
        .find(|f| f.rule == "stale-image" && f.tag.as_deref() == Some("old"))
        .unwrap();
    assert_eq!(old.evidence["counted_from"], "updated_at");
    assert_eq!(old.evidence["days"], 100);
    assert!(old.message.contains("never pulled"), "{}", old.message);
}

#[test]
fn rules_are_not_evaluated_where_a_source_reports_no_data() {
    let doc = audit_world();
    let both = vec!["a".to_string(), "b".to_string()];
    for rule in [
        "public-registry",
        "public-repository",
        "tag-sprawl",
        "oversized-image",
    ] {
        let (evaluated, not) = coverage(&doc, rule);
        assert_eq!(evaluated, both, "{rule}");
        assert_eq!(not, ["c"], "{rule}");
    }
    // b reports no scan on push, status, immutability or pull times: not evaluated there.
    for (rule, field) in [
        ("scan-on-push-disabled", "registry.scan_on_push"),
        ("registry-disconnected", "registry.status"),
        ("mutable-tags", "repository.tag_immutable"),
        ("stale-image", "tag.last_pulled_at"),
    ] {
        assert_eq!(
            coverage(&doc, rule),
            (vec!["a".into()], vec!["b".into(), "c".into()])
        );
        let why = reason(&doc, rule, "b");
        assert!(why.contains(field) && why.contains("b reports no"), "{why}");
    }
    // a reports no scan state on any tag.
    assert_eq!(
        coverage(&doc, "image-not-scanned"),
        (vec!["b".into()], vec!["a".into(), "c".into()])
    );
    assert!(reason(&doc, "image-not-scanned", "a").contains("of its 10 tags"));
    assert!(reason(&doc, "public-registry", "c").contains("failed"));
    // Never a finding where not evaluated: b's 400-day-old v1 is not reported stale.
    assert!(!targets(&doc, "stale-image")
        .iter()
        .any(|t| t.starts_with("b:")));
}

#[test]
fn a_source_with_no_rows_is_evaluated_with_nothing_to_find() {
    let empty = SourceSummary::new(&source("empty", ProviderKind::OCI));
    let sources = [empty];
    let doc = run(config(), AuditInput::new(&sources, Some(&[]), &[]));
    assert!(doc.findings.is_empty());
    for rule in &doc.rules {
        assert_eq!(rule.evaluated_sources, ["empty"], "{}", rule.id);
        assert!(rule.not_evaluated.is_empty());
    }
}

#[test]
fn without_registry_rows_registry_rules_are_not_evaluated() {
    let world = World::new();
    let report = world.report();
    let doc = Audit::new(config()).unwrap().run(&report);
    for rule in [
        "public-registry",
        "registry-disconnected",
        "scan-on-push-disabled",
    ] {
        let (evaluated, _) = coverage(&doc, rule);
        assert!(evaluated.is_empty(), "{rule}");
        assert!(reason(&doc, rule, "a").contains("no registry rows"));
        assert!(targets(&doc, rule).is_empty());
    }
    assert_eq!(targets(&doc, "public-repository"), ["a:open/app"]);

    // A source with repositories but no registry row (a report from before registries were
    // rows) has unknown registries too; a source with neither has nothing to find.
    let only_b: Vec<_> = world
        .registries
        .iter()
        .filter(|r| r.source == "b")
        .cloned()
        .collect();
    let input = AuditInput::new(&world.sources, Some(&only_b), &world.repositories);
    let doc = run(config(), input);
    assert_eq!(
        coverage(&doc, "public-registry"),
        (vec!["b".into()], vec!["a".into(), "c".into()])
    );
    assert!(reason(&doc, "public-registry", "a").contains("no registry rows for a"));
}

#[test]
fn tag_rules_need_listed_tags_and_counts_fall_back_to_tag_count() {
    let a = source("a", ProviderKind::NCP);
    let mut counted = Repository::new(&a, "reg", "counted");
    counted.tag_count = Some(9);
    let mut zero = Repository::new(&a, "reg", "zero");
    zero.tag_count = Some(0);
    let sources = [SourceSummary::new(&a)];
    let repos = [counted, zero];
    let doc = run(config(), AuditInput::new(&sources, Some(&[]), &repos));
    for rule in ["image-not-scanned", "oversized-image", "stale-image"] {
        assert!(reason(&doc, rule, "a").contains("not listed"), "{rule}");
    }
    assert_eq!(targets(&doc, "tag-sprawl"), ["a:reg/counted"]);
    assert_eq!(targets(&doc, "empty-repository"), ["a:reg/zero"]);

    let mut unknown = repos.clone();
    for repo in &mut unknown {
        repo.tag_count = None;
    }
    let doc = run(config(), AuditInput::new(&sources, Some(&[]), &unknown));
    assert!(reason(&doc, "tag-sprawl", "a").contains("tag_count"));
    assert!(targets(&doc, "empty-repository").is_empty());
}

#[test]
fn thresholds_are_respected() {
    let world = World::new();
    let mut lenient = config();
    lenient.max_image_bytes = 4 * GIB;
    lenient.stale_days = 150;
    lenient.max_tags = 6;
    let doc = run(lenient, world.input());
    assert!(targets(&doc, "oversized-image").is_empty());
    assert_eq!(targets(&doc, "stale-image"), ["a:open/app:big"]);
    assert!(
        targets(&doc, "tag-sprawl").is_empty(),
        "6 tags is not more than 6"
    );

    let mut strict = config();
    strict.max_image_bytes = 100;
    strict.stale_days = 7;
    let doc = run(strict, world.input());
    assert_eq!(
        targets(&doc, "oversized-image"),
        ["a:open/app:big", "a:open/app:small"],
        "100 bytes is not more than 100"
    );
    assert_eq!(
        targets(&doc, "stale-image"),
        ["a:open/app:big", "a:open/app:old", "a:open/app:small"]
    );
}

#[test]
fn staleness_is_judged_against_as_of() {
    let world = World::new();
    // Exactly 90 days after its last update, `old` is not yet stale; a second later it is.
    let mut earlier = config();
    earlier.as_of = Some(as_of() - Duration::days(10));
    assert_eq!(
        targets(&run(earlier, world.input()), "stale-image"),
        ["a:open/app:big"]
    );
    let mut later = config();
    later.as_of = Some(as_of() + Duration::days(100));
    let stale = targets(&run(later, world.input()), "stale-image");
    assert_eq!(stale.len(), 10, "every tag of a: {stale:?}");
    let mut boundary = config();
    boundary.stale_days = 100;
    assert_eq!(
        targets(&run(boundary.clone(), world.input()), "stale-image"),
        ["a:open/app:big"],
        "exactly stale_days is within"
    );
    boundary.as_of = Some(as_of() + Duration::seconds(1));
    assert_eq!(
        targets(&run(boundary, world.input()), "stale-image"),
        ["a:open/app:big", "a:open/app:old"]
    );
}

#[test]
fn suppressions_are_matched_counted_listed_and_expire() {
    let world = World::new();
    let mut with = config();
    with.suppress = vec![
        Suppression::new("public-repository", "a:open/*", "published on purpose"),
        Suppression::new("stale-image", "a:*:old", "kept for rollback")
            .with_until(NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()),
        // Another rule's target: no effect.
        Suppression::new("public-registry", "b:*", "no such finding"),
    ];
    let doc = run(with.clone(), world.input());
    assert_eq!(
        targets(&doc, "public-repository"),
        ["a:open/app (suppressed)"]
    );
    assert_eq!(
        targets(&doc, "stale-image"),
        ["a:open/app:big", "a:open/app:old (suppressed)"]
    );
    assert_eq!(targets(&doc, "public-registry"), ["a:open"]);
    assert_eq!(doc.summary.suppressed, 2);
    assert_eq!(doc.summary.by_rule["public-repository"], 0);
    assert_eq!(doc.summary.by_severity.high, 2);
    assert_eq!(doc.findings.len(), 11, "suppressed findings stay listed");
    let suppressed = doc
        .findings
        .iter()
        .find(|f| f.rule == "public-repository")
        .unwrap();
    assert_eq!(
        suppressed.suppression_reason.as_deref(),
        Some("published on purpose")
    );

    // The day after `until`, the stale finding comes back.
    with.as_of = Some(as_of() + Duration::days(1));
    let doc = run(with, world.input());
    assert!(targets(&doc, "stale-image").contains(&"a:open/app:old".to_string()));
    assert_eq!(doc.summary.suppressed, 1);
}

#[test]
fn severity_overrides_and_rule_selection() {
    let world = World::new();
    let mut chosen = config();
    chosen.rules = vec!["empty-repository".into(), "tag-sprawl".into()];
    chosen.skip_rules = vec!["tag-sprawl".into()];
    chosen
        .severity
        .insert("empty-repository".into(), Severity::Critical);
    let doc = run(chosen, world.input());
    let ids: Vec<&str> = doc.rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["empty-repository"]);
    assert_eq!(doc.rules[0].severity, Severity::Critical);
    assert_eq!(doc.findings.len(), 1);
    assert_eq!(doc.findings[0].severity, Severity::Critical);
    assert_eq!(doc.summary.by_severity.critical, 1);
    assert_eq!(doc.summary.by_rule.len(), 1);

    let mut unknown = config();
    unknown.rules = vec!["no-such-rule".into()];
    let err = Audit::new(unknown).unwrap_err().to_string();
    assert!(
        err.contains("no-such-rule") && err.contains("stale-image"),
        "{err}"
    );
}

#[test]
fn exit_codes_follow_fail_on_suppressions_and_completeness() {
    let world = World::new();
    let doc = audit_world();
    let high = FailOn::AtLeast(Severity::High);
    assert_eq!(doc.exit_code(high, true), 3);
    assert_eq!(doc.exit_code(FailOn::Never, true), 0);
    assert_eq!(doc.exit_code(FailOn::Never, false), 2);
    assert_eq!(doc.exit_code(high, false), 3, "a failing finding wins");
    let mut only_low = config();
    only_low.rules = vec!["tag-sprawl".into(), "empty-repository".into()];
    let low_doc = run(only_low, world.input());
    assert_eq!(low_doc.exit_code(high, true), 0);
    assert_eq!(low_doc.exit_code(FailOn::AtLeast(Severity::Low), true), 3);
    assert_eq!(low_doc.exit_code(FailOn::AtLeast(Severity::Info), true), 3);

    let mut quiet = config();
    quiet.rules = vec!["public-registry".into()];
    quiet.suppress = vec![Suppression::new("public-registry", "*", "accepted")];
    let suppressed = run(quiet, world.input());
    assert_eq!(
        suppressed.exit_code(high, true),
        0,
        "suppressed findings never fail"
    );
}

#[test]
fn json_has_the_documented_shape() {
    let doc = audit_world();
    let json = serde_json::to_value(&doc).unwrap();
    let keys = |v: &serde_json::Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&json),
        [
            "as_of",
            "findings",
            "generated_at",
            "rules",
            "schema_version",
            "summary"
        ]
    );
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["as_of"], "2026-06-01T12:00:00Z");
    assert_eq!(
        keys(&json["rules"][0]),
        [
            "description",
            "evaluated_sources",
            "id",
            "not_evaluated",
            "severity",
            "title"
        ]
    );
    assert_eq!(
        keys(&json["rules"][0]["not_evaluated"][0]),
        ["reason", "source"]
    );
    assert_eq!(
        keys(&json["findings"][0]),
        [
            "evidence",
            "message",
            "provider",
            "region",
            "registry",
            "repository",
            "rule",
            "severity",
            "source",
            "suppressed",
            "suppression_reason",
            "tag"
        ]
    );
    assert_eq!(json["findings"][0]["repository"], serde_json::Value::Null);
    assert_eq!(json["findings"][0]["tag"], serde_json::Value::Null);
    assert_eq!(
        keys(&json["summary"]),
        ["by_rule", "by_severity", "suppressed"]
    );
    assert_eq!(
        keys(&json["summary"]["by_severity"]),
        ["critical", "high", "info", "low", "medium"]
    );
    let back: AuditDocument = serde_json::from_value(json).unwrap();
    assert_eq!(back, doc);
}

#[test]
fn a_report_with_registry_rows_is_audited_like_its_parts() {
    let world = World::new();
    let mut report = world.report();
    report.registries = world.registries.clone();
    let from_report = Audit::new(config()).unwrap().run(&report);
    let from_parts = run(config(), world.input());
    assert_eq!(from_report.finding_keys(), from_parts.finding_keys());
    assert_eq!(from_report.rules, from_parts.rules);
    assert_eq!(targets(&from_report, "public-registry"), ["a:open"]);
}

#[test]
fn rules_needing_a_deeper_listing_than_the_input_are_not_evaluated() {
    use reginv::TagDepth;
    let world = World::new();
    let full = run(config(), world.input().with_depth(TagDepth::Full));
    assert_eq!(
        full.finding_keys(),
        run(config(), world.input()).finding_keys(),
        "a deep enough listing changes nothing"
    );

    let names = run(config(), world.input().with_depth(TagDepth::Names));
    for rule in ["image-not-scanned", "oversized-image", "stale-image"] {
        assert!(targets(&names, rule).is_empty(), "{rule}");
        let (evaluated, not) = coverage(&names, rule);
        assert!(evaluated.is_empty(), "{rule}: {evaluated:?}");
        assert_eq!(not, ["a", "b", "c"], "{rule}");
        let why = reason(&names, rule, "a");
        assert!(
            why.contains("tag depth names") && why.contains("needs full"),
            "{why}"
        );
        // A failed source still says that it failed.
        assert!(reason(&names, rule, "c").contains("failed"));
    }
    // Rules within the depth are evaluated as before.
    assert_eq!(targets(&names, "tag-sprawl"), ["a:gone/many"]);
    assert_eq!(targets(&names, "public-registry"), ["a:open"]);

    let none = run(config(), world.input().with_depth(TagDepth::None));
    for rule in ["tag-sprawl", "empty-repository"] {
        assert!(targets(&none, rule).is_empty(), "{rule}");
        assert!(
            reason(&none, rule, "b").contains("tag depth none"),
            "{rule}"
        );
    }
    assert_eq!(targets(&none, "public-repository"), ["a:open/app"]);
}
