//! [`ProviderFactory`]: how a backend is built from a configuration entry or from the
//! environment, so the facade keeps a table of factories keyed by kind and knows nothing else of
//! any backend.

use std::fmt;
use std::sync::Arc;

use crate::config_entry::ConfigEntry;
use crate::environment::Environment;
use crate::error::Result;
use crate::model::ProviderKind;
use crate::provider::RegistryProvider;

/// Builds the providers of one kind. A backend crate exports one (`NcpFactory`,
/// `HuaweiFactory`); the facade's factory table lists them.
pub trait ProviderFactory: Send + Sync + fmt::Debug {
    /// The kind of the entries this factory builds (`kind = "…"`).
    fn kind(&self) -> ProviderKind;

    /// Every key an entry of this kind may have besides `name` and `kind`.
    fn keys(&self) -> &[&'static str];

    /// Checks an entry without reading the environment or sending anything: its keys, their
    /// types and values. Errors name the entry and the key (see [`ConfigEntry::error`]).
    fn validate(&self, entry: &ConfigEntry) -> Result<()>;

    /// Builds the provider of an entry, reading credential variables and files from `env`
    /// only. Sends nothing.
    fn build(&self, entry: &ConfigEntry, env: &Environment) -> Result<Arc<dyn RegistryProvider>>;

    /// The entry the vendor's own environment variables describe (`Ok(None)` when they are not
    /// set), for runs without a configuration file. An incomplete set is an error saying which
    /// variable to set.
    fn entry_from_environment(&self, env: &Environment) -> Result<Option<ConfigEntry>> {
        let _ = env;
        Ok(None)
    }
}
