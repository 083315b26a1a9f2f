//! The running server: its own accept loop (so a connection can be dropped without a response),
//! an axum router with one handler that hands each request to the mounted [`Api`](crate::api::Api)
//! whose route it is, through one pipeline of latency, authentication, faults and statistics.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Duration;

use axum::body::to_bytes;
use axum::extract::{Request, State};

use axum::response::Response;
use axum::Router;
use chrono::Utc;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use reginv_core::{AccessKeyPair, SecretString};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;
use tower::ServiceExt as _;

use crate::api::{Data, Mounted, Request as ApiRequest, Routed};
use crate::error::EmulatorError;
use crate::faults::{mix, Fault, FaultState, Faults};
use crate::fixture::Fixture;
use crate::ncr::NcrApi;
use crate::oci::{OciApi, OciAuth};
use crate::reply::Reply;
use crate::stats::EmulatorStats;
use crate::swr::SwrApi;

/// The NCR access key the emulator accepts unless told otherwise.
pub const DEFAULT_NCP_ACCESS_KEY: &str = "EMULATORNCPACCESSKEY";
/// The NCR secret key the emulator accepts unless told otherwise (a throwaway, public value).
pub const DEFAULT_NCP_SECRET_KEY: &str = "emulator-ncp-secret-key-not-a-real-secret";
/// The SWR access key (AK) the emulator accepts unless told otherwise.
pub const DEFAULT_SWR_ACCESS_KEY: &str = "EMULATORSWRACCESSKEY";
/// The SWR secret key (SK) the emulator accepts unless told otherwise (a throwaway, public value).
pub const DEFAULT_SWR_SECRET_KEY: &str = "emulator-swr-secret-key-not-a-real-secret";
/// The SWR `X-Auth-Token` the emulator accepts unless told otherwise.
pub const DEFAULT_SWR_TOKEN: &str = "emulator-swr-iam-token";
/// The default largest NCR `pagesize`; larger values get the vendor's 400.
pub const DEFAULT_NCP_MAX_PAGE_SIZE: u32 = 100;

/// Request bodies larger than this are refused (413).
const MAX_BODY: usize = 1 << 20;
/// How long [`Emulator::shutdown`] lets open connections finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// State shared by every request.
struct Shared {
    fixture: RwLock<Fixture>,
    faults: Mutex<FaultState>,
    stats: Mutex<EmulatorStats>,
    in_flight: AtomicU64,
    request_seq: AtomicU64,
    ncr: NcrApi,
    swr: SwrApi,
    oci: OciApi,
}

impl Shared {
    /// The mounted APIs, asked in this order whether a request is theirs (SWR's `/v2/manage`
    /// before the OCI API's `/v2/`).
    fn apis(&self) -> [&dyn Mounted; 3] {
        [&self.ncr, &self.swr, &self.oci]
    }

    fn record(&self, route: &str, status: u16) {
        lock(&self.stats).record(route, status);
    }

    fn count(&self, f: impl FnOnce(&mut EmulatorStats)) {
        f(&mut lock(&self.stats));
    }

    fn request_id(&self) -> String {
        let n = self.request_seq.fetch_add(1, Ordering::Relaxed);
        format!("{:016x}{:016x}", mix(1, "request", n), mix(2, "request", n))
    }
}

/// Counts a request in flight for as long as it lives.
struct InFlight<'a>(&'a Shared);

impl<'a> InFlight<'a> {
    fn enter(shared: &'a Shared) -> Self {
        let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        let mut stats = lock(&shared.stats);
        stats.peak_in_flight = stats.peak_in_flight.max(now);
        InFlight(shared)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Put in every request's extensions by the connection task: notifying it closes the
/// connection without a response.
#[derive(Clone)]
struct ConnectionAbort(Arc<Notify>);

/// What the dispatcher decided.
enum Outcome {
    Reply(Reply),
    Drop,
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let shared = &*shared;
    let _in_flight = InFlight::enter(shared);
    let abort = request.extensions().get::<ConnectionAbort>().cloned();
    let (parts, body) = request.into_parts();
    let apis = shared.apis();
    let routed = apis
        .iter()
        .find_map(|api| api.accept(&parts.method, parts.uri.path()));
    let template = routed.as_ref().map_or_else(
        || format!("{} (unmatched)", parts.method),
        |r| r.template(&parts.method),
    );
    let body = match to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            let reply = Reply::json(
                413,
                &serde_json::json!({"error": {"errorCode": "430", "message": "Request Entity Too Large", "details": "the body could not be read or is larger than 1 MiB"}}),
            );
            shared.record(&template, reply.status);
            return reply.into_response();
        }
    };
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_string(), |p| p.as_str().to_string());
    let request_id = shared.request_id();
    let received = ApiRequest {
        method: &parts.method,
        raw_path: parts.uri.path(),
        raw_query: parts.uri.query(),
        path_and_query: &path_and_query,
        headers: &parts.headers,
        body: &body,
        now: Utc::now(),
        request_id: &request_id,
    };
    let outcome = match &routed {
        Some(routed) => dispatch(shared, routed.as_ref(), &received).await,
        None => Outcome::Reply(Reply::json(
            404,
            &serde_json::json!({"error": "not found", "details": "the emulator serves /ncr/{api,sgn-api,jpn-api}/v2/…, /v2/manage/…, the OCI /v2/… and /oci/token"}),
        )),
    };
    match outcome {
        Outcome::Reply(reply) => {
            shared.record(&template, reply.status);
            reply.into_response()
        }
        Outcome::Drop => {
            shared.record(&template, 0);
            shared.count(|s| {
                s.dropped += 1;
                s.faults_injected += 1;
            });
            match abort {
                Some(ConnectionAbort(notify)) => {
                    notify.notify_one();
                    // The connection task drops this future together with the connection.
                    std::future::pending::<()>().await;
                    unreachable_response()
                }
                // Only reachable if the router is served by something other than our accept
                // loop; answer rather than hang.
                None => Reply::json(
                    500,
                    &serde_json::json!({"error": "connection drop requested outside the emulator's accept loop"}),
                )
                .into_response(),
            }
        }
    }
}

fn unreachable_response() -> Response {
    Reply::json(500, &serde_json::json!({})).into_response()
}

/// The pipeline every API's requests go through: latency, the API's authentication, the rate
/// limit and random faults (answered in the API's shapes), the API's answer, truncation.
async fn dispatch(shared: &Shared, api: &dyn Routed, req: &ApiRequest<'_>) -> Outcome {
    // Latency first: every answer of the vendors' APIs takes time, errors included.
    let latency_key = format!("{} {}", req.method, req.path_and_query);
    let latency = lock(&shared.faults).latency(&latency_key);
    if !latency.is_zero() {
        crate::delay::sleep(latency).await;
    }

    let credential = match api.authenticate(req) {
        Ok(c) => c,
        Err(reply) => return Outcome::Reply(api.finish(reply, req)),
    };

    // Rate limit, then random faults.
    let fault_key = format!("{} {} {credential}", req.method, req.path_and_query);
    let (limited, fault, retry_after, skew) = {
        let mut faults = lock(&shared.faults);
        let limited = faults.over_rate_limit(&credential);
        let fault = if limited {
            None
        } else {
            faults.decide(&fault_key)
        };
        (
            limited,
            fault,
            faults.faults.retry_after_secs,
            faults.faults.total_skew,
        )
    };
    if limited {
        shared.count(|s| s.rate_limited += 1);
        return Outcome::Reply(api.finish(api.throttled(retry_after, req), req));
    }
    match fault {
        Some(Fault::Throttle) => {
            shared.count(|s| {
                s.throttled += 1;
                s.faults_injected += 1;
            });
            return Outcome::Reply(api.finish(api.throttled(retry_after, req), req));
        }
        Some(Fault::ServerError(status)) => {
            shared.count(|s| {
                s.server_errors += 1;
                s.faults_injected += 1;
            });
            return Outcome::Reply(api.finish(api.server_error(status, req), req));
        }
        Some(Fault::Drop) => return Outcome::Drop,
        Some(Fault::Truncate) | None => {}
    }

    let data = Data {
        fixture: &shared.fixture,
        total_skew: skew,
    };
    let mut reply = api.finish(api.serve(&data, req), req);

    if fault == Some(Fault::Truncate) {
        if reply.is_success() && reply.truncate() {
            shared.count(|s| {
                s.truncated += 1;
                s.faults_injected += 1;
            });
        } else {
            lock(&shared.faults).not_applied(&fault_key);
        }
    }
    Outcome::Reply(reply)
}

/// Serves one connection until it ends, the handler asks for it to be dropped, or the server
/// shuts down (then in-flight requests finish first).
async fn serve_connection(stream: TcpStream, router: Router, mut shutdown: watch::Receiver<bool>) {
    let abort = ConnectionAbort(Arc::new(Notify::new()));
    let notify = abort.0.clone();
    let service = tower::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(abort.clone());
        router.clone().oneshot(request)
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        _ = notify.notified() => {}
        _ = shutdown.changed() => {
            connection.as_mut().graceful_shutdown();
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = notify.notified() => {}
            }
        }
    }
}

async fn accept_loop(listener: TcpListener, router: Router, mut shutdown: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    connections.spawn(serve_connection(stream, router.clone(), shutdown.clone()));
                }
                Err(error) => {
                    // Out of file descriptors and the like: back off briefly, keep serving.
                    tracing::warn!(%error, "reginv-emulator: accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = shutdown.changed() => break,
        }
    }
    drop(listener);
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(SHUTDOWN_GRACE, drain).await.is_err() {
        connections.abort_all();
    }
}

/// A running emulator. Dropping it (or [`Emulator::shutdown`]) stops the server.
///
/// See the [crate documentation](crate) for an example.
pub struct Emulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("addr", &self.addr)
            .field("ncp_credentials", &self.shared.ncr.credentials)
            .field("swr_credentials", &self.shared.swr.credentials)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// A builder with the defaults: [`Fixture::sample`], [`Faults::none`], `127.0.0.1:0`, the
    /// `DEFAULT_*` credentials, NCR maximum `pagesize` 100.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The NCR endpoint (the base URL; clients append `/ncr/api/v2/…`).
    pub fn ncp_endpoint(&self) -> String {
        self.base_url()
    }

    /// The SWR endpoint (the base URL; clients append `/v2/manage/…`).
    pub fn swr_endpoint(&self) -> String {
        self.base_url()
    }

    /// The OCI Distribution endpoint (the base URL; clients append `/v2/…`).
    pub fn oci_endpoint(&self) -> String {
        self.base_url()
    }

    /// How the OCI Distribution API authenticates.
    pub fn oci_auth(&self) -> OciAuth {
        self.shared.oci.auth.clone()
    }

    /// The NCR credentials the server accepts.
    pub fn ncp_credentials(&self) -> AccessKeyPair {
        self.shared.ncr.credentials.clone()
    }

    /// The SWR AK/SK the server accepts.
    pub fn swr_credentials(&self) -> AccessKeyPair {
        self.shared.swr.credentials.clone()
    }

    /// The configuration entries of every source this emulator serves, as a user's
    /// `reginv.toml` would list them: one `ncp` entry per NCR region of the fixture, in the
    /// vendor's order (`ncp-kr`, `ncp-sgn`, `ncp-jpn`), then one `huawei` entry for the SWR
    /// account (`swr-<region>`), each with this emulator's endpoint and keys.
    pub fn source_entries(&self) -> Vec<reginv_core::ConfigEntry> {
        use reginv_core::ConfigEntry;
        let fixture = self.fixture();
        let ncp = self.ncp_credentials();
        let swr = self.swr_credentials();
        let mut entries: Vec<ConfigEntry> = crate::fixture::NCP_REGIONS
            .iter()
            .map(|(region, _)| *region)
            .filter(|region| fixture.ncp.contains_key(*region))
            .map(|region| {
                ConfigEntry::new(format!("ncp-{region}"), "ncp")
                    .with("region", region)
                    .with_endpoint(self.ncp_endpoint())
                    .with_keys(ncp.access_key.clone(), ncp.secret_key.clone())
            })
            .collect();
        entries.push(
            ConfigEntry::new(format!("swr-{}", fixture.swr.region), "huawei")
                .with("region", fixture.swr.region.as_str())
                .with_endpoint(self.swr_endpoint())
                .with_keys(swr.access_key.clone(), swr.secret_key.clone()),
        );
        entries
    }

    /// The SWR `X-Auth-Token` the server accepts.
    pub fn swr_token(&self) -> SecretString {
        self.shared.swr.token.clone()
    }

    /// The largest NCR `pagesize` the server accepts.
    pub fn ncp_max_page_size(&self) -> u32 {
        self.shared.ncr.max_page_size
    }

    /// A snapshot of the data served, including registries created at runtime.
    pub fn fixture(&self) -> Fixture {
        self.shared
            .fixture
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> EmulatorStats {
        let mut stats = lock(&self.shared.stats).clone();
        stats.in_flight = self.shared.in_flight.load(Ordering::SeqCst);
        stats
    }

    /// Resets the counters to zero.
    pub fn reset_stats(&self) {
        *lock(&self.shared.stats) = EmulatorStats::default();
    }

    /// The faults in effect.
    pub fn faults(&self) -> Faults {
        lock(&self.shared.faults).faults.clone()
    }

    /// Replaces the faults; the per-request fault history and rate windows start afresh.
    pub fn set_faults(&self, faults: Faults) {
        lock(&self.shared.faults).reset(faults);
    }

    /// Stops accepting, lets open connections finish their requests (up to 5 s), and waits.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// Configures and starts an [`Emulator`].
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    fixture: Option<Fixture>,
    faults: Faults,
    listen: SocketAddr,
    ncp_credentials: AccessKeyPair,
    swr_credentials: AccessKeyPair,
    swr_token: SecretString,
    ncp_max_page_size: u32,
    rate_limit: Option<u32>,
    rate_limit_burst: Option<u32>,
    retry_after_secs: Option<u64>,
    oci_auth: OciAuth,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        EmulatorBuilder {
            fixture: None,
            faults: Faults::none(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            ncp_credentials: AccessKeyPair::new(DEFAULT_NCP_ACCESS_KEY, DEFAULT_NCP_SECRET_KEY),
            swr_credentials: AccessKeyPair::new(DEFAULT_SWR_ACCESS_KEY, DEFAULT_SWR_SECRET_KEY),
            swr_token: SecretString::new(DEFAULT_SWR_TOKEN),
            ncp_max_page_size: DEFAULT_NCP_MAX_PAGE_SIZE,
            rate_limit: None,
            rate_limit_burst: None,
            retry_after_secs: None,
            oci_auth: OciAuth::Anonymous,
        }
    }
}

impl EmulatorBuilder {
    /// The data to serve (default [`Fixture::sample`]).
    pub fn fixture(mut self, fixture: Fixture) -> Self {
        self.fixture = Some(fixture);
        self
    }

    /// The faults to inject (default none).
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// The address to listen on (default `127.0.0.1:0`, a free port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// The NCR credentials to accept.
    pub fn ncp_credentials(mut self, credentials: AccessKeyPair) -> Self {
        self.ncp_credentials = credentials;
        self
    }

    /// The SWR AK/SK to accept.
    pub fn swr_credentials(mut self, credentials: AccessKeyPair) -> Self {
        self.swr_credentials = credentials;
        self
    }

    /// The SWR `X-Auth-Token` to accept (an empty token disables token authentication).
    pub fn swr_token(mut self, token: SecretString) -> Self {
        self.swr_token = token;
        self
    }

    /// The largest NCR `pagesize` (default 100; at least 1). The default `pagesize` when a
    /// request sends none is `min(10, max)`.
    pub fn ncp_max_page_size(mut self, max: u32) -> Self {
        self.ncp_max_page_size = max.max(1);
        self
    }

    /// How the OCI Distribution API authenticates (default [`OciAuth::Anonymous`]).
    pub fn oci_auth(mut self, auth: OciAuth) -> Self {
        self.oci_auth = auth;
        self
    }

    /// Throttles like an API gateway: each credential may send `per_second` requests a second
    /// on average, in bursts of up to [`rate_limit_burst`](Self::rate_limit_burst) (a token
    /// bucket); beyond that, the vendor's 429 with `Retry-After`. Sets
    /// [`Faults::rate_limit_per_second`], over what [`faults`](Self::faults) says.
    pub fn rate_limit(mut self, per_second: u32) -> Self {
        self.rate_limit = Some(per_second);
        self
    }

    /// The size of each credential's token bucket (default: the rate itself). Sets
    /// [`Faults::rate_limit_burst`], over what [`faults`](Self::faults) says.
    pub fn rate_limit_burst(mut self, burst: u32) -> Self {
        self.rate_limit_burst = Some(burst);
        self
    }

    /// The `Retry-After` of every 429, in seconds (default 0). Sets
    /// [`Faults::retry_after_secs`], over what [`faults`](Self::faults) says.
    pub fn retry_after_secs(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs);
        self
    }

    /// Checks the fixture, binds the socket and starts serving in the current Tokio runtime.
    pub async fn start(self) -> Result<Emulator, EmulatorError> {
        let fixture = self.fixture.unwrap_or_else(Fixture::sample);
        let mut faults = self.faults;
        if let Some(rate) = self.rate_limit {
            faults.rate_limit_per_second = Some(rate);
        }
        if let Some(burst) = self.rate_limit_burst {
            faults.rate_limit_burst = Some(burst);
        }
        if let Some(secs) = self.retry_after_secs {
            faults.retry_after_secs = secs;
        }
        fixture.validate()?;
        let listener =
            TcpListener::bind(self.listen)
                .await
                .map_err(|source| EmulatorError::Bind {
                    addr: self.listen,
                    source,
                })?;
        let addr = listener
            .local_addr()
            .map_err(|source| EmulatorError::Bind {
                addr: self.listen,
                source,
            })?;
        let shared = Arc::new(Shared {
            fixture: RwLock::new(fixture),
            faults: Mutex::new(FaultState::new(faults)),
            stats: Mutex::new(EmulatorStats::default()),
            in_flight: AtomicU64::new(0),
            request_seq: AtomicU64::new(0),
            ncr: NcrApi {
                credentials: self.ncp_credentials,
                max_page_size: self.ncp_max_page_size,
            },
            swr: SwrApi {
                credentials: self.swr_credentials,
                token: self.swr_token,
            },
            oci: OciApi::new(self.oci_auth),
        });
        let router = Router::new().fallback(handle).with_state(shared.clone());
        let (shutdown, shutdown_rx) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, router, shutdown_rx));
        Ok(Emulator {
            addr,
            shared,
            shutdown,
            task: Some(task),
        })
    }
}
