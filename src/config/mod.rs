//! [`Config`]: the sources an inventory lists, from a TOML file or the vendors' environment
//! variables.
//!
//! ```toml
//! [[providers]]
//! name = "ncp-kr"            # the source label in every output row (unique)
//! kind = "ncp"               # ncp | huawei
//! region = "kr"              # ncp: kr | sgn | jpn | gov-kr | gov-krs ; huawei: e.g. ap-southeast-1
//! endpoint = "http://127.0.0.1:18080"   # optional override of the vendor endpoint
//! access_key = "…"           # optional; else access_key_env, else the vendor's env vars / file
//! secret_key = "…"
//!
//! [[providers]]
//! name = "swr-ap"
//! kind = "huawei"
//! region = "ap-southeast-1"
//! access_key_env = "MY_AK"   # read the keys from these variables instead
//! secret_key_env = "MY_SK"
//! project_id = "0123456789abcdef0123456789abcdef"
//! page_size = 500            # 1..=1000
//! ```
//!
//! Every key of a provider entry: `name`, `kind`, `region` (required); `endpoint`,
//! `access_key`, `secret_key`, `access_key_env`, `secret_key_env`, `page_size` (1 to 1000),
//! `max_rps` (> 0: at most this many requests per second to this source, retries included),
//! `allow_insecure_http`
//! (signed requests over plain `http://` to a host that is not loopback), and for `huawei` only
//! `project_id`, `security_token_env` (temporary credentials) and `token_env` (an IAM token
//! instead of keys).
//!
//! Credentials are taken from, in order: `access_key` / `secret_key`; else the variables named
//! by `access_key_env` / `secret_key_env` (an error when one is unset); else the vendor's own
//! resolution (NCP: `NCLOUD_ACCESS_KEY` / `NCLOUD_SECRET_KEY` or `~/.ncloud/configure`; Huawei:
//! `HUAWEICLOUD_SDK_AK` / `HUAWEICLOUD_SDK_SK` or `~/.huaweicloud/credentials`).
//!
//! Unknown keys, values of the wrong type and bad values are
//! [`InvalidConfig`](crate::ErrorKind::InvalidConfig) errors that name the file (with line and
//! column), the provider entry (`providers[1] ("ncp-kr")`) and the key. Secrets never appear in
//! `Debug` output or errors.

mod build;
mod environment;
mod from_env;
mod parse;
mod validate;

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Deserializer};

use crate::core::{Error, Result, SecretString};

pub use environment::Environment;

/// The provider kinds a configuration may name (those compiled in).
pub const KINDS: &[&str] = &[
    #[cfg(feature = "ncp")]
    "ncp",
    #[cfg(feature = "huawei")]
    "huawei",
];

/// Every source to inventory.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Config {
    /// The sources, in the order reports list them.
    #[serde(default)]
    pub providers: Vec<ProviderConfig>,
    /// `[store] url`: where `reginv` keeps snapshots (see the `reginv-store` crate), when set.
    #[serde(skip)]
    pub store_url: Option<String>,
    /// Where the configuration came from (a file path, `environment`, …), for messages.
    #[serde(skip)]
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

    /// Reads and validates a TOML configuration file. Errors name the file, the provider
    /// entry (index and name) and the key.
    pub fn load(path: &Path) -> Result<Config> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::config(format!("cannot read the configuration {origin}: {e}")))?;
        Config::from_toml_str(&text, &origin)
    }

    /// Parses and validates a TOML configuration; `origin` names it in errors (a file path).
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Config> {
        parse::parse(text, origin)
    }

    /// Sources from the vendors' environment variables alone, or `Ok(None)` when none are set.
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
        from_env::from_environment(env)
    }

    /// Checks every entry and that names are unique (what [`load`](Config::load) checks,
    /// without line numbers), for configurations built in code.
    pub fn validate(&self) -> Result<()> {
        validate::validate_config(self)
    }

    /// The entry named `name`.
    pub fn provider(&self, name: &str) -> Option<&ProviderConfig> {
        self.providers.iter().find(|p| p.name == name)
    }
}

/// One source: an account in a region of one provider. `Debug` never prints `secret_key`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ProviderConfig {
    /// The source label in every output row; unique and non-empty.
    pub name: String,
    /// `ncp` or `huawei`.
    pub kind: String,
    /// NCP: `kr`, `sgn`, `jpn`, `gov-kr`, `gov-krs`; Huawei: e.g. `ap-southeast-1`.
    pub region: String,
    /// Another endpoint instead of the vendor's (an emulator, a proxy): an `http(s)://` URL.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// The access key id.
    #[serde(default)]
    pub access_key: Option<String>,
    /// The secret key (never printed).
    #[serde(default, deserialize_with = "secret")]
    pub secret_key: Option<SecretString>,
    /// The environment variable holding the access key id.
    #[serde(default)]
    pub access_key_env: Option<String>,
    /// The environment variable holding the secret key.
    #[serde(default)]
    pub secret_key_env: Option<String>,
    /// Huawei: the project id (`X-Project-Id`).
    #[serde(default)]
    pub project_id: Option<String>,
    /// Huawei: the environment variable holding a security token (temporary credentials).
    #[serde(default)]
    pub security_token_env: Option<String>,
    /// Huawei: the environment variable holding an IAM token, used instead of keys.
    #[serde(default)]
    pub token_env: Option<String>,
    /// Items per page, 1 to 1000 (default: the backend's, 100).
    #[serde(default)]
    pub page_size: Option<u32>,
    /// At most this many requests per second to this source, retries included (> 0).
    #[serde(default)]
    pub max_rps: Option<f64>,
    /// Allow signed requests over plain `http://` to a host that is not loopback.
    #[serde(default)]
    pub allow_insecure_http: Option<bool>,
}

fn secret<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<SecretString>, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.map(SecretString::new))
}

impl ProviderConfig {
    /// An entry with only the required keys set.
    pub fn new(
        name: impl Into<String>,
        kind: impl Into<String>,
        region: impl Into<String>,
    ) -> Self {
        ProviderConfig {
            name: name.into(),
            kind: kind.into(),
            region: region.into(),
            endpoint: None,
            access_key: None,
            secret_key: None,
            access_key_env: None,
            secret_key_env: None,
            project_id: None,
            security_token_env: None,
            token_env: None,
            page_size: None,
            max_rps: None,
            allow_insecure_http: None,
        }
    }

    /// Sets the endpoint.
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Sets explicit keys.
    pub fn with_keys(
        mut self,
        access_key: impl Into<String>,
        secret_key: impl Into<SecretString>,
    ) -> Self {
        self.access_key = Some(access_key.into());
        self.secret_key = Some(secret_key.into());
        self
    }
}

impl fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("access_key", &self.access_key)
            .field("secret_key", &self.secret_key.as_ref().map(|_| "***"))
            .field("access_key_env", &self.access_key_env)
            .field("secret_key_env", &self.secret_key_env)
            .field("project_id", &self.project_id)
            .field("security_token_env", &self.security_token_env)
            .field("token_env", &self.token_env)
            .field("page_size", &self.page_size)
            .field("max_rps", &self.max_rps)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .finish()
    }
}

/// Where in a configuration something is: the origin, the entry and the key.
#[derive(Clone, Debug)]
pub(crate) struct Location<'a> {
    /// The file (or `environment`), possibly with `:line:column`.
    pub(crate) origin: String,
    /// The entry's index in `providers`.
    pub(crate) index: Option<usize>,
    /// The entry's name, when it has one.
    pub(crate) name: Option<&'a str>,
}

impl Location<'_> {
    /// An `InvalidConfig` error at this place, about `key`.
    pub(crate) fn error(&self, key: Option<&str>, message: impl fmt::Display) -> Error {
        Error::config(self.describe(key, message))
    }

    /// `origin: providers[i] ("name"): key `k`: message`.
    pub(crate) fn describe(&self, key: Option<&str>, message: impl fmt::Display) -> String {
        let mut out = String::new();
        if !self.origin.is_empty() {
            out.push_str(&self.origin);
            out.push_str(": ");
        }
        match (self.index, self.name) {
            (Some(i), Some(name)) => out.push_str(&format!("providers[{i}] ({name:?}): ")),
            (Some(i), None) => out.push_str(&format!("providers[{i}]: ")),
            (None, Some(name)) => out.push_str(&format!("provider {name:?}: ")),
            (None, None) => {}
        }
        if let Some(key) = key {
            out.push_str(&format!("key `{key}`: "));
        }
        out.push_str(&message.to_string());
        out
    }
}

// The tests configure both backends.
#[cfg(all(test, feature = "ncp", feature = "huawei"))]
mod tests;
