//! The OCI grammar of repository names, tags and digests, checked before a name from a server
//! or a configuration is put into a URL path.

/// Whether `name` is a repository name: `/`-separated components of `[a-z0-9]` runs joined by
/// `.`, `_`, `__` or `-`s (checked loosely: lower-case alphanumerics and `._-`, each component
/// starting and ending with an alphanumeric).
pub fn is_repository_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name.split('/').all(|part| {
            let bytes = part.as_bytes();
            !bytes.is_empty()
                && bytes[0].is_ascii_alphanumeric()
                && bytes[bytes.len() - 1].is_ascii_alphanumeric()
                && bytes.iter().all(|b| {
                    b.is_ascii_digit() || b.is_ascii_lowercase() || matches!(b, b'.' | b'_' | b'-')
                })
        })
}

/// Whether `tag` is a tag: `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
pub fn is_tag(tag: &str) -> bool {
    let bytes = tag.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 128
        && (bytes[0].is_ascii_alphanumeric() || bytes[0] == b'_')
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Whether `digest` is `algorithm:encoded` as the OCI grammar allows.
pub fn is_digest(digest: &str) -> bool {
    let Some((algorithm, encoded)) = digest.split_once(':') else {
        return false;
    };
    !algorithm.is_empty()
        && algorithm.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'+' | b'.' | b'_' | b'-')
        })
        && !encoded.is_empty()
        && encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar() {
        for ok in ["app", "team/app", "a.b_c-d/e__f", "0/1"] {
            assert!(is_repository_name(ok), "{ok}");
        }
        for bad in ["", "App", "a//b", "../x", "a/", "-a", "a?b", "a b", "a%2Fb"] {
            assert!(!is_repository_name(bad), "{bad}");
        }
        assert!(is_tag("v1.0.0-rc_1") && is_tag("_x") && !is_tag(".x") && !is_tag("a/b"));
        assert!(!is_tag(&"a".repeat(129)));
        assert!(is_digest("sha256:abc123") && !is_digest("sha256:") && !is_digest("x/y:z"));
        assert!(!is_digest("sha256:ab/../c"));
    }
}
