//! # reginv-oci
//!
//! The reginv backend for any registry that speaks the OCI Distribution API: the CNCF
//! Distribution server (`registry:2`), Harbor, GitLab, Zot, Quay and the cloud registries that
//! implement it. It lists repositories from `GET /v2/_catalog`, tags from
//! `GET /v2/<name>/tags/list` (both paged by `Link: <…>; rel="next"` headers, followed through the
//! core's token cursor), and tag details from the manifests.
//!
//! - [`OciProvider`] implements [`reginv_core::RegistryProvider`]. Registries are one per
//!   endpoint (named by its `host[:port]`), or one per first path segment
//!   ([`Grouping::FirstSegment`]). Full tag details: the manifest (`Accept` with the OCI and
//!   Docker media types), its digest (`Docker-Content-Digest`, checked against the bytes, or
//!   computed), size (config + layers), media type and whether it is an index; an index or
//!   manifest list yields its platforms (os, architecture, variant, digest, and the size from
//!   each platform's manifest, fetched a few at a time); with [`OciConfig::details`], the
//!   creation time from the image configuration.
//! - [`auth`]: anonymous, HTTP Basic and the token flow (`WWW-Authenticate: Bearer`), tokens
//!   cached per scope; [`docker_config`] reads `~/.docker/config.json`.
//! - [`OciErrorDecoder`] maps the `{"errors": [...]}` bodies to reginv's error kinds. A registry
//!   that refuses the catalog (Docker Hub, many cloud registries) gets [`CATALOG_REFUSED`]: list
//!   its repositories in [`OciConfig::repositories`].

#![warn(missing_docs)]

pub mod auth;
mod config;
pub mod config_entry;
pub mod docker_config;
mod errors;
mod link;
pub mod manifest;
pub mod names;
mod provider;
mod wire;

pub use auth::OciCredentials;
pub use config::{Grouping, OciConfig, DEFAULT_DETAIL_CONCURRENCY, DEFAULT_PAGE_SIZE};
pub use config_entry::OciFactory;
pub use errors::{kind_of_code, OciErrorDecoder};
pub use provider::{registry_host, OciProvider, CATALOG_REFUSED};
