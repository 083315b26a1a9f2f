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

use reginv_core::{Error, HttpClientConfig, PagingOptions, Result};

use crate::credentials::HuaweiCredentials;

/// The default number of items per page (SWR's own default).
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

/// The configuration of one SWR source (an account in a region).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HuaweiConfig {
    /// The source label that appears in every row (`swr-ap`).
    pub name: String,
    /// The region, e.g. `ap-southeast-1`.
    pub region: String,
    /// An endpoint override (e.g. the emulator's `http://127.0.0.1:PORT`); `None` uses
    /// [`default_endpoint`] of the region.
    pub endpoint: Option<String>,
    /// The credentials; `None` resolves them with [`credentials::resolve`](crate::credentials::resolve).
    pub credentials: Option<HuaweiCredentials>,
    /// The project id sent as `X-Project-Id`; when `None` and the credentials are resolved from
    /// the environment or the credentials file, the project id found there is used.
    pub project_id: Option<String>,
    /// Items per page, 1 to 1000 (default 100).
    pub page_size: u32,
    /// Connection, timeout and retry settings.
    pub http: HttpClientConfig,
    /// Limits of every listing (page cap).
    pub paging: PagingOptions,
}

impl HuaweiConfig {
    /// A configuration for source `name` in `region`, with defaults for everything else.
    pub fn new(name: impl Into<String>, region: impl Into<String>) -> Self {
        HuaweiConfig {
            name: name.into(),
            region: region.into(),
            endpoint: None,
            credentials: None,
            project_id: None,
            page_size: DEFAULT_PAGE_SIZE,
            http: HttpClientConfig::default(),
            paging: PagingOptions::default(),
        }
    }

    /// Sets the endpoint override.
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
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

    /// Sets the page size (validated by [`HuaweiProvider::new`](crate::HuaweiProvider::new)).
    pub fn with_page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size;
        self
    }

    /// Sets the HTTP settings.
    pub fn with_http(mut self, http: HttpClientConfig) -> Self {
        self.http = http;
        self
    }

    /// Sets the paging limits.
    pub fn with_paging(mut self, paging: PagingOptions) -> Self {
        self.paging = paging;
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
        if self.endpoint.is_none() {
            let region = self.region.trim();
            let valid = !region.is_empty()
                && region
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !valid {
                return Err(Error::config(format!(
                    "{:?} is not a Huawei Cloud region (expected e.g. ap-southeast-1), and no \
                     endpoint was given",
                    self.region
                ))
                .with_source(self.name.clone()));
            }
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
