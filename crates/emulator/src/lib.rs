//! # reginv-emulator
//!
//! A faithful local server of NAVER Cloud **NCR API v2**, Huawei Cloud **SWR `/v2/manage`** and
//! the **OCI Distribution** read API (over the same data), for tests, examples, the demo and
//! benchmarks: our moto / LocalStack. The real reginv clients,
//! with real signing and real paging, talk to it over HTTP on `127.0.0.1`; signatures are checked
//! for real (with the backends' own `signing` modules), responses are rendered in each vendor's
//! JSON shapes, and faults can be injected deterministically.
//!
//! ```
//! use reginv_core::http::{HeaderMap, Method, SignableRequest, Url};
//! use reginv_emulator::{Emulator, Fixture};
//! use reginv_ncp::signing::{now_millis, NcpSigner};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let emulator = Emulator::builder().fixture(Fixture::sample()).start().await?;
//!
//! // A hand-signed NCR request, as any client would send it.
//! let url = Url::parse(&format!("{}/ncr/api/v2/repositories?page=1&pagesize=10", emulator.ncp_endpoint()))?;
//! let mut request = SignableRequest::new(Method::GET, url, HeaderMap::new(), Vec::new());
//! NcpSigner::new(emulator.ncp_credentials()).sign_at(&mut request, now_millis())?;
//! let mut call = reqwest::Client::new().get(request.url.as_str());
//! for (name, value) in request.headers.iter() {
//!     call = call.header(name.as_str(), value.as_bytes());
//! }
//! let body: serde_json::Value = serde_json::from_str(&call.send().await?.text().await?)?;
//! assert_eq!(body["count"], 2); // acme-prod and acme-public
//!
//! assert_eq!(emulator.stats().count("GET /ncr/api/v2/repositories", 200), 1);
//! emulator.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! The server runs on the Tokio runtime that calls [`EmulatorBuilder::start`]; dropping the
//! [`Emulator`] (or [`Emulator::shutdown`]) stops it. The `reginv-emulator` binary serves the
//! same thing from the command line (see [Running the binary](#running-the-binary)).
//!
//! ## What it serves
//!
//! All endpoints share one base URL ([`Emulator::base_url`], also [`Emulator::ncp_endpoint`] and
//! [`Emulator::swr_endpoint`]): clients append the vendor's paths.
//!
//! | request | answer |
//! |---|---|
//! | `GET {p}/repositories?page=&pagesize=` | NCR registries of the region, in `{count,next,previous,results}` |
//! | `POST {p}/repositories/{registry}` body `{"bucket":"…"}` | 201 `{"returnCode":"201","returnMessage":…}`; the registry appears in listings |
//! | `GET {p}/repositories/{registry}?page=&pagesize=` | images of the registry |
//! | `GET {p}/repositories/{registry}/{image}` | image detail |
//! | `GET {p}/repositories/{registry}/{image}/tags?page=&pagesize=` | tags, each with `images[]` per platform |
//! | `GET {p}/repositories/{registry}/{image}/tags/{reference}` | one tag (by name or digest) |
//! | `GET /v2/manage/namespaces` | `{"namespaces":[{id,name,creator_name,auth}]}` |
//! | `GET /v2/manage/repos?namespace=&name=&category=&limit=&offset=&order_column=&order_type=` | bare array of repositories (seed-004 shape, with `tags[]` names and `total_range`) + `Content-Range`; the legacy `filter=namespace::x\|name::y\|limit::n\|offset::m` form too (it wins over the plain parameters) |
//! | `GET /v2/manage/namespaces/{ns}/repos/{repo}` | repository detail (the 18 fields of the SDK's `ShowRepositoryResponse`, `creator_id` included) |
//! | `GET /v2/manage/namespaces/{ns}/repos/{repo}/tags?limit=&offset=&tag=&order_column=&order_type=` | bare array of tags (`"Tag"` with a capital T) + `Content-Range` |
//!
//! `{p}` is `/ncr/api/v2` (fixture region `kr`), `/ncr/sgn-api/v2` (`sgn`) or `/ncr/jpn-api/v2`
//! (`jpn`). NCR image names with `/` arrive as `%2F` (one path segment; an unencoded `/` is
//! another path and gets a 404); SWR repository names with `/` arrive as `$` (or `%24`). NCR times
//! are epoch milliseconds; SWR times look like `2021-06-10T03:24:44.784402Z`. SWR's `path` is
//! the public `swr.{region}.myhuaweicloud.com/…`, its `internal_path` the VPC address
//! (`10.125.x.y:20202/…`), as on the real service. Numeric ids the
//! vendors send (`id`, `image_id`, `repository`, `repo_id`, …) are stable hashes of the names.
//!
//! ### OCI Distribution
//!
//! The same fixture as a registry speaking the OCI Distribution API ([`Emulator::oci_endpoint`]):
//! one repository `registry/name` per NCR image (every region) and `namespace/name` per SWR
//! repository; names are sent as-is in paths (`/v2/acme-prod/payments/api/tags/list`).
//!
//! | request | answer |
//! |---|---|
//! | `GET /v2/` | 200 `{}` (`Docker-Distribution-Api-Version: registry/2.0` on every answer) |
//! | `GET /v2/_catalog?n=&last=` | `{"repositories": […]}` sorted, the `n` (default and at most 1000) after `last`; more: `Link: </v2/_catalog?last=X&n=N>; rel="next"` |
//! | `GET /v2/{name}/tags/list?n=&last=` | `{"name", "tags": […]}` sorted, paged likewise (`"tags": null` for a repository without tags) |
//! | `GET`/`HEAD /v2/{name}/manifests/{tag or digest}` | the tag's image manifest, or an image index / manifest list for a multi-platform tag (NCR: more than one `images[]` entry; SWR: `tag_type` 1), in the OCI or Docker media types (NCR: the platforms' `mediaType` family; SWR: the manifest's); `Content-Type` the media type, `Docker-Content-Digest` the sha256 of the exact bytes; platform manifests by digest; an `Accept` that does not list the type gets 404 `MANIFEST_UNKNOWN` |
//! | `GET`/`HEAD /v2/{name}/blobs/{digest}` | image configs (`architecture`, `os`, `variant`, `created`) and manifests; layers are not stored |
//! | `GET /oci/token?service=&scope=` | with [`OciAuth::Token`]: `{"token", "access_token", "expires_in": 300, "issued_at"}` for HTTP Basic credentials |
//!
//! Content depends on the image, not on the tag name, so tags pushed together (`latest` and
//! `v2.14.1`) share a digest; config + layer sizes add up to the fixture's size of each
//! platform. Errors are `{"errors": [{"code", "message", "detail"}]}`: `NAME_UNKNOWN`,
//! `MANIFEST_UNKNOWN`, `BLOB_UNKNOWN`, `PAGINATION_NUMBER_INVALID` (400), `UNAUTHORIZED` (401),
//! `UNSUPPORTED` (405, any method but `GET`/`HEAD`), `TOOMANYREQUESTS` (429, with
//! `Retry-After`), `UNKNOWN` (injected 5xx). Authentication ([`EmulatorBuilder::oci_auth`]):
//! none (the default); HTTP Basic (401 with `WWW-Authenticate: Basic realm="reginv-emulator"`);
//! or the token flow: 401 with `WWW-Authenticate: Bearer realm="http://HOST/oci/token",
//! service="reginv-emulator",scope="repository:NAME:pull"` (`registry:catalog:*` for the
//! catalog, no scope for `/v2/`), the token endpoint answering HTTP Basic, then
//! `Authorization: Bearer TOKEN` for the granted scopes (else 401 with
//! `error="insufficient_scope"`).
//!
//! ## Authentication
//!
//! - **NCR**: `x-ncp-apigw-signature-v2` is verified over the request target **exactly as
//!   received** (the raw path and query, `%2F` preserved), with the configured access key;
//!   `x-ncp-apigw-timestamp` must be within 5 minutes of the server clock. Otherwise 401
//!   `{"error":{"errorCode":"200","message":"Authentication Failed","details":…}}` (the details
//!   say why).
//! - **SWR**: `Authorization: SDK-HMAC-SHA256 …` is verified over the canonical request as the
//!   official SDKs' signer builds it: the path percent-decoded *then* split on `/` (so a `%2F` is
//!   signed as `/`), each segment re-encoded, with a trailing `/`; the sorted query (`%20` or `+`
//!   for a space); the signed headers as received (including `host`); and the body hash, or
//!   `UNSIGNED-PAYLOAD` when `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` is a signed header;
//!   `x-sdk-date` must be signed and within 15 minutes.
//!   Alternatively the configured `X-Auth-Token` is accepted. Otherwise 401
//!   `{"error_code":"APIGW.0301","error_msg":…,"request_id":…}`. SWR answers carry `X-Request-Id`.
//! - Not emulated: Huawei's lock-out of a key after five bad signatures (tests would trip it).
//!
//! The official Huawei SWR Python SDK (`huaweicloudsdkswr`) lists the emulator completely, with
//! every field of its models present: `tests/huawei_sdk.rs` runs `tests/sdk/huawei_sdk_lists_emulator.py`
//! when `REGINV_TEST_HUAWEI_SDK_PYTHON` names a python with the SDK (`tests/sdk/huawei_sdk_venv.sh DIR`).
//!
//! ## Paging, and the choices the vendor documents leave open
//!
//! - **NCR**: `page` ≥ 1 (default 1) and `pagesize` ≥ 1. The default `pagesize` when none is sent
//!   is **10** and the maximum is **100** ([`DEFAULT_NCP_MAX_PAGE_SIZE`], configurable with
//!   [`EmulatorBuilder::ncp_max_page_size`]; the default is then `min(10, max)`). A zero,
//!   negative, non-numeric or too-large value is the vendor's 400 with `errorCode` `"100"`. A page
//!   past the end is an empty `results` with the true `count`. `next` is `page + 1` while items
//!   remain after this page (computed from the items served, not from a skewed `count`), else
//!   `null`; `previous` is `page - 1` for pages after the first, else `null`.
//! - **SWR**: `limit` is 1..=1000 (default 100), `offset` ≥ 0 (default 0) and must be a multiple
//!   of the limit; otherwise a 400 `[{"errorCode":"SVCSTG.SWR.4000001",…}]`. `Content-Range` is
//!   sent whenever `limit` or `offset` is, as **`{offset}-{offset+count-1}/{total}`** (inclusive
//!   last index, like HTTP ranges), or **`*/{total}`** for an empty page. Repositories without
//!   `limit`/`offset` return the first 100. Tags without `offset` return *all* tags (a `limit`
//!   alone does not page them). Repositories are listed by namespace then name; tags in fixture
//!   order; `order_column` (`name`, `updated_at`/`updated_time`, `tag_count` for repositories;
//!   `name`, `created`, `updated_at` for tags) with `order_type` `asc`/`desc` (default `desc`)
//!   reorders them. `namespace`, `name` and `tag` filter by substring, `category` exactly.
//!
//! ## Errors
//!
//! | case | NCR | SWR |
//! |---|---|---|
//! | bad paging / body | 400 `errorCode` `"100"` | 400 `SVCSTG.SWR.4000001` (array) |
//! | authentication | 401 `"200"` | 401 `APIGW.0301` |
//! | unknown registry / image / tag / path | 404 `"300"` | 404 `SVCSTG.SWR.4040002` (namespace), `…4040017` (repository), `…4040001` (path) |
//! | create: name or bucket taken (in any region) | 409 `"409"` (the vendor documents no code) | — |
//! | throttling (injected or rate limit) | 429 `"420"` + `Retry-After` | 429 `APIGW.0308` + `Retry-After` |
//! | injected server error | 500 `"900"`, 502 `"900"`, 503 `"500"` | 500/502/503 `SVCSTG.SWR.{status}0001` |
//!
//! New registry names must be 3 to 30 lower-case letters, digits or `-`, starting with a letter
//! (the vendor's rule is undocumented). Request bodies over 1 MiB get a 413.
//!
//! ## Faults
//!
//! [`Faults`] configure latency, throttling, server errors, dropped connections, truncated bodies,
//! a per-credential rate limit and lying totals; [`Emulator::set_faults`] changes them at runtime.
//! A request goes through these steps, in order:
//!
//! 1. **Latency**: `latency` plus up to `latency_jitter` (drawn per request), for every request
//!    under a vendor prefix, errors included. It is kept by a timer thread to within tens of
//!    microseconds (tokio's millisecond timer added 1.5 ms to every 20 ms), in real time even
//!    under a paused tokio clock.
//! 2. **Authentication** (above). Rejected requests never see faults.
//! 3. **Rate limit**, like an API gateway's: with `rate_limit_per_second = Some(n)`
//!    ([`EmulatorBuilder::rate_limit`], `--rate-limit`), each credential (NCR access key, SWR
//!    access key, or the token) has a token bucket of `rate_limit_burst` tokens (default `n`;
//!    [`EmulatorBuilder::rate_limit_burst`], `--burst`), full at its first request and refilled
//!    at `n` a second; a request takes a token, and one that finds none gets the vendor's 429
//!    (NCR `420`, SWR `APIGW.0308`) with `Retry-After: retry_after_secs`
//!    ([`EmulatorBuilder::retry_after_secs`], `--retry-after`).
//! 4. **Random faults**, in the order throttle (429 + `Retry-After`), server error (500, 502 or
//!    503), drop (the connection is closed with no response at all: the client sees a
//!    connection error), truncate (a 2xx whose body is cut to half its length, with a
//!    `Content-Length` that matches the cut body, so the client gets a complete response that is
//!    not valid JSON; errors are never truncated). The decision for the n-th request with a given
//!    key (method, raw path and query, credential) is a pure function of `(seed, key, n)`: the same
//!    requests see the same faults in every run, however requests for other keys interleave. After
//!    `max_consecutive_faults` (default 3) faults in a row for a key, the next request with that
//!    key is served normally, so a client that retries at least that many times always gets
//!    through. `0` disables random faults.
//! 5. The route answers; `total_skew` is added to every announced total (NCR `count`, SWR
//!    `Content-Range` total and `total_range`), clamped at 0, while the items served stay true.
//!
//! ## Statistics
//!
//! [`Emulator::stats`] counts requests by route template and status (`"GET /v2/manage/repos"`,
//! `"GET /ncr/api/v2/repositories/{registry}/{image}/tags"` with the region prefix spelled out,
//! status `0` for dropped connections, `"{METHOD} (unmatched)"` for unknown paths), the current
//! and peak number of requests in flight, and each kind of injected fault.
//!
//! ## Fixtures
//!
//! [`Fixture`] is plain serde data, loadable from and savable to JSON ([`Fixture::load`],
//! [`Fixture::save`]); see the [`fixture`] module for the format. [`Fixture::sample`] is a small
//! hand-written company (used by `reginv demo`) with one of each condition a registry audit
//! looks for (a public registry and repository, scan on push off, a disconnected NCR registry,
//! unscanned, oversized, stale and never-pulled tags, mutable tags, empty repositories); [`Fixture::generate`] makes deterministic data
//! of any size with names containing `/`, `.`, `-` and `_`, 0 or more tags per repository,
//! multi-platform tags, times over years, public and private repositories.
//!
//! ## Running the binary
//!
//! ```text
//! reginv-emulator --listen 127.0.0.1:8080 --seed 7 --repos 500 --tags 12 --latency-ms 20 --fault-rate 0.05
//! reginv-emulator --fixture my-registries.json --json
//! ```
//!
//! - `--repos N` generates exactly N repositories **per provider**: NCR's are dealt round-robin
//!   over `--registries` (default 2) registries in each of `kr`, `sgn` and `jpn`; SWR's over
//!   `--registries` namespaces. `--tags T` is the **most** tags a repository gets: each draws
//!   uniformly from `--min-tags` (default 0) to T, so the average is about `(min + T) / 2`.
//!   `--seed` seeds the data and, unless `--fault-seed` is given, the faults. Without `--repos`
//!   and `--fixture`, the sample company is served. `--save-fixture FILE` writes what is served.
//! - `--fault-rate P` spreads P evenly over 429, 5xx, drop and truncate (P/4 each);
//!   `--throttle-rate`, `--server-error-rate`, `--drop-rate` and `--truncate-rate` override a
//!   share. Also `--latency-ms`, `--jitter-ms`, `--retry-after`, `--max-consecutive-faults`,
//!   `--rate-limit`, `--burst`, `--total-skew`, `--ncp-max-page-size` and the credentials.
//! - It prints its URLs and its own throwaway credentials; with `--json`, exactly one JSON line
//!   on stdout: `{"base_url":…,"ncp":{"endpoint","access_key","secret_key"},"swr":{"endpoint",
//!   "access_key","secret_key","token"},"fixture":{counts}}`. It runs until Ctrl-C or SIGTERM.
//!
//! Not emulated: deleting registries, the `/v3` marker-paged SWR APIs, the government-cloud NCR
//! hosts, and SWR's five-bad-signatures lock-out.

#![warn(missing_docs)]

mod api;
mod delay;
mod error;
mod faults;
pub mod fixture;
mod ncr;
mod oci;
mod reply;
mod server;
mod stats;
mod swr;

pub use error::EmulatorError;
pub use faults::Faults;
pub use fixture::{
    Fixture, FixtureSizes, NcpImage, NcpPlatformImage, NcpRegistry, NcpTag, SwrFixture,
    SwrNamespace, SwrRepo, SwrTag,
};
pub use oci::OciAuth;
pub use server::{
    Emulator, EmulatorBuilder, DEFAULT_NCP_ACCESS_KEY, DEFAULT_NCP_MAX_PAGE_SIZE,
    DEFAULT_NCP_SECRET_KEY, DEFAULT_SWR_ACCESS_KEY, DEFAULT_SWR_SECRET_KEY, DEFAULT_SWR_TOKEN,
};
pub use stats::EmulatorStats;
