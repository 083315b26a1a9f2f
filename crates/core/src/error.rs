//! The one error type of reginv, with semantic kinds and context.
//!
//! Every variant carries [`ErrorDetails`]: a human message and an [`ErrorContext`] (provider,
//! source, operation, target, HTTP status, vendor error code, request id). [`Error::kind`] gives the
//! kind as a plain, serializable value for reports; [`Error::is_retryable`] drives the retry policy.
//! No transport library's error type appears in this API, and messages never carry secrets.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::model::ProviderKind;

/// `Result` with reginv's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, as a plain value (for reports, metrics and matching).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The credentials were rejected (bad key, bad signature, stale timestamp).
    Authentication,
    /// The credentials are valid but may not do this.
    Permission,
    /// The registry, repository or tag does not exist.
    NotFound,
    /// The resource already exists (e.g. creating a registry whose name is taken).
    Conflict,
    /// The request was malformed or had a value the vendor refused (HTTP 400).
    InvalidRequest,
    /// The vendor throttled the request.
    RateLimited,
    /// The vendor failed (HTTP 5xx).
    Server,
    /// The connection failed or broke.
    Network,
    /// The request took longer than allowed.
    Timeout,
    /// The response could not be understood.
    Decode,
    /// The server broke the API's contract (paging that loops or over-delivers).
    Protocol,
    /// The configuration is missing or wrong.
    InvalidConfig,
    /// The provider cannot do this.
    Unsupported,
}

impl ErrorKind {
    /// The snake_case name (`rate_limited`), as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Authentication => "authentication",
            ErrorKind::Permission => "permission",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::InvalidRequest => "invalid_request",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Server => "server",
            ErrorKind::Network => "network",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Decode => "decode",
            ErrorKind::Protocol => "protocol",
            ErrorKind::InvalidConfig => "invalid_config",
            ErrorKind::Unsupported => "unsupported",
        }
    }

    /// The kind an HTTP error status maps to when the body says nothing more specific.
    pub fn from_status(status: u16) -> ErrorKind {
        match status {
            400 | 405 | 413 | 414 | 422 => ErrorKind::InvalidRequest,
            401 => ErrorKind::Authentication,
            403 => ErrorKind::Permission,
            404 | 410 => ErrorKind::NotFound,
            409 => ErrorKind::Conflict,
            408 => ErrorKind::Timeout,
            429 => ErrorKind::RateLimited,
            501 => ErrorKind::Unsupported,
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::Decode,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an error happened. Every field is optional; set what is known.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ErrorContext {
    /// The provider whose API failed.
    pub provider: Option<ProviderKind>,
    /// The configured source label.
    pub source: Option<String>,
    /// The operation (`list_repositories`, `list_tags`, …).
    pub operation: Option<String>,
    /// What it was about (`registry`, `registry/repo`, `registry/repo:tag`).
    pub target: Option<String>,
    /// The HTTP status, when a response arrived.
    pub status: Option<u16>,
    /// The vendor's error code (`APIGW.0301`, `200`, …).
    pub code: Option<String>,
    /// The vendor's request id, when a response carried one.
    pub request_id: Option<String>,
}

impl ErrorContext {
    fn is_empty(&self) -> bool {
        *self == ErrorContext::default()
    }
}

impl fmt::Display for ErrorContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        if let Some(p) = &self.provider {
            parts.push(format!("provider {p}"));
        }
        if let Some(s) = &self.source {
            parts.push(format!("source {s}"));
        }
        if let Some(o) = &self.operation {
            parts.push(format!("operation {o}"));
        }
        if let Some(t) = &self.target {
            parts.push(format!("target {t}"));
        }
        if let Some(s) = self.status {
            parts.push(format!("HTTP {s}"));
        }
        if let Some(c) = &self.code {
            parts.push(format!("code {c}"));
        }
        if let Some(r) = &self.request_id {
            parts.push(format!("request id {r}"));
        }
        f.write_str(&parts.join(", "))
    }
}

/// The message and context every [`Error`] variant carries.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorDetails {
    /// What happened, in words (never containing a secret).
    pub message: String,
    /// Where it happened.
    pub context: ErrorContext,
}

impl fmt::Display for ErrorDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if !self.context.is_empty() {
            write!(f, " ({})", self.context)?;
        }
        Ok(())
    }
}

/// Everything that can go wrong in reginv.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The credentials were rejected. Never retried.
    #[error("authentication failed: {0}")]
    Authentication(Box<ErrorDetails>),
    /// The credentials may not do this. Never retried.
    #[error("permission denied: {0}")]
    Permission(Box<ErrorDetails>),
    /// The thing asked for does not exist.
    #[error("not found: {0}")]
    NotFound(Box<ErrorDetails>),
    /// The thing to create exists already.
    #[error("conflict: {0}")]
    Conflict(Box<ErrorDetails>),
    /// The vendor refused the request as malformed.
    #[error("invalid request: {0}")]
    InvalidRequest(Box<ErrorDetails>),
    /// The vendor throttled the request; `retry_after` is what it asked us to wait.
    #[error("rate limited: {details}")]
    RateLimited {
        /// Message and context.
        details: Box<ErrorDetails>,
        /// How long the vendor asked to wait (`Retry-After`), when it said.
        retry_after: Option<Duration>,
    },
    /// The vendor failed.
    #[error("server error: {0}")]
    Server(Box<ErrorDetails>),
    /// The connection failed or broke.
    #[error("network error: {0}")]
    Network(Box<ErrorDetails>),
    /// The request timed out.
    #[error("timed out: {0}")]
    Timeout(Box<ErrorDetails>),
    /// The response could not be decoded.
    #[error("could not decode response: {0}")]
    Decode(Box<ErrorDetails>),
    /// The server broke the API's contract (for example paging that would loop forever).
    #[error("protocol violation: {0}")]
    Protocol(Box<ErrorDetails>),
    /// The configuration is missing or invalid.
    #[error("invalid configuration: {0}")]
    InvalidConfig(Box<ErrorDetails>),
    /// The provider does not support this.
    #[error("unsupported: {0}")]
    Unsupported(Box<ErrorDetails>),
}

impl Error {
    /// Creates an error of `kind` with `message` and an empty context.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        let d = Box::new(ErrorDetails {
            message: message.into(),
            context: ErrorContext::default(),
        });
        match kind {
            ErrorKind::Authentication => Error::Authentication(d),
            ErrorKind::Permission => Error::Permission(d),
            ErrorKind::NotFound => Error::NotFound(d),
            ErrorKind::Conflict => Error::Conflict(d),
            ErrorKind::InvalidRequest => Error::InvalidRequest(d),
            ErrorKind::RateLimited => Error::RateLimited {
                details: d,
                retry_after: None,
            },
            ErrorKind::Server => Error::Server(d),
            ErrorKind::Network => Error::Network(d),
            ErrorKind::Timeout => Error::Timeout(d),
            ErrorKind::Decode => Error::Decode(d),
            ErrorKind::Protocol => Error::Protocol(d),
            ErrorKind::InvalidConfig => Error::InvalidConfig(d),
            ErrorKind::Unsupported => Error::Unsupported(d),
        }
    }

    /// An [`ErrorKind::InvalidConfig`] error.
    pub fn config(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidConfig, message)
    }

    /// An [`ErrorKind::Decode`] error.
    pub fn decode(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Decode, message)
    }

    /// An [`ErrorKind::Protocol`] error.
    pub fn protocol(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Protocol, message)
    }

    /// An [`ErrorKind::Unsupported`] error.
    pub fn unsupported(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Unsupported, message)
    }

    /// The error for an HTTP error `status` whose body said nothing more specific.
    pub fn from_status(status: u16, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::from_status(status), message).with_status(status)
    }

    /// The kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Authentication(_) => ErrorKind::Authentication,
            Error::Permission(_) => ErrorKind::Permission,
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::Conflict(_) => ErrorKind::Conflict,
            Error::InvalidRequest(_) => ErrorKind::InvalidRequest,
            Error::RateLimited { .. } => ErrorKind::RateLimited,
            Error::Server(_) => ErrorKind::Server,
            Error::Network(_) => ErrorKind::Network,
            Error::Timeout(_) => ErrorKind::Timeout,
            Error::Decode(_) => ErrorKind::Decode,
            Error::Protocol(_) => ErrorKind::Protocol,
            Error::InvalidConfig(_) => ErrorKind::InvalidConfig,
            Error::Unsupported(_) => ErrorKind::Unsupported,
        }
    }

    /// The message and context.
    pub fn details(&self) -> &ErrorDetails {
        match self {
            Error::Authentication(d)
            | Error::Permission(d)
            | Error::NotFound(d)
            | Error::Conflict(d)
            | Error::InvalidRequest(d)
            | Error::Server(d)
            | Error::Network(d)
            | Error::Timeout(d)
            | Error::Decode(d)
            | Error::Protocol(d)
            | Error::InvalidConfig(d)
            | Error::Unsupported(d) => d,
            Error::RateLimited { details, .. } => details,
        }
    }

    fn details_mut(&mut self) -> &mut ErrorDetails {
        match self {
            Error::Authentication(d)
            | Error::Permission(d)
            | Error::NotFound(d)
            | Error::Conflict(d)
            | Error::InvalidRequest(d)
            | Error::Server(d)
            | Error::Network(d)
            | Error::Timeout(d)
            | Error::Decode(d)
            | Error::Protocol(d)
            | Error::InvalidConfig(d)
            | Error::Unsupported(d) => d,
            Error::RateLimited { details, .. } => details,
        }
    }

    /// The message without context.
    pub fn message(&self) -> &str {
        &self.details().message
    }

    /// The context.
    pub fn context(&self) -> &ErrorContext {
        &self.details().context
    }

    /// The HTTP status, when a response arrived.
    pub fn status(&self) -> Option<u16> {
        self.context().status
    }

    /// How long the vendor asked to wait, for a rate-limit error that said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Whether trying the same request again may succeed: rate limits, server errors (except
    /// 501), network errors and timeouts. Authentication, permission, not-found, invalid-request,
    /// decode and configuration errors are final. (Whether a *non-idempotent* request may be
    /// retried is the [`RetryPolicy`](crate::RetryPolicy)'s decision.)
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind(),
            ErrorKind::RateLimited | ErrorKind::Server | ErrorKind::Network | ErrorKind::Timeout
        )
    }

    /// Sets the `retry_after` of a rate-limit error (no effect on other kinds).
    pub fn with_retry_after(mut self, after: Option<Duration>) -> Self {
        if let Error::RateLimited { retry_after, .. } = &mut self {
            *retry_after = after;
        }
        self
    }

    /// Sets the provider (and keeps it if already set by a deeper layer).
    pub fn with_provider(mut self, provider: ProviderKind) -> Self {
        self.details_mut().context.provider.get_or_insert(provider);
        self
    }

    /// Sets the source label, unless already set.
    pub fn with_source(mut self, source: impl Into<String>) -> Self {
        let ctx = &mut self.details_mut().context;
        if ctx.source.is_none() {
            ctx.source = Some(source.into());
        }
        self
    }

    /// Sets the operation, unless already set.
    pub fn with_operation(mut self, operation: impl Into<String>) -> Self {
        let ctx = &mut self.details_mut().context;
        if ctx.operation.is_none() {
            ctx.operation = Some(operation.into());
        }
        self
    }

    /// Sets the target, unless already set.
    pub fn with_target(mut self, target: impl Into<String>) -> Self {
        let ctx = &mut self.details_mut().context;
        if ctx.target.is_none() {
            ctx.target = Some(target.into());
        }
        self
    }

    /// Sets the HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.details_mut().context.status = Some(status);
        self
    }

    /// Sets the vendor error code.
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.details_mut().context.code = Some(code.into());
        self
    }

    /// Sets the request id, unless already set.
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Self {
        let ctx = &mut self.details_mut().context;
        if ctx.request_id.is_none() {
            ctx.request_id = Some(request_id.into());
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_carries_kind_message_and_context() {
        let err = Error::from_status(404, "repository does not exist")
            .with_provider(ProviderKind::HUAWEI)
            .with_source("swr-ap")
            .with_operation("get_repository")
            .with_target("group/app")
            .with_code("SVCSTG.SWR.4040017")
            .with_request_id("abc");
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_eq!(
            err.to_string(),
            "not found: repository does not exist (provider huawei, source swr-ap, operation \
             get_repository, target group/app, HTTP 404, code SVCSTG.SWR.4040017, request id abc)"
        );
    }

    #[test]
    fn retryable_kinds() {
        for status in [429, 500, 502, 503, 504] {
            assert!(Error::from_status(status, "x").is_retryable(), "{status}");
        }
        for status in [400, 401, 403, 404, 409, 501] {
            assert!(!Error::from_status(status, "x").is_retryable(), "{status}");
        }
        assert!(Error::new(ErrorKind::Network, "reset").is_retryable());
        assert!(!Error::decode("bad json").is_retryable());
    }

    #[test]
    fn context_setters_keep_the_innermost_value() {
        let err = Error::decode("x")
            .with_operation("list_tags")
            .with_operation("inventory");
        assert_eq!(err.context().operation.as_deref(), Some("list_tags"));
    }

    #[test]
    fn kind_names_match_serde() {
        let json = serde_json::to_string(&ErrorKind::RateLimited).unwrap();
        assert_eq!(json, "\"rate_limited\"");
        assert_eq!(ErrorKind::InvalidConfig.as_str(), "invalid_config");
    }
}
