//! Snapshots of real inventories of the emulator (over HTTP, real signing and paging), written
//! to every backend, and the diff between them: exactly the changes made to the fixture, and no
//! removal when a source fails.

mod common;

use common::{inventory, snapshot, start};
use reginv_emulator::fixture::{NcpImage, NcpTag};
use reginv_emulator::Fixture;
use reginv_store::diff::{diff, Diff, Side};
use reginv_store::Store;

async fn stored_diff(store: &Store, from: i64, to: i64) -> Diff {
    let old = Side::from_snapshot(store.snapshot(from).await.unwrap());
    let new = Side::from_snapshot(store.snapshot(to).await.unwrap());
    diff(&old, &new)
}

fn lines(d: &Diff) -> Vec<String> {
    let mut lines: Vec<String> = d
        .changes
        .iter()
        .map(|c| {
            let mut s = format!("{} {} {}", c.kind.as_str(), c.source, c.registry);
            if let Some(r) = &c.repository {
                s = format!("{s}/{r}");
            }
            if let Some(t) = &c.tag {
                s = format!("{s}:{t}");
            }
            s
        })
        .collect();
    lines.sort();
    lines
}

fn tag(name: &str, digest: &str, at_ms: i64) -> NcpTag {
    NcpTag {
        name: name.into(),
        digest: digest.into(),
        full_size: 1_000,
        created: at_ms,
        updated: at_ms,
        ..NcpTag::default()
    }
}

/// The sample with: in NCR `kr`/`acme-prod`, `payments/worker` deleted, `payments/new` pushed,
/// and in `payments/api` `v2.14.0` deleted, `v2.15.0` pushed and `latest` retagged; in SWR, the
/// first repository of the first namespace made public.
fn changed(sample: &Fixture) -> (Fixture, String) {
    let mut fixture = sample.clone();
    let later = 1_767_000_000_000;
    let kr = fixture.ncp.get_mut("kr").expect("kr");
    let prod = kr
        .iter_mut()
        .find(|r| r.name == "acme-prod")
        .expect("acme-prod");
    prod.images.retain(|i| i.name != "payments/worker");
    prod.images.push(NcpImage {
        name: "payments/new".into(),
        last_updated: later,
        tags: vec![tag("v1", "sha256:0001", later)],
        ..NcpImage::default()
    });
    let api = prod
        .images
        .iter_mut()
        .find(|i| i.name == "payments/api")
        .expect("payments/api");
    api.tags.retain(|t| t.name != "v2.14.0");
    api.tags.push(tag("v2.15.0", "sha256:0215", later));
    let latest = api
        .tags
        .iter_mut()
        .find(|t| t.name == "latest")
        .expect("latest");
    latest.digest = "sha256:0215".into();
    latest.updated = later;
    api.last_updated = later;
    let namespace = &mut fixture.swr.namespaces[0];
    let repo = &mut namespace.repos[0];
    assert!(
        !repo.is_public,
        "the sample's first SWR repository is private"
    );
    repo.is_public = true;
    let exposed = format!("repository_changed swr {}/{}", namespace.name, repo.name);
    (fixture, exposed)
}

#[tokio::test]
async fn two_runs_over_a_changed_fixture_give_exactly_those_changes() {
    for url in common::backends("two_runs_over_a_changed_fixture").await {
        let store = Store::open(&url).await.unwrap();
        let sample = Fixture::sample();
        let before = start(sample.clone()).await;
        let first = snapshot(&store, &inventory(&before, false)).await;
        before.shutdown().await;

        let (fixture, exposed) = changed(&sample);
        let after = start(fixture).await;
        let second = snapshot(&store, &inventory(&after, false)).await;
        after.shutdown().await;

        let d = stored_diff(&store, first, second).await;
        let mut expected = vec![
            "repository_added ncp-kr acme-prod/payments/new".to_string(),
            "repository_removed ncp-kr acme-prod/payments/worker".to_string(),
            "tag_added ncp-kr acme-prod/payments/api:v2.15.0".to_string(),
            "tag_moved ncp-kr acme-prod/payments/api:latest".to_string(),
            "tag_removed ncp-kr acme-prod/payments/api:v2.14.0".to_string(),
            exposed,
        ];
        expected.sort();
        assert_eq!(lines(&d), expected, "{url}");
        assert!(d.sources.iter().all(|s| s.comparable), "{:?}", d.sources);
        let moved = d
            .changes
            .iter()
            .find(|c| c.kind.as_str() == "tag_moved")
            .unwrap();
        assert_eq!(moved.after["digest"], "sha256:0215");
        let public = d
            .changes
            .iter()
            .find(|c| c.kind.as_str() == "repository_changed")
            .unwrap();
        let fields = public.fields.as_ref().unwrap();
        assert_eq!(fields.len(), 1);
        assert_eq!(fields[0].name, "public");
        assert_eq!(
            (&fields[0].before, &fields[0].after),
            (&serde_json::json!(false), &serde_json::json!(true))
        );

        // The same data again: nothing changed.
        let again = start(sample_changed_again(&sample)).await;
        let third = snapshot(&store, &inventory(&again, false)).await;
        again.shutdown().await;
        assert!(
            !stored_diff(&store, second, third).await.has_changes(),
            "{url}"
        );
    }
}

fn sample_changed_again(sample: &Fixture) -> Fixture {
    changed(sample).0
}

#[tokio::test]
async fn a_source_that_fails_in_the_second_run_shows_no_removals() {
    for url in common::backends("a_source_that_fails").await {
        let store = Store::open(&url).await.unwrap();
        let sample = Fixture::sample();
        let emulator = start(sample).await;
        let first = snapshot(&store, &inventory(&emulator, false)).await;
        let second = snapshot(&store, &inventory(&emulator, true)).await;
        emulator.shutdown().await;

        let snapshot = store.snapshot(second).await.unwrap();
        assert!(!snapshot.report.complete, "the SWR source failed");
        let d = stored_diff(&store, first, second).await;
        assert!(!d.has_changes(), "{url}: {:?}", lines(&d));
        let swr = d.sources.iter().find(|s| s.name == "swr").unwrap();
        assert!(!swr.comparable);
        assert!(swr
            .reason
            .as_deref()
            .unwrap()
            .contains(&format!("run {second}")));
        assert!(d
            .sources
            .iter()
            .filter(|s| s.name != "swr")
            .all(|s| s.comparable));
    }
}
