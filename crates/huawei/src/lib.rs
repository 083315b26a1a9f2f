//! # reginv-huawei
//!
//! The reginv backend for Huawei Cloud SWR (SoftWare Repository for Container): a client of the
//! `/v2/manage` API that implements [`RegistryProvider`](reginv_core::RegistryProvider), so an
//! SWR account's namespaces, repositories and tags stream out as reginv's normalized rows.
//!
//! ```no_run
//! use std::sync::Arc;
//! use futures::TryStreamExt;
//! use reginv_core::{RegistryProviderExt, RepositoryQuery};
//! use reginv_huawei::{HuaweiConfig, HuaweiCredentials, HuaweiProvider};
//!
//! #[tokio::main]
//! async fn main() -> reginv_core::Result<()> {
//!     let config = HuaweiConfig::new("swr-ap", "ap-southeast-1")
//!         .with_credentials(HuaweiCredentials::aksk("MY-AK", "MY-SK"))
//!         .with_project_id("0123456789abcdef0123456789abcdef");
//!     let provider = Arc::new(HuaweiProvider::new(config)?);
//!     // One listing for the whole account; SWR's listing already carries tag names.
//!     let repos: Vec<_> = provider
//!         .list_repositories(RepositoryQuery::all())
//!         .try_collect()
//!         .await?;
//!     for repo in &repos {
//!         let tags = repo.tags.as_deref().unwrap_or_default();
//!         println!("{} ({} tags)", repo.full_name, tags.len());
//!     }
//!     Ok(())
//! }
//! ```
//!
//! - [`HuaweiConfig`] / [`HuaweiProvider`]: region ([`default_endpoint`]), endpoint override,
//!   credentials, `X-Project-Id`, page size (default 100, at most 1000).
//! - [`config_entry`]: the keys of a `kind = "huawei"` configuration entry and the SDK's
//!   environment variables; [`HuaweiFactory`] is this backend's line in the facade's factory
//!   table.
//! - [`credentials`]: explicit credentials, else `HUAWEICLOUD_SDK_AK` / `_SK` / `_PROJECT_ID` /
//!   `_SECURITY_TOKEN`, else `~/.huaweicloud/credentials`; AK/SK, temporary and IAM token.
//! - [`signing`]: the `SDK-HMAC-SHA256` signer, re-run on every retry.
//! - [`content_range`]: the `Content-Range` parser whose total drives paging.
//! - [`error`]: both SWR error shapes as reginv errors ([`SwrErrorDecoder`]).
//! - [`timestamps`]: the lenient time reader used by the normalization.
//!
//! Without credentials, the provider still builds offline from explicit settings:
//!
//! ```
//! use reginv_core::{ProviderKind, RegistryProvider};
//! use reginv_huawei::{HuaweiConfig, HuaweiCredentials, HuaweiProvider};
//!
//! let provider = HuaweiProvider::new(
//!     HuaweiConfig::new("swr-eu", "eu-west-101").with_credentials(HuaweiCredentials::token("t")),
//! )?;
//! assert_eq!(provider.source().endpoint, "https://swr-api.eu-west-101.myhuaweicloud.eu");
//! assert_eq!(provider.source().provider, ProviderKind::HUAWEI);
//! assert!(provider.capabilities().repository_listing_has_tag_names);
//! # Ok::<(), reginv_core::Error>(())
//! ```

#![warn(missing_docs)]

pub mod config;
pub mod config_entry;
pub mod content_range;
pub mod credentials;
pub mod error;
pub mod provider;
pub mod signing;
pub mod timestamps;
mod wire;

pub use config::{default_endpoint, HuaweiConfig, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
pub use config_entry::HuaweiFactory;
pub use content_range::ContentRange;
pub use credentials::HuaweiCredentials;
pub use error::SwrErrorDecoder;
pub use provider::HuaweiProvider;

/// Decodes and normalizes the body of one `GET /v2/manage/repos` page, exactly as
/// [`HuaweiProvider`]'s repository listing does (the same function, not a copy);
/// `fallback_namespace` names the namespace of items that do not say theirs. Public for the
/// decoding benchmark (`cargo bench --bench inventory`, cargo feature `bench`), not a stable
/// API.
#[cfg(feature = "bench")]
#[doc(hidden)]
pub fn decode_repositories_page(
    source: &reginv_core::Source,
    body: &[u8],
    fallback_namespace: Option<&str>,
) -> reginv_core::Result<Vec<reginv_core::Repository>> {
    wire::repositories(source, body, fallback_namespace)
}

/// Decodes and normalizes the body of one `GET …/repos/{repo}/tags` page, exactly as
/// [`HuaweiProvider`]'s tag listing does (the same function, not a copy). Public for the
/// decoding benchmark (`cargo bench --bench inventory`, cargo feature `bench`), not a stable
/// API.
#[cfg(feature = "bench")]
#[doc(hidden)]
pub fn decode_tags_page(body: &[u8]) -> reginv_core::Result<Vec<reginv_core::Tag>> {
    wire::tags(body)
}
