//! How a [`HuaweiProvider`](crate::HuaweiProvider) is set up: region, endpoint, credentials,
//! project and page size.
//!
//! ```
//! use reginv_huawei::{default_endpoint, HuaweiConfig, HuaweiCredentials};
//!
//! let config = HuaweiConfig::new("swr-ap", "ap-southeast-1")
//!     .with_credentials(HuaweiCredentials::aksk("AK", "SK"))
//!     .with_project_id("0123456789abcdef0123456789abcdef")
//!     .with_page_size(500);
//! assert_eq!(config.effective_endpoint(), "https://swr-api.ap-southeast-1.myhuaweicloud.com");
//! assert_eq!(default_endpoint("eu-west-101"), "https://swr-api.eu-west-101.myhuaweicloud.eu");
//! ```

use reginv_core::{client_options_builders, ClientOptions, Environment, Error, Result};

use crate::credentials::HuaweiCredentials;

/// The number of items per page when neither the code nor the configuration says: SWR's own
/// default, the same whether the crate is embedded or configured through a `reginv.toml`
/// entry. Ask for up to [`MAX_PAGE_SIZE`] (`page_size = 1000`) for the fewest requests.
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// The largest page SWR serves.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// The SWR API endpoint of a region: `https://swr-api.{region}.myhuaweicloud.com`, except
/// `eu-west-101`, which is served from `myhuaweicloud.eu`.
pub fn default_endpoint(region: &str) -> String {
    let region = region.trim();
    match region {
        "eu-west-101" => format!("https://swr-api.{region}.myhuaweicloud.eu"),
        _ => format!("https://swr-api.{region}.myhuaweicloud.com"),
    }
}

/// Whether `region` looks like a Huawei Cloud region name (lower-case letters, digits, `-`).
pub fn is_region_name(region: &str) -> bool {
    !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The configuration of one SWR source (an account in a region).
///
/// The shared client settings (endpoint override, page size 1 to 1000, default
/// [`DEFAULT_PAGE_SIZE`], timeouts, retries, rate cap, paging limits) are its
/// [`ClientOptions`], reachable as fields (`config.page_size`) and with the builder methods
/// `with_endpoint`, `with_page_size`, `with_http` and `with_paging`; without an endpoint, the
/// region's [`default_endpoint`] is used.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HuaweiConfig {
    /// The source label that appears in every row (`swr-ap`).
    pub name: String,
    /// The region, e.g. `ap-southeast-1`.
    pub region: String,
    /// The credentials; `None` resolves them with
    /// [`credentials::resolve_in`](crate::credentials::resolve_in) from
    /// [`environment`](HuaweiConfig::environment).
    pub credentials: Option<HuaweiCredentials>,
    /// The project id sent as `X-Project-Id`; when `None` and the credentials are resolved from
    /// the environment or the credentials file, the project id found there is used.
    pub project_id: Option<String>,
    /// Where credentials are looked up when none are given (default: the process environment).
    pub environment: Environment,
    /// Endpoint, page size, HTTP settings and paging limits.
    pub client: ClientOptions,
    /// Ask for the repository listing's second page (offset `page_size`) together with the
    /// first, before its `Content-Range` says whether there is one (default `false`;
    /// [`Capabilities::speculative_second_repository_page`](reginv_core::Capabilities)). Saves a
    /// round trip on accounts of two pages (more than two still wait for the total), costs one
    /// request on accounts of one, and only once the source's keys are proven: until a request
    /// succeeded the client sends one at a time, so on a fresh provider (every source of
    /// `reginv inventory`) the speculative request waits behind the first page and saves
    /// nothing. Not a configuration key for that reason; see BENCHMARKS.md, issue 13.3.
    pub speculative_paging: bool,
}

client_options_builders!(HuaweiConfig, client);

impl HuaweiConfig {
    /// A configuration for source `name` in `region`, with defaults for everything else.
    pub fn new(name: impl Into<String>, region: impl Into<String>) -> Self {
        HuaweiConfig {
            name: name.into(),
            region: region.into(),
            credentials: None,
            project_id: None,
            environment: Environment::process(),
            client: ClientOptions::new(DEFAULT_PAGE_SIZE),
            speculative_paging: false,
        }
    }

    /// Asks for the repository listing's second page together with the first, or not
    /// ([`speculative_paging`](HuaweiConfig::speculative_paging)).
    pub fn with_speculative_paging(mut self, speculative: bool) -> Self {
        self.speculative_paging = speculative;
        self
    }

    /// Sets explicit credentials.
    pub fn with_credentials(mut self, credentials: HuaweiCredentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Sets the project id (`X-Project-Id`).
    pub fn with_project_id(mut self, project_id: impl Into<String>) -> Self {
        self.project_id = Some(project_id.into());
        self
    }

    /// Looks credentials up in `environment` instead of the process environment.
    pub fn with_environment(mut self, environment: Environment) -> Self {
        self.environment = environment;
        self
    }

    /// The endpoint requests go to: the override, else the region's default.
    pub fn effective_endpoint(&self) -> String {
        match &self.endpoint {
            Some(e) => e.trim().to_string(),
            None => default_endpoint(&self.region),
        }
    }

    /// Checks the settings that do not need the network (name, region, page size, endpoint).
    pub fn validate(&self) -> Result<()> {
        if self.name.trim().is_empty() {
            return Err(Error::config("the Huawei SWR source needs a name"));
        }
        if !(1..=MAX_PAGE_SIZE).contains(&self.page_size) {
            return Err(Error::config(format!(
                "page_size must be between 1 and {MAX_PAGE_SIZE} (SWR's limit), got {}",
                self.page_size
            ))
            .with_source(self.name.clone()));
        }
        if self.endpoint.is_none() && !is_region_name(self.region.trim()) {
            return Err(Error::config(format!(
                "{:?} is not a Huawei Cloud region (expected e.g. ap-southeast-1), and no \
                 endpoint was given",
                self.region
            ))
            .with_source(self.name.clone()));
        }
        if let Some(project) = &self.project_id {
            if project.trim().is_empty() {
                return Err(Error::config("the project id is empty").with_source(self.name.clone()));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reginv_core::ErrorKind;

    #[test]
    fn endpoints_for_regions() {
        for region in ["ap-southeast-1", "cn-north-4", "la-south-2", "eu-west-0"] {
            assert_eq!(
                default_endpoint(region),
                format!("https://swr-api.{region}.myhuaweicloud.com")
            );
        }
        assert_eq!(
            default_endpoint("eu-west-101"),
            "https://swr-api.eu-west-101.myhuaweicloud.eu"
        );
        let c = HuaweiConfig::new("x", "eu-west-101");
        assert_eq!(
            c.effective_endpoint(),
            "https://swr-api.eu-west-101.myhuaweicloud.eu"
        );
        let c = c.with_endpoint("http://127.0.0.1:9999");
        assert_eq!(c.effective_endpoint(), "http://127.0.0.1:9999");
    }

    #[test]
    fn page_size_is_validated() {
        assert_eq!(HuaweiConfig::new("x", "r").page_size, 100);
        for ok in [1, 7, 100, 1000] {
            assert!(HuaweiConfig::new("x", "cn-north-4")
                .with_page_size(ok)
                .validate()
                .is_ok());
        }
        for bad in [0, 1001, u32::MAX] {
            let err = HuaweiConfig::new("x", "cn-north-4")
                .with_page_size(bad)
                .validate()
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidConfig);
            assert!(err.to_string().contains("page_size"), "{err}");
        }
    }

    #[test]
    fn region_is_validated_unless_an_endpoint_is_given() {
        for bad in ["", "  ", "ap southeast", "evil.com/x", "AP-SOUTHEAST-1"] {
            assert_eq!(
                HuaweiConfig::new("x", bad).validate().unwrap_err().kind(),
                ErrorKind::InvalidConfig,
                "{bad:?}"
            );
        }
        assert!(HuaweiConfig::new("x", "")
            .with_endpoint("http://127.0.0.1:1")
            .validate()
            .is_ok());
        assert!(HuaweiConfig::new("", "cn-north-4").validate().is_err());
        assert!(HuaweiConfig::new("x", "cn-north-4")
            .with_project_id(" ")
            .validate()
            .is_err());
    }
}
