//! OCI error bodies, decoded into reginv's error kinds.
//!
//! A registry answers errors with `{"errors": [{"code": "…", "message": "…", "detail": …}]}`
//! (OCI Distribution spec, "Error codes"). The first entry's code decides the kind when it is one
//! of the spec's codes; otherwise the HTTP status does:
//!
//! | code | kind |
//! |---|---|
//! | `UNAUTHORIZED` | authentication (never retried) |
//! | `DENIED` | permission (never retried) |
//! | `NAME_UNKNOWN`, `MANIFEST_UNKNOWN`, `BLOB_UNKNOWN` | not found |
//! | `NAME_INVALID`, `TAG_INVALID`, `DIGEST_INVALID`, `MANIFEST_INVALID`, `SIZE_INVALID`, `PAGINATION_NUMBER_INVALID`, `RANGE_INVALID` | invalid request |
//! | `UNSUPPORTED` | unsupported |
//! | `TOOMANYREQUESTS` | rate limited (retried, honouring `Retry-After`) |
//!
//! A body that is not such JSON falls back to the status with a short excerpt. The code is kept
//! in the error's context; control characters the server sent are dropped from messages.
//!
//! ```
//! use reginv_core::{ErrorDecoder, ErrorKind, http::HeaderMap};
//! use reginv_oci::OciErrorDecoder;
//!
//! let body = br#"{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry","detail":{"name":"x"}}]}"#;
//! let err = OciErrorDecoder::default().decode(404, &HeaderMap::new(), body);
//! assert_eq!(err.kind(), ErrorKind::NotFound);
//! assert_eq!(err.context().code.as_deref(), Some("NAME_UNKNOWN"));
//! ```

use std::sync::{Arc, Mutex};

use reginv_core::http::{body_excerpt, HeaderMap};
use reginv_core::{Error, ErrorDecoder, ErrorKind};

use crate::auth::{parse_challenges, Challenge};
use crate::wire::ErrorBody;

/// The kind an OCI error `code` means, if it is one of the spec's codes.
pub fn kind_of_code(code: &str) -> Option<ErrorKind> {
    Some(match code {
        "UNAUTHORIZED" => ErrorKind::Authentication,
        "DENIED" => ErrorKind::Permission,
        "NAME_UNKNOWN" | "MANIFEST_UNKNOWN" | "BLOB_UNKNOWN" | "BLOB_UPLOAD_UNKNOWN" => {
            ErrorKind::NotFound
        }
        "NAME_INVALID"
        | "TAG_INVALID"
        | "DIGEST_INVALID"
        | "MANIFEST_INVALID"
        | "MANIFEST_BLOB_UNKNOWN"
        | "SIZE_INVALID"
        | "PAGINATION_NUMBER_INVALID"
        | "RANGE_INVALID"
        | "BLOB_UPLOAD_INVALID" => ErrorKind::InvalidRequest,
        "UNSUPPORTED" => ErrorKind::Unsupported,
        "TOOMANYREQUESTS" => ErrorKind::RateLimited,
        _ => return None,
    })
}

/// Text a server sent, made safe to print: control characters dropped, at most 300 characters.
pub(crate) fn printable(text: &str) -> String {
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    let mut out: String = clean.chars().take(300).collect();
    if out.len() < clean.len() {
        out.push('…');
    }
    out
}

/// The [`ErrorDecoder`] of the OCI Distribution API. It also remembers the authentication
/// challenges (`WWW-Authenticate`) of the last `401`, which the provider reads to authenticate.
#[derive(Debug, Clone, Default)]
pub struct OciErrorDecoder {
    challenges: Arc<Mutex<Vec<Challenge>>>,
}

impl OciErrorDecoder {
    /// The challenges of the last `401` this decoder saw.
    pub(crate) fn last_challenges(&self) -> Vec<Challenge> {
        self.challenges
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl ErrorDecoder for OciErrorDecoder {
    fn decode(&self, status: u16, headers: &HeaderMap, body: &[u8]) -> Error {
        if status == 401 {
            let values = headers
                .get_all("www-authenticate")
                .iter()
                .filter_map(|v| v.to_str().ok());
            let found = parse_challenges(values);
            if !found.is_empty() {
                *self.challenges.lock().unwrap_or_else(|p| p.into_inner()) = found;
            }
        }
        decode_body(status, body)
    }
}

/// The error of a response of `status` with `body`.
pub(crate) fn decode_body(status: u16, body: &[u8]) -> Error {
    let parsed = serde_json::from_slice::<ErrorBody>(body).ok();
    let Some(first) = parsed.as_ref().and_then(|b| b.errors.first()) else {
        return Error::from_status(status, printable(&body_excerpt(status, body)));
    };
    let code = first.code.as_deref().map(printable).unwrap_or_default();
    let mut message = if code.is_empty() {
        String::from("error")
    } else {
        code.clone()
    };
    if let Some(m) = first.message.as_deref().filter(|m| !m.trim().is_empty()) {
        message.push_str(": ");
        message.push_str(&printable(m));
    }
    if let Some(detail) = first.detail.as_ref().filter(|d| !d.is_null()) {
        message.push_str(&format!(" ({})", printable(&detail.to_string())));
    }
    let kind = kind_of_code(&code).unwrap_or_else(|| ErrorKind::from_status(status));
    let err = Error::new(kind, message).with_status(status);
    if code.is_empty() {
        err
    } else {
        err.with_code(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reginv_core::http::HeaderValue;

    #[test]
    fn codes_decide_the_kind_and_status_the_rest() {
        let cases = [
            (401, "UNAUTHORIZED", ErrorKind::Authentication),
            (403, "DENIED", ErrorKind::Permission),
            (404, "MANIFEST_UNKNOWN", ErrorKind::NotFound),
            (400, "PAGINATION_NUMBER_INVALID", ErrorKind::InvalidRequest),
            (405, "UNSUPPORTED", ErrorKind::Unsupported),
            (429, "TOOMANYREQUESTS", ErrorKind::RateLimited),
            (503, "SOMETHING_ELSE", ErrorKind::Server),
        ];
        for (status, code, kind) in cases {
            let body = format!(r#"{{"errors":[{{"code":"{code}","message":"m","detail":null}}]}}"#);
            let err = decode_body(status, body.as_bytes());
            assert_eq!(err.kind(), kind, "{code}");
            assert_eq!(err.context().code.as_deref(), Some(code));
            assert_eq!(err.status(), Some(status));
        }
    }

    #[test]
    fn non_json_bodies_fall_back_to_the_status_and_lose_control_characters() {
        let err = decode_body(502, b"<html>bad\x1b[31m gateway</html>");
        assert_eq!(err.kind(), ErrorKind::Server);
        assert!(!err.message().contains('\x1b'), "{}", err.message());
        let err = decode_body(404, b"");
        assert_eq!(err.kind(), ErrorKind::NotFound);
    }

    #[test]
    fn message_and_detail_are_kept() {
        let body =
            br#"{"errors":[{"code":"DENIED","message":"no\u001b access","detail":{"repo":"a"}}]}"#;
        let err = decode_body(403, body);
        assert!(
            err.message().starts_with("DENIED: no access"),
            "{}",
            err.message()
        );
        assert!(err.message().contains(r#"{"repo":"a"}"#));
    }

    #[test]
    fn a_401_records_its_challenges() {
        let decoder = OciErrorDecoder::default();
        let mut headers = HeaderMap::new();
        headers.insert(
            "www-authenticate",
            HeaderValue::from_static(r#"Bearer realm="https://auth.example/token",service="reg""#),
        );
        let err = decoder.decode(401, &headers, b"");
        assert_eq!(err.kind(), ErrorKind::Authentication);
        assert_eq!(decoder.last_challenges().len(), 1);
    }
}
