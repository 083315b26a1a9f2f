//! # reginv-ncp
//!
//! The reginv backend for NAVER Cloud Platform Container Registry (NCR), API v2: lists every
//! registry, image and tag an account can see, in the `kr`, `sgn` and `jpn` regions and on the
//! government cloud, and maps them into reginv's normalized models.
//!
//! ```no_run
//! use std::sync::Arc;
//! use futures::TryStreamExt;
//! use reginv_core::{RegistryProvider, RegistryProviderExt, RepositoryQuery};
//! use reginv_ncp::{NcpConfig, NcpProvider, NcpRegion};
//!
//! # async fn run() -> reginv_core::Result<()> {
//! // Keys come from NCLOUD_ACCESS_KEY / NCLOUD_SECRET_KEY or ~/.ncloud/configure.
//! let provider = Arc::new(NcpProvider::new(NcpConfig::new("ncp-kr", NcpRegion::Kr))?);
//! let repos: Vec<_> = provider.list_repositories(RepositoryQuery::all()).try_collect().await?;
//! for repo in &repos {
//!     let tags: Vec<_> = provider.list_tags(repo.into()).try_collect().await?;
//!     println!("{} ({} tags) pull {:?}", repo.full_name, tags.len(), repo.pull_uri);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! - [`NcpProvider`] implements [`reginv_core::RegistryProvider`] one page at a time (explicit
//!   `page`/`pagesize`, the vendor's `count` as the page total, so the pages after the first can
//!   be fetched concurrently), plus [`NcpProvider::get_tag`], [`NcpProvider::get_registry`] and
//!   [`NcpProvider::create_registry`].
//! - [`NcpConfig`] and [`NcpRegion`] say where to talk to; [`credentials`] resolves the keys
//!   (explicit, environment, `~/.ncloud/configure`). [`config_entry`] owns the keys of a
//!   `kind = "ncp"` configuration entry and NAVER Cloud's environment variables;
//!   [`NcpFactory`] is this backend's line in the facade's factory table.
//! - [`signing`] is the API gateway's signature v2, pinned to the reference vectors;
//!   [`paths`] builds the URLs exactly as they are signed (image names with `/` as `%2F`).
//! - [`NcpErrorDecoder`] turns the vendor's error bodies into reginv's error kinds.
//!
//! Vendor fields without a normalized home are kept in each row's `extra` map; epoch
//! milliseconds become UTC times, and 0 or `null` becomes `None`.

#![warn(missing_docs)]

mod config;
pub mod config_entry;
pub mod credentials;
mod errors;
mod normalize;
pub mod paths;
mod provider;
mod region;
pub mod signing;
mod wire;

pub use config::{NcpConfig, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
pub use config_entry::NcpFactory;
pub use errors::{kind_of_code, NcpErrorDecoder};
pub use provider::{operation, NcpProvider};
pub use region::{NcpRegion, GOV_ENDPOINT, PUBLIC_ENDPOINT};

/// Decodes and normalizes the body of one `GET /repositories/{registry}/{image}/tags` page with
/// the code [`NcpProvider`]'s tag listing runs on every page: the same wire structs
/// (`{count, next, previous, results}` of lenient tag entries) and the same per-entry
/// normalization (one [`Platform`](reginv_core::Platform) per `images[]` entry). Public for
/// the decoding benchmark (`cargo bench --bench inventory`, cargo feature `bench`), not a
/// stable API.
#[cfg(feature = "bench")]
#[doc(hidden)]
pub fn decode_tags_page(body: &[u8]) -> reginv_core::Result<Vec<reginv_core::Tag>> {
    let page: wire::WirePage<wire::WireTag> = serde_json::from_slice(body).map_err(|e| {
        reginv_core::Error::decode(format!(
            "the list_tags answer is not the JSON NCR documents: {e}"
        ))
    })?;
    page.results
        .into_iter()
        .map(|entry| normalize::tag(entry, None))
        .collect()
}
