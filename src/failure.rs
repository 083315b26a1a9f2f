//! [`Failure`]: one thing that went wrong during an inventory, kept as data.

use serde::{Deserialize, Serialize};

use crate::core::{Error, ErrorKind, ProviderKind, Source};

/// One failed listing: which source, which operation on which target, and why.
///
/// An inventory never stops at a failure: the failure is recorded (and streamed as an
/// [`InventoryEvent::Failure`](crate::InventoryEvent::Failure)) and everything the other
/// sources, registries and repositories returned is kept.
///
/// `operation` is the facade's own vocabulary (`list_registries`, `list_repositories`,
/// `list_tags`), so consumers can match on it whatever the backend; `target` names the
/// registry (`my-reg`) or repository (`my-reg/team/app`) the operation was about.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Failure {
    /// The source label ([`Source::name`]) whose listing failed.
    pub source: String,
    /// The provider of that source.
    pub provider: ProviderKind,
    /// What the inventory was doing: `list_registries`, `list_repositories` or `list_tags`.
    pub operation: String,
    /// What it was about: a registry name, or `registry/repository`; `None` for whole-source
    /// listings.
    pub target: Option<String>,
    /// The kind of error.
    pub kind: ErrorKind,
    /// What happened, in words (never containing a secret).
    pub message: String,
    /// The HTTP status, when a response arrived.
    pub status: Option<u16>,
    /// The vendor's error code, when it sent one.
    pub code: Option<String>,
    /// The vendor's request id, when a response carried one.
    pub request_id: Option<String>,
}

impl Failure {
    /// A failure of `source` with only the essentials set.
    pub fn new(
        source: &Source,
        operation: impl Into<String>,
        kind: ErrorKind,
        message: impl Into<String>,
    ) -> Self {
        Failure {
            source: source.name.clone(),
            provider: source.provider.clone(),
            operation: operation.into(),
            target: None,
            kind,
            message: message.into(),
            status: None,
            code: None,
            request_id: None,
        }
    }

    /// Records `err`, raised by `operation` on `target` of `source`. The target falls back to
    /// the one in the error's context; status, code and request id come from the error.
    pub fn from_error(
        source: &Source,
        operation: &str,
        target: Option<String>,
        err: &Error,
    ) -> Self {
        let ctx = err.context();
        Failure {
            source: source.name.clone(),
            provider: source.provider.clone(),
            operation: operation.to_string(),
            target: target.or_else(|| ctx.target.clone()),
            kind: err.kind(),
            message: err.message().to_string(),
            status: ctx.status,
            code: ctx.code.clone(),
            request_id: ctx.request_id.clone(),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.source, self.operation)?;
        if let Some(target) = &self.target {
            write!(f, " {target}")?;
        }
        write!(f, " failed ({}", self.kind)?;
        if let Some(status) = self.status {
            write!(f, ", HTTP {status}")?;
        }
        if let Some(code) = &self.code {
            write!(f, ", code {code}")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, ", request id {id}")?;
        }
        write!(f, "): {}", self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_error_keeps_kind_status_code_and_request_id() {
        let source = Source::new("swr-ap", ProviderKind::HUAWEI, "ap-southeast-1", "http://x");
        let err = Error::from_status(401, "signature mismatch")
            .with_code("APIGW.0301")
            .with_request_id("req-1")
            .with_target("ns");
        let failure = Failure::from_error(&source, "list_repositories", None, &err);
        assert_eq!(failure.source, "swr-ap");
        assert_eq!(failure.provider, ProviderKind::HUAWEI);
        assert_eq!(failure.kind, ErrorKind::Authentication);
        assert_eq!(failure.status, Some(401));
        assert_eq!(failure.code.as_deref(), Some("APIGW.0301"));
        assert_eq!(failure.request_id.as_deref(), Some("req-1"));
        assert_eq!(failure.target.as_deref(), Some("ns"));
        assert_eq!(failure.message, "signature mismatch");
        let text = failure.to_string();
        assert!(text.starts_with("swr-ap: list_repositories ns failed (authentication, HTTP 401"));
        let given = Failure::from_error(&source, "list_tags", Some("ns/app".into()), &err);
        assert_eq!(given.target.as_deref(), Some("ns/app"));
    }
}
