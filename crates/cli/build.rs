//! Builds the long version `reginv --version` prints: the version, the git commit the binary was
//! built from (and whether the tree had uncommitted changes), and the enabled cargo features.
//!
//! Without git (a source tarball, `cargo install` from crates.io) the commit is `unknown`;
//! packagers can name it with `REGINV_BUILD_COMMIT`.

use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn main() {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let dir = Path::new(&manifest_dir);
    println!("cargo:rerun-if-env-changed=REGINV_BUILD_COMMIT");

    let commit = match std::env::var("REGINV_BUILD_COMMIT") {
        Ok(commit) if !commit.trim().is_empty() => format!("commit {}", commit.trim()),
        _ => match git(dir, &["rev-parse", "--short=12", "HEAD"]) {
            Some(hash) => {
                // Rebuild when HEAD moves (a commit, a checkout) or the index changes.
                for (flag, file) in [
                    ("--git-path", "HEAD"),
                    ("--git-path", "index"),
                    ("--git-path", "packed-refs"),
                ] {
                    if let Some(path) = git(dir, &["rev-parse", flag, file]) {
                        println!("cargo:rerun-if-changed={}", dir.join(path).display());
                    }
                }
                if let Some(reference) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
                    if let Some(path) = git(dir, &["rev-parse", "--git-path", &reference]) {
                        println!("cargo:rerun-if-changed={}", dir.join(path).display());
                    }
                }
                let dirty = git(dir, &["status", "--porcelain", "--untracked-files=no"])
                    .is_some_and(|status| !status.is_empty());
                format!(
                    "commit {hash}, {}",
                    if dirty { "dirty tree" } else { "clean tree" }
                )
            }
            None => "commit unknown (built without git)".to_string(),
        },
    };

    let mut features: Vec<String> = std::env::vars()
        .filter_map(|(key, _)| key.strip_prefix("CARGO_FEATURE_").map(str::to_owned))
        .filter(|name| name != "DEFAULT")
        .map(|name| name.to_ascii_lowercase().replace('_', "-"))
        .collect();
    features.sort();
    let features = if features.is_empty() {
        "none".to_string()
    } else {
        features.join(", ")
    };
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    println!("cargo:rustc-env=REGINV_LONG_VERSION={version} ({commit}; features: {features})");
}
