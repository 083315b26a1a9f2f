//! `reginv` with a store, end to end: `demo --store` writes snapshots, `snapshots` lists them,
//! `diff` compares them (or two JSON reports) and `--exit-code` says whether anything changed;
//! the store comes from `--store`, `REGINV_STORE` or `[store] url`.

use std::process::Output;

use serde_json::Value;

mod common;
use common::{reginv, reginv_env, TempDir};

/// stdout as JSON, once the status says the run succeeded (0, or 3: changes found).
fn json(out: &Output) -> Value {
    assert!(
        out.status.success() || out.status.code() == Some(3),
        "status {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    common::json(out)
}

#[test]
fn demo_writes_snapshots_that_snapshots_lists_and_diff_compares() {
    let dir = TempDir::new("store");
    let store = format!("sqlite:{}", dir.join("inv.db").display());
    for _ in 0..2 {
        let out = reginv(&dir, &["demo", "--store", &store, "--format", "json"]);
        let report = json(&out);
        assert_eq!(report["complete"], true);
    }
    let runs = json(&reginv(
        &dir,
        &["snapshots", "--store", &store, "--format", "json"],
    ));
    let runs = runs.as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["id"], 1);
    assert_eq!(runs[1]["id"], 2);
    assert_eq!(runs[1]["status"], "complete");
    assert_eq!(runs[1]["depth"], "names");
    assert!(runs[1]["repositories"].as_u64().unwrap() > 0);
    assert!(runs[1]["tags"].as_u64().unwrap() > 0);

    let table = reginv(&dir, &["snapshots", "--store", &store, "--format", "table"]);
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.starts_with("ID  STARTED"), "{text}");

    // The latest finished run against the one before it: nothing changed.
    let out = reginv(
        &dir,
        &["diff", "--store", &store, "--format", "json", "--exit-code"],
    );
    assert_eq!(out.status.code(), Some(0));
    let d = json(&out);
    assert_eq!(d["schema_version"], 1);
    assert_eq!(
        (d["from"]["id"].clone(), d["to"]["id"].clone()),
        (1.into(), 2.into())
    );
    assert_eq!(d["changes"], serde_json::json!([]));
    assert_eq!(d["summary"]["tag_moved"], 0);

    // The store from REGINV_STORE, and from [store] url in ./reginv.toml.
    let out = reginv_env(
        &dir,
        &["snapshots", "--format", "json"],
        &[("REGINV_STORE", &store)],
    );
    assert_eq!(json(&out).as_array().unwrap().len(), 2);
    std::fs::write(
        dir.join("reginv.toml"),
        format!("[store]\nurl = \"{store}\"\n"),
    )
    .unwrap();
    let out = reginv(&dir, &["snapshots", "--format", "json"]);
    assert_eq!(json(&out).as_array().unwrap().len(), 2);
    let out = reginv(
        &dir,
        &["diff", "--from", "2", "--to", "1", "--format", "ndjson"],
    );
    let last = String::from_utf8(out.stdout).unwrap();
    let summary: Value = serde_json::from_str(last.lines().last().unwrap()).unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["from"]["id"], 2);
}

#[test]
fn diff_of_two_reports_finds_a_retag_and_exit_code_says_so() {
    let dir = TempDir::new("store");
    let out = reginv(&dir, &["demo", "--tags", "full", "--format", "json"]);
    let old = json(&out);
    let mut new = old.clone();
    let index = old["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .position(|r| r["tags"].as_array().is_some_and(|t| !t.is_empty()))
        .expect("a repository with tags");
    let repo = &mut new["repositories"][index];
    let registry = repo["registry"].as_str().unwrap().to_string();
    let name = repo["name"].as_str().unwrap().to_string();
    let tag = &mut repo["tags"][0];
    let tag_name = tag["name"].as_str().unwrap().to_string();
    tag["digest"] = "sha256:\u{1b}[31mretagged".into();
    std::fs::write(dir.join("old.json"), old.to_string()).unwrap();
    std::fs::write(dir.join("new.json"), new.to_string()).unwrap();

    let out = reginv(
        &dir,
        &[
            "diff",
            "old.json",
            "new.json",
            "--format",
            "json",
            "--exit-code",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(d["changes"].as_array().unwrap().len(), 1, "{d}");
    let change = &d["changes"][0];
    assert_eq!(change["kind"], "tag_moved");
    assert_eq!(change["registry"], registry.as_str());
    assert_eq!(change["repository"], name.as_str());
    assert_eq!(change["tag"], tag_name.as_str());
    assert_eq!(d["from"]["file"], "old.json");
    assert_eq!(d["summary"]["tag_moved"], 1);

    // Without --exit-code a change is no error; the table escapes what the server sent.
    let out = reginv(&dir, &["diff", "old.json", "new.json", "--format", "table"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("tag_moved"), "{text}");
    assert!(!text.contains('\u{1b}'), "{text:?}");
    assert!(text.contains("1 changes: 1 tag_moved"), "{text}");
}

#[test]
fn diff_and_snapshots_say_what_is_missing() {
    let dir = TempDir::new("store");
    let out = reginv(&dir, &["snapshots"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no store: give --store URL"));
    let store = format!("{}", dir.join("empty.db").display());
    let out = reginv(&dir, &["diff", "--store", &store]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no finished snapshot"));
    let out = reginv(&dir, &["diff", "only-one.json"]);
    assert_eq!(out.status.code(), Some(1), "a usage error");
    let out = reginv(&dir, &["diff", "a.json", "b.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read a.json"));
}

#[test]
fn postgres_store_through_the_cli() {
    let Ok(url) = std::env::var("REGINV_TEST_POSTGRES_URL") else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("REGINV_TEST_POSTGRES_URL is not set: CI must run the PostgreSQL tests");
        }
        eprintln!("postgres_store_through_the_cli: skipped: REGINV_TEST_POSTGRES_URL is not set");
        return;
    };
    let dir = TempDir::new("store");
    let before = json(&reginv(
        &dir,
        &["snapshots", "--store", &url, "--format", "json"],
    ));
    let count = before.as_array().unwrap().len();
    let out = reginv(&dir, &["demo", "--store", &url, "--format", "json"]);
    assert_eq!(json(&out)["complete"], true);
    let after = json(&reginv(
        &dir,
        &["snapshots", "--store", &url, "--format", "json"],
    ));
    let runs = after.as_array().unwrap();
    assert_eq!(runs.len(), count + 1);
    assert_eq!(runs.last().unwrap()["status"], "complete");
}

/// The report without what differs between two runs over the same data.
fn normalized(mut report: Value) -> Value {
    report["generated_at"] = Value::Null;
    for source in report["sources"].as_array_mut().unwrap() {
        let source = source.as_object_mut().unwrap();
        // Each demo's emulator listens on another port; where a source's adaptive concurrency
        // limit ends depends on how its requests interleaved.
        for key in [
            "requests",
            "retries",
            "elapsed_ms",
            "reused",
            "endpoint",
            "concurrency_limit",
        ] {
            source.remove(key);
        }
    }
    report
}

#[test]
fn an_incremental_demo_prints_the_full_runs_report_and_counts_reuse() {
    let dir = TempDir::new("store");
    let store = dir.join("inc.db").display().to_string();
    let full = json(&reginv(
        &dir,
        &[
            "demo", "--store", &store, "--tags", "full", "--format", "json",
        ],
    ));
    let inc = json(&reginv(
        &dir,
        &[
            "demo",
            "--store",
            &store,
            "--tags",
            "full",
            "--incremental",
            "--format",
            "json",
        ],
    ));
    let reused: u64 = inc["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["reused"].as_u64().unwrap())
        .sum();
    assert!(reused > 0, "{inc}");
    assert!(full["sources"][0].get("reused").is_none());
    // The snapshot marks exactly those repositories as reused, all in the incremental run (2).
    let marked = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let store = reginv_store::Store::open_str(&store).await.unwrap();
            store
                .query_text("SELECT CAST(run_id AS TEXT) FROM repositories WHERE tags_reused")
                .await
                .unwrap()
        });
    assert_eq!(marked.len() as u64, reused, "{marked:?}");
    assert!(marked.iter().all(|run| run == "2"), "{marked:?}");
    assert!(normalized(inc) == normalized(full), "the reports differ");
    let runs = json(&reginv(
        &dir,
        &["snapshots", "--store", &store, "--format", "json"],
    ));
    assert_eq!(runs[1]["incremental"], true);
    assert_eq!(runs[0]["incremental"], false);

    let out = reginv(&dir, &["demo", "--incremental"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--incremental needs a store"));
}
