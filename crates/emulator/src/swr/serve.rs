//! SWR `/v2/manage` answers: offset/limit paging with `Content-Range`, the vendor's JSON shapes.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::{bad_request, error, SwrOp};
use crate::faults::mix;
use crate::fixture::{Fixture, SwrFixture, SwrNamespace, SwrRepo, SwrTag};
use crate::reply::Reply;

/// The default `limit`.
const DEFAULT_LIMIT: u64 = 100;
/// The largest `limit`.
const MAX_LIMIT: u64 = 1000;

/// SWR timestamps: `2021-06-10T03:24:44.784402Z`.
pub(crate) fn time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn id(parts: &[&str]) -> u64 {
    mix(0x0053_5752, &parts.join("\u{0}"), 0) % 900_000 + 100
}

fn host(swr: &SwrFixture) -> String {
    format!("swr.{}.myhuaweicloud.com", swr.region)
}

/// The registry address inside the region's VPCs (`internal_path`): an address and port of the
/// service network, not the public host, as on the real service.
fn internal_host(swr: &SwrFixture) -> String {
    let h = mix(0x0049_4e54, &swr.region, 0);
    format!("10.125.{}.{}:20202", (h >> 8) % 256, h % 254 + 1)
}

/// A user id (32 hex digits, as IAM's) derived from a user name.
fn user_id(name: &str) -> String {
    format!(
        "{:016x}{:016x}",
        mix(0x0055_5352, name, 0),
        mix(0x0055_5352, name, 1)
    )
}

/// The query a listing answers: the legacy `filter=key::value|key::value` parameter when sent
/// (it wins over every plain parameter), else the plain parameters.
fn effective_query(query: &[(String, String)]) -> Result<Vec<(String, String)>, Reply> {
    let Some(filter) = param(query, "filter") else {
        return Ok(query.to_vec());
    };
    filter
        .split('|')
        .filter(|part| !part.trim().is_empty())
        .map(|part| {
            part.split_once("::")
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .ok_or_else(|| {
                    bad_request(format!(
                        "filter must be key::value pairs joined by '|', got {part:?}"
                    ))
                })
        })
        .collect()
}

fn param<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The window `(limit, offset)` a request asks for, and whether it asked at all (then the
/// response carries `Content-Range`).
struct Window {
    limit: u64,
    offset: u64,
    asked: bool,
    offset_given: bool,
}

fn window(query: &[(String, String)]) -> Result<Window, Reply> {
    let limit = match param(query, "limit") {
        None => None,
        Some(v) => match v.trim().parse::<u64>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Some(n),
            _ => {
                return Err(bad_request(format!(
                    "limit must be an integer from 1 to {MAX_LIMIT}, got {v:?}"
                )))
            }
        },
    };
    let offset = match param(query, "offset") {
        None => None,
        Some(v) => match v.trim().parse::<u64>() {
            Ok(n) => Some(n),
            _ => {
                return Err(bad_request(format!(
                    "offset must be a non-negative integer, got {v:?}"
                )))
            }
        },
    };
    let effective_limit = limit.unwrap_or(DEFAULT_LIMIT);
    let effective_offset = offset.unwrap_or(0);
    if effective_offset % effective_limit != 0 {
        return Err(bad_request(format!(
            "offset must be 0 or a multiple of limit ({effective_limit}), got {effective_offset}"
        )));
    }
    Ok(Window {
        limit: effective_limit,
        offset: effective_offset,
        asked: limit.is_some() || offset.is_some(),
        offset_given: offset.is_some(),
    })
}

/// `Content-Range` of a page: `{offset}-{offset+count-1}/{total}`, or `*/{total}` when empty.
pub(crate) fn content_range(offset: u64, count: u64, total: u64) -> String {
    if count == 0 {
        format!("*/{total}")
    } else {
        format!("{offset}-{}/{total}", offset + count - 1)
    }
}

fn skewed(total: usize, skew: i64) -> u64 {
    (total as i64).saturating_add(skew).max(0) as u64
}

/// Sorting asked with `order_column` / `order_type`.
fn ordering(query: &[(String, String)]) -> Result<Option<(String, bool)>, Reply> {
    match (param(query, "order_column"), param(query, "order_type")) {
        (None, None) => Ok(None),
        (Some(column), order) => {
            let descending = match order.unwrap_or("desc") {
                "desc" => true,
                "asc" => false,
                other => {
                    return Err(bad_request(format!(
                        "order_type must be asc or desc, got {other:?}"
                    )))
                }
            };
            Ok(Some((column.to_string(), descending)))
        }
        (None, Some(_)) => Err(bad_request(
            "order_type must be sent together with order_column".to_string(),
        )),
    }
}

fn repo_item(swr: &SwrFixture, ns: &SwrNamespace, repo: &SwrRepo, total: u64) -> Value {
    let path = format!("{}/{}/{}", host(swr), ns.name, repo.name);
    let internal_path = format!("{}/{}/{}", internal_host(swr), ns.name, repo.name);
    json!({
        "name": repo.name,
        "category": repo.category,
        "description": repo.description,
        "size": repo.size,
        "is_public": repo.is_public,
        "num_images": repo.tags.len(),
        "num_download": repo.num_download,
        "created_at": time(&repo.created),
        "updated_at": time(&repo.updated),
        "logo": "",
        "url": "",
        "path": path,
        "internal_path": internal_path,
        "domain_name": swr.domain_name,
        "namespace": ns.name,
        "tags": repo.tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        "status": false,
        "total_range": total,
    })
}

fn repo_detail(swr: &SwrFixture, ns: &SwrNamespace, repo: &SwrRepo) -> Value {
    let path = format!("{}/{}/{}", host(swr), ns.name, repo.name);
    let internal_path = format!("{}/{}/{}", internal_host(swr), ns.name, repo.name);
    json!({
        "id": id(&[&ns.name, &repo.name]),
        "ns_id": id(&[&ns.name]),
        "name": repo.name,
        "category": repo.category,
        "description": repo.description,
        "creator_id": user_id(&ns.creator_name),
        "creator_name": ns.creator_name,
        "size": repo.size,
        "is_public": repo.is_public,
        "num_images": repo.tags.len(),
        "num_download": repo.num_download,
        "url": "",
        "path": path,
        "internal_path": internal_path,
        "created": time(&repo.created),
        "updated": time(&repo.updated),
        "domain_id": id(&[&swr.domain_name]).to_string(),
        "priority": 0,
    })
}

fn tag_item(swr: &SwrFixture, ns: &SwrNamespace, repo: &SwrRepo, tag: &SwrTag) -> Value {
    let path = format!("{}/{}/{}:{}", host(swr), ns.name, repo.name, tag.name);
    let internal_path = format!(
        "{}/{}/{}:{}",
        internal_host(swr),
        ns.name,
        repo.name,
        tag.name
    );
    json!({
        "id": id(&[&ns.name, &repo.name, &tag.name]),
        "repo_id": id(&[&ns.name, &repo.name]),
        "Tag": tag.name,
        "image_id": tag.digest.strip_prefix("sha256:").unwrap_or(&tag.digest),
        "manifest": tag.manifest,
        "digest": tag.digest,
        "schema": tag.schema,
        "path": path,
        "internal_path": internal_path,
        "size": tag.size,
        "is_trusted": tag.is_trusted,
        "created": time(&tag.created),
        "updated": time(&tag.updated),
        "deleted": Value::Null,
        "domain_id": id(&[&swr.domain_name]).to_string(),
        "scanned": tag.scanned,
        "tag_type": tag.tag_type,
    })
}

fn find<'a>(
    swr: &'a SwrFixture,
    namespace: &str,
    repository: &str,
) -> Result<(&'a SwrNamespace, &'a SwrRepo), Reply> {
    let ns = swr
        .namespaces
        .iter()
        .find(|n| n.name == namespace)
        .ok_or_else(|| {
            error(
                404,
                2,
                "Namespace not found",
                &format!("namespace {namespace:?} does not exist"),
            )
        })?;
    let repo = ns
        .repos
        .iter()
        .find(|r| r.name == repository)
        .ok_or_else(|| {
            error(
                404,
                17,
                "Repository not found",
                &format!("repository {repository:?} does not exist in {namespace:?}"),
            )
        })?;
    Ok((ns, repo))
}

/// Serves an SWR operation.
pub(crate) fn read(
    fixture: &Fixture,
    op: &SwrOp,
    query: &[(String, String)],
    total_skew: i64,
) -> Reply {
    let swr = &fixture.swr;
    let result = match op {
        SwrOp::ListNamespaces => {
            let items: Vec<Value> = swr
                .namespaces
                .iter()
                .map(|n| {
                    json!({"id": id(&[&n.name]), "name": n.name, "creator_name": n.creator_name, "auth": n.auth})
                })
                .collect();
            Ok(Reply::json(200, &json!({ "namespaces": items })))
        }
        SwrOp::ListRepos => list_repos(swr, query, total_skew),
        SwrOp::RepoDetail(ns, repo) => {
            find(swr, ns, repo).map(|(n, r)| Reply::json(200, &repo_detail(swr, n, r)))
        }
        SwrOp::ListTags(ns, repo) => {
            find(swr, ns, repo).and_then(|(n, r)| list_tags(swr, n, r, query, total_skew))
        }
        SwrOp::Unknown => Err(error(
            404,
            1,
            "Not found",
            "no such operation in /v2/manage",
        )),
    };
    result.unwrap_or_else(|reply| reply)
}

fn list_repos(swr: &SwrFixture, query: &[(String, String)], skew: i64) -> Result<Reply, Reply> {
    let query = &effective_query(query)?;
    let win = window(query)?;
    let order = ordering(query)?;
    let ns_filter = param(query, "namespace").filter(|s| !s.is_empty());
    let name_filter = param(query, "name").filter(|s| !s.is_empty());
    let category = param(query, "category").filter(|s| !s.is_empty());
    let mut rows: Vec<(&SwrNamespace, &SwrRepo)> = swr
        .namespaces
        .iter()
        .filter(|n| ns_filter.is_none_or(|f| n.name.contains(f)))
        .flat_map(|n| n.repos.iter().map(move |r| (n, r)))
        .filter(|(_, r)| name_filter.is_none_or(|f| r.name.contains(f)))
        .filter(|(_, r)| category.is_none_or(|c| r.category == c))
        .collect();
    let by_name = |a: &(&SwrNamespace, &SwrRepo), b: &(&SwrNamespace, &SwrRepo)| {
        (&a.0.name, &a.1.name).cmp(&(&b.0.name, &b.1.name))
    };
    match &order {
        None => rows.sort_by(by_name),
        Some((column, descending)) => {
            let key: fn(&(&SwrNamespace, &SwrRepo), &(&SwrNamespace, &SwrRepo)) -> Ordering =
                match column.as_str() {
                    "updated_at" | "updated_time" => |a, b| a.1.updated.cmp(&b.1.updated),
                    "name" => |a, b| a.1.name.cmp(&b.1.name),
                    "tag_count" => |a, b| a.1.tags.len().cmp(&b.1.tags.len()),
                    other => {
                        return Err(bad_request(format!(
                            "order_column must be name, updated_at, updated_time or tag_count, got {other:?}"
                        )))
                    }
                };
            rows.sort_by(|a, b| {
                let o = key(a, b);
                let o = if *descending { o.reverse() } else { o };
                o.then_with(|| by_name(a, b))
            });
        }
    }
    let total = skewed(rows.len(), skew);
    let page: Vec<Value> = rows
        .iter()
        .skip(usize::try_from(win.offset).unwrap_or(usize::MAX))
        .take(win.limit as usize)
        .map(|(n, r)| repo_item(swr, n, r, total))
        .collect();
    let count = page.len() as u64;
    let mut reply = Reply::json(200, &Value::Array(page));
    if win.asked {
        reply = reply.header("content-range", content_range(win.offset, count, total));
    }
    Ok(reply)
}

fn list_tags(
    swr: &SwrFixture,
    ns: &SwrNamespace,
    repo: &SwrRepo,
    query: &[(String, String)],
    skew: i64,
) -> Result<Reply, Reply> {
    let query = &effective_query(query)?;
    let win = window(query)?;
    let order = ordering(query)?;
    let tag_filter = param(query, "tag").filter(|s| !s.is_empty());
    let mut tags: Vec<&SwrTag> = repo
        .tags
        .iter()
        .filter(|t| tag_filter.is_none_or(|f| t.name.contains(f)))
        .collect();
    if let Some((column, descending)) = &order {
        let key: fn(&&SwrTag, &&SwrTag) -> Ordering = match column.as_str() {
            "updated_at" | "updated" | "updated_time" => |a, b| a.updated.cmp(&b.updated),
            "created_at" | "created" => |a, b| a.created.cmp(&b.created),
            "name" | "tag" => |a, b| a.name.cmp(&b.name),
            other => {
                return Err(bad_request(format!(
                    "order_column must be name, created or updated_at, got {other:?}"
                )))
            }
        };
        tags.sort_by(|a, b| {
            let o = key(a, b);
            let o = if *descending { o.reverse() } else { o };
            o.then_with(|| a.name.cmp(&b.name))
        });
    }
    let total = skewed(tags.len(), skew);
    let (offset, page): (u64, Vec<&&SwrTag>) = if win.offset_given {
        (
            win.offset,
            tags.iter()
                .skip(usize::try_from(win.offset).unwrap_or(usize::MAX))
                .take(win.limit as usize)
                .collect(),
        )
    } else {
        (0, tags.iter().collect())
    };
    let count = page.len() as u64;
    let items: Vec<Value> = page.iter().map(|t| tag_item(swr, ns, repo, t)).collect();
    let mut reply = Reply::json(200, &Value::Array(items));
    if win.asked {
        reply = reply.header("content-range", content_range(offset, count, total));
    }
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_convention() {
        assert_eq!(content_range(0, 100, 250), "0-99/250");
        assert_eq!(content_range(200, 50, 250), "200-249/250");
        assert_eq!(content_range(300, 0, 250), "*/250");
    }

    #[test]
    fn times_have_microseconds() {
        let t = DateTime::parse_from_rfc3339("2021-06-10T03:24:44.784402Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(time(&t), "2021-06-10T03:24:44.784402Z");
    }
}
