//! Making data from a server safe to show: terminal control characters escaped, spreadsheet
//! formulas neutralised.

/// `text` with every control character (ESC, CR, BEL, …) written as a `\u{…}` escape, so a
/// name from a server can never move the cursor, recolour or retitle a terminal.
pub(crate) fn terminal_safe(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// `cell` made inert for spreadsheets: a cell that begins with `=`, `+`, `-`, `@`, a tab or a
/// carriage return (which a spreadsheet would run as a formula) gets a leading `'`.
pub(crate) fn spreadsheet_safe(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(terminal_safe("plain/name:1.0"), "plain/name:1.0");
        assert_eq!(terminal_safe("a\u{1b}[31mb\r"), "a\\u{1b}[31mb\\u{d}");
    }

    #[test]
    fn formula_cells_are_neutralised() {
        for cell in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(spreadsheet_safe(cell), format!("'{cell}"));
        }
        assert_eq!(spreadsheet_safe("app"), "app");
        assert_eq!(spreadsheet_safe(""), "");
    }
}
