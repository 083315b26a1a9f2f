//! [`Inventory`]: lists many providers concurrently and merges what they return.
//!
//! Each selected source runs one pipeline: list the repositories (one listing for providers
//! that list across registries, otherwise one per registry, concurrently), drop what the
//! [`Filter`] rejects and duplicates a shifting listing repeated, then fetch tags at the
//! requested [`TagDepth`] for many repositories at once. The sources' pipelines are merged
//! into one stream of [`InventoryEvent`]s. Every request holds a per-source and a global permit
//! ([`crate::limiter`]), and every failure becomes a [`Failure`] event while the rest goes on.
//! What the listings' first pages announce, and how far each source got, is counted in the
//! [`InventoryProgress`] handle ([`Inventory::progress`]).

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use futures::future::ready;
use futures::stream::{self, BoxStream, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

use crate::recent::RecentSet;
use tokio::time::Instant;

use crate::config::{Config, Environment};
use crate::core::{
    paginate, repository_paging_options, Capabilities, Error, ErrorContext, ErrorKind,
    HttpStatsSnapshot, PagingOptions, Registry, RegistryProvider, RegistryProviderExt, Repository,
    RepositoryQuery, RepositoryRef, Result, Source, Tag,
};
use crate::factory_table::ProviderFactories;
use crate::failure::Failure;
use crate::filter::{Filter, RepositoryMatcher};
use crate::limiter::LimitedProvider;
use crate::progress::{InventoryProgress, SourceCounters};
use crate::report::{InventoryEvent, InventoryReport, SourceStatus, SourceSummary};
use crate::report_builder::ReportBuilder;
use crate::reuse::TagReuse;

/// How much of each repository's tags an inventory lists.
///
/// Whatever the provider, a depth yields the same shape: `None` leaves
/// [`Repository::tags`] at `None`; `Names` fills it with tags that carry only their name
/// (details a provider happened to send are dropped, so output does not depend on the
/// provider); `Full` fills it with every detail the tag listing carries (digest, size,
/// platforms, times).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum TagDepth {
    /// Repositories only: no tag requests.
    None,
    /// Tag names. Free for providers whose repository listing carries tag names
    /// ([`Capabilities::repository_listing_has_tag_names`], SWR): no tag requests; other
    /// providers list each repository's tags.
    #[default]
    Names,
    /// Full tag details: one tag listing per repository, for every provider.
    Full,
}

impl TagDepth {
    /// The lower-case name (`none`, `names`, `full`).
    pub fn as_str(self) -> &'static str {
        match self {
            TagDepth::None => "none",
            TagDepth::Names => "names",
            TagDepth::Full => "full",
        }
    }
}

impl fmt::Display for TagDepth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TagDepth {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "none" => Ok(TagDepth::None),
            "names" => Ok(TagDepth::Names),
            "full" => Ok(TagDepth::Full),
            _ => Err(Error::config(format!(
                "unknown tag depth {s:?}; expected none, names or full"
            ))),
        }
    }
}

/// How an [`Inventory`] runs.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct InventoryOptions {
    /// How much of the tags to list. Default [`TagDepth::Names`].
    pub depth: TagDepth,
    /// The most requests in flight over every source together. Default 32; at least 1. Each
    /// source's own limit adapts within it (see [`SourceSummary::concurrency_limit`]): it
    /// starts modest, grows while the source answers promptly and shrinks when it throttles.
    pub concurrency: usize,
    /// A hard cap on the requests in flight for one source, for users who know their quota.
    /// Default `None`: the global [`concurrency`](Self::concurrency) is the cap. At least 1.
    /// Twice the cap bounds how many registries and repositories of a source are worked on
    /// at once.
    pub per_source_concurrency: Option<usize>,
    /// Which sources, registries and repositories to list. Default: everything.
    pub filter: Filter,
    /// Whether each repository's details are fetched too
    /// ([`RegistryProvider::get_repository`], one more request per repository), for the
    /// fields only they carry (NCR's tag immutability). Default `false`.
    pub details: bool,
    /// Whether providers that list repositories across registries (SWR) also list their
    /// registries (one more listing per source), so that empty ones are reported as
    /// [`InventoryEvent::Registry`] too. Providers that list repositories per registry (NCR)
    /// always report the registries they list. Default `false`.
    pub registry_rows: bool,
    /// Where an incremental inventory takes unchanged repositories' tags from instead of
    /// listing them. Default: none (every tag listing is sent).
    pub reuse: Option<Arc<dyn TagReuse>>,
}

impl Default for InventoryOptions {
    fn default() -> Self {
        InventoryOptions {
            depth: TagDepth::default(),
            concurrency: 32,
            per_source_concurrency: None,
            filter: Filter::default(),
            details: false,
            registry_rows: false,
            reuse: None,
        }
    }
}

impl InventoryOptions {
    /// The defaults.
    pub fn new() -> Self {
        InventoryOptions::default()
    }

    /// Sets the tag depth.
    pub fn with_depth(mut self, depth: TagDepth) -> Self {
        self.depth = depth;
        self
    }

    /// Sets the global limit on requests in flight.
    pub fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency;
        self
    }

    /// Sets the per-source cap on requests in flight.
    pub fn with_per_source_concurrency(mut self, per_source: usize) -> Self {
        self.per_source_concurrency = Some(per_source);
        self
    }

    /// Sets the filter.
    pub fn with_filter(mut self, filter: Filter) -> Self {
        self.filter = filter;
        self
    }

    /// Sets whether each repository's details are fetched ([`InventoryOptions::details`]).
    pub fn with_details(mut self, details: bool) -> Self {
        self.details = details;
        self
    }

    /// Sets whether every provider lists its registries
    /// ([`InventoryOptions::registry_rows`]).
    pub fn with_registry_rows(mut self, registry_rows: bool) -> Self {
        self.registry_rows = registry_rows;
        self
    }

    /// Makes the inventory incremental: tags `reuse` vouches for are not listed again (see
    /// [`TagReuse`]); each source's summary counts them in `reused`.
    pub fn with_reuse(mut self, reuse: Arc<dyn TagReuse>) -> Self {
        self.reuse = Some(reuse);
        self
    }
}

/// Many providers, listed as one inventory.
///
/// Nothing is sent until [`stream`](Inventory::stream) is polled or
/// [`collect`](Inventory::collect) awaited; each call runs a fresh inventory with fresh limits.
#[derive(Clone)]
pub struct Inventory {
    providers: Vec<Arc<dyn RegistryProvider>>,
    options: InventoryOptions,
    matcher: Arc<RepositoryMatcher>,
    progress: InventoryProgress,
}

impl fmt::Debug for Inventory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sources: Vec<&str> = self
            .providers
            .iter()
            .map(|p| p.source().name.as_str())
            .collect();
        f.debug_struct("Inventory")
            .field("sources", &sources)
            .field("options", &self.options)
            .finish()
    }
}

impl Inventory {
    /// An inventory of these providers, in this order (the report's source order), with
    /// default options.
    pub fn new(providers: Vec<Arc<dyn RegistryProvider>>) -> Self {
        Inventory {
            progress: InventoryProgress::new(providers.iter().map(|p| p.source())),
            providers,
            options: InventoryOptions::default(),
            matcher: Arc::new(RepositoryMatcher::everything()),
        }
    }

    /// An inventory of every source of `config`, credentials resolved from the process
    /// environment (see [`Config`]).
    pub fn from_config(config: &Config) -> Result<Self> {
        Inventory::from_config_in(config, &Environment::process())
    }

    /// [`from_config`](Inventory::from_config) with environment variables read from `env`.
    pub fn from_config_in(config: &Config, env: &Environment) -> Result<Self> {
        Ok(Inventory::new(config.build_providers(env)?))
    }

    /// [`from_config_in`](Inventory::from_config_in) with the kinds of `factories` (the
    /// built-in backends plus an embedder's own, see [`ProviderFactories::with`]).
    pub fn from_config_with(
        config: &Config,
        env: &Environment,
        factories: &ProviderFactories,
    ) -> Result<Self> {
        Ok(Inventory::new(config.build_providers_with(env, factories)?))
    }

    /// Replaces the options. An [`InvalidConfig`](crate::ErrorKind::InvalidConfig) error when
    /// a limit is 0, the glob does not parse, or the filter names a source that is not one of
    /// the providers.
    pub fn with_options(mut self, options: InventoryOptions) -> Result<Self> {
        if options.concurrency == 0 {
            return Err(Error::config("concurrency must be at least 1"));
        }
        if options.per_source_concurrency == Some(0) {
            return Err(Error::config("per-source concurrency must be at least 1"));
        }
        let known: Vec<&str> = self
            .providers
            .iter()
            .map(|p| p.source().name.as_str())
            .collect();
        for name in &options.filter.sources {
            if !known.contains(&name.as_str()) {
                return Err(Error::config(format!(
                    "unknown source {name:?}; the configured sources are: {}",
                    if known.is_empty() {
                        "(none)".to_string()
                    } else {
                        known.join(", ")
                    }
                )));
            }
        }
        self.matcher = Arc::new(RepositoryMatcher::new(&options.filter)?);
        self.options = options;
        Ok(self)
    }

    /// The options.
    pub fn options(&self) -> &InventoryOptions {
        &self.options
    }

    /// The live counters of this inventory's latest run (shared with its clones): per source,
    /// the repositories the listings' first pages announced, and how many were listed and
    /// done, for progress displays. See [`InventoryProgress`].
    pub fn progress(&self) -> InventoryProgress {
        self.progress.clone()
    }

    /// Every provider, selected or not, in order.
    pub fn providers(&self) -> &[Arc<dyn RegistryProvider>] {
        &self.providers
    }

    /// The providers the source filter selects, with their positions.
    fn selected(&self) -> impl Iterator<Item = (usize, &Arc<dyn RegistryProvider>)> + '_ {
        let wanted = &self.options.filter.sources;
        self.providers
            .iter()
            .enumerate()
            .filter(move |(_, p)| wanted.is_empty() || wanted.contains(&p.source().name))
    }

    /// The sources a run lists (those the source filter selects), in order.
    pub fn selected_sources(&self) -> Vec<&Source> {
        self.selected().map(|(_, p)| p.source()).collect()
    }

    /// Every source's name, selected or not, in order: the report's source order.
    pub fn source_order(&self) -> Vec<String> {
        self.providers
            .iter()
            .map(|p| p.source().name.clone())
            .collect()
    }

    /// A [`ReportBuilder`] for this inventory's events, in its source order, started now.
    pub fn report_builder(&self) -> ReportBuilder {
        ReportBuilder::new(self.source_order())
    }

    /// Runs the inventory, yielding events as they arrive: repositories (with their tags at
    /// the requested depth) and failures, interleaved across sources, and for every selected
    /// source a final [`InventoryEvent::SourceFinished`]. The stream ends after the last
    /// source finished. Dropping it cancels whatever is in flight.
    ///
    /// Poll it on a Tokio runtime: each request runs as a Tokio task while it holds its
    /// permits, so a request always completes (and frees its permits) even while the stream
    /// is not polled.
    pub fn stream(&self) -> BoxStream<'static, InventoryEvent> {
        self.indexed_events().map(|(_, event)| event).boxed()
    }

    /// Runs the inventory to the end and returns the report, in deterministic order (see
    /// [`InventoryReport`] and [`ReportBuilder`]).
    pub async fn collect(&self) -> InventoryReport {
        let mut builder = self.report_builder();
        let mut events = self.stream();
        while let Some(event) = events.next().await {
            builder.push(event);
        }
        builder.finish()
    }

    /// Every selected source's events, tagged with the source's position.
    fn indexed_events(&self) -> BoxStream<'static, (usize, InventoryEvent)> {
        let global = Arc::new(Semaphore::new(self.options.concurrency.max(1)));
        let global_limit = self.options.concurrency.max(1);
        let per_source = self
            .options
            .per_source_concurrency
            .map_or(global_limit, |cap| cap.clamp(1, global_limit));
        let streams: Vec<BoxStream<'static, (usize, InventoryEvent)>> = self
            .selected()
            .map(|(index, provider)| {
                let limited = Arc::new(LimitedProvider::new(
                    provider.clone(),
                    global.clone(),
                    per_source,
                ));
                let run = Arc::new(SourceRun {
                    source: provider.source().clone(),
                    capabilities: provider.capabilities(),
                    provider: limited,
                    depth: self.options.depth,
                    details: self.options.details,
                    registry_rows: self.options.registry_rows,
                    // Twice the cap: repositories whose request waits out a Retry-After
                    // (without holding a place) leave others enough to keep the cap busy.
                    fanout: per_source.saturating_mul(2),
                    matcher: self.matcher.clone(),
                    reuse: self.options.reuse.clone(),
                    reused: AtomicU64::new(0),
                    progress: self.progress.start(index),
                });
                source_events(run).map(move |event| (index, event)).boxed()
            })
            .collect();
        stream::select_all(streams).boxed()
    }
}

/// One source's part of a run.
struct SourceRun {
    /// The provider, behind the request limits.
    provider: Arc<LimitedProvider>,
    source: Source,
    capabilities: Capabilities,
    depth: TagDepth,
    /// Whether each repository's details are fetched.
    details: bool,
    /// Whether a provider listing across registries also lists its registries.
    registry_rows: bool,
    /// How many registries / repositories are worked on at once.
    fanout: usize,
    matcher: Arc<RepositoryMatcher>,
    /// Where unchanged tags come from in an incremental inventory.
    reuse: Option<Arc<dyn TagReuse>>,
    /// Repositories whose tags were reused.
    reused: AtomicU64,
    /// The source's live counters.
    progress: Arc<SourceCounters>,
}

/// What a source's events added up to so far.
#[derive(Default)]
struct Tally {
    registries: AtomicU64,
    repositories: AtomicU64,
    tags: AtomicU64,
    errors: AtomicU64,
}

impl Tally {
    fn record(&self, event: &InventoryEvent) {
        match event {
            InventoryEvent::Repository(repo) => {
                self.repositories.fetch_add(1, Ordering::Relaxed);
                let tags = repo.tags.as_ref().map_or(0, |t| t.len() as u64);
                self.tags.fetch_add(tags, Ordering::Relaxed);
            }
            InventoryEvent::Failure(_) => {
                self.errors.fetch_add(1, Ordering::Relaxed);
            }
            InventoryEvent::Registry(_) => {
                self.registries.fetch_add(1, Ordering::Relaxed);
            }
            InventoryEvent::SourceFinished(_) => {}
        }
    }
}

/// A source's events, ending with its summary. Starts (and starts its clock) when first polled.
fn source_events(run: Arc<SourceRun>) -> BoxStream<'static, InventoryEvent> {
    stream::once(async move {
        let started = Instant::now();
        let before = run.provider.http_stats();
        let tally = Arc::new(Tally::default());
        let counter = tally.clone();
        let progress = run.progress.clone();
        let events = listed_events(run.clone()).inspect(move |event| {
            counter.record(event);
            progress.record(event);
        });
        let finish = stream::once(async move {
            let summary = run.summary(&tally, &before, started);
            tracing::debug!(
                source = %summary.name,
                status = %summary.status,
                repositories = summary.repositories,
                tags = summary.tags,
                errors = summary.errors,
                "source finished"
            );
            let event = InventoryEvent::SourceFinished(summary);
            run.progress.record(&event);
            event
        });
        events.chain(finish)
    })
    .flatten()
    .boxed()
}

/// The fewest repositories a listing remembers to drop a shifting listing's repeats
/// ([`repeat_window`]).
const REPEAT_WINDOW_MIN: usize = 1_024;

/// The most repositories a listing remembers to drop a shifting listing's repeats
/// ([`repeat_window`]).
const REPEAT_WINDOW_MAX: usize = 16_384;

/// How many of a listing's latest repositories are remembered to drop its repeats: four pages
/// of the provider's page size (1,000 when it does not say), at least [`REPEAT_WINDOW_MIN`] and
/// at most [`REPEAT_WINDOW_MAX`].
///
/// A listing that shifts while it is paged (repositories added in front of the cursor between
/// two page requests) hands out again the items the shift pushed across the page boundary: the
/// repeat comes at most as many items after the first as the shift was long. The window is
/// counted in the listing's own order, so it holds whatever other listings of the source run
/// beside it (NCR lists each registry on its own), and it catches any shift of up to four
/// pages, more than the pages that can be in flight at once. Each entry is a 16-byte
/// fingerprint ([`RecentSet`]): at most about 40 KB per listing at the default page size of
/// 100, and freed when the listing ends, so the memory does not grow with the account.
fn repeat_window(page_size: Option<u32>) -> usize {
    let page = page_size.filter(|size| *size > 0).unwrap_or(1_000) as usize;
    page.saturating_mul(4)
        .clamp(REPEAT_WINDOW_MIN, REPEAT_WINDOW_MAX)
}

/// A source's repositories (filtered, with tags) and failures.
fn listed_events(run: Arc<SourceRun>) -> BoxStream<'static, InventoryEvent> {
    let matcher = run.matcher.clone();
    let fanout = run.fanout;
    let progress = run.progress.clone();
    repository_listing(&run)
        .filter_map(move |listed| {
            let keep = match &listed {
                Listed::Item(Ok(repo)) => {
                    let keep = matcher.accepts(repo);
                    if !keep {
                        progress.skipped();
                    }
                    keep
                }
                Listed::Item(Err(_)) | Listed::Registry(_) => true,
            };
            ready(keep.then_some(listed))
        })
        .map(move |listed| {
            let run = run.clone();
            async move {
                match listed {
                    Listed::Item(Ok(repo)) => run.with_tags(repo).await,
                    Listed::Item(Err(failure)) => vec![InventoryEvent::Failure(*failure)],
                    Listed::Registry(registry) => {
                        vec![InventoryEvent::Registry(Box::new(registry))]
                    }
                }
            }
        })
        .buffer_unordered(fanout)
        .flat_map(stream::iter)
        .boxed()
}

/// What a source's listing yields: a registry the filters select, or a repository (or the
/// failure of a listing).
enum Listed {
    Registry(Registry),
    Item(Result<Repository, Box<Failure>>),
}

/// Every registry and repository of a source the filter's registries allow, and the listing
/// failures.
///
/// Providers that list across registries get one listing, or one per filtered registry (the
/// name is sent, so the server filters). Others list their registries, keep those the filter
/// names (so a registry that only another source has is no error here), and list each one's
/// repositories, up to `fanout` registries at once, so one failing registry loses nothing of
/// the others.
fn repository_listing(run: &Arc<SourceRun>) -> BoxStream<'static, Listed> {
    let wanted = run.matcher.registries().to_vec();
    let this = run.clone();
    if run.capabilities.lists_repositories_across_registries {
        let repositories = if wanted.is_empty() {
            run.repositories_of(None).map(Listed::Item).boxed()
        } else {
            stream::iter(wanted)
                .map(move |registry| this.repositories_of(Some(registry)).map(Listed::Item))
                .flatten_unordered(run.fanout)
                .boxed()
        };
        if !run.registry_rows {
            return repositories;
        }
        return registry_rows(run).chain(repositories).boxed();
    }
    // A registry the listing repeats (a listing that shifted, or a broken server) is listed once.
    let mut seen = RecentSet::<str>::new(REPEAT_WINDOW_MAX);
    run.provider
        .list_registries()
        .filter_map(move |registry| {
            ready(match registry {
                Ok(registry) if !wanted.is_empty() && !wanted.contains(&registry.name) => None,
                Ok(registry) if !seen.insert(registry.name.as_str()) => None,
                Ok(registry) => {
                    let name = registry.name.clone();
                    let row = stream::once(ready(Listed::Registry(registry)));
                    let items = this.repositories_of(Some(name)).map(Listed::Item);
                    Some(row.chain(items).boxed())
                }
                Err(err) => {
                    let failure = this.failure("list_registries", None, &err);
                    Some(stream::once(ready(Listed::Item(Err(Box::new(failure))))).boxed())
                }
            })
        })
        .flatten_unordered(run.fanout)
        .boxed()
}

/// The registries of a provider that lists repositories across registries, those the filter
/// names (all without a registry filter). A provider that cannot list registries
/// ([`Unsupported`](crate::ErrorKind::Unsupported)) has none to report: no failure.
fn registry_rows(run: &Arc<SourceRun>) -> BoxStream<'static, Listed> {
    let wanted = run.matcher.registries().to_vec();
    let this = run.clone();
    let mut seen = RecentSet::<str>::new(REPEAT_WINDOW_MAX);
    run.provider
        .list_registries()
        .filter_map(move |registry| {
            ready(match registry {
                Ok(registry) if !wanted.is_empty() && !wanted.contains(&registry.name) => None,
                Ok(registry) if !seen.insert(registry.name.as_str()) => None,
                Ok(registry) => Some(Listed::Registry(registry)),
                Err(err) if err.kind() == ErrorKind::Unsupported => None,
                Err(err) => Some(Listed::Item(Err(Box::new(this.failure(
                    "list_registries",
                    None,
                    &err,
                ))))),
            })
        })
        .boxed()
}

impl SourceRun {
    fn failure(&self, operation: &str, target: Option<String>, err: &Error) -> Failure {
        Failure::from_error(&self.source, operation, target, err)
    }

    /// The repositories of one registry, or of every registry when `None` (only asked of
    /// providers that list across registries). The pages are counted in the source's
    /// [`InventoryProgress`], with the total the first page announced (a total the paging
    /// refuses as implausible is not counted). A repository the listing already handed out
    /// within its [`repeat_window`] (a listing that shifted while it was paged) is dropped, and
    /// counted as skipped; so is, in a listing of one registry from a provider that lists
    /// across registries, a repository of another registry (the server's filter matched more).
    fn repositories_of(
        self: &Arc<Self>,
        registry: Option<String>,
    ) -> BoxStream<'static, Result<Repository, Box<Failure>>> {
        let mut query = match &registry {
            Some(name) => RepositoryQuery::in_registry(name.clone()),
            None => RepositoryQuery::all(),
        };
        if self.capabilities.filters_names_server_side {
            if let Some(text) = self.matcher.server_literal() {
                query = query.with_name_contains(text);
            }
        }
        let context = ErrorContext::of_source(&self.source)
            .with_operation("list_repositories")
            .with_target(registry.clone());
        let options = self.listing_paging_options();
        let (provider, progress, query) = (
            self.provider.clone(),
            self.progress.clone(),
            Arc::new(query),
        );
        let this = self.clone();
        let mut seen = RecentSet::new(repeat_window(self.provider.page_size()));
        let skipped = self.progress.clone();
        // A provider that lists across registries filters by the one asked for on the server,
        // which may match more (SWR matches namespaces as substrings): those belong to their own
        // listing, if they are wanted at all.
        let only = registry
            .clone()
            .filter(|_| self.capabilities.lists_repositories_across_registries);
        paginate(context, options.clone(), move |cursor| {
            let (provider, progress, query) = (provider.clone(), progress.clone(), query.clone());
            let max_total = options.max_total;
            async move {
                let first = cursor.is_none();
                let page = provider.repositories_page(&query, cursor).await?;
                if let Some(total) = page.total.filter(|t| first && *t <= max_total) {
                    progress.announced(total);
                }
                progress.listed(page.items.len());
                Ok(page)
            }
        })
        .filter(move |item| {
            // Another registry's repository, or a shifting listing's repeat (in the listing's
            // own order), is dropped here.
            let drop = matches!(item, Ok(repo) if only.as_ref().is_some_and(|r| repo.registry != *r)
                || !seen.insert(&RepositoryRef::from(repo)));
            if drop {
                skipped.skipped();
            }
            ready(!drop)
        })
        .map(move |item| {
            item.map_err(|err| Box::new(this.failure("list_repositories", registry.clone(), &err)))
        })
        .boxed()
    }

    /// Whether every listed repository costs requests of its own before it is reported: its
    /// tags at `full` depth, or at `names` from a provider whose listing does not carry them,
    /// or its details. Not in an incremental run, where most repositories' tags come from the
    /// store without a request.
    fn repositories_cost_requests(&self) -> bool {
        if self.reuse.is_some() {
            return false;
        }
        self.details
            || match self.depth {
                TagDepth::None => false,
                TagDepth::Names => !self.capabilities.repository_listing_has_tag_names,
                TagDepth::Full => true,
            }
    }

    /// The paging options of the repository listings: the provider's, with the read-ahead
    /// sized to the depth.
    ///
    /// Where every repository costs requests of its own
    /// ([`repositories_cost_requests`](Self::repositories_cost_requests)), the fan-out sets the
    /// pace, not the listing: it works on at most `fanout` repositories at once and, with a
    /// request per repository, takes in at most half of that per round trip (the source's
    /// requests in flight are half the fan-out). Pages fetched further ahead would only wait,
    /// in memory that grew with the account up to the provider's read-ahead (2,000 repositories
    /// per listing, and NCR lists each registry on its own). So the pages in flight hold at
    /// most `fanout` repositories (at least one page is always in flight): the listing still
    /// brings at least `fanout` repositories per round trip, twice what the fan-out can take,
    /// plus the page waiting for the consumer and the one being consumed. Where repositories
    /// cost no request (`none`, SWR's `names`, an incremental run), the consumer is as fast as
    /// the listing and the provider's read-ahead stays.
    fn listing_paging_options(&self) -> PagingOptions {
        let options = repository_paging_options(&*self.provider);
        if !self.repositories_cost_requests() {
            return options;
        }
        let fanout = u32::try_from(self.fanout).unwrap_or(u32::MAX);
        let items = options.read_ahead_items.min(fanout);
        options.with_read_ahead_items(items)
    }

    /// The events for one repository: the repository with its tags at the requested depth,
    /// and the failure of its tag listing, if any (the tags listed before it are kept).
    async fn with_tags(&self, mut repo: Repository) -> Vec<InventoryEvent> {
        let listed_names = self.capabilities.repository_listing_has_tag_names;
        let mut failure = None;
        let mut detail_failure = None;
        if self.details {
            match self
                .provider
                .get_repository(&RepositoryRef::from(&repo))
                .await
            {
                Ok(detail) => merge_details(&mut repo, detail),
                Err(err) if err.kind() == ErrorKind::Unsupported => {}
                Err(err) => {
                    detail_failure =
                        Some(self.failure("get_repository", Some(repo.full_name.clone()), &err))
                }
            }
        }
        match self.depth {
            TagDepth::None => repo.tags = None,
            TagDepth::Names if listed_names && repo.tags.is_some() => {
                let tags = repo.tags.take().unwrap_or_default();
                repo.tags = Some(names_only(tags));
            }
            TagDepth::Names | TagDepth::Full if self.reused_tags(&mut repo).await => {}
            TagDepth::Names | TagDepth::Full => {
                let mut tags = Vec::new();
                let repo_ref = RepositoryRef::from(&repo);
                // Names only: no per-tag detail requests (the OCI backend's manifests).
                let mut listing = if self.depth == TagDepth::Names {
                    self.provider.list_tag_names(repo_ref)
                } else {
                    self.provider.list_tags(repo_ref)
                };
                while let Some(item) = listing.next().await {
                    match item {
                        Ok(tag) => tags.push(tag),
                        Err(err) => {
                            failure =
                                Some(self.failure("list_tags", Some(repo.full_name.clone()), &err));
                            break;
                        }
                    }
                }
                let tags = if self.depth == TagDepth::Names {
                    names_only(tags)
                } else {
                    sorted(tags)
                };
                repo.tags = Some(tags);
            }
        }
        // A full listing (or one reused) without the provider's size: the distinct digests'.
        if failure.is_none() && repo.size_bytes.is_none() && self.depth == TagDepth::Full {
            if let Some(tags) = &repo.tags {
                repo.size_bytes = size_of_distinct_digests(tags);
            }
        }
        // Tags that were listed completely are the count, whatever the provider said.
        if failure.is_none() {
            if let Some(tags) = &repo.tags {
                repo.tag_count = Some(tags.len() as u64);
            }
        }
        let mut events = vec![InventoryEvent::Repository(Box::new(repo))];
        events.extend(detail_failure.map(InventoryEvent::Failure));
        events.extend(failure.map(InventoryEvent::Failure));
        events
    }

    /// Fills `repo.tags` from the earlier run the [`TagReuse`] vouches for; `false` when there
    /// is none (the tags must be listed).
    async fn reused_tags(&self, repo: &mut Repository) -> bool {
        let Some(reuse) = &self.reuse else {
            return false;
        };
        let Some(tags) = reuse.tags(repo, self.depth).await else {
            return false;
        };
        self.reused.fetch_add(1, Ordering::Relaxed);
        repo.tags = Some(if self.depth == TagDepth::Names {
            names_only(tags)
        } else {
            sorted(tags)
        });
        true
    }

    fn summary(
        &self,
        tally: &Tally,
        before: &HttpStatsSnapshot,
        started: Instant,
    ) -> SourceSummary {
        let after = self.provider.http_stats();
        let mut summary = SourceSummary::new(&self.source);
        summary.registries = tally.registries.load(Ordering::Relaxed);
        summary.repositories = tally.repositories.load(Ordering::Relaxed);
        summary.tags = tally.tags.load(Ordering::Relaxed);
        summary.errors = tally.errors.load(Ordering::Relaxed);
        summary.status = SourceStatus::from_counts(summary.repositories, summary.errors);
        summary.requests = after.requests.saturating_sub(before.requests);
        summary.retries = after.retries.saturating_sub(before.retries);
        summary.throttled = after.throttled.saturating_sub(before.throttled);
        summary.page_size = self.provider.page_size();
        summary.concurrency_limit = u32::try_from(self.provider.concurrency_limit()).ok();
        summary.paced_rps = self
            .provider
            .paced_to()
            .map(|rate| rate.round().max(1.0) as u32);
        summary.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        if self.reuse.is_some() {
            summary.reused = Some(self.reused.load(Ordering::Relaxed));
        }
        summary
    }
}

/// Tags sorted by name, a name listed twice (a listing that shifted under us) kept once.
fn sorted(mut tags: Vec<Tag>) -> Vec<Tag> {
    tags.sort_by(|a, b| a.name.cmp(&b.name));
    tags.dedup_by(|a, b| a.name == b.name);
    tags
}

/// The size of a repository from its tags: each distinct digest counted once (tags that are
/// aliases of one image share its digest); `None` unless every tag has a size.
fn size_of_distinct_digests(tags: &[Tag]) -> Option<u64> {
    let mut seen = std::collections::HashSet::new();
    let mut total = 0u64;
    for tag in tags {
        let size = tag.size_bytes?;
        let first = tag.digest.as_ref().is_none_or(|d| seen.insert(d.as_str()));
        if first {
            total = total.saturating_add(size);
        }
    }
    Some(total)
}

/// Fills what `repo`'s listing left unknown from the repository's details: every field the
/// listing did not say, and the detail's `extra` keys the listing did not carry.
fn merge_details(repo: &mut Repository, detail: Repository) {
    fn fill<T>(slot: &mut Option<T>, value: Option<T>) {
        if slot.is_none() {
            *slot = value;
        }
    }
    fill(&mut repo.pull_uri, detail.pull_uri);
    fill(&mut repo.description, detail.description);
    fill(&mut repo.public, detail.public);
    fill(&mut repo.tag_immutable, detail.tag_immutable);
    fill(&mut repo.tag_count, detail.tag_count);
    fill(&mut repo.size_bytes, detail.size_bytes);
    fill(&mut repo.pull_count, detail.pull_count);
    fill(&mut repo.created_at, detail.created_at);
    fill(&mut repo.updated_at, detail.updated_at);
    for (key, value) in detail.extra {
        repo.extra.entry(key).or_insert(value);
    }
}

/// Tags reduced to their names, sorted.
fn names_only(tags: Vec<Tag>) -> Vec<Tag> {
    sorted(tags.into_iter().map(|t| Tag::new(t.name)).collect())
}

#[cfg(test)]
mod tests;
