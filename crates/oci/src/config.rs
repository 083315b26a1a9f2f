//! How an [`OciProvider`](crate::OciProvider) is configured.

use reginv_core::{HttpClientConfig, PagingOptions};

use crate::auth::OciCredentials;

/// The page size (`n`) sent when the configuration does not say.
pub const DEFAULT_PAGE_SIZE: u32 = 100;

/// Manifests and image configurations one provider fetches at once.
pub const DEFAULT_DETAIL_CONCURRENCY: usize = 4;

/// How repositories are grouped into registries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Grouping {
    /// One registry per endpoint, named by its host (`registry.example:5000`); repository
    /// names are the whole path (`team/app`). The default.
    #[default]
    Host,
    /// One registry per first path segment (`team` for `team/app`, repository `app`);
    /// repositories without a `/` stay in the registry named by the host.
    FirstSegment,
}

impl Grouping {
    /// Parses `host` or `first_segment`.
    pub fn parse(text: &str) -> Option<Grouping> {
        match text {
            "host" => Some(Grouping::Host),
            "first_segment" => Some(Grouping::FirstSegment),
            _ => None,
        }
    }
}

/// The configuration of one OCI Distribution registry.
///
/// ```
/// use reginv_oci::{OciConfig, OciCredentials};
///
/// let config = OciConfig::new("harbor", "https://harbor.example")
///     .with_credentials(OciCredentials::new("robot", "s3cr3t"))
///     .with_repositories(["team/app", "team/api"]);
/// assert_eq!(config.repositories.len(), 2);
/// assert!(!format!("{config:?}").contains("s3cr3t"));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct OciConfig {
    /// The source label every row and error carries.
    pub name: String,
    /// The registry: `https://host[:port]` (a bare `host[:port]` means https). Plain `http://`
    /// only to loopback addresses or with [`HttpClientConfig::allow_insecure_http`].
    pub endpoint: String,
    /// The credentials; `None` is anonymous (a token flow may still hand out anonymous tokens).
    pub credentials: Option<OciCredentials>,
    /// The repositories to list instead of `GET /v2/_catalog` (registries that disable the
    /// catalog, such as Docker Hub). Empty (the default): the catalog is listed.
    pub repositories: Vec<String>,
    /// How repositories are grouped into registries.
    pub grouping: Grouping,
    /// The `n` of catalog and tag pages (default 100). A size the registry refuses
    /// (`PAGINATION_NUMBER_INVALID`) is halved and remembered.
    pub page_size: u32,
    /// Fetch each image configuration for the creation time (one more request per image or
    /// platform) when full tag details are listed. Default false.
    pub details: bool,
    /// Manifests and image configurations fetched at once by this provider (default 4): the
    /// tags of a page and the platforms of an index are described this many requests at a
    /// time.
    pub detail_concurrency: usize,
    /// Timeouts, retries and transport settings.
    pub http: HttpClientConfig,
    /// Limits of each listing.
    pub paging: PagingOptions,
}

impl OciConfig {
    /// A configuration named `name` for the registry at `endpoint`, anonymous, with every
    /// default.
    pub fn new(name: impl Into<String>, endpoint: impl Into<String>) -> Self {
        OciConfig {
            name: name.into(),
            endpoint: endpoint.into(),
            credentials: None,
            repositories: Vec::new(),
            grouping: Grouping::Host,
            page_size: DEFAULT_PAGE_SIZE,
            details: false,
            detail_concurrency: DEFAULT_DETAIL_CONCURRENCY,
            http: HttpClientConfig::default(),
            paging: PagingOptions::default(),
        }
    }

    /// Uses these credentials.
    pub fn with_credentials(mut self, credentials: OciCredentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Lists these repositories instead of the catalog.
    pub fn with_repositories<I, S>(mut self, repositories: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.repositories = repositories.into_iter().map(Into::into).collect();
        self
    }

    /// Groups repositories into registries this way.
    pub fn with_grouping(mut self, grouping: Grouping) -> Self {
        self.grouping = grouping;
        self
    }

    /// Sends `n=size` on catalog and tag pages.
    pub fn with_page_size(mut self, size: u32) -> Self {
        self.page_size = size;
        self
    }

    /// Fetches image configurations for creation times.
    pub fn with_details(mut self, details: bool) -> Self {
        self.details = details;
        self
    }

    /// Uses these HTTP settings.
    pub fn with_http(mut self, http: HttpClientConfig) -> Self {
        self.http = http;
        self
    }
}
