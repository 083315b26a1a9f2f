//! SWR's configuration keys: a [`HuaweiConfig`] from a `reginv.toml` entry or from the Huawei
//! Cloud SDK's environment variables, and [`HuaweiFactory`], the entry of the facade's factory
//! table.
//!
//! Keys of a `kind = "huawei"` entry besides `name` and `kind`: `region` (required, e.g.
//! `ap-southeast-1`), `endpoint`, `access_key` / `secret_key` or `access_key_env` /
//! `secret_key_env` (else `HUAWEICLOUD_SDK_AK` / `HUAWEICLOUD_SDK_SK`, else
//! `~/.huaweicloud/credentials`), `project_id`, `security_token_env` (temporary keys),
//! `token_env` (an IAM token instead of keys), `page_size` (1 to 1000, default 100),
//! `max_rps`, `allow_insecure_http`.

use std::sync::Arc;

use reginv_core::{
    BackendConfig, BackendFactory, ClientOptions, ConfigEntry, Environment, Error, PageLimits,
    ProviderKind, RegistryProvider, Result, ACCESS_KEY_KEYS, CLIENT_KEYS,
};

use crate::config::{is_region_name, HuaweiConfig, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use crate::credentials::{HuaweiCredentials, ENV_AK, ENV_PROJECT_ID, ENV_SECURITY_TOKEN, ENV_SK};
use crate::provider::HuaweiProvider;

/// The variable naming the region of the source built from the environment (required: SWR has
/// no global endpoint, and guessing a region would list the wrong account silently).
pub const ENV_REGION: &str = "HUAWEICLOUD_SDK_REGION";

/// The page sizes an entry may ask for.
const LIMITS: PageLimits = PageLimits::new(DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);

impl BackendConfig for HuaweiConfig {
    const KIND: ProviderKind = ProviderKind::HUAWEI;

    /// `region`, the Huawei-only `project_id`, `security_token_env`, `token_env`, the client keys and the access
    /// keys.
    fn keys() -> Vec<&'static str> {
        [
            &["region", "project_id", "security_token_env", "token_env"][..],
            &CLIENT_KEYS,
            &ACCESS_KEY_KEYS,
        ]
        .concat()
    }

    /// Everything of a `kind = "huawei"` entry but its credentials: the region, the project,
    /// the client options (page size 1 to 1000, default 100), and the key rules.
    fn read_settings(entry: &ConfigEntry) -> Result<HuaweiConfig> {
        let region = entry.required_string("region")?;
        if !is_region_name(&region) {
            return Err(entry.error(
                "region",
                format!("{region:?} is not a Huawei Cloud region (expected e.g. ap-southeast-1)"),
            ));
        }
        let client = ClientOptions::from_entry(entry, LIMITS)?;
        entry.check_access_keys()?;
        let project_id = entry.string("project_id")?;
        let has_keys = entry.has_access_keys();
        let security_token = entry.string("security_token_env")?.is_some();
        if entry.string("token_env")?.is_some() && (has_keys || security_token) {
            return Err(entry.error(
                "token_env",
                "an IAM token replaces the keys: give token_env or keys (with security_token_env), \
                 not both",
            ));
        }
        if security_token && !has_keys {
            return Err(entry.error(
                "security_token_env",
                "a security token goes with temporary keys: give access_key(_env) and \
                 secret_key(_env) too",
            ));
        }
        let mut config = HuaweiConfig::new(entry.name(), region);
        config.project_id = project_id;
        config.client = client;
        Ok(config)
    }

    /// An IAM token from `token_env`, else the keys (temporary ones with
    /// `security_token_env`), else `env`'s `HUAWEICLOUD_SDK_*` variables or
    /// `~/.huaweicloud/credentials` when the provider is built.
    ///
    /// ```
    /// use reginv_core::{BackendConfig, ConfigEntry, Environment};
    /// use reginv_huawei::{HuaweiConfig, DEFAULT_PAGE_SIZE};
    ///
    /// let entry = ConfigEntry::new("swr", "huawei").with("region", "ap-southeast-1");
    /// let config = HuaweiConfig::from_entry(&entry, &Environment::from_vars([("X", "Y")]))?;
    /// assert_eq!(config.page_size, DEFAULT_PAGE_SIZE);
    /// # Ok::<(), reginv_core::Error>(())
    /// ```
    fn with_entry_credentials(mut self, entry: &ConfigEntry, env: &Environment) -> Result<Self> {
        self.credentials = match entry.env_var(env, "token_env")? {
            Some(token) => Some(HuaweiCredentials::token(token)),
            None => match entry.access_keys(env)? {
                None => None,
                Some(keys) => match entry.env_var(env, "security_token_env")? {
                    None => Some(HuaweiCredentials::AkSk(keys)),
                    Some(token) => Some(HuaweiCredentials::Temporary {
                        keys,
                        security_token: token.into(),
                    }),
                },
            },
        };
        self.environment = env.clone();
        Ok(self)
    }

    fn into_provider(self) -> Result<Arc<dyn RegistryProvider>> {
        Ok(Arc::new(HuaweiProvider::new(self)?))
    }

    fn entry_from_environment(env: &Environment) -> Result<Option<ConfigEntry>> {
        entry_from_environment(env)
    }
}

/// The entry the Huawei Cloud SDK's variables describe: `HUAWEICLOUD_SDK_AK` set: a source
/// named `huawei-{region}`, keys from `HUAWEICLOUD_SDK_AK` / `HUAWEICLOUD_SDK_SK`, project
/// `HUAWEICLOUD_SDK_PROJECT_ID`, security token `HUAWEICLOUD_SDK_SECURITY_TOKEN` when set,
/// region `HUAWEICLOUD_SDK_REGION`, which must then be set.
pub fn entry_from_environment(env: &Environment) -> Result<Option<ConfigEntry>> {
    if env.var(ENV_AK).is_none() {
        return Ok(None);
    }
    if env.var(ENV_SK).is_none() {
        return Err(Error::config(format!(
            "{ENV_AK} is set but {ENV_SK} is not; set the secret key too"
        )));
    }
    let Some(region) = env.var(ENV_REGION).map(|r| r.trim().to_string()) else {
        return Err(Error::config(format!(
            "{ENV_AK} is set but {ENV_REGION} is not; set it to the SWR region to list (e.g. \
             ap-southeast-1), or write a configuration file"
        )));
    };
    let mut entry = ConfigEntry::new(format!("huawei-{region}"), ProviderKind::HUAWEI.as_str())
        .with("region", region)
        .with("access_key_env", ENV_AK)
        .with("secret_key_env", ENV_SK);
    if let Some(project) = env.var(ENV_PROJECT_ID) {
        entry.set("project_id", project.trim());
    }
    if env.var(ENV_SECURITY_TOKEN).is_some() {
        entry.set("security_token_env", ENV_SECURITY_TOKEN);
    }
    Ok(Some(entry))
}

/// Builds `kind = "huawei"` entries: the SWR line of the facade's factory table.
pub type HuaweiFactory = BackendFactory<HuaweiConfig>;

#[cfg(test)]
mod tests {
    use super::*;
    use reginv_core::ProviderFactory;

    #[test]
    fn the_default_page_size_is_the_crates_default() {
        let entry = ConfigEntry::new("swr", "huawei")
            .with("region", "ap-southeast-1")
            .with("token_env", "TOK");
        let env = Environment::from_vars([("TOK", "t")]);
        let config = HuaweiConfig::from_entry(&entry, &env).unwrap();
        assert_eq!(config.page_size, HuaweiConfig::new("x", "y").page_size);
        let provider = HuaweiFactory::default().build(&entry, &env).unwrap();
        assert_eq!(provider.page_size(), Some(DEFAULT_PAGE_SIZE));
    }

    #[test]
    fn credentials_and_hermetic_lookup() {
        let entry = ConfigEntry::new("swr", "huawei").with("region", "ap-southeast-1");
        // No keys in the entry and none in the environment given: the lookup reads only `env`
        // (whatever the process environment holds), so building fails and says what to set.
        let err = HuaweiFactory::default()
            .build(&entry, &Environment::from_vars([("X", "Y")]))
            .unwrap_err();
        assert!(err.to_string().contains(ENV_AK), "{err}");
        let env = Environment::from_vars([(ENV_AK, "ak"), (ENV_SK, "sk")]);
        assert!(HuaweiFactory::default().build(&entry, &env).is_ok());
    }

    #[test]
    fn the_environment_gives_one_entry() {
        let env = Environment::from_vars([
            (ENV_AK, "a"),
            (ENV_SK, "b"),
            (ENV_REGION, "cn-north-4"),
            (ENV_SECURITY_TOKEN, "t"),
        ]);
        let entry = entry_from_environment(&env).unwrap().unwrap();
        assert_eq!(entry.name(), "huawei-cn-north-4");
        assert!(entry.contains("security_token_env"));
        assert!(HuaweiFactory::default().validate(&entry).is_ok());
        let err = entry_from_environment(&Environment::from_vars([(ENV_AK, "a"), (ENV_SK, "b")]))
            .unwrap_err();
        assert!(err.to_string().contains(ENV_REGION), "{err}");
    }
}
