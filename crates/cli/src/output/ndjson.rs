//! The `ndjson` format: one JSON object per line, written and flushed as each event arrives, then
//! a final summary line. Nothing is kept but counters and the per-source summaries, so memory
//! stays flat however large the account.

use std::io::{self, Write};

use reginv::{InventoryEvent, SourceStatus, SourceSummary};
use serde::Serialize;

/// The last line: `{"type":"summary","complete":…,"sources":[…],"repositories":N,"tags":N,"errors":N}`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
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
    /// The exit status the run ends with, by the rules of [`InventoryReport::exit_code`]: 0
    /// complete, 1 when there was no source or every source failed (nothing could be listed),
    /// 2 otherwise.
    ///
    /// [`InventoryReport::exit_code`]: reginv::InventoryReport::exit_code
    pub fn exit_code(&self) -> i32 {
        if self.sources.is_empty() {
            1
        } else if self.complete {
            0
        } else if self
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
            complete: self.errors == 0,
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

#[cfg(test)]
mod tests {
    use super::*;
    use reginv::{ErrorKind, Failure, ProviderKind, Repository, Source, Tag};
    use serde_json::Value;

    fn source(name: &str) -> Source {
        Source::new(name, ProviderKind::NCP, "kr", "http://127.0.0.1:1")
    }

    fn finished(name: &str, repositories: u64, errors: u64) -> InventoryEvent {
        let mut summary = SourceSummary::new(&source(name));
        summary.repositories = repositories;
        summary.errors = errors;
        summary.status = SourceStatus::from_counts(repositories, errors);
        InventoryEvent::SourceFinished(summary)
    }

    fn repository(source_name: &str, tags: &[&str]) -> InventoryEvent {
        let mut repo = Repository::new(&source(source_name), "reg", "app");
        repo.tags = Some(tags.iter().map(|t| Tag::new(*t)).collect());
        InventoryEvent::Repository(Box::new(repo))
    }

    fn lines(bytes: &[u8]) -> Vec<Value> {
        std::str::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn each_event_is_one_line_and_the_summary_comes_last_in_config_order() {
        let mut out = Vec::new();
        let mut writer = NdjsonWriter::new(&mut out);
        let failure = Failure::new(&source("b"), "list_registries", ErrorKind::Server, "boom");
        for event in [
            repository("a", &["1", "2"]),
            InventoryEvent::Failure(failure),
            finished("b", 0, 1),
            repository("a", &["3"]),
            finished("a", 2, 0),
        ] {
            writer.write_event(&event).unwrap();
        }
        let summary = writer.finish(&["a".into(), "b".into()]).unwrap();
        assert_eq!(summary.exit_code(), 2);
        let lines = lines(&out);
        let types: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
        assert_eq!(
            types,
            [
                "repository",
                "error",
                "source",
                "repository",
                "source",
                "summary"
            ]
        );
        let last = &lines[5];
        assert_eq!(last["complete"], false);
        assert_eq!(last["repositories"], 2);
        assert_eq!(last["tags"], 3);
        assert_eq!(last["errors"], 1);
        assert_eq!(last["sources"][0]["name"], "a");
        assert_eq!(last["sources"][1]["name"], "b");
        assert_eq!(lines[1]["kind"], "server");
    }

    #[test]
    fn exit_codes_follow_the_report_rules() {
        let mut out = Vec::new();
        let mut writer = NdjsonWriter::new(&mut out);
        writer.write_event(&finished("a", 3, 0)).unwrap();
        assert_eq!(writer.finish(&[]).unwrap().exit_code(), 0);

        let mut out = Vec::new();
        let mut writer = NdjsonWriter::new(&mut out);
        let failure = Failure::new(
            &source("a"),
            "list_registries",
            ErrorKind::Authentication,
            "no",
        );
        writer
            .write_event(&InventoryEvent::Failure(failure))
            .unwrap();
        writer.write_event(&finished("a", 0, 1)).unwrap();
        assert_eq!(
            writer.finish(&[]).unwrap().exit_code(),
            1,
            "every source failed"
        );

        let mut out = Vec::new();
        let writer = NdjsonWriter::new(&mut out);
        assert_eq!(
            writer.finish(&[]).unwrap().exit_code(),
            1,
            "no source at all"
        );
    }
}
