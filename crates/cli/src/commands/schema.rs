//! `reginv schema DOCUMENT`: the JSON Schema (draft 2020-12) of each machine-readable output,
//! generated from the Rust types that produce it (schemars), so it cannot drift from the
//! output. The committed copies under `docs/schema/` are checked against these by a test.

use std::io::{self, Write};

use reginv::{InventoryEvent, InventoryReport};
use reginv_audit::AuditDocument;
use reginv_store::diff::{Diff, DiffLine};
use schemars::JsonSchema;
use serde::Serialize;

use crate::cli::SchemaDocument;
use crate::error::CliError;
use crate::output::ndjson::Summary;

/// One line of `--format ndjson`: an event as it arrives, or the summary that ends the stream.
#[derive(Serialize, JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)] // Only its schema is used.
enum EventLine {
    /// A repository, an error, or a source's summary.
    Event(InventoryEvent),
    /// The last line.
    Summary(Summary),
}

/// What `reginv diff` writes: the document (`--format json`), or one of its NDJSON lines.
#[derive(Serialize, JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)] // Only its schema is used.
#[allow(clippy::large_enum_variant)] // Never built.
enum DiffOutput<'a> {
    /// The whole document.
    Document(Diff),
    /// One line of `--format ndjson`: a change, a source, or the summary.
    Line(DiffLine<'a>),
}

#[cfg(test)]
impl SchemaDocument {
    /// The file name of the committed copy under `docs/schema/`.
    pub fn file_name(self) -> String {
        format!("{}.json", self.name())
    }

    /// The name `reginv schema` takes.
    pub fn name(self) -> &'static str {
        match self {
            SchemaDocument::Report => "report",
            SchemaDocument::Events => "events",
            SchemaDocument::Diff => "diff",
            SchemaDocument::Audit => "audit",
        }
    }

    /// Every document, in the order `reginv schema --help` lists them.
    pub fn all() -> [SchemaDocument; 4] {
        [
            SchemaDocument::Report,
            SchemaDocument::Events,
            SchemaDocument::Diff,
            SchemaDocument::Audit,
        ]
    }
}

/// The schema of `document`, as pretty-printed JSON with a trailing newline.
pub fn render(document: SchemaDocument) -> String {
    let (mut schema, title, description) = match document {
        SchemaDocument::Report => (
            schemars::schema_for!(InventoryReport),
            "reginv inventory report",
            "The document `reginv inventory --format json` writes (schema_version 1).",
        ),
        SchemaDocument::Events => (
            schemars::schema_for!(EventLine),
            "reginv inventory event",
            "One line of `reginv inventory --format ndjson`: a repository, an error, a source's \
             summary, or the final summary line.",
        ),
        SchemaDocument::Diff => (
            schemars::schema_for!(DiffOutput),
            "reginv diff",
            "What `reginv diff` writes: the document of `--format json` (schema_version 1), or \
             one line of `--format ndjson` (a change, a source, or the final summary line, each \
             with its `type`).",
        ),
        SchemaDocument::Audit => (
            schemars::schema_for!(AuditDocument),
            "reginv audit",
            "The document `reginv audit --format json` writes (schema_version 1).",
        ),
    };
    schema.insert("title".into(), title.into());
    schema.insert("description".into(), description.into());
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// Prints the schema of `document` on stdout.
pub fn print(document: SchemaDocument) -> Result<i32, CliError> {
    let mut stdout = io::stdout().lock();
    stdout
        .write_all(render(document).as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| CliError::write("stdout", &e))?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_schemas_are_the_generated_ones() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/schema");
        for document in SchemaDocument::all() {
            let path = dir.join(document.file_name());
            let committed = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(
                committed == render(document),
                "docs/schema/{} drifted from the types that produce the output: regenerate it \
                 with `cargo run -p reginv-cli -- schema {} > docs/schema/{}` and review the \
                 change (bump schema_version if it is incompatible)",
                document.file_name(),
                document.name(),
                document.file_name()
            );
        }
    }
}
