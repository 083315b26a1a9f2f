//! Normalized models: what every provider's listings are mapped into.
//!
//! The structs are `#[non_exhaustive]` so fields can be added without breaking users: build them
//! with their `new` constructors and then set the public fields. Times are UTC and serialize as
//! RFC 3339 with a `Z` suffix; anything a provider may not say is an `Option`; provider-specific
//! fields live in `extra` so nothing a provider returned is lost.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Provider-specific fields that have no normalized home, keyed by the vendor's field name.
pub type Extra = BTreeMap<String, serde_json::Value>;

/// Which registry API a row came from: an open, string-backed kind (as `http::Method` is), so a
/// new backend never changes how existing data deserializes. Serializes as its lower-case name
/// (`"ncp"`, `"huawei"`, `"oci"`, or the name of a provider implemented outside reginv).
///
/// ```
/// use reginv_core::ProviderKind;
///
/// assert_eq!(ProviderKind::from_name("NCP"), ProviderKind::NCP);
/// assert_eq!(ProviderKind::new("acme").as_str(), "acme");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProviderKind(Cow<'static, str>);

impl ProviderKind {
    /// NAVER Cloud Platform Container Registry (NCR), API v2.
    pub const NCP: ProviderKind = ProviderKind(Cow::Borrowed("ncp"));
    /// Huawei Cloud SoftWare Repository for Container (SWR).
    pub const HUAWEI: ProviderKind = ProviderKind(Cow::Borrowed("huawei"));
    /// Any registry that speaks the OCI Distribution API.
    pub const OCI: ProviderKind = ProviderKind(Cow::Borrowed("oci"));

    const BUILT_IN: [ProviderKind; 3] =
        [ProviderKind::NCP, ProviderKind::HUAWEI, ProviderKind::OCI];

    /// A kind named `name`, lower-cased (the same as [`ProviderKind::from_name`]).
    pub fn new(name: impl AsRef<str>) -> Self {
        Self::from_name(name.as_ref())
    }

    /// The lower-case name used in output and configuration (`ncp`, `huawei`, `oci`, or a
    /// custom name).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Parses a provider name, case-insensitively; any name is a kind.
    pub fn from_name(name: &str) -> Self {
        let lower = name.to_ascii_lowercase();
        Self::BUILT_IN
            .into_iter()
            .find(|kind| kind.as_str() == lower)
            .unwrap_or(ProviderKind(Cow::Owned(lower)))
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for ProviderKind {
    fn schema_name() -> Cow<'static, str> {
        "ProviderKind".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "The provider's lower-case name: `ncp`, `huawei`, `oci`, or a custom provider's.",
            "examples": ["ncp", "huawei", "oci"]
        })
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ProviderKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ProviderKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name: Cow<'de, str> = Deserialize::deserialize(deserializer)?;
        Ok(ProviderKind::from_name(&name))
    }
}

/// A configured account/region: where rows come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Source {
    /// The user's label for this account/region (e.g. `ncp-kr`); appears in every output row.
    pub name: String,
    /// Which registry API this source speaks.
    pub provider: ProviderKind,
    /// The vendor's region identifier (NCP `kr` / `sgn` / `jpn`; SWR e.g. `ap-southeast-1`).
    pub region: String,
    /// The API endpoint the source talks to (the vendor's, or an override such as the emulator).
    pub endpoint: String,
}

impl Source {
    /// Creates a source description.
    pub fn new(
        name: impl Into<String>,
        provider: ProviderKind,
        region: impl Into<String>,
        endpoint: impl Into<String>,
    ) -> Self {
        Source {
            name: name.into(),
            provider,
            region: region.into(),
            endpoint: endpoint.into(),
        }
    }
}

/// The top-level grouping of repositories: an NCR registry or an SWR namespace (organization).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Registry {
    /// The source label ([`Source::name`]) this registry was listed from.
    pub source: String,
    /// The provider this registry belongs to.
    pub provider: ProviderKind,
    /// The region of the source.
    pub region: String,
    /// The registry (NCR) or namespace (SWR) name.
    pub name: String,
    /// Whether anonymous users may pull from it, when the provider says.
    pub public: Option<bool>,
    /// Whether images pushed to it are scanned for vulnerabilities automatically, when the
    /// provider says.
    pub scan_on_push: Option<bool>,
    /// The registry's state as the provider names it, lower-case (NCR `running`, or
    /// `disconnected` when its storage bucket is gone); `None` when the provider does not say.
    pub status: Option<String>,
    /// The host (and path prefix) a container client pulls from, when the provider says.
    pub pull_endpoint: Option<String>,
    /// When the registry was created, when the provider says.
    pub created_at: Option<DateTime<Utc>>,
    /// Provider-specific fields.
    #[serde(default)]
    pub extra: Extra,
}

impl Registry {
    /// Creates a registry row of `source` with only its name set.
    pub fn new(source: &Source, name: impl Into<String>) -> Self {
        Registry {
            source: source.name.clone(),
            provider: source.provider.clone(),
            region: source.region.clone(),
            name: name.into(),
            public: None,
            scan_on_push: None,
            status: None,
            pull_endpoint: None,
            created_at: None,
            extra: Extra::new(),
        }
    }
}

/// One image repository.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Repository {
    /// The source label ([`Source::name`]) this repository was listed from.
    pub source: String,
    /// The provider this repository belongs to.
    pub provider: ProviderKind,
    /// The region of the source.
    pub region: String,
    /// The registry (NCR) or namespace (SWR) that holds it.
    pub registry: String,
    /// The repository name inside its registry; may contain `/` (`team/app`).
    pub name: String,
    /// `registry/name`.
    pub full_name: String,
    /// What to give `docker pull` (without a tag), when known.
    pub pull_uri: Option<String>,
    /// The short description, when the provider has one.
    pub description: Option<String>,
    /// Whether anonymous users may pull it, when the provider says.
    pub public: Option<bool>,
    /// Whether its tags are immutable (a pushed tag cannot be overwritten), when the provider
    /// says. Some providers say it only in a repository's details, fetched when asked.
    pub tag_immutable: Option<bool>,
    /// How many tags the provider says it has.
    pub tag_count: Option<u64>,
    /// Total size in bytes, as the provider reports it.
    pub size_bytes: Option<u64>,
    /// How many times it was pulled, as the provider reports it.
    pub pull_count: Option<u64>,
    /// When it was created.
    pub created_at: Option<DateTime<Utc>>,
    /// When it was last updated.
    pub updated_at: Option<DateTime<Utc>>,
    /// Its tags: `None` when tags were not listed, `Some` (possibly empty) when they were.
    /// A listing that carries only tag names (SWR) fills names only.
    pub tags: Option<Vec<Tag>>,
    /// Provider-specific fields.
    #[serde(default)]
    pub extra: Extra,
}

impl Repository {
    /// Creates a repository row of `source` in `registry`; `full_name` is derived.
    pub fn new(source: &Source, registry: impl Into<String>, name: impl Into<String>) -> Self {
        let registry = registry.into();
        let name = name.into();
        Repository {
            source: source.name.clone(),
            provider: source.provider.clone(),
            region: source.region.clone(),
            full_name: format!("{registry}/{name}"),
            registry,
            name,
            pull_uri: None,
            description: None,
            public: None,
            tag_immutable: None,
            tag_count: None,
            size_bytes: None,
            pull_count: None,
            created_at: None,
            updated_at: None,
            tags: None,
            extra: Extra::new(),
        }
    }
}

/// One tag of a repository.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Tag {
    /// The tag name (`latest`, `1.2.3`).
    pub name: String,
    /// The manifest (or manifest list) digest, `sha256:…`.
    pub digest: Option<String>,
    /// Size in bytes, as the provider reports it.
    pub size_bytes: Option<u64>,
    /// When it was pushed first.
    pub created_at: Option<DateTime<Utc>>,
    /// When it was last updated.
    pub updated_at: Option<DateTime<Utc>>,
    /// When it was last pulled, when the provider tracks it.
    pub last_pulled_at: Option<DateTime<Utc>>,
    /// Whether the image was scanned for vulnerabilities, when the provider says.
    pub scanned: Option<bool>,
    /// The media type of the manifest the tag points at, when the provider says.
    pub media_type: Option<String>,
    /// Whether the tag points at an image index / manifest list (a multi-platform image),
    /// when the provider says.
    pub is_index: Option<bool>,
    /// The images of a multi-platform tag, one per platform (empty when not reported).
    #[serde(default)]
    pub platforms: Vec<Platform>,
    /// Provider-specific fields.
    #[serde(default)]
    pub extra: Extra,
}

impl Tag {
    /// Creates a tag with only its name set.
    pub fn new(name: impl Into<String>) -> Self {
        Tag {
            name: name.into(),
            digest: None,
            size_bytes: None,
            created_at: None,
            updated_at: None,
            last_pulled_at: None,
            scanned: None,
            media_type: None,
            is_index: None,
            platforms: Vec::new(),
            extra: Extra::new(),
        }
    }
}

/// One platform image of a (possibly multi-platform) tag.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Platform {
    /// Operating system (`linux`, `windows`).
    pub os: Option<String>,
    /// CPU architecture (`amd64`, `arm64`).
    pub architecture: Option<String>,
    /// Architecture variant (`v8`), when any.
    pub variant: Option<String>,
    /// The platform image's digest.
    pub digest: Option<String>,
    /// Size in bytes.
    pub size_bytes: Option<u64>,
    /// The image's media type.
    pub media_type: Option<String>,
    /// Provider-specific fields.
    #[serde(default)]
    pub extra: Extra,
}

impl Platform {
    /// Creates a platform entry with nothing set.
    pub fn new() -> Self {
        Platform::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn source() -> Source {
        Source::new(
            "swr-ap",
            ProviderKind::HUAWEI,
            "ap-southeast-1",
            "https://x",
        )
    }

    #[test]
    fn provider_kind_serializes_lower_case_and_round_trips() {
        for (kind, text) in [
            (ProviderKind::NCP, "\"ncp\""),
            (ProviderKind::HUAWEI, "\"huawei\""),
            (ProviderKind::new("acme"), "\"acme\""),
            (ProviderKind::OCI, "\"oci\""),
        ] {
            assert_eq!(serde_json::to_string(&kind).unwrap(), text);
            assert_eq!(serde_json::from_str::<ProviderKind>(text).unwrap(), kind);
        }
        assert_eq!(ProviderKind::from_name("NCP"), ProviderKind::NCP);
    }

    #[test]
    fn times_serialize_as_rfc3339_with_z() {
        let mut repo = Repository::new(&source(), "group", "team/app");
        repo.created_at = Some(Utc.with_ymd_and_hms(2021, 6, 10, 3, 24, 44).unwrap());
        let json = serde_json::to_value(&repo).unwrap();
        assert_eq!(json["created_at"], "2021-06-10T03:24:44Z");
        assert_eq!(json["full_name"], "group/team/app");
        assert_eq!(json["provider"], "huawei");
        assert_eq!(json["tags"], serde_json::Value::Null);
        let back: Repository = serde_json::from_value(json).unwrap();
        assert_eq!(back, repo);
    }

    #[test]
    fn extra_keeps_provider_fields() {
        let mut tag = Tag::new("latest");
        tag.extra.insert("tag_type".into(), serde_json::json!(1));
        let json = serde_json::to_value(&tag).unwrap();
        assert_eq!(json["extra"]["tag_type"], 1);
        assert_eq!(json["platforms"], serde_json::json!([]));
    }
}
