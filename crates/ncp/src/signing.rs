//! NCP API Gateway signature v2.
//!
//! Every request carries three headers: `x-ncp-apigw-timestamp` (Unix epoch milliseconds),
//! `x-ncp-iam-access-key`, and `x-ncp-apigw-signature-v2`, the base64 (standard, padded) of
//! HMAC-SHA256, keyed by the secret key, over
//!
//! ```text
//! METHOD + " " + path_and_query + "\n" + timestamp + "\n" + access_key
//! ```
//!
//! where `path_and_query` is the request target exactly as sent (percent-encoding preserved, so
//! `%2F` stays `%2F`; the query with its `?`). There is no body hash and no header
//! canonicalisation. The gateway rejects timestamps more than 5 minutes off its clock.
//!
//! ```
//! use reginv_core::AccessKeyPair;
//! use reginv_ncp::signing::NcpSigner;
//!
//! let signer = NcpSigner::new(AccessKeyPair::new("AKIAEXAMPLEACCESSKEY", "SECRETEXAMPLEKEY1234567890"));
//! let signature = signer.signature("GET", "/ncr/api/v2/repositories", 1505290625682);
//! assert_eq!(signature, "iEvTxBGBQf/Bc5LCMbRz48Yr0SU704KgeRW/7VMISXI=");
//! ```

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hmac::{Hmac, Mac};
use reginv_core::http::{HeaderValue, SignableRequest};
use reginv_core::{AccessKeyPair, Error, RequestSigner, Result};
use sha2::Sha256;

/// The timestamp header (epoch milliseconds).
pub const TIMESTAMP_HEADER: &str = "x-ncp-apigw-timestamp";
/// The access key header.
pub const ACCESS_KEY_HEADER: &str = "x-ncp-iam-access-key";
/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-ncp-apigw-signature-v2";

/// The text that is signed: `METHOD path_and_query\ntimestamp\naccess_key`.
pub fn string_to_sign(
    method: &str,
    path_and_query: &str,
    timestamp_ms: u64,
    access_key: &str,
) -> String {
    format!("{method} {path_and_query}\n{timestamp_ms}\n{access_key}")
}

/// Signs requests with NCP signature v2.
#[derive(Debug, Clone)]
pub struct NcpSigner {
    credentials: AccessKeyPair,
}

impl NcpSigner {
    /// A signer for `credentials`.
    pub fn new(credentials: AccessKeyPair) -> Self {
        NcpSigner { credentials }
    }

    /// The access key id this signer signs for.
    pub fn access_key(&self) -> &str {
        &self.credentials.access_key
    }

    /// The signature of `METHOD path_and_query` at `timestamp_ms`.
    pub fn signature(&self, method: &str, path_and_query: &str, timestamp_ms: u64) -> String {
        let text = string_to_sign(
            method,
            path_and_query,
            timestamp_ms,
            &self.credentials.access_key,
        );
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac =
            Hmac::<Sha256>::new_from_slice(self.credentials.secret_key.expose().as_bytes())
                .expect("HMAC takes keys of any length");
        mac.update(text.as_bytes());
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    }

    /// Adds the three signature headers to `request` for `timestamp_ms`.
    pub fn sign_at(&self, request: &mut SignableRequest, timestamp_ms: u64) -> Result<()> {
        let signature = self.signature(
            request.method.as_str(),
            &request.path_and_query(),
            timestamp_ms,
        );
        let headers = &mut request.headers;
        headers.insert(TIMESTAMP_HEADER, HeaderValue::from(timestamp_ms));
        headers.insert(
            ACCESS_KEY_HEADER,
            header_value(&self.credentials.access_key, "access key")?,
        );
        headers.insert(SIGNATURE_HEADER, header_value(&signature, "signature")?);
        Ok(())
    }
}

fn header_value(value: &str, what: &str) -> Result<HeaderValue> {
    HeaderValue::from_str(value).map_err(|_| {
        Error::config(format!(
            "the {what} contains characters not allowed in an HTTP header"
        ))
    })
}

/// Milliseconds since the Unix epoch now.
pub fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl RequestSigner for NcpSigner {
    fn sign(&self, request: &mut SignableRequest) -> Result<()> {
        self.sign_at(request, now_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reginv_core::http::{HeaderMap, Method, Url};

    const TS: u64 = 1505290625682;

    fn signer() -> NcpSigner {
        NcpSigner::new(AccessKeyPair::new(
            "AKIAEXAMPLEACCESSKEY",
            "SECRETEXAMPLEKEY1234567890",
        ))
    }

    #[test]
    fn pinned_to_the_reference_vectors() {
        let vectors = [
            (
                "/ncr/api/v2/repositories",
                "iEvTxBGBQf/Bc5LCMbRz48Yr0SU704KgeRW/7VMISXI=",
            ),
            (
                "/ncr/api/v2/repositories?page=1&pagesize=100",
                "Z24B51NnzIsM7TUTjRJNffK0oosKDG2sNke7AcTSxXk=",
            ),
            (
                "/ncr/api/v2/repositories/my-reg/hello%2Fworld/tags?page=2&pagesize=10",
                "lRfqfjRIrJ+zmTyKiTX+OikgKf6G0A+lBd7HwZAz6Dg=",
            ),
        ];
        for (target, expected) in vectors {
            assert_eq!(signer().signature("GET", target, TS), expected, "{target}");
        }
    }

    #[test]
    fn signs_the_target_exactly_as_sent() {
        let url = Url::parse(
            "https://ncr.apigw.ntruss.com/ncr/api/v2/repositories/my-reg/hello%2Fworld/tags?page=2&pagesize=10",
        )
        .unwrap();
        let mut req = SignableRequest::new(Method::GET, url, HeaderMap::new(), Vec::new());
        signer().sign_at(&mut req, TS).unwrap();
        assert_eq!(req.headers[TIMESTAMP_HEADER], "1505290625682");
        assert_eq!(req.headers[ACCESS_KEY_HEADER], "AKIAEXAMPLEACCESSKEY");
        assert_eq!(
            req.headers[SIGNATURE_HEADER],
            "lRfqfjRIrJ+zmTyKiTX+OikgKf6G0A+lBd7HwZAz6Dg="
        );
    }

    #[test]
    fn string_to_sign_layout() {
        assert_eq!(
            string_to_sign("GET", "/a?b=1", 5, "AK"),
            "GET /a?b=1\n5\nAK"
        );
    }

    #[test]
    fn debug_hides_the_secret() {
        assert!(!format!("{:?}", signer()).contains("SECRETEXAMPLEKEY"));
    }
}
