//! `reginv report` end to end: the page of an emulator inventory (live and `--from` its JSON),
//! hostile names, a partial inventory, the page of a store (the changes since the previous
//! snapshot, the audit of `reginv audit`), and the page in headless Chromium (sorting, filtering,
//! expanding, no console error, no network, a screenshot), up to 50,000 repositories.
//!
//! The browser tests need `REGINV_TEST_CHROMIUM` (set by `.ci/services/chromium.sh`); without
//! it they print `skipped: …`, except under `CI=true`, where they fail.

use std::fs;
use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use reginv::{InventoryReport, ProviderKind, Repository, Source, SourceSummary, Tag};
use reginv_emulator::{Emulator, Fixture};
use serde_json::Value;

mod common;
use common::{config_for, emulator_of, reginv, reginv_async, sample_emulator, stderr, TempDir};

/// User data that would break or inject into a page escaped the wrong way.
const HOSTILE: &str = "ends</script><script>document.title='pwned'</script><!-- \u{2028}\u{2029}";

/// The sample fixture with hostile descriptions (one NCR image, one SWR repository), one of
/// which also points at `trap` (a local port that must never be contacted).
fn hostile_fixture(trap: &str) -> Fixture {
    let mut fixture = Fixture::sample();
    let image = fixture
        .ncp
        .values_mut()
        .flatten()
        .flat_map(|r| r.images.iter_mut())
        .next()
        .unwrap();
    image.description = HOSTILE.into();
    let repo = &mut fixture.swr.namespaces[0].repos[0];
    repo.description = format!(
        "<img src=\"http://{trap}/img\"><link rel=stylesheet href=\"http://{trap}/css\">\
         <script src=\"http://{trap}/js\"></script>"
    );
    fixture
}

/// The `data-value` of the headline figure `name`.
fn figure(html: &str, name: &str) -> u64 {
    let needle = format!("data-figure=\"{name}\" data-value=\"");
    let start = html
        .find(&needle)
        .unwrap_or_else(|| panic!("no figure {name}"))
        + needle.len();
    let end = html[start..].find('"').unwrap();
    html[start..start + end].parse().unwrap()
}

/// The text of the element whose opening tag contains `marker`, up to its first `<`.
fn text_after(html: &str, marker: &str) -> String {
    let start = html.find(marker).unwrap_or_else(|| panic!("no {marker}"));
    let open_end = start + html[start..].find('>').unwrap() + 1;
    let len = html[open_end..].find('<').unwrap();
    html[open_end..open_end + len].to_string()
}

/// The value of the first attribute `name` in `html`.
fn attribute(html: &str, name: &str) -> Option<u64> {
    let needle = format!("{name}=\"");
    let start = html.find(&needle)? + needle.len();
    let end = html[start..].find('"')?;
    html[start..start + end].parse().ok()
}

/// `html` without the embedded data (user data, JSON-escaped, not markup).
fn markup(html: &str) -> String {
    let open = "<script type=\"application/json\" id=\"reginv-data\">";
    let start = html.find(open).expect("data block") + open.len();
    let end = start
        + html[start..]
            .find("</script>")
            .expect("end of the data block");
    format!("{}{}", &html[..start], &html[end..])
}

/// Totals of a JSON report: (sources, repositories, tags, sum of repository sizes).
fn json_totals(report: &Value) -> (u64, u64, u64) {
    let repos = report["repositories"].as_array().unwrap();
    let tags = repos
        .iter()
        .map(|r| match r["tags"].as_array() {
            Some(tags) => tags.len() as u64,
            None => r["tag_count"].as_u64().unwrap_or(0),
        })
        .sum();
    (
        report["sources"].as_array().unwrap().len() as u64,
        repos.len() as u64,
        tags,
    )
}

/// Checks what must hold of every page, whatever the browser: the headline figures equal the
/// JSON report's, the hostile text stayed data, nothing points outside the page.
fn check_page(html: &str, report: &Value) {
    let (sources, repositories, tags) = json_totals(report);
    assert_eq!(figure(html, "sources"), sources);
    assert_eq!(figure(html, "repositories"), repositories);
    assert_eq!(figure(html, "tags"), tags);
    assert_eq!(
        figure(html, "errors"),
        report["errors"].as_array().unwrap().len() as u64
    );
    let lower = html.to_ascii_lowercase();
    assert_eq!(
        lower.matches("<script").count(),
        2,
        "only the data and the page's script"
    );
    assert_eq!(lower.matches("</script").count(), 2);
    assert!(!html.contains("<!-- ") && !html.contains('\u{2028}'));
    // The data block holds the hostile descriptions, escaped; the markup points nowhere.
    let lower = markup(&lower);
    for attr in [" src=", " href="] {
        for (i, _) in lower.match_indices(attr) {
            let value = lower[i + attr.len()..].trim_start_matches(['"', '\'']);
            assert!(
                value.starts_with('#'),
                "{attr}{}",
                &value[..value.len().min(60)]
            );
        }
    }
    assert!(!lower.contains("http://") && !lower.contains("https://"));
    assert!(html.contains(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src &#x27;none&#x27;"
    ));
}

/// Starts an emulator of `fixture`, configures `dir` for it (`reginv.toml`) and writes its
/// full inventory to `dir/r.json`; returns the running emulator and the report.
async fn emulator_inventory(dir: &Path, fixture: Fixture) -> (Emulator, Value) {
    let emulator = emulator_of(fixture).await;
    fs::write(dir.join("reginv.toml"), config_for(&emulator, None)).unwrap();
    let out = reginv_async(
        dir,
        &[
            "inventory",
            "--tags",
            "full",
            "--format",
            "json",
            "-o",
            "r.json",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = serde_json::from_str(&fs::read_to_string(dir.join("r.json")).unwrap()).unwrap();
    (emulator, report)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_of_an_emulator_inventory_equals_its_json_live_or_from_a_file() {
    let dir = TempDir::new("live");
    let (emulator, report) = emulator_inventory(dir.path(), hostile_fixture("127.0.0.1:9")).await;
    let out = reginv_async(
        dir.path(),
        &[
            "report",
            "--tags",
            "full",
            "-o",
            "live.html",
            "--title",
            "Acme <registries>",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    emulator.shutdown().await;
    let out = reginv(
        dir.path(),
        &["report", "--from", "r.json", "-o", "from.html"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    for page in ["live.html", "from.html"] {
        let html = fs::read_to_string(dir.path().join(page)).unwrap();
        check_page(&html, &report);
        assert!(html.contains("id=\"no-failures\""), "{page}");
    }
    let live = fs::read_to_string(dir.path().join("live.html")).unwrap();
    assert!(live.contains("<title>Acme &lt;registries&gt;</title>"));
    assert!(live.contains("a live inventory of"));
    let from = fs::read_to_string(dir.path().join("from.html")).unwrap();
    assert!(from.contains("<title>Container registry inventory</title>"));
    // The same inventory, the same figures and the same table data.
    for name in [
        "sources",
        "registries",
        "repositories",
        "tags",
        "size_bytes",
    ] {
        assert_eq!(figure(&live, name), figure(&from, name), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_inventory_is_written_with_its_failures_and_exit_status_2() {
    let dir = TempDir::new("partial");
    let emulator = sample_emulator().await;
    fs::write(
        dir.path().join("reginv.toml"),
        config_for(&emulator, Some("wrong-secret")),
    )
    .unwrap();
    let out = reginv_async(dir.path(), &["report", "-o", "p.html"]).await;
    emulator.shutdown().await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("warning: ncp-kr"), "{}", stderr(&out));
    let html = fs::read_to_string(dir.path().join("p.html")).unwrap();
    assert!(html.contains("id=\"incomplete\""));
    assert!(html.contains("<body data-complete=\"false\">"));
    assert!(html.contains("<title>[incomplete] Container registry inventory</title>"));
    let failures = &html[html.find("id=\"failure-list\"").unwrap()..];
    assert!(failures.contains("<th scope=\"row\">ncp-kr</th>"));
    assert!(figure(&html, "errors") >= 1);
    assert!(!html.contains("wrong-secret"));
}

#[test]
fn from_refuses_selection_options_and_bad_files() {
    let dir = TempDir::new("from");
    fs::write(dir.path().join("r.json"), "{\"not\": \"a report\"}").unwrap();
    let out = reginv(dir.path(), &["report", "--from", "r.json", "-o", "x.html"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("is not a reginv JSON report"),
        "{}",
        stderr(&out)
    );
    let out = reginv(
        dir.path(),
        &[
            "report", "--from", "r.json", "--source", "a", "-o", "x.html",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("with --from"), "{}", stderr(&out));
    let out = reginv(dir.path(), &["report", "--from", "r.json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "--output is required (a usage error)"
    );
    assert!(!dir.path().join("x.html").exists());
}

// ---- the audit and the changes since the previous snapshot -----------------------------------

/// The audits' reference time (as in tests/audit.rs), so the page and `reginv audit` agree.
const AS_OF: &str = "2026-12-01T00:00:00Z";

/// `fixture` with, in NCR `kr`/`acme-prod`: `payments/worker` deleted, `payments/new` pushed,
/// and in `payments/api` `v2.14.0` deleted, `v2.15.0` pushed and `latest` retagged; in SWR, the
/// first repository of the first namespace made public. Six changes, one of each kind below.
fn changed(mut fixture: Fixture) -> Fixture {
    use reginv_emulator::fixture::{NcpImage, NcpTag};
    let later = 1_767_000_000_000;
    let tag = |name: &str, digest: &str| NcpTag {
        name: name.into(),
        digest: digest.into(),
        full_size: 1_000,
        created: later,
        updated: later,
        ..NcpTag::default()
    };
    let prod = fixture
        .ncp
        .get_mut("kr")
        .unwrap()
        .iter_mut()
        .find(|r| r.name == "acme-prod")
        .unwrap();
    prod.images.retain(|i| i.name != "payments/worker");
    prod.images.push(NcpImage {
        name: "payments/new".into(),
        last_updated: later,
        tags: vec![tag("v1", "sha256:0001")],
        ..NcpImage::default()
    });
    let api = prod
        .images
        .iter_mut()
        .find(|i| i.name == "payments/api")
        .unwrap();
    api.tags.retain(|t| t.name != "v2.14.0");
    api.tags.push(tag("v2.15.0", "sha256:0215"));
    let latest = api.tags.iter_mut().find(|t| t.name == "latest").unwrap();
    latest.digest = "sha256:0215".into();
    latest.updated = later;
    api.last_updated = later;
    let repo = &mut fixture.swr.namespaces[0].repos[0];
    assert!(
        !repo.is_public,
        "the sample's first SWR repository is private"
    );
    repo.is_public = true;
    fixture
}

/// The `data-count` of the row whose `attribute` is `value` (0 when there is no such row).
fn row_count(html: &str, attribute: &str, value: &str) -> u64 {
    let needle = format!("<tr {attribute}=\"{value}\" data-count=\"");
    match html.find(&needle) {
        None => 0,
        Some(i) => {
            let rest = &html[i + needle.len()..];
            rest[..rest.find('"').unwrap()].parse().unwrap()
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_from_a_store_shows_the_changes_and_the_same_audit_as_reginv_audit() {
    let dir = TempDir::new("store");
    let db = dir.path().join("inv.db");
    let store = format!("sqlite:{}", db.display());
    // Run 1: the (hostile) sample, stored by `inventory --store`.
    let sample = hostile_fixture("127.0.0.1:9");
    let before = emulator_of(sample.clone()).await;
    fs::write(dir.path().join("reginv.toml"), config_for(&before, None)).unwrap();
    let out = reginv_async(
        dir.path(),
        &[
            "inventory",
            "--tags",
            "full",
            "--format",
            "json",
            "--store",
            &store,
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    before.shutdown().await;

    // Six changes later, run 2: a live `report` whose configuration names the store stores its
    // run and shows what changed since run 1.
    let after = emulator_of(changed(sample)).await;
    let config = config_for(&after, None);
    fs::write(dir.path().join("reginv.toml"), &config).unwrap();
    let out = reginv_async(
        dir.path(),
        &[
            "inventory",
            "--tags",
            "full",
            "--format",
            "json",
            "-o",
            "r2.json",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    fs::write(
        dir.path().join("reginv.toml"),
        format!("{config}\n[store]\nurl = \"{store}\"\n"),
    )
    .unwrap();
    let out = reginv_async(
        dir.path(),
        &[
            "report",
            "--tags",
            "full",
            "--as-of",
            AS_OF,
            "-o",
            "live.html",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    after.shutdown().await;
    fs::remove_file(dir.path().join("reginv.toml")).unwrap();

    // The store's latest snapshot, without any registry: the same page.
    let out = reginv(
        dir.path(),
        &[
            "report",
            "--store",
            &store,
            "--as-of",
            AS_OF,
            "-o",
            "stored.html",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("r2.json")).unwrap()).unwrap();
    let audit = reginv(
        dir.path(),
        &[
            "audit",
            "--store",
            &store,
            "--as-of",
            AS_OF,
            "--format",
            "json",
            "--fail-on",
            "never",
        ],
    );
    assert_eq!(audit.status.code(), Some(0), "{}", stderr(&audit));
    let audit: Value = serde_json::from_slice(&audit.stdout).unwrap();
    let unsuppressed = audit["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["suppressed"] == false)
        .count() as u64;
    assert!(unsuppressed > 0);

    for page in ["live.html", "stored.html"] {
        let html = fs::read_to_string(dir.path().join(page)).unwrap();
        check_page(&html, &report);
        // The changes since snapshot 1, by kind, the retag listed first.
        assert!(html.contains("From snapshot 1 ("), "{page}");
        assert!(html.contains("to snapshot 2 ("), "{page}");
        assert_eq!(figure(&html, "changes"), 6, "{page}");
        for kind in [
            "tag_moved",
            "tag_added",
            "tag_removed",
            "repository_added",
            "repository_removed",
            "repository_changed",
        ] {
            assert_eq!(row_count(&html, "data-kind", kind), 1, "{page}: {kind}");
        }
        let counts = &html[html.find("id=\"change-counts\"").unwrap()..];
        assert!(counts.find("data-kind=\"tag_moved\"") < counts.find("data-kind=\"tag_added\""));
        let list = &html[html.find("id=\"change-list\"").unwrap()..];
        let first_row = &list[list.find("<tbody><tr><td>").unwrap()..][..200];
        assert!(
            first_row.contains("tag_moved") && first_row.contains("payments&#x2f;api:latest"),
            "{page}: {first_row}"
        );
        assert!(!html.contains("id=\"not-compared\""), "{page}");
        // The audit: the engine of `reginv audit`, the same counts.
        assert!(!html.contains("id=\"audit-unavailable\""), "{page}");
        assert_eq!(figure(&html, "findings"), unsuppressed, "{page}");
        for (rule, n) in audit["summary"]["by_rule"].as_object().unwrap() {
            assert_eq!(
                row_count(&html, "data-rule", rule),
                n.as_u64().unwrap(),
                "{page}: {rule}"
            );
        }
        for severity in ["critical", "high", "medium", "low", "info"] {
            assert_eq!(
                row_count(&html, "data-severity", severity),
                audit["summary"]["by_severity"][severity].as_u64().unwrap(),
                "{page}: {severity}"
            );
        }
    }
    let live = fs::read_to_string(dir.path().join("live.html")).unwrap();
    assert!(live.contains("stored as snapshot 2"));
    let stored = fs::read_to_string(dir.path().join("stored.html")).unwrap();
    assert!(stored.contains("snapshot 2 of the store"));

    // Snapshot 1 has nothing before it; a snapshot that is not there is an error.
    let out = reginv(
        dir.path(),
        &[
            "report",
            "--store",
            &store,
            "--run",
            "1",
            "-o",
            "first.html",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let first = fs::read_to_string(dir.path().join("first.html")).unwrap();
    assert!(first.contains("id=\"changes-unavailable\""));
    assert!(first.contains("first finished snapshot"));
    let out = reginv(
        dir.path(),
        &["report", "--store", &store, "--run", "5", "-o", "x.html"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no snapshot 5 in the store; it holds 1 (complete), 2 (complete)"),
        "{}",
        stderr(&out)
    );
    let out = reginv(
        dir.path(),
        &["report", "--store", &store, "--repo", "x*", "-o", "x.html"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("with --store"), "{}", stderr(&out));
    assert!(!dir.path().join("x.html").exists());
}

// ---- the page in headless Chromium ----------------------------------------------------------

/// The Chromium to run, or `None` (after saying why) when the test should skip.
fn chromium() -> Option<PathBuf> {
    match std::env::var_os("REGINV_TEST_CHROMIUM") {
        Some(path) if Path::new(&path).exists() => Some(PathBuf::from(path)),
        _ => {
            let why =
                "REGINV_TEST_CHROMIUM is not set to a chromium binary (.ci/services/chromium.sh)";
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("{why}");
            }
            eprintln!("skipped: {why}");
            None
        }
    }
}

/// Where screenshots go: `target/report-test/` (next to the build's output).
fn output_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("report-test");
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs headless Chromium on `url` with `extra` flags; fails after five minutes.
fn run_chromium(chromium: &Path, url: &str, extra: &[&str]) -> (String, String, Duration) {
    let profile = TempDir::new("chromium-profile");
    let mut cmd = Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        "--disable-extensions",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .args(extra)
    .arg(url)
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = cmd.spawn().expect("start chromium");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).map(|_| text)
    });
    let err = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stderr.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    });
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(300) {
            let _ = child.kill();
            panic!("chromium did not finish in five minutes");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let elapsed = started.elapsed();
    (out.join().unwrap().unwrap(), err.join().unwrap(), elapsed)
}

/// The console lines Chromium logged for the page (errors, CSP refusals, anything logged).
fn console_lines(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Refused to") || l.contains("Uncaught"))
        .collect()
}

/// Opens `page` with `#selftest`, checks the self-test passed without a page error or a console
/// line, and that the table counted `repositories`; returns the DOM and Chromium's wall time.
fn open_in_chromium(chromium: &Path, page: &Path, repositories: u64) -> (String, Duration) {
    let url = format!("file://{}#selftest", page.display());
    let (dom, log, elapsed) = run_chromium(
        chromium,
        &url,
        &["--virtual-time-budget=10000", "--dump-dom"],
    );
    assert!(dom.contains("</html>"), "no DOM dumped: {log}");
    let result = text_after(&dom, "id=\"selftest-result\"");
    assert!(
        dom.contains("id=\"selftest-result\" data-ok=\"true\""),
        "self-test failed: {result}"
    );
    let checks: Value =
        serde_json::from_str(&result.replace("&quot;", "\"").replace("&amp;", "&")).unwrap();
    let names: Vec<&str> = checks
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for wanted in [
        "size descending",
        "name ascending",
        "filter keeps matches only",
        "filter can match nothing",
    ] {
        assert!(names.contains(&wanted), "{wanted} not checked: {names:?}");
    }
    assert!(
        dom.contains("<ul id=\"js-errors\" class=\"banner incomplete\" hidden=\"\"></ul>"),
        "page errors: {}",
        &dom[dom.find("id=\"js-errors\"").unwrap()..][..400.min(dom.len())]
    );
    assert_eq!(console_lines(&log), Vec::<&str>::new(), "console output");
    let matching = format!("data-matching=\"{repositories}\"");
    assert!(
        dom.contains(&matching),
        "the table did not count {repositories} rows"
    );
    (dom, elapsed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_works_in_headless_chromium_without_touching_the_network() {
    let Some(chromium) = chromium() else { return };
    let dir = TempDir::new("browser");
    // A port the page would reach if anything injected were loaded.
    let trap = TcpListener::bind("127.0.0.1:0").unwrap();
    let trap_addr = trap.local_addr().unwrap().to_string();
    trap.set_nonblocking(true).unwrap();
    let (emulator, report) = emulator_inventory(dir.path(), hostile_fixture(&trap_addr)).await;
    emulator.shutdown().await;
    let out = reginv(
        dir.path(),
        &["report", "--from", "r.json", "-o", "report.html"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = dir.path().join("report.html");
    let html = fs::read_to_string(&page).unwrap();
    check_page(&html, &report);

    let (_, repositories, tags) = json_totals(&report);
    let (dom, _) = open_in_chromium(&chromium, &page, repositories);
    // The rendered DOM's headline numbers are the JSON report's.
    let shown = |name: &str| text_after(&dom, &format!("data-figure=\"{name}\"")).replace(',', "");
    assert_eq!(shown("repositories"), repositories.to_string());
    assert_eq!(shown("tags"), tags.to_string());
    assert_eq!(
        shown("sources"),
        report["sources"].as_array().unwrap().len().to_string()
    );
    assert_eq!(figure(&dom, "repositories"), repositories);
    // The hostile description is on the page as text, and its script never ran.
    assert!(
        dom.contains("<title>Container registry inventory</title>"),
        "the title was changed"
    );
    assert!(!dom.contains("<title>pwned"));
    assert!(
        dom.contains("ends&lt;/script&gt;&lt;script&gt;"),
        "the description is shown as text"
    );
    // Nothing connected to the trap.
    assert!(trap.accept().is_err(), "the page made a network request");

    let shot = output_dir().join("report.png");
    let _ = fs::remove_file(&shot);
    let arg = format!("--screenshot={}", shot.display());
    let url = format!("file://{}", page.display());
    let (_, log, _) = run_chromium(
        &chromium,
        &url,
        &[
            "--virtual-time-budget=5000",
            "--window-size=1400,2000",
            &arg,
        ],
    );
    assert!(shot.exists(), "no screenshot: {log}");
    eprintln!("screenshot: {}", shot.display());
}

/// A synthetic inventory of `repositories` repositories over four sources and 400 registries,
/// each repository with a description, size, pulls, times and three named tags (the default
/// `--tags names` depth), generated at a fixed time.
fn synthetic_report(repositories: usize) -> InventoryReport {
    let sources = [
        Source::new("ncp-kr", ProviderKind::NCP, "kr", "https://ncr.example"),
        Source::new("ncp-jpn", ProviderKind::NCP, "jpn", "https://ncr.example"),
        Source::new(
            "swr-ap",
            ProviderKind::HUAWEI,
            "ap-southeast-1",
            "https://swr.example",
        ),
        Source::new("oci-lab", ProviderKind::OCI, "lab", "https://oci.example"),
    ];
    let now = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    let repos: Vec<Repository> = (0..repositories)
        .map(|i| {
            let source = &sources[i % sources.len()];
            let mut repo = Repository::new(
                source,
                format!("team-{:03}", i % 400),
                format!("service-{i:05}/api"),
            );
            repo.description = Some(format!("Synthetic service {i} of team {}", i % 400));
            repo.size_bytes = Some(((i as u64 * 7919) % 2_000) * 1_048_576);
            repo.pull_count = Some((i as u64 * 31) % 10_000);
            repo.public = Some(i % 10 == 0);
            repo.updated_at = Some(now - chrono::Duration::days((i % 800) as i64));
            repo.tag_count = Some(3);
            repo.tags = Some(
                ["latest", "1.0.0", "1.1.0"]
                    .iter()
                    .map(|name| Tag::new(*name))
                    .collect(),
            );
            repo
        })
        .collect();
    let summaries = sources
        .iter()
        .map(|s| {
            let mut summary = SourceSummary::new(s);
            summary.repositories = repos.iter().filter(|r| r.source == s.name).count() as u64;
            summary.tags = summary.repositories * 3;
            summary
        })
        .collect();
    let mut report = InventoryReport::new(summaries, repos, vec![]);
    report.generated_at = now;
    report
}

#[test]
fn fifty_thousand_repositories_stay_under_15_mb_and_render() {
    let dir = TempDir::new("large");
    let report = synthetic_report(50_000);
    fs::write(
        dir.path().join("large.json"),
        serde_json::to_vec(&report).unwrap(),
    )
    .unwrap();
    let started = Instant::now();
    let out = reginv(
        dir.path(),
        &["report", "--from", "large.json", "-o", "large.html"],
    );
    let generated = started.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = dir.path().join("large.html");
    let size = fs::metadata(&page).unwrap().len();
    assert!(size < 15 * 1024 * 1024, "{size} bytes");
    let html = fs::read_to_string(&page).unwrap();
    assert_eq!(figure(&html, "repositories"), 50_000);
    assert_eq!(figure(&html, "tags"), 150_000);
    let Some(chromium) = chromium() else { return };
    let (dom, elapsed) = open_in_chromium(&chromium, &page, 50_000);
    // Rows are rendered a page at a time, not 50,000 at once.
    assert!(dom.matches("<tr class=\"repo\"").count() <= 500);
    let ready = attribute(&dom, "data-ready-ms");
    eprintln!(
        "50,000 repositories: page {size} bytes, generated in {generated:?} (debug build), \
         chromium --dump-dom with the self-test in {elapsed:?}, script ready at {ready:?} ms"
    );
}
