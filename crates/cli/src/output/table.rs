//! The `table` format: aligned columns for people, one line per repository (with a totals
//! line), the registries that hold no repository, a summary line per source (with totals), and
//! the errors.
//!
//! Every cell is escaped for the terminal (names come from servers); tag names are in natural
//! order (`1.2` before `1.10`); times are UTC and say so; on a terminal, the widest columns are
//! cut with `…` until the lines fit its width.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::io::{self, Write};

use reginv::{InventoryReport, Registry, Repository, SourceStatus, SourceSummary, TagDepth};

use super::human;
use crate::escape;

/// At most this many characters of tag names per repository line.
const TAG_NAMES_WIDTH: usize = 48;

/// A column is never cut below this many characters to fit the terminal.
const MIN_COLUMN_WIDTH: usize = 6;

/// Writes `report` as tables: repositories, empty registries, sources, totals, then errors.
/// With `width`, lines are fitted to that many characters.
pub fn write_table(
    report: &InventoryReport,
    depth: TagDepth,
    width: Option<usize>,
    out: &mut dyn Write,
) -> io::Result<()> {
    if report.repositories.is_empty() {
        writeln!(out, "No repositories found.")?;
    } else {
        repositories_table(&report.repositories, depth).write(out, width)?;
    }
    let empty = empty_registries(&report.registries, &report.repositories);
    if !empty.is_empty() {
        writeln!(out)?;
        writeln!(out, "Registries without repositories:")?;
        registries_table(&empty).write(out, width)?;
    }
    writeln!(out)?;
    sources_table(&report.sources).write(out, width)?;
    writeln!(out)?;
    writeln!(out, "{}", totals_line(report))?;
    if !report.errors.is_empty() {
        writeln!(out)?;
        writeln!(out, "Errors:")?;
        for failure in &report.errors {
            writeln!(out, "  {}", escape::terminal(&failure.to_string()))?;
        }
    }
    Ok(())
}

/// The width of the terminal stdout is attached to: `COLUMNS` when set, else what the
/// terminal says; `None` when unknown.
pub fn terminal_width() -> Option<usize> {
    if let Some(columns) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|c| *c > 0)
    {
        return Some(columns);
    }
    #[cfg(unix)]
    {
        let mut size = libc::winsize {
            ws_row: 0,
            ws_col: 0,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: TIOCGWINSZ only writes a `winsize` into the pointer given, which is valid.
        let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) } == 0;
        if ok && size.ws_col > 0 {
            return Some(usize::from(size.ws_col));
        }
    }
    None
}

/// Compares tag names naturally: runs of digits by their value (`1.2` < `1.10`), the rest as
/// text; equal-looking names (`01` and `1`) fall back to plain order.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a, b);
    loop {
        match (x.chars().next(), y.chars().next()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let split = |s: &str| s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
                let (nx, rx) = x.split_at(split(x));
                let (ny, ry) = y.split_at(split(y));
                let (tx, ty) = (nx.trim_start_matches('0'), ny.trim_start_matches('0'));
                let by_value = tx.len().cmp(&ty.len()).then_with(|| tx.cmp(ty));
                if by_value != Ordering::Equal {
                    return by_value;
                }
                (x, y) = (rx, ry);
            }
            (Some(c), Some(d)) => {
                if c != d {
                    return c.cmp(&d);
                }
                (x, y) = (&x[c.len_utf8()..], &y[d.len_utf8()..]);
            }
        }
    }
}

fn cell(text: &str) -> String {
    escape::terminal(text).into_owned()
}

fn tag_count(repo: &Repository) -> Option<u64> {
    repo.tags
        .as_ref()
        .map(|tags| tags.len() as u64)
        .or(repo.tag_count)
}

fn repositories_table(repositories: &[Repository], depth: TagDepth) -> TextTable {
    let mut headers = vec![
        "SOURCE",
        "REGISTRY",
        "REPOSITORY",
        "TAGS",
        "SIZE",
        "PULLS",
        "UPDATED (UTC)",
        "PUBLIC",
    ];
    let with_names = depth != TagDepth::None;
    if with_names {
        headers.push("TAG NAMES");
    }
    let mut table = TextTable::new(&headers, &[3, 4, 5]);
    let (mut tags, mut size, mut pulls) = (0u64, 0u64, 0u64);
    for repo in repositories {
        tags += tag_count(repo).unwrap_or(0);
        size = size.saturating_add(repo.size_bytes.unwrap_or(0));
        pulls = pulls.saturating_add(repo.pull_count.unwrap_or(0));
        let mut row = vec![
            cell(&repo.source),
            cell(&repo.registry),
            cell(&repo.name),
            human::count(tag_count(repo)),
            human::size(repo.size_bytes),
            human::count(repo.pull_count),
            human::time(repo.updated_at),
            human::flag(repo.public),
        ];
        if with_names {
            let mut names: Vec<&str> = repo
                .tags
                .iter()
                .flatten()
                .map(|t| t.name.as_str())
                .collect();
            names.sort_by(|a, b| natural_cmp(a, b));
            row.push(human::truncate(&cell(&names.join(", ")), TAG_NAMES_WIDTH));
        }
        table.push(row);
    }
    let mut total = vec![
        "TOTAL".to_string(),
        String::new(),
        format!("{} repositories", repositories.len()),
        tags.to_string(),
        human::size(Some(size)),
        pulls.to_string(),
        String::new(),
        String::new(),
    ];
    if with_names {
        total.push(String::new());
    }
    table.total(total);
    table
}

/// The registries that hold no listed repository.
fn empty_registries<'a>(
    registries: &'a [Registry],
    repositories: &[Repository],
) -> Vec<&'a Registry> {
    let used: HashSet<(&str, &str)> = repositories
        .iter()
        .map(|r| (r.source.as_str(), r.registry.as_str()))
        .collect();
    registries
        .iter()
        .filter(|r| !used.contains(&(r.source.as_str(), r.name.as_str())))
        .collect()
}

fn registries_table(registries: &[&Registry]) -> TextTable {
    let mut table = TextTable::new(
        &[
            "SOURCE",
            "REGISTRY",
            "STATUS",
            "PUBLIC",
            "SCAN ON PUSH",
            "CREATED (UTC)",
        ],
        &[],
    );
    for registry in registries {
        table.push(vec![
            cell(&registry.source),
            cell(&registry.name),
            cell(registry.status.as_deref().unwrap_or("-")),
            human::flag(registry.public),
            human::flag(registry.scan_on_push),
            human::time(registry.created_at),
        ]);
    }
    table
}

fn sources_table(sources: &[SourceSummary]) -> TextTable {
    let mut table = TextTable::new(
        &[
            "SOURCE",
            "PROVIDER",
            "REGION",
            "STATUS",
            "REGISTRIES",
            "REPOSITORIES",
            "TAGS",
            "REQUESTS",
            "RETRIES",
            "THROTTLED",
            "ERRORS",
            "TIME",
        ],
        &[4, 5, 6, 7, 8, 9, 10, 11],
    );
    let mut sums = [0u64; 7];
    for source in sources {
        let counts = [
            source.registries,
            source.repositories,
            source.tags,
            source.requests,
            source.retries,
            source.throttled,
            source.errors,
        ];
        for (sum, n) in sums.iter_mut().zip(counts) {
            *sum = sum.saturating_add(n);
        }
        let mut row = vec![
            cell(&source.name),
            cell(source.provider.as_str()),
            cell(&source.region),
            source.status.to_string(),
        ];
        row.extend(counts.iter().map(u64::to_string));
        row.push(format!("{:.1}s", source.elapsed_ms as f64 / 1000.0));
        table.push(row);
    }
    if sources.len() > 1 {
        let mut total = vec![
            "TOTAL".to_string(),
            String::new(),
            String::new(),
            String::new(),
        ];
        total.extend(sums.iter().map(u64::to_string));
        total.push(String::new());
        table.total(total);
    }
    table
}

fn totals_line(report: &InventoryReport) -> String {
    let tags = report.tag_count();
    let what = format!(
        "{} registries, {} repositories, {} tags from {} sources",
        report.registries.len(),
        report.repositories.len(),
        tags,
        report.sources.len()
    );
    if report.complete {
        return format!("Complete: {what}.");
    }
    let failed: Vec<String> = report
        .sources
        .iter()
        .filter(|s| s.status != SourceStatus::Ok)
        .map(|s| format!("{} ({})", cell(&s.name), s.status))
        .collect();
    let mut line = format!(
        "INCOMPLETE: {what}; {} error(s), listed below.",
        report.errors.len()
    );
    if !failed.is_empty() {
        line.push_str(&format!(" Failed sources: {}.", failed.join(", ")));
    }
    line
}

/// Left- or right-aligned columns, sized to their widest cell, optionally fitted to a width.
struct TextTable {
    headers: Vec<String>,
    right_aligned: Vec<usize>,
    rows: Vec<Vec<String>>,
    total: Option<Vec<String>>,
}

impl TextTable {
    fn new(headers: &[&str], right_aligned: &[usize]) -> Self {
        TextTable {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            right_aligned: right_aligned.to_vec(),
            rows: Vec::new(),
            total: None,
        }
    }

    fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    /// A last row, set apart by a rule.
    fn total(&mut self, row: Vec<String>) {
        self.total = Some(row);
    }

    fn write(&self, out: &mut dyn Write, max_width: Option<usize>) -> io::Result<()> {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in self.rows.iter().chain(&self.total) {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        if let Some(max) = max_width {
            fit(&mut widths, max);
        }
        self.write_row(out, &self.headers, &widths)?;
        for row in &self.rows {
            self.write_row(out, row, &widths)?;
        }
        if let Some(total) = &self.total {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            self.write_row(out, &rule, &widths)?;
            self.write_row(out, total, &widths)?;
        }
        Ok(())
    }

    fn write_row(&self, out: &mut dyn Write, cells: &[String], widths: &[usize]) -> io::Result<()> {
        let mut line = String::new();
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let cell = human::truncate(cell, *width);
            let pad = width.saturating_sub(cell.chars().count());
            if self.right_aligned.contains(&i) {
                line.push_str(&" ".repeat(pad));
                line.push_str(&cell);
            } else {
                line.push_str(&cell);
                line.push_str(&" ".repeat(pad));
            }
        }
        writeln!(out, "{}", line.trim_end())
    }
}

/// Narrows the widest column, one character at a time, until the columns and the two-space
/// gaps between them fit in `max` (or every column is down to [`MIN_COLUMN_WIDTH`]).
fn fit(widths: &mut [usize], max: usize) {
    let gaps = 2 * widths.len().saturating_sub(1);
    while widths.iter().sum::<usize>() + gaps > max {
        let Some(widest) = widths
            .iter_mut()
            .filter(|w| **w > MIN_COLUMN_WIDTH)
            .max_by_key(|w| **w)
        else {
            return;
        };
        *widest -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_and_numbers_sit_right() {
        let mut table = TextTable::new(&["NAME", "N"], &[1]);
        table.push(vec!["a".into(), "10".into()]);
        table.push(vec!["longer".into(), "7".into()]);
        let mut out = Vec::new();
        table.write(&mut out, None).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "NAME     N\na       10\nlonger   7\n"
        );
    }

    #[test]
    fn the_widest_column_is_cut_to_fit_the_width() {
        let mut table = TextTable::new(&["A", "B"], &[]);
        table.push(vec!["short".into(), "a-very-long-repository-name".into()]);
        let mut out = Vec::new();
        table.write(&mut out, Some(20)).unwrap();
        let text = String::from_utf8(out).unwrap();
        for line in text.lines() {
            assert!(line.chars().count() <= 20, "{line:?}");
        }
        assert!(text.contains("short  a-very-long-"), "{text}");
        assert!(text.contains('…'), "{text}");
    }

    #[test]
    fn tag_names_sort_naturally() {
        let mut names = vec!["1.10", "1.2", "latest", "1.9.1", "v2", "v10", "01", "1"];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            ["01", "1", "1.2", "1.9.1", "1.10", "latest", "v2", "v10"]
        );
        assert_eq!(natural_cmp("a", "a"), Ordering::Equal);
    }
}

#[cfg(test)]
mod report_tests {
    use super::*;
    use reginv::{ErrorKind, Failure, ProviderKind, Source, SourceStatus, Tag};

    #[test]
    fn a_report_prints_repositories_sources_totals_and_errors() {
        let source = Source::new("ncp-kr", ProviderKind::NCP, "kr", "http://127.0.0.1:1");
        let mut repo = Repository::new(&source, "reg", "team/app");
        repo.size_bytes = Some(3 * 1024 * 1024);
        repo.pull_count = Some(42);
        repo.public = Some(true);
        repo.tags = Some(vec![Tag::new("1.10"), Tag::new("1.2"), Tag::new("latest")]);
        let mut summary = SourceSummary::new(&source);
        summary.status = SourceStatus::Partial;
        summary.repositories = 1;
        summary.tags = 3;
        summary.errors = 1;
        summary.requests = 5;
        summary.retries = 3;
        summary.throttled = 2;
        let mut failure = Failure::new(&source, "list_tags", ErrorKind::Timeout, "too slow");
        failure.target = Some("reg/other".into());
        let mut report = InventoryReport::new(vec![summary], vec![repo], vec![failure]);
        report.registries = vec![Registry::new(&source, "reg"), {
            let mut empty = Registry::new(&source, "empty-reg");
            empty.status = Some("disconnected".into());
            empty
        }];
        let mut out = Vec::new();
        write_table(&report, TagDepth::Names, None, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("SOURCE"), "{text}");
        assert!(lines[0].ends_with("TAG NAMES"), "{text}");
        assert!(lines[0].contains("UPDATED (UTC)"), "{text}");
        assert!(
            lines[1].contains("team/app") && lines[1].contains("3.0 MiB"),
            "{text}"
        );
        assert!(
            lines[1].contains(" 42 ") && lines[1].ends_with("yes     1.2, 1.10, latest"),
            "{text}"
        );
        assert!(lines[3].starts_with("TOTAL"), "{text}");
        assert!(
            lines[3].contains("1 repositories") && lines[3].contains("3.0 MiB"),
            "{text}"
        );
        assert!(text.contains("Registries without repositories:"), "{text}");
        assert!(text.contains("empty-reg  disconnected"), "{text}");
        assert!(text.contains("partial"), "{text}");
        // The sources table: requests, retries and throttled responses, then errors.
        let header = text
            .lines()
            .find(|l| l.starts_with("SOURCE") && l.contains("REQUESTS"))
            .unwrap_or_else(|| panic!("no sources table: {text}"));
        assert!(header.contains("RETRIES  THROTTLED  ERRORS"), "{header}");
        let row = text
            .lines()
            .find(|l| l.starts_with("ncp-kr") && l.contains("partial"))
            .unwrap_or_else(|| panic!("no source row: {text}"));
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cells[4..11], ["0", "1", "3", "5", "3", "2", "1"], "{row}");
        assert!(
            text.contains(
                "INCOMPLETE: 2 registries, 1 repositories, 3 tags from 1 sources; 1 error(s)"
            ),
            "{text}"
        );
        assert!(text.contains("Failed sources: ncp-kr (partial)."), "{text}");
        assert!(
            text.contains("ncp-kr: list_tags reg/other failed (timeout): too slow"),
            "{text}"
        );
    }

    #[test]
    fn server_text_is_escaped() {
        let source = Source::new("ncp-kr", ProviderKind::NCP, "kr", "http://127.0.0.1:1");
        let repo = Repository::new(&source, "reg", "evil\u{1b}]0;pwned\u{7}");
        let failure = Failure::new(
            &source,
            "list_tags",
            ErrorKind::Server,
            "bad\u{1b}[2J\nreginv: forged",
        );
        let report = InventoryReport::new(vec![], vec![repo], vec![failure]);
        let mut out = Vec::new();
        write_table(&report, TagDepth::None, None, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text:?}"
        );
        assert!(text.contains("evil\\x1b]0;pwned\\x07"), "{text}");
        assert!(text.contains("bad\\x1b[2J\\nreginv: forged"), "{text}");
        assert!(!text.lines().any(|l| l.starts_with("reginv:")), "{text}");
    }

    #[test]
    fn an_empty_report_says_so() {
        let report = InventoryReport::new(vec![], vec![], vec![]);
        let mut out = Vec::new();
        write_table(&report, TagDepth::None, None, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("No repositories found."), "{text}");
        assert!(
            text.contains("Complete: 0 registries, 0 repositories"),
            "{text}"
        );
    }
}
