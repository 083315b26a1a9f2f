//! [`Config`]: the sources an inventory lists, from a TOML file or the vendors' environment
//! variables.
//!
//! A configuration is a list of `[[providers]]` tables. Every entry has `name` (the source
//! label in every output row, unique) and `kind`; its other keys belong to the backend of that
//! kind, which reads and checks them: its [`ProviderFactory`](crate::ProviderFactory), found in
//! the facade's [`ProviderFactories`] table (which shows a whole file and the keys of the
//! built-in backends). A key that only another kind takes is an error that says so.
//!
//! Credentials are taken from, in order: `access_key` / `secret_key`; else the variables named
//! by `access_key_env` / `secret_key_env` (an error when one is unset); else the vendor's own
//! resolution, from the [`Environment`] given and nothing else (its variables, then the
//! vendor's credentials file in its home directory).
//!
//! Unknown keys, values of the wrong type and bad values are
//! [`InvalidConfig`](crate::ErrorKind::InvalidConfig) errors that name the file (with line and
//! column), the provider entry (`providers[1] ("swr-ap")`) and the key. Secrets never appear in
//! `Debug` output or errors.

mod build;
mod from_env;
mod parse;
mod validate;

use std::path::Path;

use crate::core::{Error, Result};
use crate::factory_table::ProviderFactories;

pub use crate::core::{ConfigEntry, Environment};

/// One source: an account in a region of one provider, as a key → value table (`name`,
/// `kind` and the keys its backend owns), with the position of each key when it was read from
/// a file. `Debug` never prints a secret. Build one in code with
/// `ProviderConfig::new(name, kind).with("region", "kr")`.
pub type ProviderConfig = ConfigEntry;

/// Every source to inventory.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Config {
    /// The sources, in the order reports list them.
    pub providers: Vec<ProviderConfig>,
    /// `[store] url`: where `reginv` keeps snapshots (see the `reginv-store` crate), when set.
    pub store_url: Option<String>,
    /// Where the configuration came from (a file path, `environment`, …), for messages.
    pub origin: String,
}

impl Config {
    /// A configuration of these sources; `origin` names where it came from in messages.
    pub fn new(providers: Vec<ProviderConfig>, origin: impl Into<String>) -> Self {
        Config {
            providers,
            store_url: None,
            origin: origin.into(),
        }
    }

    /// Reads and validates a TOML configuration file against the built-in backends. Errors
    /// name the file, the provider entry (index and name) and the key.
    pub fn load(path: &Path) -> Result<Config> {
        Config::load_with(path, &ProviderFactories::builtin())
    }

    /// [`load`](Config::load) with the kinds of `factories`.
    pub fn load_with(path: &Path, factories: &ProviderFactories) -> Result<Config> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::config(format!("cannot read the configuration {origin}: {e}")))?;
        Config::from_toml_str_with(&text, &origin, factories)
    }

    /// Parses and validates a TOML configuration; `origin` names it in errors (a file path).
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Config> {
        Config::from_toml_str_with(text, origin, &ProviderFactories::builtin())
    }

    /// [`from_toml_str`](Config::from_toml_str) with the kinds of `factories`.
    pub fn from_toml_str_with(
        text: &str,
        origin: &str,
        factories: &ProviderFactories,
    ) -> Result<Config> {
        parse::parse(text, origin, factories)
    }

    /// Sources from the vendors' environment variables alone, or `Ok(None)` when none are set:
    /// one source per built-in backend whose variables are set, as that backend describes.
    ///
    /// - `NCLOUD_ACCESS_KEY` (or `NCLOUD_ACCESS_KEY_ID`) set: one `ncp` source named
    ///   `ncp-{region}`, region `NCLOUD_REGION` or `kr`, keys from `NCLOUD_ACCESS_KEY` /
    ///   `NCLOUD_SECRET_KEY` (or their `_ID` / `_ACCESS_KEY` aliases).
    /// - `HUAWEICLOUD_SDK_AK` set: one `huawei` source named `huawei-{region}`, keys from
    ///   `HUAWEICLOUD_SDK_AK` / `HUAWEICLOUD_SDK_SK`, project `HUAWEICLOUD_SDK_PROJECT_ID`,
    ///   security token `HUAWEICLOUD_SDK_SECURITY_TOKEN` when set. The region comes from
    ///   `HUAWEICLOUD_SDK_REGION`, which must then be set: SWR has no global endpoint, and
    ///   guessing a region would list the wrong account's registries silently.
    ///
    /// An access key without its secret key (or a Huawei key without a region) is an error
    /// that says which variable to set.
    pub fn from_env() -> Result<Option<Config>> {
        Config::from_environment(&Environment::process())
    }

    /// [`from_env`](Config::from_env) with variables read from `env`.
    pub fn from_environment(env: &Environment) -> Result<Option<Config>> {
        Config::from_environment_with(env, &ProviderFactories::builtin())
    }

    /// [`from_environment`](Config::from_environment) with the backends of `factories`.
    pub fn from_environment_with(
        env: &Environment,
        factories: &ProviderFactories,
    ) -> Result<Option<Config>> {
        from_env::from_environment(env, factories)
    }

    /// Checks every entry and that names are unique (what [`load`](Config::load) checks,
    /// without line numbers), for configurations built in code.
    pub fn validate(&self) -> Result<()> {
        self.validate_with(&ProviderFactories::builtin())
    }

    /// [`validate`](Config::validate) against the kinds of `factories`.
    pub fn validate_with(&self, factories: &ProviderFactories) -> Result<()> {
        validate::validate_config(self, factories)
    }

    /// The entry named `name`.
    pub fn provider(&self, name: &str) -> Option<&ProviderConfig> {
        self.providers.iter().find(|p| p.name() == name)
    }

    /// Entry `index`, placed in this configuration so its errors name the origin and index.
    pub(crate) fn located(&self, index: usize) -> Option<ProviderConfig> {
        let entry = self.providers.get(index)?;
        Some(entry.clone().located(crate::core::EntryLocation {
            origin: self.origin.clone(),
            index: Some(index),
        }))
    }
}

#[cfg(test)]
mod tests;
