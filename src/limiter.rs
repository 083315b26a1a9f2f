//! Request limits: a permit per request from a global and a per-source semaphore.
//!
//! [`LimitedProvider`] wraps a provider and implements [`RegistryProvider`] itself, holding
//! one per-source and one global permit around every page or detail call. Every stream built
//! on it (the core's [`RegistryProviderExt`](crate::RegistryProviderExt) streams included) is
//! therefore limited per request, not per stream: a long listing never holds a permit while
//! it waits for its consumer.
//!
//! Each limited request runs as its own tokio task, so a request that holds permits always
//! makes progress, even while the stream that asked for it is not being polled (a stage of
//! the merge that is full, a consumer that is busy). Without that, a listing paused by
//! back-pressure could sit on permits that the stage it waits for needs: a deadlock. The task
//! is aborted when the request's future is dropped, so dropping an inventory stream cancels
//! whatever it had in flight.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use async_trait::async_trait;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use crate::core::{
    Capabilities, Cursor, Error, ErrorKind, HttpStatsSnapshot, Page, PagingOptions, Registry,
    RegistryProvider, Repository, RepositoryQuery, RepositoryRef, Result, Source, Tag,
};

/// A provider whose every request waits for a per-source and a global permit.
#[derive(Debug)]
pub(crate) struct LimitedProvider {
    inner: Arc<dyn RegistryProvider>,
    global: Arc<Semaphore>,
    local: Arc<Semaphore>,
    per_source: usize,
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
            local: Arc::new(Semaphore::new(per_source.max(1))),
            per_source: per_source.max(1),
        }
    }

    /// Runs `request` on its own task once both permits are held: the source's own first, so
    /// a source at its own limit never sits on global permits other sources could use.
    async fn limited<T, F, Fut>(&self, request: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(Arc<dyn RegistryProvider>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T>> + Send + 'static,
    {
        let (inner, local, global) = (self.inner.clone(), self.local.clone(), self.global.clone());
        let task = tokio::spawn(async move {
            let closed = |_| Error::new(ErrorKind::Unsupported, "the request limiter was closed");
            let _local = local.acquire_owned().await.map_err(closed)?;
            let _global = global.acquire_owned().await.map_err(closed)?;
            request(inner).await
        });
        AbortOnDrop(task).await
    }
}

/// A task handle that aborts the task when dropped before it finished.
struct AbortOnDrop<T>(JoinHandle<Result<T>>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T>> {
        Pin::new(&mut self.0).poll(cx).map(|joined| match joined {
            Ok(result) => result,
            // A provider that panics panics here, as it would have without the task.
            Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
            Err(_) => Err(Error::new(
                ErrorKind::Network,
                "the request was cancelled (the runtime is shutting down)",
            )),
        })
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

    /// The provider's options, with as many pages in flight as the source may have requests:
    /// once a first page announces the total, the pages after it are fetched concurrently
    /// (each still taking its permits here).
    fn paging_options(&self) -> PagingOptions {
        let options = self.inner.paging_options();
        let concurrency = options.concurrency.max(self.per_source);
        options.with_concurrency(concurrency)
    }

    fn page_size(&self) -> Option<u32> {
        self.inner.page_size()
    }

    fn http_stats(&self) -> HttpStatsSnapshot {
        self.inner.http_stats()
    }

    async fn registries_page(&self, cursor: Option<Cursor>) -> Result<Page<Registry>> {
        self.limited(move |p| async move { p.registries_page(cursor).await })
            .await
    }

    async fn repositories_page(
        &self,
        query: &RepositoryQuery,
        cursor: Option<Cursor>,
    ) -> Result<Page<Repository>> {
        let query = query.clone();
        self.limited(move |p| async move { p.repositories_page(&query, cursor).await })
            .await
    }

    async fn tags_page(&self, repo: &RepositoryRef, cursor: Option<Cursor>) -> Result<Page<Tag>> {
        let repo = repo.clone();
        self.limited(move |p| async move { p.tags_page(&repo, cursor).await })
            .await
    }

    async fn tag_names_page(
        &self,
        repo: &RepositoryRef,
        cursor: Option<Cursor>,
    ) -> Result<Page<Tag>> {
        let repo = repo.clone();
        self.limited(move |p| async move { p.tag_names_page(&repo, cursor).await })
            .await
    }

    async fn get_repository(&self, repo: &RepositoryRef) -> Result<Repository> {
        let repo = repo.clone();
        self.limited(move |p| async move { p.get_repository(&repo).await })
            .await
    }
}
