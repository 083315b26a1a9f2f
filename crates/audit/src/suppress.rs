//! Suppressions: findings a team accepted, reported as suppressed (counted and listed, never
//! dropped) until they expire.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::AuditError;
use crate::rules;

/// One `[[audit.suppress]]` entry.
///
/// `target` is a glob (`*`, `?`, `[abc]`; `*` also crosses `/` and `:`) over a finding's
/// target: `source:registry` for a registry, `source:registry/repository` for a repository,
/// `source:registry/repository:tag` for a tag. The suppression applies while the audit's
/// `as_of` date is on or before `until` (UTC); from the next day on the finding comes back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Suppression {
    /// The rule id it silences.
    pub rule: String,
    /// The glob over targets.
    pub target: String,
    /// Why the finding is accepted (required, shown beside every suppressed finding).
    pub reason: String,
    /// The last day it applies (UTC), when it expires.
    #[serde(default)]
    pub until: Option<NaiveDate>,
}

impl Suppression {
    /// A suppression of `rule` findings on targets matching `target`, for `reason`, that
    /// never expires.
    pub fn new(
        rule: impl Into<String>,
        target: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Suppression {
            rule: rule.into(),
            target: target.into(),
            reason: reason.into(),
            until: None,
        }
    }

    /// The same suppression, expiring after `until`.
    pub fn with_until(mut self, until: NaiveDate) -> Self {
        self.until = Some(until);
        self
    }

    /// Checks the rule id, the glob and that the reason is not blank.
    pub fn validate(&self) -> Result<(), AuditError> {
        rules::require(&self.rule, "[[audit.suppress]] rule")?;
        if self.reason.trim().is_empty() {
            return Err(AuditError::Config(format!(
                "[[audit.suppress]] of {} on {:?}: `reason` must say why",
                self.rule, self.target
            )));
        }
        glob::Pattern::new(&self.target).map_err(|e| {
            AuditError::Config(format!(
                "[[audit.suppress]] target {:?} is not a glob: {e}",
                self.target
            ))
        })?;
        Ok(())
    }

    /// Whether it has expired at `as_of`.
    pub fn expired(&self, as_of: DateTime<Utc>) -> bool {
        self.until.is_some_and(|until| as_of.date_naive() > until)
    }

    /// Whether it silences a finding of `rule` on `target` at `as_of`.
    pub fn matches(&self, rule: &str, target: &str, as_of: DateTime<Utc>) -> bool {
        self.rule == rule
            && !self.expired(as_of)
            && glob::Pattern::new(&self.target).is_ok_and(|p| p.matches(target))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    #[test]
    fn matches_rule_and_target_glob() {
        let s = Suppression::new("public-repository", "ncp-kr:pub/*", "published");
        let now = at(2026, 1, 1, 0);
        assert!(s.matches("public-repository", "ncp-kr:pub/app", now));
        assert!(s.matches("public-repository", "ncp-kr:pub/team/app", now));
        assert!(!s.matches("public-registry", "ncp-kr:pub/app", now));
        assert!(!s.matches("public-repository", "ncp-sgn:pub/app", now));
        assert!(!s.matches("public-repository", "ncp-kr:private/app", now));
        let tags = Suppression::new("stale-image", "*:*/legacy:v?", "archive");
        assert!(tags.matches("stale-image", "swr-ap:ns/legacy:v1", now));
        assert!(!tags.matches("stale-image", "swr-ap:ns/legacy:v10", now));
    }

    #[test]
    fn expires_the_day_after_until() {
        let s = Suppression::new("stale-image", "*", "archive")
            .with_until(NaiveDate::from_ymd_opt(2026, 3, 31).unwrap());
        assert!(s.matches("stale-image", "a:b/c:d", at(2026, 3, 31, 23)));
        assert!(!s.expired(at(2026, 3, 31, 23)));
        assert!(s.expired(at(2026, 4, 1, 0)));
        assert!(!s.matches("stale-image", "a:b/c:d", at(2026, 4, 1, 0)));
    }

    #[test]
    fn validation_names_what_is_wrong() {
        assert!(Suppression::new("tag-sprawl", "*", "ok").validate().is_ok());
        let unknown = Suppression::new("sprawl", "*", "ok")
            .validate()
            .unwrap_err();
        assert!(unknown.to_string().contains("tag-sprawl"));
        assert!(Suppression::new("tag-sprawl", "[", "ok")
            .validate()
            .is_err());
        assert!(Suppression::new("tag-sprawl", "*", "").validate().is_err());
    }
}
