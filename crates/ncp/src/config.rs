//! How an [`NcpProvider`](crate::NcpProvider) is configured.

use reginv_core::{client_options_builders, AccessKeyPair, ClientOptions, Environment};

use crate::region::NcpRegion;

/// The page size sent when the configuration does not say (`pagesize=100`), whether the crate
/// is embedded or configured through a `reginv.toml` entry.
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// The largest page size a configuration entry may ask for (NCR publishes no maximum; a size
/// the gateway refuses is halved and remembered anyway).
pub const MAX_PAGE_SIZE: u32 = 1000;

/// The configuration of one NCR account and region.
///
/// The shared client settings (endpoint, page size, timeouts, retries, rate cap, paging limits)
/// are its [`ClientOptions`], reachable as fields (`config.page_size`) and with the builder
/// methods `with_endpoint`, `with_page_size`, `with_http` and `with_paging`.
///
/// ```
/// use reginv_core::AccessKeyPair;
/// use reginv_ncp::{NcpConfig, NcpRegion};
///
/// let config = NcpConfig::new("ncp-kr", NcpRegion::Kr)
///     .with_endpoint("http://127.0.0.1:8080")
///     .with_credentials(AccessKeyPair::new("AKID", "s3cr3t"))
///     .with_page_size(50);
/// assert_eq!(config.page_size, 50);
/// assert!(!format!("{config:?}").contains("s3cr3t"));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct NcpConfig {
    /// The source label every row and error carries (e.g. `ncp-kr`).
    pub name: String,
    /// The region, which picks the gateway host and path prefix.
    pub region: NcpRegion,
    /// The access keys; `None` resolves them with
    /// [`credentials::resolve_in`](crate::credentials::resolve_in) from
    /// [`environment`](NcpConfig::environment) (variables, then `~/.ncloud/configure`).
    pub credentials: Option<AccessKeyPair>,
    /// Where credentials are looked up when none are given (default: the process environment).
    pub environment: Environment,
    /// Endpoint, page size (default [`DEFAULT_PAGE_SIZE`], at least 1), HTTP settings and
    /// paging limits. Another endpoint than the region's gets the region's path prefix appended
    /// unless its path already ends with it; a page size NCR refuses (HTTP 400) is halved and
    /// remembered ([`PageSize`](reginv_core::PageSize)).
    pub client: ClientOptions,
}

client_options_builders!(NcpConfig, client);

impl NcpConfig {
    /// A configuration named `name` for `region` with every default: the region's public
    /// gateway, credentials from the environment or `~/.ncloud/configure`, pages of 100.
    pub fn new(name: impl Into<String>, region: NcpRegion) -> Self {
        NcpConfig {
            name: name.into(),
            region,
            credentials: None,
            environment: Environment::process(),
            client: ClientOptions::new(DEFAULT_PAGE_SIZE),
        }
    }

    /// Uses these access keys.
    pub fn with_credentials(mut self, credentials: AccessKeyPair) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Looks credentials up in `environment` instead of the process environment.
    pub fn with_environment(mut self, environment: Environment) -> Self {
        self.environment = environment;
        self
    }
}
