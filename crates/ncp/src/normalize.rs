//! The one place where NCR's wire structs become reginv's core models.
//!
//! - registries: `public` from `public_reg_status`, `scan_on_push` from `scan_on_push_enabled`,
//!   `status` from `status` (lower-case: `running`, or `disconnected` when the bucket is gone),
//!   `pull_endpoint` from `end_point`, `created_at` from `created`; everything else
//!   (`private_end_point`, `private_id`, `bucket`, `end_point_enabled`, …) in `extra`;
//! - repositories: `registry/name`, `pull_uri` = `{end_point}/{name}` and `public` from the
//!   registry (the image list does not carry them), `pull_count`, `updated_at` from
//!   `last_updated`, `description`, `tag_immutable` = not `tag_mutability_enabled` (image detail
//!   only: `None` from the image list); everything else in `extra`;
//! - tags: `digest`, `size_bytes` = `full_size`, `updated_at` from `last_updated` (else the
//!   latest platform update), `created_at` = the earliest platform creation, `last_pulled_at` =
//!   the latest non-zero `latest_pulled` of the platforms, one [`Platform`] per `images[]` entry,
//!   `is_index` = more than one platform (`None` when `images[]` is empty; NCR names no manifest
//!   media type, so `media_type` stays `None`, and it has no scan results: `scanned` is `None`);
//!   `id`, `image_id`, `creator`, `last_updater`, `repository`, `v2` in `extra`.
//!
//! Epoch milliseconds become UTC times; 0 or `null` becomes `None`. `null` values are not copied
//! into `extra`.

use std::collections::BTreeMap;

use reginv_core::{Error, Extra, Platform, Registry, Repository, Result, Source, Tag};
use serde_json::Value;

use crate::wire::{epoch_millis, WireImage, WirePlatform, WireRegistry, WireTag};

fn extra_of(map: BTreeMap<String, Value>) -> Extra {
    map.into_iter().filter(|(_, v)| !v.is_null()).collect()
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// A registry row. Fails (as a decode error) only when the entry has no name.
pub(crate) fn registry(source: &Source, wire: WireRegistry) -> Result<Registry> {
    let name =
        non_empty(wire.name).ok_or_else(|| Error::decode("a registry entry has no \"name\""))?;
    let mut row = Registry::new(source, name);
    row.public = wire.public_reg_status;
    row.scan_on_push = wire.scan_on_push_enabled;
    row.status = non_empty(wire.status).map(|s| s.to_lowercase());
    row.pull_endpoint = non_empty(wire.end_point);
    row.created_at = epoch_millis(wire.created);
    row.extra = extra_of(wire.extra);
    Ok(row)
}

/// A repository row of `registry`; `owner` is that registry's row when known (for the pull URI
/// and the public flag). Fails (as a decode error) only when the entry has no name.
pub(crate) fn repository(
    source: &Source,
    registry: &str,
    wire: WireImage,
    owner: Option<&Registry>,
) -> Result<Repository> {
    let name =
        non_empty(wire.name).ok_or_else(|| Error::decode("an image entry has no \"name\""))?;
    let mut row = Repository::new(source, registry, name);
    if let Some(owner) = owner {
        row.public = owner.public;
        row.pull_uri = owner
            .pull_endpoint
            .as_deref()
            .map(|end_point| format!("{}/{}", end_point.trim_end_matches('/'), row.name));
    }
    row.description = non_empty(wire.description);
    row.pull_count = wire.pull_count;
    row.updated_at = epoch_millis(wire.last_updated);
    row.tag_immutable = wire.tag_mutability_enabled.map(|mutable| !mutable);
    row.extra = extra_of(wire.extra);
    if let Some(namespace) = non_empty(wire.namespace) {
        if namespace != registry {
            row.extra
                .insert("namespace".into(), Value::String(namespace));
        }
    }
    Ok(row)
}

/// A tag row. `fallback_name` names a tag whose entry has no name (tag detail asked by name);
/// without one, a nameless entry is a decode error.
pub(crate) fn tag(wire: WireTag, fallback_name: Option<&str>) -> Result<Tag> {
    let name = non_empty(wire.name)
        .or_else(|| fallback_name.map(str::to_string))
        .ok_or_else(|| Error::decode("a tag entry has no \"name\""))?;
    let mut row = Tag::new(name);
    row.digest = non_empty(wire.digest);
    row.size_bytes = wire.full_size;
    row.created_at = wire
        .images
        .iter()
        .filter_map(|p| epoch_millis(p.created))
        .min();
    row.updated_at = epoch_millis(wire.last_updated).or_else(|| {
        wire.images
            .iter()
            .filter_map(|p| epoch_millis(p.updated))
            .max()
    });
    row.last_pulled_at = wire
        .images
        .iter()
        .filter_map(|p| epoch_millis(p.latest_pulled))
        .max();
    row.is_index = (!wire.images.is_empty()).then_some(wire.images.len() > 1);
    row.platforms = wire.images.into_iter().map(platform).collect();
    row.extra = extra_of(wire.extra);
    Ok(row)
}

fn platform(wire: WirePlatform) -> Platform {
    let mut row = Platform::new();
    row.os = non_empty(wire.os);
    row.architecture = non_empty(wire.architecture);
    row.variant = non_empty(wire.variant);
    row.digest = non_empty(wire.digest);
    row.size_bytes = wire.size;
    row.media_type = non_empty(wire.media_type);
    row.extra = extra_of(wire.extra);
    for (key, ms) in [
        ("created", wire.created),
        ("updated", wire.updated),
        ("latest_pulled", wire.latest_pulled),
    ] {
        if let Some(time) = epoch_millis(ms) {
            row.extra
                .insert(key.into(), Value::String(time.to_rfc3339()));
        }
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::WirePage;
    use chrono::{TimeZone, Utc};
    use reginv_core::ProviderKind;
    use serde_json::json;

    fn source() -> Source {
        Source::new("ncp-kr", ProviderKind::NCP, "kr", "https://x")
    }

    const REGISTRIES_000: &str = include_str!("../tests/data/000_list_registries.json");
    const IMAGE_001: &str = include_str!("../tests/data/001_image_detail.json");
    const TAGS_003: &str = include_str!("../tests/data/003_list_tags.json");

    #[test]
    fn vendor_example_000_list_registries() {
        let page: WirePage<WireRegistry> = serde_json::from_str(REGISTRIES_000).unwrap();
        assert_eq!(
            (page.count, page.next, page.previous),
            (Some(1), None, None)
        );
        let rows: Vec<Registry> = page
            .results
            .into_iter()
            .map(|w| registry(&source(), w).unwrap())
            .collect();
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        assert_eq!(row.name, "ncpdocker");
        assert_eq!(row.source, "ncp-kr");
        assert_eq!(row.region, "kr");
        assert_eq!(row.provider, ProviderKind::NCP);
        assert_eq!(row.public, Some(false));
        assert_eq!(row.scan_on_push, Some(false));
        assert_eq!(row.status.as_deref(), Some("running"));
        assert_eq!(
            row.pull_endpoint.as_deref(),
            Some("ncpdocker.kr.ncr.ntruss.com")
        );
        assert_eq!(
            row.created_at,
            Some(Utc.with_ymd_and_hms(2024, 3, 29, 6, 54, 32).unwrap())
        );
        let expected_extra: Extra = [
            ("bucket", json!("ncpdocker")),
            ("end_point_enabled", json!(true)),
            (
                "private_end_point",
                json!("pdxxxnzd.kr.private-ncr.ntruss.com"),
            ),
            ("private_id", json!("pdxxxnzd")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        assert_eq!(row.extra, expected_extra);
    }

    #[test]
    fn vendor_example_001_image_detail() {
        let wire: WireImage = serde_json::from_str(IMAGE_001).unwrap();
        let mut owner = Registry::new(&source(), "ncpdocker");
        owner.public = Some(false);
        owner.pull_endpoint = Some("ncpdocker.kr.ncr.ntruss.com".into());
        let row = repository(&source(), "ncpdocker", wire, Some(&owner)).unwrap();
        assert_eq!(row.registry, "ncpdocker");
        assert_eq!(row.name, "ncpdocker");
        assert_eq!(row.full_name, "ncpdocker/ncpdocker");
        assert_eq!(
            row.pull_uri.as_deref(),
            Some("ncpdocker.kr.ncr.ntruss.com/ncpdocker")
        );
        assert_eq!(row.public, Some(false));
        assert_eq!(row.description.as_deref(), Some("ncp docker"));
        assert_eq!(row.pull_count, Some(0));
        assert_eq!(
            row.updated_at,
            Some(Utc.with_ymd_and_hms(2024, 3, 31, 23, 41, 28).unwrap())
        );
        assert_eq!(row.tags, None);
        assert_eq!(
            row.tag_immutable,
            Some(false),
            "tag_mutability_enabled: true"
        );
        let expected_extra: Extra = [
            ("can_edit", json!(true)),
            ("full_description", json!("Naver Cloud Platform Docker")),
            ("private_id", json!("")),
            ("repository_type", json!("image")),
            ("status", json!(0)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        assert_eq!(row.extra, expected_extra);
        // Without the registry row, nothing is guessed.
        let wire: WireImage = serde_json::from_str(IMAGE_001).unwrap();
        let row = repository(&source(), "ncpdocker", wire, None).unwrap();
        assert_eq!((row.pull_uri, row.public), (None, None));
    }

    #[test]
    fn vendor_example_003_list_tags() {
        let page: WirePage<WireTag> = serde_json::from_str(TAGS_003).unwrap();
        assert_eq!((page.count, page.next), (Some(1), None));
        let rows: Vec<Tag> = page
            .results
            .into_iter()
            .map(|w| tag(w, None).unwrap())
            .collect();
        let row = &rows[0];
        let at = Utc.with_ymd_and_hms(2024, 3, 31, 23, 41, 28).unwrap();
        assert_eq!(row.name, "ncpdocker");
        assert_eq!(row.digest.as_deref(), Some("sha256:a180 ~ b9dc"));
        assert_eq!(row.size_bytes, Some(83518086));
        assert_eq!(row.created_at, Some(at));
        assert_eq!(row.updated_at, Some(at));
        assert_eq!(row.last_pulled_at, None, "latest_pulled 0 means never");
        assert_eq!(row.is_index, Some(false), "one platform");
        assert_eq!((row.scanned, row.media_type.as_deref()), (None, None));
        assert_eq!(row.extra["id"], json!(730606));
        assert_eq!(row.extra["image_id"], json!(322122));
        assert_eq!(
            row.extra["creator"],
            json!("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx")
        );
        assert_eq!(
            row.extra["last_updater"],
            json!("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx")
        );
        assert_eq!(row.extra["repository"], json!(5976));
        assert_eq!(row.extra["v2"], json!(true));
        assert_eq!(row.platforms.len(), 1);
        let p = &row.platforms[0];
        assert_eq!(p.os.as_deref(), Some("linux"));
        assert_eq!(p.architecture.as_deref(), Some("amd64"));
        assert_eq!(p.variant, None);
        assert_eq!(p.digest.as_deref(), Some("sha256:sha256:a180 ~ b9dc"));
        assert_eq!(p.size_bytes, Some(83518086));
        assert_eq!(
            p.media_type.as_deref(),
            Some("application/vnd.docker.container.image.v1+json")
        );
        assert_eq!(p.extra["features"], json!(""));
        assert_eq!(p.extra["os_features"], json!(""));
        assert!(!p.extra.contains_key("os_version"));
        assert_eq!(p.extra["created"], json!(at.to_rfc3339()));
    }

    #[test]
    fn a_registry_without_optional_fields_still_reads() {
        let row = registry(&source(), serde_json::from_str(r#"{"name":"r"}"#).unwrap()).unwrap();
        assert_eq!(row.name, "r");
        assert_eq!(row.public, None);
        assert_eq!(row.pull_endpoint, None);
        assert_eq!(row.created_at, None);
        assert_eq!((row.scan_on_push, row.status.as_deref()), (None, None));
        assert!(row.extra.is_empty());
        let gone: WireRegistry = serde_json::from_value(json!({
            "name": "r", "status": "DISCONNECTED", "scan_on_push_enabled": "true"
        }))
        .unwrap();
        let row = registry(&source(), gone).unwrap();
        assert_eq!(row.status.as_deref(), Some("disconnected"));
        assert_eq!(row.scan_on_push, Some(true));
        let err = registry(&source(), serde_json::from_str("{}").unwrap()).unwrap_err();
        assert_eq!(err.kind(), reginv_core::ErrorKind::Decode);
    }

    #[test]
    fn a_repository_takes_pull_uri_and_public_from_its_registry() {
        let mut owner = Registry::new(&source(), "reg");
        owner.public = Some(true);
        owner.pull_endpoint = Some("reg.kr.ncr.ntruss.com".into());
        let wire: WireImage = serde_json::from_value(json!({
            "name": "team/app", "namespace": "reg", "pull_count": "12",
            "last_updated": 0, "description": "", "tag_mutability_enabled": false,
            "star_count": null
        }))
        .unwrap();
        let row = repository(&source(), "reg", wire, Some(&owner)).unwrap();
        assert_eq!(row.full_name, "reg/team/app");
        assert_eq!(
            row.pull_uri.as_deref(),
            Some("reg.kr.ncr.ntruss.com/team/app")
        );
        assert_eq!(row.public, Some(true));
        assert_eq!(row.pull_count, Some(12));
        assert_eq!(row.updated_at, None);
        assert_eq!(row.description, None);
        assert_eq!(
            row.tag_immutable,
            Some(true),
            "tag_mutability_enabled: false"
        );
        assert!(!row.extra.contains_key("tag_mutability_enabled"));
        assert!(!row.extra.contains_key("star_count"));
        assert!(!row.extra.contains_key("namespace"));
    }

    #[test]
    fn tag_times_come_from_platforms_when_the_tag_has_none() {
        let wire: WireTag = serde_json::from_value(json!({
            "name": "multi", "last_updated": null, "full_size": 30,
            "images": [
                {"architecture": "amd64", "os": "linux", "created": 1000, "updated": 5000,
                 "latest_pulled": 0, "size": 10},
                {"architecture": "arm64", "os": "linux", "variant": "v8", "created": 2000,
                 "updated": 3000, "latest_pulled": 9000, "size": 20}
            ]
        }))
        .unwrap();
        let row = tag(wire, None).unwrap();
        let at = |ms| Utc.timestamp_millis_opt(ms).single();
        assert_eq!(row.created_at, at(1000));
        assert_eq!(row.updated_at, at(5000));
        assert_eq!(row.last_pulled_at, at(9000));
        assert_eq!(row.size_bytes, Some(30));
        assert_eq!(row.platforms.len(), 2);
        assert_eq!(row.is_index, Some(true), "two platforms: a manifest list");
        assert_eq!(row.platforms[1].variant.as_deref(), Some("v8"));
        assert!(!row.platforms[0].extra.contains_key("latest_pulled"));
        assert!(row.platforms[1].extra.contains_key("latest_pulled"));
    }

    #[test]
    fn never_pulled_means_no_last_pulled_time() {
        let wire: WireTag = serde_json::from_value(json!({
            "name": "t", "images": [{"latest_pulled": 0}, {"latest_pulled": null}]
        }))
        .unwrap();
        assert_eq!(tag(wire, None).unwrap().last_pulled_at, None);
        let nameless: WireTag = serde_json::from_value(json!({"digest": "sha256:1"})).unwrap();
        assert_eq!(tag(nameless.clone(), Some("v1")).unwrap().name, "v1");
        assert!(tag(nameless, None).is_err());
    }
}
