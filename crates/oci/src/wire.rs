//! Exactly what an OCI Distribution registry sends (private to this backend).

use std::collections::BTreeMap;

use serde::Deserialize;

/// `GET /v2/_catalog`.
#[derive(Debug, Deserialize)]
pub(crate) struct Catalog {
    #[serde(default)]
    pub repositories: Option<Vec<String>>,
}

/// `GET /v2/<name>/tags/list` (`tags` is `null` for a repository without tags).
#[derive(Debug, Deserialize)]
pub(crate) struct TagList {
    #[serde(default)]
    pub tags: Option<Vec<String>>,
}

/// A content descriptor (config, layer, or an index entry).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Descriptor {
    #[serde(default)]
    pub media_type: Option<String>,
    #[serde(default)]
    pub digest: Option<String>,
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(default)]
    pub platform: Option<WirePlatform>,
    #[serde(default)]
    pub annotations: Option<BTreeMap<String, String>>,
}

/// The platform of an index entry.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct WirePlatform {
    #[serde(default)]
    pub os: Option<String>,
    #[serde(default)]
    pub architecture: Option<String>,
    #[serde(default)]
    pub variant: Option<String>,
    #[serde(default, rename = "os.version")]
    pub os_version: Option<String>,
}

/// An image manifest or an image index / manifest list (the fields of both).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Manifest {
    #[serde(default)]
    pub media_type: Option<String>,
    #[serde(default)]
    pub config: Option<Descriptor>,
    #[serde(default)]
    pub layers: Vec<Descriptor>,
    #[serde(default)]
    pub manifests: Option<Vec<Descriptor>>,
}

/// The image configuration blob (only what reginv reads).
#[derive(Debug, Deserialize)]
pub(crate) struct ImageConfig {
    #[serde(default)]
    pub created: Option<String>,
}

/// `{"errors": [{"code", "message", "detail"}]}`.
#[derive(Debug, Deserialize)]
pub(crate) struct ErrorBody {
    #[serde(default)]
    pub errors: Vec<WireError>,
}

/// One entry of an error body.
#[derive(Debug, Deserialize)]
pub(crate) struct WireError {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub detail: Option<serde_json::Value>,
}

/// A token server's answer (`token`, or OAuth2's `access_token`).
#[derive(Deserialize)]
pub(crate) struct TokenResponse {
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub access_token: Option<String>,
    #[serde(default)]
    pub expires_in: Option<u64>,
}
