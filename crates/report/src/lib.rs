//! `reginv-report`: one self-contained HTML page of an inventory, for people.
//!
//! [`render`] turns an [`InventoryReport`](reginv::InventoryReport) into a single HTML file
//! that opens from disk or a mail attachment with no network at all: headline figures, inline
//! SVG charts, the audit and the changes since the previous snapshot (when the caller supplies
//! them as [`Section`]s), a sortable, filterable table of every repository rendered a page at a
//! time by a small script embedded in the file, and the failures, so a partial inventory
//! cannot pass for a complete one.
//!
//! The page is filled by minijinja with HTML auto-escaping; the table's data is embedded as
//! JSON with every character that could close a `<script>` escaped (see [`script_json`]); a
//! `Content-Security-Policy` forbids every fetch and admits only the page's own script and
//! style, by hash.
//!
//! ```
//! use reginv::InventoryReport;
//! use reginv_report::{render, Page};
//!
//! let report = InventoryReport::new(vec![], vec![], vec![]);
//! let html = render(&Page::new(&report, "Registries")).unwrap();
//! assert!(html.starts_with("<!DOCTYPE html>"));
//! ```
#![warn(missing_docs)]

mod charts;
mod data;
mod embed;
pub mod figures;
mod format;
mod page;
pub mod sections;

pub use charts::{Bar, BarChart};
pub use embed::script_json;
pub use figures::Figures;
pub use page::{content_security_policy, render, Page, LIST_LIMIT};
pub use sections::{Audit, AuditFinding, Change, Changes, NotEvaluated, Section};

/// Why a page could not be rendered (a bug in the template or data that cannot be encoded;
/// never the inventory's content).
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The template failed.
    #[error("cannot render the report page: {0}")]
    Template(#[from] minijinja::Error),
    /// The data could not be encoded as JSON.
    #[error("cannot encode the report's data: {0}")]
    Json(#[from] serde_json::Error),
}
