//! What the CLI's integration tests share: a temporary directory, running the `reginv` binary
//! without vendor credentials, and a configuration for an emulator.
// Each test file uses only some of these.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use reginv_emulator::Emulator;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_reginv");

/// A directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "reginv-cli-test-{label}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// `reginv args…` run in `dir` with no vendor credentials in the environment (HOME points at
/// `dir`, so no `~/.ncloud` or `~/.huaweicloud` file is found either).
pub fn reginv(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).current_dir(dir).env_clear().env("HOME", dir);
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd.output().unwrap()
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

/// A reginv.toml with one NCP source per region of the sample and one SWR source, pointing at
/// `emulator` with its credentials; `bad_secret` replaces the secret of the `ncp-kr` source.
pub fn config_for(emulator: &Emulator, bad_secret: Option<&str>) -> String {
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
        "[[providers]]\nname = \"swr-ap\"\nkind = \"huawei\"\nregion = \"{}\"\n\
         endpoint = \"{}\"\naccess_key = \"{}\"\nsecret_key = \"{}\"\n",
        emulator.fixture().swr.region,
        emulator.swr_endpoint(),
        swr.access_key,
        swr.secret_key.expose(),
    ));
    text
}
