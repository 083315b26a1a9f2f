//! The subcommands, one module each, and what `inventory` and `demo` share.

mod create_registry;
mod demo;
mod init;
mod inventory;
pub mod schema;
mod shell;

use reginv::{Config, Filter, Inventory, InventoryOptions, TagDepth};

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
        Command::Init(args) => init::run(&args),
        Command::Completions(args) => shell::completions(args.shell),
        Command::Man => shell::man(),
        Command::Schema(args) => schema::print(args.document),
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

/// The configuration with the command line's per-source settings applied (`--max-rps`
/// overrides every entry's `max_rps`).
fn apply_overrides(mut config: Config, selection: &SelectionArgs) -> Config {
    if let Some(rate) = selection.max_rps {
        for provider in &mut config.providers {
            provider.max_rps = Some(rate);
        }
    }
    config
}

/// The inventory of `config` with the command line's settings.
pub(crate) fn build(config: Config, selection: &SelectionArgs) -> Result<Inventory, CliError> {
    Ok(Inventory::from_config(&apply_overrides(config, selection))?)
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
    if let Some(n) = selection.per_source_concurrency {
        options.per_source_concurrency = n as usize;
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use reginv::ProviderConfig;

    fn selection(args: &[&str]) -> SelectionArgs {
        let mut argv = vec!["reginv", "demo"];
        argv.extend_from_slice(args);
        match Cli::parse_from(argv).command {
            Command::Demo(demo) => demo.selection,
            other => panic!("parsed {other:?}"),
        }
    }

    fn config() -> Config {
        let mut config = Config::default();
        let mut capped = ProviderConfig::new("a", "ncp", "kr");
        capped.max_rps = Some(5.0);
        config.providers = vec![capped, ProviderConfig::new("b", "huawei", "ap-southeast-1")];
        config
    }

    #[test]
    fn max_rps_on_the_command_line_overrides_every_entry() {
        let config = apply_overrides(config(), &selection(&["--max-rps", "2.5"]));
        let rates: Vec<Option<f64>> = config.providers.iter().map(|p| p.max_rps).collect();
        assert_eq!(rates, vec![Some(2.5), Some(2.5)]);
        let config = apply_overrides(self::config(), &selection(&[]));
        assert_eq!(config.providers[0].max_rps, Some(5.0));
        assert_eq!(config.providers[1].max_rps, None);
    }

    #[test]
    fn concurrency_options_reach_the_inventory() {
        let inventory = select(
            Inventory::new(Vec::new()),
            &selection(&["--concurrency", "64", "--per-source-concurrency", "16"]),
        )
        .unwrap();
        assert_eq!(inventory.options().concurrency, 64);
        assert_eq!(inventory.options().per_source_concurrency, 16);
    }
}
