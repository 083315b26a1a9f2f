//! The rows of a run, the table they print as, and the targets checked against them.

use std::fmt::Write as _;
use std::time::Duration;

use reginv::TagDepth;

use super::machine::Machine;
use super::settings::Settings;

/// The two registry APIs measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vendor {
    /// NAVER Cloud NCR.
    Ncr,
    /// Huawei Cloud SWR.
    Swr,
}

impl Vendor {
    /// `ncr` / `swr`, as in row ids.
    pub fn id(self) -> &'static str {
        match self {
            Vendor::Ncr => "ncr",
            Vendor::Swr => "swr",
        }
    }

    /// `NCR` / `SWR`, as in the table.
    pub fn label(self) -> &'static str {
        match self {
            Vendor::Ncr => "NCR",
            Vendor::Swr => "SWR",
        }
    }
}

/// What a row measured.
#[derive(Clone, Debug, PartialEq)]
pub enum RowKind {
    /// `Inventory::collect` at one concurrency.
    Inventory {
        /// Which API.
        vendor: Vendor,
        /// Tag depth.
        depth: TagDepth,
        /// Global and per-source limit.
        concurrency: usize,
    },
    /// One request at a time with the vendor SDK's default page size.
    Sdk {
        /// Which API.
        vendor: Vendor,
        /// Tag depth.
        depth: TagDepth,
        /// The page size used.
        page_size: u32,
    },
    /// The `reginv` binary's peak RSS.
    Memory {
        /// Total repositories listed.
        repositories: usize,
    },
    /// `Inventory::collect` with only the global concurrency set (issue 13's rows).
    Adaptive {
        /// The global limit.
        concurrency: usize,
    },
    /// One small request at a time: what one request really costs on this setup.
    RoundTrip,
    /// Decoding and normalizing one page.
    Decode {
        /// Which page (`NCR tags`, …).
        page: &'static str,
        /// Whether the items are tags (the decoding target counts tags).
        tags: bool,
    },
}

/// One measured row.
#[derive(Clone, Debug)]
pub struct Row {
    /// A short stable id (`ncr-full-c32`), what `REGINV_BENCH_ROWS` matches.
    pub id: String,
    /// What was measured.
    pub kind: RowKind,
    /// Human description of the scenario.
    pub scenario: String,
    /// Requests the emulator received.
    pub requests: Option<u64>,
    /// The fewest requests the scenario needs at the page sizes used.
    pub fewest_requests: Option<u64>,
    /// The most requests the emulator handled at once.
    pub peak_in_flight: Option<u64>,
    /// Wall time.
    pub wall: Option<Duration>,
    /// The latency the emulator added to each request.
    pub latency: Option<Duration>,
    /// CPU time of the client's threads during the row.
    pub client_cpu: Option<Duration>,
    /// CPU time of the emulator's threads during the row.
    pub emulator_cpu: Option<Duration>,
    /// Length of the request chain that cannot be avoided.
    pub chain: Option<u64>,
    /// The lower bound on the wall time.
    pub bound: Option<Duration>,
    /// Peak resident set size, KiB (memory rows).
    pub peak_rss_kib: Option<u64>,
    /// Items decoded per second on one core (decode rows).
    pub items_per_second: Option<f64>,
    /// Speed-up over the SDK row (inventory rows at the speed-up concurrency).
    pub speedup: Option<f64>,
    /// Why the row was not measured.
    pub skipped: Option<String>,
    /// Free-form figures (issue 13's rows: the limit reached, throttled responses, …).
    pub notes: Vec<String>,
    /// Throttled responses ÷ the fewest requests (the rate-limited row).
    pub throttled_share: Option<f64>,
    /// Wall ÷ the wall of the same run without faults (the 1% throttled row).
    pub slowdown: Option<f64>,
}

impl Row {
    /// An empty row of `kind`.
    pub fn new(id: impl Into<String>, kind: RowKind, scenario: impl Into<String>) -> Row {
        Row {
            id: id.into(),
            kind,
            scenario: scenario.into(),
            requests: None,
            fewest_requests: None,
            peak_in_flight: None,
            wall: None,
            latency: None,
            client_cpu: None,
            emulator_cpu: None,
            chain: None,
            bound: None,
            peak_rss_kib: None,
            items_per_second: None,
            speedup: None,
            skipped: None,
            notes: Vec::new(),
            throttled_share: None,
            slowdown: None,
        }
    }

    /// wall / bound.
    pub fn ratio(&self) -> Option<f64> {
        let (wall, bound) = (self.wall?, self.bound?);
        (!bound.is_zero()).then(|| wall.as_secs_f64() / bound.as_secs_f64())
    }

    /// Requests per second of wall time.
    pub fn requests_per_second(&self) -> Option<f64> {
        let (requests, wall) = (self.requests?, self.wall?);
        (!wall.is_zero()).then(|| requests as f64 / wall.as_secs_f64())
    }

    /// The mean number of requests in flight: requests × latency / wall (each request is in
    /// flight at least for the added latency), against the concurrency allowed.
    pub fn mean_in_flight(&self) -> Option<f64> {
        let (requests, latency, wall) = (self.requests?, self.latency?, self.wall?);
        (!wall.is_zero() && !latency.is_zero())
            .then(|| requests as f64 * latency.as_secs_f64() / wall.as_secs_f64())
    }

    /// wall / requests.
    pub fn round_trip(&self) -> Option<Duration> {
        let (requests, wall) = (self.requests?, self.wall?);
        (requests > 0).then(|| wall / u32::try_from(requests).unwrap_or(u32::MAX))
    }

    fn cpu_cell(&self) -> String {
        match (self.client_cpu, self.emulator_cpu) {
            (Some(c), Some(e)) => format!("{:.2} + {:.2} s", c.as_secs_f64(), e.as_secs_f64()),
            _ => String::new(),
        }
    }

    fn concurrency_cell(&self) -> String {
        match &self.kind {
            RowKind::Inventory { concurrency, .. } => concurrency.to_string(),
            RowKind::Adaptive { concurrency } => format!("{concurrency} (global only)"),
            RowKind::Sdk { .. } => "1 (SDK)".to_string(),
            RowKind::Memory { .. } => "default".to_string(),
            RowKind::RoundTrip => "1".to_string(),
            RowKind::Decode { .. } => "1 core".to_string(),
        }
    }

    fn figure_cell(&self) -> String {
        if let Some(reason) = &self.skipped {
            return format!("skipped: {reason}");
        }
        let mut parts = Vec::new();
        if let Some(speedup) = self.speedup {
            parts.push(format!("speed-up ×{speedup:.1} over the SDK row"));
        }
        if let Some(kib) = self.peak_rss_kib {
            parts.push(format!("peak RSS {:.1} MiB", kib as f64 / 1024.0));
        }
        if let (RowKind::RoundTrip, Some(rtt)) = (&self.kind, self.round_trip()) {
            parts.push(format!("mean round trip {:.2} ms", rtt.as_secs_f64() * 1e3));
        }
        if let Some(rate) = self.items_per_second {
            let unit = match self.kind {
                RowKind::Decode { tags: true, .. } => "tags",
                _ => "items",
            };
            parts.push(format!("{} {unit}/s", thousands(rate.round() as u64)));
        }
        parts.extend(self.notes.iter().cloned());
        if let Some(share) = self.throttled_share {
            parts.push(format!(
                "throttled {:.1}% of the fewest requests",
                share * 100.0
            ));
        }
        if let Some(slowdown) = self.slowdown {
            parts.push(format!("×{slowdown:.2} the clean run's wall"));
        }
        if let (Some(requests), Some(fewest)) = (self.requests, self.fewest_requests) {
            if requests != fewest {
                parts.push(format!(
                    "{} requests more than the fewest ({})",
                    requests as i64 - fewest as i64,
                    thousands(fewest)
                ));
            }
        }
        parts.join("; ")
    }
}

/// Everything one run produced.
#[derive(Clone, Debug)]
pub struct Report {
    /// Where it ran.
    pub machine: Machine,
    /// What it ran with.
    pub settings: Settings,
    /// The rows, in table order.
    pub rows: Vec<Row>,
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn seconds(d: Option<Duration>) -> String {
    d.map_or_else(String::new, |d| format!("{:.3} s", d.as_secs_f64()))
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(String::new, |v| v.to_string())
}

impl Report {
    /// The row with this id, if it was run.
    pub fn row(&self, id: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.id == id)
    }

    /// The header, the table and the targets, as markdown.
    pub fn markdown(&self) -> String {
        let s = &self.settings;
        let mut out = String::new();
        let _ = writeln!(out, "Machine: {}", self.machine);
        let _ = writeln!(
            out,
            "Scenarios: {} repositories × {} tags per vendor over {} registries/namespaces, {} ms \
             added latency per request; memory rows without added latency; scale {}.",
            thousands(s.repositories as u64),
            s.tags,
            s.registries,
            s.latency.as_millis(),
            s.scale
        );
        out.push('\n');
        out.push_str(
            "| row | scenario | concurrency | requests | in flight: peak / mean | wall | chain | bound | wall/bound | req/s | CPU: client + emulator | figure |\n",
        );
        out.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for row in &self.rows {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                row.id,
                row.scenario,
                row.concurrency_cell(),
                row.requests.map_or_else(String::new, thousands),
                match (row.peak_in_flight, row.mean_in_flight()) {
                    (Some(p), Some(m)) => format!("{p} / {m:.1}"),
                    (p, _) => opt(p),
                },
                seconds(row.wall),
                opt(row.chain),
                seconds(row.bound),
                row.ratio().map_or_else(String::new, |r| format!("{r:.2}")),
                row.requests_per_second()
                    .map_or_else(String::new, |r| thousands(r.round() as u64)),
                row.cpu_cell(),
                row.figure_cell(),
            );
        }
        out.push('\n');
        out.push_str("Targets (issues 7 and 13):\n");
        for line in self.targets() {
            let _ = writeln!(out, "- {line}");
        }
        out
    }

    /// `ratio` against the same bound with the round trip measured in this run (the
    /// `round-trip` row) instead of the nominal latency, as a parenthesis to append; empty
    /// without that row. What is left is the library's scheduling, not the emulator's timer.
    fn calibrated(&self, ratio: f64) -> String {
        self.row("round-trip")
            .and_then(Row::round_trip)
            .filter(|_| !self.settings.latency.is_zero())
            .map_or_else(String::new, |rtt| {
                let scale = rtt.as_secs_f64() / self.settings.latency.as_secs_f64();
                format!(
                    " ({:.2} against the bound at the measured round trip of {:.2} ms)",
                    ratio / scale,
                    rtt.as_secs_f64() * 1e3
                )
            })
    }

    /// Each target of the issue, met or missed and by how much, from this run's rows.
    pub fn targets(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let c = self.settings.speedup_concurrency;
        for vendor in [Vendor::Ncr, Vendor::Swr] {
            let id = format!("{}-full-c{c}", vendor.id());
            if let Some(ratio) = self.row(&id).and_then(Row::ratio) {
                let calibrated = self.calibrated(ratio);
                lines.push(verdict(
                    &format!(
                        "wall/bound ≤ 1.25 at concurrency {c}, {} full",
                        vendor.label()
                    ),
                    &format!("{ratio:.2}{calibrated}"),
                    ratio <= 1.25,
                    &format!("{:+.0}%", (ratio / 1.25 - 1.0) * 100.0),
                ));
            }
        }
        for vendor in [Vendor::Ncr, Vendor::Swr] {
            for depth in [TagDepth::Names, TagDepth::Full] {
                let id = format!("{}-{depth}-c{c}", vendor.id());
                if let Some(speedup) = self.row(&id).and_then(|r| r.speedup) {
                    lines.push(verdict(
                        &format!(
                            "≥ 15× faster than the SDK row at concurrency {c}, {} {depth}",
                            vendor.label()
                        ),
                        &format!("×{speedup:.1}"),
                        speedup >= 15.0,
                        &format!("{:+.0}%", (speedup / 15.0 - 1.0) * 100.0),
                    ));
                }
            }
        }
        let memory: Vec<(usize, u64)> = self
            .rows
            .iter()
            .filter_map(|r| match (&r.kind, r.peak_rss_kib) {
                (RowKind::Memory { repositories }, Some(kib)) => Some((*repositories, kib)),
                _ => None,
            })
            .collect();
        for (repositories, kib) in &memory {
            let mib = *kib as f64 / 1024.0;
            lines.push(verdict(
                &format!(
                    "peak RSS < 64 MiB, ndjson run of {} repositories",
                    thousands(*repositories as u64)
                ),
                &format!("{mib:.1} MiB"),
                mib < 64.0,
                &format!("{:+.0}%", (mib / 64.0 - 1.0) * 100.0),
            ));
        }
        if let (Some(small), Some(large)) = (memory.first(), memory.last()) {
            if memory.len() > 1 {
                let growth = large.1 as f64 / small.1 as f64 - 1.0;
                lines.push(verdict(
                    &format!(
                        "peak RSS within 20% between {} and {} repositories",
                        thousands(small.0 as u64),
                        thousands(large.0 as u64)
                    ),
                    &format!("{:+.1}%", growth * 100.0),
                    growth.abs() <= 0.20,
                    &format!("{:+.1} points", (growth.abs() - 0.20) * 100.0),
                ));
            }
        }
        for row in &self.rows {
            if let (RowKind::Decode { page, tags: true }, Some(rate)) =
                (&row.kind, row.items_per_second)
            {
                lines.push(verdict(
                    &format!("decoding ≥ 200,000 tags/s per core, {page}"),
                    &format!("{} tags/s", thousands(rate.round() as u64)),
                    rate >= 200_000.0,
                    &format!("{:+.0}%", (rate / 200_000.0 - 1.0) * 100.0),
                ));
            }
        }
        for vendor in [Vendor::Ncr, Vendor::Swr] {
            let id = format!("{}-full-auto", vendor.id());
            if let Some(ratio) = self.row(&id).and_then(Row::ratio) {
                let calibrated = self.calibrated(ratio);
                lines.push(verdict(
                    &format!(
                        "wall/bound ≤ 1.15 with only --concurrency 32, {} full",
                        vendor.label()
                    ),
                    &format!("{ratio:.2}{calibrated}"),
                    ratio <= 1.15,
                    &format!("{:+.0}%", (ratio / 1.15 - 1.0) * 100.0),
                ));
            }
        }
        for id in ["ratelimit-100", "ratelimit-100-full"] {
            let Some(row) = self.row(id) else {
                continue;
            };
            let requests = thousands(row.fewest_requests.unwrap_or(0));
            if let Some(share) = row.throttled_share {
                lines.push(verdict(
                    &format!("100 requests/s server ({requests} requests): throttled ≤ 5%"),
                    &format!("{:.1}%", share * 100.0),
                    share <= 0.05,
                    &format!("{:+.1} points", (share - 0.05) * 100.0),
                ));
            }
            if let Some(ratio) = row.ratio() {
                lines.push(verdict(
                    &format!(
                        "100 requests/s server ({requests} requests): wall ≤ 1.2 × requests / 100 s"
                    ),
                    &format!("{ratio:.2}"),
                    ratio <= 1.2,
                    &format!("{:+.0}%", (ratio / 1.2 - 1.0) * 100.0),
                ));
            }
        }
        if self.row("faults-20").is_some() {
            lines.push(
                "20% injected faults: complete and identical to the fault-free run — met (the \
                 harness fails otherwise)"
                    .to_string(),
            );
        }
        if let Some(slowdown) = self.row("throttle1").and_then(|r| r.slowdown) {
            lines.push(verdict(
                "1.1% of responses 429: wall within 1.5× of the clean run",
                &format!("×{slowdown:.2}"),
                slowdown <= 1.5,
                &format!("{:+.0}%", (slowdown / 1.5 - 1.0) * 100.0),
            ));
        }
        lines
    }
}

fn verdict(target: &str, value: &str, met: bool, margin: &str) -> String {
    if met {
        format!("{target}: {value} — met ({margin} against the target)")
    } else {
        format!("{target}: {value} — MISSED ({margin} against the target)")
    }
}
