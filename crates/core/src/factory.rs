//! [`ProviderFactory`]: how a backend is built from a configuration entry or from the
//! environment, so the facade keeps a table of factories keyed by kind and knows nothing else of
//! any backend.

use std::fmt;
use std::marker::PhantomData;
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
    fn keys(&self) -> Vec<&'static str>;

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

/// A backend's configuration as read from a [`ConfigEntry`]: implement it and
/// [`BackendFactory<Self>`](BackendFactory) is the backend's [`ProviderFactory`].
pub trait BackendConfig: Sized + 'static {
    /// The kind of the entries it reads.
    const KIND: ProviderKind;

    /// Every key of those entries besides `name` and `kind` (with the shared ones it takes:
    /// [`CLIENT_KEYS`](crate::CLIENT_KEYS), [`ACCESS_KEY_KEYS`](crate::ACCESS_KEY_KEYS)).
    fn keys() -> Vec<&'static str>;

    /// What an entry of the right kind and with only known keys says that needs no
    /// environment, every value checked; credentials not resolved yet.
    fn read_settings(entry: &ConfigEntry) -> Result<Self>;

    /// [`read_settings`](BackendConfig::read_settings) after checking the entry's kind and
    /// that it has no unknown key.
    fn settings(entry: &ConfigEntry) -> Result<Self> {
        if entry.kind() != Self::KIND.as_str() {
            let message = format!("is {:?}, not {:?}", entry.kind(), Self::KIND.as_str());
            return Err(entry.error("kind", message));
        }
        entry.check_keys(&Self::keys())?;
        Self::read_settings(entry)
    }

    /// These settings with the credentials the entry gives, variables read from `env`, and
    /// `env` kept for the backend's own lookup (its variables and files).
    fn with_entry_credentials(self, entry: &ConfigEntry, env: &Environment) -> Result<Self>;

    /// The provider of this configuration. Sends nothing.
    fn into_provider(self) -> Result<Arc<dyn RegistryProvider>>;

    /// The entry the vendor's own environment variables describe (`Ok(None)` when unset).
    fn entry_from_environment(env: &Environment) -> Result<Option<ConfigEntry>> {
        let _ = env;
        Ok(None)
    }

    /// The whole configuration of an entry: [`settings`](BackendConfig::settings), then its
    /// credentials from `env`. Errors name the entry and the key.
    fn from_entry(entry: &ConfigEntry, env: &Environment) -> Result<Self> {
        Self::settings(entry)?.with_entry_credentials(entry, env)
    }
}

/// The [`ProviderFactory`] of a backend whose configuration implements [`BackendConfig`]
/// (`pub type NcpFactory = BackendFactory<NcpConfig>;`).
pub struct BackendFactory<C>(PhantomData<fn() -> C>);

impl<C> Default for BackendFactory<C> {
    fn default() -> Self {
        BackendFactory(PhantomData)
    }
}

impl<C: BackendConfig> fmt::Debug for BackendFactory<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BackendFactory({})", C::KIND)
    }
}

impl<C: BackendConfig> ProviderFactory for BackendFactory<C> {
    fn kind(&self) -> ProviderKind {
        C::KIND
    }

    fn keys(&self) -> Vec<&'static str> {
        C::keys()
    }

    fn validate(&self, entry: &ConfigEntry) -> Result<()> {
        C::settings(entry).map(|_| ())
    }

    fn build(&self, entry: &ConfigEntry, env: &Environment) -> Result<Arc<dyn RegistryProvider>> {
        C::from_entry(entry, env)?
            .into_provider()
            .map_err(|e| entry.wrap(&e))
    }

    fn entry_from_environment(&self, env: &Environment) -> Result<Option<ConfigEntry>> {
        C::entry_from_environment(env)
    }
}
