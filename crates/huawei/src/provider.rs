//! [`HuaweiProvider`]: SWR's `/v2/manage` API as a [`RegistryProvider`].
//!
//! | operation | request |
//! |---|---|
//! | [`registries_page`](RegistryProvider::registries_page), [`HuaweiProvider::list_namespaces`] | `GET /v2/manage/namespaces` (one page) |
//! | [`repositories_page`](RegistryProvider::repositories_page) | `GET /v2/manage/repos?namespace=&name=&limit=&offset=` |
//! | [`get_repository`](RegistryProvider::get_repository) | `GET /v2/manage/namespaces/{ns}/repos/{repo}` |
//! | [`tags_page`](RegistryProvider::tags_page) | `GET /v2/manage/namespaces/{ns}/repos/{repo}/tags?limit=&offset=` |
//!
//! A `/` in a repository name is sent as `$` in paths (`team/app` → `team$app`).
//!
//! Paging is offset/limit: any [`Cursor::Offset`] is honoured (so pages can be fetched in
//! parallel from [`Page::remaining_cursors`]), `None` is offset 0 with the configured page size.
//! The total comes from `Content-Range`; the next page starts right after the items received
//! (never at `offset + limit`: a server may send fewer items than asked for) and exists while
//! `offset + received < total` and the page was not empty, or, without `Content-Range`, until a
//! page comes back empty. The core's page loop checks the total against what arrived.
//!
//! SWR's `namespace` and `name` filters match fuzzily, so the listing keeps only repositories of
//! exactly the namespace asked for and whose names contain the text asked for. When such a
//! filter is in use, the server's total counts rows this client drops, so pages report no total
//! (they are then fetched one after another), and a page whose rows were all dropped is skipped
//! in the same call, so an empty page still means the end.

use std::sync::Arc;

use async_trait::async_trait;
use reginv_core::http::{HttpRequest, HttpResponse, Url};
use reginv_core::{
    provider_accessors, Capabilities, Cursor, Error, ErrorContext, ErrorKind, Page, ProviderCore,
    ProviderKind, Registry, RegistryProvider, Repository, RepositoryQuery, RepositoryRef, Result,
    Source, Tag,
};

use crate::config::{HuaweiConfig, MAX_PAGE_SIZE};
use crate::content_range::ContentRange;
use crate::credentials;
use crate::error::SwrErrorDecoder;
use crate::signing;
use crate::wire;

/// The `Content-Range` response header.
const CONTENT_RANGE: &str = "content-range";

/// A Huawei Cloud SWR source: one account (and project) in one region.
#[derive(Debug)]
pub struct HuaweiProvider {
    core: ProviderCore,
    base: Url,
    speculative_paging: bool,
}

/// One raw page of a listing as the server sent it.
struct RawPage<T> {
    items: Vec<T>,
    total: Option<u64>,
}

impl HuaweiProvider {
    /// Creates a provider: validates the configuration, resolves credentials when none were
    /// given (see [`credentials::resolve_in`], from the configuration's
    /// [`environment`](HuaweiConfig::environment)), and builds the HTTP client. Sends nothing.
    pub fn new(config: HuaweiConfig) -> Result<Self> {
        config.validate()?;
        let resolved = credentials::resolve_in(config.credentials.clone(), &config.environment)
            .map_err(|e| e.with_source(config.name.clone()))?;
        let project_id = config.project_id.clone().or(resolved.project_id);
        let signer = resolved.credentials.signer(project_id.as_deref());
        let endpoint = config.effective_endpoint();
        let source = Source::new(
            config.name.clone(),
            ProviderKind::HUAWEI,
            config.region.trim(),
            endpoint.clone(),
        );
        let base = Url::parse(&endpoint).map_err(|e| {
            Error::config(format!("endpoint {endpoint:?} is not a URL: {e}"))
                .with_source(config.name.clone())
        })?;
        if base.cannot_be_a_base() || base.query().is_some() {
            return Err(Error::config(format!(
                "endpoint {endpoint:?} must be a plain http(s) URL"
            ))
            .with_source(config.name.clone()));
        }
        let mut client = config.client.clone();
        if client.http.credentials_source.is_none() {
            client.http.credentials_source = Some(resolved.origin.to_string());
        }
        let core = ProviderCore::new(source, &client, Arc::new(signer), Arc::new(SwrErrorDecoder))?;
        Ok(HuaweiProvider {
            core,
            base,
            speculative_paging: config.speculative_paging,
        })
    }

    /// Every namespace (organization) the credentials can see: `GET /v2/manage/namespaces`.
    pub async fn list_namespaces(&self) -> Result<Vec<Registry>> {
        let operation = "list_namespaces";
        let url = self.url(&["v2", "manage", "namespaces"], &[]);
        let response = self.get(url, operation, None).await?;
        wire::namespaces(self.core.source(), &response.body)
            .map_err(|e| self.annotate(e, operation, None, response.status))
    }

    /// `base` + `/`-joined segments (each encoded as a path segment) + query, its keys and
    /// values percent-encoded as the official SDKs send them (a space is `%20`, never the
    /// form encoding's `+`), with the signer's own encoding.
    fn url(&self, segments: &[&str], query: &[(&str, String)]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        if !query.is_empty() {
            let encoded: Vec<String> = query
                .iter()
                .map(|(k, v)| format!("{}={}", signing::encode(k), signing::encode(v)))
                .collect();
            url.set_query(Some(&encoded.join("&")));
        }
        url
    }

    /// The URL of `repo`, `/v2/manage/namespaces/{ns}/repos/{repo}` with `/` in its name sent as
    /// `$`, followed by the `tail` segments.
    fn repository_url(&self, repo: &RepositoryRef, tail: &[&str], query: &[(&str, String)]) -> Url {
        let wire_name = wire_repo_name(&repo.name);
        let mut segments = vec![
            "v2",
            "manage",
            "namespaces",
            &repo.registry,
            "repos",
            &wire_name,
        ];
        segments.extend_from_slice(tail);
        self.url(&segments, query)
    }

    async fn get(&self, url: Url, operation: &str, target: Option<&str>) -> Result<HttpResponse> {
        let mut request = HttpRequest::get(url, operation);
        if let Some(t) = target {
            request = request.with_target(t);
        }
        self.core.http().send(request).await
    }

    /// Adds the context an error found after the HTTP exchange lacks.
    fn annotate(&self, error: Error, operation: &str, target: Option<&str>, status: u16) -> Error {
        self.core.tag(error, operation, target).with_status(status)
    }

    /// The context of `operation` on this source, for errors found before any request.
    fn context(&self, operation: &str) -> ErrorContext {
        self.core.context(operation, None)
    }

    /// The offset and limit of `cursor`.
    fn offset_cursor(&self, cursor: Cursor, operation: &str) -> Result<(u64, u32)> {
        let (offset, limit) = match cursor {
            Cursor::Offset { offset, limit } => (offset, limit),
            other => {
                return Err(Error::unsupported(format!(
                    "SWR pages by offset and limit; cannot fetch {other}"
                ))
                .with_context(&self.context(operation)))
            }
        };
        if !(1..=MAX_PAGE_SIZE).contains(&limit) {
            return Err(Error::new(
                ErrorKind::InvalidRequest,
                format!("an SWR page holds 1 to {MAX_PAGE_SIZE} items, not {limit}"),
            )
            .with_context(&self.context(operation)));
        }
        Ok((offset, limit))
    }

    /// The total announced by a response's `Content-Range`. A header that cannot be read is
    /// logged and treated as absent: paging then continues while full pages arrive.
    fn announced_total(&self, response: &HttpResponse, operation: &str) -> Option<u64> {
        let value = response.header(CONTENT_RANGE)?;
        match ContentRange::parse(value) {
            Ok(range) => range.total,
            Err(error) => {
                tracing::warn!(
                    source = %self.core.source().name,
                    operation,
                    %error,
                    "ignoring an unreadable Content-Range"
                );
                None
            }
        }
    }

    /// One raw page of `GET /v2/manage/repos`.
    async fn fetch_repositories(
        &self,
        query: &RepositoryQuery,
        offset: u64,
        limit: u32,
    ) -> Result<RawPage<Repository>> {
        let operation = "list_repositories";
        let mut params: Vec<(&str, String)> = Vec::new();
        if let Some(ns) = &query.registry {
            params.push(("namespace", ns.clone()));
        }
        if let Some(name) = &query.name_contains {
            params.push(("name", name.clone()));
        }
        params.push(("limit", limit.to_string()));
        params.push(("offset", offset.to_string()));
        let url = self.url(&["v2", "manage", "repos"], &params);
        let target = query.registry.as_deref();
        let response = self.get(url, operation, target).await?;
        let items = wire::repositories(
            self.core.source(),
            &response.body,
            query.registry.as_deref(),
        )
        .map_err(|e| self.annotate(e, operation, target, response.status))?;
        Ok(RawPage {
            total: self.announced_total(&response, operation),
            items,
        })
    }
    /// The page of repositories at `offset`: SWR's page, or with a filter, the rows of it that
    /// match exactly (skipping on past raw pages whose rows were all dropped).
    async fn repositories_at(
        &self,
        query: &RepositoryQuery,
        first_offset: u64,
        limit: u32,
    ) -> Result<Page<Repository>> {
        let cursor = Cursor::Offset {
            offset: first_offset,
            limit,
        };
        let filtered = query.registry.is_some() || query.name_contains.is_some();
        let mut raw_cursor = cursor.clone();
        let mut raw_pages = 0u64;
        let mut previous_first: Option<String> = None;
        loop {
            let (offset, raw_limit) = match raw_cursor {
                Cursor::Offset { offset, limit } => (offset, limit),
                _ => (first_offset, limit),
            };
            let raw = self.fetch_repositories(query, offset, raw_limit).await?;
            raw_pages += 1;
            let received = raw.items.len();
            if !filtered {
                let next = next_offset(offset, received, raw.total)
                    .map(|_| raw_cursor.after(received as u64));
                return Ok(Page::new(raw.items, cursor, next, raw.total));
            }
            // Filtered pages carry no total (the server counts its fuzzy matches), so the
            // listing ends only on an empty raw page, whatever the server's total says.
            let Some(_) = next_offset(offset, received, None) else {
                return Ok(Page::new(Vec::new(), cursor, None, None));
            };
            let next = raw_cursor.after(received as u64);
            let first = raw.items.first().map(|r| r.full_name.clone());
            if first == previous_first {
                return Err(Error::protocol(format!(
                    "the page at offset {offset} starts with the same repository as the one \
                     before: the server ignores the offset asked for"
                ))
                .with_provider(ProviderKind::HUAWEI)
                .with_source(self.source().name.clone())
                .with_operation("list_repositories"));
            }
            previous_first = first;
            let kept: Vec<Repository> = raw
                .items
                .into_iter()
                .filter(|r| matches_query(r, query))
                .collect();
            if !kept.is_empty() {
                return Ok(Page::new(kept, cursor, Some(next), None));
            }
            if raw_pages >= self.core.paging_options().max_pages {
                return Err(Error::protocol(format!(
                    "{raw_pages} pages in a row held no repository matching the filter; \
                     stopping at the page cap"
                ))
                .with_context(&self.context("list_repositories")));
            }
            raw_cursor = next;
        }
    }

    /// The page of `repo`'s tags at `offset`.
    async fn tags_at(&self, repo: &RepositoryRef, offset: u64, limit: u32) -> Result<Page<Tag>> {
        let operation = "list_tags";
        let target = repo.to_string();
        let url = self.repository_url(
            repo,
            &["tags"],
            &[("limit", limit.to_string()), ("offset", offset.to_string())],
        );
        let response = self.get(url, operation, Some(&target)).await?;
        let items = wire::tags(&response.body)
            .map_err(|e| self.annotate(e, operation, Some(&target), response.status))?;
        let total = self.announced_total(&response, operation);
        let cursor = Cursor::Offset { offset, limit };
        let next =
            next_offset(offset, items.len(), total).map(|_| cursor.after(items.len() as u64));
        Ok(Page::new(items, cursor, next, total))
    }
}

/// The offset of the page after a page at `offset` that brought `received` items, given the
/// announced `total`: none after an empty page, none once the total is reached, and otherwise
/// the offset right after the items received (a server may send fewer than the limit asked
/// for, and the items after them must not be skipped). Without a total, the listing goes on
/// until a page comes back empty.
pub fn next_offset(offset: u64, received: usize, total: Option<u64>) -> Option<u64> {
    if received == 0 {
        return None;
    }
    let after = offset.saturating_add(received as u64);
    match total {
        Some(total) if after >= total => None,
        _ => Some(after),
    }
}

/// Whether `repo` satisfies `query` exactly (SWR's own filters are fuzzy).
pub fn matches_query(repo: &Repository, query: &RepositoryQuery) -> bool {
    if let Some(ns) = &query.registry {
        if repo.registry != *ns {
            return false;
        }
    }
    if let Some(text) = &query.name_contains {
        if !repo.name.contains(text.as_str()) {
            return false;
        }
    }
    true
}

#[async_trait]
impl RegistryProvider for HuaweiProvider {
    provider_accessors!(core);

    fn capabilities(&self) -> Capabilities {
        let mut caps = Capabilities::default();
        caps.lists_repositories_across_registries = true;
        caps.repository_listing_has_tag_names = true;
        caps.filters_names_server_side = true;
        caps.speculative_second_repository_page = self.speculative_paging;
        caps
    }

    /// The namespaces, in one page (SWR does not page them). A cursor past the first item is
    /// answered with an empty page, without a request.
    async fn registries_page(&self, cursor: Option<Cursor>) -> Result<Page<Registry>> {
        let cursor = cursor.unwrap_or(Cursor::Offset {
            offset: 0,
            limit: self.core.page_size().current(),
        });
        if cursor.first_item() > 0 {
            return Ok(Page::new(Vec::new(), cursor, None, None));
        }
        let namespaces = self.list_namespaces().await?;
        let total = namespaces.len() as u64;
        Ok(Page::new(namespaces, cursor, None, Some(total)))
    }

    /// One page of repositories. `None` asks for offset 0 with the provider's page size, which
    /// is halved and remembered when SWR refuses it ([`PageSize`](reginv_core::PageSize)).
    async fn repositories_page(
        &self,
        query: &RepositoryQuery,
        cursor: Option<Cursor>,
    ) -> Result<Page<Repository>> {
        match cursor {
            None => {
                self.core
                    .page_size()
                    .negotiate(|limit| self.repositories_at(query, 0, limit))
                    .await
            }
            Some(cursor) => {
                let (offset, limit) = self.offset_cursor(cursor, "list_repositories")?;
                self.repositories_at(query, offset, limit).await
            }
        }
    }

    /// One page of tags. `None` asks for offset 0 with the provider's page size.
    async fn tags_page(&self, repo: &RepositoryRef, cursor: Option<Cursor>) -> Result<Page<Tag>> {
        match cursor {
            None => {
                self.core
                    .page_size()
                    .negotiate(|limit| self.tags_at(repo, 0, limit))
                    .await
            }
            Some(cursor) => {
                let (offset, limit) = self.offset_cursor(cursor, "list_tags")?;
                self.tags_at(repo, offset, limit).await
            }
        }
    }

    async fn get_repository(&self, repo: &RepositoryRef) -> Result<Repository> {
        let operation = "get_repository";
        let target = repo.to_string();
        let url = self.repository_url(repo, &[], &[]);
        let response = self.get(url, operation, Some(&target)).await?;
        wire::repository_detail(
            self.core.source(),
            &response.body,
            &repo.registry,
            &repo.name,
        )
        .map_err(|e| self.annotate(e, operation, Some(&target), response.status))
    }
}

/// A repository name as SWR's paths write it: `/` becomes `$` (`team/app` → `team$app`).
pub fn wire_repo_name(name: &str) -> String {
    name.replace('/', "$")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::HuaweiCredentials;
    use reginv_core::HttpStatsSnapshot;

    fn provider(page_size: u32) -> HuaweiProvider {
        HuaweiProvider::new(
            HuaweiConfig::new("swr-test", "ap-southeast-1")
                .with_endpoint("http://127.0.0.1:9/prefix/")
                .with_credentials(HuaweiCredentials::aksk("AK", "SK"))
                .with_page_size(page_size),
        )
        .unwrap()
    }

    #[test]
    fn slashes_become_dollars_in_paths() {
        assert_eq!(wire_repo_name("team/app"), "team$app");
        assert_eq!(wire_repo_name("a/b/c"), "a$b$c");
        assert_eq!(wire_repo_name("plain"), "plain");
        let p = provider(100);
        let url = p.url(
            &[
                "v2",
                "manage",
                "namespaces",
                "group",
                "repos",
                &wire_repo_name("team/app"),
                "tags",
            ],
            &[("limit", "7".into()), ("offset", "14".into())],
        );
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/prefix/v2/manage/namespaces/group/repos/team$app/tags?limit=7&offset=14"
        );
    }

    #[test]
    fn query_values_encode_a_space_as_percent_20_never_plus() {
        let p = provider(100);
        let url = p.url(
            &["v2", "manage", "repos"],
            &[
                ("namespace", "my group".into()),
                ("name", "a+b c/日".into()),
            ],
        );
        let query = url.query().unwrap();
        assert_eq!(
            query, "namespace=my%20group&name=a%2Bb%20c%2F%E6%97%A5",
            "as the official SDKs send it"
        );
        assert!(!query.contains('+'));
        // The signer reads back exactly the values that were meant.
        let pairs = crate::signing::query_pairs(url.query());
        assert_eq!(
            pairs,
            [
                ("namespace".to_string(), "my group".to_string()),
                ("name".to_string(), "a+b c/日".to_string())
            ]
        );
        assert_eq!(
            crate::signing::canonical_query(&pairs),
            "name=a%2Bb%20c%2F%E6%97%A5&namespace=my%20group"
        );
    }

    #[test]
    fn next_offset_follows_what_was_received() {
        // Content-Range present.
        assert_eq!(next_offset(0, 100, Some(250)), Some(100));
        assert_eq!(next_offset(200, 50, Some(250)), None);
        assert_eq!(next_offset(0, 100, Some(100)), None);
        assert_eq!(next_offset(0, 7, Some(8)), Some(7));
        // A short page that is not the last one moves on by what it brought, not the limit.
        assert_eq!(next_offset(0, 60, Some(250)), Some(60));
        // An empty page always ends.
        assert_eq!(next_offset(100, 0, Some(250)), None);
        assert_eq!(next_offset(0, 0, None), None);
        // No Content-Range: go on until an empty page, whatever the page brought.
        assert_eq!(next_offset(0, 100, None), Some(100));
        assert_eq!(next_offset(100, 99, None), Some(199));
        assert_eq!(next_offset(u64::MAX - 1, 10, None), Some(u64::MAX));
    }

    #[test]
    fn filters_are_exact_client_side() {
        let source = Source::new("s", ProviderKind::HUAWEI, "r", "http://127.0.0.1");
        let repo = Repository::new(&source, "group", "team/app");
        assert!(matches_query(&repo, &RepositoryQuery::all()));
        assert!(matches_query(&repo, &RepositoryQuery::in_registry("group")));
        assert!(!matches_query(&repo, &RepositoryQuery::in_registry("grou")));
        assert!(!matches_query(
            &repo,
            &RepositoryQuery::in_registry("group2")
        ));
        assert!(matches_query(
            &repo,
            &RepositoryQuery::all().with_name_contains("m/a")
        ));
        assert!(!matches_query(
            &repo,
            &RepositoryQuery::in_registry("group").with_name_contains("xyz")
        ));
    }

    #[test]
    fn capabilities_and_options() {
        let p = provider(7);
        let caps = p.capabilities();
        assert!(caps.lists_repositories_across_registries);
        assert!(caps.repository_listing_has_tag_names);
        assert!(caps.filters_names_server_side);
        assert_eq!(RegistryProvider::page_size(&p), Some(7));
        assert_eq!(p.source().provider, ProviderKind::HUAWEI);
        assert_eq!(p.source().region, "ap-southeast-1");
        assert_eq!(p.http_stats(), HttpStatsSnapshot::default());
    }

    #[test]
    fn cursors_other_than_offsets_are_refused() {
        let p = provider(100);
        let offset = Cursor::Offset {
            offset: 700,
            limit: 7,
        };
        assert_eq!(p.offset_cursor(offset, "x").unwrap(), (700, 7));
        let err = p
            .offset_cursor(
                Cursor::Page {
                    number: 2,
                    size: 10,
                },
                "list_tags",
            )
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported);
        assert_eq!(err.context().operation.as_deref(), Some("list_tags"));
        for limit in [0, 1001] {
            let err = p
                .offset_cursor(Cursor::Offset { offset: 0, limit }, "x")
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidRequest);
        }
    }

    #[test]
    fn debug_never_shows_secrets() {
        for creds in [
            HuaweiCredentials::aksk("AKID", "very-secret-sk"),
            HuaweiCredentials::temporary("AKID", "very-secret-sk", "very-secret-sts"),
            HuaweiCredentials::token("very-secret-token"),
        ] {
            let p = HuaweiProvider::new(
                HuaweiConfig::new("s", "ap-southeast-1").with_credentials(creds),
            )
            .unwrap();
            let text = format!("{p:?} {p:#?}");
            assert!(!text.contains("very-secret"), "{text}");
        }
    }

    #[tokio::test]
    async fn namespaces_come_in_one_page_and_later_cursors_send_nothing() {
        let p = provider(100);
        let later = Cursor::Offset {
            offset: 100,
            limit: 100,
        };
        let page = p.registries_page(Some(later.clone())).await.unwrap();
        assert!(page.items.is_empty());
        assert_eq!(page.cursor, later);
        assert_eq!(page.next, None);
        assert_eq!(p.http_stats().requests, 0);
    }

    #[test]
    fn new_rejects_bad_configuration() {
        let base = || {
            HuaweiConfig::new("s", "ap-southeast-1")
                .with_credentials(HuaweiCredentials::aksk("AK", "SK"))
        };
        for config in [
            base().with_page_size(0),
            base().with_page_size(1001),
            base().with_endpoint("not a url"),
            base().with_endpoint("http://10.1.2.3:80"),
            base().with_endpoint("mailto:x@y"),
            base().with_credentials(HuaweiCredentials::aksk("AK", "")),
        ] {
            let err = HuaweiProvider::new(config).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{err}");
        }
        assert!(HuaweiProvider::new(base()).is_ok());
    }
}

/// The provider against a scripted local HTTP server, for what the emulator does not exercise:
/// the headers sent, a missing or unreadable `Content-Range`, and raw error bodies.
#[cfg(test)]
mod scripted_server_tests {
    use super::*;
    use crate::credentials::HuaweiCredentials;
    use futures::TryStreamExt;
    use reginv_core::{HttpClientConfig, RegistryProviderExt, RetryPolicy};
    use std::sync::Mutex;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// One scripted response: status, extra headers, body.
    type Scripted = (u16, Vec<(&'static str, String)>, String);

    /// Serves `script` in order (one response per connection) and records each request head.
    async fn serve(script: Vec<Scripted>) -> (String, Arc<Mutex<Vec<String>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            for (status, headers, body) in script {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                log.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&head).to_ascii_lowercase());
                let mut response = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
                    body.len()
                );
                for (k, v) in headers {
                    response.push_str(&format!("{k}: {v}\r\n"));
                }
                response.push_str("\r\n");
                response.push_str(&body);
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            }
        });
        (format!("http://{addr}"), seen)
    }

    fn provider(
        endpoint: &str,
        page_size: u32,
        credentials: HuaweiCredentials,
    ) -> Arc<HuaweiProvider> {
        let mut http = HttpClientConfig::default();
        http.retry = RetryPolicy::new(
            4,
            Duration::from_millis(1),
            Duration::from_millis(20),
            Duration::from_secs(10),
        );
        Arc::new(
            HuaweiProvider::new(
                HuaweiConfig::new("scripted", "ap-southeast-1")
                    .with_endpoint(endpoint)
                    .with_credentials(credentials)
                    .with_page_size(page_size)
                    .with_http(http),
            )
            .unwrap(),
        )
    }

    fn repos_json(names: &[&str]) -> String {
        let items: Vec<String> = names
            .iter()
            .map(|n| format!(r#"{{"name": "{n}", "namespace": "group", "tags": []}}"#))
            .collect();
        format!("[{}]", items.join(","))
    }

    #[tokio::test]
    async fn sends_project_id_and_signs_it() {
        let (endpoint, seen) = serve(vec![(200, vec![], r#"{"namespaces": []}"#.into())]).await;
        let p = Arc::new(
            HuaweiProvider::new(
                HuaweiConfig::new("scripted", "ap-southeast-1")
                    .with_endpoint(&endpoint)
                    .with_credentials(HuaweiCredentials::aksk("AK", "SK"))
                    .with_project_id("proj-1"),
            )
            .unwrap(),
        );
        assert!(p.list_namespaces().await.unwrap().is_empty());
        let head = seen.lock().unwrap()[0].clone();
        assert!(
            head.starts_with("get /v2/manage/namespaces http/1.1"),
            "{head}"
        );
        assert!(head.contains("x-project-id: proj-1"), "{head}");
        assert!(head.contains("x-sdk-date: "), "{head}");
        assert!(
            head.contains("signedheaders=host;x-project-id;x-sdk-date"),
            "{head}"
        );
    }

    #[tokio::test]
    async fn sends_the_iam_token_instead_of_a_signature() {
        let (endpoint, seen) = serve(vec![(200, vec![], "[]".into())]).await;
        let p = provider(&endpoint, 5, HuaweiCredentials::token("iam-token"));
        let tags: Vec<Tag> = p
            .list_tags(RepositoryRef::new("group", "team/app"))
            .try_collect()
            .await
            .unwrap();
        assert!(tags.is_empty());
        let head = seen.lock().unwrap()[0].clone();
        assert!(
            head.starts_with(
                "get /v2/manage/namespaces/group/repos/team$app/tags?limit=5&offset=0 "
            ),
            "{head}"
        );
        assert!(head.contains("x-auth-token: iam-token"), "{head}");
        assert!(!head.contains("authorization:"), "{head}");
    }

    #[tokio::test]
    async fn without_content_range_paging_goes_on_until_an_empty_page() {
        let (endpoint, seen) = serve(vec![
            (200, vec![], repos_json(&["a", "b"])),
            (200, vec![], repos_json(&["c", "d"])),
            (200, vec![], repos_json(&["e"])),
            (200, vec![], "[]".into()),
        ])
        .await;
        let p = provider(&endpoint, 2, HuaweiCredentials::aksk("AK", "SK"));
        let repos: Vec<Repository> = p
            .list_repositories(RepositoryQuery::all())
            .try_collect()
            .await
            .unwrap();
        let names: Vec<&str> = repos.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c", "d", "e"]);
        let seen = seen.lock().unwrap();
        assert_eq!(
            seen.len(),
            4,
            "a short page is not the end: an empty one is"
        );
        assert!(
            seen[2].starts_with("get /v2/manage/repos?limit=2&offset=4 "),
            "{}",
            seen[2]
        );
        assert!(
            seen[3].starts_with("get /v2/manage/repos?limit=1&offset=5 "),
            "{}",
            seen[3]
        );
    }

    #[tokio::test]
    async fn an_unreadable_content_range_is_treated_as_absent() {
        let garbage = vec![("content-range", "lots of items".to_string())];
        let (endpoint, seen) = serve(vec![
            (200, garbage.clone(), repos_json(&["a", "b"])),
            (200, garbage, "[]".into()),
        ])
        .await;
        let p = provider(&endpoint, 2, HuaweiCredentials::aksk("AK", "SK"));
        let repos: Vec<Repository> = p
            .list_repositories(RepositoryQuery::all())
            .try_collect()
            .await
            .unwrap();
        assert_eq!(repos.len(), 2);
        assert_eq!(seen.lock().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn content_range_total_ends_the_listing_without_an_extra_request() {
        let (endpoint, seen) = serve(vec![
            (
                200,
                vec![("content-range", "0-1/3".into())],
                repos_json(&["a", "b"]),
            ),
            (
                200,
                vec![("content-range", "2-2/3".into())],
                repos_json(&["c"]),
            ),
        ])
        .await;
        let p = provider(&endpoint, 2, HuaweiCredentials::aksk("AK", "SK"));
        let page = p
            .repositories_page(&RepositoryQuery::all(), None)
            .await
            .unwrap();
        assert_eq!(page.total, Some(3));
        assert_eq!(
            page.next,
            Some(Cursor::Offset {
                offset: 2,
                limit: 2
            })
        );
        let last = p
            .repositories_page(&RepositoryQuery::all(), page.next.clone())
            .await
            .unwrap();
        assert_eq!(last.items.len(), 1);
        assert_eq!(last.next, None);
        assert_eq!(seen.lock().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn gateway_throttling_is_retried_and_a_401_is_not() {
        let throttled = (
            429,
            vec![("retry-after", "0".to_string())],
            r#"{"error_code":"APIGW.0308","error_msg":"throttled","request_id":"r-1"}"#.to_string(),
        );
        let (endpoint, seen) = serve(vec![
            throttled.clone(),
            (502, vec![], "<html>bad gateway</html>".into()),
            (
                200,
                vec![("content-range", "0-0/1".into())],
                repos_json(&["a"]),
            ),
        ])
        .await;
        let p = provider(&endpoint, 10, HuaweiCredentials::aksk("AK", "SK"));
        let repos: Vec<Repository> = p
            .list_repositories(RepositoryQuery::all())
            .try_collect()
            .await
            .unwrap();
        assert_eq!(repos.len(), 1);
        assert_eq!(seen.lock().unwrap().len(), 3);
        assert_eq!(p.http_stats().retries, 2);

        let (endpoint, seen) = serve(vec![
            (
                401,
                vec![],
                r#"{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information","request_id":"r-9"}"#
                    .into(),
            ),
            (200, vec![], "[]".into()),
        ])
        .await;
        let p = provider(&endpoint, 10, HuaweiCredentials::aksk("AK", "bad"));
        let err = p
            .get_repository(&RepositoryRef::new("group", "team/app"))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Authentication);
        assert_eq!(err.context().code.as_deref(), Some("APIGW.0301"));
        assert_eq!(err.context().request_id.as_deref(), Some("r-9"));
        assert_eq!(err.context().operation.as_deref(), Some("get_repository"));
        assert_eq!(err.context().target.as_deref(), Some("group/team/app"));
        assert_eq!(seen.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_non_json_success_body_is_a_decode_error_with_context() {
        let (endpoint, _seen) = serve(vec![(200, vec![], "<html>login</html>".into())]).await;
        let p = provider(&endpoint, 10, HuaweiCredentials::aksk("AK", "SK"));
        let err = p
            .tags_page(&RepositoryRef::new("group", "app"), None)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode);
        assert_eq!(err.context().operation.as_deref(), Some("list_tags"));
        assert_eq!(err.context().target.as_deref(), Some("group/app"));
        assert_eq!(err.status(), Some(200));
    }
}
