//! What an audit produces: the [`AuditDocument`] (the `json` format, and what every other
//! format is written from).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use reginv::ProviderKind;
use serde::{Deserialize, Serialize};

use crate::severity::{FailOn, Severity};

/// The version of the [`AuditDocument`] JSON shape.
pub const AUDIT_SCHEMA_VERSION: u32 = 1;

/// A whole audit: the rules run (with where each was and was not evaluated), the findings, and
/// the counts.
///
/// ```json
/// {"schema_version": 1, "generated_at": "…", "as_of": "…",
///  "rules": [{"id", "severity", "title", "description", "evaluated_sources": [...],
///             "not_evaluated": [{"source", "reason"}]}],
///  "findings": [{"rule", "severity", "source", "provider", "region", "registry",
///                "repository", "tag", "message", "evidence": {...}, "suppressed",
///                "suppression_reason"}],
///  "summary": {"by_severity": {...}, "by_rule": {...}, "suppressed": 0}}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct AuditDocument {
    /// [`AUDIT_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// When the audit ran.
    pub generated_at: DateTime<Utc>,
    /// The time ages were judged against (and suppression expiry).
    pub as_of: DateTime<Utc>,
    /// The rules run, in the built-in order.
    pub rules: Vec<RuleReport>,
    /// Every finding, suppressed ones included: most severe first, then by rule, source (in
    /// the inventory's order), registry, repository and tag.
    pub findings: Vec<Finding>,
    /// Counts.
    pub summary: Summary,
}

/// One rule as run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct RuleReport {
    /// The rule's stable id.
    pub id: String,
    /// Its severity in this audit (the default, or the configured override).
    pub severity: Severity,
    /// Its title.
    pub title: String,
    /// Its description.
    pub description: String,
    /// The sources it was evaluated on.
    pub evaluated_sources: Vec<String>,
    /// The sources it was not evaluated on, and why (never a pass, never a finding).
    pub not_evaluated: Vec<NotEvaluated>,
}

/// A source a rule could not be evaluated on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct NotEvaluated {
    /// The source label.
    pub source: String,
    /// Why: the data the rule needs is not reported, was not listed, or the listing failed.
    pub reason: String,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Finding {
    /// The rule id.
    pub rule: String,
    /// The rule's severity in this audit.
    pub severity: Severity,
    /// The source label.
    pub source: String,
    /// The provider of the source.
    pub provider: ProviderKind,
    /// The source's region.
    pub region: String,
    /// The registry (NCR) or namespace (SWR).
    pub registry: Option<String>,
    /// The repository name inside its registry; `None` for a finding about a registry.
    pub repository: Option<String>,
    /// The tag; `None` for a finding about a repository or registry.
    pub tag: Option<String>,
    /// What was found, in a sentence.
    pub message: String,
    /// The values the rule judged (a JSON object).
    pub evidence: serde_json::Map<String, serde_json::Value>,
    /// Whether a suppression matched it.
    pub suppressed: bool,
    /// The matching suppression's reason.
    pub suppression_reason: Option<String>,
}

impl Finding {
    /// What the finding is about, as suppression targets and SARIF logical locations name it:
    /// `source:registry`, `source:registry/repository` or `source:registry/repository:tag`.
    pub fn target(&self) -> String {
        let mut target = format!("{}:", self.source);
        if let Some(registry) = &self.registry {
            target.push_str(registry);
        }
        if let Some(repository) = &self.repository {
            target.push('/');
            target.push_str(repository);
        }
        if let Some(tag) = &self.tag {
            target.push(':');
            target.push_str(tag);
        }
        target
    }
}

/// Counts of unsuppressed findings, and of suppressed ones.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Summary {
    /// Unsuppressed findings per severity.
    pub by_severity: SeverityCounts,
    /// Unsuppressed findings per rule run (0 included).
    pub by_rule: BTreeMap<String, u64>,
    /// Suppressed findings.
    pub suppressed: u64,
}

/// A count per severity, most serious first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct SeverityCounts {
    /// `critical` findings.
    pub critical: u64,
    /// `high` findings.
    pub high: u64,
    /// `medium` findings.
    pub medium: u64,
    /// `low` findings.
    pub low: u64,
    /// `info` findings.
    pub info: u64,
}

impl SeverityCounts {
    /// The count of `severity`.
    pub fn get(&self, severity: Severity) -> u64 {
        match severity {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Info => self.info,
        }
    }

    /// Adds one finding of `severity`.
    pub fn add(&mut self, severity: Severity) {
        match severity {
            Severity::Critical => self.critical += 1,
            Severity::High => self.high += 1,
            Severity::Medium => self.medium += 1,
            Severity::Low => self.low += 1,
            Severity::Info => self.info += 1,
        }
    }

    /// The total over every severity.
    pub fn total(&self) -> u64 {
        Severity::ALL.iter().map(|s| self.get(*s)).sum()
    }
}

impl AuditDocument {
    /// The unsuppressed findings that fail a run at `fail_on`.
    pub fn failing(&self, fail_on: FailOn) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(move |f| !f.suppressed && fail_on.trips(f.severity))
    }

    /// The process exit status of `reginv audit`: `3` when an unsuppressed finding is at or
    /// above `fail_on`; otherwise `2` when the inventory audited was incomplete
    /// (`inventory_complete` false: some rule could not see everything); otherwise `0`.
    /// (`1`, errors, is the caller's.) A failing finding wins over incompleteness: what was
    /// seen already fails the gate.
    pub fn exit_code(&self, fail_on: FailOn, inventory_complete: bool) -> i32 {
        if self.failing(fail_on).next().is_some() {
            3
        } else if !inventory_complete {
            2
        } else {
            0
        }
    }

    /// The findings without their suppressed ones' identity: `(rule, target, suppressed)` in
    /// order, to compare two audits of the same data.
    pub fn finding_keys(&self) -> Vec<(String, String, bool)> {
        self.findings
            .iter()
            .map(|f| (f.rule.clone(), f.target(), f.suppressed))
            .collect()
    }
}
