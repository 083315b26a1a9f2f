//! The subcommands, one module each, and what `inventory` and `demo` share.

mod create_registry;
mod demo;
mod inventory;

use reginv::{Filter, Inventory, InventoryOptions, TagDepth};

use crate::cli::{Cli, Command, Format, NcpCommand, OutputArgs, SelectionArgs, Tags};
use crate::error::CliError;
use crate::output::{self, destination::Destination};
use crate::progress::Progress;

/// Runs the parsed command line; returns the exit status (0 complete, 2 incomplete).
pub async fn run(cli: Cli) -> Result<i32, CliError> {
    match cli.command {
        Command::Inventory(args) => inventory::run(args, cli.verbose).await,
        Command::Demo(args) => demo::run(args, cli.verbose).await,
        Command::Ncp(NcpCommand::CreateRegistry(args)) => create_registry::run(args).await,
    }
}

/// Applies the selection options to `inventory`, runs it and writes the output.
async fn list(
    inventory: Inventory,
    selection: &SelectionArgs,
    output: &OutputArgs,
    verbose: u8,
) -> Result<i32, CliError> {
    let inventory = select(inventory, selection)?;
    let destination = Destination::open(output.output.as_deref())?;
    let format = output::default_format(output.format, &destination);
    let wanted = &inventory.options().filter.sources;
    let selected = inventory
        .providers()
        .iter()
        .filter(|p| wanted.is_empty() || wanted.contains(&p.source().name))
        .count();
    // NDJSON lines on a terminal would land on the progress line: no progress then.
    let ndjson_on_terminal = format == Format::Ndjson && destination.is_terminal();
    let progress = Progress::new(Progress::wanted(verbose) && !ndjson_on_terminal, selected);
    output::write_inventory(&inventory, format, destination, progress).await
}

/// The inventory with the depth, filters and concurrency of `selection`. Unknown source names
/// are an error (the facade checks), so a typo never lists nothing and looks complete.
fn select(inventory: Inventory, selection: &SelectionArgs) -> Result<Inventory, CliError> {
    let mut filter = Filter::default();
    filter.sources = selection.sources.clone();
    filter.registries = selection.registries.clone();
    filter.repository_glob = selection.repository_glob.clone();
    let mut options = InventoryOptions::default();
    options.depth = depth(selection.tags);
    options.filter = filter;
    if let Some(n) = selection.concurrency {
        options.concurrency = n as usize;
    }
    Ok(inventory.with_options(options)?)
}

fn depth(tags: Tags) -> TagDepth {
    match tags {
        Tags::None => TagDepth::None,
        Tags::Names => TagDepth::Names,
        Tags::Full => TagDepth::Full,
    }
}
