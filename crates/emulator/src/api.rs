//! The one trait every emulated API implements ([`Api`]), and what a request looks like to it.
//!
//! The server knows nothing about any vendor: it asks each mounted API in turn whether a request
//! is its own ([`Api::route`]), then runs the same pipeline for all of them (latency, the API's
//! authentication, the rate limit and random faults answered in the API's own shapes, the API's
//! answer, truncation, statistics). A new emulated API is one module implementing [`Api`] plus
//! one line in the server's list of mounted APIs.

use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use axum::http::{HeaderMap, Method};
use chrono::{DateTime, Utc};
use percent_encoding::percent_decode_str;

use crate::fixture::Fixture;
use crate::reply::Reply;

/// A request as received, with the server's view of the moment.
pub(crate) struct Request<'a> {
    pub(crate) method: &'a Method,
    /// The path exactly as sent (still percent-encoded).
    pub(crate) raw_path: &'a str,
    /// The query exactly as sent, without the `?`.
    pub(crate) raw_query: Option<&'a str>,
    /// The request target exactly as sent (path and query).
    pub(crate) path_and_query: &'a str,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
    /// The server clock when the request arrived.
    pub(crate) now: DateTime<Utc>,
    /// A unique id for this request (SWR sends it back as `X-Request-Id`).
    pub(crate) request_id: &'a str,
}

impl Request<'_> {
    /// The query parameters, percent-decoded (`+` stays `+`), in the order sent.
    pub(crate) fn query(&self) -> Vec<(String, String)> {
        reginv_huawei::signing::query_pairs(self.raw_query)
    }
}

/// The data an API serves, and the settings every API shares.
pub(crate) struct Data<'a> {
    pub(crate) fixture: &'a RwLock<Fixture>,
    /// Added to every announced total (see [`crate::Faults::total_skew`]).
    pub(crate) total_skew: i64,
}

impl Data<'_> {
    /// The fixture, for reading.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Fixture> {
        self.fixture.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The fixture, for changing it (NCR's create registry).
    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Fixture> {
        self.fixture.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One emulated API: its routes, its authentication, its error shapes and its answers.
pub(crate) trait Api: Send + Sync + 'static {
    /// A recognised request of this API (an operation with its decoded path parameters).
    type Route: Send + Sync;

    /// Recognises a request of this API from its method and raw path; `None` when the path is
    /// not this API's (the server then asks the next one).
    fn route(&self, method: &Method, raw_path: &str) -> Option<Self::Route>;

    /// The route template counted in [`crate::EmulatorStats::by_route`].
    fn template(&self, route: &Self::Route, method: &Method) -> String;

    /// Checks the request's credentials: the credential's name (for fault keys and the rate
    /// limit), or the API's refusal.
    fn authenticate(&self, route: &Self::Route, req: &Request<'_>) -> Result<String, Reply>;

    /// The API's answer to a throttled request (429), carrying `Retry-After`.
    fn throttled(&self, retry_after_secs: u64, req: &Request<'_>) -> Reply;

    /// The API's answer to an injected server error (`status` is 500, 502 or 503).
    fn server_error(&self, status: u16, req: &Request<'_>) -> Reply;

    /// Answers an authenticated request.
    fn serve(&self, route: &Self::Route, data: &Data<'_>, req: &Request<'_>) -> Reply;

    /// Every reply of this API passes through here before it is sent (errors included).
    fn finish(&self, reply: Reply, _req: &Request<'_>) -> Reply {
        reply
    }
}

/// An [`Api`] as the server holds it: asked whether a request is its own.
pub(crate) trait Mounted: Send + Sync {
    /// The request bound to this API's route, or `None` when it is not this API's.
    fn accept<'a>(&'a self, method: &Method, raw_path: &str) -> Option<Box<dyn Routed + 'a>>;
}

/// A request recognised by an API: the [`Api`] methods with the route already applied.
pub(crate) trait Routed: Send + Sync {
    fn template(&self, method: &Method) -> String;
    fn authenticate(&self, req: &Request<'_>) -> Result<String, Reply>;
    fn throttled(&self, retry_after_secs: u64, req: &Request<'_>) -> Reply;
    fn server_error(&self, status: u16, req: &Request<'_>) -> Reply;
    fn serve(&self, data: &Data<'_>, req: &Request<'_>) -> Reply;
    fn finish(&self, reply: Reply, req: &Request<'_>) -> Reply;
}

impl<A: Api> Mounted for A {
    fn accept<'a>(&'a self, method: &Method, raw_path: &str) -> Option<Box<dyn Routed + 'a>> {
        let route = self.route(method, raw_path)?;
        Some(Box::new(Bound { api: self, route }))
    }
}

struct Bound<'a, A: Api> {
    api: &'a A,
    route: A::Route,
}

impl<A: Api> Routed for Bound<'_, A> {
    fn template(&self, method: &Method) -> String {
        self.api.template(&self.route, method)
    }
    fn authenticate(&self, req: &Request<'_>) -> Result<String, Reply> {
        self.api.authenticate(&self.route, req)
    }
    fn throttled(&self, retry_after_secs: u64, req: &Request<'_>) -> Reply {
        self.api.throttled(retry_after_secs, req)
    }
    fn server_error(&self, status: u16, req: &Request<'_>) -> Reply {
        self.api.server_error(status, req)
    }
    fn serve(&self, data: &Data<'_>, req: &Request<'_>) -> Reply {
        self.api.serve(&self.route, data, req)
    }
    fn finish(&self, reply: Reply, req: &Request<'_>) -> Reply {
        self.api.finish(reply, req)
    }
}

/// A path segment percent-decoded (`team%2Fapp` → `team/app`); invalid UTF-8 is replaced.
pub(crate) fn decode_segment(segment: &str) -> String {
    percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

/// The path after `prefix` split into segments (a trailing `/` ignored), or `None` when the
/// path is not under `prefix`.
pub(crate) fn segments_under<'p>(raw_path: &'p str, prefix: &str) -> Option<Vec<&'p str>> {
    let rest = raw_path.strip_prefix(prefix)?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    let mut segments: Vec<&str> = rest.split('/').skip(1).collect();
    if segments.len() > 1 && segments.last() == Some(&"") {
        segments.pop();
    }
    Some(segments)
}

/// A header's value, when present and visible ASCII.
pub(crate) fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Compares secrets without stopping at the first difference.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}
