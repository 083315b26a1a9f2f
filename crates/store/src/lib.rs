//! `reginv-store` keeps every inventory as a snapshot, in SQLite (one file, the default) or
//! PostgreSQL (cargo feature `postgres`, for teams and for many writers at once), and says what
//! changed between two.
//!
//! - [`Store`] opens a store from a [`StoreUrl`] (a path, `sqlite:PATH`, or
//!   `postgres://user@host:port/db?sslmode=…`) and applies the schema migrations it lacks
//!   ([`SCHEMA_VERSION`]); [`Store::begin_run`] starts a run whose [`SnapshotWriter`] takes the
//!   inventory's events as they stream in; [`Store::runs`] lists [`RunInfo`]s and
//!   [`Store::snapshot`] reads one back as a [`Snapshot`].
//! - [`Store::reuse_for`] gives an incremental run the tags of repositories whose listing
//!   fingerprint did not change ([`StoredTags`], a [`reginv::TagReuse`]).
//! - [`diff`] compares two inventories (stored, or `--format json` reports) into a
//!   [`diff::Diff`] of typed changes, never mistaking a failed listing for a removal.
//!
//! ```no_run
//! # async fn run(inventory: reginv::Inventory) -> reginv_store::Result<()> {
//! use futures::StreamExt;
//! use reginv_store::{RunPlan, Store};
//!
//! let store = Store::open_str("inventory.db").await?;
//! let mut writer = store.begin_run(&RunPlan::of(&inventory)).await?;
//! let mut events = inventory.stream();
//! let mut complete = true;
//! while let Some(event) = events.next().await {
//!     complete &= !matches!(event, reginv::InventoryEvent::Failure(_));
//!     writer.push(&event).await?;
//! }
//! let id = writer.finish(complete).await?;
//! println!("snapshot {id}");
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod backend;
pub mod diff;
mod error;
mod host;
mod read;
mod reuse;
mod run;
mod schema;
mod store;
mod url;
mod value;
mod writer;

pub use error::{Result, StoreError};
pub use read::Snapshot;
pub use reuse::StoredTags;
pub use run::{RunInfo, RunStatus};
pub use schema::SCHEMA_VERSION;
pub use store::{RunPlan, Store};
pub use url::{PostgresUrl, SslMode, StoreUrl};
pub use writer::SnapshotWriter;
