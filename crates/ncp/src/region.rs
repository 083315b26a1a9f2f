//! NCR regions: which host and path prefix a region's API lives under.

use std::fmt;
use std::str::FromStr;

use reginv_core::{Error, Result};

/// The public API gateway host of the commercial regions.
pub const PUBLIC_ENDPOINT: &str = "https://ncr.apigw.ntruss.com";
/// The API gateway host of the government cloud.
pub const GOV_ENDPOINT: &str = "https://gov-ncr.apigw.gov-ntruss.com";

/// An NCR region. Each region has its own path prefix under its gateway host.
///
/// ```
/// use reginv_ncp::NcpRegion;
///
/// let region = NcpRegion::parse("sgn")?;
/// assert_eq!(region.path_prefix(), "/ncr/sgn-api/v2");
/// assert_eq!(region.default_endpoint(), "https://ncr.apigw.ntruss.com");
/// assert!(NcpRegion::parse("mars").is_err());
/// # Ok::<(), reginv_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum NcpRegion {
    /// Korea (`kr`): `/ncr/api/v2`.
    Kr,
    /// Singapore (`sgn`): `/ncr/sgn-api/v2`.
    Sgn,
    /// Japan (`jpn`): `/ncr/jpn-api/v2`.
    Jpn,
    /// Government cloud, Korea (`gov-kr`): `/ncr/kr/v2` on the government gateway.
    GovKr,
    /// Government cloud, Korea South (`gov-krs`): `/ncr/krs/v2` on the government gateway.
    GovKrs,
}

impl NcpRegion {
    /// Every region, in the order of [`NcpRegion::as_str`]'s valid values.
    pub const ALL: [NcpRegion; 5] = [
        NcpRegion::Kr,
        NcpRegion::Sgn,
        NcpRegion::Jpn,
        NcpRegion::GovKr,
        NcpRegion::GovKrs,
    ];

    /// Parses a region name (`kr`, `sgn`, `jpn`, `gov-kr`, `gov-krs`; case-insensitive, `_`
    /// accepted for `-`). Anything else is an [`InvalidConfig`](reginv_core::ErrorKind::InvalidConfig)
    /// error listing the valid names.
    pub fn parse(s: &str) -> Result<NcpRegion> {
        let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
        NcpRegion::ALL
            .into_iter()
            .find(|r| r.as_str() == wanted)
            .ok_or_else(|| {
                let valid: Vec<&str> = NcpRegion::ALL.iter().map(|r| r.as_str()).collect();
                Error::config(format!(
                    "unknown NCP region {s:?}; valid regions are {}",
                    valid.join(", ")
                ))
            })
    }

    /// The region's name as configured and reported (`kr`, `sgn`, `jpn`, `gov-kr`, `gov-krs`).
    pub fn as_str(&self) -> &'static str {
        match self {
            NcpRegion::Kr => "kr",
            NcpRegion::Sgn => "sgn",
            NcpRegion::Jpn => "jpn",
            NcpRegion::GovKr => "gov-kr",
            NcpRegion::GovKrs => "gov-krs",
        }
    }

    /// The gateway host serving this region (scheme included, no trailing slash).
    pub fn default_endpoint(&self) -> &'static str {
        match self {
            NcpRegion::Kr | NcpRegion::Sgn | NcpRegion::Jpn => PUBLIC_ENDPOINT,
            NcpRegion::GovKr | NcpRegion::GovKrs => GOV_ENDPOINT,
        }
    }

    /// The path prefix of the region's API v2 (no trailing slash).
    pub fn path_prefix(&self) -> &'static str {
        match self {
            NcpRegion::Kr => "/ncr/api/v2",
            NcpRegion::Sgn => "/ncr/sgn-api/v2",
            NcpRegion::Jpn => "/ncr/jpn-api/v2",
            NcpRegion::GovKr => "/ncr/kr/v2",
            NcpRegion::GovKrs => "/ncr/krs/v2",
        }
    }
}

impl fmt::Display for NcpRegion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for NcpRegion {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        NcpRegion::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reginv_core::ErrorKind;

    #[test]
    fn every_region_round_trips_and_has_its_prefix() {
        let expected = [
            ("kr", "/ncr/api/v2", PUBLIC_ENDPOINT),
            ("sgn", "/ncr/sgn-api/v2", PUBLIC_ENDPOINT),
            ("jpn", "/ncr/jpn-api/v2", PUBLIC_ENDPOINT),
            ("gov-kr", "/ncr/kr/v2", GOV_ENDPOINT),
            ("gov-krs", "/ncr/krs/v2", GOV_ENDPOINT),
        ];
        for (name, prefix, endpoint) in expected {
            let region = NcpRegion::parse(name).unwrap();
            assert_eq!(region.as_str(), name);
            assert_eq!(region.to_string(), name);
            assert_eq!(region.path_prefix(), prefix);
            assert_eq!(region.default_endpoint(), endpoint);
        }
        assert_eq!(NcpRegion::parse(" KR ").unwrap(), NcpRegion::Kr);
        assert_eq!(NcpRegion::parse("GOV_KRS").unwrap(), NcpRegion::GovKrs);
        assert_eq!("jpn".parse::<NcpRegion>().unwrap(), NcpRegion::Jpn);
    }

    #[test]
    fn an_unknown_region_lists_the_valid_ones() {
        let err = NcpRegion::parse("ap-southeast-1").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig);
        let text = err.to_string();
        assert!(text.contains("ap-southeast-1"), "{text}");
        assert!(text.contains("kr, sgn, jpn, gov-kr, gov-krs"), "{text}");
    }
}
