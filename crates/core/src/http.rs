//! The HTTP client every backend shares: one connection pool, timeouts, signing on every
//! attempt, retries, status mapping and counters.
//!
//! A backend builds one [`HttpClient`] per provider with its [`RequestSigner`] (called on *every*
//! attempt, because signatures carry timestamps) and its [`ErrorDecoder`] (which reads the
//! vendor's error body). [`HttpClient::send`] returns the response of the first 2xx attempt, or
//! the error of the last attempt with its context filled in: provider, source, operation, target,
//! HTTP status and request id. Transport errors never leak the transport library's types.
//!
//! Signed requests are refused over plain `http://` unless the host is a loopback address (the
//! emulator) or [`HttpClientConfig::allow_insecure_http`] is set.
//!
//! Credentials go only to the configured endpoint: redirects are never followed (a 3xx is an
//! error that names its `Location`), so no signed header ever reaches a second server. Once the
//! vendor rejected the credentials ([`ErrorKind::Authentication`]), the client sends nothing
//! more: every later request fails at once, naming where the credentials came from
//! ([`HttpClientConfig::credentials_source`]), so a wrong key is not locked by repeated bad
//! signatures (SWR locks a key after five). Until a first request succeeded, requests go one
//! at a time, so a wrong key costs one request, not one per request in flight. Response bodies
//! are read once, into one buffer, and refused past [`HttpClientConfig::max_body_bytes`].
//!
//! A 2xx whose body was cut off is retried like a dropped connection (for idempotent
//! requests): the connection closed before the announced `Content-Length`, or a JSON body
//! ends before its document does. Retries of one client share a [`RetryBudget`], so a server
//! that fails most requests is not sent every request [`RetryPolicy::max_attempts`] times.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use ::http::{HeaderMap, HeaderName, HeaderValue, Method};
pub use url::Url;

use crate::error::{Error, ErrorContext, ErrorKind, Result};
use crate::model::{ProviderKind, Source};
use crate::retry::{parse_retry_after, RetryBudget, RetryPolicy};

/// Response headers that carry a request id, in the order they are looked for.
const REQUEST_ID_HEADERS: [&str; 4] =
    ["x-request-id", "x-ncp-trace-id", "x-trace-id", "request-id"];

/// The default [`HttpClientConfig::max_body_bytes`]: 64 MiB, far above the largest real page
/// (a page of 1,000 SWR repositories with their tags is a few MiB).
pub const DEFAULT_MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// How an [`HttpClient`] connects, times out and retries.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct HttpClientConfig {
    /// Time allowed to open a connection. Default 10 s.
    pub connect_timeout: Duration,
    /// Time allowed for one attempt, response body included. Default 30 s.
    pub request_timeout: Duration,
    /// How failed attempts are retried.
    pub retry: RetryPolicy,
    /// Allow signed requests over plain `http://` to hosts that are not loopback. Default false.
    pub allow_insecure_http: bool,
    /// Idle connections kept per host. Default 64.
    pub pool_max_idle_per_host: usize,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// At most this many attempts per second leave this client (a token bucket, retries
    /// included), to stay under a gateway's quota. `None` (the default): no cap.
    pub max_requests_per_second: Option<f64>,
    /// The largest response body accepted, in bytes (default [`DEFAULT_MAX_BODY_BYTES`]). A
    /// larger one fails the request with a [`Protocol`](ErrorKind::Protocol) error, read no
    /// further than the cap.
    pub max_body_bytes: u64,
    /// Where the credentials came from, in words a user can act on (`the secret_key_env
    /// variable MY_SK of provider swr-ap in reginv.toml`), named when the vendor rejects them.
    /// Never the secret itself. `None`: not said.
    pub credentials_source: Option<String>,
}

impl Default for HttpClientConfig {
    fn default() -> Self {
        HttpClientConfig {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            allow_insecure_http: false,
            pool_max_idle_per_host: 64,
            user_agent: concat!("reginv/", env!("CARGO_PKG_VERSION")).to_string(),
            max_requests_per_second: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            credentials_source: None,
        }
    }
}

/// A request as the signer sees it: exactly what will be sent.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SignableRequest {
    /// The HTTP method.
    pub method: Method,
    /// The full URL; its path and query are sent exactly as they are here.
    pub url: Url,
    /// Headers to send; the signer adds its own.
    pub headers: HeaderMap,
    /// The body (empty for none).
    pub body: Vec<u8>,
}

impl SignableRequest {
    /// Creates a request to sign.
    pub fn new(method: Method, url: Url, headers: HeaderMap, body: Vec<u8>) -> Self {
        SignableRequest {
            method,
            url,
            headers,
            body,
        }
    }

    /// The request target as sent: the path, and `?query` when there is one.
    pub fn path_and_query(&self) -> String {
        match self.url.query() {
            Some(q) => format!("{}?{}", self.url.path(), q),
            None => self.url.path().to_string(),
        }
    }
}

/// Signs a request. Called on every attempt, so time-stamped signatures stay fresh.
pub trait RequestSigner: Send + Sync + fmt::Debug {
    /// Adds the authentication headers to `request`.
    fn sign(&self, request: &mut SignableRequest) -> Result<()>;

    /// Whether the requests this signer signs carry the source's credentials, so that a
    /// 401/403 proves them wrong and the client stops the source (the default). A signer that
    /// adds nothing (a backend that authenticates through a challenge of its own, as OCI
    /// registries do) answers `false`: its 401s are challenges, not verdicts, and the backend
    /// decides when its credentials are wrong.
    fn carries_credentials(&self) -> bool {
        true
    }
}

/// Turns a vendor's error response into an [`Error`].
pub trait ErrorDecoder: Send + Sync + fmt::Debug {
    /// Decodes an error response of `status` (not 2xx). The client adds the status, the request
    /// id from the headers and `Retry-After` when the decoder did not.
    fn decode(&self, status: u16, headers: &HeaderMap, body: &[u8]) -> Error;
}

/// The fallback [`ErrorDecoder`]: the kind from the status, the message from the body's text.
#[derive(Debug, Clone, Copy, Default)]
pub struct StatusErrorDecoder;

impl ErrorDecoder for StatusErrorDecoder {
    fn decode(&self, status: u16, _headers: &HeaderMap, body: &[u8]) -> Error {
        Error::from_status(status, body_excerpt(status, body))
    }
}

/// A short, printable excerpt of an error body for messages (`HTTP 500` when it is empty).
pub fn body_excerpt(status: u16, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return format!("HTTP {status} with an empty body");
    }
    let mut excerpt: String = text.chars().take(300).collect();
    if excerpt.len() < text.len() {
        excerpt.push('…');
    }
    excerpt
}

/// A request for [`HttpClient::send`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HttpRequest {
    /// The HTTP method.
    pub method: Method,
    /// The full URL, sent as it is.
    pub url: Url,
    /// Extra headers (the signer adds authentication).
    pub headers: HeaderMap,
    /// The body (empty for none).
    pub body: Vec<u8>,
    /// Whether sending it twice is harmless (GET): decides which failures are retried.
    pub idempotent: bool,
    /// The operation, for errors and logs (`list_tags`).
    pub operation: String,
    /// What the request is about, for errors and logs (`registry/repo`).
    pub target: Option<String>,
}

impl HttpRequest {
    /// A GET of `url` for `operation`.
    pub fn get(url: Url, operation: impl Into<String>) -> Self {
        HttpRequest {
            method: Method::GET,
            url,
            headers: HeaderMap::new(),
            body: Vec::new(),
            idempotent: true,
            operation: operation.into(),
            target: None,
        }
    }

    /// A POST of a JSON `body` to `url` for `operation` (not idempotent).
    pub fn post_json(url: Url, operation: impl Into<String>, body: Vec<u8>) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(
            ::http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        HttpRequest {
            method: Method::POST,
            url,
            headers,
            body,
            idempotent: false,
            operation: operation.into(),
            target: None,
        }
    }

    /// Sets the target.
    pub fn with_target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }
}

/// A successful (2xx) response.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The response headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A header's value as text, when present and printable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Live counters of one client: requests sent, retries, responses by status.
#[derive(Debug, Default)]
pub struct HttpStats {
    requests: AtomicU64,
    retries: AtomicU64,
    throttled: AtomicU64,
    transport_errors: AtomicU64,
    timeouts: AtomicU64,
    by_status: Mutex<BTreeMap<u16, u64>>,
}

impl HttpStats {
    fn record_status(&self, status: u16) {
        let mut map = self.by_status.lock().unwrap_or_else(|p| p.into_inner());
        *map.entry(status).or_insert(0) += 1;
    }

    /// A copy of the counters now.
    pub fn snapshot(&self) -> HttpStatsSnapshot {
        HttpStatsSnapshot {
            requests: self.requests.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
            transport_errors: self.transport_errors.load(Ordering::Relaxed),
            timeouts: self.timeouts.load(Ordering::Relaxed),
            responses_by_status: self
                .by_status
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        }
    }
}

/// The counters of an [`HttpClient`] at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HttpStatsSnapshot {
    /// Attempts sent (each retry counts).
    pub requests: u64,
    /// Retries made.
    pub retries: u64,
    /// Responses that said the client was throttled (HTTP 429 or a vendor's throttling code).
    pub throttled: u64,
    /// Attempts that got no response (connection failures, timeouts, broken bodies).
    pub transport_errors: u64,
    /// Of those, attempts that timed out.
    #[serde(default)]
    pub timeouts: u64,
    /// Responses received, by HTTP status.
    pub responses_by_status: BTreeMap<u16, u64>,
}

type RateLimiter = governor::DefaultDirectRateLimiter;

/// What a client knows about its credentials: proven good (a request succeeded), or rejected
/// (then nothing more is sent).
#[derive(Debug, Default)]
struct CredentialsState {
    /// A request went through: the credentials are good, requests may go in parallel.
    verified: std::sync::atomic::AtomicBool,
    /// The vendor rejected the credentials: this error answers every later request.
    rejected: Mutex<Option<Error>>,
    /// Held by the one request in flight until the credentials are verified.
    gate: tokio::sync::Mutex<()>,
}

impl CredentialsState {
    fn rejected(&self) -> Option<Error> {
        self.rejected
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn is_verified(&self) -> bool {
        self.verified.load(Ordering::Acquire)
    }
}

/// A signed, retrying, counted HTTP client for one provider.
///
/// A throttled response (HTTP 429) makes the request that got it wait what the vendor asked
/// (at least a jittered minimum); the other requests of the source go on, and slowing the
/// source as a whole is the caller's concurrency limit's job (the inventory adapts it from
/// [`HttpStatsSnapshot`]'s throttled, 503 and timeout counts).
/// [`HttpClientConfig::max_requests_per_second`] caps the rate outright.
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    limiter: Option<Arc<RateLimiter>>,
    budget: Option<Arc<RetryBudget>>,
    credentials: Arc<CredentialsState>,
    config: HttpClientConfig,
    signer: Arc<dyn RequestSigner>,
    decoder: Arc<dyn ErrorDecoder>,
    stats: Arc<HttpStats>,
    provider: ProviderKind,
    source: String,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("source", &self.source)
            .field("provider", &self.provider)
            .field("config", &self.config)
            .field("signer", &self.signer)
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    /// Creates a client for `source`, checking that its endpoint may carry signed requests.
    pub fn new(
        source: &Source,
        config: HttpClientConfig,
        signer: Arc<dyn RequestSigner>,
        decoder: Arc<dyn ErrorDecoder>,
    ) -> Result<Self> {
        let endpoint = Url::parse(&source.endpoint).map_err(|e| {
            Error::config(format!("endpoint {:?} is not a URL: {e}", source.endpoint))
                .with_source(source.name.clone())
        })?;
        check_transport(&endpoint, config.allow_insecure_http)
            .map_err(|e| e.with_source(source.name.clone()))?;
        let limiter = match config.max_requests_per_second {
            None => None,
            Some(rps) => Some(Arc::new(
                rate_limiter(rps).map_err(|e| e.with_source(source.name.clone()))?,
            )),
        };
        let client = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .pool_max_idle_per_host(config.pool_max_idle_per_host)
            .user_agent(config.user_agent.clone())
            // Vendor management APIs do not redirect; following one would hand the signed
            // headers to whatever server the Location names.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::config(format!("could not build the HTTP client: {e}")))?;
        Ok(HttpClient {
            client,
            limiter,
            budget: config.retry.new_budget().map(Arc::new),
            credentials: Arc::new(CredentialsState::default()),
            config,
            signer,
            decoder,
            stats: Arc::new(HttpStats::default()),
            provider: source.provider.clone(),
            source: source.name.clone(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &HttpClientConfig {
        &self.config
    }

    /// The counters so far.
    pub fn stats(&self) -> HttpStatsSnapshot {
        self.stats.snapshot()
    }

    /// The live counters, shared with every clone of this client.
    pub fn stats_handle(&self) -> Arc<HttpStats> {
        self.stats.clone()
    }

    /// Sends `request`, signing every attempt and retrying as the policy allows.
    ///
    /// Once the credentials were rejected, fails at once without sending anything; until a
    /// request succeeded, requests are sent one at a time.
    pub async fn send(&self, request: HttpRequest) -> Result<HttpResponse> {
        let result = self.send_checked(&request).await;
        result.map_err(|e| {
            e.with_context(&ErrorContext {
                provider: Some(self.provider.clone()),
                source: Some(self.source.clone()),
                operation: Some(request.operation.clone()),
                target: request.target.clone(),
                ..ErrorContext::default()
            })
        })
    }

    async fn send_checked(&self, request: &HttpRequest) -> Result<HttpResponse> {
        check_transport(&request.url, self.config.allow_insecure_http)?;
        if !self.signer.carries_credentials() {
            return self.send_retried(request).await;
        }
        let state = &self.credentials;
        if let Some(rejected) = state.rejected() {
            return Err(rejected);
        }
        let _alone = if state.is_verified() {
            None
        } else {
            let guard = state.gate.lock().await;
            if let Some(rejected) = state.rejected() {
                return Err(rejected);
            }
            Some(guard)
        };
        let result = self.send_retried(request).await;
        match &result {
            Ok(_) => state.verified.store(true, Ordering::Release),
            Err(e) if e.kind() == ErrorKind::Authentication => return Err(self.reject(e)),
            Err(e) if e.status().is_some_and(|s| !matches!(s, 401 | 403 | 429)) => {
                // The vendor answered past its authentication (a 404, a 500): the
                // credentials passed.
                state.verified.store(true, Ordering::Release);
            }
            Err(_) => {}
        }
        result
    }

    /// Sends `request` with the retries the policy allows.
    async fn send_retried(&self, request: &HttpRequest) -> Result<HttpResponse> {
        self.config
            .retry
            .run_budgeted(
                request.idempotent,
                self.budget.as_deref(),
                |attempt| self.attempt(request, attempt),
                |error, wait| {
                    self.stats.retries.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(
                        source = %self.source,
                        operation = %request.operation,
                        wait_ms = wait.as_millis() as u64,
                        %error,
                        "retrying"
                    );
                },
            )
            .await
    }

    /// Records that the vendor rejected the credentials with `error`: the error, naming where
    /// the credentials came from, is returned now and (as "not sent") for every later request.
    fn reject(&self, error: &Error) -> Error {
        let from = match &self.config.credentials_source {
            Some(source) => format!("the credentials from {source}"),
            None => "the credentials".to_string(),
        };
        let first = reworded(
            error,
            format!(
                "{} ({from} were rejected; nothing more is sent to this source until they are \
                 fixed)",
                error.message()
            ),
        );
        // Nothing was sent for the later ones, so they carry no status of their own.
        let later = reworded_without_status(
            error,
            format!(
                "not sent: {from} were rejected by an earlier request ({})",
                error.message()
            ),
        );
        let mut slot = self
            .credentials
            .rejected
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        slot.get_or_insert(later);
        first
    }

    async fn attempt(&self, request: &HttpRequest, attempt: u32) -> Result<HttpResponse> {
        if let Some(limiter) = &self.limiter {
            limiter.until_ready().await;
        }
        let mut signable = SignableRequest::new(
            request.method.clone(),
            request.url.clone(),
            request.headers.clone(),
            request.body.clone(),
        );
        self.signer.sign(&mut signable)?;
        let mut builder = self
            .client
            .request(signable.method, signable.url)
            .headers(signable.headers)
            .timeout(self.config.request_timeout);
        if !signable.body.is_empty() {
            builder = builder.body(signable.body);
        }
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        tracing::trace!(source = %self.source, operation = %request.operation, attempt, "sending");
        let response = match builder.send().await {
            Ok(r) => r,
            Err(e) => return Err(self.transport_error(e, &request.url)),
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        self.stats.record_status(status);
        if (300..400).contains(&status) {
            return Err(redirect_error(status, &headers));
        }
        let body = self.read_body(response, &request.url).await?;
        if (200..300).contains(&status) {
            if request.idempotent {
                self.check_complete_json(&headers, &body, &request.url)?;
            }
            return Ok(HttpResponse {
                status,
                headers,
                body,
            });
        }
        let mut error = self
            .decoder
            .decode(status, &headers, &body)
            .with_status(status);
        if error.kind() == ErrorKind::RateLimited {
            if error.retry_after().is_none() {
                let after = headers
                    .get(::http::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_retry_after);
                error = error.with_retry_after(after);
            }
            self.stats.throttled.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(id) = request_id(&headers) {
            error = error.with_request_id(id);
        }
        Err(error)
    }

    /// Reads the whole body once, into one buffer, refusing it past the configured cap (a
    /// `Content-Length` above the cap is refused before reading anything).
    async fn read_body(&self, mut response: reqwest::Response, url: &Url) -> Result<Vec<u8>> {
        let cap = self.config.max_body_bytes;
        let too_large = |what: String| {
            Error::protocol(format!(
                "the response body {what}, more than the {cap} bytes allowed (max_body_bytes); \
                 stopped reading"
            ))
        };
        if let Some(length) = response.content_length() {
            if length > cap {
                return Err(too_large(format!("announces {length} bytes")));
            }
        }
        let expected = response.content_length().unwrap_or(0).min(cap);
        let mut body = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if (body.len() as u64).saturating_add(chunk.len() as u64) > cap {
                        return Err(too_large("exceeds the cap".to_string()));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(body),
                Err(e) => return Err(self.transport_error(e, url)),
            }
        }
    }

    /// A JSON body (by its `Content-Type`) that ends before its document does was cut off on
    /// the way, whatever the `Content-Length` said: a [`Network`](ErrorKind::Network) error, so
    /// the request is retried like a dropped connection. Any other decoding problem is left to
    /// the backend, which names what it expected.
    fn check_complete_json(&self, headers: &HeaderMap, body: &[u8], url: &Url) -> Result<()> {
        let json = headers
            .get(::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.to_ascii_lowercase().contains("json"));
        if !json || body.is_empty() {
            return Ok(());
        }
        match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
            Err(e) if e.is_eof() => {
                self.stats.transport_errors.fetch_add(1, Ordering::Relaxed);
                Err(Error::new(
                    ErrorKind::Network,
                    format!(
                        "{}: the response body was cut off after {} bytes ({e})",
                        host_port(url),
                        body.len()
                    ),
                ))
            }
            _ => Ok(()),
        }
    }

    fn transport_error(&self, error: reqwest::Error, url: &Url) -> Error {
        self.stats.transport_errors.fetch_add(1, Ordering::Relaxed);
        let kind = if error.is_timeout() {
            self.stats.timeouts.fetch_add(1, Ordering::Relaxed);
            ErrorKind::Timeout
        } else {
            ErrorKind::Network
        };
        let error = error.without_url();
        Error::new(kind, describe_transport(url, &describe_chain(&error))).with_cause(error)
    }
}

fn rate_limiter(rps: f64) -> Result<RateLimiter> {
    let invalid = || {
        Error::config(format!(
            "max requests per second must be a positive number, not {rps}"
        ))
    };
    if !rps.is_finite() || rps <= 0.0 {
        return Err(invalid());
    }
    let quota =
        governor::Quota::with_period(Duration::from_secs_f64(1.0 / rps)).ok_or_else(invalid)?;
    Ok(governor::RateLimiter::direct(quota))
}

/// The request id of a response, from the usual headers.
pub fn request_id(headers: &HeaderMap) -> Option<String> {
    REQUEST_ID_HEADERS
        .iter()
        .find_map(|name| headers.get(*name))
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// An error of `original`'s kind and context with another message.
fn reworded(original: &Error, message: String) -> Error {
    let error = reworded_without_status(original, message);
    match original.status() {
        Some(status) => error.with_status(status),
        None => error,
    }
}

/// [`reworded`] without the HTTP status.
fn reworded_without_status(original: &Error, message: String) -> Error {
    let ctx = original.context();
    let mut error = Error::new(original.kind(), message).with_context(ctx);
    if let Some(c) = &ctx.code {
        error = error.with_code(c.clone());
    }
    if let Some(r) = &ctx.request_id {
        error = error.with_request_id(r.clone());
    }
    error
}

/// The error for a redirect, which is never followed: it names where it pointed (escaped, as
/// it comes from the server).
fn redirect_error(status: u16, headers: &HeaderMap) -> Error {
    let location = headers.get(::http::header::LOCATION).map(|v| {
        String::from_utf8_lossy(v.as_bytes())
            .chars()
            .take(300)
            .collect::<String>()
    });
    let to = match location {
        Some(l) => format!("to {l:?}"),
        None => "without a Location".to_string(),
    };
    Error::protocol(format!(
        "the server answered HTTP {status}, a redirect {to}; redirects are not followed, so \
         credentials go only to the configured endpoint (check the endpoint)"
    ))
    .with_status(status)
}

/// `host:port` of `url` (the scheme's default port when none is written).
fn host_port(url: &Url) -> String {
    let host = url.host_str().unwrap_or("?");
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// A transport failure in words a user can act on: the host and port, and what the error
/// chain `chain` says (a DNS failure names the host; TLS to a plain-HTTP server says so).
fn describe_transport(url: &Url, chain: &str) -> String {
    let at = host_port(url);
    if chain.contains("dns error") {
        return format!(
            "could not resolve the host {} (endpoint {at}): {chain}",
            url.host_str().unwrap_or("?")
        );
    }
    if url.scheme() == "https"
        && (chain.contains("InvalidContentType") || chain.contains("corrupt message"))
    {
        return format!(
            "{at} answered plain HTTP to an https:// request: the endpoint is not TLS (use \
             http:// only for a local test server) ({chain})"
        );
    }
    format!("{at}: {chain}")
}

fn describe_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

/// Whether `url` may carry signed requests: `https`, or `http` to a loopback host, or `http`
/// anywhere when `allow_insecure_http` is set.
pub fn check_transport(url: &Url, allow_insecure_http: bool) -> Result<()> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_insecure_http || is_loopback(url) => Ok(()),
        "http" => Err(Error::config(format!(
            "refusing to send signed requests over plain http to {}; use https, or set \
             allow_insecure_http = true on the provider if you trust the network",
            url.host_str().unwrap_or("?")
        ))),
        other => Err(Error::config(format!(
            "unsupported URL scheme {other:?} (expected https)"
        ))),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback_or_with_opt_in() {
        let ok = [
            "https://ncr.apigw.ntruss.com/x",
            "http://127.0.0.1:8080/x",
            "http://127.9.9.9/x",
            "http://[::1]:80/x",
            "http://localhost:1/x",
        ];
        for u in ok {
            assert!(
                check_transport(&Url::parse(u).unwrap(), false).is_ok(),
                "{u}"
            );
        }
        let remote = Url::parse("http://10.0.0.1/x").unwrap();
        let err = check_transport(&remote, false).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig);
        assert!(err.to_string().contains("allow_insecure_http"), "{err}");
        assert!(check_transport(&remote, true).is_ok());
        assert!(check_transport(&Url::parse("ftp://127.0.0.1/").unwrap(), true).is_err());
    }

    #[test]
    fn path_and_query_is_the_target_as_sent() {
        let url =
            Url::parse("http://h/ncr/api/v2/repositories/r/a%2Fb/tags?page=1&pagesize=10").unwrap();
        let req = SignableRequest::new(Method::GET, url, HeaderMap::new(), Vec::new());
        assert_eq!(
            req.path_and_query(),
            "/ncr/api/v2/repositories/r/a%2Fb/tags?page=1&pagesize=10"
        );
    }

    #[test]
    fn body_excerpt_is_short_and_never_empty() {
        assert_eq!(body_excerpt(502, b""), "HTTP 502 with an empty body");
        let long = vec![b'a'; 1000];
        assert_eq!(body_excerpt(500, &long).chars().count(), 301);
    }

    /// Signs with an attempt counter so each attempt's signature differs.
    #[derive(Debug, Default)]
    struct CountingSigner(AtomicU64);

    impl RequestSigner for CountingSigner {
        fn sign(&self, request: &mut SignableRequest) -> Result<()> {
            let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
            request.headers.insert("x-sig", HeaderValue::from(n));
            Ok(())
        }
    }

    /// A loopback server that answers each connection's request with the next canned response
    /// and records the `x-sig` header it saw.
    async fn canned_server(responses: Vec<&'static str>) -> (Url, Arc<Mutex<Vec<String>>>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            for response in responses {
                let (mut sock, _) = listener.accept().await.unwrap();
                let mut buf = vec![0u8; 4096];
                let n = sock.read(&mut buf).await.unwrap();
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                let sig = head
                    .lines()
                    .find_map(|l| l.strip_prefix("x-sig: "))
                    .unwrap_or("")
                    .to_string();
                log.lock().unwrap().push(sig);
                sock.write_all(response.as_bytes()).await.unwrap();
                sock.shutdown().await.ok();
            }
        });
        (Url::parse(&format!("http://{addr}/x")).unwrap(), seen)
    }

    fn client(url: &Url, signer: Arc<CountingSigner>) -> HttpClient {
        let source = Source::new("t", ProviderKind::NCP, "kr", url.as_str());
        let config = HttpClientConfig {
            retry: RetryPolicy::new(
                4,
                Duration::from_millis(1),
                Duration::from_millis(5),
                Duration::from_secs(5),
            ),
            ..HttpClientConfig::default()
        };
        HttpClient::new(&source, config, signer, Arc::new(StatusErrorDecoder)).unwrap()
    }

    #[tokio::test]
    async fn signs_every_attempt_retries_and_counts() {
        let (url, seen) = canned_server(vec![
            "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 4\r\nconnection: close\r\n\r\ndown",
            "HTTP/1.1 429 Too Many Requests\r\nretry-after: 0\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
        ])
        .await;
        let signer = Arc::new(CountingSigner::default());
        let client = client(&url, signer.clone());
        let response = client.send(HttpRequest::get(url, "probe")).await.unwrap();
        assert_eq!(response.body, b"ok");
        assert_eq!(*seen.lock().unwrap(), vec!["1", "2", "3"]);
        let stats = client.stats();
        assert_eq!(stats.requests, 3);
        assert_eq!(stats.retries, 2);
        assert_eq!(stats.throttled, 1);
        assert_eq!(
            stats.responses_by_status,
            BTreeMap::from([(200, 1), (429, 1), (503, 1)])
        );
    }

    /// Signs nothing, as a backend whose 401s are challenges it answers itself.
    #[derive(Debug)]
    struct ChallengeSigner;

    impl RequestSigner for ChallengeSigner {
        fn sign(&self, _request: &mut SignableRequest) -> Result<()> {
            Ok(())
        }

        fn carries_credentials(&self) -> bool {
            false
        }
    }

    #[tokio::test]
    async fn a_401_stops_a_source_only_when_its_requests_carry_credentials() {
        let two_401 = || {
            vec![
                "HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
            ]
        };
        // Signed with the source's keys: the second request is never sent.
        let (url, seen) = canned_server(two_401()).await;
        let signed = client(&url, Arc::new(CountingSigner::default()));
        assert!(signed
            .send(HttpRequest::get(url.clone(), "a"))
            .await
            .is_err());
        let later = signed.send(HttpRequest::get(url, "b")).await.unwrap_err();
        assert!(later.message().starts_with("not sent"), "{later}");
        assert_eq!(seen.lock().unwrap().len(), 1);
        // A challenge: the backend answers it, and the next request goes out.
        let (url, seen) = canned_server(two_401()).await;
        let source = Source::new("t", ProviderKind::OCI, "r", url.as_str());
        let challenged = HttpClient::new(
            &source,
            HttpClientConfig::default(),
            Arc::new(ChallengeSigner),
            Arc::new(StatusErrorDecoder),
        )
        .unwrap();
        let first = challenged.send(HttpRequest::get(url.clone(), "a")).await;
        assert_eq!(first.unwrap_err().status(), Some(401));
        let second = challenged.send(HttpRequest::get(url, "b")).await.unwrap();
        assert_eq!(second.body, b"ok");
        assert_eq!(seen.lock().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn maps_status_and_request_id_and_never_retries_401() {
        let (url, seen) = canned_server(vec![
            "HTTP/1.1 401 Unauthorized\r\nx-request-id: req-9\r\ncontent-length: 3\r\nconnection: close\r\n\r\nbad",
        ])
        .await;
        let client = client(&url, Arc::new(CountingSigner::default()));
        let err = client
            .send(HttpRequest::get(url, "list_things").with_target("reg/app"))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Authentication);
        let ctx = err.context();
        assert_eq!(ctx.status, Some(401));
        assert_eq!(ctx.request_id.as_deref(), Some("req-9"));
        assert_eq!(ctx.operation.as_deref(), Some("list_things"));
        assert_eq!(ctx.target.as_deref(), Some("reg/app"));
        assert_eq!(ctx.source.as_deref(), Some("t"));
        assert_eq!(seen.lock().unwrap().len(), 1);
        assert_eq!(client.stats().retries, 0);
    }

    #[tokio::test]
    async fn a_refused_connection_is_a_network_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = Url::parse(&format!("http://{}/x", listener.local_addr().unwrap())).unwrap();
        drop(listener);
        let client = client(&url, Arc::new(CountingSigner::default()));
        let err = client
            .send(HttpRequest::get(url.clone(), "probe"))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Network);
        assert!(
            err.to_string()
                .contains(&format!("127.0.0.1:{}", url.port().unwrap())),
            "{err}"
        );
        assert_eq!(client.stats().transport_errors, 4);
        let cause = std::error::Error::source(&err).expect("the transport error is the source");
        assert!(!cause.to_string().is_empty());
    }

    #[test]
    fn invalid_rates_are_config_errors() {
        for rps in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(
                rate_limiter(rps).unwrap_err().kind(),
                ErrorKind::InvalidConfig
            );
        }
        assert!(rate_limiter(0.5).is_ok());
    }

    #[tokio::test]
    async fn the_rate_cap_spaces_attempts() {
        // A lower bound, not a speed test: 4 attempts at 20/s cannot take less than 150 ms.
        let (url, seen) = canned_server(vec![
            "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
            4
        ])
        .await;
        let mut client = client(&url, Arc::new(CountingSigner::default()));
        client.limiter = Some(Arc::new(rate_limiter(20.0).unwrap()));
        let start = std::time::Instant::now();
        for _ in 0..4 {
            client
                .send(HttpRequest::get(url.clone(), "probe"))
                .await
                .unwrap();
        }
        assert!(start.elapsed() >= Duration::from_millis(150));
        assert_eq!(seen.lock().unwrap().len(), 4);
    }

    #[tokio::test]
    async fn a_body_cut_off_before_its_content_length_is_retried() {
        let (url, seen) = canned_server(vec![
            "HTTP/1.1 200 OK\r\ncontent-length: 100\r\nconnection: close\r\n\r\n{\"items\": [1, 2",
            "HTTP/1.1 200 OK\r\ncontent-length: 13\r\nconnection: close\r\n\r\n{\"items\": []}",
        ])
        .await;
        let client = client(&url, Arc::new(CountingSigner::default()));
        let response = client.send(HttpRequest::get(url, "probe")).await.unwrap();
        assert_eq!(response.body, b"{\"items\": []}");
        assert_eq!(seen.lock().unwrap().len(), 2);
        let stats = client.stats();
        assert_eq!(
            (stats.requests, stats.retries, stats.transport_errors),
            (2, 1, 1)
        );
    }

    #[tokio::test]
    async fn a_json_body_cut_off_within_its_content_length_is_retried() {
        let json = "content-type: application/json; charset=utf-8\r\nconnection: close";
        let cut: &'static str = Box::leak(
            format!("HTTP/1.1 200 OK\r\n{json}\r\ncontent-length: 15\r\n\r\n{{\"items\": [1, 2")
                .into_boxed_str(),
        );
        let whole: &'static str = Box::leak(
            format!("HTTP/1.1 200 OK\r\n{json}\r\ncontent-length: 13\r\n\r\n{{\"items\": []}}")
                .into_boxed_str(),
        );
        let (url, seen) = canned_server(vec![cut, whole]).await;
        let c = client(&url, Arc::new(CountingSigner::default()));
        let response = c
            .send(HttpRequest::get(url.clone(), "probe"))
            .await
            .unwrap();
        assert_eq!(response.body, b"{\"items\": []}");
        assert_eq!(seen.lock().unwrap().len(), 2);
        assert_eq!(c.stats().retries, 1);

        // Cut off every time: the error says so, naming the server.
        let (url, _) = canned_server(vec![cut; 4]).await;
        let c = client(&url, Arc::new(CountingSigner::default()));
        let err = c
            .send(HttpRequest::get(url.clone(), "probe"))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Network);
        assert!(err.to_string().contains("cut off after 15 bytes"), "{err}");
        assert_eq!(c.stats().requests, 4);

        // JSON that is complete but not what a backend expects is the backend's to judge; a
        // body that is not JSON by its type is never parsed here.
        let (url, _) = canned_server(vec![
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 4\r\nconnection: close\r\n\r\n[1]x",
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{[",
        ])
        .await;
        let c = client(&url, Arc::new(CountingSigner::default()));
        for _ in 0..2 {
            c.send(HttpRequest::get(url.clone(), "probe"))
                .await
                .unwrap();
        }
        assert_eq!(c.stats().retries, 0);
    }

    #[tokio::test]
    async fn a_dying_server_spends_the_retry_budget_then_gets_each_request_once() {
        let down = "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 4\r\nconnection: close\r\n\r\ndown";
        let (url, seen) = canned_server(vec![down; 4]).await;
        let mut c = client(&url, Arc::new(CountingSigner::default()));
        c.config.retry = c.config.retry.clone().with_retry_budget(Some(10));
        c.budget = c.config.retry.new_budget().map(Arc::new);
        // Two retries of 5 tokens each: three attempts, then the budget is spent.
        let err = c
            .send(HttpRequest::get(url.clone(), "probe"))
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(503));
        assert!(err.to_string().contains("retry budget is spent"), "{err}");
        assert_eq!(seen.lock().unwrap().len(), 3);
        // The next request is sent once.
        let err = c.send(HttpRequest::get(url, "probe")).await.unwrap_err();
        assert!(err.to_string().contains("retry budget is spent"), "{err}");
        assert_eq!(seen.lock().unwrap().len(), 4);
        assert_eq!(c.stats().retries, 2);
    }

    #[test]
    fn request_id_from_headers() {
        let mut h = HeaderMap::new();
        h.insert("x-request-id", HeaderValue::from_static("r-1"));
        assert_eq!(request_id(&h).as_deref(), Some("r-1"));
        assert_eq!(request_id(&HeaderMap::new()), None);
    }

    #[tokio::test]
    async fn redirects_are_errors_naming_the_location_and_never_followed() {
        // The second server counts every connection it gets.
        let stranger = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let stranger_addr = stranger.local_addr().unwrap();
        let reached = Arc::new(AtomicU64::new(0));
        let count = reached.clone();
        tokio::spawn(async move {
            while stranger.accept().await.is_ok() {
                count.fetch_add(1, Ordering::SeqCst);
            }
        });
        let redirect: &'static str = Box::leak(
            format!(
                "HTTP/1.1 302 Found\r\nlocation: http://{stranger_addr}/steal\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            )
            .into_boxed_str(),
        );
        let (url, seen) = canned_server(vec![redirect]).await;
        let client = client(&url, Arc::new(CountingSigner::default()));
        let err = client
            .send(HttpRequest::get(url, "probe"))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol);
        assert_eq!(err.status(), Some(302));
        assert!(
            err.to_string()
                .contains(&format!("http://{stranger_addr}/steal")),
            "{err}"
        );
        assert_eq!(seen.lock().unwrap().len(), 1);
        assert_eq!(client.stats().retries, 0);
        assert_eq!(
            reached.load(Ordering::SeqCst),
            0,
            "the redirect was followed"
        );
    }

    /// A server that answers with a chunked body of endless 64 KiB chunks and counts the bytes
    /// it managed to write before the client hung up.
    async fn endless_body_server() -> (Url, Arc<AtomicU64>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let written = Arc::new(AtomicU64::new(0));
        let count = written.clone();
        tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            let _ = sock.read(&mut buf).await;
            let head = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n";
            if sock.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let chunk = format!("10000\r\n{}\r\n", "x".repeat(0x10000));
            // At most 100 MiB, should the client never stop.
            for _ in 0..1600 {
                if sock.write_all(chunk.as_bytes()).await.is_err() {
                    return;
                }
                count.fetch_add(0x10000, Ordering::SeqCst);
            }
        });
        (Url::parse(&format!("http://{addr}/x")).unwrap(), written)
    }

    #[tokio::test]
    async fn a_body_past_the_cap_is_refused_without_reading_it_all() {
        // Announced too large: refused from the header.
        let (url, _) = canned_server(vec![
            "HTTP/1.1 200 OK\r\ncontent-length: 104857600\r\nconnection: close\r\n\r\nxx",
        ])
        .await;
        let mut c = client(&url, Arc::new(CountingSigner::default()));
        c.config.max_body_bytes = 1024 * 1024;
        let err = c.send(HttpRequest::get(url, "probe")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol);
        assert!(err.to_string().contains("104857600 bytes"), "{err}");
        assert!(err.to_string().contains("max_body_bytes"), "{err}");

        // Chunked, without a length: refused once the cap is passed.
        let (url, written) = endless_body_server().await;
        let mut c = client(&url, Arc::new(CountingSigner::default()));
        c.config.max_body_bytes = 1024 * 1024;
        let err = c.send(HttpRequest::get(url, "probe")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
        assert!(err.to_string().contains("max_body_bytes"), "{err}");
        drop(c);
        // The server could write the cap plus what the sockets buffer, not the 100 MiB.
        tokio::task::yield_now().await;
        assert!(
            written.load(Ordering::SeqCst) < 50 * 1024 * 1024,
            "{} bytes were sent",
            written.load(Ordering::SeqCst)
        );

        // A body within the cap is read whole.
        let (url, _) = canned_server(vec![
            "HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello",
        ])
        .await;
        let mut c = client(&url, Arc::new(CountingSigner::default()));
        c.config.max_body_bytes = 5;
        assert_eq!(
            c.send(HttpRequest::get(url, "probe")).await.unwrap().body,
            b"hello"
        );
    }

    #[tokio::test]
    async fn rejected_credentials_stop_the_client_and_name_their_source() {
        let unauthorized = "HTTP/1.1 401 Unauthorized\r\ncontent-length: 13\r\nconnection: close\r\n\r\nbad signature";
        let (url, seen) = canned_server(vec![unauthorized; 5]).await;
        let mut c = client(&url, Arc::new(CountingSigner::default()));
        c.config.credentials_source = Some("the variable MY_SK".into());
        // Five requests at once, as five registry filters would send them.
        let results = futures::future::join_all(
            (0..5).map(|_| c.send(HttpRequest::get(url.clone(), "list_things"))),
        )
        .await;
        assert_eq!(seen.lock().unwrap().len(), 1, "one bad signature, not five");
        assert_eq!(c.stats().requests, 1);
        let messages: Vec<String> = results
            .into_iter()
            .map(|r| {
                let err = r.unwrap_err();
                assert_eq!(err.kind(), ErrorKind::Authentication);
                err.to_string()
            })
            .collect();
        assert!(
            messages.iter().all(|m| m.contains("the variable MY_SK")),
            "{messages:?}"
        );
        assert_eq!(
            messages.iter().filter(|m| m.contains("not sent")).count(),
            4,
            "{messages:?}"
        );
        // And later ones too.
        let err = c
            .send(HttpRequest::get(url, "list_things"))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("not sent"), "{err}");
        assert_eq!(err.status(), None, "nothing was sent, so no status");
        assert_eq!(c.stats().requests, 1);
    }

    #[tokio::test]
    async fn once_a_request_succeeded_requests_go_in_parallel() {
        let ok = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok";
        let (url, _) = canned_server(vec![ok; 3]).await;
        let c = client(&url, Arc::new(CountingSigner::default()));
        assert!(!c.credentials.is_verified());
        c.send(HttpRequest::get(url.clone(), "probe"))
            .await
            .unwrap();
        assert!(c.credentials.is_verified());
    }

    #[tokio::test]
    async fn https_to_a_plain_http_server_says_so() {
        let (url, _) = canned_server(vec![
            "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
        ])
        .await;
        let mut https = url.clone();
        https.set_scheme("https").unwrap();
        let mut c = client(&https, Arc::new(CountingSigner::default()));
        c.config.retry = RetryPolicy::new(
            1,
            Duration::from_millis(1),
            Duration::from_millis(1),
            Duration::from_secs(5),
        );
        let err = c
            .send(HttpRequest::get(https.clone(), "probe"))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Network);
        let text = err.to_string();
        assert!(text.contains("plain HTTP"), "{text}");
        assert!(
            text.contains(&format!("127.0.0.1:{}", https.port().unwrap())),
            "{text}"
        );
    }

    #[test]
    fn transport_errors_name_the_host_and_port() {
        let url = Url::parse("https://swr-api.example.invalid/v2").unwrap();
        let dns = describe_transport(
            &url,
            "error sending request: client error (Connect): dns error: failed to lookup address information",
        );
        assert!(
            dns.starts_with("could not resolve the host swr-api.example.invalid"),
            "{dns}"
        );
        assert!(dns.contains("swr-api.example.invalid:443"), "{dns}");
        let other = describe_transport(&url, "connection reset");
        assert_eq!(other, "swr-api.example.invalid:443: connection reset");
    }
}
