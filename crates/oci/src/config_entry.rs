//! The OCI backend's configuration keys: an [`OciConfig`] from a `reginv.toml` entry, and
//! [`OciFactory`], the entry of the facade's factory table.
//!
//! Keys of a `kind = "oci"` entry besides `name` and `kind`: `endpoint` (required: the
//! registry's `https://host[:port]`), `username` / `password` or `username_env` /
//! `password_env` (else the registry's entry in `docker_config`, else `$DOCKER_CONFIG/config.json`
//! or `~/.docker/config.json` as the [`Environment`] has them, else anonymous),
//! `repositories` (a list to read instead of the catalog), `group_by` (`host`, the default, or
//! `first_segment`), `details` (creation times from the image configurations), `page_size`
//! (1 to 1000, default 100), `max_rps`, `allow_insecure_http`. An OCI registry has no region:
//! its host is the region of its rows.
//!
//! ```toml
//! [[providers]]
//! name = "harbor"
//! kind = "oci"
//! endpoint = "https://harbor.example"
//! username_env = "HARBOR_USER"
//! password_env = "HARBOR_PASSWORD"
//! repositories = ["team/app", "team/api"]   # optional: instead of the catalog
//! group_by = "first_segment"                # optional: one registry per first path segment
//! ```

use std::path::Path;
use std::sync::Arc;

use reginv_core::{
    BackendConfig, BackendFactory, ClientOptions, ConfigEntry, Environment, PageLimits,
    ProviderKind, RegistryProvider, Result, SecretString, CLIENT_KEYS,
};

use crate::auth::OciCredentials;
use crate::config::{Grouping, OciConfig, DEFAULT_PAGE_SIZE};
use crate::docker_config;
use crate::provider::{registry_host, OciProvider};

/// The largest page size an entry may ask for.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// The page sizes an entry may ask for.
const LIMITS: PageLimits = PageLimits::new(DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);

/// The keys of an OCI entry besides the client keys.
const OCI_KEYS: [&str; 8] = [
    "username",
    "password",
    "username_env",
    "password_env",
    "docker_config",
    "repositories",
    "group_by",
    "details",
];

impl BackendConfig for OciConfig {
    const KIND: ProviderKind = ProviderKind::OCI;

    /// The client keys and the OCI keys; no `region`.
    fn keys() -> Vec<&'static str> {
        [&CLIENT_KEYS[..], &OCI_KEYS].concat()
    }

    /// Everything of a `kind = "oci"` entry but its credentials, every value checked.
    ///
    /// ```
    /// use reginv_core::{BackendConfig, ConfigEntry};
    /// use reginv_oci::{Grouping, OciConfig};
    ///
    /// let entry = ConfigEntry::new("hub", "oci")
    ///     .with("endpoint", "https://registry.example:5000")
    ///     .with("repositories", vec!["team/app"])
    ///     .with("group_by", "first_segment");
    /// let config = OciConfig::settings(&entry)?;
    /// assert_eq!(config.repositories, ["team/app"]);
    /// assert_eq!(config.grouping, Grouping::FirstSegment);
    /// # Ok::<(), reginv_core::Error>(())
    /// ```
    fn read_settings(entry: &ConfigEntry) -> Result<OciConfig> {
        let client = ClientOptions::from_entry(entry, LIMITS)?;
        let Some(endpoint) = client.endpoint.clone() else {
            return Err(entry.error(
                "endpoint",
                "is required for kind \"oci\": the registry's https://host[:port]",
            ));
        };
        registry_host(&endpoint).map_err(|e| entry.error("endpoint", e.message()))?;
        for (one, other) in [("username", "username_env"), ("password", "password_env")] {
            if entry.contains(one) && entry.contains(other) {
                return Err(entry.error(other, format!("give {one} or {other}, not both")));
            }
        }
        entry.string("username")?;
        entry.secret("password")?;
        entry.string("username_env")?;
        entry.string("password_env")?;
        entry.string("docker_config")?;
        let has_user = entry.contains("username") || entry.contains("username_env");
        let has_password = entry.contains("password") || entry.contains("password_env");
        if has_user != has_password {
            let key = if has_user { "username" } else { "password" };
            return Err(entry.error(key, "needs both a user name and a password (or neither)"));
        }
        let mut config = OciConfig::new(entry.name(), endpoint);
        config.page_size = client.page_size;
        config.http = client.http;
        config.paging = client.paging;
        config.repositories = entry.string_list("repositories")?.unwrap_or_default();
        if let Some(group_by) = entry.string("group_by")? {
            config.grouping = Grouping::parse(&group_by)
                .ok_or_else(|| entry.error("group_by", "must be \"host\" or \"first_segment\""))?;
        }
        config.details = entry.boolean("details")?.unwrap_or(false);
        Ok(config)
    }

    /// The user name and password the entry gives (inline or from the variables it names),
    /// else the registry's entry in the docker configuration (`docker_config`, else
    /// `DOCKER_CONFIG` or the home directory as `env` has them), else anonymous.
    fn with_entry_credentials(mut self, entry: &ConfigEntry, env: &Environment) -> Result<Self> {
        let user = match entry.string("username")? {
            Some(user) => Some(user),
            None => entry.env_var(env, "username_env")?,
        };
        let password = match entry.secret("password")? {
            Some(password) => Some(password),
            None => entry.env_var(env, "password_env")?.map(SecretString::new),
        };
        self.credentials = match (user, password) {
            (Some(user), Some(password)) => Some(OciCredentials::new(user, password)),
            _ => {
                let host = registry_host(&self.endpoint)
                    .map_err(|e| entry.error("endpoint", e.message()))?;
                let explicit = entry.string("docker_config")?;
                let home = env.home_dir();
                let path = docker_config::config_path(
                    explicit.as_deref().map(Path::new),
                    |name| env.var(name),
                    home.as_deref(),
                );
                match path {
                    Some(path) => {
                        let found =
                            docker_config::credentials_from_file(&path, &host).map_err(|e| {
                                entry.error_without_position("docker_config", e.message())
                            })?;
                        if found.is_some() && self.http.credentials_source.is_none() {
                            self.http.credentials_source =
                                Some(format!("the docker configuration {}", path.display()));
                        }
                        found
                    }
                    None => None,
                }
            }
        };
        Ok(self)
    }

    fn into_provider(self) -> Result<Arc<dyn RegistryProvider>> {
        Ok(Arc::new(OciProvider::new(self)?))
    }
}

/// Builds `kind = "oci"` entries: the OCI line of the facade's factory table.
pub type OciFactory = BackendFactory<OciConfig>;

#[cfg(test)]
mod tests {
    use super::*;
    use reginv_core::{ConfigValue, ErrorKind, ProviderFactory};

    fn entry() -> ConfigEntry {
        ConfigEntry::new("reg", "oci").with("endpoint", "http://127.0.0.1:5000")
    }

    #[test]
    fn an_entry_gives_endpoint_credentials_and_options() {
        let e = entry()
            .with("username_env", "U")
            .with("password_env", "P")
            .with("repositories", vec!["a/b", "c"])
            .with("page_size", 50)
            .with("details", true);
        let env = Environment::from_vars([("U", "robot"), ("P", "s3cr3t-pw")]);
        let config = OciConfig::from_entry(&e, &env).unwrap();
        assert_eq!(config.endpoint, "http://127.0.0.1:5000");
        assert_eq!(config.page_size, 50);
        assert!(config.details);
        assert_eq!(config.repositories, ["a/b", "c"]);
        let creds = config.credentials.as_ref().unwrap();
        assert!(!format!("{creds:?}").contains("s3cr3t-pw"));
        assert_eq!(
            config.http.credentials_source.as_deref(),
            Some("the variable P (password_env) of provider \"reg\" in the configuration")
        );
        let provider = OciFactory::default().build(&e, &env).unwrap();
        assert_eq!(provider.source().name, "reg");
        assert_eq!(provider.source().provider, ProviderKind::OCI);
    }

    #[test]
    fn the_defaults_and_the_docker_configuration() {
        let dir = std::env::temp_dir().join(format!("reginv-oci-entry-{}", std::process::id()));
        std::fs::create_dir_all(dir.join(".docker")).unwrap();
        // robot:pw, base64.
        std::fs::write(
            dir.join(".docker/config.json"),
            r#"{"auths":{"127.0.0.1:5000":{"auth":"cm9ib3Q6cHc="}}}"#,
        )
        .unwrap();
        let env = Environment::from_vars([("HOME", dir.to_str().unwrap())]);
        let config = OciConfig::from_entry(&entry(), &env).unwrap();
        assert_eq!(config.page_size, DEFAULT_PAGE_SIZE);
        assert_eq!(config.grouping, Grouping::Host);
        assert!(config.repositories.is_empty());
        assert!(config.credentials.is_some(), "from ~/.docker/config.json");
        // Nothing in the environment: anonymous.
        let anonymous = OciConfig::from_entry(&entry(), &Environment::from_vars([("X", "Y")]));
        assert!(anonymous.unwrap().credentials.is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_entries_name_the_key() {
        let factory = OciFactory::default();
        let cases = [
            (ConfigEntry::new("reg", "oci"), "endpoint", "is required"),
            (entry().with("region", "kr"), "region", "unknown key"),
            (entry().with("access_key", "a"), "access_key", "unknown key"),
            (entry().with("username", "u"), "username", "needs both"),
            (
                entry().with("password", "p").with("password_env", "P"),
                "password_env",
                "not both",
            ),
            (entry().with("group_by", "org"), "group_by", "first_segment"),
            (
                entry().with("repositories", "a/b"),
                "repositories",
                "a list of strings",
            ),
            (
                entry().with("repositories", vec![ConfigValue::from("a"), 1.into()]),
                "repositories",
                "a list of strings",
            ),
            (
                entry().with("page_size", 0),
                "page_size",
                "between 1 and 1000",
            ),
            (entry().with("details", "yes"), "details", "true or false"),
        ];
        for (e, key, words) in cases {
            let err = factory.validate(&e).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{e:?}");
            let text = err.to_string();
            assert!(text.contains(key) && text.contains(words), "{key}: {text}");
        }
    }

    #[test]
    fn a_password_never_reaches_an_error_or_debug() {
        let e = entry().with("password", "hunter2-secret");
        let err = OciFactory::default().validate(&e).unwrap_err();
        assert!(!err.to_string().contains("hunter2-secret"));
        assert!(!format!("{e:?}").contains("hunter2-secret"));
    }
}
