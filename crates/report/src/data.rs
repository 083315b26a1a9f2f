//! The repository table's data, compact: the page's script turns it into rows.
//!
//! Source and registry names are given once and referred to by index; times are Unix seconds;
//! each repository and tag is an array, not an object, so 50,000 repositories fit in a few
//! megabytes. Its layout is private to this crate and `report.js`.

use serde::Serialize;

use reginv::{InventoryReport, Platform, Repository, Tag};

use crate::figures::{pushed_at, repository_size, repository_tags};

/// What the page's script reads.
#[derive(Debug, Serialize)]
pub struct TableData<'a> {
    /// Source names, indexed by the rows.
    pub sources: Vec<&'a str>,
    /// Provider kind of each source.
    pub providers: Vec<&'a str>,
    /// Registry names, indexed by the rows.
    pub registries: Vec<&'a str>,
    /// One row per repository.
    pub rows: Vec<Row<'a>>,
}

/// `[source, registry, name, description, public, tags, size, pulls, updated, tag rows]`.
pub type Row<'a> = (
    usize,
    usize,
    &'a str,
    Option<&'a str>,
    Option<bool>,
    u64,
    Option<u64>,
    Option<u64>,
    Option<i64>,
    Option<Vec<TagRow<'a>>>,
);

/// `[name, digest, size, pushed, last pulled, platforms]`.
pub type TagRow<'a> = (
    &'a str,
    Option<&'a str>,
    Option<u64>,
    Option<i64>,
    Option<i64>,
    Option<String>,
);

fn index<'a>(names: &mut Vec<&'a str>, name: &'a str) -> usize {
    // Sources are few; registries are looked up through `registry_index` below.
    match names.iter().position(|n| *n == name) {
        Some(i) => i,
        None => {
            names.push(name);
            names.len() - 1
        }
    }
}

fn platform(p: &Platform) -> String {
    let mut parts: Vec<&str> = [&p.os, &p.architecture, &p.variant]
        .into_iter()
        .filter_map(|s| s.as_deref())
        .collect();
    if parts.is_empty() {
        parts.push("?");
    }
    parts.join("/")
}

fn tag_row(tag: &Tag) -> TagRow<'_> {
    let platforms = (!tag.platforms.is_empty()).then(|| {
        tag.platforms
            .iter()
            .map(platform)
            .collect::<Vec<_>>()
            .join(", ")
    });
    (
        &tag.name,
        tag.digest.as_deref(),
        tag.size_bytes,
        pushed_at(tag).map(|t| t.timestamp()),
        tag.last_pulled_at.map(|t| t.timestamp()),
        platforms,
    )
}

fn updated(repo: &Repository) -> Option<i64> {
    repo.updated_at
        .or_else(|| repo.tags.iter().flatten().filter_map(pushed_at).max())
        .map(|t| t.timestamp())
}

impl<'a> TableData<'a> {
    /// The table of `report`.
    pub fn of(report: &'a InventoryReport) -> Self {
        let mut sources: Vec<&str> = Vec::new();
        let mut providers: Vec<&str> = Vec::new();
        for s in &report.sources {
            if !sources.contains(&s.name.as_str()) {
                sources.push(&s.name);
                providers.push(s.provider.as_str());
            }
        }
        let mut registries: Vec<&str> = Vec::new();
        let mut registry_index = std::collections::HashMap::new();
        let rows = report
            .repositories
            .iter()
            .map(|repo| {
                let source = index(&mut sources, &repo.source);
                if providers.len() < sources.len() {
                    providers.push(repo.provider.as_str());
                }
                let registry = *registry_index
                    .entry(repo.registry.as_str())
                    .or_insert_with(|| {
                        registries.push(repo.registry.as_str());
                        registries.len() - 1
                    });
                (
                    source,
                    registry,
                    repo.name.as_str(),
                    repo.description.as_deref().filter(|d| !d.is_empty()),
                    repo.public,
                    repository_tags(repo),
                    repository_size(repo),
                    repo.pull_count,
                    updated(repo),
                    repo.tags
                        .as_ref()
                        .map(|tags| tags.iter().map(tag_row).collect()),
                )
            })
            .collect();
        TableData {
            sources,
            providers,
            registries,
            rows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::tests::sample;

    #[test]
    fn one_row_per_repository_with_names_by_index() {
        let report = sample();
        let data = TableData::of(&report);
        assert_eq!(data.rows.len(), report.repositories.len());
        assert_eq!(data.sources, ["ncp-kr", "swr-ap", "ncp-jpn"]);
        assert_eq!(data.providers, ["ncp", "huawei", "ncp"]);
        let json = serde_json::to_value(&data).unwrap();
        let first = &json["rows"][0];
        assert_eq!(first[0], 0);
        assert_eq!(data.registries[first[1].as_u64().unwrap() as usize], "prod");
        assert_eq!(first[2], "team/api");
        assert_eq!(first[5], 2);
        assert_eq!(first[6], 30);
        assert_eq!(first[9][0][0], "v0");
        // Listed without tags: the provider's count, no tag rows.
        let big = &json["rows"][4];
        assert_eq!((big[5].as_u64(), big[9].is_null()), (Some(7), true));
    }
}
