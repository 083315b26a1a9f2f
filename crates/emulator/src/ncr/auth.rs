//! NCP signature v2 verification, with the NCR backend's own signing code.

use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use reginv_core::AccessKeyPair;
use reginv_ncp::signing::{NcpSigner, ACCESS_KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};

use crate::api::{header, same};

/// NCR's allowed clock difference, in milliseconds (5 minutes).
const NCP_MAX_SKEW_MS: i64 = 5 * 60 * 1000;

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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

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
}
