//! The provider factory table: the one place the facade names its backends.
//!
//! Each row of [`backends!`] is one backend crate: its cargo feature (which is also its
//! `kind`), the module it is re-exported as, and its [`ProviderFactory`]. Everything else in
//! the facade (configuration parsing, validation, building, sources from the environment)
//! goes through [`ProviderFactories`], keyed by kind, so a new backend is one new row here.
//! Code that embeds reginv registers its own kinds with [`ProviderFactories::with`].
//!
//! A configuration file of both built-in backends (each backend's `config_entry` module lists
//! its keys: [`reginv_ncp::config_entry`], [`reginv_huawei::config_entry`]):
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
//! project_id = "0123456789abcdef0123456789abcdef"   # huawei only, as are security_token_env, token_env
//! page_size = 500            # 1..=1000, default 100
//! max_rps = 20               # optional cap on requests per second to this source
//! ```

use std::sync::Arc;

use crate::core::{ConfigEntry, Environment, Error, ProviderFactory, RegistryProvider, Result};

/// Declares the built-in backends: `"feature" => module = crate::Factory`, one row each.
macro_rules! backends {
    ($($feature:literal => $module:ident = $krate:ident :: $factory:ident),* $(,)?) => {
        $(
            #[cfg(feature = $feature)]
            pub use $krate as $module;
        )*

        /// The kinds of every backend this facade knows, built in or not (a kind missing from
        /// the build gets a hint naming its cargo feature).
        const KNOWN_KINDS: &[&str] = &[$($feature),*];

        /// The factories of the backends compiled in, in table order.
        #[allow(unused_mut, clippy::vec_init_then_push)]
        fn built_in() -> Vec<Arc<dyn ProviderFactory>> {
            let mut factories: Vec<Arc<dyn ProviderFactory>> = Vec::new();
            $(
                #[cfg(feature = $feature)]
                factories.push(Arc::new(<$krate::$factory>::default()));
            )*
            factories
        }
    };
}

backends! {
    "ncp" => ncp = reginv_ncp::NcpFactory,
    "huawei" => huawei = reginv_huawei::HuaweiFactory,
    "oci" => oci = reginv_oci::OciFactory,
}

/// The providers a configuration may name, by kind: the built-in backends
/// ([`builtin`](ProviderFactories::builtin)) and any an embedder adds
/// ([`with`](ProviderFactories::with)).
///
/// ```
/// use reginv::{ProviderFactories, ProviderConfig};
///
/// let factories = ProviderFactories::builtin();
/// assert!(factories.kinds().contains(&"ncp".to_string()));
/// let entry = ProviderConfig::new("x", "aws").with("region", "us-east-1");
/// let err = factories.validate_entry(&entry).unwrap_err();
/// assert!(err.to_string().contains("unknown kind \"aws\""));
/// ```
#[derive(Clone, Debug)]
pub struct ProviderFactories {
    factories: Vec<Arc<dyn ProviderFactory>>,
}

impl Default for ProviderFactories {
    fn default() -> Self {
        ProviderFactories::builtin()
    }
}

impl ProviderFactories {
    /// The backends compiled into this build (cargo features `ncp`, `huawei`, …).
    pub fn builtin() -> Self {
        ProviderFactories {
            factories: built_in(),
        }
    }

    /// No backend at all.
    pub fn empty() -> Self {
        ProviderFactories {
            factories: Vec::new(),
        }
    }

    /// These factories and `factory`, which replaces one of the same kind.
    pub fn with(mut self, factory: impl ProviderFactory + 'static) -> Self {
        let kind = factory.kind();
        self.factories.retain(|f| f.kind() != kind);
        self.factories.push(Arc::new(factory));
        self
    }

    /// The factory of `kind`.
    pub fn get(&self, kind: &str) -> Option<&Arc<dyn ProviderFactory>> {
        self.factories.iter().find(|f| f.kind().as_str() == kind)
    }

    /// Every kind, in table order.
    pub fn kinds(&self) -> Vec<String> {
        self.factories
            .iter()
            .map(|f| f.kind().as_str().to_string())
            .collect()
    }

    /// The factories, in table order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn ProviderFactory>> + '_ {
        self.factories.iter()
    }

    /// The factory of an entry's kind, after checking its `name` and `kind`.
    fn factory_of(&self, entry: &ConfigEntry) -> Result<&Arc<dyn ProviderFactory>> {
        entry.required_string("name")?;
        let kind = entry.required_string("kind")?;
        self.get(&kind).ok_or_else(|| {
            let hint = if KNOWN_KINDS.contains(&kind.as_str()) {
                format!(
                    "this build of reginv has no {kind} backend (enable the cargo feature \
                     `{kind}`)"
                )
            } else {
                format!(
                    "unknown kind {kind:?}; expected one of: {}",
                    self.kinds().join(", ")
                )
            };
            entry.error("kind", hint)
        })
    }

    /// Checks an entry: `name` and `kind`, then everything its backend checks. A key that
    /// only another kind takes is named as such.
    pub fn validate_entry(&self, entry: &ConfigEntry) -> Result<()> {
        let factory = self.factory_of(entry)?;
        if let Some(key) = entry.unknown_key(&factory.keys()) {
            let owners: Vec<String> = self
                .factories
                .iter()
                .filter(|f| f.keys().contains(&key))
                .map(|f| format!("{:?}", f.kind().as_str()))
                .collect();
            if !owners.is_empty() {
                return Err(entry.error(
                    key,
                    format!(
                        "applies to kind {} only, not {:?}",
                        owners.join(" or "),
                        entry.kind()
                    ),
                ));
            }
        }
        factory.validate(entry)
    }

    /// Validates an entry and builds its provider, reading variables and files from `env` only.
    pub fn build_entry(
        &self,
        entry: &ConfigEntry,
        env: &Environment,
    ) -> Result<Arc<dyn RegistryProvider>> {
        self.validate_entry(entry)?;
        self.factory_of(entry)?.build(entry, env)
    }

    /// The entries the vendors' own environment variables describe, one per backend whose
    /// variables are set, in table order. Errors start with `environment: `.
    pub fn entries_from_environment(&self, env: &Environment) -> Result<Vec<ConfigEntry>> {
        let mut entries = Vec::new();
        for factory in &self.factories {
            let entry = factory
                .entry_from_environment(env)
                .map_err(|e| Error::new(e.kind(), format!("environment: {}", e.message())))?;
            entries.extend(entry);
        }
        Ok(entries)
    }
}
