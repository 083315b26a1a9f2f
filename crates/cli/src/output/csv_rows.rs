//! The `csv` format: one row per tag (one per repository with `--tags none`), with a header row.
//!
//! The columns are the same whatever the depth; a repository without tags (or listed without
//! them) still gets one row, with empty tag columns. Unknown values are empty cells; times are
//! RFC 3339 UTC as in the JSON; `platforms` is `os/architecture[/variant]` joined by `;`.

use std::io::{self, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use reginv::{Platform, Repository, Tag, TagDepth};

/// The header row, in order.
pub const COLUMNS: [&str; 20] = [
    "source",
    "provider",
    "region",
    "registry",
    "repository",
    "full_name",
    "pull_uri",
    "public",
    "repo_tag_count",
    "repo_size_bytes",
    "pull_count",
    "repo_created_at",
    "repo_updated_at",
    "tag",
    "digest",
    "tag_size_bytes",
    "tag_created_at",
    "tag_updated_at",
    "tag_last_pulled_at",
    "platforms",
];

/// Writes the header row and one row per tag of `repositories` (per repository at depth `none`).
pub fn write_csv<'a>(
    repositories: impl IntoIterator<Item = &'a Repository>,
    depth: TagDepth,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(COLUMNS).map_err(io::Error::other)?;
    for repo in repositories {
        let tags: &[Tag] = match (&repo.tags, depth) {
            (_, TagDepth::None) | (None, _) => &[],
            (Some(tags), _) => tags,
        };
        if tags.is_empty() {
            writer
                .write_record(row(repo, None))
                .map_err(io::Error::other)?;
        }
        for tag in tags {
            writer
                .write_record(row(repo, Some(tag)))
                .map_err(io::Error::other)?;
        }
    }
    writer.flush()
}

fn row(repo: &Repository, tag: Option<&Tag>) -> [String; COLUMNS.len()] {
    let tag_count = repo
        .tags
        .as_ref()
        .map(|tags| tags.len() as u64)
        .or(repo.tag_count);
    [
        repo.source.clone(),
        repo.provider.to_string(),
        repo.region.clone(),
        repo.registry.clone(),
        repo.name.clone(),
        repo.full_name.clone(),
        opt(repo.pull_uri.as_ref()),
        opt(repo.public.as_ref()),
        opt(tag_count.as_ref()),
        opt(repo.size_bytes.as_ref()),
        opt(repo.pull_count.as_ref()),
        time(repo.created_at),
        time(repo.updated_at),
        tag.map_or_else(String::new, |t| t.name.clone()),
        opt(tag.and_then(|t| t.digest.as_ref())),
        opt(tag.and_then(|t| t.size_bytes.as_ref())),
        time(tag.and_then(|t| t.created_at)),
        time(tag.and_then(|t| t.updated_at)),
        time(tag.and_then(|t| t.last_pulled_at)),
        tag.map_or_else(String::new, |t| platforms(&t.platforms)),
    ]
}

fn opt<T: ToString>(value: Option<&T>) -> String {
    value.map_or_else(String::new, ToString::to_string)
}

fn time(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(String::new, |t| {
        t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    })
}

/// `linux/amd64;linux/arm64/v8`: each platform as `os/architecture[/variant]` (`?` for an
/// unknown part), joined by `;`.
pub fn platforms(platforms: &[Platform]) -> String {
    platforms
        .iter()
        .map(|p| {
            let mut text = format!(
                "{}/{}",
                p.os.as_deref().unwrap_or("?"),
                p.architecture.as_deref().unwrap_or("?")
            );
            if let Some(variant) = &p.variant {
                text.push('/');
                text.push_str(variant);
            }
            text
        })
        .collect::<Vec<_>>()
        .join(";")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use reginv::{ProviderKind, Source};

    fn repo(name: &str, tags: Option<Vec<Tag>>) -> Repository {
        let source = Source::new("ncp-kr", ProviderKind::NCP, "kr", "http://127.0.0.1:1");
        let mut repo = Repository::new(&source, "reg", name);
        repo.public = Some(false);
        repo.size_bytes = Some(1234);
        repo.tags = tags;
        repo
    }

    fn parse(bytes: &[u8]) -> Vec<csv::StringRecord> {
        csv::Reader::from_reader(bytes)
            .records()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn one_row_per_tag_and_one_for_a_repository_without_tags() {
        let mut tag = Tag::new("1.0, \"quoted\"");
        tag.digest = Some("sha256:abc".into());
        tag.updated_at = Some(Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap());
        let mut amd = Platform::new();
        amd.os = Some("linux".into());
        amd.architecture = Some("amd64".into());
        let mut arm = Platform::new();
        arm.os = Some("linux".into());
        arm.architecture = Some("arm64".into());
        arm.variant = Some("v8".into());
        tag.platforms = vec![amd, arm];
        let repos = [
            repo("team/app", Some(vec![tag, Tag::new("latest")])),
            repo("empty", Some(vec![])),
        ];
        let mut out = Vec::new();
        write_csv(&repos, TagDepth::Full, &mut out).unwrap();
        let header = csv::Reader::from_reader(out.as_slice())
            .headers()
            .unwrap()
            .clone();
        assert_eq!(header.iter().collect::<Vec<_>>(), COLUMNS);
        let rows = parse(&out);
        assert_eq!(rows.len(), 3);
        assert_eq!(&rows[0][4], "team/app");
        assert_eq!(&rows[0][5], "reg/team/app");
        assert_eq!(&rows[0][7], "false");
        assert_eq!(&rows[0][8], "2");
        assert_eq!(&rows[0][13], "1.0, \"quoted\"");
        assert_eq!(&rows[0][14], "sha256:abc");
        assert_eq!(&rows[0][17], "2024-01-02T03:04:05Z");
        assert_eq!(&rows[0][19], "linux/amd64;linux/arm64/v8");
        assert_eq!(&rows[1][13], "latest");
        assert_eq!(&rows[2][4], "empty");
        assert_eq!(&rows[2][13], "");
    }

    #[test]
    fn depth_none_gives_one_row_per_repository() {
        let repos = [
            repo("a", Some(vec![Tag::new("x"), Tag::new("y")])),
            repo("b", None),
        ];
        let mut out = Vec::new();
        write_csv(&repos, TagDepth::None, &mut out).unwrap();
        let rows = parse(&out);
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().all(|r| r[13].is_empty()));
        assert_eq!(&rows[1][8], "", "unknown tag count is an empty cell");
    }
}
