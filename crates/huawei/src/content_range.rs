//! The `Content-Range` header of SWR's paged listings: `{first}-{last}/{total}`.
//!
//! SWR documents the header as "offset – count / total", and no captured response pins down
//! whether the middle number is the last index or the count. reginv therefore derives paging
//! progress only from the **total** and from how many items actually arrived; `first` and `last`
//! are kept for diagnostics. The parser is tolerant: spaces anywhere, an optional unit word
//! (`items 0-99/250`), a `*` or missing range for an empty page (`*/0`, `/0`), and a `*` total
//! (unknown). Anything else is an [`ErrorKind::Decode`](reginv_core::ErrorKind::Decode) error,
//! never a panic.
//!
//! ```
//! use reginv_huawei::ContentRange;
//!
//! let range = ContentRange::parse("0-99/250").unwrap();
//! assert_eq!((range.first, range.last, range.total), (Some(0), Some(99), Some(250)));
//! assert_eq!(ContentRange::parse("*/0").unwrap().total, Some(0));
//! assert!(ContentRange::parse("lots").is_err());
//! ```

use std::fmt;

use reginv_core::Error;

/// A parsed `Content-Range` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ContentRange {
    /// The first number of the range (the offset), when a range was given.
    pub first: Option<u64>,
    /// The second number of the range (the last index or the count: SWR's convention is not
    /// pinned down), when a range was given.
    pub last: Option<u64>,
    /// The total number of items of the whole listing, when announced (`*` means unknown).
    pub total: Option<u64>,
}

impl ContentRange {
    /// Parses a `Content-Range` header value. Accepted shapes: `0-99/250`, ` 0 - 99 / 250 `,
    /// `items 0-99/250` (any unit word), `*/250`, `/250`, `0-99/*`, and `0-99` without a total.
    pub fn parse(value: &str) -> Result<ContentRange, Error> {
        let text = value.trim();
        if text.is_empty() {
            return Err(garbage(value, "it is empty"));
        }
        let text = strip_unit(text);
        let (range, total) = match text.split_once('/') {
            Some((range, total)) => (range.trim(), Some(total.trim())),
            None => (text.trim(), None),
        };
        let total = match total {
            None | Some("*") => None,
            Some(t) => Some(number(t).ok_or_else(|| garbage(value, "the total is not a number"))?),
        };
        let (first, last) = if range.is_empty() || range == "*" {
            (None, None)
        } else {
            let (a, b) = range
                .split_once('-')
                .ok_or_else(|| garbage(value, "the range is not first-last"))?;
            let first =
                number(a).ok_or_else(|| garbage(value, "the range start is not a number"))?;
            let last = number(b).ok_or_else(|| garbage(value, "the range end is not a number"))?;
            (Some(first), Some(last))
        };
        if first.is_none() && total.is_none() {
            return Err(garbage(value, "it has neither a range nor a total"));
        }
        Ok(ContentRange { first, last, total })
    }
}

impl fmt::Display for ContentRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.first, self.last) {
            (Some(a), Some(b)) => write!(f, "{a}-{b}")?,
            _ => f.write_str("*")?,
        }
        match self.total {
            Some(t) => write!(f, "/{t}"),
            None => f.write_str("/*"),
        }
    }
}

/// Drops a leading unit word (`items`, `bytes`) followed by whitespace.
fn strip_unit(text: &str) -> &str {
    match text.split_once(char::is_whitespace) {
        Some((word, rest)) if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphabetic()) => {
            rest.trim_start()
        }
        _ => text,
    }
}

fn number(text: &str) -> Option<u64> {
    let t = text.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

fn garbage(value: &str, why: &str) -> Error {
    let shown: String = value.chars().take(80).collect();
    Error::decode(format!(
        "cannot read Content-Range {shown:?}: {why} (expected first-last/total)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reginv_core::ErrorKind;

    fn cr(first: Option<u64>, last: Option<u64>, total: Option<u64>) -> ContentRange {
        ContentRange { first, last, total }
    }

    #[test]
    fn parses_every_documented_and_tolerated_shape() {
        let cases = [
            ("0-99/250", cr(Some(0), Some(99), Some(250))),
            (" 0 - 99 / 250 ", cr(Some(0), Some(99), Some(250))),
            ("items 0-99/250", cr(Some(0), Some(99), Some(250))),
            ("bytes 100-100/250", cr(Some(100), Some(100), Some(250))),
            ("*/250", cr(None, None, Some(250))),
            ("/250", cr(None, None, Some(250))),
            ("*/0", cr(None, None, Some(0))),
            ("/0", cr(None, None, Some(0))),
            (" / 0 ", cr(None, None, Some(0))),
            ("items */0", cr(None, None, Some(0))),
            ("0-99/*", cr(Some(0), Some(99), None)),
            ("0-99", cr(Some(0), Some(99), None)),
            ("0-0/1", cr(Some(0), Some(0), Some(1))),
            ("\t200-249/250\r\n", cr(Some(200), Some(249), Some(250))),
        ];
        for (text, want) in cases {
            assert_eq!(ContentRange::parse(text).unwrap(), want, "{text:?}");
        }
    }

    #[test]
    fn garbage_is_a_decode_error_never_a_panic() {
        let garbage = [
            "",
            "   ",
            "lots",
            "/",
            "*",
            "*/*",
            "0-99/abc",
            "0-99/-5",
            "-1-99/250",
            "a-b/250",
            "0-/250",
            "-/250",
            "0 99/250",
            "0-99/250/3",
            "0-99-100/250",
            "99999999999999999999999-1/2",
            "0-99/99999999999999999999999",
            "items",
            "items /",
            "0x10-0x20/0x30",
            "\u{1F600}-1/2",
            "1.5-2/3",
        ];
        for text in garbage {
            let err = ContentRange::parse(text).expect_err(text);
            assert_eq!(err.kind(), ErrorKind::Decode, "{text:?}");
            assert!(err.to_string().contains("Content-Range"), "{err}");
        }
    }

    #[test]
    fn never_panics_on_arbitrary_bytes() {
        let mut rng = fastrand_like(7);
        let alphabet: Vec<char> = "0123456789-/* itemsé\t".chars().collect();
        for _ in 0..5000 {
            let len = (rng() % 12) as usize;
            let s: String = (0..len)
                .map(|_| alphabet[(rng() as usize) % alphabet.len()])
                .collect();
            let _ = ContentRange::parse(&s);
        }
    }

    /// A tiny deterministic generator (xorshift), so this test needs no extra dependency.
    fn fastrand_like(seed: u64) -> impl FnMut() -> u64 {
        let mut x = seed;
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    #[test]
    fn displays_in_header_form() {
        assert_eq!(
            ContentRange::parse("0-99/250").unwrap().to_string(),
            "0-99/250"
        );
        assert_eq!(ContentRange::parse("*/0").unwrap().to_string(), "*/0");
    }
}
