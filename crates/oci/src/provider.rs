//! [`OciProvider`]: the [`RegistryProvider`] of an OCI Distribution registry.

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use reginv_core::http::{HeaderName, HeaderValue, Url};
use reginv_core::{
    paginate, Capabilities, Cursor, Error, ErrorContext, ErrorKind, HttpClient, HttpRequest,
    HttpResponse, HttpStatsSnapshot, Page, PageSize, PagingOptions, Platform, ProviderKind,
    Registry, RegistryProvider, Repository, RepositoryQuery, RepositoryRef, RequestSigner, Result,
    SignableRequest, Source, Tag,
};

use crate::auth::Authenticator;
use crate::config::{Grouping, OciConfig};
use crate::errors::{printable, OciErrorDecoder};
use crate::link;
use crate::manifest::{self, Fetched, ACCEPT};
use crate::names::{is_digest, is_repository_name, is_tag};
use crate::wire::{Catalog, Descriptor, ImageConfig, TagList};

/// The message when a registry refuses `GET /v2/_catalog`.
pub const CATALOG_REFUSED: &str = "this registry does not allow listing repositories; list them \
     in the config (`repositories = [...]`)";

/// The largest image configuration read for a creation time.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// The scope of catalog requests.
const CATALOG_SCOPE: &str = "registry:catalog:*";

/// `items` as the one page of a listing computed whole (from every catalog name): its size is
/// what it holds, so the pager asks for no later page.
fn one_page<T>(items: Vec<T>) -> Page<T> {
    let total = items.len() as u64;
    let cursor = Cursor::Page {
        number: 1,
        size: u32::try_from(items.len()).unwrap_or(u32::MAX).max(1),
    };
    Page::new(items, cursor, None, Some(total))
}

/// Adds nothing: authentication headers are set per request (they depend on the scope).
#[derive(Debug)]
struct NoSigner;

impl RequestSigner for NoSigner {
    fn sign(&self, _request: &mut SignableRequest) -> Result<()> {
        Ok(())
    }

    /// A registry's 401 is a challenge the provider answers (Basic or a token); the provider's
    /// auth decides when the credentials are wrong, not the client's latch.
    fn carries_credentials(&self) -> bool {
        false
    }
}

/// An OCI Distribution registry (the CNCF Distribution server, Harbor, GitLab, Zot, Quay, a
/// cloud registry): repositories from `GET /v2/_catalog`, tags from `GET /v2/<name>/tags/list`,
/// both paged by `Link` headers, and tag details from the manifests.
///
/// ```no_run
/// use std::sync::Arc;
/// use futures::TryStreamExt;
/// use reginv_core::{RegistryProviderExt, RepositoryQuery};
/// use reginv_oci::{OciConfig, OciProvider};
///
/// # async fn run() -> reginv_core::Result<()> {
/// let provider = Arc::new(OciProvider::new(OciConfig::new("lab", "https://registry.lab.example"))?);
/// let repos: Vec<_> = provider.list_repositories(RepositoryQuery::all()).try_collect().await?;
/// for repo in &repos {
///     let tags: Vec<_> = provider.list_tags(repo.into()).try_collect().await?;
///     println!("{} ({} tags)", repo.full_name, tags.len());
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct OciProvider {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    source: Source,
    client: HttpClient,
    token_client: HttpClient,
    decoder: OciErrorDecoder,
    auth: Authenticator,
    base: Url,
    host: String,
    repositories: Vec<String>,
    grouping: Grouping,
    details: bool,
    detail_concurrency: usize,
    /// At most `detail_concurrency` manifest and configuration requests of this provider in
    /// flight, however many tags and platforms are being described at once.
    detail_permits: tokio::sync::Semaphore,
    paging: PagingOptions,
    page_size: PageSize,
}

/// The origin URL (`scheme://host[:port]/`) of an endpoint, `https` when no scheme is given.
fn base_url(endpoint: &str) -> Result<Url> {
    let text = endpoint.trim();
    let text = if text.contains("://") {
        text.to_string()
    } else {
        format!("https://{text}")
    };
    let url = Url::parse(&text)
        .map_err(|e| Error::config(format!("endpoint {endpoint:?} is not a URL: {e}")))?;
    if url.host_str().is_none() || !matches!(url.path(), "" | "/") || url.query().is_some() {
        return Err(Error::config(format!(
            "endpoint {endpoint:?} must be the registry's origin (scheme://host[:port]), \
             without a path"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::config(
            "the endpoint must not carry credentials; use username/password",
        ));
    }
    let mut base = url;
    base.set_path("/");
    Ok(base)
}

/// The `host[:port]` of `base`.
fn host_of(base: &Url) -> String {
    match (base.host_str(), base.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        (None, _) => String::new(),
    }
}

/// The `host[:port]` of a registry endpoint (`https://reg.example:5000` → `reg.example:5000`):
/// the registry's name, the key of its `~/.docker/config.json` entry, the prefix of its pull
/// references.
pub fn registry_host(endpoint: &str) -> Result<String> {
    base_url(endpoint).map(|base| host_of(&base))
}

impl OciProvider {
    /// A provider for `config`, checking the endpoint (plain `http://` only to loopback or
    /// with the opt-in) and the configured repository names.
    pub fn new(config: OciConfig) -> Result<Self> {
        let base = base_url(&config.endpoint).map_err(|e| e.with_source(config.name.clone()))?;
        let host = host_of(&base);
        for name in &config.repositories {
            if !is_repository_name(name) {
                return Err(Error::config(format!(
                    "repositories: {:?} is not a repository name (lower-case letters, digits, \
                     `._-` and `/`)",
                    printable(name)
                ))
                .with_source(config.name.clone()));
            }
        }
        let source = Source::new(
            config.name.clone(),
            ProviderKind::OCI,
            host.clone(),
            base.as_str().trim_end_matches('/'),
        );
        let decoder = OciErrorDecoder::default();
        let client = HttpClient::new(
            &source,
            config.http.clone(),
            Arc::new(NoSigner),
            Arc::new(decoder.clone()),
        )?;
        // Token requests get their own client, so a token server's 401 is never taken for
        // the registry's challenge.
        let token_client = HttpClient::new(
            &source,
            config.http.clone(),
            Arc::new(NoSigner),
            Arc::new(OciErrorDecoder::default()),
        )?;
        let auth = Authenticator::new(
            config.credentials.clone(),
            base.clone(),
            config.http.allow_insecure_http,
        );
        Ok(OciProvider {
            inner: Arc::new(Inner {
                source,
                client,
                token_client,
                decoder,
                auth,
                base,
                host,
                repositories: config.repositories,
                grouping: config.grouping,
                details: config.details,
                detail_concurrency: config.detail_concurrency.max(1),
                detail_permits: tokio::sync::Semaphore::new(config.detail_concurrency.max(1)),
                paging: config.paging,
                page_size: PageSize::new(config.page_size),
            }),
        })
    }

    /// The registry's `host[:port]`: the registry name (grouping by host) and the prefix of
    /// pull references.
    pub fn host(&self) -> &str {
        &self.inner.host
    }
}

impl Inner {
    fn context(&self, operation: &str, target: Option<&str>) -> ErrorContext {
        let mut ctx = ErrorContext::default();
        ctx.provider = Some(self.source.provider.clone());
        ctx.source = Some(self.source.name.clone());
        ctx.operation = Some(operation.to_string());
        ctx.target = target.map(str::to_string);
        ctx
    }

    fn locate(&self, err: Error, operation: &str, target: &str) -> Error {
        err.with_provider(self.source.provider.clone())
            .with_source(self.source.name.clone())
            .with_operation(operation)
            .with_target(target)
    }

    /// GETs `url` with the authentication `scope` needs, answering one challenge.
    async fn get(
        &self,
        url: &Url,
        operation: &str,
        target: &str,
        scope: &str,
        accept: Option<&'static str>,
    ) -> Result<HttpResponse> {
        let mut challenged = false;
        loop {
            let mut request = HttpRequest::get(url.clone(), operation).with_target(target);
            if let Some(accept) = accept {
                request.headers.insert(
                    HeaderName::from_static("accept"),
                    HeaderValue::from_static(accept),
                );
            }
            let mode = self.auth.mode();
            let auth = self
                .auth
                .header(&self.token_client, &mode, scope)
                .await
                .map_err(|e| self.locate(e, operation, target))?;
            if let Some(value) = auth {
                request
                    .headers
                    .insert(HeaderName::from_static("authorization"), value);
            }
            match self.client.send(request).await {
                Err(e)
                    if !challenged
                        && e.kind() == ErrorKind::Authentication
                        && e.status() == Some(401) =>
                {
                    challenged = true;
                    let retry = self
                        .auth
                        .challenged(&self.decoder.last_challenges(), scope, &mode)
                        .map_err(|e| self.locate(e, operation, target))?;
                    if !retry {
                        return Err(e);
                    }
                }
                other => return other,
            }
        }
    }

    /// `(registry, name)` of a repository path, by the grouping.
    fn split<'a>(&'a self, path: &'a str) -> (&'a str, &'a str) {
        match (self.grouping, path.split_once('/')) {
            (Grouping::FirstSegment, Some((first, rest))) => (first, rest),
            _ => (&self.host, path),
        }
    }

    /// The repository path of `repo` (inverse of [`split`](Self::split)), checked.
    fn path_of(&self, repo: &RepositoryRef) -> Result<String> {
        let path = if repo.registry == self.host {
            repo.name.clone()
        } else if self.grouping == Grouping::FirstSegment {
            format!("{}/{}", repo.registry, repo.name)
        } else {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!(
                    "{} is not a registry of this source ({})",
                    repo.registry, self.host
                ),
            ));
        };
        if !is_repository_name(&path) {
            return Err(Error::new(
                ErrorKind::InvalidRequest,
                format!("{:?} is not a repository name", printable(&path)),
            ));
        }
        Ok(path)
    }

    fn repository(&self, path: &str) -> Repository {
        let (registry, name) = self.split(path);
        let mut repo = Repository::new(&self.source, registry, name);
        repo.pull_uri = Some(format!("{}/{path}", self.host));
        repo
    }

    fn url(&self, path_and_query: &str) -> Result<Url> {
        self.base
            .join(path_and_query)
            .map_err(|e| Error::config(format!("cannot build a URL for {path_and_query}: {e}")))
    }

    /// One page of the catalog: names, and the next page's cursor. `last` starts after a name.
    async fn catalog_page(
        &self,
        cursor: Option<Cursor>,
        last: Option<&str>,
    ) -> Result<Page<String>> {
        let fetch = |cursor: Cursor| async move {
            let url = match &cursor {
                Cursor::Token { token, .. } => link::resolve(&self.base, token)?,
                other => {
                    let mut url = self.url("/v2/_catalog")?;
                    url.query_pairs_mut()
                        .append_pair("n", &other.page_size().to_string());
                    if let Some(last) = last {
                        url.query_pairs_mut().append_pair("last", last);
                    }
                    url
                }
            };
            let response = self
                .get(&url, "list_repositories", &self.host, CATALOG_SCOPE, None)
                .await
                .map_err(catalog_refused)?;
            let catalog: Catalog = serde_json::from_slice(&response.body).map_err(|e| {
                self.locate(
                    Error::decode(format!("the catalog is not the JSON expected: {e}")),
                    "list_repositories",
                    &self.host,
                )
            })?;
            let next = next_cursor(&response, &self.base, cursor.page_size())?;
            Ok(Page::new(
                catalog.repositories.unwrap_or_default(),
                cursor,
                next,
                None,
            ))
        };
        match cursor {
            Some(cursor) => fetch(cursor).await,
            None => {
                self.page_size
                    .negotiate(|n| fetch(Cursor::Page { number: 1, size: n }))
                    .await
            }
        }
    }

    /// Every name of the catalog (or the configured list), through the core page loop.
    async fn all_names(self: &Arc<Self>) -> Result<Vec<String>> {
        if !self.repositories.is_empty() {
            return Ok(self.repositories.clone());
        }
        let inner = self.clone();
        paginate(
            self.context("list_repositories", Some(&self.host)),
            self.paging.clone(),
            move |cursor| {
                let inner = inner.clone();
                async move { inner.catalog_page(cursor, None).await }
            },
        )
        .try_collect()
        .await
    }

    async fn repositories(
        self: &Arc<Self>,
        query: &RepositoryQuery,
        cursor: Option<Cursor>,
    ) -> Result<Page<Repository>> {
        let first = || {
            cursor.clone().unwrap_or(Cursor::Page {
                number: 1,
                size: self.page_size.current(),
            })
        };
        let wanted = query.registry.as_deref();
        let keep = |repo: &Repository| {
            wanted.is_none_or(|w| repo.registry == w)
                && query
                    .name_contains
                    .as_deref()
                    .is_none_or(|text| repo.name.contains(text))
        };
        // The configured list, or one registry's top-level repositories when grouping by
        // segment (scattered through the catalog): one page, from every name.
        let whole = !self.repositories.is_empty()
            || (self.grouping == Grouping::FirstSegment && wanted == Some(self.host.as_str()));
        if whole {
            if let Some(empty) = past_the_only_page(&cursor) {
                return Ok(empty);
            }
            let items: Vec<Repository> = self
                .all_names()
                .await?
                .iter()
                .map(|name| self.repository(name))
                .filter(|r| keep(r))
                .collect();
            return Ok(one_page(items));
        }
        let prefix = match (self.grouping, wanted) {
            (_, None) => None,
            (Grouping::Host, Some(w)) if w == self.host => None,
            (Grouping::Host, Some(_)) => return Ok(Page::new(Vec::new(), first(), None, Some(0))),
            (Grouping::FirstSegment, Some(w)) => Some(format!("{w}/")),
        };
        // A segment's repositories sort together right after "segment/": start there and stop
        // at the first name outside it.
        let last = match &cursor {
            None => prefix.as_deref(),
            Some(_) => None,
        };
        let page = self.catalog_page(cursor, last).await?;
        let mut next = page.next.clone();
        let mut items = Vec::with_capacity(page.items.len());
        for name in &page.items {
            if let Some(prefix) = &prefix {
                if !name.starts_with(prefix.as_str()) {
                    next = None;
                    break;
                }
            }
            let repo = self.repository(name);
            if keep(&repo) {
                items.push(repo);
            }
        }
        Ok(Page::new(items, page.cursor, next, None))
    }

    async fn tags(
        &self,
        repo: &RepositoryRef,
        cursor: Option<Cursor>,
        details: bool,
    ) -> Result<Page<Tag>> {
        let target = repo.to_string();
        let path = self
            .path_of(repo)
            .map_err(|e| self.locate(e, "list_tags", &target))?;
        let scope = format!("repository:{path}:pull");
        let cursor = cursor.unwrap_or(Cursor::Page {
            number: 1,
            size: self.page_size.current(),
        });
        let url = match &cursor {
            Cursor::Token { token, .. } => link::resolve(&self.base, token),
            other => self.url(&format!("/v2/{path}/tags/list")).map(|mut url| {
                url.query_pairs_mut()
                    .append_pair("n", &other.page_size().to_string());
                url
            }),
        }
        .map_err(|e| self.locate(e, "list_tags", &target))?;
        let response = self.get(&url, "list_tags", &target, &scope, None).await?;
        let list: TagList = serde_json::from_slice(&response.body).map_err(|e| {
            self.locate(
                Error::decode(format!("the tag list is not the JSON expected: {e}")),
                "list_tags",
                &target,
            )
        })?;
        let next = next_cursor(&response, &self.base, cursor.page_size())
            .map_err(|e| self.locate(e, "list_tags", &target))?;
        let names = list.tags.unwrap_or_default();
        let tags = if details {
            futures::stream::iter(names)
                .map(|name| self.describe(&path, &scope, name))
                .buffered(self.detail_concurrency)
                .try_collect()
                .await?
        } else {
            names.into_iter().map(Tag::new).collect()
        };
        Ok(Page::new(tags, cursor, next, None))
    }

    /// GETs the manifest `reference` (a tag or a digest) of `path`.
    async fn manifest(
        &self,
        path: &str,
        scope: &str,
        reference: &str,
        expected: Option<&str>,
    ) -> Result<Fetched> {
        let target = format!("{}/{path}:{reference}", self.host);
        let url = self.url(&format!("/v2/{path}/manifests/{reference}"))?;
        let response = {
            let _permit = self.detail_permits.acquire().await;
            self.get(&url, "get_manifest", &target, scope, Some(ACCEPT))
                .await?
        };
        let announced = expected.or(response.header("docker-content-digest"));
        manifest::decode(&response.body, announced, response.header("content-type"))
            .map_err(|e| self.locate(e, "get_manifest", &target))
    }

    /// A tag with its digest, media type, size, platforms (and creation time with details).
    async fn describe(&self, path: &str, scope: &str, name: String) -> Result<Tag> {
        if !is_tag(&name) {
            return Err(self.locate(
                Error::protocol(format!(
                    "the registry listed {:?}, which is not a tag",
                    printable(&name)
                )),
                "list_tags",
                path,
            ));
        }
        let fetched = self.manifest(path, scope, &name, None).await?;
        let mut tag = Tag::new(name);
        tag.digest = Some(fetched.digest.clone());
        tag.media_type = fetched.media_type.clone();
        tag.is_index = Some(fetched.is_index());
        if fetched.is_index() {
            let entries = fetched.manifest.manifests.clone().unwrap_or_default();
            let platforms: Vec<(Platform, Option<DateTime<Utc>>)> = futures::stream::iter(entries)
                .map(|entry| self.platform(path, scope, entry))
                .buffered(self.detail_concurrency)
                .try_collect()
                .await?;
            tag.size_bytes = platforms
                .iter()
                .try_fold(0u64, |sum, (p, _)| sum.checked_add(p.size_bytes?));
            tag.created_at = platforms.iter().filter_map(|(_, c)| *c).max();
            tag.platforms = platforms.into_iter().map(|(p, _)| p).collect();
        } else {
            tag.size_bytes = fetched.image_size();
            if self.details {
                tag.created_at = self
                    .created(path, scope, fetched.manifest.config.as_ref())
                    .await?;
            }
        }
        Ok(tag)
    }

    /// One platform of an index: its descriptor, and the size (and creation time) from its
    /// own manifest.
    async fn platform(
        &self,
        path: &str,
        scope: &str,
        entry: Descriptor,
    ) -> Result<(Platform, Option<DateTime<Utc>>)> {
        let mut platform = Platform::new();
        platform.media_type = entry.media_type.as_deref().map(printable);
        if let Some(p) = &entry.platform {
            platform.os = p.os.as_deref().map(printable);
            platform.architecture = p.architecture.as_deref().map(printable);
            platform.variant = p.variant.as_deref().map(printable);
            if let Some(v) = &p.os_version {
                platform
                    .extra
                    .insert("os.version".into(), serde_json::Value::String(printable(v)));
            }
        }
        if let Some(annotations) = &entry.annotations {
            if let Ok(value) = serde_json::to_value(annotations) {
                platform.extra.insert("annotations".into(), value);
            }
        }
        let Some(digest) = entry.digest.filter(|d| is_digest(d)) else {
            return Err(Error::protocol("an index entry has no valid digest"));
        };
        platform.digest = Some(digest.clone());
        let nested = entry.media_type.as_deref().is_some_and(manifest::is_index);
        if nested {
            platform.size_bytes = entry.size;
            return Ok((platform, None));
        }
        let fetched = self.manifest(path, scope, &digest, Some(&digest)).await?;
        platform.size_bytes = fetched.image_size();
        let mut created = None;
        if self.details {
            created = self
                .created(path, scope, fetched.manifest.config.as_ref())
                .await?;
            if let Some(c) = created {
                platform.extra.insert(
                    "created_at".into(),
                    serde_json::Value::String(
                        c.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                    ),
                );
            }
        }
        Ok((platform, created))
    }

    /// The `created` time of an image configuration (`None` when it says none or is too big).
    async fn created(
        &self,
        path: &str,
        scope: &str,
        config: Option<&Descriptor>,
    ) -> Result<Option<DateTime<Utc>>> {
        let Some(config) = config else {
            return Ok(None);
        };
        let Some(digest) = config.digest.as_deref().filter(|d| is_digest(d)) else {
            return Ok(None);
        };
        if config.size.is_none_or(|s| s > MAX_CONFIG_BYTES) {
            return Ok(None);
        }
        let target = format!("{}/{path}@{digest}", self.host);
        let url = self.url(&format!("/v2/{path}/blobs/{digest}"))?;
        let response = {
            let _permit = self.detail_permits.acquire().await;
            self.get(&url, "get_image_config", &target, scope, None)
                .await?
        };
        if digest.starts_with("sha256:") && manifest::sha256_digest(&response.body) != digest {
            return Err(self.locate(
                Error::protocol("the image configuration does not match its digest"),
                "get_image_config",
                &target,
            ));
        }
        let parsed: ImageConfig = serde_json::from_slice(&response.body).map_err(|e| {
            self.locate(
                Error::decode(format!(
                    "the image configuration is not the JSON expected: {e}"
                )),
                "get_image_config",
                &target,
            )
        })?;
        Ok(parsed
            .created
            .and_then(|c| DateTime::parse_from_rfc3339(&c).ok())
            .map(|c| c.with_timezone(&Utc)))
    }
}

/// The cursor of the next page, from the response's `Link` header.
fn next_cursor(response: &HttpResponse, base: &Url, size: u32) -> Result<Option<Cursor>> {
    let values = response
        .headers
        .get_all("link")
        .iter()
        .filter_map(|v| v.to_str().ok());
    match link::next_link(values) {
        None => Ok(None),
        Some(target) => {
            let url = link::resolve(base, &target)?;
            let token = match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_string(),
            };
            Ok(Some(Cursor::Token { token, size }))
        }
    }
}

/// An empty last page when `cursor` asks for a page after the first of a listing that comes
/// in one page.
fn past_the_only_page<T>(cursor: &Option<Cursor>) -> Option<Page<T>> {
    match cursor {
        Some(page @ Cursor::Page { number, .. }) if *number > 1 => {
            Some(Page::new(Vec::new(), page.clone(), None, None))
        }
        _ => None,
    }
}

/// A refused catalog (404 or `UNSUPPORTED`) becomes the message that says what to do.
fn catalog_refused(err: Error) -> Error {
    let refused = err.kind() == ErrorKind::Unsupported
        || (err.kind() == ErrorKind::NotFound
            && err.context().code.as_deref() != Some("NAME_UNKNOWN"));
    if !refused {
        return err;
    }
    let ctx = err.context();
    // Where it happened (provider, source, operation, target), its status and its code.
    let mut out =
        Error::unsupported(format!("{CATALOG_REFUSED} ({})", err.message())).with_context(ctx);
    if let Some(status) = ctx.status {
        out = out.with_status(status);
    }
    if let Some(code) = &ctx.code {
        out = out.with_code(code.clone());
    }
    out
}

#[async_trait]
impl RegistryProvider for OciProvider {
    fn source(&self) -> &Source {
        &self.inner.source
    }

    fn capabilities(&self) -> Capabilities {
        let mut caps = Capabilities::default();
        caps.lists_repositories_across_registries = true;
        caps
    }

    fn paging_options(&self) -> PagingOptions {
        self.inner.paging.clone()
    }

    fn page_size(&self) -> Option<u32> {
        Some(self.inner.page_size.current())
    }

    fn http_stats(&self) -> HttpStatsSnapshot {
        let mut stats = self.inner.client.stats();
        let tokens = self.inner.token_client.stats();
        stats.requests += tokens.requests;
        stats.retries += tokens.retries;
        stats.throttled += tokens.throttled;
        stats.transport_errors += tokens.transport_errors;
        for (status, count) in tokens.responses_by_status {
            *stats.responses_by_status.entry(status).or_insert(0) += count;
        }
        stats
    }

    async fn registries_page(&self, cursor: Option<Cursor>) -> Result<Page<Registry>> {
        let inner = &self.inner;
        // Every registry comes in one page (they are derived from the whole catalog): the page
        // says its size is what it holds, so no later page is asked for.
        if let Some(empty) = past_the_only_page(&cursor) {
            return Ok(empty);
        }
        let names: BTreeSet<String> = match inner.grouping {
            Grouping::Host => BTreeSet::from([inner.host.clone()]),
            Grouping::FirstSegment => inner
                .all_names()
                .await?
                .iter()
                .map(|name| inner.split(name).0.to_string())
                .collect(),
        };
        let items: Vec<Registry> = names
            .into_iter()
            .map(|name| {
                let mut registry = Registry::new(&inner.source, name);
                registry.pull_endpoint = Some(inner.host.clone());
                registry
            })
            .collect();
        Ok(one_page(items))
    }

    async fn repositories_page(
        &self,
        query: &RepositoryQuery,
        cursor: Option<Cursor>,
    ) -> Result<Page<Repository>> {
        self.inner.repositories(query, cursor).await
    }

    async fn tags_page(&self, repo: &RepositoryRef, cursor: Option<Cursor>) -> Result<Page<Tag>> {
        self.inner.tags(repo, cursor, true).await
    }

    /// The tag list alone: no manifest requests.
    async fn tag_names_page(
        &self,
        repo: &RepositoryRef,
        cursor: Option<Cursor>,
    ) -> Result<Page<Tag>> {
        self.inner.tags(repo, cursor, false).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_origins() {
        assert_eq!(
            base_url("reg.example:5000").unwrap().as_str(),
            "https://reg.example:5000/"
        );
        assert_eq!(
            base_url("http://127.0.0.1:1/").unwrap().as_str(),
            "http://127.0.0.1:1/"
        );
        assert!(base_url("https://reg.example/prefix").is_err());
        assert!(base_url("https://u:p@reg.example").is_err());
        let err = OciProvider::new(OciConfig::new("x", "http://10.1.2.3")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig);
        let err = OciProvider::new(OciConfig::new("x", "https://r").with_repositories(["../etc"]))
            .unwrap_err();
        assert!(err.message().contains("repositories"));
    }

    #[test]
    fn grouping_splits_and_joins_paths() {
        let p = OciProvider::new(
            OciConfig::new("x", "http://127.0.0.1:5000").with_grouping(Grouping::FirstSegment),
        )
        .unwrap();
        let repo = p.inner.repository("team/app/api");
        assert_eq!(
            (repo.registry.as_str(), repo.name.as_str()),
            ("team", "app/api")
        );
        assert_eq!(
            repo.pull_uri.as_deref(),
            Some("127.0.0.1:5000/team/app/api")
        );
        assert_eq!(
            p.inner.path_of(&RepositoryRef::from(&repo)).unwrap(),
            "team/app/api"
        );
        let top = p.inner.repository("solo");
        assert_eq!(top.registry, "127.0.0.1:5000");
        assert_eq!(p.inner.path_of(&RepositoryRef::from(&top)).unwrap(), "solo");
        let host = OciProvider::new(OciConfig::new("x", "http://127.0.0.1:5000")).unwrap();
        let repo = host.inner.repository("team/app");
        assert_eq!(repo.full_name, "127.0.0.1:5000/team/app");
        assert!(host
            .inner
            .path_of(&RepositoryRef::new("other", "a"))
            .is_err());
    }

    #[test]
    fn a_refused_catalog_says_what_to_do() {
        let err = catalog_refused(Error::from_status(404, "404 page not found").with_source("s"));
        assert_eq!(err.kind(), ErrorKind::Unsupported);
        assert!(err.message().starts_with(CATALOG_REFUSED));
        assert_eq!(err.status(), Some(404));
        assert_eq!(err.context().source.as_deref(), Some("s"));
        let other = catalog_refused(Error::from_status(500, "x"));
        assert_eq!(other.kind(), ErrorKind::Server);
    }
}
