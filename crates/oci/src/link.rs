//! The `Link: <…>; rel="next"` header of paged listings.

use reginv_core::http::Url;
use reginv_core::{Error, Result};

use crate::errors::printable;

/// The target of the `rel="next"` link among `Link` header values, if any.
pub(crate) fn next_link<'a>(values: impl Iterator<Item = &'a str>) -> Option<String> {
    for value in values {
        for link in split_links(value) {
            let link = link.trim();
            let Some(rest) = link.strip_prefix('<') else {
                continue;
            };
            let Some((target, params)) = rest.split_once('>') else {
                continue;
            };
            let is_next = params.split(';').any(|p| {
                let p = p.trim();
                let Some((k, v)) = p.split_once('=') else {
                    return false;
                };
                k.trim().eq_ignore_ascii_case("rel")
                    && v.trim()
                        .trim_matches('"')
                        .split_whitespace()
                        .any(|r| r.eq_ignore_ascii_case("next"))
            });
            if is_next {
                return Some(target.trim().to_string());
            }
        }
    }
    None
}

/// Splits a header value into links at commas outside `<…>` and quotes.
fn split_links(value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut in_angle, mut in_quote) = (0, false, false);
    for (i, c) in value.char_indices() {
        match c {
            '<' if !in_quote => in_angle = true,
            '>' if !in_quote => in_angle = false,
            '"' if !in_angle => in_quote = !in_quote,
            ',' if !in_angle && !in_quote => {
                out.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&value[start..]);
    out
}

/// The URL a link (relative or absolute) points at, refused when it leaves the registry's
/// origin: credentials never follow a link to another host.
pub(crate) fn resolve(base: &Url, link: &str) -> Result<Url> {
    let url = base.join(link).map_err(|_| {
        Error::protocol(format!(
            "the next-page link {:?} is not a URL",
            printable(link)
        ))
    })?;
    if url.origin() != base.origin() {
        return Err(Error::protocol(format!(
            "the next-page link leads to another origin ({}); refusing to follow it",
            printable(&url.origin().ascii_serialization())
        )));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_next_link_among_others() {
        let v = r#"</v2/_catalog?last=b&n=2>; rel="next""#;
        assert_eq!(
            next_link([v].into_iter()).as_deref(),
            Some("/v2/_catalog?last=b&n=2")
        );
        let v = r#"<https://r/v2/x?a=1,2>; rel="prev", <https://r/v2/y>; rel="next""#;
        assert_eq!(
            next_link([v].into_iter()).as_deref(),
            Some("https://r/v2/y")
        );
        assert_eq!(next_link([r#"</a>; rel="prev""#].into_iter()), None);
        assert_eq!(next_link(["garbage"].into_iter()), None);
    }

    #[test]
    fn links_stay_on_the_registry_origin() {
        let base = Url::parse("https://reg.example/").unwrap();
        assert_eq!(
            resolve(&base, "/v2/_catalog?last=a").unwrap().as_str(),
            "https://reg.example/v2/_catalog?last=a"
        );
        assert!(resolve(&base, "https://evil.example/v2/_catalog").is_err());
        assert!(resolve(&base, "http://reg.example/v2/_catalog").is_err());
    }
}
