//! NCR API v2 answers: page/pagesize paging, the vendor's JSON shapes, registry creation.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{bad_request, error, not_found, NcrOp, NcrRoute};
use crate::faults::mix;
use crate::fixture::{private_id, Fixture, NcpImage, NcpRegistry, NcpTag};
use crate::reply::Reply;

/// What the NCR routes need besides the fixture.
pub(crate) struct NcrSettings {
    pub(crate) max_page_size: u32,
    pub(crate) total_skew: i64,
}

/// The default `pagesize` when a request sends none.
pub(crate) const DEFAULT_PAGE_SIZE: u32 = 10;

/// `page` / `pagesize` of a request: `page` ≥ 1 (default 1), `1 ≤ pagesize ≤ max` (default
/// `min(10, max)`); anything else is the vendor's 400.
fn paging(query: &[(String, String)], max: u32) -> Result<(u64, u64), Reply> {
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let number = |name: &str, default: u64| -> Result<u64, Reply> {
        match param(name) {
            None => Ok(default),
            Some(v) => match v.trim().parse::<u64>() {
                Ok(n) if n >= 1 => Ok(n),
                _ => Err(bad_request(format!(
                    "{name} must be a number greater than 0, got {v:?}"
                ))),
            },
        }
    };
    let page = number("page", 1)?;
    let size = number("pagesize", u64::from(DEFAULT_PAGE_SIZE.min(max).max(1)))?;
    if size > u64::from(max) {
        return Err(bad_request(format!(
            "pagesize must not be greater than {max}, got {size}"
        )));
    }
    Ok((page, size))
}

/// The `{count, next, previous, results}` envelope of page `page` of `items`.
fn envelope<T>(
    items: &[T],
    query: &[(String, String)],
    settings: &NcrSettings,
    render: impl Fn(&T) -> Value,
) -> Reply {
    let (page, size) = match paging(query, settings.max_page_size) {
        Ok(p) => p,
        Err(reply) => return reply,
    };
    let total = items.len() as u64;
    let start = (page - 1).saturating_mul(size);
    let results: Vec<Value> = if start >= total {
        Vec::new()
    } else {
        let end = start.saturating_add(size).min(total);
        items[start as usize..end as usize]
            .iter()
            .map(render)
            .collect()
    };
    let next = (start.saturating_add(size) < total).then_some(page + 1);
    let previous = (page > 1).then_some(page - 1);
    let count = (total as i64).saturating_add(settings.total_skew).max(0);
    Reply::json(
        200,
        &json!({"count": count, "next": next, "previous": previous, "results": results}),
    )
}

/// A stable small number derived from names, for the vendor's numeric ids.
fn id(parts: &[&str]) -> u64 {
    mix(0x004e_4352, &parts.join("\u{0}"), 0) % 9_000_000 + 1_000
}

fn end_point(region: &str, reg: &NcpRegistry) -> String {
    if reg.end_point.is_empty() {
        format!("{}.{region}.ncr.ntruss.com", reg.name)
    } else {
        reg.end_point.clone()
    }
}

fn private_end_point(region: &str, reg: &NcpRegistry) -> String {
    if reg.private_end_point.is_empty() {
        format!("{}.{region}.private-ncr.ntruss.com", private_id(&reg.name))
    } else {
        reg.private_end_point.clone()
    }
}

fn registry_private_id(region: &str, reg: &NcpRegistry) -> String {
    private_end_point(region, reg)
        .split('.')
        .next()
        .unwrap_or_default()
        .to_string()
}

fn registry_json(region: &str, reg: &NcpRegistry) -> Value {
    json!({
        "bucket": reg.bucket_name(),
        "created": reg.created,
        "end_point": end_point(region, reg),
        "end_point_enabled": true,
        "name": reg.name,
        "private_end_point": private_end_point(region, reg),
        "private_id": registry_private_id(region, reg),
        "public_reg_status": reg.public,
        "scan_on_push_enabled": reg.scan_on_push,
        "status": reg.status_text(),
    })
}

fn image_json(reg: &NcpRegistry, image: &NcpImage) -> Value {
    json!({
        "can_edit": true,
        "description": image.description,
        "is_automated": false,
        "is_private": !reg.public,
        "last_updated": image.last_updated,
        "name": image.name,
        "namespace": reg.name,
        "pull_count": image.pull_count,
        "repository_type": "image",
        "star_count": 0,
        "status": 0,
        "user": Value::Null,
    })
}

fn image_detail_json(region: &str, reg: &NcpRegistry, image: &NcpImage) -> Value {
    let mut v = image_json(reg, image);
    if let Value::Object(map) = &mut v {
        map.insert("full_description".into(), json!(image.full_description));
        map.insert("private_id".into(), json!(registry_private_id(region, reg)));
        map.insert("tag_mutability_enabled".into(), json!(image.tag_mutability));
    }
    v
}

fn tag_json(region: &str, reg: &NcpRegistry, image: &NcpImage, tag: &NcpTag) -> Value {
    let images: Vec<Value> = tag
        .images
        .iter()
        .map(|p| {
            json!({
                "architecture": p.architecture,
                "created": p.created,
                "digest": p.digest,
                "features": "",
                "latest_pulled": p.latest_pulled,
                "mediaType": p.media_type,
                "os": p.os,
                "os_features": "",
                "os_version": Value::Null,
                "size": p.size,
                "updated": p.updated,
                "variant": p.variant,
            })
        })
        .collect();
    json!({
        "creator": tag.creator,
        "digest": tag.digest,
        "full_size": tag.full_size,
        "id": id(&[region, &reg.name, &image.name, &tag.name]),
        "image_id": id(&[region, &reg.name, &image.name]),
        "images": images,
        "last_updated": tag.updated,
        "last_updater": tag.creator,
        "name": tag.name,
        "repository": id(&[region, &reg.name]),
        "v2": true,
    })
}

fn find_registry<'a>(
    fixture: &'a Fixture,
    region: &str,
    name: &str,
) -> Result<&'a NcpRegistry, Reply> {
    fixture
        .ncp
        .get(region)
        .and_then(|regs| regs.iter().find(|r| r.name == name))
        .ok_or_else(|| not_found(format!("registry {name:?} does not exist")))
}

fn find_image<'a>(
    fixture: &'a Fixture,
    region: &str,
    registry: &str,
    image: &str,
) -> Result<(&'a NcpRegistry, &'a NcpImage), Reply> {
    let reg = find_registry(fixture, region, registry)?;
    let img = reg
        .images
        .iter()
        .find(|i| i.name == image)
        .ok_or_else(|| not_found(format!("image {image:?} does not exist in {registry:?}")))?;
    Ok((reg, img))
}

/// Serves a read-only NCR operation.
pub(crate) fn read(
    fixture: &Fixture,
    route: &NcrRoute,
    query: &[(String, String)],
    settings: &NcrSettings,
) -> Reply {
    let region = route.region;
    let result = match &route.op {
        NcrOp::ListRegistries => {
            let empty = Vec::new();
            let regs = fixture.ncp.get(region).unwrap_or(&empty);
            Ok(envelope(regs, query, settings, |r| {
                registry_json(region, r)
            }))
        }
        NcrOp::ListImages(registry) => find_registry(fixture, region, registry)
            .map(|reg| envelope(&reg.images, query, settings, |i| image_json(reg, i))),
        NcrOp::ImageDetail(registry, image) => find_image(fixture, region, registry, image)
            .map(|(reg, img)| Reply::json(200, &image_detail_json(region, reg, img))),
        NcrOp::ListTags(registry, image) => {
            find_image(fixture, region, registry, image).map(|(reg, img)| {
                envelope(&img.tags, query, settings, |t| {
                    tag_json(region, reg, img, t)
                })
            })
        }
        NcrOp::TagDetail(registry, image, reference) => {
            find_image(fixture, region, registry, image).and_then(|(reg, img)| {
                img.tags
                    .iter()
                    .find(|t| &t.name == reference || &t.digest == reference)
                    .map(|t| Reply::json(200, &tag_json(region, reg, img, t)))
                    .ok_or_else(|| {
                        not_found(format!("tag {reference:?} does not exist in {image:?}"))
                    })
            })
        }
        NcrOp::CreateRegistry(_) | NcrOp::Unknown => {
            Err(not_found("no such operation in NCR API v2".to_string()))
        }
    };
    result.unwrap_or_else(|reply| reply)
}

/// Whether `name` is an acceptable new registry name: 3 to 30 characters of lower-case letters,
/// digits and `-`, starting with a letter (the emulator's rule; the vendor's is undocumented).
fn valid_registry_name(name: &str) -> bool {
    (3..=30).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// `POST /repositories/{registry}` with `{"bucket": …}`.
pub(crate) fn create_registry(
    fixture: &mut Fixture,
    region: &str,
    name: &str,
    body: &[u8],
    now_ms: i64,
) -> Reply {
    let parsed: Result<BTreeMap<String, Value>, _> = serde_json::from_slice(body);
    let bucket = match parsed.as_ref().ok().and_then(|m| m.get("bucket")) {
        Some(Value::String(b)) if !b.trim().is_empty() => b.trim().to_string(),
        _ => {
            return bad_request(
                "the body must be a JSON object with a non-empty \"bucket\" string".to_string(),
            )
        }
    };
    if !valid_registry_name(name) {
        return bad_request(format!(
            "invalid registry name {name:?}: 3-30 lower-case letters, digits or '-', starting with a letter"
        ));
    }
    let regs = fixture.ncp.entry(region.to_string()).or_default();
    if regs.iter().any(|r| r.name == name) {
        return error(
            409,
            "409",
            "Conflict",
            &format!("registry {name:?} already exists"),
        );
    }
    let bucket_taken = fixture
        .ncp
        .values()
        .flatten()
        .any(|r| r.bucket_name() == bucket);
    if bucket_taken {
        return error(
            409,
            "409",
            "Conflict",
            &format!("bucket {bucket:?} is already linked to a registry"),
        );
    }
    fixture
        .ncp
        .entry(region.to_string())
        .or_default()
        .push(NcpRegistry {
            name: name.to_string(),
            bucket,
            created: now_ms,
            end_point: format!("{name}.{region}.ncr.ntruss.com"),
            private_end_point: format!("{}.{region}.private-ncr.ntruss.com", private_id(name)),
            public: false,
            scan_on_push: false,
            status: String::new(),
            images: Vec::new(),
        });
    Reply::json(
        201,
        &json!({"returnCode": "201", "returnMessage": "Registry Creation is successful"}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_rules() {
        let q = |s: &[(&str, &str)]| -> Vec<(String, String)> {
            s.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        assert_eq!(paging(&q(&[]), 100).unwrap(), (1, 10));
        assert_eq!(paging(&q(&[]), 4).unwrap(), (1, 4));
        assert_eq!(
            paging(&q(&[("page", "3"), ("pagesize", "100")]), 100).unwrap(),
            (3, 100)
        );
        for bad in [
            ("page", "0"),
            ("pagesize", "0"),
            ("pagesize", "101"),
            ("page", "x"),
        ] {
            assert_eq!(paging(&q(&[bad]), 100).unwrap_err().status, 400, "{bad:?}");
        }
    }
}
