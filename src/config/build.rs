//! Building providers from configuration entries.

use std::sync::Arc;

use crate::core::{AccessKeyPair, HttpClientConfig, RegistryProvider, Result};

use super::validate::validate_entry;
use super::{Config, Environment, Location, ProviderConfig};

impl Config {
    /// Validates the configuration and builds one provider per entry, in order, reading
    /// credential variables from `env`. Errors name the origin, the entry and the key.
    pub fn build_providers(&self, env: &Environment) -> Result<Vec<Arc<dyn RegistryProvider>>> {
        self.validate()?;
        self.providers
            .iter()
            .enumerate()
            .map(|(index, entry)| {
                let location = Location {
                    origin: self.origin.clone(),
                    index: Some(index),
                    name: Some(entry.name.as_str()),
                };
                entry.build_at(env, &location)
            })
            .collect()
    }
}

impl ProviderConfig {
    fn location(&self) -> Location<'_> {
        Location {
            origin: String::new(),
            index: None,
            name: Some(self.name.as_str()),
        }
    }

    /// Validates the entry and builds its provider, reading credential variables from `env`.
    pub fn provider(&self, env: &Environment) -> Result<Arc<dyn RegistryProvider>> {
        self.build_at(env, &self.location())
    }

    fn build_at(&self, env: &Environment, at: &Location<'_>) -> Result<Arc<dyn RegistryProvider>> {
        validate_entry(self, &|key, message| at.error(Some(key), message))?;
        match self.kind.as_str() {
            #[cfg(feature = "ncp")]
            "ncp" => {
                let config = self.ncp_config_at(env, at)?;
                let provider = reginv_ncp::NcpProvider::new(config).map_err(|e| wrap(at, &e))?;
                Ok(Arc::new(provider))
            }
            #[cfg(feature = "huawei")]
            "huawei" => {
                let config = self.huawei_config_at(env, at)?;
                let provider =
                    reginv_huawei::HuaweiProvider::new(config).map_err(|e| wrap(at, &e))?;
                Ok(Arc::new(provider))
            }
            #[cfg(feature = "oci")]
            "oci" => {
                let config = self.oci_config_at(env, at)?;
                let provider = reginv_oci::OciProvider::new(config).map_err(|e| wrap(at, &e))?;
                Ok(Arc::new(provider))
            }
            other => {
                // Only reached in builds without the backend (validation refused it already).
                let _ = env;
                Err(at.error(Some("kind"), format!("unknown kind {other:?}")))
            }
        }
    }

    /// The keys given by `access_key` / `secret_key`, else read from the variables named by
    /// `access_key_env` / `secret_key_env` (an error when one is unset); `None` when the entry
    /// gives neither, so the vendor's own resolution applies.
    pub fn access_keys(&self, env: &Environment) -> Result<Option<AccessKeyPair>> {
        self.access_keys_at(env, &self.location())
    }

    fn access_keys_at(
        &self,
        env: &Environment,
        at: &Location<'_>,
    ) -> Result<Option<AccessKeyPair>> {
        let access = match (&self.access_key, &self.access_key_env) {
            (Some(key), _) => Some(key.trim().to_string()),
            (None, Some(var)) => Some(read_var(env, var, "access_key_env", at)?),
            (None, None) => None,
        };
        let secret = match (&self.secret_key, &self.secret_key_env) {
            (Some(secret), _) => Some(secret.clone()),
            (None, Some(var)) => Some(read_var(env, var, "secret_key_env", at)?.into()),
            (None, None) => None,
        };
        match (access, secret) {
            (Some(access), Some(secret)) => Ok(Some(AccessKeyPair::new(access, secret))),
            (None, None) => Ok(None),
            (Some(_), None) => Err(at.error(
                Some("access_key"),
                "is given without secret_key or secret_key_env",
            )),
            (None, Some(_)) => Err(at.error(
                Some("secret_key"),
                "is given without access_key or access_key_env",
            )),
        }
    }

    /// The HTTP settings of this entry: the defaults, with `allow_insecure_http` and
    /// `max_rps` applied.
    pub fn http_config(&self) -> HttpClientConfig {
        let mut http = HttpClientConfig::default();
        http.allow_insecure_http = self.allow_insecure_http.unwrap_or(false);
        http.max_requests_per_second = self.max_rps;
        http
    }

    /// The NCP backend's configuration of this entry (kind `ncp`), credentials resolved from
    /// `env`. Adjust it (retries, timeouts) and build with
    /// [`NcpProvider::new`](reginv_ncp::NcpProvider::new), e.g. for
    /// [`NcpProvider::create_registry`](reginv_ncp::NcpProvider::create_registry).
    #[cfg(feature = "ncp")]
    pub fn ncp_config(&self, env: &Environment) -> Result<reginv_ncp::NcpConfig> {
        let at = self.location();
        validate_entry(self, &|key, message| at.error(Some(key), message))?;
        self.ncp_config_at(env, &at)
    }

    #[cfg(feature = "ncp")]
    fn ncp_config_at(&self, env: &Environment, at: &Location<'_>) -> Result<reginv_ncp::NcpConfig> {
        if self.kind != "ncp" {
            return Err(at.error(Some("kind"), format!("is {:?}, not \"ncp\"", self.kind)));
        }
        let region = reginv_ncp::NcpRegion::parse(&self.region)
            .map_err(|e| at.error(Some("region"), e.message()))?;
        let mut config = reginv_ncp::NcpConfig::new(self.name.clone(), region);
        config.endpoint = self.endpoint.clone();
        config.credentials = self.access_keys_at(env, at)?;
        if let Some(size) = self.page_size {
            config.page_size = size;
        }
        config.http = self.http_config();
        Ok(config)
    }

    /// The Huawei backend's configuration of this entry (kind `huawei`), credentials resolved
    /// from `env`: an IAM token from `token_env`, else the keys (temporary ones with
    /// `security_token_env`), else `None` for the SDK's own resolution.
    #[cfg(feature = "huawei")]
    pub fn huawei_config(&self, env: &Environment) -> Result<reginv_huawei::HuaweiConfig> {
        let at = self.location();
        validate_entry(self, &|key, message| at.error(Some(key), message))?;
        self.huawei_config_at(env, &at)
    }

    #[cfg(feature = "huawei")]
    fn huawei_config_at(
        &self,
        env: &Environment,
        at: &Location<'_>,
    ) -> Result<reginv_huawei::HuaweiConfig> {
        use reginv_huawei::HuaweiCredentials;
        if self.kind != "huawei" {
            return Err(at.error(Some("kind"), format!("is {:?}, not \"huawei\"", self.kind)));
        }
        let mut config = reginv_huawei::HuaweiConfig::new(self.name.clone(), self.region.clone());
        config.endpoint = self.endpoint.clone();
        config.project_id = self.project_id.clone();
        config.credentials = match &self.token_env {
            Some(var) => Some(HuaweiCredentials::token(read_var(
                env,
                var,
                "token_env",
                at,
            )?)),
            None => match self.access_keys_at(env, at)? {
                None => None,
                Some(keys) => match &self.security_token_env {
                    None => Some(HuaweiCredentials::AkSk(keys)),
                    Some(var) => Some(HuaweiCredentials::Temporary {
                        keys,
                        security_token: read_var(env, var, "security_token_env", at)?.into(),
                    }),
                },
            },
        };
        // An inventory wants the fewest requests: SWR's largest page unless the entry says.
        config.page_size = self.page_size.unwrap_or(reginv_huawei::MAX_PAGE_SIZE);
        config.http = self.http_config();
        Ok(config)
    }
}

#[cfg(feature = "oci")]
impl ProviderConfig {
    /// The OCI backend's configuration of this entry (kind `oci`): credentials inline or from
    /// the named variables, else the docker configuration's entry for the registry (its path
    /// from `docker_config`, else `DOCKER_CONFIG` or `HOME` as `env` has them), else anonymous.
    pub fn oci_config(&self, env: &Environment) -> Result<reginv_oci::OciConfig> {
        let at = self.location();
        validate_entry(self, &|key, message| at.error(Some(key), message))?;
        self.oci_config_at(env, &at)
    }

    fn oci_config_at(&self, env: &Environment, at: &Location<'_>) -> Result<reginv_oci::OciConfig> {
        use reginv_oci::{docker_config, Grouping, OciConfig, OciCredentials};
        if self.kind != "oci" {
            return Err(at.error(Some("kind"), format!("is {:?}, not \"oci\"", self.kind)));
        }
        let endpoint = self.endpoint.clone().unwrap_or_default();
        let host = reginv_oci::registry_host(&endpoint)
            .map_err(|e| at.error(Some("endpoint"), e.message()))?;
        let mut config = OciConfig::new(self.name.clone(), endpoint);
        let user = match (&self.username, &self.username_env) {
            (Some(user), _) => Some(user.trim().to_string()),
            (None, Some(var)) => Some(read_var(env, var, "username_env", at)?),
            (None, None) => None,
        };
        let password = match (&self.password, &self.password_env) {
            (Some(password), _) => Some(password.clone()),
            (None, Some(var)) => Some(read_var(env, var, "password_env", at)?.into()),
            (None, None) => None,
        };
        config.credentials = match (user, password) {
            (Some(user), Some(password)) => Some(OciCredentials::new(user, password)),
            _ => {
                let explicit = self.docker_config.as_deref().map(std::path::Path::new);
                let home = env.var("HOME").map(std::path::PathBuf::from);
                match docker_config::config_path(explicit, |name| env.var(name), home.as_deref()) {
                    Some(path) => docker_config::credentials_from_file(&path, &host)
                        .map_err(|e| at.error(Some("docker_config"), e.message()))?,
                    None => None,
                }
            }
        };
        config.repositories = self.repositories.clone().unwrap_or_default();
        config.grouping = match self.group_by.as_deref() {
            Some("first_segment") => Grouping::FirstSegment,
            _ => Grouping::Host,
        };
        config.details = self.details.unwrap_or(false);
        if let Some(size) = self.page_size {
            config.page_size = size;
        }
        config.http = self.http_config();
        Ok(config)
    }
}

/// The value of the variable `var` that `key` names; an error naming both when it is unset.
fn read_var(env: &Environment, var: &str, key: &str, at: &Location<'_>) -> Result<String> {
    env.var(var).map(|v| v.trim().to_string()).ok_or_else(|| {
        at.error(
            Some(key),
            format!("names the environment variable {var}, which is not set (or is empty)"),
        )
    })
}

/// A backend's error about an entry, prefixed with where the entry is; the kind is kept.
#[cfg(any(feature = "ncp", feature = "huawei", feature = "oci"))]
fn wrap(at: &Location<'_>, err: &crate::core::Error) -> crate::core::Error {
    crate::core::Error::new(err.kind(), at.describe(None, err.message()))
}
