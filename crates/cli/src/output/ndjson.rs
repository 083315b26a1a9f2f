//! The `ndjson` format: one JSON object per line, written and flushed as each event arrives, then
//! a final summary line. Nothing is kept but counters and the per-source summaries, so memory
//! stays flat however large the account.

use std::io::{self, Write};

use reginv::{InventoryEvent, SourceStatus, SourceSummary};
use serde::Serialize;

/// The last line: `{"type":"summary","complete":…,"sources":[…],"repositories":N,"tags":N,"errors":N}`.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename = "summary")]
pub struct Summary {
    /// No failure at all.
    pub complete: bool,
    /// Every source's summary, in configuration order.
    pub sources: Vec<SourceSummary>,
    /// Repositories written.
    pub repositories: u64,
    /// Tags written (inside the repository lines).
    pub tags: u64,
    /// Error lines written.
    pub errors: u64,
}

impl Summary {
    /// The exit status the run ends with: 0 complete, 1 when every source failed (nothing could
    /// be listed), 2 otherwise.
    pub fn exit_code(&self) -> i32 {
        if self.complete {
            0
        } else if !self.sources.is_empty()
            && self
                .sources
                .iter()
                .all(|s| s.status == SourceStatus::Failed)
        {
            1
        } else {
            2
        }
    }
}

/// Writes events as lines, counting as it goes.
pub struct NdjsonWriter<'a> {
    out: &'a mut dyn Write,
    sources: Vec<SourceSummary>,
    repositories: u64,
    tags: u64,
    errors: u64,
}

impl<'a> NdjsonWriter<'a> {
    /// A writer to `out`.
    pub fn new(out: &'a mut dyn Write) -> Self {
        NdjsonWriter {
            out,
            sources: Vec::new(),
            repositories: 0,
            tags: 0,
            errors: 0,
        }
    }

    /// Writes one event as one line and flushes it.
    pub fn write_event(&mut self, event: &InventoryEvent) -> io::Result<()> {
        match event {
            InventoryEvent::Repository(repo) => {
                self.repositories += 1;
                self.tags += repo.tags.as_ref().map_or(0, |t| t.len() as u64);
            }
            InventoryEvent::Failure(_) => self.errors += 1,
            InventoryEvent::SourceFinished(summary) => self.sources.push(summary.clone()),
            #[allow(unreachable_patterns)]
            _ => {}
        }
        self.write_line(event)
    }

    /// Writes the summary line, with the sources ordered as `order` names them (configuration
    /// order; sources not named there follow in the order they finished).
    pub fn finish(mut self, order: &[String]) -> io::Result<Summary> {
        let mut sources = std::mem::take(&mut self.sources);
        sources.sort_by_key(|s| {
            order
                .iter()
                .position(|n| *n == s.name)
                .unwrap_or(usize::MAX)
        });
        let summary = Summary {
            complete: self.errors == 0 && sources.iter().all(|s| s.status == SourceStatus::Ok),
            sources,
            repositories: self.repositories,
            tags: self.tags,
            errors: self.errors,
        };
        self.write_line(&summary)?;
        Ok(summary)
    }

    fn write_line(&mut self, value: &impl Serialize) -> io::Result<()> {
        serde_json::to_writer(&mut *self.out, value)?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }
}
