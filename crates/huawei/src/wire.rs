//! What SWR sends, exactly, and its conversion into reginv's models: the one place where SWR's
//! JSON becomes [`Registry`], [`Repository`] and [`Tag`] rows.
//!
//! Reading is lenient: numbers may come as strings, booleans as `0`/`1` or text, anything may be
//! null or missing, and a time that cannot be read becomes `None` with its raw text kept in
//! `extra` (`created_at_raw`). Fields without a normalized home, known or not, are kept in
//! `extra` as sent. Only an element that is not an object, or that has no name, fails a page.

use reginv_core::{Error, Extra, Platform, Registry, Repository, Result, Source, Tag};
use serde::Deserialize;
use serde_json::Value;

use crate::timestamps::parse_time;

/// A namespace (organization) of `GET /v2/manage/namespaces`.
#[derive(Debug, Deserialize)]
struct WireNamespace {
    #[serde(default)]
    name: Option<Value>,
    /// `id`, `creator_name`, `auth` (7 manage, 3 edit, 1 read) and anything else.
    #[serde(flatten)]
    extra: Extra,
}

/// A repository of `GET /v2/manage/repos`, or of `GET /v2/manage/namespaces/{ns}/repos/{repo}`.
#[derive(Debug, Deserialize)]
struct WireRepo {
    #[serde(default)]
    name: Option<Value>,
    #[serde(default)]
    namespace: Option<Value>,
    #[serde(default)]
    description: Option<Value>,
    #[serde(default)]
    size: Option<Value>,
    #[serde(default)]
    is_public: Option<Value>,
    #[serde(default)]
    num_images: Option<Value>,
    #[serde(default)]
    num_download: Option<Value>,
    /// The listing's creation time.
    #[serde(default)]
    created_at: Option<Value>,
    #[serde(default)]
    updated_at: Option<Value>,
    /// The detail's creation time.
    #[serde(default)]
    created: Option<Value>,
    #[serde(default)]
    updated: Option<Value>,
    #[serde(default)]
    path: Option<Value>,
    #[serde(default)]
    tags: Option<Value>,
    /// `category`, `internal_path`, `domain_name`, `logo`, `url`, `status`, `total_range`, the
    /// detail's `id`, `ns_id`, `creator_name`, `domain_id`, `priority`, and anything else.
    #[serde(flatten)]
    extra: Extra,
}

/// A tag of `GET /v2/manage/namespaces/{ns}/repos/{repo}/tags`.
#[derive(Debug, Deserialize)]
struct WireTag {
    /// The tag name, with a capital T.
    #[serde(default, rename = "Tag")]
    tag: Option<Value>,
    #[serde(default)]
    digest: Option<Value>,
    #[serde(default)]
    size: Option<Value>,
    #[serde(default)]
    created: Option<Value>,
    #[serde(default)]
    updated: Option<Value>,
    /// `tag_type` (read into `is_index`), `scanned`, `manifest` (a JSON string: parsed, kept
    /// as the document), `image_id`, `id`, `repo_id`, `schema`, `path`, `internal_path`,
    /// `is_trusted`, `deleted`, `domain_id`, and anything else.
    #[serde(flatten)]
    extra: Extra,
}

/// The JSON array of a listing body; `null` is an empty list.
fn array(body: &[u8], what: &str) -> Result<Vec<Value>> {
    let value = json(body, what)?;
    match value {
        Value::Array(items) => Ok(items),
        Value::Null => Ok(Vec::new()),
        other => Err(Error::decode(format!(
            "expected a JSON array of {what}, got {}",
            kind_of(&other)
        ))),
    }
}

fn json(body: &[u8], what: &str) -> Result<Value> {
    serde_json::from_slice(body).map_err(|e| {
        Error::decode(format!(
            "the {what} response is not valid JSON ({} bytes): {e}",
            body.len()
        ))
    })
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The items of a listing body (a JSON array; `null` is empty), read straight into their wire
/// structs. Only when that fails is the body read again element by element, for an error that
/// says which element and why: the common case never builds a `Value` tree.
fn elements<T: serde::de::DeserializeOwned>(body: &[u8], list: &str, item: &str) -> Result<Vec<T>> {
    match serde_json::from_slice::<Option<Vec<T>>>(body) {
        Ok(items) => Ok(items.unwrap_or_default()),
        Err(_) => array(body, list)?
            .into_iter()
            .enumerate()
            .map(|(i, v)| element(v, item, i))
            .collect(),
    }
}

fn element<T: serde::de::DeserializeOwned>(value: Value, what: &str, index: usize) -> Result<T> {
    if !value.is_object() {
        return Err(Error::decode(format!(
            "{what} #{index} is {}, not an object",
            kind_of(&value)
        )));
    }
    serde_json::from_value(value)
        .map_err(|e| Error::decode(format!("{what} #{index} could not be read: {e}")))
}

/// The namespaces of a `GET /v2/manage/namespaces` body.
pub(crate) fn namespaces(source: &Source, body: &[u8]) -> Result<Vec<Registry>> {
    let items = match json(body, "namespace list")? {
        Value::Object(mut map) => match map.remove("namespaces") {
            Some(Value::Array(items)) => items,
            Some(Value::Null) | None => Vec::new(),
            Some(other) => {
                return Err(Error::decode(format!(
                    "expected `namespaces` to be an array, got {}",
                    kind_of(&other)
                )))
            }
        },
        // Tolerate a bare array too.
        Value::Array(items) => items,
        other => {
            return Err(Error::decode(format!(
                "expected an object with `namespaces`, got {}",
                kind_of(&other)
            )))
        }
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let wire: WireNamespace = element(v, "namespace", i)?;
            let name = text(wire.name)
                .ok_or_else(|| Error::decode(format!("namespace #{i} has no name")))?;
            let mut registry = Registry::new(source, name);
            registry.extra = wire.extra;
            Ok(registry)
        })
        .collect()
}

/// The repositories of a `GET /v2/manage/repos` body, in order. `fallback_namespace` names the
/// namespace of items that do not say theirs.
pub(crate) fn repositories(
    source: &Source,
    body: &[u8],
    fallback_namespace: Option<&str>,
) -> Result<Vec<Repository>> {
    elements::<WireRepo>(body, "repository list", "repository")?
        .into_iter()
        .enumerate()
        .map(|(i, wire)| {
            wire.into_repository(source, fallback_namespace, None)
                .map_err(|e| Error::decode(format!("repository #{i}: {}", e.message())))
        })
        .collect()
}

/// The repository of a `GET /v2/manage/namespaces/{ns}/repos/{repo}` body, named as asked.
pub(crate) fn repository_detail(
    source: &Source,
    body: &[u8],
    namespace: &str,
    name: &str,
) -> Result<Repository> {
    let wire: WireRepo = element(json(body, "repository")?, "repository", 0)?;
    wire.into_repository(source, Some(namespace), Some(name))
}

/// The tags of a `GET …/repos/{repo}/tags` body, in order.
pub(crate) fn tags(body: &[u8]) -> Result<Vec<Tag>> {
    elements::<WireTag>(body, "tag list", "tag")?
        .into_iter()
        .enumerate()
        .map(|(i, wire)| {
            wire.into_tag()
                .map_err(|e| Error::decode(format!("tag #{i}: {}", e.message())))
        })
        .collect()
}

impl WireRepo {
    /// Converts into a row. `namespace` is used when the item does not say its own; `name`
    /// (the name asked for) wins over the item's.
    fn into_repository(
        self,
        source: &Source,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> Result<Repository> {
        let mut extra = self.extra;
        let wire_name = text(self.name).map(|n| n.replace('$', "/"));
        let name = match (name, wire_name) {
            (Some(asked), Some(sent)) => {
                if sent != asked {
                    extra.insert("name".into(), Value::String(sent));
                }
                asked.to_string()
            }
            (Some(asked), None) => asked.to_string(),
            (None, Some(sent)) => sent,
            (None, None) => return Err(Error::decode("it has no name")),
        };
        let registry = match (text(self.namespace), namespace) {
            (Some(ns), _) => ns,
            (None, Some(ns)) => ns.to_string(),
            (None, None) => return Err(Error::decode(format!("{name} has no namespace"))),
        };
        let mut repo = Repository::new(source, registry, name);
        repo.pull_uri = text(self.path);
        repo.description = text(self.description);
        repo.public = boolean("is_public", self.is_public, &mut extra);
        repo.tag_count = number("num_images", self.num_images, &mut extra);
        repo.size_bytes = number("size", self.size, &mut extra);
        repo.pull_count = number("num_download", self.num_download, &mut extra);
        repo.created_at = first_time(
            [("created_at", self.created_at), ("created", self.created)],
            &mut extra,
        );
        repo.updated_at = first_time(
            [("updated_at", self.updated_at), ("updated", self.updated)],
            &mut extra,
        );
        repo.tags = tag_names(self.tags, &mut extra);
        repo.extra = extra;
        Ok(repo)
    }
}

impl WireTag {
    fn into_tag(self) -> Result<Tag> {
        let mut extra = self.extra;
        let name = text(self.tag)
            .or_else(|| text(extra.remove("tag")))
            .or_else(|| text(extra.remove("name")))
            .ok_or_else(|| Error::decode("it has no `Tag` name"))?;
        let mut tag = Tag::new(name);
        tag.digest = text(self.digest);
        tag.size_bytes = number("size", self.size, &mut extra);
        tag.created_at = first_time(
            [
                ("created", self.created),
                ("created_at", extra.remove("created_at")),
            ],
            &mut extra,
        );
        tag.updated_at = first_time(
            [
                ("updated", self.updated),
                ("updated_at", extra.remove("updated_at")),
            ],
            &mut extra,
        );
        tag.scanned = boolean("scanned", extra.remove("scanned"), &mut extra);
        tag.is_index = match number("tag_type", extra.remove("tag_type"), &mut extra) {
            Some(0) => Some(false),
            Some(1) => Some(true),
            Some(other) => {
                extra.insert("tag_type".into(), Value::from(other));
                None
            }
            None => None,
        };
        // `null` or an empty string says nothing: nothing is kept.
        let manifest = extra
            .remove("manifest")
            .filter(|m| !m.is_null() && m.as_str().is_none_or(|s| !s.trim().is_empty()));
        if let Some(manifest) = manifest {
            match manifest_document(manifest) {
                Ok(document) => {
                    tag.media_type = text(document.get("mediaType").cloned());
                    tag.platforms = platforms(&document);
                    if tag.is_index.is_none() && document.get("manifests").is_some() {
                        tag.is_index = Some(true);
                    }
                    extra.insert("manifest".into(), document);
                }
                Err(raw) => {
                    extra.insert("manifest_raw".into(), raw);
                }
            }
        }
        tag.extra = extra;
        Ok(tag)
    }
}

/// The manifest SWR sends as a JSON string, as the JSON document it holds (an object already
/// is kept); `Err` with the value as sent when it is not a JSON document.
fn manifest_document(manifest: Value) -> std::result::Result<Value, Value> {
    match manifest {
        Value::String(text) => match serde_json::from_str::<Value>(&text) {
            Ok(document @ Value::Object(_)) => Ok(document),
            _ => Err(Value::String(text)),
        },
        document @ Value::Object(_) => Ok(document),
        other => Err(other),
    }
}

/// The platforms of a manifest list (a parsed manifest); empty for a single-image manifest or
/// anything unreadable.
fn platforms(manifest: &Value) -> Vec<Platform> {
    let Some(entries) = manifest.get("manifests").and_then(Value::as_array) else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(Value::as_object)
        .map(|entry| {
            let mut platform = Platform::new();
            let mut ignored = Extra::new();
            if let Some(p) = entry.get("platform").and_then(Value::as_object) {
                platform.os = text(p.get("os").cloned());
                platform.architecture = text(p.get("architecture").cloned());
                platform.variant = text(p.get("variant").cloned());
                for (k, v) in p {
                    if !matches!(k.as_str(), "os" | "architecture" | "variant") {
                        platform.extra.insert(k.clone(), v.clone());
                    }
                }
            }
            platform.digest = text(entry.get("digest").cloned());
            platform.size_bytes = number("size", entry.get("size").cloned(), &mut ignored);
            platform.media_type = text(entry.get("mediaType").cloned());
            platform
        })
        .collect()
}

/// The tag names of a listing's `tags` (strings; numbers read as text): `None` when absent.
fn tag_names(value: Option<Value>, extra: &mut Extra) -> Option<Vec<Tag>> {
    match value? {
        Value::Null => None,
        Value::Array(items) => {
            let mut tags = Vec::with_capacity(items.len());
            let mut odd = Vec::new();
            for item in items {
                let name = match &item {
                    Value::Object(map) => ["Tag", "tag", "name"]
                        .iter()
                        .find_map(|k| text(map.get(*k).cloned())),
                    other => text(Some(other.clone())),
                };
                match name {
                    Some(name) => tags.push(Tag::new(name)),
                    None => odd.push(item),
                }
            }
            if !odd.is_empty() {
                extra.insert("tags_raw".into(), Value::Array(odd));
            }
            Some(tags)
        }
        other => {
            extra.insert("tags_raw".into(), other);
            None
        }
    }
}

/// Text from a string (trimmed, non-empty), number or boolean.
fn text(value: Option<Value>) -> Option<String> {
    match value? {
        Value::String(s) => {
            let t = s.trim();
            (!t.is_empty()).then(|| t.to_string())
        }
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A non-negative integer from a number or numeric text; anything else is kept as
/// `extra["{field}_raw"]`.
fn number(field: &str, value: Option<Value>, extra: &mut Extra) -> Option<u64> {
    let value = value?;
    let read = match &value {
        Value::Null => return None,
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0)
                .map(|f| f as u64)
        }),
        Value::String(s) if s.trim().is_empty() => return None,
        Value::String(s) => {
            let t = s.trim();
            t.parse::<u64>().ok().or_else(|| {
                t.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite() && *f >= 0.0)
                    .map(|f| f as u64)
            })
        }
        _ => None,
    };
    if read.is_none() {
        extra.insert(format!("{field}_raw"), value);
    }
    read
}

/// A boolean from `true`/`false`, `0`/`1`, or their text; anything else is kept as
/// `extra["{field}_raw"]`.
fn boolean(field: &str, value: Option<Value>, extra: &mut Extra) -> Option<bool> {
    let value = value?;
    let read = match &value {
        Value::Null => return None,
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_i64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "" => return None,
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" => Some(false),
            _ => None,
        },
        _ => None,
    };
    if read.is_none() {
        extra.insert(format!("{field}_raw"), value);
    }
    read
}

/// The first readable time among `fields`; a value that is not a time is kept as
/// `extra["{field}_raw"]`.
fn first_time<const N: usize>(
    fields: [(&str, Option<Value>); N],
    extra: &mut Extra,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let mut found = None;
    for (field, value) in fields {
        let Some(value) = value else { continue };
        match parse_time(&value) {
            Ok(Some(t)) => {
                if found.is_none() {
                    found = Some(t);
                }
            }
            Ok(None) => {}
            Err(raw) => {
                extra.insert(format!("{field}_raw"), Value::String(raw));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use reginv_core::ProviderKind;
    use serde_json::json;

    fn source() -> Source {
        Source::new(
            "swr-ap",
            ProviderKind::HUAWEI,
            "ap-southeast-1",
            "https://swr-api.ap-southeast-1.myhuaweicloud.com",
        )
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// The example response of vendor page 004, verbatim.
    const VENDOR_PAGE_004: &str = r#"[
        {
            "name": "busybox",
            "category": "linux",
            "description": "this is a busybox repository",
            "size": 200977474,
            "is_public": false,
            "num_images": 2,
            "num_download": 0,
            "created_at": "2021-06-10T03:24:44.784402Z",
            "updated_at": "2021-06-10T03:40:59.199352Z",
            "logo": "",
            "url": "",
            "path": "{Repository address}/group/busybox",
            "internal_path": "{Repository address}/group/busybox",
            "domain_name": "root",
            "namespace": "group",
            "tags": [
                "latest",
                "log"
            ],
            "status": false,
            "total_range": 1
        }
    ]"#;

    #[test]
    fn decodes_the_vendor_page_004_example() {
        let repos = repositories(&source(), VENDOR_PAGE_004.as_bytes(), None).unwrap();
        assert_eq!(repos.len(), 1);
        let r = &repos[0];
        assert_eq!(r.source, "swr-ap");
        assert_eq!(r.provider, ProviderKind::HUAWEI);
        assert_eq!(r.region, "ap-southeast-1");
        assert_eq!(r.registry, "group");
        assert_eq!(r.name, "busybox");
        assert_eq!(r.full_name, "group/busybox");
        assert_eq!(
            r.pull_uri.as_deref(),
            Some("{Repository address}/group/busybox")
        );
        assert_eq!(
            r.description.as_deref(),
            Some("this is a busybox repository")
        );
        assert_eq!(r.public, Some(false));
        assert_eq!(r.tag_count, Some(2));
        assert_eq!(r.size_bytes, Some(200_977_474));
        assert_eq!(r.pull_count, Some(0));
        assert_eq!(r.created_at, Some(at("2021-06-10T03:24:44.784402Z")));
        assert_eq!(r.updated_at, Some(at("2021-06-10T03:40:59.199352Z")));
        let names: Vec<&str> = r
            .tags
            .as_ref()
            .unwrap()
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(names, ["latest", "log"]);
        assert!(r.tags.as_ref().unwrap().iter().all(|t| t.digest.is_none()));
        let want_extra: Extra = [
            ("category", json!("linux")),
            ("logo", json!("")),
            ("url", json!("")),
            ("internal_path", json!("{Repository address}/group/busybox")),
            ("domain_name", json!("root")),
            ("status", json!(false)),
            ("total_range", json!(1)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        assert_eq!(r.extra, want_extra);
    }

    #[test]
    fn is_lenient_about_types_nulls_and_missing_fields() {
        let body = json!([
            {
                "name": "team/app",
                "namespace": "group",
                "size": "1024",
                "is_public": "true",
                "num_images": 3.0,
                "num_download": null,
                "created_at": "2021-06-10 03:24:44",
                "updated_at": "not a time",
                "tags": null,
                "brand_new_field": {"x": 1}
            },
            {"name": "minimal", "namespace": "group"},
            {"name": "odd", "namespace": "group", "size": "big", "is_public": 1,
             "num_images": -1, "tags": ["a", 7, null]}
        ]);
        let repos = repositories(&source(), body.to_string().as_bytes(), None).unwrap();
        assert_eq!(repos.len(), 3);
        let a = &repos[0];
        assert_eq!(a.full_name, "group/team/app");
        assert_eq!(a.size_bytes, Some(1024));
        assert_eq!(a.public, Some(true));
        assert_eq!(a.tag_count, Some(3));
        assert_eq!(a.pull_count, None);
        assert_eq!(a.created_at, Some(at("2021-06-10T03:24:44Z")));
        assert_eq!(a.updated_at, None);
        assert_eq!(a.extra["updated_at_raw"], json!("not a time"));
        assert_eq!(a.tags, None);
        assert_eq!(a.extra["brand_new_field"], json!({"x": 1}));

        let b = &repos[1];
        assert_eq!(b.tags, None);
        assert_eq!(b.size_bytes, None);
        assert!(b.extra.is_empty());

        let c = &repos[2];
        assert_eq!(c.size_bytes, None);
        assert_eq!(c.extra["size_raw"], json!("big"));
        assert_eq!(c.public, Some(true));
        assert_eq!(c.tag_count, None);
        assert_eq!(c.extra["num_images_raw"], json!(-1));
        let names: Vec<&str> = c
            .tags
            .as_ref()
            .unwrap()
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(names, ["a", "7"]);
        assert_eq!(c.extra["tags_raw"], json!([null]));
    }

    #[test]
    fn structural_problems_are_decode_errors() {
        let src = source();
        for body in [
            "",
            "{",
            r#"{"not": "an array"}"#,
            "[1]",
            r#"[{"namespace": "group"}]"#,
            r#"[{"name": "x"}]"#,
        ] {
            let err = repositories(&src, body.as_bytes(), None).unwrap_err();
            assert_eq!(err.kind(), reginv_core::ErrorKind::Decode, "{body:?}");
        }
        assert!(repositories(&src, b"null", None).unwrap().is_empty());
        assert!(repositories(&src, b"[]", None).unwrap().is_empty());
        // A missing namespace is taken from the query when there is one.
        let r = repositories(&src, br#"[{"name": "x"}]"#, Some("ns")).unwrap();
        assert_eq!(r[0].full_name, "ns/x");
    }

    #[test]
    fn decodes_a_repository_detail() {
        let body = json!({
            "id": 12, "ns_id": 3, "name": "team$app", "category": "other",
            "description": "", "creator_name": "alice", "size": 77, "is_public": true,
            "num_images": 1, "num_download": 9, "url": "", "path": "swr.example/group/team/app",
            "internal_path": "swr.internal/group/team/app",
            "created": "2021-06-10T03:24:44Z", "updated": "2021-06-11T00:00:00Z",
            "domain_id": "d-1", "priority": 0
        });
        let r =
            repository_detail(&source(), body.to_string().as_bytes(), "group", "team/app").unwrap();
        assert_eq!(r.full_name, "group/team/app");
        assert_eq!(r.description, None);
        assert_eq!(r.public, Some(true));
        assert_eq!(r.size_bytes, Some(77));
        assert_eq!(r.pull_count, Some(9));
        assert_eq!(r.created_at, Some(at("2021-06-10T03:24:44Z")));
        assert_eq!(r.updated_at, Some(at("2021-06-11T00:00:00Z")));
        assert_eq!(r.tags, None);
        for key in [
            "id",
            "ns_id",
            "creator_name",
            "domain_id",
            "priority",
            "category",
        ] {
            assert!(r.extra.contains_key(key), "{key}");
        }
        // `team$app` is how the wire writes `team/app`: no conflict recorded.
        assert!(!r.extra.contains_key("name"));
    }

    #[test]
    fn decodes_tags_with_capital_t() {
        let manifest_list = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
            "manifests": [
                {"mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                 "digest": "sha256:aaa", "size": 528,
                 "platform": {"architecture": "amd64", "os": "linux"}},
                {"mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                 "digest": "sha256:bbb", "size": 529,
                 "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}}
            ]
        });
        let body = json!([
            {
                "id": 1, "repo_id": 2, "Tag": "v1", "image_id": "img",
                "manifest": "{\"schemaVersion\":2}", "digest": "sha256:abc",
                "schema": 2, "path": "swr.example/group/app:v1",
                "internal_path": "swr.internal/group/app:v1", "size": 2048,
                "is_trusted": false, "created": "2021-06-10T03:24:44.784402Z",
                "updated": "2021-06-10T03:40:59Z", "deleted": null,
                "domain_id": "d", "scanned": false, "tag_type": 0
            },
            {
                "Tag": "multi", "digest": "sha256:def", "size": "4096", "tag_type": 1,
                "manifest": manifest_list.to_string(), "created": "garbage"
            }
        ]);
        let tags = tags(body.to_string().as_bytes()).unwrap();
        assert_eq!(tags.len(), 2);
        let v1 = &tags[0];
        assert_eq!(v1.name, "v1");
        assert_eq!(v1.digest.as_deref(), Some("sha256:abc"));
        assert_eq!(v1.size_bytes, Some(2048));
        assert_eq!(v1.created_at, Some(at("2021-06-10T03:24:44.784402Z")));
        assert_eq!(v1.updated_at, Some(at("2021-06-10T03:40:59Z")));
        assert!(v1.platforms.is_empty());
        assert_eq!(v1.scanned, Some(false));
        assert_eq!(v1.is_index, Some(false), "tag_type 0");
        assert_eq!(v1.media_type, None, "the manifest names none");
        assert_eq!(
            v1.extra["manifest"],
            json!({"schemaVersion": 2}),
            "the manifest is a document, not a string"
        );
        for key in ["tag_type", "scanned"] {
            assert!(!v1.extra.contains_key(key), "{key} is a model field");
        }
        for key in [
            "manifest",
            "image_id",
            "id",
            "repo_id",
            "schema",
            "path",
            "internal_path",
            "is_trusted",
            "deleted",
            "domain_id",
        ] {
            assert!(v1.extra.contains_key(key), "{key} missing from extra");
        }
        assert!(!v1.extra.contains_key("Tag"));
        let multi = &tags[1];
        assert_eq!(multi.size_bytes, Some(4096));
        assert_eq!(multi.created_at, None);
        assert_eq!(multi.extra["created_raw"], json!("garbage"));
        assert_eq!(multi.is_index, Some(true), "tag_type 1");
        assert_eq!(multi.scanned, None, "not said");
        assert_eq!(
            multi.media_type.as_deref(),
            Some("application/vnd.docker.distribution.manifest.list.v2+json")
        );
        assert_eq!(multi.extra["manifest"], manifest_list);
        assert_eq!(multi.platforms.len(), 2);
        assert_eq!(multi.platforms[1].architecture.as_deref(), Some("arm64"));
        assert_eq!(multi.platforms[1].variant.as_deref(), Some("v8"));
        assert_eq!(multi.platforms[1].digest.as_deref(), Some("sha256:bbb"));
        assert_eq!(multi.platforms[0].size_bytes, Some(528));
    }

    #[test]
    fn an_unreadable_manifest_is_kept_as_sent_and_odd_tag_types_stay_in_extra() {
        let body = json!([
            {"Tag": "a", "manifest": "not json", "tag_type": 7, "scanned": "maybe"},
            {"Tag": "b", "manifest": {"mediaType": "application/vnd.oci.image.index.v1+json",
                                      "manifests": []}},
            {"Tag": "c", "manifest": " "},
            {"Tag": "d", "manifest": null}
        ]);
        let tags = tags(body.to_string().as_bytes()).unwrap();
        let a = &tags[0];
        assert_eq!(a.extra["manifest_raw"], json!("not json"));
        assert!(!a.extra.contains_key("manifest"));
        assert_eq!(a.is_index, None);
        assert_eq!(a.extra["tag_type"], json!(7));
        assert_eq!(a.scanned, None);
        assert_eq!(a.extra["scanned_raw"], json!("maybe"));
        let b = &tags[1];
        assert_eq!(b.is_index, Some(true), "an index without tag_type");
        assert_eq!(
            b.media_type.as_deref(),
            Some("application/vnd.oci.image.index.v1+json")
        );
        for empty in &tags[2..] {
            assert!(empty.extra.is_empty(), "{:?}", empty.extra);
        }
    }

    #[test]
    fn a_tag_without_a_name_is_an_error() {
        let err = tags(br#"[{"digest": "sha256:x"}]"#).unwrap_err();
        assert_eq!(err.kind(), reginv_core::ErrorKind::Decode);
        // A lower-case `tag` is accepted as a fallback.
        assert_eq!(tags(br#"[{"tag": "x"}]"#).unwrap()[0].name, "x");
    }

    #[test]
    fn decodes_namespaces() {
        let body = json!({"namespaces": [
            {"id": 1, "name": "group", "creator_name": "alice", "auth": 7},
            {"id": 2, "name": "other", "creator_name": "bob", "auth": 1}
        ]});
        let ns = namespaces(&source(), body.to_string().as_bytes()).unwrap();
        assert_eq!(ns.len(), 2);
        assert_eq!(ns[0].name, "group");
        assert_eq!(ns[0].extra["auth"], json!(7));
        assert_eq!(ns[1].extra["creator_name"], json!("bob"));
        assert!(namespaces(&source(), br#"{"namespaces": null}"#)
            .unwrap()
            .is_empty());
        assert!(namespaces(&source(), br#"{"namespaces": [{"id": 1}]}"#).is_err());
        assert!(namespaces(&source(), b"42").is_err());
    }
}
