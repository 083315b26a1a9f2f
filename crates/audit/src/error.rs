//! The audit's error: a configuration that cannot be used.

/// Why an audit could not be set up. Messages name the key or id at fault and, for rule ids,
/// list the known ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// A threshold, suppression, severity or rule selection is invalid.
    #[error("audit configuration: {0}")]
    Config(String),
}
