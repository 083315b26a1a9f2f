//! Sources from the vendors' own environment variables, for runs without a configuration file.

use crate::core::{EntryLocation, Result};
use crate::factory_table::ProviderFactories;

use super::{Config, Environment};

const ORIGIN: &str = "environment";

/// See [`Config::from_env`]: one entry per backend whose variables are set, each validated.
pub(crate) fn from_environment(
    env: &Environment,
    factories: &ProviderFactories,
) -> Result<Option<Config>> {
    let providers = factories.entries_from_environment(env)?;
    if providers.is_empty() {
        return Ok(None);
    }
    for entry in &providers {
        let located = entry.clone().located(EntryLocation {
            origin: ORIGIN.to_string(),
            index: None,
        });
        factories.validate_entry(&located)?;
    }
    Ok(Some(Config::new(providers, ORIGIN)))
}
