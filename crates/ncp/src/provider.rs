//! [`NcpProvider`]: the NCR API v2 client, implementing [`RegistryProvider`].

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use reginv_core::http::{HeaderValue, Url};
use reginv_core::{
    provider_accessors, Capabilities, Cursor, Error, ErrorContext, ErrorKind, HttpRequest, Page,
    ProviderCore, ProviderKind, Registry, RegistryProvider, Repository, RepositoryQuery,
    RepositoryRef, Result, Source, Tag,
};
use serde::de::DeserializeOwned;

use crate::config::NcpConfig;
use crate::credentials;
use crate::errors::NcpErrorDecoder;
use crate::normalize;
use crate::paths::ApiBase;
use crate::region::NcpRegion;
use crate::signing::NcpSigner;
use crate::wire::{WireImage, WirePage, WireRegistry, WireTag};

/// Operation names, as they appear in errors and logs.
pub mod operation {
    /// `GET /repositories`.
    pub const LIST_REGISTRIES: &str = "list_registries";
    /// `GET /repositories/{registry}`.
    pub const LIST_REPOSITORIES: &str = "list_repositories";
    /// `GET /repositories/{registry}/{image}`.
    pub const GET_REPOSITORY: &str = "get_repository";
    /// `GET /repositories/{registry}/{image}/tags`.
    pub const LIST_TAGS: &str = "list_tags";
    /// `GET /repositories/{registry}/{image}/tags/{reference}`.
    pub const GET_TAG: &str = "get_tag";
    /// `POST /repositories/{registry}`.
    pub const CREATE_REGISTRY: &str = "create_registry";
    /// A registry looked up in the (cached) registry listing.
    pub const GET_REGISTRY: &str = "get_registry";
}

/// The registry rows seen so far, so repositories get their registry's pull endpoint and public
/// flag without one request per repository.
#[derive(Debug, Default)]
struct RegistryCache {
    known: RwLock<HashMap<String, Registry>>,
    /// Held while the whole registry listing is fetched; `true` once a complete listing was
    /// fetched (until a registry is created), so a registry missing from it is not fetched again.
    complete: tokio::sync::Mutex<bool>,
}

impl RegistryCache {
    fn get(&self, name: &str) -> Option<Registry> {
        self.known
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned()
    }

    fn remember(&self, rows: &[Registry]) {
        let mut known = self.known.write().unwrap_or_else(|p| p.into_inner());
        for row in rows {
            known.insert(row.name.clone(), row.clone());
        }
    }
}

/// A client of NCR API v2 for one account and region.
///
/// Every request is signed with signature v2 (re-signed on every retry) and sent through one
/// [`HttpClient`](reginv_core::HttpClient) (connection pool, timeouts, retries of 429/5xx honouring `Retry-After`, never
/// of 401). Listings answer any [`Cursor::Page`] they are given, so callers may fetch the pages
/// after the first concurrently from [`Page::remaining_cursors`].
///
/// Repositories are listed per registry
/// ([`Capabilities::lists_repositories_across_registries`] is `false`): a
/// [`RepositoryQuery`] without a registry is [`Unsupported`](ErrorKind::Unsupported) here, and
/// [`RegistryProviderExt::list_repositories`](reginv_core::RegistryProviderExt::list_repositories)
/// then lists the registries first. NCR has no name filter, so
/// [`RepositoryQuery::name_contains`] is not applied by this provider (callers filter).
///
/// The image list does not say which endpoint a registry is pulled from or whether it is public;
/// the provider remembers the registry rows it has listed, and fetches the registry listing once
/// (all pages) when it meets a registry it has not seen.
pub struct NcpProvider {
    core: ProviderCore,
    region: NcpRegion,
    api: ApiBase,
    access_key: String,
    registries: RegistryCache,
}

impl fmt::Debug for NcpProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NcpProvider")
            .field("source", &self.core.source().name)
            .field("region", &self.region)
            .field("api", &self.api.as_str())
            .field("access_key", &self.access_key)
            .field("page_size", &self.core.page_size().current())
            .finish_non_exhaustive()
    }
}

impl NcpProvider {
    /// Creates a provider: resolves the credentials (explicit, else the configuration's
    /// [`environment`](NcpConfig::environment): variables, then `~/.ncloud/configure`), checks
    /// the endpoint (plain `http://` only to loopback unless allowed) and the page size (at
    /// least 1). Sends nothing.
    pub fn new(config: NcpConfig) -> Result<Self> {
        let context = ErrorContext::of(ProviderKind::NCP, config.name.clone());
        let tag = |e: Error| e.with_context(&context);
        if config.page_size == 0 {
            return Err(tag(Error::config("the NCP page size must be at least 1")));
        }
        let api = ApiBase::new(config.region, config.endpoint.as_deref()).map_err(tag)?;
        let keys = credentials::resolve_in(config.credentials.clone(), &config.environment)
            .map_err(tag)?;
        let mut client = config.client.clone();
        if client.http.credentials_source.is_none() {
            client.http.credentials_source = Some(credentials::describe_source(
                config.credentials.is_some(),
                &config.environment,
            ));
        }
        let access_key = keys.access_key.clone();
        let source = Source::new(
            config.name.clone(),
            ProviderKind::NCP,
            config.region.as_str(),
            api.as_str(),
        );
        let core = ProviderCore::new(
            source,
            &client,
            Arc::new(NcpSigner::new(keys)),
            Arc::new(NcpErrorDecoder),
        )?;
        Ok(NcpProvider {
            core,
            region: config.region,
            api,
            access_key,
            registries: RegistryCache::default(),
        })
    }

    /// The region.
    pub fn region(&self) -> NcpRegion {
        self.region
    }

    /// The API base URL requests go to (`https://ncr.apigw.ntruss.com/ncr/api/v2`).
    pub fn api_base(&self) -> &str {
        self.api.as_str()
    }

    /// Creates registry `name` backed by the Object Storage bucket `bucket`
    /// (`POST /repositories/{name}` with `{"bucket": …}`). A name or bucket that is taken is a
    /// [`Conflict`](ErrorKind::Conflict) error. Not retried except when throttled.
    pub async fn create_registry(&self, name: &str, bucket: &str) -> Result<()> {
        Self::check_names(&[name])
            .map_err(|e| self.tag(e, operation::CREATE_REGISTRY, Some(name)))?;
        let url = self
            .api
            .registry(name)
            .map_err(|e| self.tag(e, operation::CREATE_REGISTRY, Some(name)))?;
        if bucket.trim().is_empty() {
            return Err(self.tag(
                Error::new(ErrorKind::InvalidRequest, "the bucket name is empty"),
                operation::CREATE_REGISTRY,
                Some(name),
            ));
        }
        let body = serde_json::json!({ "bucket": bucket })
            .to_string()
            .into_bytes();
        let request =
            HttpRequest::post_json(url, operation::CREATE_REGISTRY, body).with_target(name);
        self.core.http().send(request).await?;
        // The listing no longer is complete: the next unknown registry fetches it again.
        *self.registries.complete.lock().await = false;
        Ok(())
    }

    /// The registry `name`, from the registry listing (fetched once, all pages, when the
    /// provider has not seen `name` yet). [`NotFound`](ErrorKind::NotFound) when it is not listed.
    pub async fn get_registry(&self, name: &str) -> Result<Registry> {
        match self.registry_row(name).await? {
            Some(row) => Ok(row),
            None => Err(self.tag(
                Error::new(
                    ErrorKind::NotFound,
                    format!("registry {name:?} is not listed"),
                ),
                operation::GET_REGISTRY,
                Some(name),
            )),
        }
    }

    /// Tag `reference` of `repo`, with every platform
    /// (`GET /repositories/{registry}/{image}/tags/{reference}`).
    pub async fn get_tag(&self, repo: &RepositoryRef, reference: &str) -> Result<Tag> {
        let target = format!("{repo}:{reference}");
        let op = operation::GET_TAG;
        Self::check_names(&[&repo.registry, &repo.name, reference])
            .map_err(|e| self.tag(e, op, Some(&target)))?;
        let url = self
            .api
            .tag(&repo.registry, &repo.name, reference)
            .map_err(|e| self.tag(e, op, Some(&target)))?;
        let body = self.get(url, op, &target).await?;
        // Tag detail is one tag object; accept a list envelope too, picking the named tag.
        let value: serde_json::Value = self.decode(&body, op, &target)?;
        let wire: WireTag = if value.get("results").is_some_and(|r| r.is_array()) {
            let page: WirePage<WireTag> = self.decode_value(value, op, &target)?;
            page.results
                .into_iter()
                .find(|t| t.name.as_deref().is_none_or(|n| n == reference))
                .ok_or_else(|| {
                    self.tag(
                        Error::new(
                            ErrorKind::NotFound,
                            format!("tag {reference:?} is not in the answer"),
                        ),
                        op,
                        Some(&target),
                    )
                })?
        } else {
            self.decode_value(value, op, &target)?
        };
        normalize::tag(wire, Some(reference)).map_err(|e| self.tag(e, op, Some(&target)))
    }

    /// Refuses empty names, which would turn a request into another operation
    /// (`/repositories/` + nothing is the registry listing).
    fn check_names(names: &[&str]) -> Result<()> {
        if names.iter().any(|n| n.trim().is_empty()) {
            return Err(Error::new(
                ErrorKind::InvalidRequest,
                "registry, image and tag names must not be empty",
            ));
        }
        Ok(())
    }

    /// The 1-based page number and size of an explicit `cursor`.
    fn page_of(cursor: Cursor) -> Result<(u64, u32)> {
        match cursor {
            Cursor::Page { number, size } if number >= 1 && size >= 1 => Ok((number, size)),
            c @ Cursor::Page { .. } => Err(Error::protocol(format!(
                "NCR pages are numbered from 1 and hold at least one item; cannot fetch {c}"
            ))),
            other => Err(Error::unsupported(format!(
                "NCR pages by number (page/pagesize); cannot fetch {other}"
            ))),
        }
    }

    /// Fetches the page `cursor` names: exactly that page for an explicit cursor; for `None`,
    /// page 1 of the current page size, halving a size the vendor refuses ([`PageSize`](reginv_core::PageSize)).
    async fn paged<T, F, Fut>(
        &self,
        cursor: Option<Cursor>,
        op: &str,
        target: Option<&str>,
        fetch: F,
    ) -> Result<Page<T>>
    where
        F: Fn(u64, u32) -> Fut,
        Fut: Future<Output = Result<Page<T>>>,
    {
        match cursor {
            None => self.core.page_size().negotiate(|size| fetch(1, size)).await,
            Some(cursor) => {
                let (number, size) = Self::page_of(cursor).map_err(|e| self.tag(e, op, target))?;
                fetch(number, size).await
            }
        }
    }

    /// Adds provider, source, operation and target to `error` where it has none.
    fn tag(&self, error: Error, op: &str, target: Option<&str>) -> Error {
        self.core.tag(error, op, target)
    }

    async fn get(&self, url: Url, op: &str, target: &str) -> Result<Vec<u8>> {
        let mut request = HttpRequest::get(url, op);
        if !target.is_empty() {
            request = request.with_target(target);
        }
        request
            .headers
            .insert("accept", HeaderValue::from_static("application/json"));
        Ok(self.core.http().send(request).await?.body)
    }

    fn decode<T: DeserializeOwned>(&self, body: &[u8], op: &str, target: &str) -> Result<T> {
        serde_json::from_slice(body).map_err(|e| self.decode_error(e, op, target, None))
    }

    fn decode_value<T: DeserializeOwned>(
        &self,
        value: serde_json::Value,
        op: &str,
        target: &str,
    ) -> Result<T> {
        serde_json::from_value(value).map_err(|e| self.decode_error(e, op, target, None))
    }

    fn decode_error(
        &self,
        error: serde_json::Error,
        op: &str,
        target: &str,
        page: Option<u64>,
    ) -> Error {
        let target = (!target.is_empty()).then_some(target);
        let mut what = format!("the {op} answer");
        if let Some(t) = target {
            what.push_str(&format!(" for {t}"));
        }
        if let Some(n) = page {
            what.push_str(&format!(" (page {n})"));
        }
        self.tag(
            Error::decode(format!("{what} is not the JSON NCR documents: {error}")),
            op,
            target,
        )
    }

    async fn fetch_page<W: DeserializeOwned>(
        &self,
        url: Url,
        op: &str,
        target: &str,
        number: u64,
    ) -> Result<WirePage<W>> {
        let body = self.get(url, op, target).await?;
        serde_json::from_slice(&body).map_err(|e| self.decode_error(e, op, target, Some(number)))
    }

    /// A decode error for entry `index` of page `number` that `normalize` refused.
    fn entry_error(
        &self,
        error: Error,
        op: &str,
        target: Option<&str>,
        number: u64,
        index: usize,
    ) -> Error {
        self.tag(
            Error::decode(format!("page {number}, entry {index}: {}", error.message())),
            op,
            target,
        )
    }

    fn page<T>(
        items: Vec<T>,
        number: u64,
        size: u32,
        wire_next: Option<u64>,
        count: Option<u64>,
    ) -> Page<T> {
        // Without a count, only an empty page proves the end: ask for the page after a
        // non-empty one even when `next` is missing. (With a count, the core's page loop
        // checks `next` against it.)
        let wire_next = match (wire_next, count) {
            (None, None) if !items.is_empty() => Some(number.saturating_add(1)),
            (next, _) => next,
        };
        let next = wire_next.map(|n| Cursor::Page { number: n, size });
        Page::new(items, Cursor::Page { number, size }, next, count)
    }

    /// Page `number` of `size` of the registries.
    async fn registries_at(&self, number: u64, size: u32) -> Result<Page<Registry>> {
        let op = operation::LIST_REGISTRIES;
        let url = self
            .api
            .registries(number, size)
            .map_err(|e| self.tag(e, op, None))?;
        let wire: WirePage<WireRegistry> = self.fetch_page(url, op, "", number).await?;
        let items = wire
            .results
            .into_iter()
            .enumerate()
            .map(|(i, w)| {
                normalize::registry(self.core.source(), w)
                    .map_err(|e| self.entry_error(e, op, None, number, i))
            })
            .collect::<Result<Vec<_>>>()?;
        self.registries.remember(&items);
        Ok(Self::page(items, number, size, wire.next, wire.count))
    }

    /// Page `number` of `size` of the images of `registry`.
    async fn images_at(&self, registry: &str, number: u64, size: u32) -> Result<Page<Repository>> {
        let op = operation::LIST_REPOSITORIES;
        let url = self
            .api
            .images(registry, number, size)
            .map_err(|e| self.tag(e, op, Some(registry)))?;
        let wire: WirePage<WireImage> = self.fetch_page(url, op, registry, number).await?;
        let owner = if wire.results.is_empty() {
            None
        } else {
            self.registry_row(registry).await?
        };
        let items = wire
            .results
            .into_iter()
            .enumerate()
            .map(|(i, w)| {
                normalize::repository(self.core.source(), registry, w, owner.as_ref())
                    .map_err(|e| self.entry_error(e, op, Some(registry), number, i))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self::page(items, number, size, wire.next, wire.count))
    }

    /// Page `number` of `size` of the tags of `repo`.
    async fn tags_at(&self, repo: &RepositoryRef, number: u64, size: u32) -> Result<Page<Tag>> {
        let op = operation::LIST_TAGS;
        let target = repo.to_string();
        let url = self
            .api
            .tags(&repo.registry, &repo.name, number, size)
            .map_err(|e| self.tag(e, op, Some(&target)))?;
        let wire: WirePage<WireTag> = self.fetch_page(url, op, &target, number).await?;
        let items = wire
            .results
            .into_iter()
            .enumerate()
            .map(|(i, w)| {
                normalize::tag(w, None)
                    .map_err(|e| self.entry_error(e, op, Some(&target), number, i))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self::page(items, number, size, wire.next, wire.count))
    }

    /// The row of registry `name`: from what was listed so far, else from the whole registry
    /// listing (fetched at most once until a registry is created).
    async fn registry_row(&self, name: &str) -> Result<Option<Registry>> {
        if let Some(row) = self.registries.get(name) {
            return Ok(Some(row));
        }
        let mut complete = self.registries.complete.lock().await;
        if let Some(row) = self.registries.get(name) {
            return Ok(Some(row));
        }
        if *complete {
            return Ok(None);
        }
        let mut cursor: Option<Cursor> = None;
        let mut pages = 0u64;
        let mut last_number = 0u64;
        let mut previous_first: Option<String> = None;
        loop {
            let page = self.registries_page(cursor).await?;
            pages += 1;
            let first = page.items.first().map(|r| r.name.clone());
            if first.is_some() && first == previous_first {
                return Err(self.tag(
                    Error::protocol(
                        "a registry page starts with the same registry as the page before: the \
                         server ignores the page asked for",
                    ),
                    operation::LIST_REGISTRIES,
                    None,
                ));
            }
            previous_first = first;
            let number = match &page.cursor {
                Cursor::Page { number, .. } => *number,
                _ => last_number + 1,
            };
            last_number = number;
            match page.next {
                Some(next @ Cursor::Page { number: n, .. })
                    if n > number
                        && !page.items.is_empty()
                        && pages < self.core.paging_options().max_pages =>
                {
                    cursor = Some(next)
                }
                _ => break,
            }
        }
        *complete = true;
        Ok(self.registries.get(name))
    }
}

#[async_trait]
impl RegistryProvider for NcpProvider {
    provider_accessors!(core);

    fn capabilities(&self) -> Capabilities {
        let mut caps = Capabilities::default();
        caps.lists_repositories_across_registries = false;
        caps.repository_listing_has_tag_names = false;
        caps.filters_names_server_side = false;
        caps
    }

    async fn registries_page(&self, cursor: Option<Cursor>) -> Result<Page<Registry>> {
        self.paged(cursor, operation::LIST_REGISTRIES, None, |number, size| {
            self.registries_at(number, size)
        })
        .await
    }

    async fn repositories_page(
        &self,
        query: &RepositoryQuery,
        cursor: Option<Cursor>,
    ) -> Result<Page<Repository>> {
        let op = operation::LIST_REPOSITORIES;
        let Some(registry) = query.registry.as_deref() else {
            return Err(self.tag(
                Error::unsupported(
                    "NCR lists images per registry; give a registry (or use list_repositories, \
                     which lists the registries first)",
                ),
                op,
                None,
            ));
        };
        Self::check_names(&[registry]).map_err(|e| self.tag(e, op, Some(registry)))?;
        self.paged(cursor, op, Some(registry), |number, size| {
            self.images_at(registry, number, size)
        })
        .await
    }

    async fn tags_page(&self, repo: &RepositoryRef, cursor: Option<Cursor>) -> Result<Page<Tag>> {
        let target = repo.to_string();
        Self::check_names(&[&repo.registry, &repo.name])
            .map_err(|e| self.tag(e, operation::LIST_TAGS, Some(&target)))?;
        self.paged(
            cursor,
            operation::LIST_TAGS,
            Some(&target),
            |number, size| self.tags_at(repo, number, size),
        )
        .await
    }

    async fn get_repository(&self, repo: &RepositoryRef) -> Result<Repository> {
        let op = operation::GET_REPOSITORY;
        let target = repo.to_string();
        Self::check_names(&[&repo.registry, &repo.name])
            .map_err(|e| self.tag(e, op, Some(&target)))?;
        let url = self
            .api
            .image(&repo.registry, &repo.name)
            .map_err(|e| self.tag(e, op, Some(&target)))?;
        let body = self.get(url, op, &target).await?;
        let mut wire: WireImage = self.decode(&body, op, &target)?;
        if wire.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
            wire.name = Some(repo.name.clone());
        }
        let owner = self.registry_row(&repo.registry).await?;
        normalize::repository(self.core.source(), &repo.registry, wire, owner.as_ref())
            .map_err(|e| self.tag(e, op, Some(&target)))
    }
}
