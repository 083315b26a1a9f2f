//! NAVER Cloud NCR API v2: routes under the three region prefixes, signature v2, the vendor's
//! error shape; the answers are in [`serve`].

mod auth;
mod serve;

use axum::http::Method;
use reginv_core::AccessKeyPair;
use serde_json::json;

use crate::api::{decode_segment, segments_under, Api, Data, Request};
use crate::fixture::NCP_REGIONS;
use crate::reply::Reply;

/// The NCR API as the emulator serves it.
#[derive(Debug, Clone)]
pub(crate) struct NcrApi {
    /// The credentials requests must be signed with.
    pub(crate) credentials: AccessKeyPair,
    /// The largest `pagesize` accepted.
    pub(crate) max_page_size: u32,
}

impl Api for NcrApi {
    type Route = NcrRoute;

    fn route(&self, method: &Method, raw_path: &str) -> Option<NcrRoute> {
        NcrRoute::parse(method, raw_path)
    }

    fn template(&self, route: &NcrRoute, method: &Method) -> String {
        route.template(method)
    }

    fn authenticate(&self, _route: &NcrRoute, req: &Request<'_>) -> Result<String, Reply> {
        auth::verify_ncp(
            &self.credentials,
            req.method.as_str(),
            req.path_and_query,
            req.headers,
            req.now,
        )
        .map_err(|why| error(401, "200", "Authentication Failed", &why))
    }

    fn throttled(&self, retry_after_secs: u64, _req: &Request<'_>) -> Reply {
        error(
            429,
            "420",
            "Rate Limit Exceeded",
            "too many requests; retry after the Retry-After delay",
        )
        .header("retry-after", retry_after_secs.to_string())
    }

    fn server_error(&self, status: u16, _req: &Request<'_>) -> Reply {
        let (code, message) = match status {
            503 => ("500", "Endpoint Error"),
            _ => ("900", "Unexpected Error"),
        };
        error(status, code, message, "injected server error")
    }

    fn serve(&self, route: &NcrRoute, data: &Data<'_>, req: &Request<'_>) -> Reply {
        match &route.op {
            NcrOp::CreateRegistry(name) => serve::create_registry(
                &mut data.write(),
                route.region,
                name,
                req.body,
                req.now.timestamp_millis(),
            ),
            _ => {
                let settings = serve::NcrSettings {
                    max_page_size: self.max_page_size,
                    total_skew: data.total_skew,
                };
                serve::read(&data.read(), route, &req.query(), &settings)
            }
        }
    }
}

/// An NCR operation, with decoded path parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NcrOp {
    ListRegistries,
    CreateRegistry(String),
    ListImages(String),
    ImageDetail(String, String),
    ListTags(String, String),
    TagDetail(String, String, String),
    Unknown,
}

/// A request under one of the NCR region prefixes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NcrRoute {
    pub(crate) region: &'static str,
    pub(crate) prefix: &'static str,
    pub(crate) op: NcrOp,
}

impl NcrRoute {
    /// Recognises an NCR path; `None` when the path is under no NCR prefix.
    pub(crate) fn parse(method: &Method, raw_path: &str) -> Option<NcrRoute> {
        let (region, prefix, segments) = NCP_REGIONS.iter().find_map(|(region, prefix)| {
            segments_under(raw_path, prefix).map(|segments| (*region, *prefix, segments))
        })?;
        let d = |s: &str| decode_segment(s);
        let get = method == Method::GET;
        let op = match segments.as_slice() {
            ["repositories"] if get => NcrOp::ListRegistries,
            ["repositories", reg] if get => NcrOp::ListImages(d(reg)),
            ["repositories", reg] if method == Method::POST => NcrOp::CreateRegistry(d(reg)),
            ["repositories", reg, image] if get => NcrOp::ImageDetail(d(reg), d(image)),
            ["repositories", reg, image, "tags"] if get => NcrOp::ListTags(d(reg), d(image)),
            ["repositories", reg, image, "tags", tag] if get => {
                NcrOp::TagDetail(d(reg), d(image), d(tag))
            }
            _ => NcrOp::Unknown,
        };
        Some(NcrRoute { region, prefix, op })
    }

    /// The route template for statistics (`GET /ncr/api/v2/repositories/{registry}`).
    pub(crate) fn template(&self, method: &Method) -> String {
        let p = self.prefix;
        match self.op {
            NcrOp::ListRegistries => format!("GET {p}/repositories"),
            NcrOp::CreateRegistry(_) => format!("POST {p}/repositories/{{registry}}"),
            NcrOp::ListImages(_) => format!("GET {p}/repositories/{{registry}}"),
            NcrOp::ImageDetail(..) => format!("GET {p}/repositories/{{registry}}/{{image}}"),
            NcrOp::ListTags(..) => format!("GET {p}/repositories/{{registry}}/{{image}}/tags"),
            NcrOp::TagDetail(..) => {
                format!("GET {p}/repositories/{{registry}}/{{image}}/tags/{{reference}}")
            }
            NcrOp::Unknown => format!("{method} {p}/(unmatched)"),
        }
    }
}

/// NCR's error shape: `{"error": {"errorCode", "message", "details"}}`.
pub(crate) fn error(status: u16, code: &str, message: &str, details: &str) -> Reply {
    Reply::json(
        status,
        &json!({"error": {"errorCode": code, "message": message, "details": details}}),
    )
}

pub(crate) fn not_found(details: String) -> Reply {
    error(404, "300", "Not Found Exception", &details)
}

pub(crate) fn bad_request(details: String) -> Reply {
    error(400, "100", "Bad Request Exception", &details)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_templates() {
        let r = NcrRoute::parse(
            &Method::GET,
            "/ncr/sgn-api/v2/repositories/reg/team%2Fapp/tags",
        )
        .unwrap();
        assert_eq!(r.region, "sgn");
        assert_eq!(r.op, NcrOp::ListTags("reg".into(), "team/app".into()));
        assert_eq!(
            r.template(&Method::GET),
            "GET /ncr/sgn-api/v2/repositories/{registry}/{image}/tags"
        );
        assert!(NcrRoute::parse(&Method::GET, "/ncr/api/v2x/repositories").is_none());
        assert!(NcrRoute::parse(&Method::GET, "/v2/manage/repos").is_none());
        let r = NcrRoute::parse(&Method::DELETE, "/ncr/api/v2/repositories/x").unwrap();
        assert_eq!(r.op, NcrOp::Unknown);
    }
}
