//! NCR's error responses, decoded into reginv's error kinds.
//!
//! The API gateway and NCR answer errors with
//! `{"error": {"errorCode": "…", "message": "…", "details": "…"}}`, where `errorCode` may be a
//! string or a number. The vendor code decides the kind when it is one of the documented codes;
//! otherwise the HTTP status does:
//!
//! | HTTP | errorCode | kind |
//! |---|---|---|
//! | 400 | 100 | invalid request |
//! | 401 | 200 | authentication (never retried) |
//! | 401 | 210 | permission (never retried) |
//! | 404 | 300 | not found |
//! | 429 | 400, 410, 420 | rate limited (retried, honouring `Retry-After`) |
//! | 413 | 430 | invalid request |
//! | 503 | 500 | server (retried) |
//! | 504 | 510 | timeout (retried when idempotent) |
//! | 500 | 900 | server (retried) |
//! | 409 | – | conflict (create registry: the name or bucket is taken) |
//!
//! A body that is not JSON (a proxy's HTML page, an empty body) falls back to the status with a
//! short excerpt of the body. The vendor code is kept in the error's context, and the message
//! carries the vendor's `message` and `details`.
//!
//! ```
//! use reginv_core::{ErrorDecoder, ErrorKind, http::HeaderMap};
//! use reginv_ncp::NcpErrorDecoder;
//!
//! let body = br#"{"error":{"errorCode":"200","message":"Authentication Failed","details":"Invalid authentication information."}}"#;
//! let err = NcpErrorDecoder.decode(401, &HeaderMap::new(), body);
//! assert_eq!(err.kind(), ErrorKind::Authentication);
//! assert_eq!(err.context().code.as_deref(), Some("200"));
//! assert!(err.message().contains("Authentication Failed"));
//! ```

use reginv_core::http::{body_excerpt, HeaderMap};
use reginv_core::{Error, ErrorDecoder, ErrorKind};
use serde_json::Value;

/// The [`ErrorDecoder`] of NCR API v2.
#[derive(Debug, Clone, Copy, Default)]
pub struct NcpErrorDecoder;

/// The kind a documented NCR `errorCode` means, if it is one.
pub fn kind_of_code(code: &str) -> Option<ErrorKind> {
    Some(match code.trim() {
        "100" => ErrorKind::InvalidRequest,
        "200" => ErrorKind::Authentication,
        "210" => ErrorKind::Permission,
        "300" => ErrorKind::NotFound,
        "400" | "410" | "420" => ErrorKind::RateLimited,
        "430" => ErrorKind::InvalidRequest,
        "500" | "900" => ErrorKind::Server,
        "510" => ErrorKind::Timeout,
        _ => return None,
    })
}

fn text_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The vendor's code and message, from `{"error":{…}}` or a bare `{"returnCode","returnMessage"}`.
fn vendor_error(body: &[u8]) -> Option<(Option<String>, String)> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let object = value.as_object()?;
    if let Some(inner) = object.get("error").and_then(Value::as_object) {
        let code = text_of(inner.get("errorCode")).or_else(|| text_of(inner.get("code")));
        let message = text_of(inner.get("message"));
        let details = text_of(inner.get("details"));
        let text = match (message, details) {
            (Some(m), Some(d)) if m != d => format!("{m}: {d}"),
            (Some(m), _) => m,
            (None, Some(d)) => d,
            (None, None) => return code.map(|c| (Some(c), String::new())),
        };
        return Some((code, text));
    }
    let code = text_of(object.get("returnCode")).or_else(|| text_of(object.get("errorCode")));
    let message = text_of(object.get("returnMessage")).or_else(|| text_of(object.get("message")));
    match (code, message) {
        (None, None) => None,
        (code, message) => Some((code, message.unwrap_or_default())),
    }
}

impl ErrorDecoder for NcpErrorDecoder {
    fn decode(&self, status: u16, _headers: &HeaderMap, body: &[u8]) -> Error {
        let Some((code, message)) = vendor_error(body) else {
            return Error::from_status(status, body_excerpt(status, body));
        };
        let kind = if status == 409 {
            ErrorKind::Conflict
        } else {
            code.as_deref()
                .and_then(kind_of_code)
                .unwrap_or_else(|| ErrorKind::from_status(status))
        };
        let message = if message.is_empty() {
            format!("HTTP {status}")
        } else {
            message
        };
        let error = Error::new(kind, message).with_status(status);
        match code {
            Some(code) => error.with_code(code),
            None => error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(status: u16, body: &str) -> Error {
        NcpErrorDecoder.decode(status, &HeaderMap::new(), body.as_bytes())
    }

    fn body(code: &str) -> String {
        format!(r#"{{"error":{{"errorCode":{code},"message":"m","details":"d"}}}}"#)
    }

    #[test]
    fn the_documented_table_maps_to_kinds_with_string_and_numeric_codes() {
        let table = [
            (400, "100", ErrorKind::InvalidRequest),
            (401, "200", ErrorKind::Authentication),
            (401, "210", ErrorKind::Permission),
            (404, "300", ErrorKind::NotFound),
            (429, "400", ErrorKind::RateLimited),
            (429, "410", ErrorKind::RateLimited),
            (429, "420", ErrorKind::RateLimited),
            (413, "430", ErrorKind::InvalidRequest),
            (503, "500", ErrorKind::Server),
            (504, "510", ErrorKind::Timeout),
            (500, "900", ErrorKind::Server),
        ];
        for (status, code, kind) in table {
            for literal in [format!("\"{code}\""), code.to_string()] {
                let err = decode(status, &body(&literal));
                assert_eq!(err.kind(), kind, "{status}/{literal}");
                assert_eq!(err.context().code.as_deref(), Some(code));
                assert_eq!(err.status(), Some(status));
                assert_eq!(err.message(), "m: d");
            }
        }
    }

    #[test]
    fn retryability_follows_the_table() {
        assert!(!decode(401, &body("200")).is_retryable());
        assert!(!decode(401, &body("210")).is_retryable());
        assert!(decode(429, &body("420")).is_retryable());
        assert!(decode(503, &body("500")).is_retryable());
        assert!(decode(504, &body("510")).is_retryable());
        assert!(!decode(404, &body("300")).is_retryable());
    }

    #[test]
    fn conflict_and_unknown_codes_fall_back_to_the_status() {
        let err = decode(
            409,
            r#"{"returnCode":"409","returnMessage":"registry exists"}"#,
        );
        assert_eq!(err.kind(), ErrorKind::Conflict);
        assert_eq!(err.message(), "registry exists");
        assert_eq!(err.context().code.as_deref(), Some("409"));
        let err = decode(403, r#"{"error":{"errorCode":"777","message":"nope"}}"#);
        assert_eq!(err.kind(), ErrorKind::Permission);
        assert_eq!(err.context().code.as_deref(), Some("777"));
        let err = decode(401, r#"{"error":{"errorCode":200}}"#);
        assert_eq!(err.kind(), ErrorKind::Authentication);
        assert_eq!(err.message(), "HTTP 401");
    }

    #[test]
    fn non_json_bodies_fall_back_to_the_status() {
        let err = decode(502, "<html>Bad Gateway</html>");
        assert_eq!(err.kind(), ErrorKind::Server);
        assert!(err.message().contains("Bad Gateway"));
        assert_eq!(err.context().code, None);
        let err = decode(429, "");
        assert_eq!(err.kind(), ErrorKind::RateLimited);
        assert!(err.message().contains("empty body"));
        let err = decode(404, r#"["not", "an", "object"]"#);
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let err = decode(500, r#"{"unrelated": true}"#);
        assert_eq!(err.kind(), ErrorKind::Server);
    }
}
