//! [`Audit`]: runs the selected rules over an inventory and assembles the [`AuditDocument`].

use std::cmp::Reverse;

use chrono::{DateTime, Utc};
use reginv::InventoryReport;

use crate::checks::{self, Thresholds};
use crate::config::AuditConfig;
use crate::document::{
    AuditDocument, Finding, NotEvaluated, RuleReport, Summary, AUDIT_SCHEMA_VERSION,
};
use crate::error::AuditError;
use crate::input::AuditInput;
use crate::rules::{self, Requirements, Rule, RULES};
use crate::severity::Severity;

/// A configured audit: which rules, with which severities, thresholds and suppressions.
///
/// ```
/// use reginv_audit::{Audit, AuditConfig};
///
/// let mut config = AuditConfig::new();
/// config.stale_days = 30;
/// let audit = Audit::new(config).unwrap();
/// // What an inventory must list for these rules (here: every rule, so full tags).
/// assert_eq!(audit.requirements().depth, reginv::TagDepth::Full);
/// # let report: reginv::InventoryReport = serde_json::from_str(
/// #     r#"{"schema_version":1,"generated_at":"2026-01-01T00:00:00Z","complete":true,
/// #         "sources":[],"repositories":[],"errors":[]}"#).unwrap();
/// let document = audit.run(&report);
/// println!("{}", serde_json::to_string_pretty(&document).unwrap());
/// ```
#[derive(Debug, Clone)]
pub struct Audit {
    config: AuditConfig,
    rules: Vec<&'static Rule>,
}

impl Audit {
    /// An audit set up with `config`; an error when an id, glob or reason in it is invalid
    /// (unknown rule ids are listed with the known ones).
    pub fn new(config: AuditConfig) -> Result<Self, AuditError> {
        config.validate()?;
        let rules = rules::select(&config.rules, &config.skip_rules)?;
        Ok(Audit { config, rules })
    }

    /// The configuration.
    pub fn config(&self) -> &AuditConfig {
        &self.config
    }

    /// The rules that run, in the built-in order.
    pub fn rules(&self) -> &[&'static Rule] {
        &self.rules
    }

    /// What an inventory must request so the selected rules see their data, and no more.
    pub fn requirements(&self) -> Requirements {
        rules::requirements(self.rules.iter().copied())
    }

    /// The severity `rule` reports with (the configured override, else its default).
    pub fn severity_of(&self, rule: &Rule) -> Severity {
        self.config
            .severity
            .get(rule.id)
            .copied()
            .unwrap_or(rule.default_severity)
    }

    /// Audits `report` (`as_of` from the configuration, else now).
    pub fn run(&self, report: &InventoryReport) -> AuditDocument {
        self.run_input(AuditInput::from(report))
    }

    /// Audits `input` (`as_of` from the configuration, else now).
    pub fn run_input(&self, input: AuditInput<'_>) -> AuditDocument {
        let now = Utc::now();
        self.run_at(input, self.config.as_of.unwrap_or(now), now)
    }

    fn run_at(
        &self,
        input: AuditInput<'_>,
        as_of: DateTime<Utc>,
        generated_at: DateTime<Utc>,
    ) -> AuditDocument {
        let thresholds = Thresholds {
            stale_days: self.config.stale_days,
            max_image_bytes: self.config.max_image_bytes,
            max_tags: self.config.max_tags,
            as_of,
        };
        let sources = input.source_names();
        let mut reports = Vec::with_capacity(self.rules.len());
        let mut findings = Vec::new();
        for rule in &self.rules {
            let severity = self.severity_of(rule);
            let mut report = RuleReport {
                id: rule.id.to_string(),
                severity,
                title: rule.title.to_string(),
                description: rule.description.to_string(),
                evaluated_sources: Vec::new(),
                not_evaluated: Vec::new(),
            };
            let too_shallow = input
                .depth
                .filter(|depth| rules::rank(*depth) < rules::rank(rule.needs.depth));
            for source in &sources {
                let outcome = if input.failed(source) {
                    Err(format!(
                        "the inventory of {source} failed: nothing was listed"
                    ))
                } else if let Some(depth) = too_shallow {
                    Err(format!(
                        "the inventory was listed at tag depth {depth}; this rule needs {} \
                         (`{}`)",
                        rule.needs.depth, rule.needs.field
                    ))
                } else {
                    checks::check(rule, source, &input.rows_of(source), &thresholds)
                };
                match outcome {
                    Ok(drafts) => {
                        report.evaluated_sources.push(source.to_string());
                        findings.extend(drafts.into_iter().map(|draft| {
                            let mut finding = Finding {
                                rule: rule.id.to_string(),
                                severity,
                                source: source.to_string(),
                                provider: draft.provider,
                                region: draft.region,
                                registry: draft.registry,
                                repository: draft.repository,
                                tag: draft.tag,
                                message: draft.message,
                                evidence: draft.evidence,
                                suppressed: false,
                                suppression_reason: None,
                            };
                            self.suppress(&mut finding, as_of);
                            finding
                        }));
                    }
                    Err(reason) => report.not_evaluated.push(NotEvaluated {
                        source: source.to_string(),
                        reason,
                    }),
                }
            }
            reports.push(report);
        }
        sort(&mut findings, &sources);
        let summary = summarize(&self.rules, &findings);
        AuditDocument {
            schema_version: AUDIT_SCHEMA_VERSION,
            generated_at,
            as_of,
            rules: reports,
            findings,
            summary,
        }
    }

    /// Marks `finding` suppressed when a (not expired) suppression matches it.
    fn suppress(&self, finding: &mut Finding, as_of: DateTime<Utc>) {
        let target = finding.target();
        if let Some(s) = self
            .config
            .suppress
            .iter()
            .find(|s| s.matches(&finding.rule, &target, as_of))
        {
            finding.suppressed = true;
            finding.suppression_reason = Some(s.reason.clone());
        }
    }
}

/// Most severe first, then by rule (built-in order), source (inventory order), registry,
/// repository and tag.
fn sort(findings: &mut [Finding], sources: &[&str]) {
    let rule_index = |id: &str| RULES.iter().position(|r| r.id == id);
    let source_index = |name: &str| sources.iter().position(|s| *s == name);
    findings.sort_by(|a, b| {
        (
            Reverse(a.severity),
            rule_index(&a.rule),
            source_index(&a.source),
        )
            .cmp(&(
                Reverse(b.severity),
                rule_index(&b.rule),
                source_index(&b.source),
            ))
            .then_with(|| {
                (&a.registry, &a.repository, &a.tag).cmp(&(&b.registry, &b.repository, &b.tag))
            })
    });
}

fn summarize(rules: &[&'static Rule], findings: &[Finding]) -> Summary {
    let mut summary = Summary::default();
    for rule in rules {
        summary.by_rule.insert(rule.id.to_string(), 0);
    }
    for finding in findings {
        if finding.suppressed {
            summary.suppressed += 1;
        } else {
            summary.by_severity.add(finding.severity);
            *summary.by_rule.entry(finding.rule.clone()).or_default() += 1;
        }
    }
    summary
}
