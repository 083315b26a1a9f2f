//! `reginv diff`: what changed between two snapshots of a store, or two `--format json`
//! reports.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use reginv::InventoryReport;
use reginv_store::diff::{diff, Change, ChangeKind, Diff, Side};
use reginv_store::Store;
use serde_json::Value as Json;

use super::store::{open, required_url, store_error};
use crate::error::CliError;

/// The exit status of `reginv diff --exit-code` when something changed.
pub const CHANGED_EXIT_CODE: i32 = 3;

/// `reginv diff`.
#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 compared (3 with --exit-code when something changed); \
                        1 nothing could be compared (no store, unknown snapshot, unreadable \
                        report)."
)]
pub struct DiffArgs {
    /// Two reports written by `reginv inventory --format json`, older first, to compare
    /// without a store.
    #[arg(value_name = "REPORT", num_args = 2, conflicts_with_all = ["store", "from", "to"])]
    pub reports: Vec<PathBuf>,

    /// The store [default: $REGINV_STORE, else `[store] url` in the configuration].
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,

    /// The configuration file whose `[store] url` to use [default: ./reginv.toml].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// The older snapshot [default: the finished snapshot before --to].
    #[arg(long, value_name = "ID")]
    pub from: Option<i64>,

    /// The newer snapshot [default: the latest finished snapshot].
    #[arg(long, value_name = "ID")]
    pub to: Option<i64>,

    /// Output format [default: table on a terminal, json otherwise].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<DiffFormat>,

    /// Exit with status 3 when something changed (for CI jobs and cron alerts).
    #[arg(long)]
    pub exit_code: bool,
}

/// How `reginv diff` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// One line per change, then the sources that could not be compared and a summary.
    Table,
    /// One JSON document.
    Json,
    /// One JSON object per line: each change (`"type":"change"`), each source, then a summary.
    Ndjson,
}

/// Compares and prints; the exit status.
pub async fn run(args: DiffArgs) -> Result<i32, CliError> {
    let (from, to) = match args.reports.as_slice() {
        [old, new] => (read_report(old)?, read_report(new)?),
        _ => {
            let url = required_url(args.store.as_deref(), args.config.as_deref())?;
            let store = open(&url).await?;
            stored_pair(&store, args.from, args.to).await?
        }
    };
    let result = diff(&from, &to);
    let stdout = std::io::stdout();
    let format = args.format.unwrap_or(if stdout.is_terminal() {
        DiffFormat::Table
    } else {
        DiffFormat::Json
    });
    let mut out = stdout.lock();
    write_diff(&result, format, &mut out)
        .and_then(|()| out.flush())
        .map_err(|e| CliError::write("stdout", &e))?;
    Ok(if args.exit_code && result.has_changes() {
        CHANGED_EXIT_CODE
    } else {
        0
    })
}

/// The two snapshots to compare: the ids given, else the latest finished run and the finished
/// run before it.
async fn stored_pair(
    store: &Store,
    from: Option<i64>,
    to: Option<i64>,
) -> Result<(Side, Side), CliError> {
    let finished = store.finished_runs().await.map_err(store_error)?;
    let to_id = match to {
        Some(id) => id,
        None => finished.last().map(|r| r.id).ok_or_else(|| {
            CliError::new(
                "the store has no finished snapshot yet: run `reginv inventory --store URL` twice",
            )
        })?,
    };
    let from_id = match from {
        Some(id) => id,
        None => finished
            .iter()
            .rev()
            .map(|r| r.id)
            .find(|id| *id < to_id)
            .ok_or_else(|| {
                CliError::new(format!(
                    "no finished snapshot before {to_id} to compare with: run the inventory \
                     again, or give --from ID"
                ))
            })?,
    };
    let old = store.snapshot(from_id).await.map_err(store_error)?;
    let new = store.snapshot(to_id).await.map_err(store_error)?;
    Ok((Side::from_snapshot(old), Side::from_snapshot(new)))
}

fn read_report(path: &Path) -> Result<Side, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::new(format!("cannot read {}: {e}", path.display())))?;
    let report: InventoryReport = serde_json::from_str(&text).map_err(|e| {
        CliError::new(format!(
            "{} is not a `reginv inventory --format json` report: {e}",
            path.display()
        ))
    })?;
    Ok(Side::from_report(report, path.display().to_string()))
}

/// Writes `diff` as `format`.
pub fn write_diff(diff: &Diff, format: DiffFormat, out: &mut dyn Write) -> std::io::Result<()> {
    match format {
        DiffFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, diff)?;
            writeln!(out)
        }
        DiffFormat::Ndjson => {
            for line in diff.lines() {
                serde_json::to_writer(&mut *out, &line)?;
                writeln!(out)?;
            }
            Ok(())
        }
        DiffFormat::Table => write_table(diff, out),
    }
}

/// Text from a server made safe for a terminal: control characters escaped.
fn printable(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

fn short(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        Json::Null => "-".into(),
        other => other.to_string(),
    }
}

/// What a change line says after its location.
pub(crate) fn detail(change: &Change) -> String {
    match change.kind {
        ChangeKind::TagMoved => format!(
            "{} -> {}",
            short(&change.before["digest"]),
            short(&change.after["digest"])
        ),
        ChangeKind::TagAdded => short(&change.after["digest"]),
        ChangeKind::TagRemoved => short(&change.before["digest"]),
        _ => change
            .fields
            .iter()
            .flatten()
            .map(|f| format!("{}: {} -> {}", f.name, short(&f.before), short(&f.after)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn write_table(diff: &Diff, out: &mut dyn Write) -> std::io::Result<()> {
    let header = ["KIND", "SOURCE", "REGISTRY", "REPOSITORY", "TAG", "DETAIL"];
    let rows: Vec<[String; 6]> = diff
        .changes
        .iter()
        .map(|c| {
            [
                c.kind.as_str().to_string(),
                printable(&c.source),
                printable(&c.registry),
                printable(c.repository.as_deref().unwrap_or("-")),
                printable(c.tag.as_deref().unwrap_or("-")),
                printable(&detail(c)),
            ]
        })
        .collect();
    let describe = |run: &reginv_store::diff::RunRef| match (&run.id, &run.file) {
        (Some(id), _) => format!("snapshot {id}"),
        (None, Some(file)) => printable(file),
        (None, None) => "?".into(),
    };
    writeln!(out, "{} -> {}", describe(&diff.from), describe(&diff.to))?;
    if !rows.is_empty() {
        super::snapshots::write_columns(&header, &rows, out)?;
    }
    for source in diff.sources.iter().filter(|s| !s.comparable) {
        writeln!(
            out,
            "not comparable: {}: {}",
            printable(&source.name),
            printable(source.reason.as_deref().unwrap_or("-"))
        )?;
    }
    let counts: Vec<String> = diff
        .summary
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(kind, n)| format!("{n} {}", kind.as_str()))
        .collect();
    if counts.is_empty() {
        writeln!(out, "no changes")
    } else {
        writeln!(out, "{} changes: {}", diff.changes.len(), counts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_text_is_escaped_for_the_terminal() {
        assert_eq!(printable("ok/name"), "ok/name");
        assert_eq!(printable("evil\u{1b}[2J\n"), "evil\\u{1b}[2J\\n");
    }
}
