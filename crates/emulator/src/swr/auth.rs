//! SWR request authentication: an IAM token, or `SDK-HMAC-SHA256` checked with the Huawei
//! backend's own signing code.

use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use percent_encoding::percent_decode_str;
use reginv_core::{AccessKeyPair, SecretString};
use reginv_huawei::signing::{
    canonical_headers, canonical_query, encode, parse_sdk_date, query_pairs, signature,
    signed_header_values, string_to_sign, Authorization, AUTH_TOKEN_HEADER, DATE_HEADER,
    EMPTY_BODY_SHA256,
};
use sha2::{Digest, Sha256};

use crate::api::{header, same};

/// SWR's allowed clock difference, in seconds (15 minutes).
const SWR_MAX_SKEW_SECS: i64 = 15 * 60;

/// The credential name used for SWR token authentication in fault keys and rate limits.
pub(crate) const TOKEN_CREDENTIAL: &str = "token";

/// The header a signer sets to say which payload hash it signed.
const CONTENT_SHA256_HEADER: &str = "x-sdk-content-sha256";

/// The payload hash a signer may sign instead of the body's.
const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// The request as received, for SWR verification.
pub(crate) struct SwrRequest<'a> {
    pub(crate) method: &'a str,
    pub(crate) raw_path: &'a str,
    pub(crate) raw_query: Option<&'a str>,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
}

/// Verifies an SWR request: the configured `X-Auth-Token`, or `SDK-HMAC-SHA256` over the request
/// as received. Returns the credential name (the access key, or `token`), or why it was rejected.
pub(crate) fn verify_swr(
    credentials: &AccessKeyPair,
    token: &SecretString,
    request: &SwrRequest<'_>,
    now: DateTime<Utc>,
) -> Result<String, String> {
    if let Some(given) = header(request.headers, AUTH_TOKEN_HEADER) {
        return if !token.is_empty() && same(given, token.expose()) {
            Ok(TOKEN_CREDENTIAL.to_string())
        } else {
            Err("the X-Auth-Token is not valid".to_string())
        };
    }
    let auth = header(request.headers, "authorization")
        .ok_or_else(|| "missing Authorization header".to_string())?;
    let auth = Authorization::parse(auth)
        .ok_or_else(|| "the Authorization header is not SDK-HMAC-SHA256".to_string())?;
    let date_text = header(request.headers, DATE_HEADER)
        .ok_or_else(|| format!("missing {DATE_HEADER} header"))?;
    let date = parse_sdk_date(date_text)
        .ok_or_else(|| format!("{DATE_HEADER} is not YYYYMMDDTHHMMSSZ"))?;
    if (now - date).num_seconds().abs() > SWR_MAX_SKEW_SECS {
        return Err(format!(
            "{DATE_HEADER} is more than 15 minutes away from server time"
        ));
    }
    if !auth.signed_headers.iter().any(|h| h == DATE_HEADER) {
        return Err(format!("{DATE_HEADER} is not a signed header"));
    }
    if !same(&auth.access, &credentials.access_key) {
        return Err("unknown access key".to_string());
    }
    let signed = signed_header_values(request.headers, &auth.signed_headers);
    let given = auth.signature.to_ascii_lowercase();
    let matches = payload_hashes(request, &auth.signed_headers)
        .iter()
        .any(|payload| {
            let canonical = canonical_request(request, &signed, payload);
            let expected = signature(
                &credentials.secret_key,
                &string_to_sign(date_text.trim(), &canonical),
            );
            same(&given, &expected)
        });
    if !matches {
        return Err("signature mismatch".to_string());
    }
    Ok(auth.access)
}

/// The canonical URI as the official SDKs' signer builds it: the whole path percent-decoded,
/// *then* split on `/`, each segment encoded, with a trailing `/`. A `%2F` inside a segment is
/// therefore signed as a `/` (a segment boundary), as the real gateway expects.
fn canonical_uri(raw_path: &str) -> String {
    let decoded = percent_decode_str(raw_path).decode_utf8_lossy();
    let mut uri = decoded.split('/').map(encode).collect::<Vec<_>>().join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// The payload hashes a signature may have been taken over: the body's (the empty body's for
/// none), and `UNSIGNED-PAYLOAD` when the signer signed `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD`
/// for a body (the SDKs do for non-JSON bodies).
fn payload_hashes(request: &SwrRequest<'_>, signed_headers: &[String]) -> Vec<String> {
    let mut hashes = vec![if request.body.is_empty() {
        EMPTY_BODY_SHA256.to_string()
    } else {
        hex::encode(Sha256::digest(request.body))
    }];
    let unsigned_payload = signed_headers.iter().any(|h| h == CONTENT_SHA256_HEADER)
        && header(request.headers, CONTENT_SHA256_HEADER)
            .is_some_and(|v| v.trim() == UNSIGNED_PAYLOAD);
    if unsigned_payload {
        hashes.push(UNSIGNED_PAYLOAD.to_string());
    }
    hashes
}

/// `METHOD \n uri \n query \n headers \n signed-headers \n payload-hash`.
fn canonical_request(
    request: &SwrRequest<'_>,
    signed: &[(String, String)],
    payload_hash: &str,
) -> String {
    let (header_block, signed_names) = canonical_headers(signed);
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        request.method.to_ascii_uppercase(),
        canonical_uri(request.raw_path),
        canonical_query(&query_pairs(request.raw_query)),
        header_block,
        signed_names,
        payload_hash
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use chrono::TimeZone;

    #[test]
    fn swr_reference_vector_verifies() {
        let creds = AccessKeyPair::new("AccessKey", "SecretKey");
        let mut h = HeaderMap::new();
        h.insert(
            "host",
            HeaderValue::from_static("swr-api.ap-southeast-1.myhuaweicloud.com"),
        );
        h.insert(DATE_HEADER, HeaderValue::from_static("20261122T120000Z"));
        h.insert(
            "x-project-id",
            HeaderValue::from_static("0123456789abcdef0123456789abcdef"),
        );
        h.insert(
            "authorization",
            HeaderValue::from_static(
                "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=host;x-project-id;x-sdk-date, \
                 Signature=59d4c108d2ef062a78397994263bd8108be3bc22ad6fce51b224a4e4dfa7eb8e",
            ),
        );
        let req = SwrRequest {
            method: "GET",
            raw_path: "/v2/manage/namespaces/group/repos/team$app/tags",
            raw_query: Some("limit=100&offset=0"),
            headers: &h,
            body: b"",
        };
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 10, 0).unwrap();
        assert_eq!(
            verify_swr(&creds, &SecretString::new("t"), &req, now).unwrap(),
            "AccessKey"
        );
        let stale = Utc.with_ymd_and_hms(2026, 11, 22, 12, 16, 0).unwrap();
        assert!(verify_swr(&creds, &SecretString::new("t"), &req, stale).is_err());
        let other_query = SwrRequest {
            raw_query: Some("limit=100&offset=100"),
            ..req
        };
        assert!(verify_swr(&creds, &SecretString::new("t"), &other_query, now).is_err());
    }
}
