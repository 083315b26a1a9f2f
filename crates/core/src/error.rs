//! The one error type of reginv, with semantic kinds and context.
//!
//! Every variant carries [`ErrorDetails`]: a human message and an [`ErrorContext`] (provider,
//! source, operation, target, HTTP status, vendor error code, request id). [`Error::kind`] gives the
//! kind as a plain, serializable value for reports; [`Error::is_retryable`] drives the retry policy.
//! No transport library's error type appears in this API, and messages never carry secrets.

use std::fmt;
use std::sync::Arc;
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

    /// The context of everything the source labelled `source` of `provider` does.
    pub fn of(provider: ProviderKind, source: impl Into<String>) -> Self {
        ErrorContext {
            provider: Some(provider),
            source: Some(source.into()),
            ..ErrorContext::default()
        }
    }

    /// The context of everything `source` does: its provider and its label.
    pub fn of_source(source: &crate::model::Source) -> Self {
        ErrorContext::of(source.provider.clone(), source.name.clone())
    }

    /// This context, doing `operation`.
    pub fn with_operation(mut self, operation: impl Into<String>) -> Self {
        self.operation = Some(operation.into());
        self
    }

    /// This context, about `target` (when there is one).
    pub fn with_target<T: Into<String>>(mut self, target: Option<T>) -> Self {
        self.target = target.map(Into::into);
        self
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
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ErrorDetails {
    /// What happened, in words (never containing a secret).
    pub message: String,
    /// Where it happened.
    pub context: ErrorContext,
    /// The lower-level error this one comes from (a transport failure), reachable through
    /// [`std::error::Error::source`]; not compared by `==`.
    cause: Option<Arc<dyn std::error::Error + Send + Sync + 'static>>,
}

impl PartialEq for ErrorDetails {
    fn eq(&self, other: &Self) -> bool {
        self.message == other.message && self.context == other.context
    }
}

impl Eq for ErrorDetails {}

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
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Error {
    /// The credentials were rejected. Never retried.
    Authentication(Box<ErrorDetails>),
    /// The credentials may not do this. Never retried.
    Permission(Box<ErrorDetails>),
    /// The thing asked for does not exist.
    NotFound(Box<ErrorDetails>),
    /// The thing to create exists already.
    Conflict(Box<ErrorDetails>),
    /// The vendor refused the request as malformed.
    InvalidRequest(Box<ErrorDetails>),
    /// The vendor throttled the request; `retry_after` is what it asked us to wait.
    RateLimited {
        /// Message and context.
        details: Box<ErrorDetails>,
        /// How long the vendor asked to wait (`Retry-After`), when it said.
        retry_after: Option<Duration>,
    },
    /// The vendor failed.
    Server(Box<ErrorDetails>),
    /// The connection failed or broke.
    Network(Box<ErrorDetails>),
    /// The request timed out.
    Timeout(Box<ErrorDetails>),
    /// The response could not be decoded.
    Decode(Box<ErrorDetails>),
    /// The server broke the API's contract (for example paging that would loop forever).
    Protocol(Box<ErrorDetails>),
    /// The configuration is missing or invalid.
    InvalidConfig(Box<ErrorDetails>),
    /// The provider does not support this.
    Unsupported(Box<ErrorDetails>),
}

/// Every variant's details, by reference (`&`) or by `&mut`: one match for both accessors.
macro_rules! details_of {
    ($error:expr) => {
        match $error {
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
    };
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.kind() {
            ErrorKind::Authentication => "authentication failed",
            ErrorKind::Permission => "permission denied",
            ErrorKind::NotFound => "not found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::InvalidRequest => "invalid request",
            ErrorKind::RateLimited => "rate limited",
            ErrorKind::Server => "server error",
            ErrorKind::Network => "network error",
            ErrorKind::Timeout => "timed out",
            ErrorKind::Decode => "could not decode response",
            ErrorKind::Protocol => "protocol violation",
            ErrorKind::InvalidConfig => "invalid configuration",
            ErrorKind::Unsupported => "unsupported",
        };
        write!(f, "{label}: {}", self.details())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.details()
            .cause
            .as_deref()
            .map(|cause| cause as &(dyn std::error::Error + 'static))
    }
}

impl Error {
    /// Creates an error of `kind` with `message` and an empty context.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        let d = Box::new(ErrorDetails {
            message: message.into(),
            context: ErrorContext::default(),
            cause: None,
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
        details_of!(self)
    }

    fn details_mut(&mut self) -> &mut ErrorDetails {
        details_of!(self)
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

    /// Fills the provider, source, operation and target this error does not have yet from
    /// `context` (a deeper layer's values win); status, code and request id are left alone.
    /// The one way every layer (HTTP client, paging, backends) adds where an error happened.
    pub fn with_context(mut self, context: &ErrorContext) -> Self {
        let ctx = &mut self.details_mut().context;
        fill(&mut ctx.provider, &context.provider);
        fill(&mut ctx.source, &context.source);
        fill(&mut ctx.operation, &context.operation);
        fill(&mut ctx.target, &context.target);
        self
    }

    /// Keeps `cause` (a transport library's error, with no secret in it) as this error's
    /// [`source`](std::error::Error::source).
    pub fn with_cause(mut self, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.details_mut().cause = Some(Arc::new(cause));
        self
    }

    /// Sets the provider (and keeps it if already set by a deeper layer).
    pub fn with_provider(self, provider: ProviderKind) -> Self {
        self.with_context(&ErrorContext {
            provider: Some(provider),
            ..ErrorContext::default()
        })
    }

    /// Sets the source label, unless already set.
    pub fn with_source(self, source: impl Into<String>) -> Self {
        self.with_context(&ErrorContext {
            source: Some(source.into()),
            ..ErrorContext::default()
        })
    }

    /// Sets the operation, unless already set.
    pub fn with_operation(self, operation: impl Into<String>) -> Self {
        self.with_context(&ErrorContext::default().with_operation(operation))
    }

    /// Sets the target, unless already set.
    pub fn with_target(self, target: impl Into<String>) -> Self {
        self.with_context(&ErrorContext::default().with_target(Some(target)))
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

    /// Appends `note` to the message (`message; note`), keeping the kind, context and cause.
    pub fn with_note(mut self, note: &str) -> Self {
        self.details_mut().message.push_str("; ");
        self.details_mut().message.push_str(note);
        self
    }
}

/// Sets `slot` to `value` when it is unset.
fn fill<T: Clone>(slot: &mut Option<T>, value: &Option<T>) {
    if slot.is_none() {
        slot.clone_from(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_context_fills_only_what_is_unset() {
        let deeper = Error::decode("bad page")
            .with_operation("list_tags")
            .with_target("reg/app");
        let source = crate::model::Source::new("ncp-kr", ProviderKind::NCP, "kr", "https://x");
        let context = ErrorContext::of_source(&source)
            .with_operation("inventory")
            .with_target(Some("reg"));
        let err = deeper.with_context(&context);
        let ctx = err.context();
        assert_eq!(ctx.provider, Some(ProviderKind::NCP));
        assert_eq!(ctx.source.as_deref(), Some("ncp-kr"));
        assert_eq!(ctx.operation.as_deref(), Some("list_tags"));
        assert_eq!(ctx.target.as_deref(), Some("reg/app"));
        assert_eq!(err.kind(), ErrorKind::Decode);
    }

    #[test]
    fn a_cause_is_the_error_source_and_is_not_compared() {
        use std::error::Error as _;
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
        let err = Error::new(ErrorKind::Network, "connection broke").with_cause(io);
        let source = err.source().expect("the cause is reachable");
        assert_eq!(source.to_string(), "reset by peer");
        assert_eq!(
            err.details(),
            Error::new(ErrorKind::Network, "connection broke").details()
        );
        assert!(Error::decode("x").source().is_none());
        assert_eq!(err.to_string(), "network error: connection broke");
    }

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
