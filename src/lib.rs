//! `reginv` inventories container registries across clouds: every registry, repository and
//! tag that your accounts can see on NAVER Cloud Platform's Container Registry (NCR) and Huawei
//! Cloud SWR, merged into one report.
//!
//! ```no_run
//! use std::sync::Arc;
//! use reginv::ncp::{NcpConfig, NcpProvider, NcpRegion};
//! use reginv::huawei::{HuaweiConfig, HuaweiProvider};
//! use reginv::{Filter, Inventory, InventoryOptions, RegistryProvider, TagDepth};
//!
//! # async fn run() -> reginv::Result<()> {
//! // Keys come from the vendors' environment variables or config files.
//! let providers: Vec<Arc<dyn RegistryProvider>> = vec![
//!     Arc::new(NcpProvider::new(NcpConfig::new("ncp-kr", NcpRegion::Kr))?),
//!     Arc::new(HuaweiProvider::new(HuaweiConfig::new("swr-ap", "ap-southeast-1"))?),
//! ];
//! let inventory = Inventory::new(providers).with_options(
//!     InventoryOptions::new()
//!         .with_depth(TagDepth::Full)
//!         .with_filter(Filter::all().with_repository_glob("*backend*")),
//! )?;
//! let report = inventory.collect().await;
//! for repo in &report.repositories {
//!     let tags = repo.tags.as_ref().map_or(0, Vec::len);
//!     println!("{} {} {} ({tags} tags)", repo.source, repo.provider, repo.full_name);
//! }
//! for failure in &report.errors {
//!     eprintln!("{failure}");
//! }
//! std::process::exit(report.exit_code());
//! # }
//! ```
//!
//! # Map
//!
//! - [`Inventory`] lists many [`RegistryProvider`]s concurrently under a global and a
//!   per-source limit on requests in flight, streams [`InventoryEvent`]s as they arrive
//!   ([`Inventory::stream`]) or collects an [`InventoryReport`] in deterministic order
//!   ([`Inventory::collect`], built by the one [`ReportBuilder`]; its [`Outcome`] is complete,
//!   partial or nothing listed). [`InventoryOptions`] sets the [`TagDepth`], the limits and the
//!   [`Filter`]. Failures are data: each is a [`Failure`], and each source ends with a
//!   [`SourceSummary`] whose [`SourceStatus`] is `ok`, `partial` or `failed`.
//!   [`Inventory::progress`] hands out live per-source counters of a run
//!   ([`InventoryProgress`]: the repositories the first listing pages announced, listed and
//!   done, the tags) for progress displays.
//! - [`Config`] reads the TOML configuration ([`ProviderConfig`] per source) or builds sources
//!   from the vendors' environment variables ([`Config::from_env`]); [`Environment`] says where
//!   variables and the home directory are read from. Each entry is checked and built by the
//!   [`ProviderFactory`] of its kind, from the [`ProviderFactories`] table (the built-in
//!   backends, plus any kind an embedder registers).
//! - Everything of [`reginv_core`] is re-exported at the root ([`Repository`], [`Tag`],
//!   [`Error`], [`RegistryProvider`], [`Page`], …) and as [`core`].
//! - [`ncp`] (cargo feature `ncp`, default) is the NCR backend, [`reginv_ncp`]; [`huawei`]
//!   (feature `huawei`, default) is the SWR backend, [`reginv_huawei`]; [`oci`] (feature `oci`,
//!   default) is the backend of any OCI Distribution registry, [`reginv_oci`].

#![warn(missing_docs)]

pub use reginv_core as core;
pub use reginv_core::*;

mod adaptive;
pub mod config;
mod factory_table;
mod failure;
mod filter;
mod inventory;
mod limiter;
mod progress;
mod recent;
mod report;
mod report_builder;
mod reuse;

pub use config::{Config, ProviderConfig};
pub use factory_table::*;
pub use failure::Failure;
pub use filter::Filter;
pub use inventory::{Inventory, InventoryOptions, TagDepth};
pub use progress::{InventoryProgress, SourceProgress};
pub use report::{InventoryEvent, InventoryReport, SourceStatus, SourceSummary, SCHEMA_VERSION};
pub use report_builder::{Outcome, ReportBuilder};
pub use reuse::TagReuse;
