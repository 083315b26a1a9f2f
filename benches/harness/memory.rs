//! The memory rows: the `reginv` binary as a child process streaming `--format ndjson
//! --tags full`, its peak RSS read from the kernel when it is reaped.
//!
//! The peak is the child's `VmHWM` (the high-water mark of its resident set) read from
//! `/proc/<pid>/status` every 2 ms while it runs. Not `getrusage(RUSAGE_CHILDREN)` nor
//! `wait4`'s `ru_maxrss`: Linux carries the maximum RSS of a process across `exec`, and a child
//! spawned from this process starts out as a copy of it (or, with `posix_spawn`, shares its
//! memory until `exec`), so `ru_maxrss` would report the bench process's own footprint (the
//! emulator and its fixture) whenever that is larger than `reginv`'s. `VmHWM` belongs to the
//! address space `exec` created. The child is still reaped with `wait4` for its exit status.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use reginv_emulator::Faults;

use super::host::EmulatorHost;
use super::report::{thousands, Row, RowKind, Vendor};
use super::scenario;
use super::settings::{BinarySource, Settings};

/// The target directory: `CARGO_TARGET_DIR`, else the workspace's `target/`.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)
            }
        }
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
    }
}

/// The `reginv` binary: `REGINV_BENCH_BIN` when set; else built with a nested
/// `cargo build --release -p reginv-cli` ([`BinarySource::BuildRelease`]) or found in the
/// target directory ([`BinarySource::Existing`]). `Err` is the reason the rows are skipped.
pub fn binary(source: &BinarySource) -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("REGINV_BENCH_BIN") {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("REGINV_BENCH_BIN={} is not a file", path.display()))
        };
    }
    let name = format!("reginv{}", std::env::consts::EXE_SUFFIX);
    match source {
        BinarySource::BuildRelease => {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
            eprintln!("[bench] building the reginv binary: {cargo} build --release -p reginv-cli");
            let status = Command::new(&cargo)
                .args(["build", "--release", "-p", "reginv-cli"])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status()
                .map_err(|e| format!("cannot run {cargo}: {e}"))?;
            if !status.success() {
                return Err(format!(
                    "cargo build --release -p reginv-cli failed ({status})"
                ));
            }
            let path = target_dir().join("release").join(&name);
            if path.is_file() {
                Ok(path)
            } else {
                Err(format!("{} is missing after the build", path.display()))
            }
        }
        BinarySource::Existing => ["debug", "release"]
            .iter()
            .map(|profile| target_dir().join(profile).join(&name))
            .find(|p| p.is_file())
            .ok_or_else(|| {
                format!(
                    "no reginv binary in {}/{{debug,release}} (run `cargo build -p reginv-cli` \
                     first, or set REGINV_BENCH_BIN)",
                    target_dir().display()
                )
            }),
    }
}

/// A directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> Result<TempDir, String> {
        let path = std::env::temp_dir().join(format!(
            "reginv-bench-{label}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        std::fs::create_dir_all(&path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A `reginv.toml` with one NCR and one SWR source, both on `host`'s emulator.
fn config_toml(host: &EmulatorHost) -> String {
    format!(
        "{}\n{}",
        scenario::source_toml(host, Vendor::Ncr),
        scenario::source_toml(host, Vendor::Swr)
    )
}

/// What the child wrote on stdout.
#[derive(Default)]
struct Counted {
    repositories: u64,
    tags: u64,
    other: u64,
    bad_lines: u64,
}

fn count_lines(reader: impl std::io::Read) -> Counted {
    let mut counted = Counted::default();
    for line in BufReader::new(reader).lines() {
        let Ok(line) = line else {
            counted.bad_lines += 1;
            break;
        };
        match serde_json::from_str::<serde_json::Value>(&line) {
            Ok(value) if value.get("type").and_then(|t| t.as_str()) == Some("repository") => {
                counted.repositories += 1;
                counted.tags += value
                    .get("tags")
                    .and_then(|t| t.as_array())
                    .map_or(0, |t| t.len() as u64);
            }
            Ok(_) => counted.other += 1,
            Err(_) => counted.bad_lines += 1,
        }
    }
    counted
}

/// `VmHWM` of `pid` in KiB, while it runs (`None` once it has exited).
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix("VmHWM:")?;
        rest.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

/// Samples `VmHWM` of `pid` every 2 ms until it exits; the highest value seen, in KiB.
fn sample_peak(pid: u32) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let mut peak = 0;
        while let Some(kib) = vm_hwm_kib(pid) {
            peak = peak.max(kib);
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        peak
    })
}

/// Waits for `pid` and returns its exit status and `ru_maxrss` in KiB.
fn reap(pid: u32) -> Result<(i32, u64), String> {
    let pid = libc::pid_t::try_from(pid).map_err(|_| format!("pid {pid} out of range"))?;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero `rusage` is a valid value; `wait4` fills it for our own child `pid`,
    // and `status` is a valid, writable int.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if reaped != pid {
        return Err(format!(
            "wait4({pid}) failed: {}",
            std::io::Error::last_os_error()
        ));
    }
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    Ok((code, u64::try_from(usage.ru_maxrss).unwrap_or(0)))
}

/// One memory row: `repositories` in total, half NCR and half SWR, 10 tags each.
fn memory_row(settings: &Settings, binary: &Path, repositories: usize) -> Result<Row, String> {
    let id = format!("memory-{repositories}");
    eprintln!("[bench] {id}: reginv inventory --format ndjson --tags full on {repositories} repositories …");
    let half = repositories / 2;
    let fixture = scenario::fixture(11, half, settings.registries, settings.tags);
    let expected_repositories =
        (fixture.ncp_repository_count() + fixture.swr_repository_count()) as u64;
    let expected_tags = (fixture.ncp_tag_count() + fixture.swr_tag_count()) as u64;
    let host = EmulatorHost::start(fixture, Faults::none(), 100)?;
    let dir = TempDir::new(&id)?;
    let config = dir.0.join("reginv.toml");
    std::fs::write(&config, config_toml(&host))
        .map_err(|e| format!("cannot write {}: {e}", config.display()))?;
    let stderr_path = dir.0.join("stderr.txt");
    let stderr = std::fs::File::create(&stderr_path)
        .map_err(|e| format!("cannot create {}: {e}", stderr_path.display()))?;
    host.emulator().reset_stats();
    let started = Instant::now();
    let mut child = Command::new(binary)
        .arg("inventory")
        .arg("--config")
        .arg(&config)
        .args(["--format", "ndjson", "--tags", "full"])
        .current_dir(&dir.0)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(stderr))
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| "the child has no stdout".to_string())?;
    let sampler = sample_peak(child.id());
    let counter = std::thread::spawn(move || count_lines(stdout));
    let (code, ru_maxrss_kib) = reap(child.id())?;
    let peak_kib = sampler
        .join()
        .map_err(|_| "the memory sampler panicked".to_string())?;
    let wall = started.elapsed();
    let counted = counter
        .join()
        .map_err(|_| "the stdout reader panicked".to_string())?;
    let stats = host.emulator().stats();
    host.stop();
    if code != 0 || counted.repositories != expected_repositories || counted.tags != expected_tags {
        let log = std::fs::read_to_string(&stderr_path).unwrap_or_default();
        let tail: String = log
            .lines()
            .rev()
            .take(10)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n");
        return Err(format!(
            "{id}: reginv exited with {code} after {} repositories / {} tags (expected {expected_repositories} / \
             {expected_tags}, {} bad lines); its stderr ends:\n{tail}",
            counted.repositories, counted.tags, counted.bad_lines
        ));
    }
    let mut row = Row::new(
        &id,
        RowKind::Memory { repositories },
        format!(
            "`reginv inventory --format ndjson --tags full`, {} repos ({} NCR + {} SWR) × {} tags, no added latency",
            thousands(expected_repositories),
            thousands(half as u64),
            thousands(half as u64),
            settings.tags
        ),
    );
    row.requests = Some(stats.requests);
    row.peak_in_flight = Some(stats.peak_in_flight);
    row.wall = Some(wall);
    row.peak_rss_kib = Some(peak_kib);
    if peak_kib == 0 {
        return Err(format!("{id}: could not read VmHWM of the reginv process"));
    }
    eprintln!(
        "[bench] {id}: peak RSS (VmHWM) {:.1} MiB (wait4 ru_maxrss, which includes this \
         process's pages at spawn: {:.1} MiB), {} requests in {:.3} s",
        peak_kib as f64 / 1024.0,
        ru_maxrss_kib as f64 / 1024.0,
        stats.requests,
        wall.as_secs_f64()
    );
    Ok(row)
}

/// The memory rows (skipped, with the reason, when there is no binary).
pub fn memory_rows(settings: &Settings) -> Result<Vec<Row>, String> {
    let ids: Vec<(usize, String)> = settings
        .memory_repositories
        .iter()
        .map(|&n| (n, format!("memory-{n}")))
        .filter(|(_, id)| settings.wants(id))
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let binary = match binary(&settings.binary) {
        Ok(path) => path,
        Err(reason) => {
            eprintln!("[bench] memory rows skipped: {reason}");
            return Ok(ids
                .into_iter()
                .map(|(n, id)| {
                    let mut row = Row::new(
                        id,
                        RowKind::Memory { repositories: n },
                        "`reginv inventory --format ndjson --tags full`",
                    );
                    row.skipped = Some(reason.clone());
                    row
                })
                .collect());
        }
    };
    eprintln!("[bench] memory rows use {}", binary.display());
    ids.into_iter()
        .map(|(n, _)| memory_row(settings, &binary, n))
        .collect()
}
