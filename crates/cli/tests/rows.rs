//! The `reginv` binary end to end for complete, faithful rows and a CLI that never harms the
//! machine: registries as rows, normalized security fields, filters that match nothing, exit
//! statuses, `-o` on special files and links, signals, partial results, escaping. Only
//! 127.0.0.1 is ever contacted.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use reginv_emulator::fixture::SwrNamespace;
use reginv_emulator::{Emulator, Fixture};
use serde_json::Value;

mod common;
use common::{command, config_named, emulator_of, json, reginv, reginv_async, stderr};

/// A safety net against hangs; never a timing assertion.
const SAFETY_NET: Duration = Duration::from_secs(60);

/// The data rows of a CSV output.
fn csv_records(out: &Output) -> Vec<csv::StringRecord> {
    csv::Reader::from_reader(out.stdout.as_slice())
        .records()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Whether `doc[list]` has an element whose `name` is `name`.
fn has_named(doc: &Value, list: &str, name: &str) -> bool {
    doc[list]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["name"] == name)
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The sample with an empty NCR registry in `kr` and an empty SWR namespace.
fn fixture_with_empty_registries() -> Fixture {
    let mut fixture = Fixture::sample();
    let kr = fixture.ncp.get_mut("kr").expect("the sample has kr");
    let mut empty = kr[0].clone();
    empty.name = "empty-reg".into();
    empty.bucket = "empty-bucket".into();
    empty.images.clear();
    kr.push(empty);
    let mut ns: SwrNamespace = fixture.swr.namespaces[0].clone();
    ns.name = "empty-ns".into();
    ns.repos.clear();
    fixture.swr.namespaces.push(ns);
    fixture
}

async fn emulator_with(fixture: Fixture) -> (Emulator, tempfile::TempDir) {
    let emulator = emulator_of(fixture).await;
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("reginv.toml"),
        config_named(&emulator, "swr", None),
    )
    .unwrap();
    (emulator, dir)
}

// ---- 12.1 / 12.3: rows carry what the vendors say -------------------------------------------

#[test]
fn ncr_tag_counts_sizes_and_security_fields_are_filled() {
    let dir = tempfile::tempdir().unwrap();
    let out = reginv(dir.path(), &["demo", "--format", "json", "--tags", "full"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let fixture = Fixture::sample();
    for repo in doc["repositories"].as_array().unwrap() {
        let tags = repo["tags"].as_array().unwrap();
        assert_eq!(
            repo["tag_count"].as_u64(),
            Some(tags.len() as u64),
            "tag_count is the listing's total: {}",
            repo["full_name"]
        );
        if repo["provider"] == "ncp" {
            let mut digests = std::collections::BTreeMap::new();
            for tag in tags {
                digests.insert(
                    tag["digest"].as_str().unwrap().to_string(),
                    tag["size_bytes"].as_u64().unwrap(),
                );
                assert!(tag["is_index"].is_boolean(), "{tag}");
            }
            assert_eq!(
                repo["size_bytes"].as_u64(),
                Some(digests.values().sum::<u64>()),
                "derived from distinct digests: {}",
                repo["full_name"]
            );
            assert!(repo["extra"].get("tag_mutability_enabled").is_none());
        } else {
            for tag in tags {
                assert!(tag["scanned"].is_boolean(), "{tag}");
                assert!(tag["is_index"].is_boolean(), "{tag}");
                assert!(
                    !tag["extra"]["manifest"].is_string(),
                    "the manifest is not a JSON string inside JSON: {tag}"
                );
            }
        }
    }
    // Names depth: tag_count too, for NCR as for SWR.
    let out = reginv(dir.path(), &["demo", "--format", "json"]);
    let doc = json(&out);
    for repo in doc["repositories"].as_array().unwrap() {
        assert_eq!(
            repo["tag_count"].as_u64(),
            Some(repo["tags"].as_array().unwrap().len() as u64),
            "{}",
            repo["full_name"]
        );
    }
    // Registries carry NCR's scan_on_push and status as fields.
    let ncr: Vec<&Value> = doc["registries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["provider"] == "ncp")
        .collect();
    let expected: usize = fixture.ncp.values().map(Vec::len).sum();
    assert_eq!(ncr.len(), expected);
    for registry in &ncr {
        assert!(registry["scan_on_push"].is_boolean(), "{registry}");
        // The sample's one disconnected registry (an audit condition) says so; the others run.
        let status = fixture
            .ncp
            .values()
            .flatten()
            .find(|r| r.name == registry["name"])
            .map(|r| match r.status.as_str() {
                "" => "running",
                status => status,
            })
            .expect("a fixture registry");
        assert_eq!(registry["status"], status, "{registry}");
        assert!(registry["extra"].get("scan_on_push_enabled").is_none());
    }
    assert!(ncr.iter().any(|r| r["status"] == "running"));
}

#[test]
fn details_fetch_tag_immutability_and_count_the_requests() {
    let dir = tempfile::tempdir().unwrap();
    let plain = json(&reginv(
        dir.path(),
        &["demo", "--format", "json", "--tags", "none"],
    ));
    let detailed = json(&reginv(
        dir.path(),
        &["demo", "--format", "json", "--tags", "none", "--details"],
    ));
    let fixture = Fixture::sample();
    let immutable = |doc: &Value, full_name: &str| -> Value {
        doc["repositories"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["provider"] == "ncp" && r["full_name"] == full_name)
            .map(|r| r["tag_immutable"].clone())
            .unwrap()
    };
    let mut checked = 0;
    for registries in fixture.ncp.values() {
        for reg in registries {
            for image in &reg.images {
                let full_name = format!("{}/{}", reg.name, image.name);
                assert_eq!(immutable(&plain, &full_name), Value::Null, "not asked");
                assert_eq!(
                    immutable(&detailed, &full_name),
                    Value::Bool(!image.tag_mutability),
                    "{full_name}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 0);
    let requests = |doc: &Value| -> u64 {
        doc["sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["requests"].as_u64().unwrap())
            .sum()
    };
    let repositories = detailed["repositories"].as_array().unwrap().len() as u64;
    assert_eq!(
        requests(&detailed),
        requests(&plain) + repositories,
        "one detail request per repository, counted"
    );
}

// ---- 12.2: registries are rows ----------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_registries_are_rows_in_every_format() {
    let (emulator, dir) = emulator_with(fixture_with_empty_registries()).await;
    let out = reginv_async(dir.path(), &["inventory", "--format", "json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let names: Vec<(String, String)> = doc["registries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["source"].as_str().unwrap().to_string(),
                r["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        names.contains(&("ncp-kr".into(), "empty-reg".into())),
        "{names:?}"
    );
    assert!(
        names.contains(&("swr".into(), "empty-ns".into())),
        "{names:?}"
    );
    let fixture = emulator.fixture();
    let expected = fixture.ncp.values().map(Vec::len).sum::<usize>() + fixture.swr.namespaces.len();
    assert_eq!(names.len(), expected);

    let out = reginv_async(dir.path(), &["inventory", "--format", "ndjson"]).await;
    let registry_lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|l| l["type"] == "registry")
        .collect();
    assert_eq!(registry_lines.len(), expected);

    let out = reginv_async(
        dir.path(),
        &["inventory", "--format", "csv", "--csv-rows", "registries"],
    )
    .await;
    let rows = csv_records(&out);
    assert_eq!(rows.len(), expected);
    let empty = rows.iter().find(|r| &r[3] == "empty-reg").unwrap();
    assert_eq!(&empty[4], "0", "no repositories");
    assert_eq!(&empty[7], "running");

    let out = reginv_async(dir.path(), &["inventory", "--format", "table"]).await;
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Registries without repositories:"), "{text}");
    assert!(
        text.contains("empty-reg") && text.contains("empty-ns"),
        "{text}"
    );
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_created_registry_appears_in_the_next_inventory() {
    let (emulator, dir) = emulator_with(Fixture::sample()).await;
    let out = reginv_async(
        dir.path(),
        &[
            "ncp",
            "create-registry",
            "brand-new",
            "--bucket",
            "brand-new-bucket",
            "--source",
            "ncp-kr",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = reginv_async(
        dir.path(),
        &["inventory", "--format", "json", "--source", "ncp-kr"],
    )
    .await;
    let doc = json(&out);
    assert!(
        has_named(&doc, "registries", "brand-new"),
        "{}",
        doc["registries"]
    );
    emulator.shutdown().await;
}

// ---- 12.4: filters that match nothing --------------------------------------------------------

#[test]
fn filters_that_match_nothing_warn_and_exit_3_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let out = reginv(
        dir.path(),
        &["demo", "--format", "json", "--registry", "nope"],
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("reginv: warning: --registry nope matched no registry"),
        "{}",
        stderr(&out)
    );
    let out = reginv(
        dir.path(),
        &[
            "demo",
            "--format",
            "json",
            "--repo",
            "typo*",
            "--allow-unmatched",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("reginv: warning: --repo typo* matched no repository"),
        "{}",
        stderr(&out)
    );
    assert_eq!(json(&out)["complete"], true);
}

// ---- 12.6: exit statuses -------------------------------------------------------------------

#[test]
fn a_bad_command_line_exits_1_never_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["inventory", "--no-such-flag"][..],
        &["inventory", "--concurrency", "0"],
        &["demo", "--format", "xml"],
        &["no-such-command"],
        &[],
    ] {
        let out = reginv(dir.path(), args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).is_empty(), "{args:?} says why");
    }
    assert_eq!(reginv(dir.path(), &["--help"]).status.code(), Some(0));
    assert_eq!(reginv(dir.path(), &["--version"]).status.code(), Some(0));
}

#[test]
fn an_empty_or_provider_less_config_says_so_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [("empty.toml", ""), ("none.toml", "providers = []\n")] {
        let path = dir.path().join(name);
        fs::write(&path, text).unwrap();
        let out = reginv(
            dir.path(),
            &["inventory", "--config", path.to_str().unwrap()],
        );
        assert_eq!(out.status.code(), Some(1), "{name}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("configures no source"), "{name}: {err}");
        assert!(err.contains(name), "names the file: {err}");
        assert!(out.stdout.is_empty(), "{name}: nothing printed");
    }
}

// ---- 12.5 / 11.6: -o on special files and links ----------------------------------------------

#[cfg(unix)]
#[test]
fn output_to_a_fifo_is_written_directly_and_a_symlink_is_followed() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo only creates a file.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read(fifo).unwrap())
    };
    let out = reginv(
        dir.path(),
        &["demo", "--format", "json", "-o", fifo.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&reader.join().unwrap()).unwrap();
    assert_eq!(doc["complete"], true);
    assert!(
        fs::metadata(&fifo).unwrap().file_type().is_fifo(),
        "still a FIFO"
    );

    let real = dir.path().join("real.json");
    fs::write(&real, "old").unwrap();
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink("real.json", &link).unwrap();
    let out = reginv(
        dir.path(),
        &["demo", "--format", "json", "-o", link.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let doc: Value = serde_json::from_str(&fs::read_to_string(&real).unwrap()).unwrap();
    assert_eq!(doc["complete"], true);
    assert_eq!(entries(dir.path()), ["link.json", "pipe", "real.json"]);

    let out = reginv(
        dir.path(),
        &["demo", "--format", "json", "-o", "missing/dir/out.json"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("directory missing/dir does not exist"),
        "{}",
        stderr(&out)
    );
    let out = reginv(dir.path(), &["demo", "--format", "json", "-o", "-"]);
    assert_eq!(json(&out)["complete"], true, "- is stdout");
    // /dev/stdout is a link to a pipe here: written through, never replaced.
    let out = reginv(
        dir.path(),
        &["demo", "--format", "json", "-o", "/dev/stdout"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["complete"], true, "/dev/stdout is the pipe");
}

// ---- 12.7: SIGTERM -----------------------------------------------------------------------------

/// A server that accepts connections and never answers; sends on `accepted` at each one.
fn hanging_server() -> (String, std::sync::mpsc::Receiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (accepted, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
            if accepted.send(()).is_err() {
                return;
            }
        }
    });
    (url, rx)
}

fn hanging_config(dir: &Path, url: &str) -> String {
    let path = dir.join("hang.toml");
    fs::write(
        &path,
        format!(
            "[[providers]]\nname = \"slow\"\nkind = \"ncp\"\nregion = \"kr\"\n\
             endpoint = \"{url}\"\naccess_key = \"AK\"\nsecret_key = \"SK\"\n"
        ),
    )
    .unwrap();
    path.to_str().unwrap().to_string()
}

/// SIGTERM to `child` once the hanging server has its request.
#[cfg(unix)]
fn terminate(child: &std::process::Child, accepted: &std::sync::mpsc::Receiver<()>) {
    accepted
        .recv_timeout(SAFETY_NET)
        .expect("a request arrives");
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: kill only sends a signal to the child this test started.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
}

#[cfg(unix)]
#[test]
fn sigterm_removes_the_partial_output_and_exits_143() {
    let dir = tempfile::tempdir().unwrap();
    let (url, accepted) = hanging_server();
    let config = hanging_config(dir.path(), &url);
    let target = dir.path().join("out.json");
    let mut child = command(
        dir.path(),
        &[
            "inventory",
            "--config",
            &config,
            "-o",
            target.to_str().unwrap(),
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    terminate(&child, &accepted);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(143));
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(err.contains("terminated"), "{err}");
    assert_eq!(
        entries(dir.path()),
        ["hang.toml"],
        "no output, no .tmp left"
    );
}

#[cfg(unix)]
#[test]
fn sigterm_ends_an_ndjson_stream_with_an_interrupted_summary() {
    let dir = tempfile::tempdir().unwrap();
    let (url, accepted) = hanging_server();
    let config = hanging_config(dir.path(), &url);
    let mut child = command(
        dir.path(),
        &["inventory", "--config", &config, "--format", "ndjson"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    terminate(&child, &accepted);
    let lines: Vec<String> = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(143));
    let last: Value = serde_json::from_str(lines.last().expect("a summary line")).unwrap();
    assert_eq!(last["type"], "summary");
    assert_eq!(last["interrupted"], true);
    assert_eq!(last["complete"], false);
}

// ---- 12.9: partial results in every format --------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sources_reach_the_csv_errors_file_and_the_table() {
    let (emulator, dir) = emulator_with(Fixture::sample()).await;
    // A wrong secret for the first ncp source only.
    let broken_source = format!("ncp-{}", emulator.fixture().ncp.keys().next().unwrap());
    let config = fs::read_to_string(dir.path().join("reginv.toml")).unwrap();
    let secret = emulator.ncp_credentials().secret_key.expose().to_string();
    let broken = config.replacen(&secret, "wrong-secret", 1);
    fs::write(dir.path().join("reginv.toml"), broken).unwrap();
    let out = reginv_async(
        dir.path(),
        &["inventory", "--format", "csv", "--errors", "errors.csv"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let mut reader = csv::Reader::from_path(dir.path().join("errors.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header[..5],
        ["source", "provider", "operation", "target", "kind"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r[0] == broken_source), "{rows:?}");
    assert_eq!(&rows[0][4], "authentication");

    let out = reginv_async(dir.path(), &["inventory", "--format", "table"]).await;
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(&format!("Failed sources: {broken_source} (failed).")),
        "{text}"
    );
    // A complete run still writes the sidecar, with its header only.
    fs::write(dir.path().join("reginv.toml"), config).unwrap();
    let out = reginv_async(
        dir.path(),
        &["inventory", "--format", "csv", "--errors", "errors.csv"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = fs::read_to_string(dir.path().join("errors.csv")).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    emulator.shutdown().await;
}

// ---- 11.9: terminal and spreadsheet injection -------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_text_is_escaped_on_terminals_and_neutralised_in_csv() {
    let mut fixture = Fixture::sample();
    let evil = "=cmd|'/c calc'!A1\u{1b}]0;owned\u{7}";
    fixture.swr.namespaces[0].repos[0].name = evil.to_string();
    let (emulator, dir) = emulator_with(fixture).await;
    let out = reginv_async(
        dir.path(),
        &["inventory", "--format", "table", "--source", "swr"],
    )
    .await;
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    assert!(text.contains("\\x1b]0;owned\\x07"), "{text}");

    let out = reginv_async(
        dir.path(),
        &["inventory", "--format", "csv", "--source", "swr"],
    )
    .await;
    let rows = csv_records(&out);
    let cells: Vec<&str> = rows.iter().map(|r| &r[4]).collect();
    assert!(cells.contains(&format!("'{evil}").as_str()), "{cells:?}");
    let out = reginv_async(
        dir.path(),
        &[
            "inventory",
            "--format",
            "csv",
            "--source",
            "swr",
            "--csv-raw",
        ],
    )
    .await;
    let rows = csv_records(&out);
    assert!(rows.iter().any(|r| &r[4] == evil));

    let out = reginv_async(
        dir.path(),
        &["inventory", "--format", "json", "--source", "swr"],
    )
    .await;
    let doc = json(&out);
    assert!(
        has_named(&doc, "repositories", evil),
        "JSON is byte-faithful"
    );
    emulator.shutdown().await;
}

// ---- 11.10: library warnings as reginv lines --------------------------------------------------

/// A scripted SWR: an empty namespace list, and an empty repository page whose `Content-Range`
/// cannot be read.
fn swr_with_a_bad_content_range() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") {
                match stream.read(&mut byte) {
                    Ok(1) => head.push(byte[0]),
                    _ => break,
                }
            }
            let head = String::from_utf8_lossy(&head);
            let (body, extra) = if head.contains("/namespaces") {
                ("{\"namespaces\":[]}", "")
            } else {
                ("[]", "content-range: not-a-range\r\n")
            };
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n{extra}\
                 content-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

#[test]
fn library_warnings_reach_stderr_as_reginv_lines() {
    let dir = tempfile::tempdir().unwrap();
    let url = swr_with_a_bad_content_range();
    let config = dir.path().join("swr.toml");
    fs::write(
        &config,
        format!(
            "[[providers]]\nname = \"swr\"\nkind = \"huawei\"\nregion = \"ap-southeast-1\"\n\
             endpoint = \"{url}\"\naccess_key = \"AK\"\nsecret_key = \"SK\"\n"
        ),
    )
    .unwrap();
    let out = reginv(
        dir.path(),
        &[
            "inventory",
            "--config",
            config.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    let err = stderr(&out);
    assert!(
        err.lines()
            .any(|l| l.starts_with("reginv: warning: ignoring an unreadable Content-Range")),
        "{err}"
    );
    assert!(!err.contains(" WARN "), "no raw tracing line: {err}");
    assert!(err.lines().all(|l| l.starts_with("reginv: ")), "{err}");
}
