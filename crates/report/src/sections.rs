//! The audit and the changes since the previous snapshot, as the page needs them.
//!
//! The caller fills these from the audit engine and the snapshot store; this crate only lays
//! them out, so it depends on neither. A section the caller cannot fill is
//! [`Section::NotAvailable`] with the reason, and the page says so instead of showing nothing.

use std::collections::BTreeMap;

use serde::Serialize;

/// A section's content, or why there is none.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Section<T> {
    /// The section's data.
    Available(T),
    /// No data; the reason is shown on the page.
    NotAvailable {
        /// Why (e.g. "no --store was given").
        reason: String,
    },
}

impl<T> Section<T> {
    /// A section without data, for `reason`.
    pub fn not_available(reason: impl Into<String>) -> Self {
        Section::NotAvailable {
            reason: reason.into(),
        }
    }
}

/// The findings of an audit.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Audit {
    /// Every finding.
    pub findings: Vec<AuditFinding>,
    /// Rules that ran over the inventory (with or without findings).
    pub evaluated: Vec<String>,
    /// Rules that could not be evaluated, and why (a field no provider reported, …).
    pub not_evaluated: Vec<NotEvaluated>,
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditFinding {
    /// The rule's id.
    pub rule: String,
    /// Its severity, lower case (`critical`, `high`, `medium`, `low`, `info`).
    pub severity: String,
    /// What it is about (`source / registry/repository[:tag]`).
    pub target: String,
    /// What is wrong, in words.
    pub message: String,
    /// Whether a suppression covers it: listed, marked, but not counted.
    pub suppressed: bool,
}

/// A rule that was not evaluated.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NotEvaluated {
    /// The rule's id.
    pub rule: String,
    /// Why it was not evaluated.
    pub reason: String,
}

/// Findings per severity and per rule, most severe first.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditCounts {
    /// `(severity, findings)`, most severe first; severities without findings included.
    pub by_severity: Vec<(String, u64)>,
    /// `(rule, severity, findings)`, most severe first, then by rule.
    pub by_rule: Vec<(String, String, u64)>,
}

/// Severities from the most to the least severe; others sort after them.
pub const SEVERITIES: [&str; 5] = ["critical", "high", "medium", "low", "info"];

fn severity_rank(severity: &str) -> usize {
    SEVERITIES
        .iter()
        .position(|s| *s == severity)
        .unwrap_or(SEVERITIES.len())
}

impl Audit {
    /// Findings no suppression covers.
    pub fn active(&self) -> usize {
        self.findings.iter().filter(|f| !f.suppressed).count()
    }

    /// The counts the page shows (suppressed findings not counted).
    pub fn counts(&self) -> AuditCounts {
        let mut by_severity: BTreeMap<(usize, &str), u64> = SEVERITIES
            .iter()
            .enumerate()
            .map(|(i, s)| ((i, *s), 0))
            .collect();
        let mut by_rule: BTreeMap<(usize, &str, &str), u64> = BTreeMap::new();
        for f in self.findings.iter().filter(|f| !f.suppressed) {
            let rank = severity_rank(&f.severity);
            *by_severity.entry((rank, &f.severity)).or_default() += 1;
            *by_rule.entry((rank, &f.rule, &f.severity)).or_default() += 1;
        }
        AuditCounts {
            by_severity: by_severity
                .into_iter()
                .map(|((_, s), n)| (s.to_string(), n))
                .collect(),
            by_rule: by_rule
                .into_iter()
                .map(|((_, rule, severity), n)| (rule.to_string(), severity.to_string(), n))
                .collect(),
        }
    }

    /// The findings, most severe first, suppressed ones last (stable otherwise).
    pub fn sorted_findings(&self) -> Vec<&AuditFinding> {
        let mut findings: Vec<&AuditFinding> = self.findings.iter().collect();
        findings.sort_by_key(|f| (f.suppressed, severity_rank(&f.severity)));
        findings
    }
}

/// What changed between two snapshots.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Changes {
    /// The earlier snapshot, in words (run id and time).
    pub previous: String,
    /// The later snapshot, in words.
    pub current: String,
    /// Every change.
    pub changes: Vec<Change>,
    /// What could not be compared, and why (a source that failed in either run, …): shown so
    /// a missing change is not read as "nothing changed".
    pub not_compared: Vec<String>,
}

/// One change.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    /// The kind (`tag_moved`, `tag_added`, `repository_removed`, …) as the store names it.
    pub kind: String,
    /// Whether this is a retag (the same tag name now points at another digest): retags are
    /// listed first.
    pub retag: bool,
    /// What changed (`source / registry/repository[:tag]`).
    pub target: String,
    /// Details (old and new digest, …).
    pub detail: String,
}

impl Changes {
    /// `(kind, count)`, retags first, then by kind.
    pub fn counts(&self) -> Vec<(String, u64)> {
        let mut counts: BTreeMap<(bool, &str), u64> = BTreeMap::new();
        for c in &self.changes {
            *counts.entry((!c.retag, &c.kind)).or_default() += 1;
        }
        counts
            .into_iter()
            .map(|((_, kind), n)| (kind.to_string(), n))
            .collect()
    }

    /// The changes, retags first (stable otherwise).
    pub fn sorted(&self) -> Vec<&Change> {
        let mut changes: Vec<&Change> = self.changes.iter().collect();
        changes.sort_by_key(|c| !c.retag);
        changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(rule: &str, severity: &str) -> AuditFinding {
        AuditFinding {
            rule: rule.into(),
            severity: severity.into(),
            target: "t".into(),
            message: "m".into(),
            suppressed: false,
        }
    }

    #[test]
    fn audit_counts_by_severity_and_rule_most_severe_first() {
        let audit = Audit {
            findings: vec![
                finding("stale", "low"),
                finding("public", "high"),
                finding("stale", "low"),
                finding("odd", "weird"),
                AuditFinding {
                    suppressed: true,
                    ..finding("public", "critical")
                },
            ],
            ..Audit::default()
        };
        let counts = audit.counts();
        assert_eq!(
            counts.by_severity,
            [
                ("critical".to_string(), 0),
                ("high".into(), 1),
                ("medium".into(), 0),
                ("low".into(), 2),
                ("info".into(), 0),
                ("weird".into(), 1)
            ]
        );
        assert_eq!(counts.by_rule[0], ("public".into(), "high".into(), 1));
        assert_eq!(counts.by_rule[1], ("stale".into(), "low".into(), 2));
        assert_eq!(audit.sorted_findings()[0].severity, "high");
        assert!(audit.sorted_findings()[4].suppressed);
        assert_eq!(audit.active(), 4);
    }

    #[test]
    fn retags_come_first() {
        let change = |kind: &str| Change {
            kind: kind.into(),
            retag: kind == "tag_moved",
            target: "t".into(),
            detail: String::new(),
        };
        let changes = Changes {
            changes: vec![
                change("tag_added"),
                change("tag_moved"),
                change("tag_added"),
            ],
            ..Changes::default()
        };
        assert_eq!(
            changes.counts(),
            [("tag_moved".to_string(), 1), ("tag_added".into(), 2)]
        );
        assert_eq!(changes.sorted()[0].kind, "tag_moved");
    }
}
