//! Writing an [`AuditDocument`] in each output format: `table` for
//! people, `json` (the document itself), `sarif` (SARIF 2.1.0, for code-scanning dashboards)
//! and `csv` (one row per finding, spreadsheet-safe).

mod csv;
mod sarif;
mod table;
mod text;

use std::io::{self, Write};

use crate::document::AuditDocument;

pub use self::csv::{write_csv, CSV_HEADER};
pub use self::sarif::{to_sarif, write_sarif, SARIF_SCHEMA};
pub use self::table::write_table;

/// Writes the document as pretty-printed JSON, with a final newline.
pub fn write_json(document: &AuditDocument, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, document)?;
    writeln!(out)
}
