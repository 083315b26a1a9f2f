//! The audit's settings: thresholds, severity overrides, rule selection and suppressions, as
//! read from the `[audit]` table of `reginv.toml` and overridden on the command line.
//!
//! ```toml
//! [audit]
//! stale_days = 90                 # stale-image: not pulled within this many days of as_of
//! max_image_bytes = 2147483648    # oversized-image: larger than this
//! max_tags = 500                  # tag-sprawl: more tags than this
//! # as_of = 2026-12-01T00:00:00Z  # the audit's reference time (default: now)
//! # rules = ["public-registry"]   # only these rules (default: all)
//! # skip_rules = ["stale-image"]  # never these
//!
//! [audit.severity]                # override a rule's default severity
//! empty-repository = "low"
//!
//! [[audit.suppress]]
//! rule = "public-repository"
//! target = "ncp-kr:public-images/*"   # glob over source:registry/repository[:tag]
//! reason = "published on purpose"     # required
//! until = 2027-01-31                  # optional: from the day after, the finding comes back
//! ```

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::AuditError;
use crate::rules;
use crate::severity::Severity;
use crate::suppress::Suppression;

/// `stale_days` when not configured.
pub const DEFAULT_STALE_DAYS: u32 = 90;
/// `max_image_bytes` when not configured: 2 GiB.
pub const DEFAULT_MAX_IMAGE_BYTES: u64 = 2 * 1024 * 1024 * 1024;
/// `max_tags` when not configured.
pub const DEFAULT_MAX_TAGS: u64 = 500;

/// Everything an [`Audit`](crate::Audit) is set up with. `Default` is every rule with its
/// default severity and thresholds, no suppression, `as_of` now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct AuditConfig {
    /// `stale-image`: a tag not pulled within this many days of `as_of` is stale.
    pub stale_days: u32,
    /// `oversized-image`: a tag larger than this many bytes is oversized.
    pub max_image_bytes: u64,
    /// `tag-sprawl`: a repository with more tags than this sprawls.
    pub max_tags: u64,
    /// The time the audit judges ages against (`stale-image`, suppression expiry); `None`
    /// means the time the audit runs.
    pub as_of: Option<DateTime<Utc>>,
    /// Only these rule ids (every rule when empty).
    pub rules: Vec<String>,
    /// Never these rule ids.
    pub skip_rules: Vec<String>,
    /// Severity overrides by rule id.
    pub severity: BTreeMap<String, Severity>,
    /// Findings to report as suppressed.
    pub suppress: Vec<Suppression>,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            stale_days: DEFAULT_STALE_DAYS,
            max_image_bytes: DEFAULT_MAX_IMAGE_BYTES,
            max_tags: DEFAULT_MAX_TAGS,
            as_of: None,
            rules: Vec::new(),
            skip_rules: Vec::new(),
            severity: BTreeMap::new(),
            suppress: Vec::new(),
        }
    }
}

impl AuditConfig {
    /// The defaults.
    pub fn new() -> Self {
        AuditConfig::default()
    }

    /// Reads the `[audit]` table of a whole `reginv.toml` document (`origin` names it in
    /// errors); the defaults when the document has none. TOML dates and date-times
    /// (`until = 2027-01-31`, `as_of = 2026-12-01T00:00:00Z`) and strings are both accepted.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self, AuditError> {
        let doc: toml::Table = toml::from_str(text)
            .map_err(|e| AuditError::Config(format!("{origin}: {}", e.message().trim())))?;
        let Some(mut table) = doc.get("audit").cloned() else {
            return Ok(AuditConfig::default());
        };
        if !table.is_table() {
            return Err(AuditError::Config(format!(
                "{origin}: `audit` must be a table ([audit])"
            )));
        }
        dates_as_strings(&mut table);
        let config: AuditConfig = table.try_into().map_err(|e: toml::de::Error| {
            AuditError::Config(format!("{origin}: [audit]: {}", e.message().trim()))
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks every rule id (selection, severity overrides, suppressions), every suppression's
    /// target glob and reason, and that at least one rule is selected.
    pub fn validate(&self) -> Result<(), AuditError> {
        if rules::select(&self.rules, &self.skip_rules)?.is_empty() {
            return Err(AuditError::Config(
                "no rule left to run: every selected rule is skipped".to_string(),
            ));
        }
        for id in self.severity.keys() {
            rules::require(id, "[audit.severity]")?;
        }
        for suppression in &self.suppress {
            suppression.validate()?;
        }
        Ok(())
    }
}

/// Replaces every TOML date/date-time in `value` by its text, so serde reads it as a string.
fn dates_as_strings(value: &mut toml::Value) {
    match value {
        toml::Value::Datetime(dt) => *value = toml::Value::String(dt.to_string()),
        toml::Value::Table(table) => table.iter_mut().for_each(|(_, v)| dates_as_strings(v)),
        toml::Value::Array(items) => items.iter_mut().for_each(dates_as_strings),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};

    #[test]
    fn a_document_without_audit_gives_the_defaults() {
        let config = AuditConfig::from_toml("[[providers]]\nname = \"a\"\n", "x.toml").unwrap();
        assert_eq!(config, AuditConfig::default());
        assert_eq!(config.stale_days, 90);
        assert_eq!(config.max_image_bytes, 2_147_483_648);
        assert_eq!(config.max_tags, 500);
    }

    #[test]
    fn reads_thresholds_overrides_and_suppressions_with_toml_dates() {
        let text = r#"
[audit]
stale_days = 30
max_image_bytes = 1000
max_tags = 5
as_of = 2026-06-01T12:00:00Z
skip_rules = ["empty-repository"]

[audit.severity]
tag-sprawl = "high"

[[audit.suppress]]
rule = "public-repository"
target = "ncp-kr:pub/*"
reason = "published on purpose"
until = 2027-01-31

[[audit.suppress]]
rule = "stale-image"
target = "*"
reason = "archive"
until = "2026-12-31"
"#;
        let config = AuditConfig::from_toml(text, "reginv.toml").unwrap();
        assert_eq!(
            (config.stale_days, config.max_image_bytes, config.max_tags),
            (30, 1000, 5)
        );
        assert_eq!(
            config.as_of,
            Some(Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap())
        );
        assert_eq!(config.skip_rules, ["empty-repository"]);
        assert_eq!(config.severity["tag-sprawl"], Severity::High);
        assert_eq!(config.suppress.len(), 2);
        assert_eq!(
            config.suppress[0].until,
            NaiveDate::from_ymd_opt(2027, 1, 31)
        );
        assert_eq!(
            config.suppress[1].until,
            NaiveDate::from_ymd_opt(2026, 12, 31)
        );
    }

    #[test]
    fn suppressions_alone_make_the_audit_table() {
        let text = "[[audit.suppress]]\nrule = \"tag-sprawl\"\ntarget = \"*\"\nreason = \"r\"\n";
        let config = AuditConfig::from_toml(text, "r.toml").unwrap();
        assert_eq!(config.suppress, [Suppression::new("tag-sprawl", "*", "r")]);
        assert_eq!(config.stale_days, DEFAULT_STALE_DAYS);
    }

    #[test]
    fn rejects_unknown_keys_ids_and_suppressions_without_reason() {
        let err = |text: &str| {
            AuditConfig::from_toml(text, "r.toml")
                .unwrap_err()
                .to_string()
        };
        assert!(err("[audit]\nstale_dayz = 3\n").contains("stale_dayz"));
        let unknown = err("[audit]\nrules = [\"nope\"]\n");
        assert!(
            unknown.contains("nope") && unknown.contains("tag-sprawl"),
            "{unknown}"
        );
        assert!(err("[audit.severity]\nnope = \"low\"\n").contains("nope"));
        assert!(err("[audit.severity]\ntag-sprawl = \"severe\"\n").contains("severe"));
        let no_reason = err("[[audit.suppress]]\nrule = \"tag-sprawl\"\ntarget = \"*\"\n");
        assert!(no_reason.contains("reason"), "{no_reason}");
        let blank =
            err("[[audit.suppress]]\nrule = \"tag-sprawl\"\ntarget = \"*\"\nreason = \" \"\n");
        assert!(blank.contains("reason"), "{blank}");
        assert!(err("audit = 3\n").contains("table"));
        assert!(
            err("[audit]\nrules = [\"tag-sprawl\"]\nskip_rules = [\"tag-sprawl\"]\n")
                .contains("no rule left")
        );
    }
}
