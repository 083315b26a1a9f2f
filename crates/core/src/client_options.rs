//! What every HTTP backend repeats, written once: [`ClientOptions`] (endpoint, timeouts, retry,
//! page size, rate cap, insecure opt-in, paging limits) and [`ProviderCore`] (the source, the
//! HTTP client, the negotiated page size, the paging limits and the error context a provider
//! answers with).
//!
//! A backend's configuration embeds a [`ClientOptions`] and gets its builder methods with
//! [`client_options_builders!`](crate::client_options_builders); its provider holds a
//! [`ProviderCore`] and gets the [`RegistryProvider`](crate::RegistryProvider) accessors with
//! [`provider_accessors!`](crate::provider_accessors).

use std::sync::Arc;

use crate::config_entry::ConfigEntry;
use crate::error::{Error, ErrorContext, Result};
use crate::http::{
    ErrorDecoder, HttpClient, HttpClientConfig, HttpStatsSnapshot, RequestSigner, Url,
};
use crate::model::Source;
use crate::paging::{PageSize, PagingOptions};

/// The keys [`ClientOptions::from_entry`] reads.
pub const CLIENT_KEYS: [&str; 4] = ["endpoint", "page_size", "max_rps", "allow_insecure_http"];

/// The page sizes a backend accepts: the one it uses when not told, and the largest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageLimits {
    /// The page size used when the configuration does not say.
    pub default: u32,
    /// The largest page size a configuration may ask for.
    pub max: u32,
}

impl PageLimits {
    /// Pages of `default` unless told, of at most `max`.
    pub const fn new(default: u32, max: u32) -> Self {
        PageLimits { default, max }
    }
}

/// How a backend's client talks to its API: where, how long, how often, how many per page.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ClientOptions {
    /// Another endpoint instead of the vendor's (an emulator's `http://127.0.0.1:PORT`, a
    /// proxy). `None`: the vendor's endpoint for the region.
    pub endpoint: Option<String>,
    /// Items asked for per page (first pages; a size the vendor refuses is halved and
    /// remembered, see [`PageSize`]).
    pub page_size: u32,
    /// Timeouts, retries, the rate cap (`max_requests_per_second`) and the plain-http opt-in.
    pub http: HttpClientConfig,
    /// Limits of each listing.
    pub paging: PagingOptions,
}

impl ClientOptions {
    /// The defaults, with pages of `page_size`.
    pub fn new(page_size: u32) -> Self {
        ClientOptions {
            endpoint: None,
            page_size,
            http: HttpClientConfig::default(),
            paging: PagingOptions::default(),
        }
    }

    /// The options an entry gives (`endpoint`, `page_size` within `limits`, `max_rps`,
    /// `allow_insecure_http`, where its credentials come from for the error when they are
    /// rejected), the defaults for the rest. Errors name the entry and the key.
    pub fn from_entry(entry: &ConfigEntry, limits: PageLimits) -> Result<Self> {
        let mut options = ClientOptions::new(limits.default);
        options.http.credentials_source = entry.credentials_source();
        if let Some(endpoint) = entry.string("endpoint")? {
            check_endpoint(&endpoint).map_err(|message| entry.error("endpoint", message))?;
            options.endpoint = Some(endpoint);
        }
        if let Some(size) = entry.integer("page_size")? {
            options.page_size = u32::try_from(size)
                .ok()
                .filter(|size| (1..=limits.max).contains(size))
                .ok_or_else(|| {
                    entry.error(
                        "page_size",
                        format!("must be between 1 and {}, got {size}", limits.max),
                    )
                })?;
        }
        if let Some(rps) = entry.number("max_rps")? {
            if !(rps.is_finite() && rps > 0.0) {
                return Err(entry.error("max_rps", format!("must be a number above 0, got {rps}")));
            }
            options.http.max_requests_per_second = Some(rps);
        }
        if let Some(allow) = entry.boolean("allow_insecure_http")? {
            options.http.allow_insecure_http = allow;
        }
        Ok(options)
    }
}

/// An endpoint is an `http` or `https` URL with a host.
fn check_endpoint(endpoint: &str) -> std::result::Result<(), String> {
    let url = Url::parse(endpoint.trim()).map_err(|e| format!("{endpoint:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "{endpoint:?} must start with https:// (or http:// for a local emulator)"
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{endpoint:?} has no host"));
    }
    Ok(())
}

/// Gives a backend configuration struct with a `ClientOptions` field `Deref` to it (so
/// `config.page_size`, `config.http`, … read and write the options) and the builder methods
/// `with_endpoint`, `with_page_size`, `with_http`, `with_paging`.
///
/// ```
/// use reginv_core::{client_options_builders, ClientOptions};
///
/// #[derive(Debug, Clone)]
/// pub struct MyConfig {
///     /// The shared options.
///     pub client: ClientOptions,
/// }
/// client_options_builders!(MyConfig, client);
///
/// let config = MyConfig { client: ClientOptions::new(100) }.with_page_size(50);
/// assert_eq!(config.page_size, 50);
/// ```
#[macro_export]
macro_rules! client_options_builders {
    ($config:ty, $field:ident) => {
        impl ::std::ops::Deref for $config {
            type Target = $crate::ClientOptions;
            fn deref(&self) -> &$crate::ClientOptions {
                &self.$field
            }
        }

        impl ::std::ops::DerefMut for $config {
            fn deref_mut(&mut self) -> &mut $crate::ClientOptions {
                &mut self.$field
            }
        }

        impl $config {
            /// Talks to `endpoint` instead of the vendor's endpoint for the region.
            pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
                self.$field.endpoint = Some(endpoint.into());
                self
            }

            /// Asks for pages of `size` items (checked when the provider is built).
            pub fn with_page_size(mut self, size: u32) -> Self {
                self.$field.page_size = size;
                self
            }

            /// Uses these HTTP settings (timeouts, retries, rate cap, plain-http opt-in).
            pub fn with_http(mut self, http: $crate::HttpClientConfig) -> Self {
                self.$field.http = http;
                self
            }

            /// Uses these paging limits.
            pub fn with_paging(mut self, paging: $crate::PagingOptions) -> Self {
                self.$field.paging = paging;
                self
            }
        }
    };
}

/// What every HTTP provider holds: its [`Source`], its [`HttpClient`], the page size it
/// negotiates, its paging limits; and the error context it answers with.
#[derive(Debug)]
pub struct ProviderCore {
    source: Source,
    http: HttpClient,
    page_size: PageSize,
    paging: PagingOptions,
}

impl ProviderCore {
    /// The core of a provider of `source` with `options`, signing with `signer` and reading
    /// error bodies with `decoder`. Errors carry the source's provider and name.
    pub fn new(
        source: Source,
        options: &ClientOptions,
        signer: Arc<dyn RequestSigner>,
        decoder: Arc<dyn ErrorDecoder>,
    ) -> Result<Self> {
        let http = HttpClient::new(&source, options.http.clone(), signer, decoder)
            .map_err(|e| e.with_context(&ErrorContext::of_source(&source)))?;
        Ok(ProviderCore {
            page_size: PageSize::new(options.page_size),
            paging: options.paging.clone(),
            source,
            http,
        })
    }

    /// The source.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// The HTTP client.
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// The page size, negotiated with the vendor.
    pub fn page_size(&self) -> &PageSize {
        &self.page_size
    }

    /// The paging limits.
    pub fn paging_options(&self) -> PagingOptions {
        self.paging.clone()
    }

    /// The HTTP counters so far.
    pub fn http_stats(&self) -> HttpStatsSnapshot {
        self.http.stats()
    }

    /// The context of `operation` on `target` of this source.
    pub fn context(&self, operation: &str, target: Option<&str>) -> ErrorContext {
        ErrorContext::of_source(&self.source)
            .with_operation(operation)
            .with_target(target)
    }

    /// `error` with this source's provider and name, `operation` and `target` filled in where
    /// a deeper layer did not set them ([`Error::with_context`]).
    pub fn tag(&self, error: Error, operation: &str, target: Option<&str>) -> Error {
        error.with_context(&self.context(operation, target))
    }
}

/// The [`RegistryProvider`](crate::RegistryProvider) accessors of a provider that holds a
/// [`ProviderCore`] in field `$field`: `source`, `paging_options`, `page_size`, `http_stats`.
/// Use it inside the `impl RegistryProvider for …` block.
#[macro_export]
macro_rules! provider_accessors {
    ($field:ident) => {
        fn source(&self) -> &$crate::Source {
            self.$field.source()
        }

        fn paging_options(&self) -> $crate::PagingOptions {
            self.$field.paging_options()
        }

        fn page_size(&self) -> Option<u32> {
            Some(self.$field.page_size().current())
        }

        fn http_stats(&self) -> $crate::HttpStatsSnapshot {
            self.$field.http_stats()
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    const LIMITS: PageLimits = PageLimits::new(100, 1000);

    #[test]
    fn options_come_from_the_entry_or_the_defaults() {
        let entry = ConfigEntry::new("a", "x")
            .with_endpoint("http://127.0.0.1:1")
            .with("page_size", 500)
            .with("max_rps", 20)
            .with("allow_insecure_http", true);
        let options = ClientOptions::from_entry(&entry, LIMITS).unwrap();
        assert_eq!(options.endpoint.as_deref(), Some("http://127.0.0.1:1"));
        assert_eq!(options.page_size, 500);
        assert_eq!(options.http.max_requests_per_second, Some(20.0));
        assert!(options.http.allow_insecure_http);
        let defaults = ClientOptions::from_entry(&ConfigEntry::new("a", "x"), LIMITS).unwrap();
        assert_eq!(defaults, ClientOptions::new(100));
    }

    #[test]
    fn bad_values_name_their_key() {
        let cases: [(&str, ConfigEntry, &str); 5] = [
            (
                "page_size",
                ConfigEntry::new("a", "x").with("page_size", 0),
                "got 0",
            ),
            (
                "page_size",
                ConfigEntry::new("a", "x").with("page_size", -5),
                "got -5",
            ),
            (
                "max_rps",
                ConfigEntry::new("a", "x").with("max_rps", 0.0),
                "above 0",
            ),
            (
                "endpoint",
                ConfigEntry::new("a", "x").with_endpoint("ftp://h"),
                "https://",
            ),
            (
                "endpoint",
                ConfigEntry::new("a", "x").with_endpoint("no url"),
                "not a URL",
            ),
        ];
        for (key, entry, expected) in cases {
            let err = ClientOptions::from_entry(&entry, LIMITS).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidConfig);
            let msg = err.to_string();
            assert!(
                msg.contains(&format!("key `{key}`: ")) && msg.contains(expected),
                "{msg}"
            );
        }
    }
}
