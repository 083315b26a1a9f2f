//! The [`RegistryProvider`] trait every backend implements, and the streams built on it.
//!
//! A provider answers *one page at a time*; [`RegistryProviderExt`] (implemented for every
//! `Arc<P: RegistryProvider>`, `Arc<dyn RegistryProvider>` included) turns pages into lazy
//! [`BoxStream`]s with [`paginate`], so backends never write a page loop.
//!
//! ```
//! use std::sync::Arc;
//! use async_trait::async_trait;
//! use futures::TryStreamExt;
//! use reginv_core::*;
//!
//! /// A registry that has one repository.
//! #[derive(Debug)]
//! struct Tiny(Source);
//!
//! #[async_trait]
//! impl RegistryProvider for Tiny {
//!     fn source(&self) -> &Source { &self.0 }
//!     async fn registries_page(&self, cursor: Option<Cursor>) -> Result<Page<Registry>> {
//!         let cursor = cursor.unwrap_or(Cursor::Page { number: 1, size: 100 });
//!         Ok(Page::new(vec![Registry::new(&self.0, "main")], cursor, None, Some(1)))
//!     }
//!     async fn repositories_page(&self, _q: &RepositoryQuery, cursor: Option<Cursor>)
//!         -> Result<Page<Repository>> {
//!         let cursor = cursor.unwrap_or(Cursor::Page { number: 1, size: 100 });
//!         Ok(Page::new(vec![Repository::new(&self.0, "main", "app")], cursor, None, Some(1)))
//!     }
//!     async fn tags_page(&self, _repo: &RepositoryRef, cursor: Option<Cursor>)
//!         -> Result<Page<Tag>> {
//!         let cursor = cursor.unwrap_or(Cursor::Page { number: 1, size: 100 });
//!         Ok(Page::new(vec![Tag::new("latest")], cursor, None, Some(1)))
//!     }
//!     async fn get_repository(&self, repo: &RepositoryRef) -> Result<Repository> {
//!         Ok(Repository::new(&self.0, &repo.registry, &repo.name))
//!     }
//! }
//!
//! # tokio_test_block_on(async {
//! let provider: Arc<dyn RegistryProvider> = Arc::new(Tiny(Source::new(
//!     "tiny", ProviderKind::new("tiny"), "local", "memory://")));
//! let repos: Vec<Repository> = provider.list_repositories(RepositoryQuery::all())
//!     .try_collect().await?;
//! assert_eq!(repos[0].full_name, "main/app");
//! # Ok::<(), Error>(())
//! # }).unwrap();
//! # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
//! # }
//! ```

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use futures::stream::{self, BoxStream, StreamExt};
use serde::{Deserialize, Serialize};

use crate::error::{ErrorContext, Result};
use crate::http::HttpStatsSnapshot;
use crate::model::{Registry, Repository, Source, Tag};
use crate::paging::{paginate, Cursor, Page, PagingOptions};

/// Which repositories to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RepositoryQuery {
    /// Only the repositories of this registry (NCR registry, SWR namespace).
    pub registry: Option<String>,
    /// Only repositories whose name contains this text (the provider filters server-side
    /// where it can; SWR matches fuzzily, so callers should still check names).
    pub name_contains: Option<String>,
}

impl RepositoryQuery {
    /// Every repository the credentials can see.
    pub fn all() -> Self {
        RepositoryQuery::default()
    }

    /// The repositories of one registry.
    pub fn in_registry(registry: impl Into<String>) -> Self {
        RepositoryQuery {
            registry: Some(registry.into()),
            name_contains: None,
        }
    }

    /// Narrows to names containing `text`.
    pub fn with_name_contains(mut self, text: impl Into<String>) -> Self {
        self.name_contains = Some(text.into());
        self
    }
}

/// Names one repository of a source.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RepositoryRef {
    /// The registry (NCR) or namespace (SWR).
    pub registry: String,
    /// The repository name inside it (may contain `/`).
    pub name: String,
}

impl RepositoryRef {
    /// Names `registry/name`.
    pub fn new(registry: impl Into<String>, name: impl Into<String>) -> Self {
        RepositoryRef {
            registry: registry.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for RepositoryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.name)
    }
}

impl From<&Repository> for RepositoryRef {
    fn from(repo: &Repository) -> Self {
        RepositoryRef::new(repo.registry.clone(), repo.name.clone())
    }
}

/// What a provider can do beyond the required operations, so callers pick the cheapest path.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Capabilities {
    /// `repositories_page` accepts a query without a registry (one listing for the whole
    /// account, as SWR's `/v2/manage/repos`); otherwise repositories are listed per registry.
    pub lists_repositories_across_registries: bool,
    /// The repository listing already carries tag names (SWR), so names cost no tag requests.
    pub repository_listing_has_tag_names: bool,
    /// `name_contains` is applied by the server.
    pub filters_names_server_side: bool,
    /// Ask for the repository listing's second page together with the first
    /// ([`PagingOptions::speculative_next`]): the listing pages by [`Cursor::Offset`] of
    /// [`page_size`](RegistryProvider::page_size) items and announces its total only with the
    /// first page, so the second page would otherwise wait a round trip for it. Saves that
    /// round trip on listings of more than one page, costs one request on listings of one
    /// (see [`repository_paging_options`]).
    pub speculative_second_repository_page: bool,
}

/// A container registry API, answering one page at a time.
#[async_trait]
pub trait RegistryProvider: Send + Sync + fmt::Debug + 'static {
    /// The account/region this provider lists.
    fn source(&self) -> &Source;

    /// What the provider can do beyond the required operations.
    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
    }

    /// The limits its listings run under.
    fn paging_options(&self) -> PagingOptions {
        PagingOptions::default()
    }

    /// The page size the provider uses now, after any negotiation with the vendor
    /// ([`PageSize`](crate::paging::PageSize)); `None` when it does not say.
    fn page_size(&self) -> Option<u32> {
        None
    }

    /// Requests sent, retries and responses so far (zero for providers without HTTP).
    fn http_stats(&self) -> HttpStatsSnapshot {
        HttpStatsSnapshot::default()
    }

    /// One page of registries (SWR: namespaces). `None` asks for the first page.
    async fn registries_page(&self, cursor: Option<Cursor>) -> Result<Page<Registry>>;

    /// One page of repositories matching `query`. `None` asks for the first page. A provider
    /// without [`Capabilities::lists_repositories_across_registries`] may answer
    /// [`Unsupported`](crate::ErrorKind::Unsupported) when `query.registry` is `None`.
    async fn repositories_page(
        &self,
        query: &RepositoryQuery,
        cursor: Option<Cursor>,
    ) -> Result<Page<Repository>>;

    /// One page of the tags of `repo`, with full details. `None` asks for the first page.
    async fn tags_page(&self, repo: &RepositoryRef, cursor: Option<Cursor>) -> Result<Page<Tag>>;

    /// One page of the tags of `repo` where only the names are needed (other fields may be
    /// `None`). The default answers [`tags_page`](Self::tags_page); a provider whose details
    /// cost requests of their own (OCI: a manifest per tag) lists the names alone here.
    async fn tag_names_page(
        &self,
        repo: &RepositoryRef,
        cursor: Option<Cursor>,
    ) -> Result<Page<Tag>> {
        self.tags_page(repo, cursor).await
    }

    /// One repository's details. The default answers
    /// [`Unsupported`](crate::ErrorKind::Unsupported), so a backend implements it only where its
    /// API has such a call.
    async fn get_repository(&self, repo: &RepositoryRef) -> Result<Repository> {
        Err(crate::Error::unsupported(format!(
            "{} cannot fetch one repository's details ({repo})",
            self.source().provider
        )))
    }
}

fn context(source: &Source, operation: &str, target: Option<String>) -> ErrorContext {
    ErrorContext::of_source(source)
        .with_operation(operation)
        .with_target(target)
}

/// The paging options of a repository listing of `provider`: its
/// [`paging_options`](RegistryProvider::paging_options), asking for the second page (offset
/// `page_size`) together with the first when the provider has
/// [`Capabilities::speculative_second_repository_page`] and says its page size.
pub fn repository_paging_options<P: RegistryProvider + ?Sized>(provider: &P) -> PagingOptions {
    let options = provider.paging_options();
    if !provider.capabilities().speculative_second_repository_page {
        return options;
    }
    match provider.page_size() {
        Some(size) if size > 0 => options.with_speculative_next(Cursor::Offset {
            offset: u64::from(size),
            limit: size,
        }),
        _ => options,
    }
}

/// Streams over every page, for any provider. Implemented for `Arc<P>` where
/// `P: RegistryProvider` (sized or `dyn`), so every backend gets it for free.
pub trait RegistryProviderExt {
    /// Every registry, lazily.
    fn list_registries(&self) -> BoxStream<'static, Result<Registry>>;

    /// Every repository matching `query`, lazily. For a provider that lists repositories only
    /// per registry, a query without a registry lists the registries first and then each one's
    /// repositories.
    fn list_repositories(&self, query: RepositoryQuery) -> BoxStream<'static, Result<Repository>>;

    /// Every tag of `repo`, lazily.
    fn list_tags(&self, repo: RepositoryRef) -> BoxStream<'static, Result<Tag>>;

    /// Every tag of `repo` where only the names are needed
    /// ([`RegistryProvider::tag_names_page`]), lazily.
    fn list_tag_names(&self, repo: RepositoryRef) -> BoxStream<'static, Result<Tag>>;
}

impl<P: RegistryProvider + ?Sized> RegistryProviderExt for Arc<P> {
    fn list_registries(&self) -> BoxStream<'static, Result<Registry>> {
        let provider = self.clone();
        let ctx = context(provider.source(), "list_registries", None);
        paginate(ctx, provider.paging_options(), move |cursor| {
            let provider = provider.clone();
            async move { provider.registries_page(cursor).await }
        })
    }

    fn list_repositories(&self, query: RepositoryQuery) -> BoxStream<'static, Result<Repository>> {
        if query.registry.is_none() && !self.capabilities().lists_repositories_across_registries {
            let provider = self.clone();
            return self
                .list_registries()
                .flat_map(move |registry| match registry {
                    Ok(registry) => {
                        let mut q = query.clone();
                        q.registry = Some(registry.name);
                        provider.list_repositories(q)
                    }
                    Err(e) => stream::once(async move { Err(e) }).boxed(),
                })
                .boxed();
        }
        let provider = self.clone();
        let ctx = context(
            provider.source(),
            "list_repositories",
            query.registry.clone(),
        );
        let query = Arc::new(query);
        paginate(ctx, repository_paging_options(&*provider), move |cursor| {
            let provider = provider.clone();
            let query = query.clone();
            async move { provider.repositories_page(&query, cursor).await }
        })
    }

    fn list_tags(&self, repo: RepositoryRef) -> BoxStream<'static, Result<Tag>> {
        tag_listing(self, repo, false)
    }

    fn list_tag_names(&self, repo: RepositoryRef) -> BoxStream<'static, Result<Tag>> {
        tag_listing(self, repo, true)
    }
}

/// Every tag of `repo`, from [`RegistryProvider::tag_names_page`] when `names_only`, else from
/// [`RegistryProvider::tags_page`].
fn tag_listing<P: RegistryProvider + ?Sized>(
    provider: &Arc<P>,
    repo: RepositoryRef,
    names_only: bool,
) -> BoxStream<'static, Result<Tag>> {
    let provider = provider.clone();
    let ctx = context(provider.source(), "list_tags", Some(repo.to_string()));
    let repo = Arc::new(repo);
    paginate(ctx, provider.paging_options(), move |cursor| {
        let provider = provider.clone();
        let repo = repo.clone();
        async move {
            if names_only {
                provider.tag_names_page(&repo, cursor).await
            } else {
                provider.tags_page(&repo, cursor).await
            }
        }
    })
}

/// The cursor a provider should use for a first page when `None` was asked: page 1 of `size`.
pub fn first_page(cursor: Option<Cursor>, size: u32) -> Cursor {
    cursor.unwrap_or(Cursor::Page { number: 1, size })
}

/// The cursor a provider should use for a first page when `None` was asked: offset 0, `limit`.
pub fn first_offset(cursor: Option<Cursor>, limit: u32) -> Cursor {
    cursor.unwrap_or(Cursor::Offset { offset: 0, limit })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ProviderKind;
    use crate::Error;
    use futures::TryStreamExt;

    /// Two registries of three repositories each, served per registry in pages of two.
    #[derive(Debug)]
    struct PerRegistry(Source);

    #[async_trait]
    impl RegistryProvider for PerRegistry {
        fn source(&self) -> &Source {
            &self.0
        }
        async fn registries_page(&self, cursor: Option<Cursor>) -> Result<Page<Registry>> {
            let cursor = first_page(cursor, 10);
            let items = vec![Registry::new(&self.0, "a"), Registry::new(&self.0, "b")];
            Ok(Page::new(items, cursor, None, Some(2)))
        }
        async fn repositories_page(
            &self,
            query: &RepositoryQuery,
            cursor: Option<Cursor>,
        ) -> Result<Page<Repository>> {
            let Some(registry) = &query.registry else {
                return Err(Error::unsupported("needs a registry"));
            };
            let cursor = first_page(cursor, 2);
            let Cursor::Page { number, .. } = cursor else {
                return Err(Error::protocol("bad cursor"));
            };
            let names: Vec<String> = (1..=3).map(|i| format!("r{i}")).collect();
            let start = ((number - 1) * 2) as usize;
            let items: Vec<Repository> = names
                .iter()
                .skip(start)
                .take(2)
                .map(|n| Repository::new(&self.0, registry.clone(), n.clone()))
                .collect();
            let next = (start + 2 < names.len()).then(|| cursor.following());
            Ok(Page::new(items, cursor, next, Some(3)))
        }
        async fn tags_page(&self, _: &RepositoryRef, cursor: Option<Cursor>) -> Result<Page<Tag>> {
            Ok(Page::new(vec![], first_page(cursor, 10), None, Some(0)))
        }
        async fn get_repository(&self, repo: &RepositoryRef) -> Result<Repository> {
            Ok(Repository::new(&self.0, &repo.registry, &repo.name))
        }
    }

    #[tokio::test]
    async fn lists_per_registry_when_the_provider_cannot_list_across() {
        let p: Arc<dyn RegistryProvider> = Arc::new(PerRegistry(Source::new(
            "t",
            ProviderKind::NCP,
            "kr",
            "http://127.0.0.1",
        )));
        let repos: Vec<Repository> = p
            .list_repositories(RepositoryQuery::all())
            .try_collect()
            .await
            .unwrap();
        let names: Vec<&str> = repos.iter().map(|r| r.full_name.as_str()).collect();
        assert_eq!(names, ["a/r1", "a/r2", "a/r3", "b/r1", "b/r2", "b/r3"]);
        let tags: Vec<Tag> = p
            .list_tags(RepositoryRef::new("a", "r1"))
            .try_collect()
            .await
            .unwrap();
        assert!(tags.is_empty());
    }
}
