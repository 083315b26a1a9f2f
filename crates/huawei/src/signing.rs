//! Huawei Cloud API Gateway AK/SK signing, `SDK-HMAC-SHA256`, and token authentication.
//!
//! ```text
//! canonical_request = METHOD \n canonical_uri \n canonical_query \n canonical_headers \n
//!                     signed_headers \n hex(sha256(body))
//! string_to_sign    = "SDK-HMAC-SHA256" \n X-Sdk-Date \n hex(sha256(canonical_request))
//! signature         = hex(HMAC-SHA256(SK, string_to_sign))
//! Authorization: SDK-HMAC-SHA256 Access={AK}, SignedHeaders={signed_headers}, Signature={signature}
//! ```
//!
//! - `canonical_uri`: each path segment percent-decoded and re-encoded (unreserved
//!   `A-Z a-z 0-9 - _ . ~` kept, everything else `%XY`, so `$` becomes `%24`), with a trailing
//!   `/` appended for signing only.
//! - `canonical_query`: parameters sorted by key (repeated keys by value), each encoded the same way.
//! - `canonical_headers`: each signed header as `name:trimmed-value\n`, names lower-case and sorted;
//!   `signed_headers` joins the names with `;`. [`HuaweiSigner`] signs `host`, `x-sdk-date`, and
//!   `x-project-id` / `x-security-token` / `content-type` when they are sent.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use reginv_core::AccessKeyPair;
//! use reginv_huawei::signing::HuaweiSigner;
//!
//! let signer = HuaweiSigner::aksk(AccessKeyPair::new("AccessKey", "SecretKey"));
//! let url = url::Url::parse("https://service.endpoint.myhuaweicloud.com/resources?size=1").unwrap();
//! let date = Utc.with_ymd_and_hms(2020, 6, 8, 2, 39, 0).unwrap();
//! let auth = signer.authorization("GET", &url, &[], b"", date).unwrap();
//! assert!(auth.ends_with("Signature=cfb4171acec81de07d50e53d57eb77edd537414d66ddb1d7d780f128e12cd842"));
//! ```

use std::fmt;

use chrono::{DateTime, NaiveDateTime, Utc};
use hmac::{Hmac, Mac};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reginv_core::http::{HeaderMap, HeaderValue, SignableRequest};
use reginv_core::{AccessKeyPair, Error, RequestSigner, Result, SecretString};
use sha2::{Digest, Sha256};
use url::Url;

/// The algorithm name in `Authorization` and the string to sign.
pub const ALGORITHM: &str = "SDK-HMAC-SHA256";
/// The date header, `YYYYMMDDTHHMMSSZ`.
pub const DATE_HEADER: &str = "x-sdk-date";
/// The project header.
pub const PROJECT_HEADER: &str = "x-project-id";
/// The temporary-credentials token header.
pub const SECURITY_TOKEN_HEADER: &str = "x-security-token";
/// The IAM token header (token authentication instead of AK/SK).
pub const AUTH_TOKEN_HEADER: &str = "x-auth-token";
/// The `X-Sdk-Date` format.
pub const DATE_FORMAT: &str = "%Y%m%dT%H%M%SZ";
/// The hash of an empty body.
pub const EMPTY_BODY_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Headers [`HuaweiSigner`] signs, besides `host` and `x-sdk-date`, when they are sent.
const OPTIONAL_SIGNED_HEADERS: [&str; 3] = ["content-type", PROJECT_HEADER, SECURITY_TOKEN_HEADER];

/// Everything but the unreserved characters `A-Z a-z 0-9 - _ . ~` is percent-encoded.
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes `text` as the signature wants (upper-case `%XY`, unreserved kept).
pub fn encode(text: &str) -> String {
    utf8_percent_encode(text, ENCODE).to_string()
}

/// The canonical URI of a request path as sent: segments decoded and re-encoded, trailing `/`.
pub fn canonical_uri(path: &str) -> String {
    let mut out = path
        .split('/')
        .map(|segment| encode(&percent_decode_str(segment).decode_utf8_lossy()))
        .collect::<Vec<_>>()
        .join("/");
    if !out.ends_with('/') {
        out.push('/');
    }
    out
}

/// The decoded `(key, value)` pairs of a raw query string (`+` is a space, as in form encoding).
pub fn query_pairs(raw_query: Option<&str>) -> Vec<(String, String)> {
    match raw_query {
        Some(q) => url::form_urlencoded::parse(q.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
        None => Vec::new(),
    }
}

/// The canonical query: pairs sorted by key then value, encoded, joined with `&`.
pub fn canonical_query(pairs: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = pairs.iter().collect();
    sorted.sort();
    sorted
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The canonical headers block and the signed-headers list of `headers` (name, value) pairs.
/// Names are lower-cased and sorted; values trimmed; a repeated name contributes every value.
pub fn canonical_headers(headers: &[(String, String)]) -> (String, String) {
    let mut lowered: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    lowered.sort();
    let mut block = String::new();
    let mut names: Vec<&str> = Vec::new();
    for (k, v) in &lowered {
        block.push_str(k);
        block.push(':');
        block.push_str(v);
        block.push('\n');
        if names.last() != Some(&k.as_str()) {
            names.push(k);
        }
    }
    (block, names.join(";"))
}

/// The canonical request and its signed-headers list.
pub fn canonical_request(
    method: &str,
    path: &str,
    query: &[(String, String)],
    headers: &[(String, String)],
    body: &[u8],
) -> (String, String) {
    let (header_block, signed) = canonical_headers(headers);
    let canonical = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        method.to_ascii_uppercase(),
        canonical_uri(path),
        canonical_query(query),
        header_block,
        signed,
        hex::encode(Sha256::digest(body))
    );
    (canonical, signed)
}

/// The string to sign for a canonical request at `sdk_date` (`YYYYMMDDTHHMMSSZ`).
pub fn string_to_sign(sdk_date: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{sdk_date}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    )
}

/// The hex signature of `string_to_sign` with the secret key.
pub fn signature(secret_key: &SecretString, string_to_sign: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret_key.expose().as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(string_to_sign.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Formats a time as `X-Sdk-Date`.
pub fn format_sdk_date(date: DateTime<Utc>) -> String {
    date.format(DATE_FORMAT).to_string()
}

/// Parses an `X-Sdk-Date` value.
pub fn parse_sdk_date(value: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(value.trim(), DATE_FORMAT)
        .ok()
        .map(|n| n.and_utc())
}

/// The parts of an `Authorization: SDK-HMAC-SHA256 …` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The access key.
    pub access: String,
    /// The signed header names, lower-case, in the order given.
    pub signed_headers: Vec<String>,
    /// The hex signature.
    pub signature: String,
}

impl Authorization {
    /// Parses `SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex`; `None` when the
    /// value is not of that form.
    pub fn parse(value: &str) -> Option<Authorization> {
        let rest = value.trim().strip_prefix(ALGORITHM)?;
        let (mut access, mut signed, mut sig) = (None, None, None);
        for part in rest.split(',') {
            let (k, v) = part.trim().split_once('=')?;
            match k.trim() {
                "Access" => access = Some(v.trim().to_string()),
                "SignedHeaders" => {
                    signed = Some(
                        v.trim()
                            .split(';')
                            .map(|s| s.trim().to_ascii_lowercase())
                            .filter(|s| !s.is_empty())
                            .collect(),
                    )
                }
                "Signature" => sig = Some(v.trim().to_string()),
                _ => return None,
            }
        }
        Some(Authorization {
            access: access?,
            signed_headers: signed?,
            signature: sig?,
        })
    }
}

/// How requests to SWR authenticate.
#[derive(Clone)]
enum Auth {
    AkSk {
        credentials: AccessKeyPair,
        security_token: Option<SecretString>,
    },
    Token(SecretString),
}

/// Signs SWR requests with AK/SK (optionally temporary, with a security token), or
/// authenticates them with an IAM token. Adds `X-Project-Id` when a project id is set.
#[derive(Clone)]
pub struct HuaweiSigner {
    auth: Auth,
    project_id: Option<String>,
}

impl fmt::Debug for HuaweiSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("HuaweiSigner");
        match &self.auth {
            Auth::AkSk {
                credentials,
                security_token,
            } => {
                s.field("credentials", credentials);
                s.field("security_token", &security_token.as_ref().map(|_| "***"));
            }
            Auth::Token(_) => {
                s.field("token", &"***");
            }
        }
        s.field("project_id", &self.project_id).finish()
    }
}

impl HuaweiSigner {
    /// AK/SK signing.
    pub fn aksk(credentials: AccessKeyPair) -> Self {
        HuaweiSigner {
            auth: Auth::AkSk {
                credentials,
                security_token: None,
            },
            project_id: None,
        }
    }

    /// AK/SK signing with temporary credentials: `X-Security-Token` is sent and signed.
    pub fn temporary(credentials: AccessKeyPair, security_token: SecretString) -> Self {
        HuaweiSigner {
            auth: Auth::AkSk {
                credentials,
                security_token: Some(security_token),
            },
            project_id: None,
        }
    }

    /// IAM token authentication (`X-Auth-Token`), no signature.
    pub fn token(token: SecretString) -> Self {
        HuaweiSigner {
            auth: Auth::Token(token),
            project_id: None,
        }
    }

    /// Sends `X-Project-Id` with every request.
    pub fn with_project_id(mut self, project_id: impl Into<String>) -> Self {
        self.project_id = Some(project_id.into());
        self
    }

    /// The `Authorization` value for a request to `url` whose signed headers (besides `host`,
    /// which is taken from `url` unless `headers` names it) are `headers`, at `date`.
    /// `headers` must include `x-sdk-date`. Fails for token authentication.
    pub fn authorization(
        &self,
        method: &str,
        url: &Url,
        headers: &[(String, String)],
        body: &[u8],
        date: DateTime<Utc>,
    ) -> Result<String> {
        let Auth::AkSk { credentials, .. } = &self.auth else {
            return Err(Error::config("token authentication does not sign requests"));
        };
        let mut signed: Vec<(String, String)> = headers.to_vec();
        if !signed.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
            signed.push(("host".into(), host_of(url)?));
        }
        if !signed
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(DATE_HEADER))
        {
            signed.push((DATE_HEADER.into(), format_sdk_date(date)));
        }
        Ok(authorization_for(
            credentials,
            method,
            url,
            &signed,
            body,
            &format_sdk_date(date),
        ))
    }

    /// Adds the authentication headers to `request` as of `date`.
    pub fn sign_at(&self, request: &mut SignableRequest, date: DateTime<Utc>) -> Result<()> {
        if let Some(project) = &self.project_id {
            request
                .headers
                .insert(PROJECT_HEADER, header_value(project, "project id")?);
        }
        match &self.auth {
            Auth::Token(token) => {
                request.headers.insert(
                    AUTH_TOKEN_HEADER,
                    header_value(token.expose(), "IAM token")?,
                );
                Ok(())
            }
            Auth::AkSk {
                credentials,
                security_token,
            } => {
                if let Some(token) = security_token {
                    request.headers.insert(
                        SECURITY_TOKEN_HEADER,
                        header_value(token.expose(), "security token")?,
                    );
                }
                let sdk_date = format_sdk_date(date);
                request
                    .headers
                    .insert(DATE_HEADER, header_value(&sdk_date, "date")?);
                let mut signed = vec![("host".to_string(), host_of(&request.url)?)];
                signed.push((DATE_HEADER.to_string(), sdk_date.clone()));
                for name in OPTIONAL_SIGNED_HEADERS {
                    for value in request.headers.get_all(name) {
                        let value = value.to_str().map_err(|_| {
                            Error::config(format!("header {name} is not printable text"))
                        })?;
                        signed.push((name.to_string(), value.to_string()));
                    }
                }
                let auth = authorization_for(
                    credentials,
                    request.method.as_str(),
                    &request.url,
                    &signed,
                    &request.body,
                    &sdk_date,
                );
                request
                    .headers
                    .insert("authorization", header_value(&auth, "authorization")?);
                Ok(())
            }
        }
    }
}

fn authorization_for(
    credentials: &AccessKeyPair,
    method: &str,
    url: &Url,
    signed: &[(String, String)],
    body: &[u8],
    sdk_date: &str,
) -> String {
    let (canonical, signed_names) =
        canonical_request(method, url.path(), &query_pairs(url.query()), signed, body);
    let sig = signature(
        &credentials.secret_key,
        &string_to_sign(sdk_date, &canonical),
    );
    format!(
        "{ALGORITHM} Access={}, SignedHeaders={signed_names}, Signature={sig}",
        credentials.access_key
    )
}

/// The `Host` header value a client sends for `url` (`host` or `host:port` for a non-default port).
pub fn host_of(url: &Url) -> Result<String> {
    let host = url
        .host_str()
        .ok_or_else(|| Error::config(format!("URL {url} has no host")))?;
    Ok(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    })
}

fn header_value(value: &str, what: &str) -> Result<HeaderValue> {
    HeaderValue::from_str(value).map_err(|_| {
        Error::config(format!(
            "the {what} contains characters not allowed in an HTTP header"
        ))
    })
}

impl RequestSigner for HuaweiSigner {
    fn sign(&self, request: &mut SignableRequest) -> Result<()> {
        self.sign_at(request, Utc::now())
    }
}

/// Reads headers as `(lower-case name, value)` pairs for the names listed, for verifying a
/// received request (a missing header is an empty value).
pub fn signed_header_values(headers: &HeaderMap, names: &[String]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for name in names {
        let mut any = false;
        for value in headers.get_all(name.as_str()) {
            any = true;
            out.push((
                name.clone(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            ));
        }
        if !any {
            out.push((name.clone(), String::new()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use reginv_core::http::Method;

    fn signer() -> HuaweiSigner {
        HuaweiSigner::aksk(AccessKeyPair::new("AccessKey", "SecretKey"))
    }

    fn date(s: &str) -> DateTime<Utc> {
        parse_sdk_date(s).unwrap()
    }

    fn sig_of(auth: &str) -> &str {
        auth.rsplit("Signature=").next().unwrap()
    }

    #[test]
    fn vector_get() {
        let url =
            Url::parse("https://service.endpoint.myhuaweicloud.com/resources?size=1").unwrap();
        let auth = signer()
            .authorization("GET", &url, &[], b"", date("20200608T023900Z"))
            .unwrap();
        assert_eq!(
            auth,
            "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=host;x-sdk-date, \
             Signature=cfb4171acec81de07d50e53d57eb77edd537414d66ddb1d7d780f128e12cd842"
        );
    }

    #[test]
    fn vector_post_with_body() {
        let url =
            Url::parse("https://service.endpoint.myhuaweicloud.com/resources?size=1").unwrap();
        let auth = signer()
            .authorization(
                "POST",
                &url,
                &[],
                br#"{"name":"test","id":1}"#,
                date("20200608T023900Z"),
            )
            .unwrap();
        assert!(auth.contains("SignedHeaders=host;x-sdk-date,"));
        assert_eq!(
            sig_of(&auth),
            "436b1ac0a1ae03705934bb70ef2f2e09f7bfed2117d731a38235053199323a1f"
        );
    }

    #[test]
    fn vector_swr_tags_with_dollar_and_project() {
        let url = Url::parse(
            "https://swr-api.ap-southeast-1.myhuaweicloud.com/v2/manage/namespaces/group/repos/team$app/tags?limit=100&offset=0",
        )
        .unwrap();
        let signer = signer().with_project_id("0123456789abcdef0123456789abcdef");
        let mut req = SignableRequest::new(Method::GET, url, HeaderMap::new(), Vec::new());
        signer.sign_at(&mut req, date("20261122T120000Z")).unwrap();
        let auth = req.headers["authorization"].to_str().unwrap();
        assert!(
            auth.contains("SignedHeaders=host;x-project-id;x-sdk-date,"),
            "{auth}"
        );
        assert_eq!(
            sig_of(auth),
            "59d4c108d2ef062a78397994263bd8108be3bc22ad6fce51b224a4e4dfa7eb8e"
        );
        assert_eq!(req.headers[DATE_HEADER], "20261122T120000Z");
        assert_eq!(
            req.headers[PROJECT_HEADER],
            "0123456789abcdef0123456789abcdef"
        );
        // The path is sent with `$`, signed with `%24`.
        assert!(req.url.path().contains("team$app"));
    }

    #[test]
    fn vector_only_the_date_header_signed() {
        let url = Url::parse("https://example.huaweicloud.com/path?limit=1").unwrap();
        let (canonical, signed) = canonical_request(
            "GET",
            url.path(),
            &query_pairs(url.query()),
            &[(DATE_HEADER.into(), "20060102T150405Z".into())],
            b"",
        );
        assert_eq!(signed, "x-sdk-date");
        let sig = signature(
            &SecretString::new("SecretKey"),
            &string_to_sign("20060102T150405Z", &canonical),
        );
        assert_eq!(
            sig,
            "5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624"
        );
    }

    #[test]
    fn canonical_query_vector() {
        let pairs: Vec<(String, String)> = [
            ("path", "/tmp/123"),
            ("test", "一 (&=?!#%.*)"),
            ("multi", "3"),
            ("multi", "1"),
            ("multi", "2"),
            ("enable", "true"),
            ("limit", "1"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(
            canonical_query(&pairs),
            "enable=true&limit=1&multi=1&multi=2&multi=3&path=%2Ftmp%2F123&test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29"
        );
    }

    #[test]
    fn canonical_uri_encodes_segments_and_appends_a_slash() {
        assert_eq!(canonical_uri("/v2/manage/repos"), "/v2/manage/repos/");
        assert_eq!(canonical_uri("/a/team$app/tags"), "/a/team%24app/tags/");
        assert_eq!(canonical_uri("/a/b%20c/"), "/a/b%20c/");
        assert_eq!(canonical_uri(""), "/");
    }

    #[test]
    fn parses_authorization_headers() {
        let a = Authorization::parse(
            "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-date, Signature=abc",
        )
        .unwrap();
        assert_eq!(a.access, "AK");
        assert_eq!(a.signed_headers, vec!["host", "x-sdk-date"]);
        assert_eq!(a.signature, "abc");
        assert!(Authorization::parse("Bearer x").is_none());
        assert!(Authorization::parse("SDK-HMAC-SHA256 Access=AK").is_none());
        assert!(Authorization::parse("SDK-HMAC-SHA256 garbage").is_none());
    }

    #[test]
    fn token_and_temporary_credentials() {
        let url = Url::parse("https://swr-api.x.myhuaweicloud.com/v2/manage/namespaces").unwrap();
        let mut req = SignableRequest::new(Method::GET, url.clone(), HeaderMap::new(), Vec::new());
        HuaweiSigner::token(SecretString::new("tok"))
            .sign_at(&mut req, Utc::now())
            .unwrap();
        assert_eq!(req.headers[AUTH_TOKEN_HEADER], "tok");
        assert!(req.headers.get("authorization").is_none());

        let temp = HuaweiSigner::temporary(
            AccessKeyPair::new("AK", "SK"),
            SecretString::new("sts-token"),
        );
        let mut req = SignableRequest::new(Method::GET, url, HeaderMap::new(), Vec::new());
        temp.sign_at(&mut req, Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap())
            .unwrap();
        assert_eq!(req.headers[SECURITY_TOKEN_HEADER], "sts-token");
        let auth = req.headers["authorization"].to_str().unwrap();
        assert!(
            auth.contains("SignedHeaders=host;x-sdk-date;x-security-token,"),
            "{auth}"
        );
        let debug = format!("{temp:?}");
        assert!(
            !debug.contains("sts-token") && !debug.contains("\"SK\""),
            "{debug}"
        );
    }

    #[test]
    fn sdk_dates_round_trip() {
        let d = Utc.with_ymd_and_hms(2020, 6, 8, 2, 39, 0).unwrap();
        assert_eq!(format_sdk_date(d), "20200608T023900Z");
        assert_eq!(parse_sdk_date("20200608T023900Z"), Some(d));
        assert_eq!(parse_sdk_date("yesterday"), None);
    }
}
