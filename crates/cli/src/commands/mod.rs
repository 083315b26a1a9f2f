//! The subcommands, one module each, and what `inventory` and `demo` share.

pub mod audit;
#[cfg(feature = "ncp")]
mod create_registry;
#[cfg(feature = "demo")]
mod demo;
pub mod diff;
mod init;
mod inventory;
mod report;
pub mod schema;
mod shell;
pub mod snapshots;
pub mod store;

use reginv::{Config, Filter, Inventory, InventoryOptions, TagDepth};

use crate::cli::{Cli, Command, Format, OutputArgs, SelectionArgs, Tags};
use crate::error::CliError;
use crate::output::{self, destination::Destination, OutputSettings};
use crate::progress::Progress;
use crate::signals::Interrupts;

/// Runs the parsed command line; returns the exit status (0 complete, 2 incomplete, 3 a
/// filter matched nothing).
pub async fn run(cli: Cli, interrupts: Interrupts) -> Result<i32, CliError> {
    match cli.command {
        Command::Inventory(args) => inventory::run(args, cli.verbose, interrupts).await,
        #[cfg(feature = "demo")]
        Command::Demo(args) => demo::run(args, cli.verbose, interrupts).await,
        #[cfg(not(feature = "demo"))]
        Command::Demo(_) => Err(without_feature("demo", "the built-in emulator")),
        #[cfg(feature = "ncp")]
        Command::Ncp(crate::cli::NcpCommand::CreateRegistry(args)) => {
            create_registry::run(args).await
        }
        #[cfg(not(feature = "ncp"))]
        Command::Ncp(_) => Err(without_feature("ncp", "the NAVER Cloud NCR backend")),
        Command::Snapshots(args) => snapshots::run(args).await,
        Command::Diff(args) => diff::run(args).await,
        Command::Audit(args) => audit::run(*args).await,
        Command::Report(args) => report::run(args, cli.verbose).await,
        Command::Init(args) => init::run(&args),
        Command::Completions(args) => shell::completions(args.shell),
        Command::Man => shell::man(),
        Command::Schema(args) => schema::print(args.document),
    }
}

/// The error of a command this build left out: which cargo feature brings it back.
#[cfg_attr(all(feature = "demo", feature = "ncp"), allow(dead_code))]
fn without_feature(feature: &str, what: &str) -> CliError {
    CliError::new(format!(
        "this reginv was built without {what} (cargo feature `{feature}`); install it with \
         `cargo install reginv-cli --features {feature}` (a default feature)"
    ))
}

/// Applies the selection options to `inventory`, runs it and writes the output.
async fn list(
    inventory: Inventory,
    selection: &SelectionArgs,
    output: &OutputArgs,
    store: (Option<String>, bool),
    verbose: u8,
    interrupts: Interrupts,
) -> Result<i32, CliError> {
    let inventory = select(inventory, selection)?;
    let destination = Destination::open(output.output.as_deref())?;
    let settings = OutputSettings::new(
        output,
        inventory.options().depth,
        selection.allow_unmatched,
        &destination,
    );
    let format = settings.format;
    // NDJSON lines on a terminal would land among the progress bars: no progress then.
    let ndjson_on_terminal = format == Format::Ndjson && destination.is_terminal();
    let progress =
        Progress::for_inventory(Progress::wanted(verbose) && !ndjson_on_terminal, &inventory);
    match store {
        (Some(url), incremental) => {
            let store = store::open(&url).await?;
            store::list_and_store(
                inventory,
                &store,
                incremental,
                &settings,
                destination,
                progress,
                interrupts,
            )
            .await
        }
        (None, true) => Err(CliError::new(
            "--incremental needs a store: give --store URL (or set REGINV_STORE, or [store] url)",
        )),
        (None, false) => {
            output::write_inventory(&inventory, &settings, destination, progress, interrupts).await
        }
    }
}

/// The configuration with the command line's per-source settings applied (`--max-rps`
/// overrides every entry's `max_rps`).
fn apply_overrides(mut config: Config, selection: &SelectionArgs) -> Config {
    if let Some(rate) = selection.max_rps {
        for provider in &mut config.providers {
            provider.set("max_rps", rate);
        }
    }
    config
}

/// The inventory of `config` with the command line's settings.
pub(crate) fn build(config: Config, selection: &SelectionArgs) -> Result<Inventory, CliError> {
    if config.providers.is_empty() {
        return Err(CliError::new(format!(
            "{} configures no source: add a [[providers]] entry (see `reginv inventory --help`)",
            if config.origin.is_empty() {
                "the configuration".to_string()
            } else {
                config.origin.clone()
            }
        )));
    }
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
    options.details = selection.details;
    // Every registry is a row, empty SWR namespaces included.
    options.registry_rows = true;
    if let Some(n) = selection.concurrency {
        options.concurrency = n as usize;
    }
    if let Some(n) = selection.per_source_concurrency {
        options.per_source_concurrency = Some(n as usize);
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
        let capped = ProviderConfig::new("a", "ncp")
            .with("region", "kr")
            .with("max_rps", 5.0);
        let swr = ProviderConfig::new("b", "huawei").with("region", "ap-southeast-1");
        config.providers = vec![capped, swr];
        config
    }

    #[test]
    fn max_rps_on_the_command_line_overrides_every_entry() {
        let config = apply_overrides(config(), &selection(&["--max-rps", "2.5"]));
        let rate = |p: &ProviderConfig| p.number("max_rps").unwrap();
        let rates: Vec<Option<f64>> = config.providers.iter().map(rate).collect();
        assert_eq!(rates, vec![Some(2.5), Some(2.5)]);
        let config = apply_overrides(self::config(), &selection(&[]));
        assert_eq!(rate(&config.providers[0]), Some(5.0));
        assert_eq!(rate(&config.providers[1]), None);
    }

    #[test]
    fn a_command_left_out_of_the_build_names_its_feature() {
        let message = without_feature("demo", "the built-in emulator").to_string();
        assert!(
            message.contains("without the built-in emulator"),
            "{message}"
        );
        assert!(
            message.contains("cargo install reginv-cli --features demo"),
            "{message}"
        );
    }

    #[test]
    fn concurrency_options_reach_the_inventory() {
        let inventory = select(
            Inventory::new(Vec::new()),
            &selection(&["--concurrency", "64", "--per-source-concurrency", "16"]),
        )
        .unwrap();
        assert_eq!(inventory.options().concurrency, 64);
        assert_eq!(inventory.options().per_source_concurrency, Some(16));
    }
}
