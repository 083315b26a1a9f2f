//! Manifests: what is asked for, how the digest is checked, and what a manifest says.

use reginv_core::{Error, Result};
use sha2::{Digest, Sha256};

use crate::errors::printable;
use crate::wire::Manifest;

/// The OCI image index media type.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// The OCI image manifest media type.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// The Docker manifest list media type.
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// The Docker image manifest (schema 2) media type.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// The `Accept` header of manifest requests: every index and manifest type reginv reads.
pub const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
     application/vnd.oci.image.manifest.v1+json, \
     application/vnd.docker.distribution.manifest.list.v2+json, \
     application/vnd.docker.distribution.manifest.v2+json";

/// The largest manifest read (the registries' own limit is 4 MiB).
pub const MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;

/// Whether `media_type` is an image index or manifest list.
pub fn is_index(media_type: &str) -> bool {
    media_type == OCI_INDEX || media_type == DOCKER_LIST
}

/// A manifest as fetched: its digest (checked), its media type and its content.
#[derive(Debug)]
pub(crate) struct Fetched {
    pub digest: String,
    pub media_type: Option<String>,
    pub manifest: Manifest,
}

impl Fetched {
    /// Whether this is an index / manifest list.
    pub fn is_index(&self) -> bool {
        match &self.media_type {
            Some(mt) => is_index(mt),
            None => self.manifest.manifests.is_some() && self.manifest.config.is_none(),
        }
    }

    /// config + layers, for an image manifest (`None` when a size is missing).
    pub fn image_size(&self) -> Option<u64> {
        let config = self.manifest.config.as_ref()?.size?;
        self.manifest
            .layers
            .iter()
            .try_fold(config, |sum, layer| sum.checked_add(layer.size?))
    }
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Decodes a manifest response. The digest is `Docker-Content-Digest` when the registry sent
/// one (checked against the bytes when it is sha256: a mismatch is a protocol error), else the
/// sha256 of the bytes.
pub(crate) fn decode(
    body: &[u8],
    header_digest: Option<&str>,
    content_type: Option<&str>,
) -> Result<Fetched> {
    if body.len() > MAX_MANIFEST_BYTES {
        return Err(Error::protocol(format!(
            "the manifest is {} bytes, more than the {MAX_MANIFEST_BYTES} a registry may serve",
            body.len()
        )));
    }
    let computed = sha256_digest(body);
    let digest = match header_digest.map(str::trim).filter(|d| !d.is_empty()) {
        Some(header) if header.starts_with("sha256:") && header != computed => {
            return Err(Error::protocol(format!(
                "the manifest's bytes hash to {computed}, not to the digest the registry \
                 announced ({})",
                printable(header)
            )))
        }
        Some(header) => printable(header),
        None => computed,
    };
    let manifest: Manifest = serde_json::from_slice(body)
        .map_err(|e| Error::decode(format!("the manifest is not the JSON expected: {e}")))?;
    let from_header = content_type
        .and_then(|ct| ct.split(';').next())
        .map(str::trim)
        .filter(|ct| ct.starts_with("application/vnd."));
    let media_type = manifest
        .media_type
        .as_deref()
        .or(from_header)
        .map(printable);
    Ok(Fetched {
        digest,
        media_type,
        manifest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const IMAGE: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
        "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:c","size":10},
        "layers":[{"digest":"sha256:l1","size":100},{"digest":"sha256:l2","size":1000}]}"#;

    #[test]
    fn image_size_is_config_plus_layers_and_digest_is_computed() {
        let f = decode(IMAGE.as_bytes(), None, None).unwrap();
        assert_eq!(f.image_size(), Some(1110));
        assert_eq!(f.digest, sha256_digest(IMAGE.as_bytes()));
        assert!(!f.is_index());
        assert_eq!(f.media_type.as_deref(), Some(OCI_MANIFEST));
    }

    #[test]
    fn a_wrong_announced_digest_is_refused() {
        let err = decode(IMAGE.as_bytes(), Some("sha256:00"), None).unwrap_err();
        assert_eq!(err.kind(), reginv_core::ErrorKind::Protocol);
        let right = sha256_digest(IMAGE.as_bytes());
        assert_eq!(
            decode(IMAGE.as_bytes(), Some(&right), None).unwrap().digest,
            right
        );
    }

    #[test]
    fn the_media_type_comes_from_the_header_when_the_body_has_none() {
        let list = r#"{"schemaVersion":2,"manifests":[{"digest":"sha256:a","size":5,
            "platform":{"os":"linux","architecture":"arm64","variant":"v8"}}]}"#;
        let f = decode(
            list.as_bytes(),
            None,
            Some(&format!("{DOCKER_LIST}; charset=utf-8")),
        )
        .unwrap();
        assert!(f.is_index());
        assert_eq!(f.media_type.as_deref(), Some(DOCKER_LIST));
        assert_eq!(f.image_size(), None);
    }

    #[test]
    fn oversized_or_broken_manifests_are_errors() {
        assert!(decode(&vec![b' '; MAX_MANIFEST_BYTES + 1], None, None).is_err());
        assert!(decode(b"[1,2", None, None).is_err());
    }
}
