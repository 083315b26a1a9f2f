//! `reginv report`: one self-contained HTML page of an inventory (a live one, or a JSON report
//! written earlier by `reginv inventory --format json`).

use std::path::Path;

use futures::StreamExt;
use reginv::InventoryReport;
use reginv_report::Page;

use crate::cli::ReportArgs;
use crate::config_lookup::find_config;
use crate::error::CliError;
use crate::output::destination::Destination;
use crate::progress::Progress;

/// The title when `--title` is not given.
pub const DEFAULT_TITLE: &str = "Container registry inventory";

/// Gets the report (live or `--from`), renders the page and writes it atomically to
/// `--output`; returns the report's exit status (0 complete, 2 partial, 1 nothing listed).
pub async fn run(args: ReportArgs, verbose: u8) -> Result<i32, CliError> {
    let (report, origin) = match &args.from {
        Some(path) => {
            refuse_selection_with_from(&args)?;
            (read_report(path)?, format!("from {}", path.display()))
        }
        None => {
            let report = live(&args, verbose).await?;
            let origin = format!("a live inventory of {} sources", report.sources.len());
            (report, origin)
        }
    };
    let mut page = Page::new(
        &report,
        args.title.clone().unwrap_or_else(|| DEFAULT_TITLE.into()),
    );
    page.origin = origin;
    let html = reginv_report::render(&page).map_err(|e| CliError::new(e.to_string()))?;
    let mut destination = Destination::open(Some(&args.output))?;
    let what = destination.describe();
    destination
        .writer()
        .write_all(html.as_bytes())
        .map_err(|e| CliError::write(&what, &e))?;
    destination.commit()?;
    if args.from.is_some() {
        // A live run already warned as failures arrived.
        for failure in &report.errors {
            eprintln!("reginv: warning: {failure}");
        }
    }
    Ok(report.exit_code())
}

/// The selection options choose what a live inventory lists; a saved report is shown whole,
/// so they would silently do nothing.
fn refuse_selection_with_from(args: &ReportArgs) -> Result<(), CliError> {
    let s = &args.selection;
    if args.config.is_some()
        || !s.sources.is_empty()
        || !s.registries.is_empty()
        || s.repository_glob.is_some()
    {
        return Err(CliError::new(
            "--config, --source, --registry and --repo choose what a live inventory lists; \
             with --from the saved report is shown as it is",
        ));
    }
    Ok(())
}

/// Reads a JSON report written by `reginv inventory --format json`.
fn read_report(path: &Path) -> Result<InventoryReport, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::new(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| {
        CliError::new(format!(
            "{} is not a reginv JSON report (reginv inventory --format json): {e}",
            path.display()
        ))
    })
}

/// Runs the configured inventory with the selection options and collects its report.
async fn live(args: &ReportArgs, verbose: u8) -> Result<InventoryReport, CliError> {
    let (config, origin) = find_config(args.config.as_deref())?;
    tracing::info!(
        ?origin,
        sources = config.providers.len(),
        "configuration loaded"
    );
    let inventory = super::select(super::build(config, &args.selection)?, &args.selection)?;
    let selected = inventory.selected_sources().len();
    let mut progress = Progress::new(Progress::wanted(verbose), selected);
    let mut assembler = inventory.report_builder();
    let mut events = inventory.stream();
    while let Some(event) = events.next().await {
        progress.observe(&event);
        if let reginv::InventoryEvent::Failure(failure) = &event {
            progress.warn(&format!("warning: {failure}"));
        }
        assembler.push(event);
    }
    progress.finish();
    Ok(assembler.finish())
}
