//! `reginv inventory`: the configured sources, listed and merged.

use crate::cli::InventoryArgs;
use crate::config_lookup::find_config;
use crate::error::CliError;
use crate::signals::Interrupts;

/// Loads the configuration, then lists and writes the inventory.
pub async fn run(
    args: InventoryArgs,
    verbose: u8,
    interrupts: Interrupts,
) -> Result<i32, CliError> {
    let (config, origin) = find_config(args.config.as_deref())?;
    tracing::info!(
        ?origin,
        sources = config.providers.len(),
        "configuration loaded"
    );
    let store_url =
        super::store::store_url(args.store.store.as_deref(), config.store_url.as_deref());
    let inventory = super::build(config, &args.selection)?;
    let store = (store_url, args.store.incremental);
    super::list(
        inventory,
        &args.selection,
        &args.output,
        store,
        verbose,
        interrupts,
    )
    .await
}
