//! Request limits: a permit per request from the source's adaptive limit and a global semaphore.
//!
//! [`LimitedProvider`] wraps a provider and implements [`RegistryProvider`] itself, holding
//! a place within the source's [`AdaptiveLimit`] and one global permit around every page or
//! detail call, and telling the adaptive limit how each call went. Every stream built
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
use std::time::Duration;

use async_trait::async_trait;
use futures::future::BoxFuture;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::adaptive::{AdaptiveLimit, Outcome, Permit};
use crate::core::{with_retry_wait_hook, RetryWaitHook};
use crate::core::{
    Capabilities, Cursor, Error, ErrorKind, HttpStatsSnapshot, Page, PagingOptions, Registry,
    RegistryProvider, Repository, RepositoryQuery, RepositoryRef, Result, Source, Tag,
};

/// A provider whose every request waits for a place within the source's adaptive limit and a
/// global permit.
#[derive(Debug)]
pub(crate) struct LimitedProvider {
    inner: Arc<dyn RegistryProvider>,
    global: Arc<Semaphore>,
    local: Arc<AdaptiveLimit>,
}

impl LimitedProvider {
    /// Wraps `inner`: at most `per_source` of its requests in flight (the adaptive limit's
    /// cap), and together with every other provider sharing `global`, at most `global`'s
    /// permits.
    pub(crate) fn new(
        inner: Arc<dyn RegistryProvider>,
        global: Arc<Semaphore>,
        per_source: usize,
    ) -> Self {
        let local = AdaptiveLimit::new(inner.source().name.clone(), per_source);
        LimitedProvider {
            inner,
            global,
            local,
        }
    }

    /// The source's concurrency limit now (where the adaptive limit stands).
    pub(crate) fn concurrency_limit(&self) -> usize {
        self.local.current()
    }

    /// The rate the source was last paced to, if it was (see [`AdaptiveLimit::paced_to`]).
    pub(crate) fn paced_to(&self) -> Option<f64> {
        self.local.paced_to()
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
            let place = local.acquire().await;
            let permit = global.clone().acquire_owned().await.map_err(closed)?;
            let held = Arc::new(Held {
                local: local.clone(),
                global,
                attempt_started: std::sync::Mutex::new(place.started()),
                places: std::sync::Mutex::new(Some((place, permit))),
                paused: std::sync::Mutex::new(None),
            });
            let result = with_retry_wait_hook(held.clone(), request(inner)).await;
            local.record(held.attempt_started(), Outcome::of(&result));
            drop(held.take());
            result
        });
        AbortOnDrop(task).await
    }
}

/// Waits before a retry shorter than this keep the request's places.
const PAUSE_AT_LEAST: Duration = Duration::from_millis(250);

/// The places one request holds, and what the adaptive limit learns of its attempts: each
/// failed attempt that is retried is recorded as it fails (so a request retried five times
/// counts five signals, as they come), and the retry waits for its turn of the source's pace.
/// The places are given back while it waits at least [`PAUSE_AT_LEAST`] to be
/// retried (a request sleeping out a `Retry-After` holds no place other requests could use),
/// taken again before its next attempt. Taking them again waits at most as long as the request
/// slept, then the attempt goes without them: a request never waits for places forever (what it
/// waits for could be held by requests waiting for something it holds, such as the client's
/// one-at-a-time gate before the credentials are proven).
struct Held {
    local: Arc<AdaptiveLimit>,
    global: Arc<Semaphore>,
    /// When the attempt under way was let go.
    attempt_started: std::sync::Mutex<Instant>,
    places: std::sync::Mutex<Option<(Permit, OwnedSemaphorePermit)>>,
    paused: std::sync::Mutex<Option<Duration>>,
}

impl Held {
    fn take(&self) -> Option<(Permit, OwnedSemaphorePermit)> {
        self.places.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    fn attempt_started(&self) -> Instant {
        *self
            .attempt_started
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    fn next_attempt(&self) {
        *self
            .attempt_started
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Instant::now();
    }
}

impl RetryWaitHook for Held {
    fn pause(&self, error: &Error, wait: Duration) {
        self.local
            .record(self.attempt_started(), Outcome::of_error(error));
        if wait < PAUSE_AT_LEAST {
            return;
        }
        if let Some(places) = self.take() {
            *self.paused.lock().unwrap_or_else(|p| p.into_inner()) = Some(wait);
            drop(places);
        }
    }

    fn resume(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let paused = self.paused.lock().unwrap_or_else(|p| p.into_inner()).take();
            let Some(wait) = paused else {
                // The places are still held: the retry waits for its turn of the pace only.
                self.local.wait_turn().await;
                self.next_attempt();
                return;
            };
            let places = async {
                let place = self.local.acquire().await;
                let permit = self.global.clone().acquire_owned().await.ok()?;
                Some((place, permit))
            };
            if let Ok(Some(places)) = tokio::time::timeout(wait, places).await {
                *self.places.lock().unwrap_or_else(|p| p.into_inner()) = Some(places);
            }
            self.next_attempt();
        })
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

    /// The provider's options, with as many pages in flight as the source may ever have
    /// requests (the adaptive limit's cap): once a first page announces the total, the pages
    /// after it are fetched concurrently (each still taking its place here).
    fn paging_options(&self) -> PagingOptions {
        let options = self.inner.paging_options();
        let concurrency = options.concurrency.max(self.local.cap());
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Mutex;

    use super::*;
    use crate::core::{ProviderKind, RetryPolicy};

    /// A provider whose tag pages answer after 20 ms. The first attempt of a page is answered
    /// 429 with `Retry-After: retry_after` while `throttling` is set, and always for the
    /// repository named `slow`; the retry policy retries it, as a client does. Records the
    /// order pages finish in.
    #[derive(Debug)]
    struct Gateway {
        source: Source,
        throttling: AtomicBool,
        retry_after: Duration,
        finished: Mutex<Vec<String>>,
    }

    impl Gateway {
        fn new(retry_after: Duration) -> Arc<Self> {
            Arc::new(Gateway {
                source: Source::new("s", ProviderKind::NCP, "kr", "http://127.0.0.1:1"),
                throttling: false.into(),
                retry_after,
                finished: Mutex::new(Vec::new()),
            })
        }
    }

    #[async_trait]
    impl RegistryProvider for Gateway {
        fn source(&self) -> &Source {
            &self.source
        }
        fn capabilities(&self) -> Capabilities {
            Capabilities::default()
        }
        async fn registries_page(&self, _: Option<Cursor>) -> Result<Page<Registry>> {
            Err(Error::unsupported("no registries"))
        }
        async fn repositories_page(
            &self,
            _: &RepositoryQuery,
            _: Option<Cursor>,
        ) -> Result<Page<Repository>> {
            Err(Error::unsupported("no repositories"))
        }
        async fn tags_page(&self, repo: &RepositoryRef, _: Option<Cursor>) -> Result<Page<Tag>> {
            let throttled = repo.name == "slow" || self.throttling.load(Ordering::SeqCst);
            RetryPolicy::default()
                .run(
                    true,
                    |attempt| async move {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        if throttled && attempt == 1 {
                            return Err(Error::from_status(429, "slow down")
                                .with_retry_after(Some(self.retry_after)));
                        }
                        Ok(())
                    },
                    |_, _| {},
                )
                .await?;
            self.finished.lock().unwrap().push(repo.name.clone());
            let cursor = Cursor::Page {
                number: 1,
                size: 10,
            };
            Ok(Page::new(Vec::new(), cursor, None, Some(0)))
        }
    }

    /// Sends `n` tag requests, 64 at a time (more than any limit here).
    async fn burst(limited: &Arc<LimitedProvider>, n: usize) {
        let repo = RepositoryRef::new("r", "a");
        futures::future::join_all((0..n).map(|_| {
            let (limited, repo) = (limited.clone(), repo.clone());
            async move { limited.tags_page(&repo, None).await.unwrap() }
        }))
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn the_source_limit_grows_on_success_and_shrinks_on_throttling() {
        let gateway = Gateway::new(Duration::ZERO);
        let global = Arc::new(Semaphore::new(64));
        let limited = Arc::new(LimitedProvider::new(gateway.clone(), global, 48));
        assert_eq!(limited.concurrency_limit(), crate::adaptive::INITIAL_LIMIT);
        burst(&limited, 200).await;
        assert_eq!(limited.concurrency_limit(), 48, "grown to the cap");
        assert_eq!(
            limited.paced_to(),
            None,
            "not paced while nothing is throttled"
        );
        gateway.throttling.store(true, Ordering::SeqCst);
        burst(&limited, 200).await;
        let throttled = limited.concurrency_limit();
        assert!(throttled < 8, "shrunk on throttling: {throttled}");
        // Every first attempt throttled: a source that throttles what it is sent is paced.
        assert!(limited.paced_to().is_some(), "paced");
        gateway.throttling.store(false, Ordering::SeqCst);
        burst(&limited, 200).await;
        let recovered = limited.concurrency_limit();
        assert!(
            recovered > throttled && recovered < 48,
            "grows back, a step per round trip: {recovered}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_waiting_out_retry_after_gives_its_place_to_others() {
        let provider = Gateway::new(Duration::from_secs(1));
        // One place in all: without giving it back, "quick" would wait for "slow"'s second.
        let limited = Arc::new(LimitedProvider::new(
            provider.clone(),
            Arc::new(Semaphore::new(1)),
            1,
        ));
        let slow = tokio::spawn({
            let limited = limited.clone();
            async move {
                limited
                    .tags_page(&RepositoryRef::new("r", "slow"), None)
                    .await
            }
        });
        tokio::time::sleep(Duration::from_millis(1)).await;
        let quick = limited
            .tags_page(&RepositoryRef::new("r", "quick"), None)
            .await;
        assert!(quick.is_ok());
        assert!(slow.await.unwrap().is_ok());
        assert_eq!(*provider.finished.lock().unwrap(), vec!["quick", "slow"]);
    }
}
