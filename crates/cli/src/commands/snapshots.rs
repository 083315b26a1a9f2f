//! `reginv snapshots`: the runs a store holds.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use reginv_store::RunInfo;

use super::store::{open, required_url, store_error};
use crate::error::CliError;
use crate::output::human;

/// `reginv snapshots`.
#[derive(Debug, Args)]
pub struct SnapshotsArgs {
    /// The store [default: $REGINV_STORE, else `[store] url` in the configuration].
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,

    /// The configuration file whose `[store] url` to use [default: ./reginv.toml].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Output format [default: table on a terminal, json otherwise].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<SnapshotsFormat>,
}

/// How `reginv snapshots` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SnapshotsFormat {
    /// Readable columns.
    Table,
    /// One JSON array of runs.
    Json,
}

/// Lists the runs, oldest first.
pub async fn run(args: SnapshotsArgs) -> Result<i32, CliError> {
    let url = required_url(args.store.as_deref(), args.config.as_deref())?;
    let store = open(&url).await?;
    let runs = store.runs().await.map_err(store_error)?;
    let stdout = std::io::stdout();
    let format = args.format.unwrap_or(if stdout.is_terminal() {
        SnapshotsFormat::Table
    } else {
        SnapshotsFormat::Json
    });
    let mut out = stdout.lock();
    let written = match format {
        SnapshotsFormat::Json => serde_json::to_writer_pretty(&mut out, &runs)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out)),
        SnapshotsFormat::Table => write_table(&runs, &mut out),
    };
    written
        .and_then(|()| out.flush())
        .map_err(|e| CliError::write("stdout", &e))?;
    Ok(0)
}

/// The runs as columns.
pub fn write_table(runs: &[RunInfo], out: &mut dyn Write) -> std::io::Result<()> {
    let header = [
        "ID",
        "STARTED",
        "FINISHED",
        "STATUS",
        "DEPTH",
        "SOURCES",
        "REGISTRIES",
        "REPOSITORIES",
        "TAGS",
    ];
    let rows: Vec<[String; 9]> = runs
        .iter()
        .map(|r| {
            [
                r.id.to_string(),
                human::time(Some(r.started)),
                human::time(r.finished),
                format!(
                    "{}{}",
                    r.status,
                    if r.incremental { " (incremental)" } else { "" }
                ),
                r.depth.to_string(),
                r.sources.to_string(),
                r.registries.to_string(),
                r.repositories.to_string(),
                r.tags.to_string(),
            ]
        })
        .collect();
    write_columns(&header, &rows, out)?;
    if runs.is_empty() {
        writeln!(
            out,
            "(no snapshots yet: run `reginv inventory --store URL`)"
        )?;
    }
    Ok(())
}

/// `rows` under `header` in left-aligned columns two spaces apart (cells already escaped).
pub fn write_columns<const N: usize>(
    header: &[&str; N],
    rows: &[[String; N]],
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut widths = header.map(str::len);
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[&str], out: &mut dyn Write| {
        let text: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        writeln!(out, "{}", text.join("  ").trim_end())
    };
    line(header, out)?;
    for row in rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        line(&cells, out)?;
    }
    Ok(())
}
