//! The OCI view of a fixture: one repository `registry/name` per NCR image (all regions) and per
//! SWR repository (`namespace/name`), and for each tag the exact bytes of its image manifest or
//! index, of the platform manifests and of the image configs, with their digests.
//!
//! Content depends only on what an image is (platforms, sizes, creation time), not on the tag's
//! name, so tags of one image (`latest` and `v2.14.1` pushed together) share a digest, as on a
//! real registry. The layer sizes are chosen so that config + layers = the fixture's size.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::fixture::{Fixture, NcpTag, SwrTag};

/// The media types, by family.
pub(crate) const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub(crate) const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
const DOCKER_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
pub(crate) const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub(crate) const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// One platform of an image.
#[derive(Debug, Clone)]
struct Platform {
    os: String,
    architecture: String,
    variant: Option<String>,
    size: u64,
    created: DateTime<Utc>,
}

/// A tag as the OCI view needs it.
#[derive(Debug, Clone)]
pub(crate) struct OciTag {
    pub(crate) name: String,
    platforms: Vec<Platform>,
    /// OCI media types (else Docker's).
    oci: bool,
    /// An index even with one platform (SWR `tag_type` 1).
    index: bool,
}

/// A stored object: its media type and exact bytes.
#[derive(Debug, Clone)]
pub(crate) struct Blob {
    pub(crate) media_type: &'static str,
    pub(crate) bytes: Vec<u8>,
}

impl Blob {
    fn new(media_type: &'static str, value: &Value) -> Blob {
        Blob {
            media_type,
            bytes: serde_json::to_vec(value).unwrap_or_default(),
        }
    }

    /// `sha256:<hex>` of the bytes.
    pub(crate) fn digest(&self) -> String {
        digest_of(&self.bytes)
    }
}

fn digest_of(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Every OCI repository name of the fixture, sorted (byte order, as Distribution's catalog).
/// An NCR registry and an SWR namespace with the same name share repository names: the first
/// (NCR, regions in key order) wins.
pub(crate) fn repository_names(fixture: &Fixture) -> Vec<String> {
    let mut names = BTreeSet::new();
    for reg in fixture.ncp.values().flatten() {
        for image in &reg.images {
            names.insert(format!("{}/{}", reg.name, image.name));
        }
    }
    for ns in &fixture.swr.namespaces {
        for repo in &ns.repos {
            names.insert(format!("{}/{}", ns.name, repo.name));
        }
    }
    names.into_iter().collect()
}

/// The tags of repository `name`, in fixture order; `None` when there is no such repository.
pub(crate) fn tags_of(fixture: &Fixture, name: &str) -> Option<Vec<OciTag>> {
    let (registry, rest) = name.split_once('/')?;
    for reg in fixture
        .ncp
        .values()
        .flatten()
        .filter(|r| r.name == registry)
    {
        if let Some(image) = reg.images.iter().find(|i| i.name == rest) {
            return Some(image.tags.iter().map(ncr_tag).collect());
        }
    }
    let ns = fixture.swr.namespaces.iter().find(|n| n.name == registry)?;
    let repo = ns.repos.iter().find(|r| r.name == rest)?;
    Some(repo.tags.iter().map(swr_tag).collect())
}

fn millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

fn ncr_tag(tag: &NcpTag) -> OciTag {
    let mut platforms: Vec<Platform> = tag
        .images
        .iter()
        .map(|p| Platform {
            os: if p.os.is_empty() {
                "linux".into()
            } else {
                p.os.clone()
            },
            architecture: p.architecture.clone(),
            variant: p.variant.clone().filter(|v| !v.is_empty()),
            size: p.size,
            created: millis(p.created),
        })
        .collect();
    if platforms.is_empty() {
        platforms.push(Platform {
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: None,
            size: tag.full_size,
            created: millis(tag.created),
        });
    }
    OciTag {
        name: tag.name.clone(),
        oci: tag.images.iter().any(|p| p.media_type.contains(".oci.")),
        index: platforms.len() > 1,
        platforms,
    }
}

fn swr_tag(tag: &SwrTag) -> OciTag {
    let manifest: Value = serde_json::from_str(&tag.manifest).unwrap_or(Value::Null);
    let oci = manifest["mediaType"]
        .as_str()
        .is_some_and(|m| m.contains(".oci."));
    let listed: Vec<&Value> = manifest["manifests"]
        .as_array()
        .map(|m| m.iter().collect())
        .unwrap_or_default();
    let index = tag.tag_type == 1;
    let count = if index { listed.len().max(1) } else { 1 };
    let share = tag.size / count as u64;
    let platforms = (0..count)
        .map(|i| {
            let p = listed.get(i).map_or(&Value::Null, |m| &m["platform"]);
            Platform {
                os: p["os"].as_str().unwrap_or("linux").to_string(),
                architecture: p["architecture"].as_str().unwrap_or("amd64").to_string(),
                variant: p["variant"].as_str().map(str::to_string),
                size: share,
                created: tag.created,
            }
        })
        .collect();
    OciTag {
        name: tag.name.clone(),
        platforms,
        oci,
        index,
    }
}

/// The manifest a tag resolves to, and every object it references that the emulator serves.
pub(crate) struct Rendered {
    /// The tag's manifest (an image manifest or an index).
    pub(crate) top: Blob,
    /// Platform manifests (for an index) and image configs, by digest.
    pub(crate) parts: BTreeMap<String, Blob>,
}

impl OciTag {
    /// The tag's manifest bytes and everything below it.
    pub(crate) fn render(&self) -> Rendered {
        let (manifest_type, index_type, config_type, layer_type) = if self.oci {
            (OCI_MANIFEST, OCI_INDEX, OCI_CONFIG, OCI_LAYER)
        } else {
            (DOCKER_MANIFEST, DOCKER_LIST, DOCKER_CONFIG, DOCKER_LAYER)
        };
        let mut parts = BTreeMap::new();
        let mut manifests = Vec::new();
        for p in &self.platforms {
            let mut platform = json!({"architecture": p.architecture, "os": p.os});
            if let Some(v) = &p.variant {
                platform["variant"] = json!(v);
            }
            let layer_digest = digest_of(
                format!(
                    "layer {}/{}/{:?} {} {}",
                    p.os, p.architecture, p.variant, p.size, p.created
                )
                .as_bytes(),
            );
            let mut config = json!({
                "architecture": p.architecture,
                "os": p.os,
                "created": p.created.to_rfc3339_opts(SecondsFormat::Secs, true),
                "config": {},
                "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
            });
            if let Some(v) = &p.variant {
                config["variant"] = json!(v);
            }
            let config = Blob::new(config_type, &config);
            let config_len = config.bytes.len() as u64;
            let manifest = Blob::new(
                manifest_type,
                &json!({
                    "schemaVersion": 2,
                    "mediaType": manifest_type,
                    "config": {"mediaType": config_type, "size": config_len, "digest": config.digest()},
                    "layers": [{
                        "mediaType": layer_type,
                        "size": p.size.saturating_sub(config_len),
                        "digest": layer_digest,
                    }],
                }),
            );
            manifests.push(json!({
                "mediaType": manifest_type,
                "size": manifest.bytes.len(),
                "digest": manifest.digest(),
                "platform": platform,
            }));
            parts.insert(config.digest(), config);
            parts.insert(manifest.digest(), manifest);
        }
        if !self.index {
            // One platform: the image manifest is the tag's manifest.
            let digest = manifests[0]["digest"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if let Some(top) = parts.remove(&digest) {
                return Rendered { top, parts };
            }
        }
        let top = Blob::new(
            index_type,
            &json!({"schemaVersion": 2, "mediaType": index_type, "manifests": manifests}),
        );
        Rendered { top, parts }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_share_a_digest_and_sizes_add_up() {
        let fixture = Fixture::sample();
        let tags = tags_of(&fixture, "acme-prod/payments/api").unwrap();
        let digest = |name: &str| {
            tags.iter()
                .find(|t| t.name == name)
                .unwrap()
                .render()
                .top
                .digest()
        };
        assert_eq!(digest("latest"), digest("v2.14.1"));
        assert_ne!(digest("latest"), digest("v2.14.0"));
        let runner = &tags_of(&fixture, "acme-prod/tools/ci-runner").unwrap()[0];
        let rendered = runner.render();
        assert_eq!(rendered.top.media_type, DOCKER_MANIFEST);
        let m: Value = serde_json::from_slice(&rendered.top.bytes).unwrap();
        let total =
            m["config"]["size"].as_u64().unwrap() + m["layers"][0]["size"].as_u64().unwrap();
        assert_eq!(total, 2_412_004_317);
        assert!(rendered
            .parts
            .contains_key(m["config"]["digest"].as_str().unwrap()));
        assert!(tags_of(&fixture, "acme-prod/nope").is_none());
        assert!(tags_of(&fixture, "acme/busybox").is_some());
        let names = repository_names(&fixture);
        assert_eq!(names.len(), 7 + 6, "NCR images and SWR repositories");
        assert!(names.windows(2).all(|w| w[0] < w[1]));
    }
}
