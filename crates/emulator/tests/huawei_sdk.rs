//! The official Huawei Cloud SWR Python SDK lists the emulator completely, every model field
//! present (the script is `tests/sdk/huawei_sdk_lists_emulator.py`).
//!
//! Needs `REGINV_TEST_HUAWEI_SDK_PYTHON`: a python with `huaweicloudsdkswr` installed, made by
//! `tests/sdk/huawei_sdk_venv.sh DIR` (`.ci/services/huawei-sdk.sh` does it in CI). Without it the
//! test says it skipped, except with `CI=true`, where that is a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

use reginv_emulator::{Emulator, Fixture, FixtureSizes};

const PYTHON_VAR: &str = "REGINV_TEST_HUAWEI_SDK_PYTHON";

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/huawei_sdk_lists_emulator.py")
}

/// The python to run the SDK with, or `None` after saying why the test is skipped.
fn python() -> Option<PathBuf> {
    match std::env::var_os(PYTHON_VAR) {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => {
            let why = format!(
                "{PYTHON_VAR} is not set (make a venv with crates/emulator/tests/sdk/huawei_sdk_venv.sh DIR)"
            );
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("the Huawei SDK test cannot run in CI: {why}");
            }
            println!("skipped: {why}");
            None
        }
    }
}

/// Serves `fixture` and runs the SDK script against it; panics with its output when it fails.
async fn sdk_lists(python: &Path, fixture: Fixture, name: &str) {
    let emulator = Emulator::builder()
        .fixture(fixture.clone())
        .start()
        .await
        .unwrap();
    let path = std::env::temp_dir().join(format!(
        "reginv-huawei-sdk-{name}-{}.json",
        std::process::id()
    ));
    fixture.save(&path).unwrap();
    let credentials = emulator.swr_credentials();
    let mut command = Command::new(python);
    command
        .arg(script())
        .args(["--endpoint", &emulator.swr_endpoint()])
        .args(["--ak", &credentials.access_key])
        .args(["--sk", credentials.secret_key.expose()])
        .arg("--fixture")
        .arg(&path)
        .env("NO_PROXY", "127.0.0.1")
        .env("no_proxy", "127.0.0.1");
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python_name()));
    let _ = std::fs::remove_file(&path);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the Huawei SDK did not list the {name} fixture ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(stdout.contains("0 failures"), "{stdout}\n{stderr}");
    let swr_requests: u64 = emulator
        .stats()
        .by_route
        .iter()
        .filter(|(route, _)| route.contains("/v2/manage/"))
        .map(|(_, statuses)| statuses.get(&200).copied().unwrap_or(0))
        .sum();
    assert!(
        swr_requests as usize > fixture.swr_repository_count(),
        "the SDK's requests were answered: {:?}",
        emulator.stats().by_route
    );
    assert_eq!(emulator.stats().auth_failures, 0);
    emulator.shutdown().await;
}

fn python_name() -> String {
    std::env::var(PYTHON_VAR).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_huawei_sdk_lists_the_emulator_completely() {
    let Some(python) = python() else { return };
    // Names with `/`, `.`, `-` and `_`, empty repositories, multi-platform tags, several pages.
    let generated = Fixture::generate(
        12,
        FixtureSizes {
            registries: 3,
            total_repositories: Some(80),
            min_tags: 0,
            max_tags: 7,
            ..FixtureSizes::default()
        },
    );
    sdk_lists(&python, generated, "generated").await;
    sdk_lists(&python, Fixture::sample(), "sample").await;
}
