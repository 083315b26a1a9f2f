//! Checking the vendors' request authentication, with the backends' own signing code.

use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use reginv_core::{AccessKeyPair, SecretString};
use reginv_huawei::signing::{
    canonical_request, parse_sdk_date, signature, signed_header_values, string_to_sign,
    Authorization, AUTH_TOKEN_HEADER, DATE_HEADER,
};
use reginv_ncp::signing::{NcpSigner, ACCESS_KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};

/// NCR's allowed clock difference, in milliseconds (5 minutes).
pub(crate) const NCP_MAX_SKEW_MS: i64 = 5 * 60 * 1000;
/// SWR's allowed clock difference, in seconds (15 minutes).
pub(crate) const SWR_MAX_SKEW_SECS: i64 = 15 * 60;

/// The credential name used for SWR token authentication in fault keys and rate windows.
pub(crate) const TOKEN_CREDENTIAL: &str = "token";

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Compares without stopping at the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Verifies NCP signature v2 over `path_and_query` exactly as received. Returns the access key,
/// or why the request was rejected.
pub(crate) fn verify_ncp(
    credentials: &AccessKeyPair,
    method: &str,
    path_and_query: &str,
    headers: &HeaderMap,
    now: DateTime<Utc>,
) -> Result<String, String> {
    let timestamp = header(headers, TIMESTAMP_HEADER)
        .ok_or_else(|| format!("missing {TIMESTAMP_HEADER} header"))?;
    let access_key = header(headers, ACCESS_KEY_HEADER)
        .ok_or_else(|| format!("missing {ACCESS_KEY_HEADER} header"))?;
    let given = header(headers, SIGNATURE_HEADER)
        .ok_or_else(|| format!("missing {SIGNATURE_HEADER} header"))?;
    let timestamp: u64 = timestamp
        .trim()
        .parse()
        .map_err(|_| format!("{TIMESTAMP_HEADER} is not epoch milliseconds"))?;
    let skew = (now.timestamp_millis() - timestamp.min(i64::MAX as u64) as i64).abs();
    if skew > NCP_MAX_SKEW_MS {
        return Err(format!(
            "{TIMESTAMP_HEADER} is {}s away from server time (limit 300s)",
            skew / 1000
        ));
    }
    if !same(access_key, &credentials.access_key) {
        return Err("unknown access key".to_string());
    }
    let expected = NcpSigner::new(credentials.clone()).signature(method, path_and_query, timestamp);
    if !same(given, &expected) {
        return Err("signature mismatch".to_string());
    }
    Ok(access_key.to_string())
}

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
    let (canonical, _) = canonical_request(
        request.method,
        request.raw_path,
        &reginv_huawei::signing::query_pairs(request.raw_query),
        &signed,
        request.body,
    );
    let expected = signature(
        &credentials.secret_key,
        &string_to_sign(date_text.trim(), &canonical),
    );
    if !same(&auth.signature.to_ascii_lowercase(), &expected) {
        return Err("signature mismatch".to_string());
    }
    Ok(auth.access)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use chrono::TimeZone;

    #[test]
    fn ncp_reference_vector_verifies() {
        let creds = AccessKeyPair::new("AKIAEXAMPLEACCESSKEY", "SECRETEXAMPLEKEY1234567890");
        let mut h = HeaderMap::new();
        h.insert(TIMESTAMP_HEADER, HeaderValue::from_static("1505290625682"));
        h.insert(
            ACCESS_KEY_HEADER,
            HeaderValue::from_static("AKIAEXAMPLEACCESSKEY"),
        );
        h.insert(
            SIGNATURE_HEADER,
            HeaderValue::from_static("lRfqfjRIrJ+zmTyKiTX+OikgKf6G0A+lBd7HwZAz6Dg="),
        );
        let target = "/ncr/api/v2/repositories/my-reg/hello%2Fworld/tags?page=2&pagesize=10";
        let at = DateTime::from_timestamp_millis(1505290625682 + 60_000).unwrap();
        assert!(verify_ncp(&creds, "GET", target, &h, at).is_ok());
        // The decoded path is a different target.
        let decoded = "/ncr/api/v2/repositories/my-reg/hello/world/tags?page=2&pagesize=10";
        assert!(verify_ncp(&creds, "GET", decoded, &h, at).is_err());
        let late = DateTime::from_timestamp_millis(1505290625682 + 301_000).unwrap();
        assert!(verify_ncp(&creds, "GET", target, &h, late)
            .unwrap_err()
            .contains("server time"));
    }

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
