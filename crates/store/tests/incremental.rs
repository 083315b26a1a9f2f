//! Incremental runs against the emulator, on every backend: after no change only the listing
//! requests are sent and the report is the full run's; a pushed, retagged or deleted tag is
//! always seen.

mod common;

use std::sync::Arc;

use common::{inventory, snapshot, start};
use reginv::{Inventory, InventoryReport};
use reginv_emulator::{Emulator, Fixture};
use reginv_store::diff::{diff, Side};
use reginv_store::{RunPlan, Store};

/// `inventory` made incremental over `store`.
async fn incremental(store: &Store, inventory: Inventory) -> Inventory {
    let plan = RunPlan::of(&inventory).incremental(true);
    let reuse = store.reuse_for(&plan).await.unwrap();
    let options = inventory.options().clone().with_reuse(Arc::new(reuse));
    inventory.with_options(options).unwrap()
}

/// Tag listing requests the emulator received.
fn tag_requests(emulator: &Emulator) -> u64 {
    let stats = emulator.stats();
    stats
        .by_route
        .iter()
        .filter(|(route, _)| route.ends_with("/tags"))
        .map(|(_, by_status)| by_status.values().sum::<u64>())
        .sum()
}

/// Repositories listed without an update time.
fn unfingerprinted(report: &InventoryReport) -> u64 {
    report
        .repositories
        .iter()
        .filter(|r| r.updated_at.is_none())
        .count() as u64
}

/// The report without what differs between any two runs over the same data (request counts,
/// times, reuse counts, where the adaptive concurrency limit ended).
fn comparable(mut report: InventoryReport) -> InventoryReport {
    report.generated_at = chrono::DateTime::UNIX_EPOCH;
    for source in &mut report.sources {
        source.requests = 0;
        source.retries = 0;
        source.elapsed_ms = 0;
        source.reused = None;
        // Where the adaptive limit and pace end depends on how the requests interleaved.
        source.concurrency_limit = None;
        source.paced_rps = None;
    }
    report
}

#[tokio::test]
async fn after_no_change_only_listings_are_sent_and_the_report_is_the_same() {
    for url in common::backends("incremental_after_no_change").await {
        let store = Store::open(&url).await.unwrap();
        let emulator = start(Fixture::sample()).await;
        let full = snapshot(&store, &inventory(&emulator, false)).await;
        assert!(tag_requests(&emulator) > 0);
        let listing_requests = emulator.stats().requests - tag_requests(&emulator);

        let full = store.snapshot(full).await.unwrap().report;
        // A repository the provider gives no update time (the sample's empty one) has no
        // fingerprint: it is always listed again (one tag page).
        let unknown = unfingerprinted(&full);
        assert_eq!(
            unknown, 1,
            "the sample has one repository without an update time"
        );

        emulator.reset_stats();
        let inc = snapshot(
            &store,
            &incremental(&store, inventory(&emulator, false)).await,
        )
        .await;
        assert_eq!(
            tag_requests(&emulator),
            unknown,
            "{url}: no other tag listing"
        );
        assert_eq!(
            emulator.stats().requests,
            listing_requests + unknown,
            "only the listings"
        );
        emulator.shutdown().await;

        let inc = store.snapshot(inc).await.unwrap().report;
        let reused: u64 = inc.sources.iter().map(|s| s.reused.unwrap_or(0)).sum();
        assert_eq!(
            reused,
            full.repositories.len() as u64 - unknown,
            "every other one reused"
        );
        assert!(inc.sources.iter().all(|s| s.reused.is_some()));
        assert!(full.sources.iter().all(|s| s.reused.is_none()));
        assert_eq!(comparable(inc), comparable(full), "{url}");
    }
}

/// The sample with a tag pushed and one deleted in SWR (the deletion without moving the
/// repository's update time: its tag count says it), and in NCR a tag pushed and one retagged
/// (NCR's listing says it only by `last_updated`, which a push moves).
fn pushed_retagged_deleted(sample: &Fixture) -> Fixture {
    let mut fixture = sample.clone();
    let later_ms = 1_767_000_000_000;
    let later = chrono::DateTime::from_timestamp_millis(later_ms).unwrap();
    let repos = &mut fixture.swr.namespaces[0].repos;
    let with_tags = repos
        .iter()
        .position(|r| r.tags.len() >= 2)
        .expect("an SWR repo with 2 tags");
    let repo = &mut repos[with_tags];
    let mut pushed = repo.tags[0].clone();
    pushed.name = "pushed".into();
    pushed.digest = "sha256:9999".into();
    repo.tags.push(pushed);
    repo.updated = later;
    let other = repos
        .iter()
        .position(|r| r.tags.len() >= 2 && r.name != repos[with_tags].name);
    let deleted_in = other.unwrap_or(with_tags);
    repos[deleted_in].tags.remove(0);

    let kr = fixture.ncp.get_mut("kr").expect("kr");
    let image = kr
        .iter_mut()
        .flat_map(|r| r.images.iter_mut())
        .find(|i| i.tags.len() >= 2)
        .expect("an NCR image with 2 tags");
    image.tags[0].digest = "sha256:8888".into();
    image.tags[0].updated = later_ms;
    let mut new_tag = image.tags[1].clone();
    new_tag.name = "fresh".into();
    image.tags.push(new_tag);
    image.last_updated = later_ms;
    fixture
}

#[tokio::test]
async fn a_pushed_retagged_or_deleted_tag_is_always_seen() {
    for url in common::backends("incremental_sees_changes").await {
        let store = Store::open(&url).await.unwrap();
        let sample = Fixture::sample();
        let before = start(sample.clone()).await;
        let baseline = snapshot(&store, &inventory(&before, false)).await;
        before.shutdown().await;

        let after = start(pushed_retagged_deleted(&sample)).await;
        let inc = snapshot(&store, &incremental(&store, inventory(&after, false)).await).await;
        let full = snapshot(&store, &inventory(&after, false)).await;
        after.shutdown().await;

        let inc_report = store.snapshot(inc).await.unwrap().report;
        let full_report = store.snapshot(full).await.unwrap().report;
        assert_eq!(comparable(inc_report), comparable(full_report), "{url}");
        let reused: u64 = store
            .snapshot(inc)
            .await
            .unwrap()
            .report
            .sources
            .iter()
            .map(|s| s.reused.unwrap_or(0))
            .sum();
        let d = diff(
            &Side::from_snapshot(store.snapshot(baseline).await.unwrap()),
            &Side::from_snapshot(store.snapshot(inc).await.unwrap()),
        );
        let kinds: Vec<&str> = d.changes.iter().map(|c| c.kind.as_str()).collect();
        for kind in ["tag_added", "tag_removed", "tag_moved"] {
            assert!(
                kinds.contains(&kind),
                "{url}: {kind} missing from {kinds:?}"
            );
        }
        assert_eq!(d.summary.values().sum::<u64>(), 4, "{kinds:?}");
        // Only the three changed repositories (and the one without a fingerprint) were
        // listed again.
        let inc_report = store.snapshot(inc).await.unwrap().report;
        let total = inc_report.repositories.len() as u64;
        assert_eq!(reused, total - 3 - unfingerprinted(&inc_report), "{url}");
    }
}
