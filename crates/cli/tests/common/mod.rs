//! What the CLI's integration tests share: a temporary directory, running the `reginv` binary
//! without vendor credentials (blocking or from async tests), its output as text or JSON, the
//! sample emulator and a configuration for an emulator.
// Each test file uses only some of these.
#![allow(dead_code)]

use std::ops::Deref;
use std::path::Path;
use std::process::{Command, Output};

use reginv_emulator::{Emulator, Fixture};
use serde_json::Value;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_reginv");

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(tempfile::TempDir);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        let dir = tempfile::Builder::new()
            .prefix(&format!("reginv-cli-test-{label}-"))
            .tempdir()
            .unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        self.0.path()
    }
}

impl Deref for TempDir {
    type Target = Path;

    fn deref(&self) -> &Path {
        self.0.path()
    }
}

/// The command `reginv args…` in `dir` with no vendor credentials in the environment (HOME
/// points at `dir`, so no `~/.ncloud` or `~/.huaweicloud` file is found either): only PATH is
/// kept.
pub fn command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args).current_dir(dir).env_clear().env("HOME", dir);
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd
}

/// Runs [`command`] to its end.
pub fn reginv(dir: &Path, args: &[&str]) -> Output {
    command(dir, args).output().expect("the reginv binary runs")
}

/// [`reginv`] with `env` added to its environment.
pub fn reginv_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = command(dir, args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the reginv binary runs")
}

/// Runs the blocking `reginv` from inside an async test without stalling the emulator.
pub async fn reginv_async(dir: &Path, args: &[&str]) -> Output {
    let dir = dir.to_path_buf();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        reginv(&dir, &args)
    })
    .await
    .unwrap()
}

/// stdout as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// stderr as text (lossy: a test failing on bad UTF-8 should still show the rest).
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// stdout parsed as JSON; a panic that shows stdout and stderr when it is not.
pub fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            stderr(out)
        )
    })
}

/// An emulator of `fixture`, started.
pub async fn emulator_of(fixture: Fixture) -> Emulator {
    Emulator::builder().fixture(fixture).start().await.unwrap()
}

/// An emulator of the sample fixture.
pub async fn sample_emulator() -> Emulator {
    emulator_of(Fixture::sample()).await
}

/// A reginv.toml with one NCP source per region of the sample (`ncp-<region>`) and one SWR
/// source (`swr-ap`), pointing at `emulator` with its credentials; `bad_secret` replaces the
/// secret of the `ncp-kr` source.
pub fn config_for(emulator: &Emulator, bad_secret: Option<&str>) -> String {
    config_named(emulator, "swr-ap", bad_secret)
}

/// [`config_for`] with the SWR source named `swr_name`.
pub fn config_named(emulator: &Emulator, swr_name: &str, bad_secret: Option<&str>) -> String {
    let ncp = emulator.ncp_credentials();
    let swr = emulator.swr_credentials();
    let mut text = String::new();
    for region in emulator.fixture().ncp.keys() {
        let name = format!("ncp-{region}");
        let secret = match bad_secret {
            Some(bad) if region == "kr" => bad.to_string(),
            _ => ncp.secret_key.expose().to_string(),
        };
        text.push_str(&format!(
            "[[providers]]\nname = \"{name}\"\nkind = \"ncp\"\nregion = \"{region}\"\n\
             endpoint = \"{}\"\naccess_key = \"{}\"\nsecret_key = \"{secret}\"\n\n",
            emulator.ncp_endpoint(),
            ncp.access_key,
        ));
    }
    text.push_str(&format!(
        "[[providers]]\nname = \"{swr_name}\"\nkind = \"huawei\"\nregion = \"{}\"\n\
         endpoint = \"{}\"\naccess_key = \"{}\"\nsecret_key = \"{}\"\n",
        emulator.fixture().swr.region,
        emulator.swr_endpoint(),
        swr.access_key,
        swr.secret_key.expose(),
    ));
    text
}
