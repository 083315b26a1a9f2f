//! Running an inventory and writing it out in the chosen format.
//!
//! `ndjson` writes each event the moment it arrives; `table`, `json` and `csv` gather the events
//! into an [`InventoryReport`] first (sorted, so two runs over the same data print the same).
//! Either way the events come from [`Inventory::stream`], which is what feeds the progress line.

pub mod assemble;
pub mod csv_rows;
pub mod destination;
pub mod human;
pub mod ndjson;
pub mod table;

use std::io::{self, Write};

use futures::stream::BoxStream;
use futures::StreamExt;
use reginv::{Failure, Inventory, InventoryEvent, InventoryReport, TagDepth};

use crate::cli::Format;
use crate::error::CliError;
use crate::progress::Progress;
use assemble::ReportAssembler;
use destination::Destination;
use ndjson::NdjsonWriter;

/// The format to use when none was asked for: `table` on a terminal, `json` otherwise.
pub fn default_format(requested: Option<Format>, destination: &Destination) -> Format {
    requested.unwrap_or(if destination.is_terminal() {
        Format::Table
    } else {
        Format::Json
    })
}

/// Runs `inventory` and writes it to `destination` as `format`; returns the exit status
/// (0 complete, 2 incomplete, 1 nothing listed).
///
/// Failures also go to stderr as `reginv: warning: …` lines, except in a table on a terminal,
/// which lists them itself.
pub async fn write_inventory(
    inventory: &Inventory,
    format: Format,
    destination: Destination,
    progress: Progress,
) -> Result<i32, CliError> {
    write_events(inventory, inventory.stream(), format, destination, progress).await
}

/// [`write_inventory`] of `events`, a stream of `inventory`'s events (e.g. one that also stores
/// them).
pub async fn write_events(
    inventory: &Inventory,
    mut events: BoxStream<'static, InventoryEvent>,
    format: Format,
    mut destination: Destination,
    mut progress: Progress,
) -> Result<i32, CliError> {
    let depth = inventory.options().depth;
    let order: Vec<String> = inventory
        .providers()
        .iter()
        .map(|p| p.source().name.clone())
        .collect();
    let what = destination.describe();

    if format == Format::Ndjson {
        let mut writer = NdjsonWriter::new(destination.writer());
        while let Some(event) = events.next().await {
            progress.observe(&event);
            if let InventoryEvent::Failure(failure) = &event {
                progress.warn(&warning(failure));
            }
            writer
                .write_event(&event)
                .map_err(|e| CliError::write(&what, &e))?;
        }
        let summary = writer
            .finish(&order)
            .map_err(|e| CliError::write(&what, &e))?;
        progress.finish();
        destination.commit()?;
        return Ok(summary.exit_code());
    }

    let mut assembler = ReportAssembler::new(order);
    while let Some(event) = events.next().await {
        progress.observe(&event);
        assembler.push(event);
    }
    progress.finish();
    let report = assembler.finish();
    let table_on_terminal = format == Format::Table && destination.is_terminal();
    write_report(&report, format, depth, destination.writer())
        .map_err(|e| CliError::write(&what, &e))?;
    destination.commit()?;
    if !table_on_terminal {
        for failure in &report.errors {
            progress.warn(&warning(failure));
        }
    }
    Ok(report.exit_code())
}

/// Writes a whole report as `format` (`ndjson`: its events, then the summary line).
pub fn write_report(
    report: &InventoryReport,
    format: Format,
    depth: TagDepth,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Table => table::write_table(report, depth, out),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, report)?;
            writeln!(out)
        }
        Format::Csv => csv_rows::write_csv(&report.repositories, depth, out),
        Format::Ndjson => {
            let order: Vec<String> = report.sources.iter().map(|s| s.name.clone()).collect();
            let mut writer = NdjsonWriter::new(out);
            for repo in &report.repositories {
                writer.write_event(&InventoryEvent::Repository(Box::new(repo.clone())))?;
            }
            for failure in &report.errors {
                writer.write_event(&InventoryEvent::Failure(failure.clone()))?;
            }
            for source in &report.sources {
                writer.write_event(&InventoryEvent::SourceFinished(source.clone()))?;
            }
            writer.finish(&order).map(|_| ())
        }
    }
    .and_then(|()| out.flush())
}

fn warning(failure: &Failure) -> String {
    format!("warning: {failure}")
}
