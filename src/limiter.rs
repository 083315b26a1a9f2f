//! Request limits: a permit per request from a global and a per-source semaphore.
//!
//! [`LimitedProvider`] wraps a provider and implements [`RegistryProvider`] itself, holding
//! one per-source and one global permit around every page or detail call. Every stream built
//! on it (the core's [`RegistryProviderExt`](crate::RegistryProviderExt) streams included) is
//! therefore limited per request, not per stream: a long listing never holds a permit while
//! it waits for its consumer.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::core::{
    Capabilities, Cursor, Error, ErrorKind, HttpStatsSnapshot, Page, PagingOptions, Registry,
    RegistryProvider, Repository, RepositoryQuery, RepositoryRef, Result, Source, Tag,
};

/// A provider whose every request waits for a per-source and a global permit.
#[derive(Debug)]
pub(crate) struct LimitedProvider {
    inner: Arc<dyn RegistryProvider>,
    global: Arc<Semaphore>,
    local: Semaphore,
}

impl LimitedProvider {
    /// Wraps `inner`: at most `per_source` of its requests in flight, and together with every
    /// other provider sharing `global`, at most `global`'s permits.
    pub(crate) fn new(
        inner: Arc<dyn RegistryProvider>,
        global: Arc<Semaphore>,
        per_source: usize,
    ) -> Self {
        LimitedProvider {
            inner,
            global,
            local: Semaphore::new(per_source.max(1)),
        }
    }

    /// Waits for both permits: the source's own first, so a source at its own limit never sits
    /// on global permits that other sources could use.
    async fn permits(&self) -> Result<(SemaphorePermit<'_>, SemaphorePermit<'_>)> {
        let closed = |_| Error::new(ErrorKind::Unsupported, "the request limiter was closed");
        let local = self.local.acquire().await.map_err(closed)?;
        let global = self.global.acquire().await.map_err(closed)?;
        Ok((local, global))
    }
}

#[async_trait]
impl RegistryProvider for LimitedProvider {
    fn source(&self) -> &Source {
        self.inner.source()
    }

    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    fn paging_options(&self) -> PagingOptions {
        self.inner.paging_options()
    }

    fn page_size(&self) -> Option<u32> {
        self.inner.page_size()
    }

    fn http_stats(&self) -> HttpStatsSnapshot {
        self.inner.http_stats()
    }

    async fn registries_page(&self, cursor: Option<Cursor>) -> Result<Page<Registry>> {
        let _permits = self.permits().await?;
        self.inner.registries_page(cursor).await
    }

    async fn repositories_page(
        &self,
        query: &RepositoryQuery,
        cursor: Option<Cursor>,
    ) -> Result<Page<Repository>> {
        let _permits = self.permits().await?;
        self.inner.repositories_page(query, cursor).await
    }

    async fn tags_page(&self, repo: &RepositoryRef, cursor: Option<Cursor>) -> Result<Page<Tag>> {
        let _permits = self.permits().await?;
        self.inner.tags_page(repo, cursor).await
    }

    async fn get_repository(&self, repo: &RepositoryRef) -> Result<Repository> {
        let _permits = self.permits().await?;
        self.inner.get_repository(repo).await
    }
}
