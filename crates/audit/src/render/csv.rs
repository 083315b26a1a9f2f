//! The `csv` format: a header row, then one row per finding (suppressed ones included, marked).
//!
//! Cells beginning with `=`, `+`, `-`, `@` (or a tab or carriage return) are prefixed with `'`
//! so a spreadsheet never runs a name from a server as a formula.

use std::io::{self, Write};

use crate::document::AuditDocument;
use crate::render::text::spreadsheet_safe;

/// The header row.
pub const CSV_HEADER: [&str; 14] = [
    "rule",
    "severity",
    "source",
    "provider",
    "region",
    "registry",
    "repository",
    "tag",
    "target",
    "message",
    "suppressed",
    "suppression_reason",
    "evidence",
    "as_of",
];

/// Writes the findings as CSV.
pub fn write_csv(document: &AuditDocument, out: &mut dyn Write) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(CSV_HEADER)?;
    let as_of = document
        .as_of
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    for f in &document.findings {
        let evidence = serde_json::Value::Object(f.evidence.clone()).to_string();
        let row = [
            f.rule.as_str(),
            f.severity.as_str(),
            &f.source,
            f.provider.as_str(),
            &f.region,
            f.registry.as_deref().unwrap_or(""),
            f.repository.as_deref().unwrap_or(""),
            f.tag.as_deref().unwrap_or(""),
            &f.target(),
            &f.message,
            if f.suppressed { "true" } else { "false" },
            f.suppression_reason.as_deref().unwrap_or(""),
            &evidence,
            &as_of,
        ];
        writer.write_record(row.iter().map(|cell| spreadsheet_safe(cell)))?;
    }
    writer.flush()
}
