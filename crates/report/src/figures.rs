//! The numbers the page shows, computed once from an [`InventoryReport`].
//!
//! Every figure is a plain sum over the report, so the page's totals equal the report's: the
//! repositories are `report.repositories.len()`, the tags are the tags listed (or, for a
//! repository listed without its tags, the count its provider reported), and a repository's size
//! is the size its provider reported, else the sum of its tags' sizes when any is known.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use reginv::{InventoryReport, Repository, Tag};
use serde::Serialize;

/// How many registries the size chart names before grouping the rest.
pub const LARGEST_REGISTRIES: usize = 10;

/// The headline figures and the series behind the charts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Figures {
    /// Totals over the whole report.
    pub totals: Totals,
    /// One row per provider kind, in order of first appearance among the sources.
    pub by_provider: Vec<Breakdown>,
    /// One row per source, in the report's order (sources that listed nothing included).
    pub by_source: Vec<SourceFigures>,
    /// Size per registry, largest first: the [`LARGEST_REGISTRIES`] largest, then the rest
    /// grouped in one entry (`grouped > 0`).
    pub size_by_registry: Vec<RegistrySize>,
    /// Tags by the age of their last push, relative to the report's `generated_at`.
    pub tags_by_push_age: Vec<Bucket>,
    /// Tags by their last pull, for sources whose provider reports pull times.
    pub tags_by_last_pull: Vec<Bucket>,
}

/// Totals over the whole report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Sources in the report.
    pub sources: u64,
    /// Of those, sources whose status is `ok`.
    pub sources_ok: u64,
    /// Distinct registries (NCR registries, SWR namespaces, …) that hold a listed repository.
    pub registries: u64,
    /// Repositories listed.
    pub repositories: u64,
    /// Tags: listed, or as reported by the repository when its tags were not listed.
    pub tags: u64,
    /// The sum of every repository's size, in bytes (see the module docs).
    pub size_bytes: u64,
    /// Repositories whose size nobody reported (not counted in `size_bytes`).
    pub size_unknown: u64,
    /// Failures recorded.
    pub errors: u64,
    /// Whether the report says nothing failed.
    pub complete: bool,
}

/// Totals of one slice of the report (one provider).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Breakdown {
    /// The provider kind or source name.
    pub name: String,
    /// Sources of that slice.
    pub sources: u64,
    /// Distinct registries.
    pub registries: u64,
    /// Repositories.
    pub repositories: u64,
    /// Tags.
    pub tags: u64,
    /// Size in bytes.
    pub size_bytes: u64,
}

/// One source's figures and status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceFigures {
    /// The source label.
    pub name: String,
    /// Its provider kind.
    pub provider: String,
    /// Its region.
    pub region: String,
    /// `ok`, `partial` or `failed`.
    pub status: String,
    /// Distinct registries.
    pub registries: u64,
    /// Repositories listed.
    pub repositories: u64,
    /// Tags.
    pub tags: u64,
    /// Size in bytes.
    pub size_bytes: u64,
    /// Failures recorded for it.
    pub errors: u64,
}

/// One bar of the size-by-registry chart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RegistrySize {
    /// `source / registry`, or `N other registries` for the grouped rest.
    pub label: String,
    /// Size in bytes.
    pub size_bytes: u64,
    /// How many registries this entry groups (0 for a single registry).
    pub grouped: u64,
}

/// A count of tags in one bucket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Bucket {
    /// What the bucket holds, in words.
    pub label: String,
    /// How many tags.
    pub count: u64,
}

/// A repository's size: the provider's figure, else the sum of its tags' known sizes.
pub fn repository_size(repo: &Repository) -> Option<u64> {
    repo.size_bytes.or_else(|| {
        let sizes: Vec<u64> = repo
            .tags
            .iter()
            .flatten()
            .filter_map(|t| t.size_bytes)
            .collect();
        (!sizes.is_empty()).then(|| sizes.iter().sum())
    })
}

/// A repository's tag count: the tags listed, else the count its provider reported.
pub fn repository_tags(repo: &Repository) -> u64 {
    match &repo.tags {
        Some(tags) => tags.len() as u64,
        None => repo.tag_count.unwrap_or(0),
    }
}

/// When a tag was last pushed: its update time, else its creation time.
pub fn pushed_at(tag: &Tag) -> Option<DateTime<Utc>> {
    tag.updated_at.or(tag.created_at)
}

#[derive(Default)]
struct Acc {
    sources: u64,
    registries: BTreeSet<String>,
    repositories: u64,
    tags: u64,
    size_bytes: u64,
}

impl Acc {
    fn add(&mut self, repo: &Repository) {
        self.registries
            .insert(format!("{}\u{0}{}", repo.source, repo.registry));
        self.repositories += 1;
        self.tags += repository_tags(repo);
        self.size_bytes += repository_size(repo).unwrap_or(0);
    }

    fn breakdown(&self, name: &str) -> Breakdown {
        Breakdown {
            name: name.to_string(),
            sources: self.sources,
            registries: self.registries.len() as u64,
            repositories: self.repositories,
            tags: self.tags,
            size_bytes: self.size_bytes,
        }
    }
}

impl Figures {
    /// The figures of `report`; ages are measured from `report.generated_at`.
    pub fn of(report: &InventoryReport) -> Figures {
        let mut total = Acc::default();
        let mut size_unknown = 0;
        let mut providers: Vec<(String, Acc)> = Vec::new();
        let mut sources: BTreeMap<&str, Acc> = BTreeMap::new();
        let provider_of: BTreeMap<&str, &str> = report
            .sources
            .iter()
            .map(|s| (s.name.as_str(), s.provider.as_str()))
            .collect();
        let provider_slot = |name: &str, providers: &mut Vec<(String, Acc)>| -> usize {
            match providers.iter().position(|(n, _)| n == name) {
                Some(i) => i,
                None => {
                    providers.push((name.to_string(), Acc::default()));
                    providers.len() - 1
                }
            }
        };
        for source in &report.sources {
            let slot = provider_slot(source.provider.as_str(), &mut providers);
            providers[slot].1.sources += 1;
        }
        let mut registry_sizes: BTreeMap<(&str, &str), u64> = BTreeMap::new();
        for repo in &report.repositories {
            total.add(repo);
            if repository_size(repo).is_none() {
                size_unknown += 1;
            }
            let provider = provider_of
                .get(repo.source.as_str())
                .copied()
                .unwrap_or(repo.provider.as_str());
            let slot = provider_slot(provider, &mut providers);
            providers[slot].1.add(repo);
            sources.entry(repo.source.as_str()).or_default().add(repo);
            *registry_sizes
                .entry((repo.source.as_str(), repo.registry.as_str()))
                .or_default() += repository_size(repo).unwrap_or(0);
        }
        let errors_of = |name: &str| report.errors.iter().filter(|e| e.source == name).count();
        let empty = Acc::default();
        let by_source = report
            .sources
            .iter()
            .map(|s| {
                let acc = sources.get(s.name.as_str()).unwrap_or(&empty);
                SourceFigures {
                    name: s.name.clone(),
                    provider: s.provider.as_str().to_string(),
                    region: s.region.clone(),
                    status: s.status.as_str().to_string(),
                    registries: acc.registries.len() as u64,
                    repositories: acc.repositories,
                    tags: acc.tags,
                    size_bytes: acc.size_bytes,
                    errors: errors_of(&s.name) as u64,
                }
            })
            .collect();
        Figures {
            totals: Totals {
                sources: report.sources.len() as u64,
                sources_ok: report
                    .sources
                    .iter()
                    .filter(|s| s.status == reginv::SourceStatus::Ok)
                    .count() as u64,
                registries: total.registries.len() as u64,
                repositories: total.repositories,
                tags: total.tags,
                size_bytes: total.size_bytes,
                size_unknown,
                errors: report.errors.len() as u64,
                complete: report.complete,
            },
            by_provider: providers.iter().map(|(n, a)| a.breakdown(n)).collect(),
            by_source,
            size_by_registry: largest_registries(registry_sizes),
            tags_by_push_age: push_ages(report),
            tags_by_last_pull: last_pulls(report),
        }
    }
}

fn largest_registries(sizes: BTreeMap<(&str, &str), u64>) -> Vec<RegistrySize> {
    let mut sizes: Vec<((&str, &str), u64)> = sizes.into_iter().collect();
    sizes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut bars: Vec<RegistrySize> = sizes
        .iter()
        .take(LARGEST_REGISTRIES)
        .map(|((source, registry), size)| RegistrySize {
            label: format!("{source} / {registry}"),
            size_bytes: *size,
            grouped: 0,
        })
        .collect();
    let rest = &sizes[sizes.len().min(LARGEST_REGISTRIES)..];
    if !rest.is_empty() {
        bars.push(RegistrySize {
            label: format!("{} other registries", rest.len()),
            size_bytes: rest.iter().map(|(_, s)| s).sum(),
            grouped: rest.len() as u64,
        });
    }
    bars
}

/// The push-age buckets: upper bound in days (exclusive) and label.
const PUSH_AGES: [(i64, &str); 5] = [
    (7, "under 7 days"),
    (30, "7–30 days"),
    (90, "30–90 days"),
    (365, "90 days–1 year"),
    (i64::MAX, "over 1 year"),
];

fn push_ages(report: &InventoryReport) -> Vec<Bucket> {
    let mut counts = [0u64; PUSH_AGES.len() + 1];
    for tag in report
        .repositories
        .iter()
        .flat_map(|r| r.tags.iter().flatten())
    {
        let slot = match pushed_at(tag) {
            None => PUSH_AGES.len(),
            Some(at) => {
                let days = (report.generated_at - at).num_days();
                PUSH_AGES
                    .iter()
                    .position(|(limit, _)| days < *limit)
                    .unwrap_or(PUSH_AGES.len() - 1)
            }
        };
        counts[slot] += 1;
    }
    let mut buckets: Vec<Bucket> = PUSH_AGES
        .iter()
        .zip(counts)
        .map(|((_, label), count)| Bucket {
            label: label.to_string(),
            count,
        })
        .collect();
    buckets.push(Bucket {
        label: "push time unknown".into(),
        count: counts[PUSH_AGES.len()],
    });
    buckets
}

/// Tags by last pull. A source "reports pulls" when any of its tags carries a pull time; in
/// such a source a tag without one was never pulled. Tags of other sources are counted as
/// "not reported" (the page says so rather than calling them never pulled).
fn last_pulls(report: &InventoryReport) -> Vec<Bucket> {
    let reporting: BTreeSet<&str> = report
        .repositories
        .iter()
        .filter(|r| r.tags.iter().flatten().any(|t| t.last_pulled_at.is_some()))
        .map(|r| r.source.as_str())
        .collect();
    let (mut never, mut stale, mut recent, mut unreported) = (0, 0, 0, 0);
    for repo in &report.repositories {
        let reports = reporting.contains(repo.source.as_str());
        for tag in repo.tags.iter().flatten() {
            match (reports, tag.last_pulled_at) {
                (false, _) => unreported += 1,
                (true, None) => never += 1,
                (true, Some(at)) if (report.generated_at - at).num_days() > 90 => stale += 1,
                (true, Some(_)) => recent += 1,
            }
        }
    }
    [
        ("never pulled", never),
        ("last pull over 90 days ago", stale),
        ("pulled in the last 90 days", recent),
        ("pulls not reported by the provider", unreported),
    ]
    .into_iter()
    .map(|(label, count)| Bucket {
        label: label.into(),
        count,
    })
    .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::Duration;
    use reginv::{ErrorKind, Failure, ProviderKind, Source, SourceStatus, SourceSummary};

    pub(crate) fn source(name: &str, provider: ProviderKind) -> Source {
        Source::new(name, provider, "kr", "http://127.0.0.1:1")
    }

    /// Two sources (one NCR-like with sizes and pull times, one SWR-like with repository
    /// sizes only), a third that failed, one failure.
    pub(crate) fn sample() -> InventoryReport {
        let ncp = source("ncp-kr", ProviderKind::NCP);
        let swr = source("swr-ap", ProviderKind::HUAWEI);
        let broken = source("ncp-jpn", ProviderKind::NCP);
        let now = Utc::now();
        let mut repos = Vec::new();
        for (registry, name, sizes) in [
            ("prod", "team/api", vec![(10, 2, Some(1)), (20, 40, None)]),
            ("prod", "team/web", vec![(5, 100, Some(200))]),
            ("dev", "tools", vec![]),
        ] {
            let mut repo = Repository::new(&ncp, registry, name);
            repo.tags = Some(
                sizes
                    .iter()
                    .enumerate()
                    .map(|(i, (size, pushed_days, pulled_days))| {
                        let mut tag = Tag::new(format!("v{i}"));
                        tag.size_bytes = Some(*size);
                        tag.updated_at = Some(now - Duration::days(*pushed_days));
                        tag.last_pulled_at = pulled_days.map(|d| now - Duration::days(d));
                        tag
                    })
                    .collect(),
            );
            repos.push(repo);
        }
        let mut swr_repo = Repository::new(&swr, "ns", "app");
        swr_repo.size_bytes = Some(1000);
        swr_repo.tags = Some(vec![Tag::new("latest"), Tag::new("1.0")]);
        repos.push(swr_repo);
        let mut no_tags = Repository::new(&swr, "ns2", "big");
        no_tags.tag_count = Some(7);
        repos.push(no_tags);
        let summary = |s: &Source, repositories: u64, tags: u64, errors: u64| {
            let mut summary = SourceSummary::new(s);
            summary.repositories = repositories;
            summary.tags = tags;
            summary.errors = errors;
            summary.status = SourceStatus::from_counts(repositories, errors);
            summary
        };
        let mut report = InventoryReport::new(
            vec![
                summary(&ncp, 3, 3, 0),
                summary(&swr, 2, 2, 0),
                summary(&broken, 0, 0, 1),
            ],
            repos,
            vec![Failure::new(
                &broken,
                "list_registries",
                ErrorKind::Authentication,
                "signature mismatch",
            )],
        );
        report.generated_at = now;
        report
    }

    #[test]
    fn totals_equal_the_reports_totals() {
        let report = sample();
        let figures = Figures::of(&report);
        let t = &figures.totals;
        assert_eq!(t.sources, report.sources.len() as u64);
        assert_eq!(t.sources_ok, 2);
        assert_eq!(t.repositories, report.repositories.len() as u64);
        assert_eq!(
            t.repositories,
            report.sources.iter().map(|s| s.repositories).sum::<u64>()
        );
        // Listed tags (the report's own count) plus the 7 of the repository listed without.
        assert_eq!(t.tags, report.tag_count() + 7);
        assert_eq!(t.registries, 4);
        // 10+20 and 5 from tags, 1000 from the SWR repository, nothing for `tools` or `big`.
        assert_eq!(t.size_bytes, 35 + 1000);
        assert_eq!(t.size_unknown, 2);
        assert_eq!(t.errors, 1);
        assert!(!t.complete);
    }

    #[test]
    fn breakdowns_add_up_to_the_totals() {
        let figures = Figures::of(&sample());
        let t = &figures.totals;
        for (repositories, tags, size, registries) in [
            figures
                .by_provider
                .iter()
                .map(|b| (b.repositories, b.tags, b.size_bytes, b.registries))
                .fold((0, 0, 0, 0), |a, b| {
                    (a.0 + b.0, a.1 + b.1, a.2 + b.2, a.3 + b.3)
                }),
            figures
                .by_source
                .iter()
                .map(|b| (b.repositories, b.tags, b.size_bytes, b.registries))
                .fold((0, 0, 0, 0), |a, b| {
                    (a.0 + b.0, a.1 + b.1, a.2 + b.2, a.3 + b.3)
                }),
        ] {
            assert_eq!(
                (repositories, tags, size, registries),
                (t.repositories, t.tags, t.size_bytes, t.registries)
            );
        }
        let names: Vec<&str> = figures
            .by_provider
            .iter()
            .map(|b| b.name.as_str())
            .collect();
        assert_eq!(names, ["ncp", "huawei"]);
        assert_eq!(figures.by_provider[0].sources, 2);
        let broken = &figures.by_source[2];
        assert_eq!((broken.status.as_str(), broken.errors), ("failed", 1));
    }

    #[test]
    fn charts_count_every_tag_once() {
        let report = sample();
        let figures = Figures::of(&report);
        let listed = report.tag_count();
        assert_eq!(
            figures
                .tags_by_push_age
                .iter()
                .map(|b| b.count)
                .sum::<u64>(),
            listed
        );
        assert_eq!(
            figures
                .tags_by_last_pull
                .iter()
                .map(|b| b.count)
                .sum::<u64>(),
            listed
        );
        let ages: Vec<u64> = figures.tags_by_push_age.iter().map(|b| b.count).collect();
        // pushed 2, 40 and 100 days ago; the two SWR tags have no time.
        assert_eq!(ages, [1, 0, 1, 1, 0, 2]);
        let pulls: Vec<u64> = figures.tags_by_last_pull.iter().map(|b| b.count).collect();
        // never (v1 of team/api), >90 days (team/web), recent (v0), SWR's two unreported.
        assert_eq!(pulls, [1, 1, 1, 2]);
        let sizes: u64 = figures.size_by_registry.iter().map(|b| b.size_bytes).sum();
        assert_eq!(sizes, figures.totals.size_bytes);
    }

    #[test]
    fn the_size_chart_groups_all_but_the_largest_registries() {
        let s = source("s", ProviderKind::OCI);
        let repos = (0..15u64)
            .map(|i| {
                let mut repo = Repository::new(&s, format!("reg{i:02}"), "app");
                repo.size_bytes = Some(i + 1);
                repo
            })
            .collect();
        let report = InventoryReport::new(vec![SourceSummary::new(&s)], repos, vec![]);
        let bars = Figures::of(&report).size_by_registry;
        assert_eq!(bars.len(), LARGEST_REGISTRIES + 1);
        assert_eq!(bars[0].label, "s / reg14");
        assert_eq!(bars[0].size_bytes, 15);
        let rest = &bars[LARGEST_REGISTRIES];
        assert_eq!((rest.grouped, rest.size_bytes), (5, 1 + 2 + 3 + 4 + 5));
        assert_eq!(rest.label, "5 other registries");
    }
}
