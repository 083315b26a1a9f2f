//! The `table` format: aligned columns for people, one line per repository, then a summary line
//! per source and the errors.

use std::io::{self, Write};

use reginv::{InventoryReport, Repository, SourceSummary, TagDepth};

use super::human;

/// At most this many characters of tag names per repository line.
const TAG_NAMES_WIDTH: usize = 48;

/// Writes `report` as tables: repositories, sources, then errors.
pub fn write_table(
    report: &InventoryReport,
    depth: TagDepth,
    out: &mut dyn Write,
) -> io::Result<()> {
    if report.repositories.is_empty() {
        writeln!(out, "No repositories found.")?;
    } else {
        repositories_table(&report.repositories, depth).write(out)?;
    }
    writeln!(out)?;
    sources_table(&report.sources).write(out)?;
    writeln!(out)?;
    writeln!(out, "{}", totals_line(report))?;
    if !report.errors.is_empty() {
        writeln!(out)?;
        writeln!(out, "Errors:")?;
        for failure in &report.errors {
            writeln!(out, "  {failure}")?;
        }
    }
    Ok(())
}

fn repositories_table(repositories: &[Repository], depth: TagDepth) -> TextTable {
    let mut headers = vec![
        "SOURCE",
        "REGISTRY",
        "REPOSITORY",
        "TAGS",
        "SIZE",
        "PULLS",
        "UPDATED",
        "PUBLIC",
    ];
    let with_names = depth != TagDepth::None;
    if with_names {
        headers.push("TAG NAMES");
    }
    let mut table = TextTable::new(&headers, &[3, 4, 5]);
    for repo in repositories {
        let tag_count = repo
            .tags
            .as_ref()
            .map(|tags| tags.len() as u64)
            .or(repo.tag_count);
        let mut row = vec![
            repo.source.clone(),
            repo.registry.clone(),
            repo.name.clone(),
            human::count(tag_count),
            human::size(repo.size_bytes),
            human::count(repo.pull_count),
            human::time(repo.updated_at),
            human::flag(repo.public),
        ];
        if with_names {
            let names = repo.tags.as_ref().map_or_else(String::new, |tags| {
                tags.iter()
                    .map(|t| t.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            });
            row.push(human::truncate(&names, TAG_NAMES_WIDTH));
        }
        table.push(row);
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
            "REPOSITORIES",
            "TAGS",
            "REQUESTS",
            "RETRIES",
            "ERRORS",
            "TIME",
        ],
        &[4, 5, 6, 7, 8, 9],
    );
    for source in sources {
        table.push(vec![
            source.name.clone(),
            source.provider.to_string(),
            source.region.clone(),
            source.status.to_string(),
            source.repositories.to_string(),
            source.tags.to_string(),
            source.requests.to_string(),
            source.retries.to_string(),
            source.errors.to_string(),
            format!("{:.1}s", source.elapsed_ms as f64 / 1000.0),
        ]);
    }
    table
}

fn totals_line(report: &InventoryReport) -> String {
    let tags = report.tag_count();
    let what = format!(
        "{} repositories, {} tags from {} sources",
        report.repositories.len(),
        tags,
        report.sources.len()
    );
    if report.complete {
        format!("Complete: {what}.")
    } else {
        format!(
            "INCOMPLETE: {what}; {} error(s), listed below.",
            report.errors.len()
        )
    }
}

/// Left- or right-aligned columns, sized to their widest cell.
struct TextTable {
    headers: Vec<String>,
    right_aligned: Vec<usize>,
    rows: Vec<Vec<String>>,
}

impl TextTable {
    fn new(headers: &[&str], right_aligned: &[usize]) -> Self {
        TextTable {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            right_aligned: right_aligned.to_vec(),
            rows: Vec::new(),
        }
    }

    fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        self.write_row(out, &self.headers, &widths)?;
        for row in &self.rows {
            self.write_row(out, row, &widths)?;
        }
        Ok(())
    }

    fn write_row(&self, out: &mut dyn Write, cells: &[String], widths: &[usize]) -> io::Result<()> {
        let mut line = String::new();
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let pad = width.saturating_sub(cell.chars().count());
            if self.right_aligned.contains(&i) {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            }
        }
        writeln!(out, "{}", line.trim_end())
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
        table.write(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "NAME     N\na       10\nlonger   7\n"
        );
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
        repo.tags = Some(vec![Tag::new("1.0"), Tag::new("latest")]);
        let mut summary = SourceSummary::new(&source);
        summary.status = SourceStatus::Partial;
        summary.repositories = 1;
        summary.tags = 2;
        summary.errors = 1;
        summary.requests = 5;
        let mut failure = Failure::new(&source, "list_tags", ErrorKind::Timeout, "too slow");
        failure.target = Some("reg/other".into());
        let report = InventoryReport::new(vec![summary], vec![repo], vec![failure]);
        let mut out = Vec::new();
        write_table(&report, TagDepth::Names, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("SOURCE"), "{text}");
        assert!(lines[0].ends_with("TAG NAMES"), "{text}");
        assert!(
            lines[1].contains("team/app") && lines[1].contains("3.0 MiB"),
            "{text}"
        );
        assert!(
            lines[1].contains(" 42 ") && lines[1].ends_with("yes     1.0, latest"),
            "{text}"
        );
        assert!(text.contains("partial"), "{text}");
        assert!(
            text.contains("INCOMPLETE: 1 repositories, 2 tags from 1 sources; 1 error(s)"),
            "{text}"
        );
        assert!(
            text.contains("ncp-kr: list_tags reg/other failed (timeout): too slow"),
            "{text}"
        );
    }

    #[test]
    fn an_empty_report_says_so() {
        let report = InventoryReport::new(vec![], vec![], vec![]);
        let mut out = Vec::new();
        write_table(&report, TagDepth::None, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("No repositories found."), "{text}");
        assert!(text.contains("Complete: 0 repositories"), "{text}");
    }
}
