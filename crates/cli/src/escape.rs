//! Making text from a server safe for a terminal and a spreadsheet.
//!
//! Names, descriptions and error messages come from servers reginv does not control. On a
//! terminal an ESC or BEL sequence could recolour the screen, retitle the window or forge a
//! `reginv:` line; in a spreadsheet a cell beginning with `=` runs as a formula. JSON and NDJSON
//! stay byte-faithful (serde escapes control characters there); everything else goes through
//! here.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal raw: C0 controls (tab and newline included: a table
/// cell or a one-line message has no business with them), DEL, C1 controls, and the Unicode
/// bidirectional overrides and isolates that reorder what is displayed.
fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every unsafe character written as a visible escape (`\x1b`, `\x07`, `\u{9b}`,
/// `\n`, `\t`); borrowed unchanged when there is none.
pub fn terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) && (c as u32) < 0x80 => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if is_unsafe(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// [`terminal`] for a multi-line message (reginv's own help texts have several lines): each
/// line escaped, the line breaks kept, and every line after the first indented when it is not
/// already, so no line of a message can pass for a `reginv:` line of its own.
pub fn terminal_lines(text: &str) -> String {
    text.split('\n')
        .enumerate()
        .map(|(i, line)| {
            let line = terminal(line);
            if i == 0 || line.is_empty() || line.starts_with(' ') {
                line.into_owned()
            } else {
                format!("  {line}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The characters that make a spreadsheet read a cell as a formula (OWASP's list: `=`, `+`,
/// `-`, `@`, tab and carriage return).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A CSV cell that no spreadsheet runs as a formula: a cell beginning with `=`, `+`, `-`, `@`,
/// tab or carriage return gets a leading `'` (OWASP's advice); others are unchanged.
pub fn csv_cell(cell: String) -> String {
    if cell.starts_with(FORMULA_STARTS) {
        format!("'{cell}")
    } else {
        cell
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_visible_escapes() {
        assert_eq!(terminal("team/app"), "team/app");
        assert!(matches!(terminal("plain"), Cow::Borrowed(_)));
        assert_eq!(
            terminal("\u{1b}[31mred\u{7}"),
            "\\x1b[31mred\\x07",
            "ESC and BEL"
        );
        assert_eq!(terminal("a\nreginv: forged"), "a\\nreginv: forged");
        assert_eq!(terminal("\u{9b}31m"), "\\u{9b}31m", "C1 CSI");
        assert_eq!(terminal("\u{7f}"), "\\x7f");
        assert_eq!(
            terminal("abc\u{202e}cba"),
            "abc\\u{202e}cba",
            "bidi override"
        );
        assert_eq!(terminal("é ü 日本"), "é ü 日本", "printable text stays");
        assert_eq!(terminal_lines("one\u{1b}\ntwo"), "one\\x1b\n  two");
        assert_eq!(
            terminal_lines("a\n  b\n\nreginv: c"),
            "a\n  b\n\n  reginv: c"
        );
    }

    #[test]
    fn formula_prefixes_are_neutralised() {
        for cell in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(csv_cell(cell.to_string()), format!("'{cell}"));
        }
        for cell in ["", "team/app", "1.2", "2024-01-01T00:00:00Z", "a=b"] {
            assert_eq!(csv_cell(cell.to_string()), cell);
        }
    }
}
