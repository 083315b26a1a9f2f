//! The `reginv` binary end to end: `demo` in every format, `inventory` against an emulator
//! started here (config file, filters, `--output`), configuration errors, partial failure and
//! secrets. Only 127.0.0.1 is ever contacted.

use std::collections::BTreeSet;
use std::fs;

use reginv_emulator::Fixture;
use serde_json::Value;

mod common;
use common::{config_for, json, reginv, reginv_async, sample_emulator, stderr, stdout, TempDir};

/// The CSV header the README documents.
const CSV_HEADER: [&str; 24] = [
    "source",
    "provider",
    "region",
    "registry",
    "repository",
    "full_name",
    "pull_uri",
    "public",
    "repo_tag_count",
    "repo_size_bytes",
    "pull_count",
    "repo_created_at",
    "repo_updated_at",
    "tag",
    "digest",
    "tag_size_bytes",
    "tag_created_at",
    "tag_updated_at",
    "tag_last_pulled_at",
    "platforms",
    "repo_tag_immutable",
    "tag_scanned",
    "tag_media_type",
    "tag_is_index",
];

fn sample_repositories() -> usize {
    let f = Fixture::sample();
    f.ncp_repository_count() + f.swr_repository_count()
}

/// Registries of the sample: NCR registries of every region and SWR namespaces.
fn sample_registries() -> usize {
    let f = Fixture::sample();
    f.ncp.values().map(Vec::len).sum::<usize>() + f.swr.namespaces.len()
}

fn sample_tags() -> usize {
    let f = Fixture::sample();
    f.ncp_tag_count() + f.swr_tag_count()
}

/// Repositories of the sample without any tag (each still gets one CSV row).
fn sample_untagged_repositories() -> usize {
    let f = Fixture::sample();
    let ncp = f
        .ncp
        .values()
        .flatten()
        .flat_map(|reg| &reg.images)
        .filter(|image| image.tags.is_empty())
        .count();
    let swr = f
        .swr
        .namespaces
        .iter()
        .flat_map(|ns| &ns.repos)
        .filter(|repo| repo.tags.is_empty())
        .count();
    ncp + swr
}

// ---- demo ------------------------------------------------------------------------------------

#[test]
fn demo_json_is_the_whole_sample_and_complete() {
    let dir = TempDir::new("demo-json");
    let out = reginv(dir.path(), &["demo", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["complete"], true);
    assert!(doc["generated_at"].is_string());
    assert_eq!(doc["errors"], Value::Array(vec![]));
    let repos = doc["repositories"].as_array().unwrap();
    assert_eq!(repos.len(), sample_repositories());
    let tags: usize = repos
        .iter()
        .map(|r| r["tags"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(tags, sample_tags());
    let sources = doc["sources"].as_array().unwrap();
    assert!(sources.len() >= 2, "{sources:?}");
    assert!(sources.iter().all(|s| s["status"] == "ok"));
    let providers: BTreeSet<&str> = sources
        .iter()
        .map(|s| s["provider"].as_str().unwrap())
        .collect();
    assert_eq!(providers, BTreeSet::from(["huawei", "ncp"]));
    for field in [
        "source",
        "provider",
        "region",
        "registry",
        "name",
        "full_name",
        "pull_uri",
    ] {
        assert!(repos[0].get(field).is_some(), "repository field {field}");
    }
    // Not a terminal: no progress line, and nothing else on stderr either.
    assert_eq!(stderr(&out), "");
}

#[test]
fn demo_ndjson_streams_events_and_ends_with_a_summary() {
    let dir = TempDir::new("demo-ndjson");
    let out = reginv(dir.path(), &["demo", "--format", "ndjson"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let types: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    assert_eq!(types.last(), Some(&"summary"));
    assert_eq!(types.iter().filter(|t| **t == "summary").count(), 1);
    assert!(types
        .iter()
        .all(|t| ["registry", "repository", "source", "summary"].contains(t)));
    let registries = types.iter().filter(|t| **t == "registry").count();
    assert_eq!(registries, sample_registries());
    let repositories = types.iter().filter(|t| **t == "repository").count();
    assert_eq!(repositories, sample_repositories());
    let summary = lines.last().unwrap();
    assert_eq!(summary["complete"], true);
    assert_eq!(summary["repositories"], repositories as u64);
    assert_eq!(summary["tags"], sample_tags() as u64);
    assert_eq!(summary["errors"], 0);
    let source_lines = types.iter().filter(|t| **t == "source").count();
    assert_eq!(summary["sources"].as_array().unwrap().len(), source_lines);
    // A source's line comes after all of its repositories.
    for (i, line) in lines.iter().enumerate() {
        if line["type"] == "source" {
            let name = &line["name"];
            assert!(lines[i..]
                .iter()
                .all(|l| !(l["type"] == "repository" && &l["source"] == name)));
        }
    }
}

#[test]
fn demo_csv_has_the_documented_header_and_a_row_per_tag() {
    let dir = TempDir::new("demo-csv");
    let out = reginv(dir.path(), &["demo", "--format", "csv"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, CSV_HEADER);
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().unwrap();
    // One row per tag, plus one (with empty tag columns) per repository without tags.
    let untagged = sample_untagged_repositories();
    assert!(untagged > 0, "the sample has repositories without tags");
    assert_eq!(rows.len(), sample_tags() + untagged);
    assert_eq!(rows.iter().filter(|r| r[13].is_empty()).count(), untagged);

    let out = reginv(dir.path(), &["demo", "--format", "csv", "--tags", "none"]);
    assert_eq!(out.status.code(), Some(0));
    let rows = csv::Reader::from_reader(out.stdout.as_slice())
        .records()
        .count();
    assert_eq!(rows, sample_repositories());
}

#[test]
fn demo_full_depth_carries_digests_and_platforms() {
    let dir = TempDir::new("demo-full");
    let out = reginv(dir.path(), &["demo", "--format", "json", "--tags", "full"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let doc = json(&out);
    let tags: Vec<&Value> = doc["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["tags"].as_array().unwrap())
        .collect();
    assert_eq!(tags.len(), sample_tags());
    assert!(tags.iter().all(|t| t["digest"]
        .as_str()
        .is_some_and(|d| d.starts_with("sha256:"))));
    assert!(tags
        .iter()
        .any(|t| t["platforms"].as_array().is_some_and(|p| p.len() > 1)));
}

#[test]
fn demo_table_lists_repositories_and_a_line_per_source() {
    let dir = TempDir::new("demo-table");
    let out = reginv(dir.path(), &["demo", "--format", "table"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let text = stdout(&out);
    let header = text.lines().next().unwrap();
    for column in [
        "SOURCE",
        "REGISTRY",
        "REPOSITORY",
        "TAGS",
        "SIZE",
        "PULLS",
        "UPDATED",
    ] {
        assert!(header.contains(column), "{header}");
    }
    let fixture = Fixture::sample();
    let some_repo = &fixture.swr.namespaces[0].repos[0].name;
    assert!(text.contains(some_repo.as_str()), "{text}");
    assert!(
        text.contains("STATUS") && text.contains("REQUESTS"),
        "{text}"
    );
    assert!(text.contains("Complete:"), "{text}");
}

#[test]
fn demo_output_file_is_written_and_stdout_stays_empty() {
    let dir = TempDir::new("demo-output");
    let target = dir.path().join("inventory.json");
    let out = reginv(
        dir.path(),
        &[
            "demo",
            "--format",
            "json",
            "--output",
            target.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert!(out.stdout.is_empty());
    let doc: Value = serde_json::from_str(&fs::read_to_string(&target).unwrap()).unwrap();
    assert_eq!(
        doc["repositories"].as_array().unwrap().len(),
        sample_repositories()
    );
    let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), 1, "no temporary file left behind");
}

// ---- inventory against an emulator started here ---------------------------------------------

/// Every `registry/name` of the fixture, NCR and SWR.
fn fixture_full_names(fixture: &Fixture) -> BTreeSet<(String, String)> {
    let mut names = BTreeSet::new();
    for (region, registries) in &fixture.ncp {
        for reg in registries {
            for image in &reg.images {
                names.insert((
                    format!("ncp-{region}"),
                    format!("{}/{}", reg.name, image.name),
                ));
            }
        }
    }
    for ns in &fixture.swr.namespaces {
        for repo in &ns.repos {
            names.insert(("swr-ap".to_string(), format!("{}/{}", ns.name, repo.name)));
        }
    }
    names
}

fn report_full_names(doc: &Value) -> BTreeSet<(String, String)> {
    doc["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["source"].as_str().unwrap().to_string(),
                r["full_name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inventory_lists_every_repository_of_the_config() {
    let emulator = sample_emulator().await;
    let dir = TempDir::new("inventory");
    fs::write(dir.path().join("reginv.toml"), config_for(&emulator, None)).unwrap();

    // ./reginv.toml is found without --config.
    let out = reginv_async(dir.path(), &["inventory", "--format", "json"]).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["complete"], true);
    let expected = fixture_full_names(&emulator.fixture());
    assert_eq!(report_full_names(&doc), expected);
    assert_eq!(
        doc["repositories"].as_array().unwrap().len(),
        expected.len(),
        "each repository exactly once"
    );
    let sources: Vec<&str> = doc["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    let mut configured: Vec<String> = emulator
        .fixture()
        .ncp
        .keys()
        .map(|r| format!("ncp-{r}"))
        .collect();
    configured.push("swr-ap".into());
    assert_eq!(sources, configured, "sources in config order");
    // Deterministic order: source (config order), registry, name.
    let order: Vec<(usize, String, String)> = doc["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let source = r["source"].as_str().unwrap();
            (
                configured.iter().position(|c| c == source).unwrap(),
                r["registry"].as_str().unwrap().to_string(),
                r["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inventory_filters_by_source_registry_and_repository() {
    let emulator = sample_emulator().await;
    let dir = TempDir::new("filters");
    let config = dir.path().join("custom.toml");
    fs::write(&config, config_for(&emulator, None)).unwrap();
    let config = config.to_str().unwrap();
    let all = fixture_full_names(&emulator.fixture());

    let out = reginv_async(
        dir.path(),
        &[
            "inventory",
            "--config",
            config,
            "--format",
            "json",
            "--source",
            "swr-ap",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let doc = json(&out);
    let expected: BTreeSet<_> = all.iter().filter(|(s, _)| s == "swr-ap").cloned().collect();
    assert!(!expected.is_empty());
    assert_eq!(report_full_names(&doc), expected);
    assert_eq!(doc["sources"].as_array().unwrap().len(), 1);

    let registry = emulator.fixture().ncp["kr"][0].name.clone();
    let out = reginv_async(
        dir.path(),
        &[
            "inventory",
            "--config",
            config,
            "--format",
            "json",
            "--source",
            "ncp-kr",
            "--registry",
            &registry,
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let expected: BTreeSet<_> = all
        .iter()
        .filter(|(_, n)| n.starts_with(&format!("{registry}/")))
        .cloned()
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(report_full_names(&json(&out)), expected);

    // A glob on the repository name (not the registry).
    let some_repo = emulator.fixture().swr.namespaces[0].repos[0].name.clone();
    let out = reginv_async(
        dir.path(),
        &[
            "inventory",
            "--config",
            config,
            "--format",
            "json",
            "--repo",
            &some_repo,
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let found = report_full_names(&json(&out));
    assert!(!found.is_empty());
    assert!(
        found
            .iter()
            .all(|(_, n)| n.ends_with(&format!("/{some_repo}"))),
        "{found:?}"
    );

    // --output writes the file (CSV here), atomically.
    let target = dir.path().join("out.csv");
    let out = reginv_async(
        dir.path(),
        &[
            "inventory",
            "--config",
            config,
            "--format",
            "csv",
            "--tags",
            "none",
            "--output",
            target.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert!(out.stdout.is_empty());
    let rows = csv::Reader::from_path(&target).unwrap().records().count();
    assert_eq!(rows, all.len());
    assert!(
        fs::read_dir(dir.path()).unwrap().count() == 2,
        "no temporary file left"
    );

    // An unknown source is an error, not an empty "complete" inventory.
    let out = reginv_async(
        dir.path(),
        &["inventory", "--config", config, "--source", "nope"],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("nope"), "{}", stderr(&out));
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_credentials_on_one_source_exit_2_and_name_it() {
    let emulator = sample_emulator().await;
    let dir = TempDir::new("bad-creds");
    let bad = "wrong-secret-for-ncp-kr-0123456789";
    fs::write(
        dir.path().join("reginv.toml"),
        config_for(&emulator, Some(bad)),
    )
    .unwrap();
    for format in ["json", "ndjson", "csv", "table"] {
        let out = reginv_async(dir.path(), &["inventory", "--format", format, "-v"]).await;
        assert_eq!(out.status.code(), Some(2), "{format}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("ncp-kr"), "{format}: {err}");
        assert!(err.contains("authentication"), "{format}: {err}");
        assert!(
            !err.contains(bad) && !stdout(&out).contains(bad),
            "secret leaked"
        );
        if format == "json" {
            let doc = json(&out);
            assert_eq!(doc["complete"], false);
            let errors = doc["errors"].as_array().unwrap();
            assert!(!errors.is_empty());
            assert!(errors.iter().all(|e| e["source"] == "ncp-kr"));
            let kr = doc["sources"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["name"] == "ncp-kr")
                .unwrap();
            assert_eq!(kr["status"], "failed");
            // The other sources still listed everything.
            let others: BTreeSet<_> = fixture_full_names(&emulator.fixture())
                .into_iter()
                .filter(|(s, _)| s != "ncp-kr")
                .collect();
            assert_eq!(report_full_names(&doc), others);
        }
    }

    // When that is the only source selected, nothing could be listed: exit 1, but the report
    // (with its error) is still written.
    let out = reginv_async(
        dir.path(),
        &["inventory", "--format", "json", "--source", "ncp-kr"],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["sources"][0]["status"], "failed");
    assert_eq!(doc["repositories"], Value::Array(vec![]));
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_appear_even_with_verbose_logs() {
    let emulator = sample_emulator().await;
    let dir = TempDir::new("secrets");
    fs::write(dir.path().join("reginv.toml"), config_for(&emulator, None)).unwrap();
    let secrets = [
        emulator.ncp_credentials().secret_key.expose().to_string(),
        emulator.swr_credentials().secret_key.expose().to_string(),
    ];
    for args in [
        &["inventory", "--format", "json", "-vv"][..],
        &["inventory", "--format", "table", "--tags", "full", "-vvv"][..],
        &["demo", "--format", "ndjson", "-vv"][..],
    ] {
        let out = reginv_async(dir.path(), args).await;
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(!out.stderr.is_empty(), "-v prints logs");
        for secret in &secrets {
            assert!(!stdout(&out).contains(secret.as_str()), "{args:?}: stdout");
            assert!(!stderr(&out).contains(secret.as_str()), "{args:?}: stderr");
        }
    }
    emulator.shutdown().await;
}

// ---- configuration errors ---------------------------------------------------------------------

#[test]
fn an_unknown_key_names_the_file_entry_and_key() {
    let dir = TempDir::new("unknown-key");
    let config = dir.path().join("reginv.toml");
    fs::write(
        &config,
        "[[providers]]\nname = \"ncp-kr\"\nkind = \"ncp\"\nregion = \"kr\"\naccess_key = \"AK\"\n\
         secret_key = \"super-secret-value\"\nregoin = \"kr\"\n",
    )
    .unwrap();
    let out = reginv(dir.path(), &["inventory"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.starts_with("reginv: "), "{err}");
    assert!(err.contains("reginv.toml"), "{err}");
    assert!(err.contains("regoin"), "{err}");
    assert!(
        err.contains("ncp-kr") || err.contains("providers[0]") || err.contains("#1"),
        "{err}"
    );
    assert!(!err.contains("super-secret-value"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn a_bad_kind_names_the_file_entry_and_key() {
    let dir = TempDir::new("bad-kind");
    let config = dir.path().join("my.toml");
    fs::write(
        &config,
        "[[providers]]\nname = \"first\"\nkind = \"ncp\"\nregion = \"kr\"\n\n\
         [[providers]]\nname = \"second\"\nkind = \"azure\"\nregion = \"x\"\n",
    )
    .unwrap();
    let out = reginv(
        dir.path(),
        &["inventory", "--config", config.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("my.toml"), "{err}");
    assert!(err.contains("kind"), "{err}");
    assert!(
        err.contains("second") || err.contains("providers[1]"),
        "{err}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("Error {"),
        "{err}"
    );
}

#[test]
fn a_missing_config_file_is_an_error() {
    let dir = TempDir::new("missing-file");
    let out = reginv(dir.path(), &["inventory", "--config", "nope.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("nope.toml"), "{}", stderr(&out));
}

#[test]
fn no_config_and_no_environment_says_what_to_do() {
    let dir = TempDir::new("nothing");
    let out = reginv(dir.path(), &["inventory"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.starts_with("reginv: "), "{err}");
    for hint in [
        "reginv.toml",
        "[[providers]]",
        "NCLOUD_ACCESS_KEY",
        "HUAWEICLOUD_SDK_AK",
        "reginv demo",
    ] {
        assert!(err.contains(hint), "missing {hint:?} in {err}");
    }
    assert!(out.stdout.is_empty());
}

#[test]
fn help_and_version() {
    let dir = TempDir::new("help");
    let out = reginv(dir.path(), &["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).starts_with("reginv "));
    let out = reginv(dir.path(), &["--help"]);
    assert_eq!(out.status.code(), Some(0));
    for sub in ["inventory", "demo", "ncp"] {
        assert!(stdout(&out).contains(sub));
    }
    let out = reginv(dir.path(), &["inventory", "--help"]);
    assert!(stdout(&out).contains("--tags") && stdout(&out).contains("Exit status"));
}

// ---- ncp create-registry ---------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_registry_creates_then_reports_a_conflict() {
    let emulator = sample_emulator().await;
    let dir = TempDir::new("create");
    fs::write(dir.path().join("reginv.toml"), config_for(&emulator, None)).unwrap();

    // Several ncp sources: --source is needed.
    let out = reginv_async(
        dir.path(),
        &[
            "ncp",
            "create-registry",
            "fresh-reg",
            "--bucket",
            "fresh-bucket",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--source"), "{}", stderr(&out));

    let args = [
        "ncp",
        "create-registry",
        "fresh-reg",
        "--bucket",
        "fresh-bucket",
        "--source",
        "ncp-kr",
    ];
    let out = reginv_async(dir.path(), &args).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert!(stdout(&out).contains("fresh-reg"));

    let out = reginv_async(dir.path(), &args).await;
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("fresh-reg") && err.contains("exists"), "{err}");

    let out = reginv_async(
        dir.path(),
        &[
            "ncp",
            "create-registry",
            "x",
            "--bucket",
            "y",
            "--source",
            "swr-ap",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("swr-ap"), "{}", stderr(&out));
    emulator.shutdown().await;
}
