//! Data embedded in the page as JSON inside `<script type="application/json">`.
//!
//! Names and descriptions are user data. Inside a script element the HTML parser ends the
//! element at the first `</script` and treats `<!--` specially, whatever JSON quoting says, so
//! every `<`, `>` and `&` in the JSON text is written as a `\u` escape (JSON reads it back
//! unchanged); U+2028 and U+2029, legal in JSON but line breaks in older JavaScript, are
//! escaped too. The result holds no character that can end or change the element.

use serde::Serialize;

/// `value` as JSON text safe to place between `<script type="application/json">` and
/// `</script>`.
pub fn script_json(value: &impl Serialize) -> serde_json::Result<String> {
    let json = serde_json::to_string(value)?;
    let mut out = String::with_capacity(json.len() + json.len() / 64);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_can_close_or_comment_the_script_element() {
        let hostile = "a</script><script>alert(1)</script><!-- \u{2028}\u{2029} & <b>";
        let text = script_json(&serde_json::json!({ "description": hostile })).unwrap();
        for bad in ["<", ">", "&", "\u{2028}", "\u{2029}"] {
            assert!(!text.contains(bad), "{bad:?} left in {text}");
        }
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["description"], hostile);
    }
}
