//! Rules over repository rows: `public-repository`, `mutable-tags`, `tag-sprawl`,
//! `empty-repository`.

use reginv::Repository;
use serde_json::json;

use super::{reported, Draft, Outcome};
use crate::input::SourceRows;

/// `public-repository`: `public` is `true` (also when its registry is public).
pub(super) fn public(source: &str, rows: &SourceRows<'_>) -> Outcome {
    let repos = &rows.repositories;
    reported(
        repos,
        |r| r.public.is_some(),
        source,
        "repository.public",
        "repositories",
    )?;
    Ok(repos
        .iter()
        .filter(|r| r.public == Some(true))
        .map(|r| {
            Draft::repository(
                r,
                format!("repository {} can be pulled anonymously", r.full_name),
                json!({ "public": true }),
            )
        })
        .collect())
}

/// `mutable-tags`: `tag_immutable` is `false`.
pub(super) fn mutable_tags(source: &str, rows: &SourceRows<'_>) -> Outcome {
    let repos = &rows.repositories;
    reported(
        repos,
        |r| r.tag_immutable.is_some(),
        source,
        "repository.tag_immutable",
        "repositories (some providers report it only in repository details)",
    )?;
    Ok(repos
        .iter()
        .filter(|r| r.tag_immutable == Some(false))
        .map(|r| {
            Draft::repository(
                r,
                format!("tags of {} can be overwritten", r.full_name),
                json!({ "tag_immutable": false }),
            )
        })
        .collect())
}

/// How many tags `repo` has: the listed tags when they were listed, else the provider's count.
fn tag_total(repo: &Repository) -> Option<u64> {
    repo.tags
        .as_ref()
        .map(|tags| tags.len() as u64)
        .or(repo.tag_count)
}

/// The source's repositories with a known tag total, or why the count is unknown.
fn counted<'a>(source: &str, rows: &SourceRows<'a>) -> Result<Vec<(&'a Repository, u64)>, String> {
    reported(
        &rows.repositories,
        |r| tag_total(r).is_some(),
        source,
        "repository.tags` or `repository.tag_count",
        "repositories (list tags at depth names or full)",
    )?;
    Ok(rows
        .repositories
        .iter()
        .filter_map(|r| Some((*r, tag_total(r)?)))
        .collect())
}

/// `tag-sprawl`: more than `max_tags` tags.
pub(super) fn sprawl(source: &str, rows: &SourceRows<'_>, max_tags: u64) -> Outcome {
    Ok(counted(source, rows)?
        .into_iter()
        .filter(|(_, n)| *n > max_tags)
        .map(|(r, n)| {
            Draft::repository(
                r,
                format!("{} has {n} tags, more than {max_tags}", r.full_name),
                json!({ "tags": n, "max_tags": max_tags }),
            )
        })
        .collect())
}

/// `empty-repository`: no tags.
pub(super) fn empty(source: &str, rows: &SourceRows<'_>) -> Outcome {
    Ok(counted(source, rows)?
        .into_iter()
        .filter(|(_, n)| *n == 0)
        .map(|(r, _)| {
            Draft::repository(
                r,
                format!("{} has no tags", r.full_name),
                json!({ "tags": 0 }),
            )
        })
        .collect())
}
