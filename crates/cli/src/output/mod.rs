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
pub mod unmatched;

use std::io::{self, Write};
use std::path::PathBuf;

use futures::stream::BoxStream;
use futures::StreamExt;
use reginv::{Failure, Inventory, InventoryEvent, InventoryReport, TagDepth};

use crate::cli::{Format, OutputArgs};
use crate::error::CliError;
use crate::progress::Progress;
use crate::signals::Interrupts;
use csv_rows::CsvOptions;
use destination::Destination;
use ndjson::NdjsonWriter;
use unmatched::UnmatchedFilters;

/// The exit status of a run whose output is complete but a `--registry` or `--repo` filter
/// matched nothing (unless `--allow-unmatched`).
pub const EXIT_UNMATCHED: i32 = 3;

/// The format to use when none was asked for: `table` on a terminal, `json` otherwise.
pub fn default_format(requested: Option<Format>, destination: &Destination) -> Format {
    requested.unwrap_or(if destination.is_terminal() {
        Format::Table
    } else {
        Format::Json
    })
}

/// How a run's output is written, beyond where it goes.
#[derive(Debug, Clone)]
pub struct OutputSettings {
    /// The format.
    pub format: Format,
    /// The tag depth the inventory lists.
    pub depth: TagDepth,
    /// What a CSV row is, and whether cells are neutralised.
    pub csv: CsvOptions,
    /// The `--errors FILE` sidecar.
    pub errors: Option<PathBuf>,
    /// Whether a filter that matched nothing still exits 0.
    pub allow_unmatched: bool,
    /// The width to fit a table to (a terminal's), if any.
    pub width: Option<usize>,
}

impl OutputSettings {
    /// The settings of `args` for an inventory at `depth`, writing to `destination`.
    pub fn new(
        args: &OutputArgs,
        depth: TagDepth,
        allow_unmatched: bool,
        destination: &Destination,
    ) -> Self {
        OutputSettings {
            format: default_format(args.format, destination),
            depth,
            csv: CsvOptions::new(args.csv_rows, depth, args.csv_raw),
            errors: args.errors.clone(),
            allow_unmatched,
            width: destination
                .is_terminal()
                .then(table::terminal_width)
                .flatten(),
        }
    }
}

/// Runs `inventory` and writes it to `destination` as `settings` say; returns the exit status
/// (0 complete, 2 incomplete, 1 nothing listed, 3 a filter matched nothing).
///
/// Failures also go to stderr as `reginv: warning: …` lines, except in a table on a terminal,
/// which lists them itself. When `interrupts` fires, an NDJSON stream written to stdout or a
/// FIFO ends with a summary line marked `interrupted`; a file being written is removed.
pub async fn write_inventory(
    inventory: &Inventory,
    settings: &OutputSettings,
    destination: Destination,
    progress: Progress,
    interrupts: Interrupts,
) -> Result<i32, CliError> {
    let events = inventory.stream();
    write_events(
        inventory,
        events,
        settings,
        destination,
        progress,
        interrupts,
    )
    .await
}

/// [`write_inventory`] of `events`, a stream of `inventory`'s events (e.g. one that also stores
/// them).
pub async fn write_events(
    inventory: &Inventory,
    mut events: BoxStream<'static, InventoryEvent>,
    settings: &OutputSettings,
    mut destination: Destination,
    mut progress: Progress,
    mut interrupts: Interrupts,
) -> Result<i32, CliError> {
    let order = inventory.source_order();
    let what = destination.describe();
    let mut unmatched = UnmatchedFilters::new(&inventory.options().filter);

    if settings.format == Format::Ndjson {
        // A file appears only when complete; stdout or a FIFO may have a reader following.
        let streaming = destination.is_stream();
        // The loop below ends the run on a signal itself, with its summary line.
        let _delegated = streaming.then(|| interrupts.delegate());
        let mut writer = NdjsonWriter::new(destination.writer());
        let mut failures = Vec::new();
        loop {
            let event = tokio::select! {
                biased;
                signal = interrupts.wait() => {
                    progress.finish();
                    if streaming {
                        // A reader may still be there: tell it the stream is cut short. A
                        // closed pipe is no news here.
                        let _ = writer.finish_interrupted(&order);
                    }
                    drop(events);
                    return Err(CliError::interrupted(signal));
                }
                event = events.next() => event,
            };
            let Some(event) = event else { break };
            progress.observe(&event);
            unmatched.observe(&event);
            if let InventoryEvent::Failure(failure) = &event {
                progress.warn(&warning(failure));
                if settings.errors.is_some() {
                    failures.push(failure.clone());
                }
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
        write_errors_file(settings, &failures)?;
        let code = summary.exit_code();
        return Ok(finish_filters(&unmatched, settings, code, &mut progress));
    }

    let mut assembler = inventory.report_builder();
    while let Some(event) = events.next().await {
        progress.observe(&event);
        unmatched.observe(&event);
        assembler.push(event);
    }
    progress.finish();
    let report = assembler.finish();
    let table_on_terminal = settings.format == Format::Table && destination.is_terminal();
    write_report_with(&report, settings, destination.writer())
        .map_err(|e| CliError::write(&what, &e))?;
    destination.commit()?;
    write_errors_file(settings, &report.errors)?;
    if !table_on_terminal {
        for failure in &report.errors {
            progress.warn(&warning(failure));
        }
    }
    let code = report.exit_code();
    Ok(finish_filters(&unmatched, settings, code, &mut progress))
}

/// Warns about each filter that matched nothing; a complete run then exits
/// [`EXIT_UNMATCHED`] unless `--allow-unmatched`.
fn finish_filters(
    unmatched: &UnmatchedFilters,
    settings: &OutputSettings,
    code: i32,
    progress: &mut Progress,
) -> i32 {
    let warnings = unmatched.warnings();
    for warning in &warnings {
        progress.warn(warning);
    }
    if code == 0 && !warnings.is_empty() && !settings.allow_unmatched {
        EXIT_UNMATCHED
    } else {
        code
    }
}

/// Writes the `--errors FILE` sidecar, when asked for (atomically, like `--output`).
fn write_errors_file(settings: &OutputSettings, failures: &[Failure]) -> Result<(), CliError> {
    let Some(path) = &settings.errors else {
        return Ok(());
    };
    let mut sidecar = Destination::open(Some(path))?;
    let what = sidecar.describe();
    csv_rows::write_errors(failures, settings.csv.raw, sidecar.writer())
        .and_then(|()| sidecar.writer().flush())
        .map_err(|e| CliError::write(&what, &e))?;
    sidecar.commit()
}

/// Writes a whole report as `settings` say.
fn write_report_with(
    report: &InventoryReport,
    settings: &OutputSettings,
    out: &mut dyn Write,
) -> io::Result<()> {
    match settings.format {
        Format::Table => table::write_table(report, settings.depth, settings.width, out),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, report)?;
            writeln!(out)
        }
        Format::Csv => csv_rows::write_csv(
            &report.registries,
            &report.repositories,
            settings.depth,
            settings.csv,
            out,
        ),
        Format::Ndjson => {
            let order: Vec<String> = report.sources.iter().map(|s| s.name.clone()).collect();
            let mut writer = NdjsonWriter::new(out);
            for registry in &report.registries {
                writer.write_event(&InventoryEvent::Registry(Box::new(registry.clone())))?;
            }
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
