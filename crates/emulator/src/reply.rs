//! A response before it is sent: status, headers and the complete body, so that faults (a cut
//! body) can be applied after a route produced it.

use axum::body::Body;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;

/// A complete response.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) content_type: String,
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) body: Vec<u8>,
    /// For an answer to `HEAD`: the `Content-Length` of the `GET` answer (the body is empty).
    pub(crate) head_length: Option<usize>,
}

impl Reply {
    /// A JSON response.
    pub(crate) fn json(status: u16, value: &serde_json::Value) -> Reply {
        Reply::bytes(
            status,
            "application/json;charset=UTF-8",
            value.to_string().into_bytes(),
        )
    }

    /// A response with these exact bytes and `Content-Type`.
    pub(crate) fn bytes(status: u16, content_type: &str, body: Vec<u8>) -> Reply {
        Reply {
            status,
            content_type: content_type.to_string(),
            headers: Vec::new(),
            body,
            head_length: None,
        }
    }

    /// Adds a header.
    pub(crate) fn header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }

    /// Whether the status is 2xx.
    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Cuts the body to half its length (at least one byte shorter), so that a JSON object or
    /// array no longer parses. Returns whether anything was cut.
    pub(crate) fn truncate(&mut self) -> bool {
        if self.body.is_empty() {
            return false;
        }
        let keep = (self.body.len() / 2).min(self.body.len() - 1);
        self.body.truncate(keep);
        true
    }

    /// The HTTP response; `Content-Length` is always the length of the body sent.
    pub(crate) fn into_response(self) -> Response {
        let len = self.head_length.unwrap_or(self.body.len());
        let mut response = Response::new(Body::from(self.body));
        *response.status_mut() =
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&self.content_type) {
            headers.insert(header::CONTENT_TYPE, value);
        }
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.append(HeaderName::from_static(name), value);
            }
        }
        response
    }
}
