//! The `csv` format: one row per tag (one per repository with `--tags none` or
//! `--csv-rows repositories`, one per registry with `--csv-rows registries`), with a header row;
//! and the `--errors FILE` sidecar, one row per failure.
//!
//! The repository/tag columns are the same whatever the depth; a repository without tags (or
//! listed without them) still gets one row, with empty tag columns. Unknown values are empty
//! cells; times are RFC 3339 UTC as in the JSON; `platforms` is `os/architecture[/variant]`
//! joined by `;`. Unless [`CsvOptions::raw`], a cell that a spreadsheet would run as a formula
//! gets a leading `'` ([`escape::csv_cell`]).

use std::collections::HashMap;
use std::io::{self, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use reginv::{Failure, Platform, Registry, Repository, Tag, TagDepth};

use crate::cli::CsvRows;
use crate::escape;

/// How the CSV is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvOptions {
    /// What a row is.
    pub rows: CsvRows,
    /// Cells exactly as listed (no formula neutralising).
    pub raw: bool,
}

impl CsvOptions {
    /// The rows asked for (by default tags, or repositories at depth `none`), neutralised
    /// unless `raw`.
    pub fn new(rows: Option<CsvRows>, depth: TagDepth, raw: bool) -> Self {
        let rows = rows.unwrap_or(if depth == TagDepth::None {
            CsvRows::Repositories
        } else {
            CsvRows::Tags
        });
        CsvOptions { rows, raw }
    }
}

/// A CSV writer that neutralises formula cells unless raw.
struct Cells<'a> {
    writer: csv::Writer<&'a mut dyn Write>,
    raw: bool,
}

impl<'a> Cells<'a> {
    fn new(out: &'a mut dyn Write, raw: bool) -> Self {
        Cells {
            writer: csv::Writer::from_writer(out),
            raw,
        }
    }

    fn row<I: IntoIterator<Item = String>>(&mut self, cells: I) -> io::Result<()> {
        let raw = self.raw;
        let cells = cells
            .into_iter()
            .map(|c| if raw { c } else { escape::csv_cell(c) });
        self.writer.write_record(cells).map_err(io::Error::other)
    }

    fn header(&mut self, columns: &[&str]) -> io::Result<()> {
        self.writer.write_record(columns).map_err(io::Error::other)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

/// The header row of `--csv-rows registries`, in order.
pub const REGISTRY_COLUMNS: [&str; 10] = [
    "source",
    "provider",
    "region",
    "registry",
    "repositories",
    "public",
    "scan_on_push",
    "status",
    "pull_endpoint",
    "created_at",
];

/// The header row of the `--errors FILE` sidecar, in order.
pub const ERROR_COLUMNS: [&str; 9] = [
    "source",
    "provider",
    "operation",
    "target",
    "kind",
    "status",
    "code",
    "request_id",
    "message",
];

/// The header row of tag and repository rows, in order.
pub const COLUMNS: [&str; 24] = [
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
    "repo_tag_immutable",
    "tag_scanned",
    "tag_media_type",
    "tag_is_index",
];

/// Writes the header row and one row per tag of `repositories` (per repository at depth `none`
/// or with [`CsvRows::Repositories`]), or one per registry with [`CsvRows::Registries`].
pub fn write_csv<'a>(
    registries: &[Registry],
    repositories: impl IntoIterator<Item = &'a Repository>,
    depth: TagDepth,
    options: CsvOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut cells = Cells::new(out, options.raw);
    if options.rows == CsvRows::Registries {
        let mut counts: HashMap<(&str, &str), u64> = HashMap::new();
        for repo in repositories {
            *counts
                .entry((repo.source.as_str(), repo.registry.as_str()))
                .or_default() += 1;
        }
        cells.header(&REGISTRY_COLUMNS)?;
        for registry in registries {
            let n = counts
                .get(&(registry.source.as_str(), registry.name.as_str()))
                .copied()
                .unwrap_or(0);
            cells.row(registry_row(registry, n))?;
        }
        return cells.flush();
    }
    cells.header(&COLUMNS)?;
    for repo in repositories {
        let tags: &[Tag] = match (&repo.tags, depth, options.rows) {
            (_, TagDepth::None, _) | (None, _, _) | (_, _, CsvRows::Repositories) => &[],
            (Some(tags), _, _) => tags,
        };
        if tags.is_empty() {
            cells.row(row(repo, None))?;
        }
        for tag in tags {
            cells.row(row(repo, Some(tag)))?;
        }
    }
    cells.flush()
}

/// Writes the `--errors FILE` sidecar: the header row and one row per failure.
pub fn write_errors(failures: &[Failure], raw: bool, out: &mut dyn Write) -> io::Result<()> {
    let mut cells = Cells::new(out, raw);
    cells.header(&ERROR_COLUMNS)?;
    for f in failures {
        cells.row([
            f.source.clone(),
            f.provider.to_string(),
            f.operation.clone(),
            f.target.clone().unwrap_or_default(),
            f.kind.to_string(),
            opt(f.status.as_ref()),
            f.code.clone().unwrap_or_default(),
            f.request_id.clone().unwrap_or_default(),
            f.message.clone(),
        ])?;
    }
    cells.flush()
}

fn registry_row(registry: &Registry, repositories: u64) -> [String; REGISTRY_COLUMNS.len()] {
    [
        registry.source.clone(),
        registry.provider.to_string(),
        registry.region.clone(),
        registry.name.clone(),
        repositories.to_string(),
        opt(registry.public.as_ref()),
        opt(registry.scan_on_push.as_ref()),
        registry.status.clone().unwrap_or_default(),
        registry.pull_endpoint.clone().unwrap_or_default(),
        time(registry.created_at),
    ]
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
        opt(repo.tag_immutable.as_ref()),
        opt(tag.and_then(|t| t.scanned.as_ref())),
        opt(tag.and_then(|t| t.media_type.as_ref())),
        opt(tag.and_then(|t| t.is_index.as_ref())),
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

    fn options(rows: Option<CsvRows>, depth: TagDepth) -> CsvOptions {
        CsvOptions::new(rows, depth, false)
    }

    #[test]
    fn registry_rows_include_empty_registries_with_their_repository_count() {
        let source = Source::new("ncp-kr", ProviderKind::NCP, "kr", "http://127.0.0.1:1");
        let mut full = Registry::new(&source, "reg");
        full.scan_on_push = Some(true);
        full.status = Some("running".into());
        let mut empty = Registry::new(&source, "empty");
        empty.status = Some("disconnected".into());
        let repos = [repo("a", None), repo("b", None)];
        let mut out = Vec::new();
        let opts = options(Some(CsvRows::Registries), TagDepth::Names);
        write_csv(&[empty, full], &repos, TagDepth::Names, opts, &mut out).unwrap();
        let header = csv::Reader::from_reader(out.as_slice())
            .headers()
            .unwrap()
            .clone();
        assert_eq!(header.iter().collect::<Vec<_>>(), REGISTRY_COLUMNS);
        let rows = parse(&out);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (&rows[0][3], &rows[0][4], &rows[0][7]),
            ("empty", "0", "disconnected")
        );
        assert_eq!(
            (&rows[1][3], &rows[1][4], &rows[1][6]),
            ("reg", "2", "true")
        );
    }

    #[test]
    fn repository_rows_ignore_the_tags() {
        let repos = [repo("a", Some(vec![Tag::new("x"), Tag::new("y")]))];
        let mut out = Vec::new();
        let opts = options(Some(CsvRows::Repositories), TagDepth::Names);
        write_csv(&[], &repos, TagDepth::Names, opts, &mut out).unwrap();
        let rows = parse(&out);
        assert_eq!(rows.len(), 1);
        assert_eq!(&rows[0][8], "2", "the tag count stays");
        assert_eq!(&rows[0][13], "");
    }

    #[test]
    fn formula_cells_are_neutralised_unless_raw() {
        let mut repo = repo("=HYPERLINK(\"http://x\")", Some(vec![Tag::new("@evil")]));
        repo.registry = "+reg".into();
        let repos = [repo];
        let mut out = Vec::new();
        write_csv(
            &[],
            &repos,
            TagDepth::Names,
            options(None, TagDepth::Names),
            &mut out,
        )
        .unwrap();
        let rows = parse(&out);
        assert_eq!(&rows[0][3], "'+reg");
        assert_eq!(&rows[0][4], "'=HYPERLINK(\"http://x\")");
        assert_eq!(&rows[0][13], "'@evil");
        let mut out = Vec::new();
        let raw = CsvOptions::new(None, TagDepth::Names, true);
        write_csv(&[], &repos, TagDepth::Names, raw, &mut out).unwrap();
        let rows = parse(&out);
        assert_eq!(&rows[0][4], "=HYPERLINK(\"http://x\")");
        assert_eq!(&rows[0][13], "@evil");
    }

    #[test]
    fn the_errors_sidecar_has_a_row_per_failure() {
        let source = Source::new("swr", ProviderKind::HUAWEI, "ap", "http://127.0.0.1:1");
        let mut failure = Failure::new(&source, "list_tags", reginv::ErrorKind::Server, "-boom");
        failure.target = Some("ns/app".into());
        failure.status = Some(503);
        let mut out = Vec::new();
        write_errors(&[failure], false, &mut out).unwrap();
        let header = csv::Reader::from_reader(out.as_slice())
            .headers()
            .unwrap()
            .clone();
        assert_eq!(header.iter().collect::<Vec<_>>(), ERROR_COLUMNS);
        let rows = parse(&out);
        assert_eq!(rows.len(), 1);
        assert_eq!(&rows[0][0], "swr");
        assert_eq!(&rows[0][3], "ns/app");
        assert_eq!(&rows[0][4], "server");
        assert_eq!(&rows[0][5], "503");
        assert_eq!(&rows[0][8], "'-boom");
        let mut out = Vec::new();
        write_errors(&[], false, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap().lines().count(),
            1,
            "header only"
        );
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
        write_csv(
            &[],
            &repos,
            TagDepth::Full,
            options(None, TagDepth::Full),
            &mut out,
        )
        .unwrap();
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
        write_csv(
            &[],
            &repos,
            TagDepth::None,
            options(None, TagDepth::None),
            &mut out,
        )
        .unwrap();
        let rows = parse(&out);
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().all(|r| r[13].is_empty()));
        assert_eq!(&rows[1][8], "", "unknown tag count is an empty cell");
    }
}
