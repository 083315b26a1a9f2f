//! Building providers from configuration entries, through the factory table.

use std::sync::Arc;

use crate::core::{RegistryProvider, Result};
use crate::factory_table::ProviderFactories;

use super::{Config, Environment};

impl Config {
    /// Validates the configuration and builds one provider per entry, in order, reading
    /// credential variables and files from `env` only. Errors name the origin, the entry and
    /// the key.
    pub fn build_providers(&self, env: &Environment) -> Result<Vec<Arc<dyn RegistryProvider>>> {
        self.build_providers_with(env, &ProviderFactories::builtin())
    }

    /// [`build_providers`](Config::build_providers) with the kinds of `factories`.
    pub fn build_providers_with(
        &self,
        env: &Environment,
        factories: &ProviderFactories,
    ) -> Result<Vec<Arc<dyn RegistryProvider>>> {
        self.validate_with(factories)?;
        (0..self.providers.len())
            .filter_map(|index| self.located(index))
            .map(|entry| factories.build_entry(&entry, env))
            .collect()
    }
}
