//! Huawei Cloud SWR `/v2/manage`: routes, AK/SK or token authentication, the vendor's two error
//! shapes (SWR's own array and the API gateway's object); the answers are in [`serve`].

mod auth;
mod serve;

use axum::http::Method;
use reginv_core::{AccessKeyPair, SecretString};
use serde_json::json;

use crate::api::{decode_segment, segments_under, Api, Data, Request};
use crate::reply::Reply;

/// The SWR API as the emulator serves it.
#[derive(Debug, Clone)]
pub(crate) struct SwrApi {
    /// The AK/SK requests may be signed with.
    pub(crate) credentials: AccessKeyPair,
    /// The `X-Auth-Token` accepted instead (empty: none).
    pub(crate) token: SecretString,
}

impl Api for SwrApi {
    type Route = SwrOp;

    fn route(&self, method: &Method, raw_path: &str) -> Option<SwrOp> {
        SwrOp::parse(method, raw_path)
    }

    fn template(&self, route: &SwrOp, method: &Method) -> String {
        route.template(method)
    }

    fn authenticate(&self, _route: &SwrOp, req: &Request<'_>) -> Result<String, Reply> {
        auth::verify_swr(
            &self.credentials,
            &self.token,
            &auth::SwrRequest {
                method: req.method.as_str(),
                raw_path: req.raw_path,
                raw_query: req.raw_query,
                headers: req.headers,
                body: req.body,
            },
            req.now,
        )
        .map_err(|why| {
            gateway_error(
                401,
                "APIGW.0301",
                &format!("Incorrect IAM authentication information: {why}"),
                req.request_id,
            )
        })
    }

    fn throttled(&self, retry_after_secs: u64, req: &Request<'_>) -> Reply {
        gateway_error(
            429,
            "APIGW.0308",
            "The throttling threshold has been reached: policy user over ratelimit",
            req.request_id,
        )
        .header("retry-after", retry_after_secs.to_string())
    }

    fn server_error(&self, status: u16, _req: &Request<'_>) -> Reply {
        error(status, 1, "Internal server error", "injected server error")
    }

    fn serve(&self, route: &SwrOp, data: &Data<'_>, req: &Request<'_>) -> Reply {
        serve::read(&data.read(), route, &req.query(), data.total_skew)
    }

    fn finish(&self, reply: Reply, req: &Request<'_>) -> Reply {
        reply.header("x-request-id", req.request_id.to_string())
    }
}

/// An SWR operation, with decoded path parameters (`$` in a repository name turned into `/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SwrOp {
    ListNamespaces,
    ListRepos,
    RepoDetail(String, String),
    ListTags(String, String),
    Unknown,
}

/// The path prefix of SWR's management API.
pub(crate) const PREFIX: &str = "/v2/manage";

impl SwrOp {
    /// Recognises an SWR path; `None` when the path is not under `/v2/manage`.
    pub(crate) fn parse(method: &Method, raw_path: &str) -> Option<SwrOp> {
        let segments = segments_under(raw_path, PREFIX)?;
        if method != Method::GET {
            return Some(SwrOp::Unknown);
        }
        let repo = |s: &str| decode_segment(s).replace('$', "/");
        Some(match segments.as_slice() {
            ["namespaces"] => SwrOp::ListNamespaces,
            ["repos"] => SwrOp::ListRepos,
            ["namespaces", ns, "repos", r] => SwrOp::RepoDetail(decode_segment(ns), repo(r)),
            ["namespaces", ns, "repos", r, "tags"] => SwrOp::ListTags(decode_segment(ns), repo(r)),
            _ => SwrOp::Unknown,
        })
    }

    /// The route template for statistics.
    pub(crate) fn template(&self, method: &Method) -> String {
        match self {
            SwrOp::ListNamespaces => "GET /v2/manage/namespaces".to_string(),
            SwrOp::ListRepos => "GET /v2/manage/repos".to_string(),
            SwrOp::RepoDetail(..) => {
                "GET /v2/manage/namespaces/{namespace}/repos/{repository}".to_string()
            }
            SwrOp::ListTags(..) => {
                "GET /v2/manage/namespaces/{namespace}/repos/{repository}/tags".to_string()
            }
            SwrOp::Unknown => format!("{method} /v2/manage/(unmatched)"),
        }
    }
}

/// SWR's own error shape: a JSON array of `{errorCode, errorMessage, detail}`, with
/// `errorCode = SVCSTG.SWR.{status}{nnnn}`.
pub(crate) fn error(status: u16, number: u16, message: &str, detail: &str) -> Reply {
    Reply::json(
        status,
        &json!([{
            "errorCode": format!("SVCSTG.SWR.{status}{number:04}"),
            "errorMessage": message,
            "detail": detail,
        }]),
    )
}

/// The API gateway's error shape: `{error_code, error_msg, request_id}`.
pub(crate) fn gateway_error(status: u16, code: &str, message: &str, request_id: &str) -> Reply {
    Reply::json(
        status,
        &json!({"error_code": code, "error_msg": message, "request_id": request_id}),
    )
}

pub(crate) fn bad_request(detail: String) -> Reply {
    error(400, 1, "Invalid request parameter", &detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let g = Method::GET;
        assert_eq!(SwrOp::parse(&g, "/v2/manage/repos"), Some(SwrOp::ListRepos));
        assert_eq!(
            SwrOp::parse(&g, "/v2/manage/namespaces/group/repos/team$app/tags"),
            Some(SwrOp::ListTags("group".into(), "team/app".into()))
        );
        assert_eq!(
            SwrOp::parse(&g, "/v2/manage/namespaces/group/repos/team%24app"),
            Some(SwrOp::RepoDetail("group".into(), "team/app".into()))
        );
        assert_eq!(SwrOp::parse(&g, "/v2/managed"), None);
        assert_eq!(
            SwrOp::parse(&Method::POST, "/v2/manage/repos"),
            Some(SwrOp::Unknown)
        );
    }
}
