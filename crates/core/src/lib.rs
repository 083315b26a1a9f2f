//! # reginv-core
//!
//! The contract every reginv registry backend implements, and the plumbing they share.
//!
//! - [`model`]: the normalized [`Source`], [`Registry`], [`Repository`], [`Tag`] and [`Platform`]
//!   rows that every provider maps its vendor's JSON into, with provenance and an `extra` map so
//!   nothing a provider returned is lost.
//! - [`provider`]: the [`RegistryProvider`] trait (one *page* at a time) and the
//!   [`RegistryProviderExt`] extension trait that turns pages into lazy streams.
//! - [`paging`]: [`Page`], [`Cursor`] and [`paginate`], the one place where page loops live, with
//!   guards against servers that loop or over-deliver.
//! - [`error`]: the one [`Error`] enum with semantic kinds and context.
//! - [`retry`]: [`RetryPolicy`], exponential backoff with full jitter that honours `Retry-After`.
//! - [`credentials`]: [`AccessKeyPair`] and [`SecretString`], which never print their secret.
//! - [`http`]: [`HttpClient`], the signed, retrying, counted HTTP client the backends share.
//! - [`client_options`]: [`ClientOptions`] and [`ProviderCore`], what every HTTP backend's
//!   configuration and provider repeat, written once.
//! - [`config_entry`]: [`ConfigEntry`], one configured source as a key → value table with
//!   positions, which each backend reads its own keys from; [`environment`]: [`Environment`],
//!   the only place variables and the home directory are read from; [`factory`]:
//!   [`ProviderFactory`], how a backend is built from an entry or the environment.
//!
//! ```
//! use reginv_core::{ProviderKind, Repository, Source};
//!
//! let source = Source::new("ncp-kr", ProviderKind::NCP, "kr", "https://ncr.apigw.ntruss.com");
//! let repo = Repository::new(&source, "my-reg", "team/app");
//! assert_eq!(repo.full_name, "my-reg/team/app");
//! assert_eq!(repo.source, "ncp-kr");
//! ```

#![warn(missing_docs)]

pub mod client_options;
pub mod config_entry;
pub mod credentials;
pub mod environment;
pub mod error;
pub mod factory;
pub mod http;
pub mod model;
pub mod paging;
pub mod provider;
pub mod retry;

pub use client_options::{ClientOptions, PageLimits, ProviderCore, CLIENT_KEYS};
pub use config_entry::{
    ConfigEntry, ConfigValue, EntryLocation, Position, ACCESS_KEY_KEYS, ENTRY_KEYS,
};
pub use credentials::{AccessKeyPair, SecretString};
pub use environment::Environment;
pub use error::{Error, ErrorContext, ErrorKind, Result};
pub use factory::{BackendConfig, BackendFactory, ProviderFactory};
pub use http::{
    ErrorDecoder, HttpClient, HttpClientConfig, HttpRequest, HttpResponse, HttpStats,
    HttpStatsSnapshot, RequestSigner, SignableRequest,
};
pub use model::{Extra, Platform, ProviderKind, Registry, Repository, Source, Tag};
pub use paging::{paginate, Cursor, Page, PageSize, PagingOptions};
pub use provider::{
    repository_paging_options, Capabilities, RegistryProvider, RegistryProviderExt,
    RepositoryQuery, RepositoryRef,
};
pub use retry::{with_retry_wait_hook, RetryBudget, RetryPolicy, RetryWaitHook};
