//! The store's behaviour, run against every backend: SQLite, and PostgreSQL when the test
//! server is there (`.ci/services/postgres.sh`; under `CI=true` it must be).

mod common;

use chrono::{TimeZone, Utc};
use reginv::{
    ErrorKind, Failure, InventoryEvent, InventoryReport, Platform, ProviderKind, Registry,
    Repository, Source, SourceStatus, SourceSummary, Tag, TagDepth,
};
use reginv_store::{RunPlan, RunStatus, SnapshotWriter, Store, StoreError, StoreUrl};
use serde_json::json;

fn source(name: &str) -> Source {
    Source::new(
        name,
        ProviderKind::NCP,
        "kr",
        format!("http://127.0.0.1:1/{name}"),
    )
}

fn full_repo(src: &str, registry: &str, name: &str, tags: &[(&str, &str)]) -> Repository {
    let mut repo = Repository::new(&source(src), registry, name);
    repo.pull_uri = Some(format!("{registry}.kr.ncr.ntruss.com/{name}"));
    repo.description = Some("the API".into());
    repo.public = Some(false);
    repo.tag_immutable = Some(true);
    repo.tag_count = Some(tags.len() as u64);
    repo.size_bytes = Some(123_456);
    repo.pull_count = Some(42);
    repo.created_at = Some(Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap());
    repo.updated_at = Some(Utc.timestamp_millis_opt(1_714_566_600_123).unwrap());
    repo.extra.insert("image_id".into(), json!(7));
    repo.tags = Some(
        tags.iter()
            .map(|(name, digest)| {
                let mut tag = Tag::new(*name);
                tag.digest = Some((*digest).into());
                tag.size_bytes = Some(61_728);
                tag.created_at = Some(Utc.with_ymd_and_hms(2024, 5, 1, 12, 30, 0).unwrap());
                tag.updated_at = Some(Utc.with_ymd_and_hms(2024, 5, 2, 12, 30, 0).unwrap());
                tag.last_pulled_at = Some(Utc.with_ymd_and_hms(2024, 5, 3, 12, 30, 0).unwrap());
                tag.scanned = Some(true);
                tag.media_type = Some("application/vnd.oci.image.index.v1+json".into());
                tag.is_index = Some(true);
                let mut platform = Platform::new();
                platform.os = Some("linux".into());
                platform.architecture = Some("arm64".into());
                platform.variant = Some("v8".into());
                platform.digest = Some("sha256:p".into());
                platform.size_bytes = Some(30_864);
                platform.extra.insert("layers".into(), json!([1, 2]));
                tag.platforms = vec![platform];
                tag.extra.insert("creator".into(), json!("ci"));
                tag
            })
            .collect(),
    );
    repo
}

fn summary(name: &str, repositories: u64, tags: u64, errors: u64) -> SourceSummary {
    let mut s = SourceSummary::new(&source(name));
    s.registries = 1;
    s.concurrency_limit = Some(12);
    s.paced_rps = Some(94);
    s.repositories = repositories;
    s.tags = tags;
    s.errors = errors;
    s.status = SourceStatus::from_counts(repositories, errors);
    s.requests = 9;
    s.retries = 1;
    s.throttled = 1;
    s.page_size = Some(100);
    s.elapsed_ms = 12;
    s
}

fn failure(src: &str, operation: &str, target: Option<&str>) -> Failure {
    let mut f = Failure::new(&source(src), operation, ErrorKind::Server, "boom");
    f.target = target.map(str::to_string);
    f.status = Some(503);
    f.code = Some("E1".into());
    f.request_id = Some("req-9".into());
    f
}

async fn write(store: &Store, plan: &RunPlan, events: &[InventoryEvent]) -> i64 {
    let mut writer = store.begin_run(plan).await.expect("begin");
    for event in events {
        writer.push(event).await.expect("push");
    }
    let complete = !events
        .iter()
        .any(|e| matches!(e, InventoryEvent::Failure(_)));
    writer.finish(complete).await.expect("finish")
}

/// A run of source `a` with one repository written (and flushed), not finished.
async fn part_of_a_run(store: &Store) -> SnapshotWriter {
    let mut writer = store.begin_run(&plan(&["a"])).await.unwrap();
    writer
        .push(&InventoryEvent::Repository(Box::new(full_repo(
            "a",
            "r",
            "x",
            &[],
        ))))
        .await
        .unwrap();
    writer.flush().await.unwrap();
    writer
}

fn plan(sources: &[&str]) -> RunPlan {
    RunPlan::new(TagDepth::Full, sources.iter().map(|s| source(s)).collect())
}

#[tokio::test]
async fn a_snapshot_reads_back_as_the_report_it_was_written_from() {
    for url in common::backends("a_snapshot_reads_back").await {
        let store = Store::open(&url).await.unwrap();
        let repos = vec![
            full_repo(
                "a",
                "acme",
                "team/api",
                &[("1.0", "sha256:1"), ("latest", "sha256:2")],
            ),
            full_repo("a", "acme", "web", &[]),
            {
                let mut untagged = full_repo("b", "zeta", "solo", &[]);
                untagged.tags = None;
                untagged
            },
        ];
        let errors = vec![failure("b", "list_tags", Some("zeta/other"))];
        let events: Vec<InventoryEvent> = vec![
            InventoryEvent::Repository(Box::new(repos[1].clone())),
            InventoryEvent::Repository(Box::new(repos[2].clone())),
            InventoryEvent::Failure(errors[0].clone()),
            InventoryEvent::SourceFinished(summary("b", 1, 0, 1)),
            InventoryEvent::Repository(Box::new(repos[0].clone())),
            InventoryEvent::SourceFinished(summary("a", 2, 2, 0)),
        ];
        let id = write(&store, &plan(&["a", "b"]), &events).await;
        let snapshot = store.snapshot(id).await.unwrap();
        let mut expected = InventoryReport::new(
            vec![summary("a", 2, 2, 0), summary("b", 1, 0, 1)],
            repos,
            errors,
        );
        expected.generated_at = snapshot.run.started;
        assert_eq!(snapshot.report, expected, "{url}");
        let registries: Vec<(&str, &str)> = snapshot
            .registries
            .iter()
            .map(|r| (r.source.as_str(), r.name.as_str()))
            .collect();
        assert_eq!(registries, [("a", "acme"), ("b", "zeta")]);

        let runs = store.runs().await.unwrap();
        assert_eq!(runs.len(), 1);
        let run = &runs[0];
        assert_eq!(run.id, id);
        assert_eq!(run.status, RunStatus::Incomplete);
        assert_eq!(run.depth, TagDepth::Full);
        assert!(run.finished.is_some());
        assert_eq!(
            (run.sources, run.registries, run.repositories, run.tags),
            (2, 2, 3, 2)
        );
    }
}

#[tokio::test]
async fn listed_registries_keep_their_fields_and_a_complete_run_says_so() {
    for url in common::backends("listed_registries").await {
        let store = Store::open(&url).await.unwrap();
        let mut writer = store.begin_run(&plan(&["a"])).await.unwrap();
        let repo = full_repo("a", "acme", "api", &[("v1", "sha256:1")]);
        writer
            .push(&InventoryEvent::Repository(Box::new(repo)))
            .await
            .unwrap();
        let mut registry = Registry::new(&source("a"), "acme");
        registry.public = Some(true);
        registry.scan_on_push = Some(false);
        registry.status = Some("running".into());
        registry.pull_endpoint = Some("acme.kr.ncr.ntruss.com".into());
        registry.created_at = Some(Utc.with_ymd_and_hms(2023, 1, 1, 0, 0, 0).unwrap());
        registry.extra.insert("bucket".into(), json!("acme-images"));
        writer
            .push(&InventoryEvent::Registry(Box::new(registry.clone())))
            .await
            .unwrap();
        writer
            .push(&InventoryEvent::SourceFinished(summary("a", 1, 1, 0)))
            .await
            .unwrap();
        let id = writer.finish(true).await.unwrap();
        let snapshot = store.snapshot(id).await.unwrap();
        assert_eq!(snapshot.registries, vec![registry], "{url}");
        assert_eq!(snapshot.run.status, RunStatus::Complete);
        assert!(snapshot.report.complete);
    }
}

#[tokio::test]
async fn two_concurrent_writers_never_mix_runs_and_ids_never_collide() {
    for url in common::backends("two_concurrent_writers").await {
        // Two connections, as two reginv processes would have.
        let first = Store::open(&url).await.unwrap();
        let second = Store::open(&url).await.unwrap();
        let mut a = first.begin_run(&plan(&["a"])).await.unwrap();
        let mut b = second.begin_run(&plan(&["b"])).await.unwrap();
        assert_ne!(a.id(), b.id());
        for i in 0..1_500 {
            let ra = full_repo("a", "ra", &format!("r{i:04}"), &[("t", "sha256:a")]);
            let rb = full_repo("b", "rb", &format!("r{i:04}"), &[("t", "sha256:b")]);
            let (ea, eb) = (
                InventoryEvent::Repository(Box::new(ra)),
                InventoryEvent::Repository(Box::new(rb)),
            );
            let (x, y) = tokio::join!(a.push(&ea), b.push(&eb));
            x.unwrap();
            y.unwrap();
        }
        a.push(&InventoryEvent::SourceFinished(summary(
            "a", 1_500, 1_500, 0,
        )))
        .await
        .unwrap();
        b.push(&InventoryEvent::SourceFinished(summary(
            "b", 1_500, 1_500, 0,
        )))
        .await
        .unwrap();
        let (ia, ib) = tokio::join!(a.finish(true), b.finish(true));
        let (ia, ib) = (ia.unwrap(), ib.unwrap());
        for (id, src) in [(ia, "a"), (ib, "b")] {
            let report = first.snapshot(id).await.unwrap().report;
            assert_eq!(report.repositories.len(), 1_500, "{url}");
            assert!(report.repositories.iter().all(|r| r.source == src));
            assert_eq!(report.tag_count(), 1_500);
            assert!(report
                .repositories
                .iter()
                .flat_map(|r| r.tags.iter().flatten())
                .all(|t| t.digest.as_deref()
                    == Some(if src == "a" { "sha256:a" } else { "sha256:b" })));
        }
        let third = second.begin_run(&plan(&["a"])).await.unwrap();
        assert!(third.id() > ia.max(ib), "ids increase");
        third.interrupt().await.unwrap();
    }
}

#[tokio::test]
async fn a_run_is_running_until_finished_and_a_dropped_writer_leaves_no_finished_run() {
    for url in common::backends("running_until_finished").await {
        let store = Store::open(&url).await.unwrap();
        let writer = part_of_a_run(&store).await;
        let id = writer.id();
        let run = store.run(id).await.unwrap();
        assert_eq!(run.status, RunStatus::Running, "{url}");
        assert_eq!(run.finished, None);
        assert!(store.finished_runs().await.unwrap().is_empty());
        let interrupted = writer.interrupt().await.unwrap();
        let run = store.run(interrupted).await.unwrap();
        assert_eq!(run.status, RunStatus::Interrupted);
        assert!(!run.status.is_finished());
        // A source that never finished has no summary in the snapshot.
        assert!(store.snapshot(id).await.unwrap().report.sources.is_empty());
        assert!(matches!(
            store.run(id + 100).await,
            Err(StoreError::NotFound(_))
        ));
    }
}

/// The child half of [`a_killed_writer_leaves_an_aborted_run`]: writes part of a run, says
/// READY, and waits to be killed.
#[tokio::test]
#[ignore = "helper process of a_killed_writer_leaves_an_aborted_run"]
async fn killed_writer_child() {
    let Ok(url) = std::env::var("REGINV_STORE_CHILD_URL") else {
        return;
    };
    let store = Store::open(&StoreUrl::parse(&url).unwrap()).await.unwrap();
    let writer = part_of_a_run(&store).await;
    println!("READY {}", writer.id());
    tokio::time::sleep(std::time::Duration::from_secs(120)).await;
}

#[tokio::test]
async fn a_killed_writer_leaves_an_aborted_run() {
    use std::io::{BufRead, BufReader};
    for url in common::backends("a_killed_writer").await {
        let url_text = match &url {
            StoreUrl::Sqlite(path) => format!("sqlite:{}", path.display()),
            other => std::env::var(common::POSTGRES_VAR)
                .map(|base| {
                    // The test database's name, with the server's credentials.
                    let StoreUrl::Postgres(pg) = other else {
                        unreachable!()
                    };
                    let (head, query) = base.split_once('?').unwrap_or((&base, ""));
                    let server = head.rsplit_once('/').map_or(head, |(h, _)| h);
                    format!("{server}/{}?{query}", pg.dbname)
                })
                .unwrap(),
        };
        let store = Store::open(&url).await.unwrap();
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "killed_writer_child",
                "--include-ignored",
                "--nocapture",
            ])
            .env("REGINV_STORE_CHILD_URL", &url_text)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let id: i64 = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find_map(|line| line.strip_prefix("READY ").map(|id| id.parse().unwrap()))
            .expect("the child wrote a run");
        assert_eq!(
            store.run(id).await.unwrap().status,
            RunStatus::Running,
            "{url}"
        );
        child.kill().unwrap();
        child.wait().unwrap();
        // PostgreSQL notices the dead connection (and drops its lock) a moment later.
        let mut status = store.run(id).await.unwrap().status;
        for _ in 0..100 {
            if status != RunStatus::Running {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
            status = store.run(id).await.unwrap().status;
        }
        assert_eq!(status, RunStatus::Aborted, "{url}");
        assert!(store.finished_runs().await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn a_store_of_an_older_schema_is_migrated_and_a_newer_one_refused() {
    for url in common::backends("migrations").await {
        let old = Store::open_at_version(&url, 1).await.unwrap();
        assert_eq!(old.schema_version().await.unwrap(), 1, "{url}");
        // Rows as a version-1 store holds them. No source summary: today's writer records
        // columns that later migrations add (run_sources.registries, version 3).
        let events = [InventoryEvent::Repository(Box::new(full_repo(
            "a",
            "r",
            "x",
            &[("v", "sha256:1")],
        )))];
        let id = write(&old, &plan(&["a"]), &events).await;
        drop(old);
        let new = Store::open(&url).await.unwrap();
        assert_eq!(
            new.schema_version().await.unwrap(),
            reginv_store::SCHEMA_VERSION
        );
        let snapshot = new.snapshot(id).await.unwrap();
        assert_eq!(snapshot.report.repositories.len(), 1);
        assert_eq!(snapshot.run.status, RunStatus::Complete);
        // Opening again applies nothing twice.
        drop(new);
        let again = Store::open(&url).await.unwrap();
        assert_eq!(again.runs().await.unwrap().len(), 1);
        drop(again);
        bump_schema(&url).await;
        match Store::open(&url).await {
            Err(StoreError::NewerSchema { found: 99, .. }) => {}
            other => panic!("{url}: {other:?}"),
        }
    }
}

/// Marks the store as written by a future reginv (schema 99).
async fn bump_schema(url: &StoreUrl) {
    let store = Store::open(url).await.unwrap();
    store
        .execute_batch("INSERT INTO reginv_schema (version, applied_at) VALUES (99, 'future')")
        .await
        .unwrap();
}

#[tokio::test]
async fn the_latest_views_take_each_source_from_its_latest_complete_run() {
    for url in common::backends("latest_views").await {
        let store = Store::open(&url).await.unwrap();
        let first = write(
            &store,
            &plan(&["a", "b"]),
            &[
                InventoryEvent::Repository(Box::new(full_repo(
                    "a",
                    "r",
                    "old",
                    &[("v", "sha256:1")],
                ))),
                InventoryEvent::Repository(Box::new(full_repo(
                    "b",
                    "s",
                    "kept",
                    &[("v", "sha256:2")],
                ))),
                InventoryEvent::SourceFinished(summary("a", 1, 1, 0)),
                InventoryEvent::SourceFinished(summary("b", 1, 1, 0)),
            ],
        )
        .await;
        let second = write(
            &store,
            &plan(&["a", "b"]),
            &[
                InventoryEvent::Repository(Box::new(full_repo(
                    "a",
                    "r",
                    "new",
                    &[("v", "sha256:3")],
                ))),
                InventoryEvent::Failure(failure("b", "list_registries", None)),
                InventoryEvent::SourceFinished(summary("a", 1, 1, 0)),
                InventoryEvent::SourceFinished(summary("b", 0, 0, 1)),
            ],
        )
        .await;
        assert!(second > first);
        let rows = store
            .query_text(
                "SELECT source || ':' || name || ':' || CAST(run_id AS TEXT) FROM latest_repositories ORDER BY source, name",
            )
            .await
            .unwrap();
        assert_eq!(
            rows,
            [format!("a:new:{second}"), format!("b:kept:{first}")],
            "{url}"
        );
        let tags = store
            .query_text("SELECT source || ':' || repository || ':' || digest FROM latest_tags ORDER BY source")
            .await
            .unwrap();
        assert_eq!(tags, ["a:new:sha256:3", "b:kept:sha256:2"]);
        let registries = store
            .query_text("SELECT source || ':' || name FROM latest_registries ORDER BY source")
            .await
            .unwrap();
        assert_eq!(registries, ["a:r", "b:s"]);
    }
}

#[tokio::test]
async fn postgres_over_tls_encrypts_and_verify_full_checks_the_certificate() {
    let Some(db) = common::postgres_db("postgres_over_tls").await else {
        return;
    };
    let Ok(root) = std::env::var("REGINV_TEST_POSTGRES_ROOT_CERT") else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("REGINV_TEST_POSTGRES_ROOT_CERT is not set: CI must run the TLS tests");
        }
        eprintln!("postgres_over_tls: skipped: REGINV_TEST_POSTGRES_ROOT_CERT is not set");
        return;
    };
    let encrypted = |store: Store| async move {
        store
            .query_text("SELECT CAST(ssl AS TEXT) FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .await
            .unwrap()
    };
    let plain = Store::open_str(&format!("{db}?sslmode=disable"))
        .await
        .unwrap();
    assert_eq!(encrypted(plain).await, ["false"]);
    let require = Store::open_str(&format!("{db}?sslmode=require"))
        .await
        .unwrap();
    assert_eq!(encrypted(require).await, ["true"]);
    let verified = Store::open_str(&format!("{db}?sslmode=verify-full&sslrootcert={root}"))
        .await
        .unwrap();
    assert_eq!(encrypted(verified).await, ["true"]);
    // The server's self-signed certificate is not in the web PKI: verify-full refuses it.
    match Store::open_str(&format!("{db}?sslmode=verify-full")).await {
        Err(StoreError::Open { message, .. }) => {
            assert!(message.to_lowercase().contains("certificate"), "{message}")
        }
        other => panic!("verify-full accepted an untrusted certificate: {other:?}"),
    }
}
