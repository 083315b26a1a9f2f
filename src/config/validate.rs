//! The rules every configuration follows whatever its backends: each entry checked by the
//! factory of its kind, and names unique.

use std::collections::BTreeMap;

use crate::core::Result;
use crate::factory_table::ProviderFactories;

use super::Config;

/// Checks every entry of `config` with `factories` and that names are unique.
pub(crate) fn validate_config(config: &Config, factories: &ProviderFactories) -> Result<()> {
    for index in 0..config.providers.len() {
        if let Some(entry) = config.located(index) {
            factories.validate_entry(&entry)?;
        }
    }
    check_unique_names(config)
}

/// Checks that no name is used twice; the error is about the second use's `name`.
pub(crate) fn check_unique_names(config: &Config) -> Result<()> {
    let mut first: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, entry) in config.providers.iter().enumerate() {
        let name = entry.name();
        if let Some(earlier) = first.insert(name, index) {
            let Some(mut located) = config.located(index) else {
                continue;
            };
            // Named by index alone: the name is what is wrong.
            let at = located.value_position("name");
            located.remove("name");
            return Err(crate::core::Error::config(located.describe(
                Some("name"),
                at,
                format!(
                    "the name {name:?} is already used by providers[{earlier}]; names must be \
                     unique"
                ),
            )));
        }
    }
    Ok(())
}
