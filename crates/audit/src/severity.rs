//! How serious a finding is, and the threshold (`--fail-on`) that turns findings into a
//! failing exit status.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::AuditError;

/// The severity of a rule and of its findings, from `info` (least) to `critical` (most).
///
/// Ordered by seriousness: `Severity::Info < Severity::Critical`. Serializes as its
/// lower-case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; not a problem by itself.
    Info,
    /// Hygiene: costs money or clarity.
    Low,
    /// A weakness worth fixing soon.
    Medium,
    /// Exposure or loss: fix now.
    High,
    /// Reserved for rules (or severity overrides) that must stop everything.
    Critical,
}

impl Severity {
    /// Every severity, most serious first (the order of tables and summaries).
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    /// The lower-case name (`critical`, `high`, `medium`, `low`, `info`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = AuditError;

    fn from_str(s: &str) -> Result<Self, AuditError> {
        Severity::ALL
            .into_iter()
            .find(|severity| severity.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                AuditError::Config(format!(
                    "unknown severity {s:?}; expected critical, high, medium, low or info"
                ))
            })
    }
}

/// The least severity that fails a run (`--fail-on`), or `never`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    /// Fail when an unsuppressed finding is at least this severe.
    AtLeast(Severity),
    /// Never fail because of findings.
    Never,
}

impl Default for FailOn {
    /// `high`, as documented for `--fail-on`.
    fn default() -> Self {
        FailOn::AtLeast(Severity::High)
    }
}

impl FailOn {
    /// Whether a finding of `severity` fails the run.
    pub fn trips(self, severity: Severity) -> bool {
        match self {
            FailOn::AtLeast(least) => severity >= least,
            FailOn::Never => false,
        }
    }
}

impl FromStr for FailOn {
    type Err = AuditError;

    fn from_str(s: &str) -> Result<Self, AuditError> {
        if s.eq_ignore_ascii_case("never") {
            return Ok(FailOn::Never);
        }
        s.parse().map(FailOn::AtLeast).map_err(|_| {
            AuditError::Config(format!(
                "unknown --fail-on {s:?}; expected critical, high, medium, low, info or never"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_order_parse_and_serialize() {
        assert!(Severity::Info < Severity::Low && Severity::High < Severity::Critical);
        assert_eq!("HIGH".parse::<Severity>().unwrap(), Severity::High);
        assert!("severe".parse::<Severity>().is_err());
        assert_eq!(
            serde_json::to_string(&Severity::Medium).unwrap(),
            "\"medium\""
        );
    }

    #[test]
    fn fail_on_trips_at_or_above_its_severity() {
        let high: FailOn = "high".parse().unwrap();
        assert!(high.trips(Severity::Critical) && high.trips(Severity::High));
        assert!(!high.trips(Severity::Medium));
        assert_eq!(FailOn::default(), high);
        let never: FailOn = "never".parse().unwrap();
        assert!(!never.trips(Severity::Critical));
        assert!("sometimes".parse::<FailOn>().is_err());
    }
}
