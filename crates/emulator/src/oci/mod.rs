//! The OCI Distribution read API (the Docker Registry HTTP API V2) over the same fixture:
//! `GET /v2/`, the catalog and tag lists with `n`/`last` paging and `Link` headers, manifests
//! and image indexes by tag or digest (`GET`/`HEAD`), config blobs, and a token endpoint for the
//! Bearer flow. Repository names are `registry/name` (NCR) and `namespace/name` (SWR).

mod content;
mod serve;

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use axum::http::Method;
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::api::{decode_segment, header, same, Api, Data, Request};
use crate::faults::mix;
use crate::reply::Reply;

/// The path of the token endpoint (the `realm` of `WWW-Authenticate: Bearer`).
pub(crate) const TOKEN_PATH: &str = "/oci/token";
/// The `service` the token endpoint issues tokens for.
pub(crate) const SERVICE: &str = "reginv-emulator";
/// How long an issued token is valid, in seconds.
const TOKEN_LIFETIME_SECS: i64 = 300;

/// How the OCI API authenticates requests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum OciAuth {
    /// No authentication: every request is served (the default).
    #[default]
    Anonymous,
    /// HTTP Basic with this user and password; otherwise 401 with
    /// `WWW-Authenticate: Basic realm="reginv-emulator"`.
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: String,
    },
    /// The token flow: a request without a valid `Authorization: Bearer` token for its scope
    /// gets 401 with `WWW-Authenticate: Bearer realm="http://HOST/oci/token",service=…,scope=…`;
    /// the token endpoint issues tokens (5 minutes) for HTTP Basic with this user and password.
    Token {
        /// The user name.
        username: String,
        /// The password.
        password: String,
    },
}

/// The OCI API as the emulator serves it.
#[derive(Debug)]
pub(crate) struct OciApi {
    pub(crate) auth: OciAuth,
    /// Issued tokens: their scopes and expiry.
    tokens: Mutex<HashMap<String, Grant>>,
}

#[derive(Debug, Clone)]
struct Grant {
    scopes: Vec<String>,
    expires: DateTime<Utc>,
}

impl OciApi {
    pub(crate) fn new(auth: OciAuth) -> Self {
        OciApi {
            auth,
            tokens: Mutex::new(HashMap::new()),
        }
    }
}

/// An OCI request, with its decoded repository name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OciOp {
    /// `GET /v2/`.
    Base,
    Catalog,
    Tags(String),
    Manifest(String, String),
    Blob(String, String),
    Token,
    /// Another method or path under `/v2/`.
    Unknown,
}

impl OciOp {
    fn parse(method: &Method, raw_path: &str) -> Option<OciOp> {
        if raw_path == TOKEN_PATH {
            return Some(if method == Method::GET {
                OciOp::Token
            } else {
                OciOp::Unknown
            });
        }
        let rest = match raw_path {
            "/v2" | "/v2/" => "",
            other => other.strip_prefix("/v2/")?,
        };
        if method != Method::GET && method != Method::HEAD {
            return Some(OciOp::Unknown);
        }
        let name = |n: &str| decode_segment(n);
        Some(if rest.is_empty() {
            OciOp::Base
        } else if rest == "_catalog" {
            OciOp::Catalog
        } else if let Some(n) = rest.strip_suffix("/tags/list") {
            OciOp::Tags(name(n))
        } else if let Some((n, reference)) = rest.rsplit_once("/manifests/") {
            OciOp::Manifest(name(n), decode_segment(reference))
        } else if let Some((n, digest)) = rest.rsplit_once("/blobs/") {
            OciOp::Blob(name(n), decode_segment(digest))
        } else {
            OciOp::Unknown
        })
    }

    /// The scope a token must grant for this request (`None`: any valid token).
    fn scope(&self) -> Option<String> {
        match self {
            OciOp::Catalog => Some("registry:catalog:*".to_string()),
            OciOp::Tags(n) | OciOp::Manifest(n, _) | OciOp::Blob(n, _) => {
                Some(format!("repository:{n}:pull"))
            }
            OciOp::Base | OciOp::Token | OciOp::Unknown => None,
        }
    }
}

/// The OCI error body: `{"errors": [{"code", "message", "detail"}]}`.
pub(crate) fn error(status: u16, code: &str, message: &str, detail: &str) -> Reply {
    Reply::json(
        status,
        &json!({"errors": [{"code": code, "message": message, "detail": detail}]}),
    )
}

fn basic_credentials(req: &Request<'_>) -> Option<(String, String)> {
    let value = header(req.headers, "authorization")?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

fn bearer<'a>(req: &Request<'a>) -> Option<&'a str> {
    let value = header(req.headers, "authorization")?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn unauthorized(challenge: String, detail: &str) -> Reply {
    error(401, "UNAUTHORIZED", "authentication required", detail)
        .header("www-authenticate", challenge)
}

impl OciApi {
    fn grant(&self, scopes: Vec<String>, now: DateTime<Utc>, seed: &str) -> (String, i64) {
        let token = format!(
            "{:016x}{:016x}",
            mix(0x4f43_4921, seed, 0),
            mix(0x4f43_4921, seed, 1)
        );
        let grant = Grant {
            scopes,
            expires: now + Duration::seconds(TOKEN_LIFETIME_SECS),
        };
        let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        tokens.retain(|_, g| g.expires > now);
        tokens.insert(token.clone(), grant);
        (token, TOKEN_LIFETIME_SECS)
    }

    fn granted(&self, token: &str, scope: Option<&str>, now: DateTime<Utc>) -> bool {
        let tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        tokens.get(token).is_some_and(|g| {
            g.expires > now && scope.is_none_or(|s| g.scopes.iter().any(|have| have == s))
        })
    }
}

impl Api for OciApi {
    type Route = OciOp;

    fn route(&self, method: &Method, raw_path: &str) -> Option<OciOp> {
        OciOp::parse(method, raw_path)
    }

    fn template(&self, route: &OciOp, method: &Method) -> String {
        let path = match route {
            OciOp::Base => "/v2/",
            OciOp::Catalog => "/v2/_catalog",
            OciOp::Tags(_) => "/v2/{name}/tags/list",
            OciOp::Manifest(..) => "/v2/{name}/manifests/{reference}",
            OciOp::Blob(..) => "/v2/{name}/blobs/{digest}",
            OciOp::Token => TOKEN_PATH,
            OciOp::Unknown => "/v2/(unmatched)",
        };
        format!("{method} {path}")
    }

    fn authenticate(&self, route: &OciOp, req: &Request<'_>) -> Result<String, Reply> {
        match &self.auth {
            // The token endpoint checks its own (Basic) credentials.
            _ if *route == OciOp::Token => Ok("oci-token-endpoint".to_string()),
            OciAuth::Anonymous => Ok("anonymous".to_string()),
            OciAuth::Basic { username, password } => match basic_credentials(req) {
                Some((u, p)) if same(&u, username) && same(&p, password) => Ok(u),
                _ => Err(unauthorized(
                    format!("Basic realm=\"{SERVICE}\""),
                    "HTTP Basic credentials required",
                )),
            },
            OciAuth::Token { username, .. } => {
                let scope = route.scope();
                if let Some(token) = bearer(req) {
                    if self.granted(token, scope.as_deref(), req.now) {
                        return Ok(format!("bearer:{username}"));
                    }
                }
                let host = header(req.headers, "host").unwrap_or("127.0.0.1");
                let mut challenge =
                    format!("Bearer realm=\"http://{host}{TOKEN_PATH}\",service=\"{SERVICE}\"");
                if let Some(scope) = &scope {
                    challenge.push_str(&format!(",scope=\"{scope}\""));
                }
                if bearer(req).is_some() {
                    challenge.push_str(",error=\"insufficient_scope\"");
                }
                Err(unauthorized(
                    challenge,
                    "a bearer token for the scope is required",
                ))
            }
        }
    }

    fn throttled(&self, retry_after_secs: u64, _req: &Request<'_>) -> Reply {
        error(
            429,
            "TOOMANYREQUESTS",
            "too many requests",
            "retry after the Retry-After delay",
        )
        .header("retry-after", retry_after_secs.to_string())
    }

    fn server_error(&self, status: u16, _req: &Request<'_>) -> Reply {
        error(status, "UNKNOWN", "unknown error", "injected server error")
    }

    fn serve(&self, route: &OciOp, data: &Data<'_>, req: &Request<'_>) -> Reply {
        match route {
            OciOp::Token => self.token(req),
            _ => serve::read(&data.read(), route, req),
        }
    }

    fn finish(&self, reply: Reply, _req: &Request<'_>) -> Reply {
        reply.header(
            "docker-distribution-api-version",
            "registry/2.0".to_string(),
        )
    }
}

impl OciApi {
    /// `GET /oci/token?service=&scope=…` with Basic credentials: a bearer token for the scopes.
    fn token(&self, req: &Request<'_>) -> Reply {
        let OciAuth::Token { username, password } = &self.auth else {
            return error(
                404,
                "UNSUPPORTED",
                "token authentication is not enabled",
                "the emulator's OCI API is not configured for the token flow",
            );
        };
        match basic_credentials(req) {
            Some((u, p)) if same(&u, username) && same(&p, password) => {}
            _ => {
                return unauthorized(
                    format!("Basic realm=\"{SERVICE}\""),
                    "the token endpoint needs HTTP Basic credentials",
                )
            }
        }
        let scopes: Vec<String> = req
            .query()
            .into_iter()
            .filter(|(k, _)| k == "scope")
            .flat_map(|(_, v)| v.split(' ').map(str::to_string).collect::<Vec<_>>())
            .filter(|s| !s.is_empty())
            .collect();
        let (token, expires_in) = self.grant(scopes, req.now, req.request_id);
        Reply::json(
            200,
            &json!({
                "token": token,
                "access_token": token,
                "expires_in": expires_in,
                "issued_at": req.now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let g = Method::GET;
        assert_eq!(OciOp::parse(&g, "/v2/"), Some(OciOp::Base));
        assert_eq!(OciOp::parse(&g, "/v2"), Some(OciOp::Base));
        assert_eq!(OciOp::parse(&g, "/v2/_catalog"), Some(OciOp::Catalog));
        assert_eq!(
            OciOp::parse(&g, "/v2/acme-prod/payments/api/tags/list"),
            Some(OciOp::Tags("acme-prod/payments/api".into()))
        );
        assert_eq!(
            OciOp::parse(&Method::HEAD, "/v2/a/b/manifests/sha256:00"),
            Some(OciOp::Manifest("a/b".into(), "sha256:00".into()))
        );
        assert_eq!(
            OciOp::parse(&g, "/v2/a/blobs/sha256:11"),
            Some(OciOp::Blob("a".into(), "sha256:11".into()))
        );
        assert_eq!(OciOp::parse(&g, "/oci/token"), Some(OciOp::Token));
        assert_eq!(
            OciOp::parse(&Method::PUT, "/v2/a/manifests/x"),
            Some(OciOp::Unknown)
        );
        assert_eq!(OciOp::parse(&g, "/v2x"), None);
        assert_eq!(OciOp::parse(&g, "/elsewhere"), None);
    }
}
