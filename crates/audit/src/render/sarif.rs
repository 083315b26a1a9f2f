//! The `sarif` format: a SARIF 2.1.0 log built with the `serde-sarif` types.
//!
//! One run; the tool is `reginv` with every rule run in `tool.driver.rules`; each finding is a
//! result with its rule, a level (`critical`/`high` → `error`, `medium` → `warning`,
//! `low`/`info` → `note`), and a logical location whose fully qualified name is the finding's
//! target (`source:registry/repository:tag`). Suppressed findings carry an external
//! suppression with their reason. Rules not evaluated on a source are tool configuration
//! notifications of the invocation.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::{json, Value};
use serde_sarif::sarif;

use crate::document::{AuditDocument, Finding, RuleReport};
use crate::severity::Severity;

/// The `$schema` of the logs written: the final OASIS SARIF 2.1.0 schema (not a draft).
pub const SARIF_SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/os/schemas/sarif-schema-2.1.0.json";

/// The SARIF level of a severity.
fn level(severity: Severity) -> sarif::ResultLevel {
    match severity {
        Severity::Critical | Severity::High => sarif::ResultLevel::Error,
        Severity::Medium => sarif::ResultLevel::Warning,
        Severity::Low | Severity::Info => sarif::ResultLevel::Note,
    }
}

/// The `security-severity` score code-scanning dashboards sort by.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

fn text(text: &str) -> sarif::Message {
    sarif::Message::builder().text(text.to_string()).build()
}

fn properties(entries: BTreeMap<String, Value>) -> sarif::PropertyBag {
    sarif::PropertyBag::builder()
        .additional_properties(entries)
        .build()
}

fn descriptor(rule: &RuleReport) -> sarif::ReportingDescriptor {
    let configuration = sarif::ReportingConfiguration::builder()
        .level(json!(level(rule.severity)))
        .build();
    sarif::ReportingDescriptor::builder()
        .id(rule.id.clone())
        .name(rule.title.clone())
        .short_description(
            sarif::MultiformatMessageString::builder()
                .text(rule.title.clone())
                .build(),
        )
        .full_description(
            sarif::MultiformatMessageString::builder()
                .text(rule.description.clone())
                .build(),
        )
        .default_configuration(configuration)
        .properties(properties(BTreeMap::from([
            ("severity".to_string(), json!(rule.severity)),
            (
                "security-severity".to_string(),
                json!(security_severity(rule.severity)),
            ),
            (
                "tags".to_string(),
                json!(["security", "container-registry"]),
            ),
        ])))
        .build()
}

fn result(finding: &Finding, rule_index: Option<usize>) -> sarif::Result {
    let target = finding.target();
    let location = sarif::Location::builder()
        .logical_locations(vec![sarif::LogicalLocation::builder()
            .name(
                finding
                    .tag
                    .clone()
                    .or_else(|| finding.repository.clone())
                    .or_else(|| finding.registry.clone())
                    .unwrap_or_else(|| finding.source.clone()),
            )
            .fully_qualified_name(target.clone())
            .kind("resource".to_string())
            .build()])
        .build();
    let mut props = BTreeMap::from([
        ("severity".to_string(), json!(finding.severity)),
        ("source".to_string(), json!(finding.source)),
        ("provider".to_string(), json!(finding.provider)),
        ("region".to_string(), json!(finding.region)),
        (
            "evidence".to_string(),
            Value::Object(finding.evidence.clone()),
        ),
    ]);
    if let Some(registry) = &finding.registry {
        props.insert("registry".to_string(), json!(registry));
    }
    let mut result = sarif::Result::builder()
        .rule_id(finding.rule.clone())
        .level(level(finding.severity))
        .message(text(&finding.message))
        .locations(vec![location])
        .partial_fingerprints(BTreeMap::from([(
            "reginvTarget/v1".to_string(),
            format!("{}|{target}", finding.rule),
        )]))
        .properties(properties(props))
        .build();
    result.rule_index = rule_index.and_then(|i| i64::try_from(i).ok());
    if finding.suppressed {
        let mut suppression = sarif::Suppression::builder()
            .kind(json!("external"))
            .status(json!("accepted"))
            .build();
        suppression.justification = finding.suppression_reason.clone();
        result.suppressions = Some(vec![suppression]);
    }
    result
}

/// The document as a SARIF 2.1.0 log.
pub fn to_sarif(document: &AuditDocument) -> sarif::Sarif {
    let rules: Vec<sarif::ReportingDescriptor> = document.rules.iter().map(descriptor).collect();
    let results: Vec<sarif::Result> = document
        .findings
        .iter()
        .map(|f| result(f, document.rules.iter().position(|r| r.id == f.rule)))
        .collect();
    let notifications: Vec<sarif::Notification> = document
        .rules
        .iter()
        .flat_map(|rule| {
            rule.not_evaluated.iter().map(move |n| {
                sarif::Notification::builder()
                    .message(text(&format!(
                        "{} not evaluated on {}: {}",
                        rule.id, n.source, n.reason
                    )))
                    .level(json!("note"))
                    .descriptor(
                        sarif::ReportingDescriptorReference::builder()
                            .id(rule.id.clone())
                            .build(),
                    )
                    .build()
            })
        })
        .collect();
    let invocation = sarif::Invocation::builder()
        .execution_successful(true)
        .end_time_utc(document.generated_at.to_rfc3339())
        .tool_configuration_notifications(notifications)
        .properties(properties(BTreeMap::from([(
            "as_of".to_string(),
            json!(document.as_of),
        )])))
        .build();
    let driver = sarif::ToolComponent::builder()
        .name("reginv".to_string())
        .version(env!("CARGO_PKG_VERSION").to_string())
        .rules(rules)
        .build();
    let run = sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        .results(results)
        .invocations(vec![invocation])
        .build();
    sarif::Sarif::builder()
        .schema(SARIF_SCHEMA.to_string())
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build()
}

/// Writes the document as a pretty-printed SARIF 2.1.0 log, with a final newline.
pub fn write_sarif(document: &AuditDocument, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &to_sarif(document))?;
    writeln!(out)
}
