//! `reginv-audit`: hygiene and exposure rules over reginv's normalized inventory, the same on
//! every provider.
//!
//! Each built-in [`Rule`] has a stable id, a default [`Severity`], a title, a description and
//! the data it [`Needs`]. An [`Audit`] runs the selected rules over an
//! [`InventoryReport`](reginv::InventoryReport) (or an [`AuditInput`]) and returns an
//! [`AuditDocument`]: per rule, the sources it was evaluated on and those it was *not*
//! evaluated on with the reason; the [`Finding`]s, suppressed ones marked (never dropped);
//! and a [`Summary`].
//!
//! A rule never branches on the provider kind. Whether a source reports the data a rule needs
//! is decided from its rows: a field that is `None` on every row of a source means the source
//! does not report it, and the rule is *not evaluated* there (never a pass, never a finding).
//! A source with no rows of the kind a rule reads is evaluated (there is nothing to find);
//! a row whose field is `None` in a source that reports it elsewhere is skipped.
//!
//! ```
//! use reginv_audit::{render, Audit, AuditConfig, FailOn};
//!
//! # let report: reginv::InventoryReport = serde_json::from_str(
//! #     r#"{"schema_version":1,"generated_at":"2026-01-01T00:00:00Z","complete":true,
//! #         "sources":[],"repositories":[],"errors":[]}"#).unwrap();
//! let audit = Audit::new(AuditConfig::new()).unwrap();
//! let document = audit.run(&report);
//! let mut sarif = Vec::new();
//! render::write_sarif(&document, &mut sarif).unwrap();
//! let status = document.exit_code(FailOn::default(), report.complete);
//! assert_eq!(status, 0);
//! ```
//!
//! # Map
//! - [`rules`]: the built-in rules ([`RULES`]), selection, and what an inventory must list for
//!   them ([`Requirements`]).
//! - [`AuditConfig`]: thresholds, severity overrides, rule selection and [`Suppression`]s, read
//!   from `[audit]` of `reginv.toml` ([`AuditConfig::from_toml`]).
//! - [`Audit`]: the engine; [`AuditDocument`]: its output (the `json` format).
//! - [`render`]: the `table`, `json`, `sarif` (2.1.0) and `csv` formats.

#![warn(missing_docs)]

mod checks;
mod config;
mod document;
mod engine;
mod error;
mod input;
pub mod render;
pub mod rules;
mod severity;
mod suppress;

pub use config::{AuditConfig, DEFAULT_MAX_IMAGE_BYTES, DEFAULT_MAX_TAGS, DEFAULT_STALE_DAYS};
pub use document::{
    AuditDocument, Finding, NotEvaluated, RuleReport, SeverityCounts, Summary, AUDIT_SCHEMA_VERSION,
};
pub use engine::Audit;
pub use error::AuditError;
pub use input::AuditInput;
pub use rules::{Needs, Requirements, Rule, Scope, RULES};
pub use severity::{FailOn, Severity};
pub use suppress::Suppression;
