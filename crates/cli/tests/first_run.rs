//! What a user meets first: `--version`, `init`, `completions` and `man`, run as the binary.

use std::fs;
use std::process::Command;

mod common;
use common::{reginv, TempDir};

fn git_head(dir: &std::path::Path) -> Option<String> {
    let out = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(dir)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[test]
fn version_names_the_commit_the_tree_state_and_the_features() {
    let out = reginv(&std::env::temp_dir(), &["--version"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with(&format!("reginv {} (", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    assert!(text.contains("features: "), "{text}");
    match git_head(env!("CARGO_MANIFEST_DIR").as_ref()) {
        // Built from a checkout: the commit it was built from, and whether the tree was clean.
        Some(head) => {
            assert!(
                text.contains(&format!("commit {head}, ")),
                "{text} (HEAD {head})"
            );
            assert!(
                text.contains("clean tree") || text.contains("dirty tree"),
                "{text}"
            );
        }
        None => assert!(text.contains("commit unknown"), "{text}"),
    }
    // -V stays the short form.
    let short = reginv(&std::env::temp_dir(), &["-V"]);
    assert_eq!(
        String::from_utf8(short.stdout).unwrap().trim(),
        format!("reginv {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn init_writes_a_configuration_that_loads_and_never_overwrites() {
    let dir = TempDir::new("init");
    let out = reginv(&dir, &["init"]);
    assert!(out.status.success(), "{out:?}");
    let path = dir.join("reginv.toml");
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.contains("kind = \"ncp\"") && text.contains("kind = \"huawei\""));
    let config = reginv::Config::load(&path).expect("the written file loads");
    assert_eq!(config.providers.len(), 2);

    // A second run keeps the file (and says how to replace it) ...
    fs::write(&path, "# mine\n").unwrap();
    let again = reginv(&dir, &["init"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    assert_eq!(fs::read_to_string(&path).unwrap(), "# mine\n");

    // ... never writes through a planted symlink ...
    #[cfg(unix)]
    {
        let target = dir.join("elsewhere.txt");
        fs::write(&target, "keep").unwrap();
        std::os::unix::fs::symlink(&target, dir.join("link.toml")).unwrap();
        let linked = reginv(&dir, &["init", "-o", "link.toml"]);
        assert_eq!(linked.status.code(), Some(1));
        assert_eq!(fs::read_to_string(&target).unwrap(), "keep");
    }

    // ... and --force replaces it.
    let forced = reginv(&dir, &["init", "--force"]);
    assert!(forced.status.success());
    assert_eq!(fs::read_to_string(&path).unwrap(), text);

    // `-o -` prints it.
    let stdout = reginv(&dir, &["init", "-o", "-"]);
    assert_eq!(String::from_utf8(stdout.stdout).unwrap(), text);
}

#[test]
fn completions_and_the_manual_are_printed_for_every_shell() {
    let dir = std::env::temp_dir();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = reginv(&dir, &["completions", shell]);
        assert!(out.status.success(), "{shell}: {out:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        for sub in ["inventory", "demo", "init", "completions", "man"] {
            assert!(text.contains(sub), "{shell} completion lacks {sub}");
        }
    }
    let man = reginv(&dir, &["man"]);
    assert!(man.status.success());
    let text = String::from_utf8(man.stdout).unwrap();
    assert!(text.contains(".TH reginv"), "{text:.200}");
    assert!(text.contains(".TH reginv-inventory "));
    let unknown = reginv(&dir, &["completions", "tcsh"]);
    assert!(!unknown.status.success());
}
