//! The `table` format, for people: findings grouped by severity and rule with counts, then
//! the suppressed findings with their reasons, then the rules not evaluated and why.
//! Everything that came from a server is escaped for the terminal.

use std::io::{self, Write};

use crate::document::{AuditDocument, Finding};
use crate::render::text::terminal_safe;
use crate::severity::Severity;

/// Writes the document as a readable report.
pub fn write_table(document: &AuditDocument, out: &mut dyn Write) -> io::Result<()> {
    let counts = &document.summary.by_severity;
    let by_severity: Vec<String> = Severity::ALL
        .iter()
        .filter(|s| counts.get(**s) > 0)
        .map(|s| format!("{} {s}", counts.get(*s)))
        .collect();
    write!(
        out,
        "Audit as of {}: {} finding{}",
        document.as_of.format("%Y-%m-%d %H:%M UTC"),
        counts.total(),
        if counts.total() == 1 { "" } else { "s" }
    )?;
    if !by_severity.is_empty() {
        write!(out, " ({})", by_severity.join(", "))?;
    }
    writeln!(out, ", {} suppressed", document.summary.suppressed)?;

    for severity in Severity::ALL {
        let in_severity: Vec<&Finding> = document
            .findings
            .iter()
            .filter(|f| !f.suppressed && f.severity == severity)
            .collect();
        if in_severity.is_empty() {
            continue;
        }
        writeln!(
            out,
            "\n{} ({})",
            severity.as_str().to_uppercase(),
            in_severity.len()
        )?;
        for rule in &document.rules {
            let of_rule: Vec<&&Finding> =
                in_severity.iter().filter(|f| f.rule == rule.id).collect();
            if of_rule.is_empty() {
                continue;
            }
            writeln!(out, "  {} ({}): {}", rule.id, of_rule.len(), rule.title)?;
            let width = of_rule
                .iter()
                .map(|f| terminal_safe(&f.target()).chars().count())
                .max()
                .unwrap_or(0);
            for f in of_rule {
                writeln!(
                    out,
                    "    {:<width$}  {}",
                    terminal_safe(&f.target()),
                    terminal_safe(&f.message)
                )?;
            }
        }
    }

    let suppressed: Vec<&Finding> = document.findings.iter().filter(|f| f.suppressed).collect();
    if !suppressed.is_empty() {
        writeln!(out, "\nSuppressed ({})", suppressed.len())?;
        for f in suppressed {
            writeln!(
                out,
                "  {} {} {}: {} (reason: {})",
                f.severity,
                f.rule,
                terminal_safe(&f.target()),
                terminal_safe(&f.message),
                terminal_safe(f.suppression_reason.as_deref().unwrap_or("-"))
            )?;
        }
    }

    let not_evaluated: Vec<_> = document
        .rules
        .iter()
        .flat_map(|r| r.not_evaluated.iter().map(move |n| (r, n)))
        .collect();
    if !not_evaluated.is_empty() {
        writeln!(out, "\nNot evaluated ({})", not_evaluated.len())?;
        for (rule, n) in not_evaluated {
            writeln!(
                out,
                "  {} on {}: {}",
                rule.id,
                terminal_safe(&n.source),
                terminal_safe(&n.reason)
            )?;
        }
    }

    let clean: Vec<&str> = document
        .rules
        .iter()
        .filter(|r| {
            !r.evaluated_sources.is_empty()
                && document.summary.by_rule.get(&r.id).copied().unwrap_or(0) == 0
        })
        .map(|r| r.id.as_str())
        .collect();
    if !clean.is_empty() {
        writeln!(out, "\nNo unsuppressed finding: {}", clean.join(", "))?;
    }
    Ok(())
}
