//! The URLs of NCR API v2 operations, built so that they are sent (and signed) exactly as
//! written: every path segment is percent-encoded (an image `team/app` becomes `team%2Fapp`),
//! and the query is `page=N&pagesize=M`.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reginv_core::http::Url;
use reginv_core::{Error, Result};

use crate::region::NcpRegion;

/// Everything but the unreserved characters `A-Z a-z 0-9 - . _ ~` is encoded (so `/` → `%2F`).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one path segment (`team/app` → `team%2Fapp`).
pub fn encode_segment(segment: &str) -> String {
    utf8_percent_encode(segment, SEGMENT).to_string()
}

/// The base URL of one region's API (`https://ncr.apigw.ntruss.com/ncr/api/v2`) and the URLs of
/// its operations.
///
/// ```
/// use reginv_ncp::{NcpRegion, paths::ApiBase};
///
/// let api = ApiBase::new(NcpRegion::Kr, None)?;
/// assert_eq!(
///     api.tags("my-reg", "hello/world", 2, 10)?.as_str(),
///     "https://ncr.apigw.ntruss.com/ncr/api/v2/repositories/my-reg/hello%2Fworld/tags?page=2&pagesize=10"
/// );
/// # Ok::<(), reginv_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiBase {
    base: String,
}

impl ApiBase {
    /// The API base of `region`, on `endpoint` when given (its path is kept; the region's prefix
    /// is appended unless the path already ends with it), else on the region's gateway.
    pub fn new(region: NcpRegion, endpoint: Option<&str>) -> Result<ApiBase> {
        let prefix = region.path_prefix();
        let Some(endpoint) = endpoint.map(str::trim) else {
            return Ok(ApiBase {
                base: format!("{}{prefix}", region.default_endpoint()),
            });
        };
        let url = Url::parse(endpoint)
            .map_err(|e| Error::config(format!("NCP endpoint {endpoint:?} is not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(Error::config(format!(
                "NCP endpoint {endpoint:?} must be an http(s) URL with a host"
            )));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Error::config(format!(
                "NCP endpoint {endpoint:?} must not carry a query or fragment"
            )));
        }
        let root = url.as_str().trim_end_matches('/');
        let base = if url.path().trim_end_matches('/').ends_with(prefix) {
            root.to_string()
        } else {
            format!("{root}{prefix}")
        };
        Ok(ApiBase { base })
    }

    /// The base URL as text, without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> Result<Url> {
        let text = format!("{}{path}", self.base);
        Url::parse(&text).map_err(|e| Error::config(format!("could not build URL {text:?}: {e}")))
    }

    /// `GET /repositories?page=&pagesize=`: list registries.
    pub fn registries(&self, page: u64, size: u32) -> Result<Url> {
        self.url(&format!("/repositories?page={page}&pagesize={size}"))
    }

    /// `/repositories/{registry}`: list a registry's images (GET) or create it (POST).
    pub fn registry(&self, registry: &str) -> Result<Url> {
        self.url(&format!("/repositories/{}", encode_segment(registry)))
    }

    /// `GET /repositories/{registry}?page=&pagesize=`: list a registry's images.
    pub fn images(&self, registry: &str, page: u64, size: u32) -> Result<Url> {
        self.url(&format!(
            "/repositories/{}?page={page}&pagesize={size}",
            encode_segment(registry)
        ))
    }

    /// `GET /repositories/{registry}/{image}`: image detail.
    pub fn image(&self, registry: &str, image: &str) -> Result<Url> {
        self.url(&format!(
            "/repositories/{}/{}",
            encode_segment(registry),
            encode_segment(image)
        ))
    }

    /// `GET /repositories/{registry}/{image}/tags?page=&pagesize=`: list tags.
    pub fn tags(&self, registry: &str, image: &str, page: u64, size: u32) -> Result<Url> {
        self.url(&format!(
            "/repositories/{}/{}/tags?page={page}&pagesize={size}",
            encode_segment(registry),
            encode_segment(image)
        ))
    }

    /// `GET /repositories/{registry}/{image}/tags/{reference}`: tag detail.
    pub fn tag(&self, registry: &str, image: &str, reference: &str) -> Result<Url> {
        self.url(&format!(
            "/repositories/{}/{}/tags/{}",
            encode_segment(registry),
            encode_segment(image),
            encode_segment(reference)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::NcpSigner;
    use reginv_core::http::{HeaderMap, Method, SignableRequest};
    use reginv_core::AccessKeyPair;

    #[test]
    fn region_bases_and_endpoint_overrides() {
        let cases = [
            (
                NcpRegion::Kr,
                None,
                "https://ncr.apigw.ntruss.com/ncr/api/v2",
            ),
            (
                NcpRegion::Sgn,
                None,
                "https://ncr.apigw.ntruss.com/ncr/sgn-api/v2",
            ),
            (
                NcpRegion::Jpn,
                None,
                "https://ncr.apigw.ntruss.com/ncr/jpn-api/v2",
            ),
            (
                NcpRegion::GovKr,
                None,
                "https://gov-ncr.apigw.gov-ntruss.com/ncr/kr/v2",
            ),
            (
                NcpRegion::GovKrs,
                None,
                "https://gov-ncr.apigw.gov-ntruss.com/ncr/krs/v2",
            ),
            (
                NcpRegion::Sgn,
                Some("http://127.0.0.1:8080"),
                "http://127.0.0.1:8080/ncr/sgn-api/v2",
            ),
            (
                NcpRegion::Kr,
                Some("http://127.0.0.1:8080/"),
                "http://127.0.0.1:8080/ncr/api/v2",
            ),
            (
                NcpRegion::Kr,
                Some("https://proxy.example/ncp"),
                "https://proxy.example/ncp/ncr/api/v2",
            ),
            (
                NcpRegion::Jpn,
                Some("https://proxy.example/ncr/jpn-api/v2/"),
                "https://proxy.example/ncr/jpn-api/v2",
            ),
        ];
        for (region, endpoint, expected) in cases {
            assert_eq!(ApiBase::new(region, endpoint).unwrap().as_str(), expected);
        }
        for bad in ["not a url", "ftp://host", "https://h/?q=1"] {
            let err = ApiBase::new(NcpRegion::Kr, Some(bad)).unwrap_err();
            assert_eq!(err.kind(), reginv_core::ErrorKind::InvalidConfig, "{bad}");
        }
    }

    #[test]
    fn every_operation_url() {
        let api = ApiBase::new(NcpRegion::Kr, Some("http://127.0.0.1:9")).unwrap();
        let b = "http://127.0.0.1:9/ncr/api/v2";
        assert_eq!(
            api.registries(1, 100).unwrap().as_str(),
            format!("{b}/repositories?page=1&pagesize=100")
        );
        assert_eq!(
            api.registry("reg").unwrap().as_str(),
            format!("{b}/repositories/reg")
        );
        assert_eq!(
            api.images("reg", 3, 7).unwrap().as_str(),
            format!("{b}/repositories/reg?page=3&pagesize=7")
        );
        assert_eq!(
            api.image("reg", "team/app").unwrap().as_str(),
            format!("{b}/repositories/reg/team%2Fapp")
        );
        assert_eq!(
            api.tag("reg", "a/b/c", "v1.0").unwrap().as_str(),
            format!("{b}/repositories/reg/a%2Fb%2Fc/tags/v1.0")
        );
        assert_eq!(encode_segment("a b/ü~_.-"), "a%20b%2F%C3%BC~_.-");
    }

    #[test]
    fn the_url_keeps_2f_and_the_signature_matches_the_vector() {
        let api = ApiBase::new(NcpRegion::Kr, None).unwrap();
        let url = api.tags("my-reg", "hello/world", 2, 10).unwrap();
        assert_eq!(
            url.path(),
            "/ncr/api/v2/repositories/my-reg/hello%2Fworld/tags"
        );
        let mut req = SignableRequest::new(Method::GET, url, HeaderMap::new(), Vec::new());
        let signer = NcpSigner::new(AccessKeyPair::new(
            "AKIAEXAMPLEACCESSKEY",
            "SECRETEXAMPLEKEY1234567890",
        ));
        signer.sign_at(&mut req, 1505290625682).unwrap();
        assert_eq!(
            req.headers[crate::signing::SIGNATURE_HEADER],
            "lRfqfjRIrJ+zmTyKiTX+OikgKf6G0A+lBd7HwZAz6Dg="
        );
        let first = api.registries(1, 100).unwrap();
        let mut req = SignableRequest::new(Method::GET, first, HeaderMap::new(), Vec::new());
        signer.sign_at(&mut req, 1505290625682).unwrap();
        assert_eq!(
            req.headers[crate::signing::SIGNATURE_HEADER],
            "Z24B51NnzIsM7TUTjRJNffK0oosKDG2sNke7AcTSxXk="
        );
    }
}
