//! What one run measures: sizes, latency, concurrency levels, and which rows.

use std::time::Duration;

/// How the memory rows get the `reginv` binary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BinarySource {
    /// Build it with a nested `cargo build --release -p reginv-cli` (what `cargo bench` does;
    /// cargo releases its build lock before it runs a bench, so this does not deadlock).
    BuildRelease,
    /// Use a binary already in the target directory (`debug`, then `release`); the rows are
    /// skipped, with the reason, when there is none (what the smoke test does).
    Existing,
}

/// Everything one run of the harness measures.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Repositories per inventory scenario (NCR: over all registries; SWR: over all namespaces).
    pub repositories: usize,
    /// NCR registries / SWR namespaces the repositories are dealt over.
    pub registries: usize,
    /// Tags per repository (every repository has exactly this many).
    pub tags: usize,
    /// Latency the emulator adds to every request of the inventory rows.
    pub latency: Duration,
    /// Requests of the round-trip row.
    pub round_trips: u32,
    /// The concurrency levels (global and per-source limit) of the inventory rows.
    pub concurrency: Vec<usize>,
    /// The concurrency whose rows the speed-up over the SDK row is computed for.
    pub speedup_concurrency: usize,
    /// NCR page size of the SDK-style row (`pagesize`).
    pub sdk_page_size_ncr: u32,
    /// SWR page size of the SDK-style row (`limit`).
    pub sdk_page_size_swr: u32,
    /// Total repositories (half NCR, half SWR) of each memory row.
    pub memory_repositories: Vec<usize>,
    /// Where the memory rows' binary comes from.
    pub binary: BinarySource,
    /// Items in each decoded page of the micro-benchmark.
    pub decode_items: usize,
    /// The least time each decoding figure is measured over.
    pub decode_min_time: Duration,
    /// Only rows whose id contains one of these (empty: every row).
    pub rows: Vec<String>,
    /// The scale the sizes were multiplied by (1.0 for the sizes).
    pub scale: f64,
}

impl Settings {
    /// The sizes issue 7 asks for: 2,000 repositories × 10 tags per scenario, 20 ms latency,
    /// concurrency 1, 8, 32 and 64, memory at 2,000 and 20,000 repositories, 1,000-item pages.
    pub fn full() -> Settings {
        Settings {
            repositories: 2_000,
            registries: 4,
            tags: 10,
            latency: Duration::from_millis(20),
            round_trips: 100,
            concurrency: vec![1, 8, 32, 64],
            speedup_concurrency: 32,
            sdk_page_size_ncr: 10,
            sdk_page_size_swr: 100,
            memory_repositories: vec![2_000, 20_000],
            binary: BinarySource::BuildRelease,
            decode_items: 1_000,
            decode_min_time: Duration::from_secs(1),
            rows: Vec::new(),
            scale: 1.0,
        }
    }

    /// [`Settings::full`] adjusted by the environment: `REGINV_BENCH_SCALE` (a factor on the
    /// repository counts, e.g. `0.1`), `REGINV_BENCH_ROWS` (comma-separated substrings of
    /// row ids, e.g. `ncr-full,memory`) and `REGINV_BENCH_LATENCY_MS` (the added latency,
    /// for diagnosis: the figures are at 20 ms).
    pub fn from_env() -> Result<Settings, String> {
        let mut settings = Settings::full();
        if let Ok(text) = std::env::var("REGINV_BENCH_SCALE") {
            let scale: f64 = text
                .trim()
                .parse()
                .map_err(|_| format!("REGINV_BENCH_SCALE={text:?} is not a number"))?;
            if !(scale > 0.0 && scale.is_finite()) {
                return Err(format!("REGINV_BENCH_SCALE={text:?} must be above 0"));
            }
            settings = settings.scaled(scale);
        }
        if let Ok(text) = std::env::var("REGINV_BENCH_LATENCY_MS") {
            let ms: u64 = text
                .trim()
                .parse()
                .map_err(|_| format!("REGINV_BENCH_LATENCY_MS={text:?} is not a whole number"))?;
            settings.latency = Duration::from_millis(ms);
        }
        if let Ok(text) = std::env::var("REGINV_BENCH_ROWS") {
            settings.rows = text
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
        }
        Ok(settings)
    }

    /// The smallest run that still produces every row: 30 repositories × 2 tags, 1 ms latency,
    /// concurrency 1 and 4, memory rows at 50 and 200 repositories with an existing binary.
    pub fn smoke() -> Settings {
        Settings {
            repositories: 30,
            registries: 3,
            tags: 2,
            latency: Duration::from_millis(1),
            round_trips: 10,
            concurrency: vec![1, 4],
            speedup_concurrency: 4,
            memory_repositories: vec![50, 200],
            binary: BinarySource::Existing,
            decode_items: 100,
            decode_min_time: Duration::from_millis(20),
            ..Settings::full()
        }
    }

    /// The same settings with every repository count multiplied by `scale` (at least 1).
    pub fn scaled(mut self, scale: f64) -> Settings {
        let times = |n: usize| ((n as f64 * scale).round() as usize).max(1);
        self.repositories = times(self.repositories);
        self.memory_repositories = self
            .memory_repositories
            .iter()
            .map(|&n| times(n).max(2))
            .collect();
        self.scale = scale;
        self
    }

    /// Whether the row `id` is to be run.
    pub fn wants(&self, id: &str) -> bool {
        self.rows.is_empty()
            || self
                .rows
                .iter()
                .any(|pattern| id.contains(pattern.as_str()))
    }
}
