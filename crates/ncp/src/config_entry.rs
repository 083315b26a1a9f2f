//! NCP's configuration keys: an [`NcpConfig`] from a `reginv.toml` entry or from NAVER Cloud's
//! environment variables, and [`NcpFactory`], the entry of the facade's factory table.
//!
//! Keys of a `kind = "ncp"` entry besides `name` and `kind`: `region` (required: `kr`, `sgn`,
//! `jpn`, `gov-kr`, `gov-krs`), `endpoint`, `access_key` / `secret_key` or `access_key_env` /
//! `secret_key_env` (else `NCLOUD_ACCESS_KEY` / `NCLOUD_SECRET_KEY`, else
//! `~/.ncloud/configure`), `page_size` (1 to 1000, default 100), `max_rps`,
//! `allow_insecure_http`.

use std::sync::Arc;

use reginv_core::{
    BackendConfig, BackendFactory, ClientOptions, ConfigEntry, Environment, Error, PageLimits,
    ProviderKind, RegistryProvider, Result, ACCESS_KEY_KEYS, CLIENT_KEYS,
};

use crate::config::{NcpConfig, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use crate::credentials::{ACCESS_KEY_VARS, SECRET_KEY_VARS};
use crate::provider::NcpProvider;
use crate::region::NcpRegion;

/// The variable naming the region of the source built from the environment (default `kr`).
pub const REGION_VAR: &str = "NCLOUD_REGION";

/// The page sizes an entry may ask for.
const LIMITS: PageLimits = PageLimits::new(DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);

impl BackendConfig for NcpConfig {
    const KIND: ProviderKind = ProviderKind::NCP;

    /// `region`, the client keys and the access
    /// keys.
    fn keys() -> Vec<&'static str> {
        [&["region"][..], &CLIENT_KEYS, &ACCESS_KEY_KEYS].concat()
    }

    /// Everything of a `kind = "ncp"` entry but its credentials: the region, the client
    /// options (page size 1 to 1000, default 100), and the key rules.
    fn read_settings(entry: &ConfigEntry) -> Result<NcpConfig> {
        let region = entry.required_string("region")?;
        let region = NcpRegion::parse(&region).map_err(|e| entry.error("region", e.message()))?;
        let client = ClientOptions::from_entry(entry, LIMITS)?;
        entry.check_access_keys()?;
        let mut config = NcpConfig::new(entry.name(), region);
        config.client = client;
        Ok(config)
    }

    /// Inline keys, else the variables the entry names; with neither, `env`'s `NCLOUD_*`
    /// variables or `~/.ncloud/configure` when the provider is built.
    ///
    /// ```
    /// use reginv_core::{BackendConfig, ConfigEntry, Environment};
    /// use reginv_ncp::{NcpConfig, NcpRegion};
    ///
    /// let entry = ConfigEntry::new("ncp-kr", "ncp").with("region", "kr").with("page_size", 20);
    /// let config = NcpConfig::from_entry(&entry, &Environment::from_vars([("X", "Y")]))?;
    /// assert_eq!((config.region, config.page_size), (NcpRegion::Kr, 20));
    /// # Ok::<(), reginv_core::Error>(())
    /// ```
    fn with_entry_credentials(mut self, entry: &ConfigEntry, env: &Environment) -> Result<Self> {
        self.credentials = entry.access_keys(env)?;
        self.environment = env.clone();
        Ok(self)
    }

    fn into_provider(self) -> Result<Arc<dyn RegistryProvider>> {
        Ok(Arc::new(NcpProvider::new(self)?))
    }

    fn entry_from_environment(env: &Environment) -> Result<Option<ConfigEntry>> {
        entry_from_environment(env)
    }
}

/// The entry NAVER Cloud's variables describe: `NCLOUD_ACCESS_KEY` (or `NCLOUD_ACCESS_KEY_ID`)
/// and `NCLOUD_SECRET_KEY` (or `NCLOUD_SECRET_ACCESS_KEY`) set: a source named `ncp-{region}`,
/// region `NCLOUD_REGION` or `kr`, keys read from those variables.
pub fn entry_from_environment(env: &Environment) -> Result<Option<ConfigEntry>> {
    let access = env.first_of(&ACCESS_KEY_VARS);
    let secret = env.first_of(&SECRET_KEY_VARS);
    let (access_var, secret_var) = match (access, secret) {
        (None, None) => return Ok(None),
        (Some((access_var, _)), Some((secret_var, _))) => (access_var, secret_var),
        (Some((set, _)), None) | (None, Some((set, _))) => {
            let missing = if ACCESS_KEY_VARS.contains(&set.as_str()) {
                SECRET_KEY_VARS
            } else {
                ACCESS_KEY_VARS
            };
            let what = if missing == SECRET_KEY_VARS {
                "secret"
            } else {
                "access"
            };
            return Err(Error::config(format!(
                "{set} is set but neither {} nor {} is; set the {what} key too",
                missing[0], missing[1]
            )));
        }
    };
    let region = env
        .var(REGION_VAR)
        .map(|r| r.trim().to_ascii_lowercase())
        .unwrap_or_else(|| NcpRegion::Kr.as_str().to_string());
    Ok(Some(
        ConfigEntry::new(format!("ncp-{region}"), ProviderKind::NCP.as_str())
            .with("region", region)
            .with("access_key_env", access_var)
            .with("secret_key_env", secret_var),
    ))
}

/// Builds `kind = "ncp"` entries: the NCP line of the facade's factory table.
pub type NcpFactory = BackendFactory<NcpConfig>;

#[cfg(test)]
mod tests {
    use super::*;
    use reginv_core::{ErrorKind, ProviderFactory};

    #[test]
    fn an_entry_gives_region_endpoint_keys_and_sizes() {
        let entry = ConfigEntry::new("ncp-sgn", "ncp")
            .with("region", "SGN")
            .with_endpoint("http://127.0.0.1:1")
            .with("access_key_env", "AK")
            .with("secret_key_env", "SK")
            .with("max_rps", 2.5);
        let env = Environment::from_vars([("AK", "id"), ("SK", "secret")]);
        let config = NcpConfig::from_entry(&entry, &env).unwrap();
        assert_eq!(config.region, NcpRegion::Sgn);
        assert_eq!(config.page_size, DEFAULT_PAGE_SIZE);
        assert_eq!(config.http.max_requests_per_second, Some(2.5));
        assert_eq!(config.credentials.unwrap().access_key, "id");
        let provider = NcpFactory::default().build(&entry, &env).unwrap();
        assert_eq!(provider.source().name, "ncp-sgn");
        assert_eq!(
            provider.page_size(),
            Some(100),
            "the same default as NcpConfig::new"
        );
    }

    #[test]
    fn huawei_keys_and_bad_regions_are_refused() {
        let entry = ConfigEntry::new("n", "ncp")
            .with("region", "kr")
            .with("project_id", "p");
        let err = NcpFactory::default().validate(&entry).unwrap_err();
        assert!(
            err.to_string().contains("key `project_id`: unknown key"),
            "{err}"
        );
        let err = NcpFactory::default()
            .validate(&ConfigEntry::new("n", "ncp").with("region", "mars"))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig);
        assert!(
            err.to_string().contains("key `region`: unknown NCP region"),
            "{err}"
        );
    }

    #[test]
    fn the_environment_gives_one_entry() {
        let env =
            Environment::from_vars([("NCLOUD_ACCESS_KEY_ID", "a"), ("NCLOUD_SECRET_KEY", "b")]);
        let entry = entry_from_environment(&env).unwrap().unwrap();
        assert_eq!(entry.name(), "ncp-kr");
        assert!(NcpFactory::default().validate(&entry).is_ok());
        assert!(
            entry_from_environment(&Environment::from_vars([("X", "1")]))
                .unwrap()
                .is_none()
        );
        let err = entry_from_environment(&Environment::from_vars([("NCLOUD_SECRET_KEY", "b")]))
            .unwrap_err();
        assert!(err.to_string().contains("NCLOUD_ACCESS_KEY"), "{err}");
    }
}
