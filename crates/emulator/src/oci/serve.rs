//! OCI Distribution answers: the catalog and tag lists (`n`/`last` paging with `Link`), manifests
//! and indexes by tag or digest with their exact digests, config blobs.

use axum::http::Method;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{json, Value};

use super::content::{repository_names, tags_of, Blob, Rendered};
use super::{error, OciOp};
use crate::api::Request;
use crate::fixture::Fixture;
use crate::reply::Reply;

/// What a query value encodes (as Go's `url.QueryEscape`, which Distribution's `Link` uses).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The most entries one page of the catalog or of a tag list holds (and the default `n`).
const MAX_PAGE: usize = 1000;

/// Serves a read-only OCI operation.
pub(crate) fn read(fixture: &Fixture, op: &OciOp, req: &Request<'_>) -> Reply {
    let result = match op {
        OciOp::Base => Ok(Reply::json(200, &json!({}))),
        OciOp::Catalog => {
            let names = repository_names(fixture);
            page(&names, req, "/v2/_catalog").map(|(items, link)| {
                with_link(Reply::json(200, &json!({ "repositories": items })), link)
            })
        }
        OciOp::Tags(name) => tags_list(fixture, name, req),
        OciOp::Manifest(name, reference) => manifest(fixture, name, reference, req),
        OciOp::Blob(name, digest) => blob(fixture, name, digest),
        OciOp::Token | OciOp::Unknown
            if *req.method != Method::GET && *req.method != Method::HEAD =>
        {
            Err(error(
                405,
                "UNSUPPORTED",
                "the operation is unsupported",
                "the emulator serves the OCI Distribution read API only",
            ))
        }
        OciOp::Token | OciOp::Unknown => Err(error(
            404,
            "NOT_FOUND",
            "not found",
            "no such path in the OCI Distribution API",
        )),
    };
    let reply = result.unwrap_or_else(|reply| reply);
    if *req.method == Method::HEAD {
        head(reply)
    } else {
        reply
    }
}

/// A `HEAD` answer: the headers of the `GET` answer (`Content-Length` included), no body.
fn head(mut reply: Reply) -> Reply {
    let length = reply.body.len();
    reply.body.clear();
    reply.head_length = Some(length);
    reply
}

fn with_link(reply: Reply, link: Option<String>) -> Reply {
    match link {
        Some(link) => reply.header("link", link),
        None => reply,
    }
}

/// The page `n` entries after `last` of sorted `items`, and the `Link` to the next page when
/// entries remain.
fn page<'a>(
    items: &'a [String],
    req: &Request<'_>,
    path: &str,
) -> Result<(Vec<&'a str>, Option<String>), Reply> {
    let query = req.query();
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let n = match param("n") {
        None | Some("") => MAX_PAGE,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if n <= MAX_PAGE => n,
            _ => {
                return Err(error(
                    400,
                    "PAGINATION_NUMBER_INVALID",
                    "invalid number of results requested",
                    &format!("n must be an integer from 0 to {MAX_PAGE}, got {v:?}"),
                ))
            }
        },
    };
    let start = match param("last").filter(|l| !l.is_empty()) {
        Some(last) => items.partition_point(|i| i.as_str() <= last),
        None => 0,
    };
    let end = start.saturating_add(n).min(items.len());
    let chosen: Vec<&str> = items[start..end].iter().map(String::as_str).collect();
    let link = match chosen.last() {
        Some(last) if end < items.len() => Some(format!(
            "<{path}?last={}&n={n}>; rel=\"next\"",
            utf8_percent_encode(last, QUERY_VALUE)
        )),
        _ => None,
    };
    Ok((chosen, link))
}

fn name_unknown(name: &str) -> Reply {
    error(
        404,
        "NAME_UNKNOWN",
        "repository name not known to registry",
        &format!("{name:?}"),
    )
}

fn tags_list(fixture: &Fixture, name: &str, req: &Request<'_>) -> Result<Reply, Reply> {
    let tags = tags_of(fixture, name).ok_or_else(|| name_unknown(name))?;
    let mut names: Vec<String> = tags.into_iter().map(|t| t.name).collect();
    names.sort();
    let path = format!("/v2/{name}/tags/list");
    let (items, link) = page(&names, req, &path)?;
    // A repository without tags answers `"tags": null`, as Distribution does.
    let tags = if names.is_empty() {
        Value::Null
    } else {
        json!(items)
    };
    Ok(with_link(
        Reply::json(200, &json!({"name": name, "tags": tags})),
        link,
    ))
}

/// Every tag's rendering of repository `name`.
fn rendered(fixture: &Fixture, name: &str) -> Result<Vec<(String, Rendered)>, Reply> {
    let tags = tags_of(fixture, name).ok_or_else(|| name_unknown(name))?;
    Ok(tags.iter().map(|t| (t.name.clone(), t.render())).collect())
}

fn is_manifest(media_type: &str) -> bool {
    media_type.contains("manifest") || media_type.ends_with("index.v1+json")
}

/// Whether an `Accept` header list admits `media_type` (no `Accept` admits everything).
fn accepts(req: &Request<'_>, media_type: &str) -> bool {
    let accepted: Vec<String> = req
        .headers
        .get_all("accept")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|v| !v.is_empty())
        .collect();
    accepted.is_empty()
        || accepted
            .iter()
            .any(|a| a == media_type || a == "*/*" || a == "application/*")
}

fn content(blob: &Blob, content_type: &str) -> Reply {
    let digest = blob.digest();
    Reply::bytes(200, content_type, blob.bytes.clone())
        .header("docker-content-digest", digest.clone())
        .header("etag", format!("\"{digest}\""))
}

fn manifest(
    fixture: &Fixture,
    name: &str,
    reference: &str,
    req: &Request<'_>,
) -> Result<Reply, Reply> {
    let all = rendered(fixture, name)?;
    let unknown = || {
        error(
            404,
            "MANIFEST_UNKNOWN",
            "manifest unknown",
            &format!("{reference:?} in {name:?}"),
        )
    };
    let found: Blob = if reference.starts_with("sha256:") {
        all.iter()
            .flat_map(|(_, r)| std::iter::once(&r.top).chain(r.parts.values()))
            .find(|b| is_manifest(b.media_type) && b.digest() == reference)
            .cloned()
            .ok_or_else(unknown)?
    } else {
        all.into_iter()
            .find(|(tag, _)| tag == reference)
            .map(|(_, r)| r.top)
            .ok_or_else(unknown)?
    };
    if !accepts(req, found.media_type) {
        return Err(error(
            404,
            "MANIFEST_UNKNOWN",
            "manifest unknown",
            &format!(
                "the manifest is {}, which the Accept header does not list",
                found.media_type
            ),
        ));
    }
    Ok(content(&found, found.media_type))
}

fn blob(fixture: &Fixture, name: &str, digest: &str) -> Result<Reply, Reply> {
    let all = rendered(fixture, name)?;
    all.iter()
        .flat_map(|(_, r)| std::iter::once(&r.top).chain(r.parts.values()))
        .find(|b| b.digest() == digest)
        .map(|b| content(b, "application/octet-stream"))
        .ok_or_else(|| {
            error(
                404,
                "BLOB_UNKNOWN",
                "blob unknown to registry",
                &format!("{digest:?} in {name:?}"),
            )
        })
}
