//! How an [`NcpProvider`](crate::NcpProvider) is configured.

use reginv_core::{AccessKeyPair, HttpClientConfig, PagingOptions};

use crate::region::NcpRegion;

/// The page size sent when the configuration does not say (`pagesize=100`).
pub const DEFAULT_PAGE_SIZE: u32 = 100;

/// The configuration of one NCR account and region.
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
    /// Another gateway to talk to instead of the region's (an emulator's
    /// `http://127.0.0.1:PORT`, a proxy). The region's path prefix is appended unless the URL's
    /// path already ends with it.
    pub endpoint: Option<String>,
    /// The access keys; `None` resolves them with [`credentials::resolve`](crate::credentials::resolve)
    /// (environment, then `~/.ncloud/configure`).
    pub credentials: Option<AccessKeyPair>,
    /// The `pagesize` sent for first pages (default 100; at least 1). NCR does not document a
    /// maximum: a size it refuses (HTTP 400) is halved and remembered
    /// ([`PageSize`](reginv_core::PageSize)).
    pub page_size: u32,
    /// Timeouts, retries and transport settings.
    pub http: HttpClientConfig,
    /// Limits of each listing.
    pub paging: PagingOptions,
}

impl NcpConfig {
    /// A configuration named `name` for `region` with every default: the region's public
    /// gateway, credentials from the environment or `~/.ncloud/configure`, pages of 100.
    pub fn new(name: impl Into<String>, region: NcpRegion) -> Self {
        NcpConfig {
            name: name.into(),
            region,
            endpoint: None,
            credentials: None,
            page_size: DEFAULT_PAGE_SIZE,
            http: HttpClientConfig::default(),
            paging: PagingOptions::default(),
        }
    }

    /// Talks to `endpoint` instead of the region's gateway.
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Uses these access keys.
    pub fn with_credentials(mut self, credentials: AccessKeyPair) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Sends `pagesize=size` for first pages.
    pub fn with_page_size(mut self, size: u32) -> Self {
        self.page_size = size;
        self
    }

    /// Uses these HTTP settings (timeouts, retries).
    pub fn with_http(mut self, http: HttpClientConfig) -> Self {
        self.http = http;
        self
    }

    /// Uses these paging limits.
    pub fn with_paging(mut self, paging: PagingOptions) -> Self {
        self.paging = paging;
        self
    }
}
