//! SWR's error responses, decoded into reginv errors.
//!
//! Two shapes arrive: SWR's own, a JSON **array**
//! `[{"errorCode": "SVCSTG.SWR.4000056", "errorMessage": "…", "detail": ""}]`, and the API
//! gateway's object `{"error_code": "APIGW.0301", "error_msg": "…", "request_id": "…"}`. Both become
//! a core [`Error`] with the vendor code, the message and the request id. The kind follows the HTTP
//! status, except that `APIGW.0308` (throttled) is always a retryable
//! [`RateLimited`](reginv_core::ErrorKind::RateLimited) and `APIGW.0301` (bad signature) is
//! always [`Authentication`](reginv_core::ErrorKind::Authentication), which is never retried:
//! five bad signatures lock a key. A body that is not JSON falls back to the status.
//!
//! ```
//! use reginv_core::{ErrorDecoder, ErrorKind};
//! use reginv_core::http::HeaderMap;
//! use reginv_huawei::SwrErrorDecoder;
//!
//! let body = br#"{"error_code":"APIGW.0308","error_msg":"throttled","request_id":"r-1"}"#;
//! let err = SwrErrorDecoder.decode(429, &HeaderMap::new(), body);
//! assert_eq!(err.kind(), ErrorKind::RateLimited);
//! assert_eq!(err.context().code.as_deref(), Some("APIGW.0308"));
//! assert_eq!(err.context().request_id.as_deref(), Some("r-1"));
//! assert!(err.is_retryable());
//! ```

use reginv_core::http::{body_excerpt, HeaderMap};
use reginv_core::{Error, ErrorDecoder, ErrorKind};
use serde_json::{Map, Value};

/// The gateway code for a signature that did not verify.
pub const CODE_BAD_SIGNATURE: &str = "APIGW.0301";
/// The gateway code for throttling.
pub const CODE_THROTTLED: &str = "APIGW.0308";

/// Decodes SWR and API-gateway error bodies (the [`ErrorDecoder`] of [`HuaweiProvider`](crate::HuaweiProvider)).
#[derive(Debug, Clone, Copy, Default)]
pub struct SwrErrorDecoder;

impl ErrorDecoder for SwrErrorDecoder {
    fn decode(&self, status: u16, _headers: &HeaderMap, body: &[u8]) -> Error {
        let parsed = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| VendorError::from_json(&v));
        let Some(vendor) = parsed else {
            return Error::from_status(status, body_excerpt(status, body));
        };
        let kind = match vendor.code.as_deref() {
            Some(CODE_THROTTLED) => ErrorKind::RateLimited,
            Some(CODE_BAD_SIGNATURE) => ErrorKind::Authentication,
            _ => ErrorKind::from_status(status),
        };
        let message = match vendor.message {
            Some(m) => m,
            None => body_excerpt(status, body),
        };
        let mut error = Error::new(kind, message).with_status(status);
        if let Some(code) = vendor.code {
            error = error.with_code(code);
        }
        if let Some(id) = vendor.request_id {
            error = error.with_request_id(id);
        }
        error
    }
}

/// What either error shape says.
#[derive(Debug, Default, PartialEq)]
struct VendorError {
    code: Option<String>,
    message: Option<String>,
    request_id: Option<String>,
}

impl VendorError {
    fn from_json(value: &Value) -> Option<VendorError> {
        let object = match value {
            Value::Array(items) => items.iter().find_map(Value::as_object)?,
            Value::Object(map) => match map.get("error").and_then(Value::as_object) {
                Some(inner) => inner,
                None => map,
            },
            _ => return None,
        };
        let code = text(object, &["errorCode", "error_code", "code"]);
        let mut message = text(object, &["errorMessage", "error_msg", "message", "msg"]);
        if let Some(detail) = text(object, &["detail", "details"]) {
            message = Some(match message {
                Some(m) if m != detail => format!("{m}: {detail}"),
                Some(m) => m,
                None => detail,
            });
        }
        let request_id = text(object, &["request_id", "requestId"]);
        if code.is_none() && message.is_none() {
            return None;
        }
        Some(VendorError {
            code,
            message,
            request_id,
        })
    }
}

/// The first non-empty text (or number) among `keys`.
fn text(object: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match object.get(*k)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(status: u16, body: &str) -> Error {
        SwrErrorDecoder.decode(status, &HeaderMap::new(), body.as_bytes())
    }

    #[test]
    fn swr_array_shape() {
        let err = decode(
            404,
            r#"[{"errorCode":"SVCSTG.SWR.4040017","errorMessage":"Repository not found","detail":"group/app"}]"#,
        );
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_eq!(err.status(), Some(404));
        assert_eq!(err.context().code.as_deref(), Some("SVCSTG.SWR.4040017"));
        assert_eq!(err.message(), "Repository not found: group/app");
        let err = decode(
            400,
            r#"[{"errorCode":"SVCSTG.SWR.4000056","errorMessage":"bad offset","detail":""}]"#,
        );
        assert_eq!(err.kind(), ErrorKind::InvalidRequest);
        assert_eq!(err.message(), "bad offset");
    }

    #[test]
    fn gateway_object_shape() {
        let err = decode(
            401,
            r#"{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information","request_id":"8b3c"}"#,
        );
        assert_eq!(err.kind(), ErrorKind::Authentication);
        assert!(!err.is_retryable());
        assert_eq!(err.context().code.as_deref(), Some("APIGW.0301"));
        assert_eq!(err.context().request_id.as_deref(), Some("8b3c"));
        assert_eq!(err.message(), "Incorrect IAM authentication information");
    }

    #[test]
    fn throttling_is_retryable_whatever_the_status() {
        for status in [429, 403, 400] {
            let err = decode(
                status,
                r#"{"error_code":"APIGW.0308","error_msg":"slow down"}"#,
            );
            assert_eq!(err.kind(), ErrorKind::RateLimited, "{status}");
            assert!(err.is_retryable());
        }
        assert_eq!(
            decode(429, "Too Many Requests").kind(),
            ErrorKind::RateLimited
        );
    }

    #[test]
    fn statuses_map_to_kinds() {
        let body = r#"[{"errorCode":"SVCSTG.SWR.x","errorMessage":"m"}]"#;
        for (status, kind) in [
            (401, ErrorKind::Authentication),
            (403, ErrorKind::Permission),
            (404, ErrorKind::NotFound),
            (500, ErrorKind::Server),
            (503, ErrorKind::Server),
        ] {
            assert_eq!(decode(status, body).kind(), kind, "{status}");
        }
        assert!(decode(502, body).is_retryable());
        assert!(!decode(403, body).is_retryable());
    }

    #[test]
    fn non_json_and_unrelated_json_fall_back_to_the_status() {
        let err = decode(502, "<html>Bad Gateway</html>");
        assert_eq!(err.kind(), ErrorKind::Server);
        assert!(err.message().contains("Bad Gateway"));
        let err = decode(503, "");
        assert_eq!(err.message(), "HTTP 503 with an empty body");
        let err = decode(404, r#"{"unrelated": true}"#);
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_eq!(err.context().code, None);
        assert_eq!(decode(500, "[]").kind(), ErrorKind::Server);
        assert_eq!(decode(500, "[1, null]").kind(), ErrorKind::Server);
        assert_eq!(decode(403, "null").kind(), ErrorKind::Permission);
    }

    #[test]
    fn numeric_codes_and_code_without_message() {
        let err = decode(400, r#"{"error_code": 42}"#);
        assert_eq!(err.context().code.as_deref(), Some("42"));
        assert!(err.message().contains("42"));
    }
}
