//! The benchmark harness at a tiny size: every row of `cargo bench --bench inventory` is
//! produced, with complete inventories and sane counts. Never asserts a time.

#[path = "../benches/harness/mod.rs"]
mod harness;

use harness::report::{Report, Row, RowKind, Vendor};
use harness::Settings;

fn row<'a>(report: &'a Report, id: &str) -> &'a Row {
    report
        .row(id)
        .unwrap_or_else(|| panic!("row {id} is missing from\n{}", report.markdown()))
}

#[test]
fn the_harness_produces_every_row_at_a_tiny_size() {
    let settings = Settings::smoke();
    let report = harness::run(&settings).expect("the harness runs");
    let table = report.markdown();
    eprintln!("{table}");

    let rtt = row(&report, "round-trip");
    assert_eq!(rtt.requests, Some(u64::from(settings.round_trips)));
    assert_eq!(rtt.peak_in_flight, Some(1));
    assert!(rtt.round_trip().is_some());

    for vendor in [Vendor::Ncr, Vendor::Swr] {
        for depth in ["names", "full"] {
            for c in &settings.concurrency {
                let r = row(&report, &format!("{}-{depth}-c{c}", vendor.id()));
                assert!(r.skipped.is_none(), "{}", r.id);
                // Inventories were verified complete by the harness; the counts are sane.
                assert!(r.requests.unwrap() > 0, "{}", r.id);
                assert_eq!(
                    r.requests, r.fewest_requests,
                    "{}: more requests than needed",
                    r.id
                );
                assert!(r.peak_in_flight.unwrap() >= 1, "{}", r.id);
                assert!(
                    r.peak_in_flight.unwrap() <= *c as u64,
                    "{}: over the limit",
                    r.id
                );
                assert!(
                    r.wall.is_some() && r.bound.is_some() && r.ratio().is_some(),
                    "{}",
                    r.id
                );
                assert!(r.chain.unwrap() >= 1, "{}", r.id);
            }
            let sdk = row(&report, &format!("{}-{depth}-sdk", vendor.id()));
            assert!(sdk.requests.unwrap() > 0, "{}", sdk.id);
            assert_eq!(
                sdk.peak_in_flight,
                Some(1),
                "{}: one request at a time",
                sdk.id
            );
            let fast = row(
                &report,
                &format!("{}-{depth}-c{}", vendor.id(), settings.speedup_concurrency),
            );
            assert!(fast.speedup.is_some_and(|s| s > 0.0), "{}", fast.id);
        }
        // SWR names come with the repository listing: no tag requests.
        let names = row(&report, &format!("{}-names-c1", vendor.id()));
        let full = row(&report, &format!("{}-full-c1", vendor.id()));
        match vendor {
            Vendor::Swr => assert!(names.requests < full.requests),
            Vendor::Ncr => assert_eq!(names.requests, full.requests),
        }
    }

    for n in &settings.memory_repositories {
        let r = row(&report, &format!("memory-{n}"));
        match &r.skipped {
            Some(reason) => eprintln!("memory-{n} skipped: {reason}"),
            None => {
                assert!(r.peak_rss_kib.unwrap() > 0, "{}", r.id);
                assert!(r.requests.unwrap() > 0, "{}", r.id);
            }
        }
    }

    for id in ["decode-ncr-tags", "decode-swr-repos", "decode-swr-tags"] {
        let r = row(&report, id);
        assert!(matches!(r.kind, RowKind::Decode { .. }), "{id}");
        assert!(r.items_per_second.is_some_and(|v| v > 0.0), "{id}");
    }

    // Every row is in the table, and the targets are evaluated.
    for r in &report.rows {
        assert!(
            table.contains(&format!("| {} |", r.id)),
            "{} missing from the table",
            r.id
        );
    }
    assert!(table.contains("Targets (issues 7 and 13)"));

    // Issue 13's rows: complete (the harness verified), the adaptive limit reported.
    for id in [
        "ncr-full-auto",
        "swr-full-auto",
        "faults-20",
        "ratelimit-100",
        "throttle1-clean",
        "throttle1",
    ] {
        let r = row(&report, id);
        assert!(matches!(r.kind, RowKind::Adaptive { .. }), "{id}");
        assert!(r.requests.unwrap() >= r.fewest_requests.unwrap(), "{id}");
        assert!(r.notes.iter().any(|n| n.contains("limit reached")), "{id}");
    }
    // Issue 13.3's rows: SWR with and without the speculative second page, pages of 15 at
    // this size (7, 22, 30 and 75 repositories). Complete either way (the harness verified);
    // at most the one speculative request more on an account of one page, none on the others.
    for prefix in ["swr-spec", "swr-spec-warm"] {
        for (repositories, extra) in [(7, 0..=1), (22, 0..=0), (30, 0..=0), (75, 0..=0)] {
            let off = row(&report, &format!("{prefix}-{repositories}-off"));
            let on = row(&report, &format!("{prefix}-{repositories}-on"));
            assert_eq!(off.requests, off.fewest_requests, "{}", off.id);
            let (off, on) = (off.requests.unwrap(), on.requests.unwrap());
            assert!(
                on >= off && extra.contains(&(on - off)),
                "{prefix}-{repositories}: {off} -> {on}"
            );
        }
    }
    assert!(row(&report, "ratelimit-100").throttled_share.is_some());
    assert!(row(&report, "throttle1").slowdown.is_some());
    assert!(row(&report, "faults-20")
        .notes
        .iter()
        .any(|n| n.contains("identical to the fault-free run")));
}

#[test]
fn the_store_rows_at_a_tiny_size_see_every_change() {
    let settings = Settings::smoke();
    let figures = harness::store::run(&settings)
        .expect("the store rows run")
        .expect("selected");
    eprintln!("{}", figures.markdown());
    let sqlite = &figures.writes[0];
    assert_eq!(sqlite.backend, "SQLite");
    // Registries, repositories and tags of both vendors, every one written.
    assert!(
        sqlite.rows >= (2 * settings.repositories * (1 + settings.tags)) as u64,
        "{sqlite:?}"
    );
    let run = |label: &str| {
        figures
            .runs
            .iter()
            .find(|r| r.label == label)
            .unwrap_or_else(|| panic!("no {label} row"))
    };
    let full = run("full run");
    let same = run("incremental, no change");
    let changed = run("incremental, 1% changed");
    assert_eq!(same.identical, Some(true));
    assert_eq!(changed.identical, Some(true));
    assert!(full.tag_requests > 0);
    assert_eq!(same.tag_requests, 0, "nothing changed: no tag listing");
    assert_eq!(same.requests, full.requests - full.tag_requests);
    assert!(
        changed.tag_requests > 0,
        "the changed repositories are listed again"
    );
    assert!(changed.tag_requests < full.tag_requests);
    assert_eq!(same.reused as usize, 2 * settings.repositories);
}

#[test]
fn the_speculative_rows_compute_chains_and_requests_from_the_page_arithmetic() {
    use harness::speculative::{chain, fewest_requests, sizes};
    // 500 / 1,500 / 2,000 / 5,000 in pages of 1,000.
    assert_eq!(sizes(1000), vec![500, 1500, 2000, 5000]);
    let off: Vec<u64> = sizes(1000).iter().map(|&n| chain(n, 1000, false)).collect();
    let on: Vec<u64> = sizes(1000).iter().map(|&n| chain(n, 1000, true)).collect();
    assert_eq!(off, vec![1, 2, 3, 3]);
    assert_eq!(on, vec![1, 1, 2, 3]);
    assert_eq!(fewest_requests(500, 1000, false), 1);
    assert_eq!(fewest_requests(500, 1000, true), 2);
    assert_eq!(fewest_requests(2000, 1000, true), 3);
    assert_eq!(fewest_requests(1000, 1000, true), 2);
}
