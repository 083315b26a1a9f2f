//! [`InventoryProgress`]: live per-source counters of a running inventory, for progress
//! displays.
//!
//! The events of [`Inventory::stream`](crate::Inventory::stream) say what is done; they cannot
//! say how much is left. The providers' first listing pages often can: they announce the total
//! number of repositories ([`Page::total`](crate::Page::total)). The inventory adds up those
//! announcements per source, next to how many repositories the listing pages delivered and how
//! many of them are done, so a display can draw a bar against the total and estimate the time
//! left. The counters are atomics: reading them never blocks the run.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use crate::core::Source;
use crate::report::InventoryEvent;

/// A handle on the live counters of an inventory's latest run, one [`SourceProgress`] per
/// source; get it from [`Inventory::progress`](crate::Inventory::progress).
///
/// Cheap to clone (clones share the counters). Every run started by
/// [`Inventory::stream`](crate::Inventory::stream) or [`collect`](crate::Inventory::collect)
/// resets the counters of the sources it selects, so with two runs of one inventory (or of its
/// clones) at once the counters mix: give each concurrent run its own
/// [`Inventory`](crate::Inventory).
///
/// At the end of a run, each selected source's `repositories` and `tags` equal its
/// [`SourceSummary`](crate::SourceSummary)'s.
#[derive(Clone, Debug)]
pub struct InventoryProgress {
    sources: Arc<[Arc<SourceCounters>]>,
}

/// What one source's run has got to, read from an [`InventoryProgress`].
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SourceProgress {
    /// The source's name.
    pub name: String,
    /// The repositories the first pages of the source's listings announced so far (the sum over
    /// its listings: one per registry for providers that list per registry); `None` while no
    /// listing announced a total (the provider does not, or no first page arrived yet).
    pub repositories_announced: Option<u64>,
    /// Repositories the listing pages delivered so far, before the filters.
    pub repositories_listed: u64,
    /// Listed repositories that are done: reported (with their tags), or dropped by the
    /// filters or as a shifting listing's repeats. Reaches `repositories_announced` when every
    /// announced repository was listed.
    pub repositories_done: u64,
    /// Repositories reported so far ([`InventoryEvent::Repository`]).
    pub repositories: u64,
    /// Tags of the reported repositories so far.
    pub tags: u64,
    /// Failures so far.
    pub errors: u64,
    /// Whether the source finished ([`InventoryEvent::SourceFinished`]).
    pub finished: bool,
}

/// One source's counters.
#[derive(Debug, Default)]
pub(crate) struct SourceCounters {
    name: String,
    announced: AtomicU64,
    announcing: AtomicBool,
    listed: AtomicU64,
    skipped: AtomicU64,
    repositories: AtomicU64,
    tags: AtomicU64,
    errors: AtomicU64,
    finished: AtomicBool,
}

impl SourceCounters {
    /// Back to zero, for a new run.
    fn reset(&self) {
        for counter in [
            &self.announced,
            &self.listed,
            &self.skipped,
            &self.repositories,
            &self.tags,
            &self.errors,
        ] {
            counter.store(0, Ordering::Relaxed);
        }
        self.announcing.store(false, Ordering::Relaxed);
        self.finished.store(false, Ordering::Relaxed);
    }

    /// A listing's first page announced `total` repositories.
    pub(crate) fn announced(&self, total: u64) {
        self.announced.fetch_add(total, Ordering::Relaxed);
        self.announcing.store(true, Ordering::Relaxed);
    }

    /// A listing page delivered `count` repositories.
    pub(crate) fn listed(&self, count: usize) {
        self.listed.fetch_add(count as u64, Ordering::Relaxed);
    }

    /// A listed repository was dropped (by the filters, or as a repeat).
    pub(crate) fn skipped(&self) {
        self.skipped.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one of the source's events.
    pub(crate) fn record(&self, event: &InventoryEvent) {
        match event {
            InventoryEvent::Repository(repo) => {
                let tags = repo.tags.as_ref().map_or(0, |t| t.len() as u64);
                self.tags.fetch_add(tags, Ordering::Relaxed);
                self.repositories.fetch_add(1, Ordering::Relaxed);
            }
            InventoryEvent::Failure(_) => {
                self.errors.fetch_add(1, Ordering::Relaxed);
            }
            InventoryEvent::SourceFinished(_) => self.finished.store(true, Ordering::Relaxed),
            InventoryEvent::Registry(_) => {}
        }
    }

    fn snapshot(&self) -> SourceProgress {
        let repositories = self.repositories.load(Ordering::Relaxed);
        SourceProgress {
            name: self.name.clone(),
            repositories_announced: self
                .announcing
                .load(Ordering::Relaxed)
                .then(|| self.announced.load(Ordering::Relaxed)),
            repositories_listed: self.listed.load(Ordering::Relaxed),
            repositories_done: repositories.saturating_add(self.skipped.load(Ordering::Relaxed)),
            repositories,
            tags: self.tags.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            finished: self.finished.load(Ordering::Relaxed),
        }
    }
}

impl InventoryProgress {
    /// Counters for these sources, in order (every provider of the inventory, selected or not).
    pub(crate) fn new<'a>(sources: impl IntoIterator<Item = &'a Source>) -> Self {
        InventoryProgress {
            sources: sources
                .into_iter()
                .map(|source| {
                    Arc::new(SourceCounters {
                        name: source.name.clone(),
                        ..SourceCounters::default()
                    })
                })
                .collect(),
        }
    }

    /// The counters of the source at `index`, reset for a new run (counters of their own,
    /// read by nobody, for an index the handle does not know).
    pub(crate) fn start(&self, index: usize) -> Arc<SourceCounters> {
        match self.sources.get(index) {
            Some(counters) => {
                counters.reset();
                counters.clone()
            }
            None => Arc::default(),
        }
    }

    /// The source named `name`, now.
    pub fn source(&self, name: &str) -> Option<SourceProgress> {
        self.sources
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.snapshot())
    }

    /// Every source of the inventory (selected or not), in its order, now.
    pub fn sources(&self) -> Vec<SourceProgress> {
        self.sources.iter().map(|s| s.snapshot()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{ProviderKind, Repository, Tag};

    #[test]
    fn counters_add_up_and_a_new_run_starts_from_zero() {
        let source = Source::new("a", ProviderKind::NCP, "kr", "http://127.0.0.1:1");
        let progress = InventoryProgress::new([&source]);
        let counters = progress.start(0);
        assert_eq!(progress.sources()[0].repositories_announced, None);
        counters.announced(3);
        counters.announced(2);
        counters.listed(5);
        counters.skipped();
        let mut repo = Repository::new(&source, "reg", "app");
        repo.tags = Some(vec![Tag::new("v1"), Tag::new("v2")]);
        counters.record(&InventoryEvent::Repository(Box::new(repo)));
        let now = progress.source("a").unwrap();
        assert_eq!(now.repositories_announced, Some(5));
        assert_eq!(now.repositories_listed, 5);
        assert_eq!(now.repositories_done, 2);
        assert_eq!(now.repositories, 1);
        assert_eq!(now.tags, 2);
        assert!(!now.finished);

        progress.start(0);
        let again = progress.source("a").unwrap();
        assert_eq!(again.repositories_announced, None);
        assert_eq!(again.repositories_done, 0);
        progress.start(1).announced(9);
        assert_eq!(progress.sources().len(), 1);
        assert_eq!(progress.sources()[0].repositories_announced, None);
        assert!(progress.source("b").is_none());
    }
}
