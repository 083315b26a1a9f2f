//! The facade's rows with a provider written here: registries as events (empty ones included),
//! tag counts from complete tag listings, sizes derived once per distinct digest, and details
//! merged in when asked.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use reginv::{
    Capabilities, Cursor, Error, ErrorKind, Inventory, InventoryOptions, Page, ProviderKind,
    Registry, RegistryProvider, Repository, RepositoryQuery, RepositoryRef, Result, Source,
    TagDepth,
};

/// Registries `full` (repositories `app`, `broken`) and `empty`; `app` has tags `1.0` and
/// `latest` (one image: same digest) and `2.0`; `broken`'s tag listing fails after one tag.
#[derive(Debug)]
struct Fake {
    source: Source,
    across: bool,
    details: AtomicU64,
}

impl Fake {
    fn new(across: bool) -> Self {
        Fake {
            source: Source::new("fake", ProviderKind::new("fake"), "local", "memory://"),
            across,
            details: AtomicU64::new(0),
        }
    }

    fn shared(across: bool) -> Arc<dyn RegistryProvider> {
        Arc::new(Fake::new(across))
    }

    fn tag(name: &str, digest: &str, size: u64) -> reginv::Tag {
        let mut tag = reginv::Tag::new(name);
        tag.digest = Some(digest.into());
        tag.size_bytes = Some(size);
        tag
    }
}

#[async_trait]
impl RegistryProvider for Fake {
    fn source(&self) -> &Source {
        &self.source
    }

    fn capabilities(&self) -> Capabilities {
        let mut caps = Capabilities::default();
        caps.lists_repositories_across_registries = self.across;
        caps.repository_listing_has_tag_names = false;
        caps.filters_names_server_side = false;
        caps
    }

    async fn registries_page(&self, cursor: Option<Cursor>) -> Result<Page<Registry>> {
        let mut full = Registry::new(&self.source, "full");
        full.status = Some("running".into());
        let items = vec![full, Registry::new(&self.source, "empty")];
        Ok(Page::new(items, first_page(cursor, 100), None, Some(2)))
    }

    async fn repositories_page(
        &self,
        query: &RepositoryQuery,
        cursor: Option<Cursor>,
    ) -> Result<Page<Repository>> {
        let items = match query.registry.as_deref() {
            Some("full") | None => ["app", "broken"]
                .iter()
                .map(|n| {
                    let mut repo = Repository::new(&self.source, "full", *n);
                    repo.tag_count = Some(99);
                    repo
                })
                .collect(),
            _ => Vec::new(),
        };
        let n = items.len() as u64;
        Ok(Page::new(items, first_page(cursor, 100), None, Some(n)))
    }

    async fn tags_page(
        &self,
        repo: &RepositoryRef,
        cursor: Option<Cursor>,
    ) -> Result<Page<reginv::Tag>> {
        match (repo.name.as_str(), cursor) {
            ("app", cursor) => {
                let items = vec![
                    Fake::tag("1.0", "sha256:a", 100),
                    Fake::tag("latest", "sha256:a", 100),
                    Fake::tag("2.0", "sha256:b", 30),
                ];
                Ok(Page::new(items, first_page(cursor, 100), None, Some(3)))
            }
            (_, None) => Ok(Page::new(
                vec![Fake::tag("x", "sha256:x", 1)],
                Cursor::Page { number: 1, size: 1 },
                Some(Cursor::Page { number: 2, size: 1 }),
                Some(2),
            )),
            (_, Some(_)) => Err(Error::new(ErrorKind::Server, "tag page 2 failed")),
        }
    }

    async fn get_repository(&self, repo: &RepositoryRef) -> Result<Repository> {
        self.details.fetch_add(1, Ordering::SeqCst);
        let mut detail = Repository::new(&self.source, &repo.registry, &repo.name);
        detail.tag_immutable = Some(true);
        detail.tag_count = Some(7);
        detail.description = Some("from the detail".into());
        detail
            .extra
            .insert("detail_only".into(), serde_json::json!(1));
        Ok(detail)
    }
}

/// Page 1 (of 100) when no cursor was given.
fn first_page(cursor: Option<Cursor>, size: u32) -> Cursor {
    cursor.unwrap_or(Cursor::Page { number: 1, size })
}

fn inventory(provider: Arc<dyn RegistryProvider>, options: InventoryOptions) -> Inventory {
    Inventory::new(vec![provider])
        .with_options(options)
        .unwrap()
}

#[tokio::test]
async fn registries_are_reported_empty_ones_included() {
    let report = inventory(Fake::shared(false), InventoryOptions::new())
        .collect()
        .await;
    let names: Vec<&str> = report.registries.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["empty", "full"]);
    assert_eq!(report.registries[1].status.as_deref(), Some("running"));
    assert_eq!(report.sources[0].registries, 2);

    // A provider listing across registries lists them only when asked.
    let report = inventory(Fake::shared(true), InventoryOptions::new())
        .collect()
        .await;
    assert!(report.registries.is_empty());
    let report = inventory(
        Fake::shared(true),
        InventoryOptions::new().with_registry_rows(true),
    )
    .collect()
    .await;
    let names: Vec<&str> = report.registries.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["empty", "full"]);

    // A registry filter keeps only the registries it names.
    let mut filter = reginv::Filter::default();
    filter.registries = vec!["empty".into()];
    let report = inventory(
        Fake::shared(true),
        InventoryOptions::new()
            .with_registry_rows(true)
            .with_filter(filter),
    )
    .collect()
    .await;
    let names: Vec<&str> = report.registries.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["empty"]);
}

#[tokio::test]
async fn tag_counts_come_from_complete_listings_and_sizes_from_distinct_digests() {
    for depth in [TagDepth::Names, TagDepth::Full] {
        let report = inventory(
            Fake::shared(false),
            InventoryOptions::new().with_depth(depth),
        )
        .collect()
        .await;
        let app = &report.repositories[0];
        assert_eq!(app.name, "app");
        assert_eq!(app.tag_count, Some(3), "the listing's total at {depth}");
        let broken = &report.repositories[1];
        assert_eq!(
            broken.tag_count,
            Some(99),
            "an incomplete listing keeps what the provider said"
        );
        if depth == TagDepth::Full {
            assert_eq!(app.size_bytes, Some(130), "sha256:a once, sha256:b once");
            assert_eq!(
                broken.size_bytes, None,
                "not derived from a partial listing"
            );
        } else {
            assert_eq!(app.size_bytes, None, "names carry no sizes");
        }
    }
    let report = inventory(
        Fake::shared(false),
        InventoryOptions::new().with_depth(TagDepth::None),
    )
    .collect()
    .await;
    assert_eq!(report.repositories[0].tag_count, Some(99), "nothing listed");
}

#[tokio::test]
async fn details_are_fetched_only_when_asked_and_fill_the_gaps() {
    let fake = Arc::new(Fake::new(false));
    let report = inventory(
        fake.clone(),
        InventoryOptions::new().with_depth(TagDepth::None),
    )
    .collect()
    .await;
    assert_eq!(fake.details.load(Ordering::SeqCst), 0);
    assert_eq!(report.repositories[0].tag_immutable, None);

    let report = inventory(
        fake.clone(),
        InventoryOptions::new()
            .with_depth(TagDepth::None)
            .with_details(true),
    )
    .collect()
    .await;
    assert_eq!(fake.details.load(Ordering::SeqCst), 2, "one per repository");
    let app = &report.repositories[0];
    assert_eq!(app.tag_immutable, Some(true));
    assert_eq!(app.description.as_deref(), Some("from the detail"));
    assert_eq!(app.tag_count, Some(99), "the listing's value is kept");
    assert_eq!(app.extra["detail_only"], serde_json::json!(1));
}
