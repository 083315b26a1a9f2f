//! `reginv report`: one self-contained HTML page of an inventory (a live one, a JSON report
//! written earlier by `reginv inventory --format json`, or a stored snapshot), with the audit of
//! `reginv-audit` and, from a store, the changes since the previous snapshot.

use std::path::Path;

use futures::StreamExt;
use reginv::{Inventory, InventoryEvent, InventoryReport, TagDepth};
use reginv_audit::{Audit, AuditDocument, AuditInput};
use reginv_report::{Page, Section};
use reginv_store::diff::{diff, Diff, RunRef, Side};
use reginv_store::{RunPlan, Store};

use super::store::{open, pick_snapshot, required_url, store_error};
use crate::cli::ReportArgs;
use crate::config_lookup::find_config;
use crate::error::CliError;
use crate::output::destination::Destination;
use crate::output::human;
use crate::progress::Progress;

/// The title when `--title` is not given.
pub const DEFAULT_TITLE: &str = "Container registry inventory";

/// What the page shows: the inventory, where it comes from, the depth it was listed at (when
/// known) and the changes section.
struct Shown {
    report: InventoryReport,
    origin: String,
    depth: Option<TagDepth>,
    changes: Section<reginv_report::Changes>,
}

/// Gets the inventory (live, `--from` or `--store`), audits it, renders the page and writes it
/// atomically to `--output`; returns the report's exit status (0 complete, 2 partial, 1
/// nothing listed).
pub async fn run(args: ReportArgs, verbose: u8) -> Result<i32, CliError> {
    let mut config = super::audit::configured_audit(args.config.as_deref())?;
    if let Some(as_of) = args.as_of {
        config.as_of = Some(as_of);
    }
    let audit = Audit::new(config).map_err(|e| CliError::new(e.to_string()))?;
    let shown = if let Some(path) = &args.from {
        refuse_selection(&args, "with --from the saved report is shown as it is")?;
        Shown {
            report: read_report(path)?,
            origin: format!("from {}", path.display()),
            depth: None,
            changes: Section::not_available(
                "the inventory comes from a JSON report (--from); changes need a snapshot store \
                 (reginv report --store URL)",
            ),
        }
    } else if args.store.is_some() || args.run.is_some() {
        refuse_selection(&args, "with --store the stored snapshot is shown as it is")?;
        let url = required_url(args.store.as_deref(), args.config.as_deref())?;
        let store = open(&url).await?;
        let snapshot = pick_snapshot(&store, args.run).await?;
        let origin = format!("snapshot {} of the store", snapshot.run.id);
        stored(&store, Side::from_snapshot(snapshot), origin).await?
    } else {
        live(&args, verbose).await?
    };
    let mut input = AuditInput::from(&shown.report);
    if let Some(depth) = shown.depth {
        input = input.with_depth(depth);
    }
    let document = audit.run_input(input);

    let report = &shown.report;
    let mut page = Page::new(
        report,
        args.title.clone().unwrap_or_else(|| DEFAULT_TITLE.into()),
    );
    page.origin = shown.origin;
    page.audit = Section::Available(audit_section(&document));
    page.changes = shown.changes;
    let html = reginv_report::render(&page).map_err(|e| CliError::new(e.to_string()))?;
    let mut destination = Destination::open(Some(&args.output))?;
    let what = destination.describe();
    destination
        .writer()
        .write_all(html.as_bytes())
        .map_err(|e| CliError::write(&what, &e))?;
    destination.commit()?;
    if args.from.is_some() || args.store.is_some() || args.run.is_some() {
        // A live run already warned as failures arrived.
        for failure in &report.errors {
            eprintln!("reginv: warning: {failure}");
        }
    }
    Ok(report.exit_code())
}

/// The selection options choose what a live inventory lists; a saved report or a stored
/// snapshot is shown whole, so they would silently do nothing.
fn refuse_selection(args: &ReportArgs, why: &str) -> Result<(), CliError> {
    let s = &args.selection;
    if !s.sources.is_empty() || !s.registries.is_empty() || s.repository_glob.is_some() {
        return Err(CliError::new(format!(
            "--source, --registry and --repo choose what a live inventory lists; {why}"
        )));
    }
    Ok(())
}

/// Reads a JSON report written by `reginv inventory --format json`.
fn read_report(path: &Path) -> Result<InventoryReport, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::new(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| {
        CliError::new(format!(
            "{} is not a reginv JSON report (reginv inventory --format json): {e}",
            path.display()
        ))
    })
}

/// The page of a stored snapshot: its inventory, and the changes since the finished snapshot
/// before it.
async fn stored(store: &Store, side: Side, origin: String) -> Result<Shown, CliError> {
    let id = side.run.id.unwrap_or_default();
    let finished = store.finished_runs().await.map_err(store_error)?;
    let changes = match finished.iter().rev().find(|r| r.id < id) {
        None => Section::not_available(format!(
            "snapshot {id} is the store's first finished snapshot: there is nothing earlier to \
             compare it with"
        )),
        Some(previous) => {
            let old = store.snapshot(previous.id).await.map_err(store_error)?;
            Section::Available(changes_section(&diff(&Side::from_snapshot(old), &side)))
        }
    };
    Ok(Shown {
        depth: side.run.depth,
        report: side.report,
        origin,
        changes,
    })
}

/// Runs the configured inventory with the selection options. When a store is configured
/// (`REGINV_STORE`, or `[store] url`), the run is also stored as a snapshot and the page is
/// that snapshot's, with the changes since the previous one.
async fn live(args: &ReportArgs, verbose: u8) -> Result<Shown, CliError> {
    let configured = super::store::configured_store_url(args.config.as_deref())?;
    let store_url = super::store::store_url(None, configured.as_deref());
    let (config, origin) = find_config(args.config.as_deref())?;
    tracing::info!(
        ?origin,
        sources = config.providers.len(),
        "configuration loaded"
    );
    let inventory = super::select(super::build(config, &args.selection)?, &args.selection)?;
    let depth = inventory.options().depth;
    let progress = Progress::for_inventory(Progress::wanted(verbose), &inventory);
    let Some(url) = store_url else {
        let report = collect(&inventory, progress, None).await?;
        return Ok(Shown {
            origin: format!("a live inventory of {} sources", report.sources.len()),
            report,
            depth: Some(depth),
            changes: Section::not_available(
                "no snapshot store was given (reginv report --store URL, REGINV_STORE or \
                 [store] url)",
            ),
        });
    };
    let store = open(&url).await?;
    let mut writer = store
        .begin_run(&RunPlan::of(&inventory))
        .await
        .map_err(store_error)?;
    let id = writer.id();
    let report = collect(&inventory, progress, Some(&mut writer)).await?;
    writer
        .finish(report.complete)
        .await
        .map_err(|e| CliError::new(format!("snapshot {id} could not be finished: {e}")))?;
    tracing::info!(snapshot = id, store = %store.url(), "snapshot stored");
    let snapshot = store.snapshot(id).await.map_err(store_error)?;
    let origin = format!(
        "a live inventory of {} sources, stored as snapshot {id}",
        report.sources.len()
    );
    stored(&store, Side::from_snapshot(snapshot), origin).await
}

/// Streams `inventory` into a report (and into `writer`, when storing).
async fn collect(
    inventory: &Inventory,
    mut progress: Progress,
    mut writer: Option<&mut reginv_store::SnapshotWriter>,
) -> Result<InventoryReport, CliError> {
    let mut assembler = inventory.report_builder();
    let mut events = inventory.stream();
    let mut stored = Ok(());
    while let Some(event) = events.next().await {
        progress.observe(&event);
        if let InventoryEvent::Failure(failure) = &event {
            progress.warn(&format!("warning: {failure}"));
        }
        if let Some(writer) = writer.as_deref_mut().filter(|_| stored.is_ok()) {
            stored = writer.push(&event).await;
        }
        assembler.push(event);
    }
    progress.finish();
    stored.map_err(|e| {
        CliError::new(format!(
            "the inventory could not be stored, no page was written: {e}"
        ))
    })?;
    Ok(assembler.finish())
}

/// `source / registry/repository:tag`, the parts that apply.
fn target(
    source: &str,
    registry: Option<&str>,
    repository: Option<&str>,
    tag: Option<&str>,
) -> String {
    let mut text = format!("{source} / {}", registry.unwrap_or("-"));
    if let Some(repository) = repository {
        text.push('/');
        text.push_str(repository);
    }
    if let Some(tag) = tag {
        text.push(':');
        text.push_str(tag);
    }
    text
}

/// The page's audit section from the audit document: every finding (suppressed ones marked),
/// the rules evaluated somewhere, and every (rule, source) not evaluated with its reason.
fn audit_section(document: &AuditDocument) -> reginv_report::Audit {
    reginv_report::Audit {
        findings: document
            .findings
            .iter()
            .map(|f| reginv_report::AuditFinding {
                rule: f.rule.clone(),
                severity: f.severity.as_str().to_string(),
                target: target(
                    &f.source,
                    f.registry.as_deref(),
                    f.repository.as_deref(),
                    f.tag.as_deref(),
                ),
                message: f.message.clone(),
                suppressed: f.suppressed,
            })
            .collect(),
        evaluated: document
            .rules
            .iter()
            .filter(|r| !r.evaluated_sources.is_empty())
            .map(|r| r.id.clone())
            .collect(),
        not_evaluated: document
            .rules
            .iter()
            .flat_map(|r| {
                r.not_evaluated.iter().map(|n| reginv_report::NotEvaluated {
                    rule: r.id.clone(),
                    reason: format!("{}: {}", n.source, n.reason),
                })
            })
            .collect(),
    }
}

/// `snapshot 3 (2026-11-30 12:00, complete, tags full)`.
fn describe(run: &RunRef) -> String {
    let mut facts = vec![human::time(Some(run.started))];
    facts.extend(run.status.clone());
    facts.extend(run.depth.map(|d| format!("tags {d}")));
    match (run.id, &run.file) {
        (Some(id), _) => format!("snapshot {id} ({})", facts.join(", ")),
        (None, Some(file)) => format!("{file} ({})", facts.join(", ")),
        (None, None) => facts.join(", "),
    }
}

/// The page's changes section from a diff: every change (retags marked, so they come first),
/// and the sources that could not be compared, with why.
fn changes_section(d: &Diff) -> reginv_report::Changes {
    reginv_report::Changes {
        previous: describe(&d.from),
        current: describe(&d.to),
        changes: d
            .changes
            .iter()
            .map(|c| reginv_report::Change {
                kind: c.kind.as_str().to_string(),
                retag: c.kind == reginv_store::diff::ChangeKind::TagMoved,
                target: target(
                    &c.source,
                    Some(&c.registry),
                    c.repository.as_deref(),
                    c.tag.as_deref(),
                ),
                detail: super::diff::detail(c),
            })
            .collect(),
        not_compared: d
            .sources
            .iter()
            .filter(|s| !s.comparable)
            .map(|s| {
                format!(
                    "{}: {}",
                    s.name,
                    s.reason.as_deref().unwrap_or("not compared")
                )
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reginv::{ProviderKind, Repository, Source, SourceSummary, Tag};
    use reginv_audit::AuditConfig;

    fn report(latest: &str, extra_tag: bool) -> InventoryReport {
        let source = Source::new("a", ProviderKind::NCP, "kr", "");
        let mut repo = Repository::new(&source, "reg", "app");
        repo.public = Some(true);
        let tag = |name: &str, digest: &str| {
            let mut tag = Tag::new(name);
            tag.digest = Some(digest.into());
            tag
        };
        let mut tags = vec![tag("latest", latest)];
        if extra_tag {
            tags.push(tag("v2", "sha256:2"));
        }
        repo.tags = Some(tags);
        InventoryReport::new(vec![SourceSummary::new(&source)], vec![repo], Vec::new())
    }

    #[test]
    fn the_changes_section_lists_every_change_retags_marked_and_counted_first() {
        let old = Side::from_report(report("sha256:1", false), "old.json");
        let new = Side::from_report(report("sha256:9", true), "new.json");
        let section = changes_section(&diff(&old, &new));
        assert!(
            section.previous.starts_with("old.json ("),
            "{}",
            section.previous
        );
        assert_eq!(section.changes.len(), 2);
        let moved = section.changes.iter().find(|c| c.retag).unwrap();
        assert_eq!(moved.kind, "tag_moved");
        assert_eq!(moved.target, "a / reg/app:latest");
        assert_eq!(moved.detail, "sha256:1 -> sha256:9");
        assert_eq!(
            section.counts(),
            [("tag_moved".to_string(), 1), ("tag_added".to_string(), 1)]
        );
        assert!(section.not_compared.is_empty());
    }

    #[test]
    fn the_audit_section_keeps_every_finding_and_names_each_source_not_evaluated() {
        let report = report("sha256:1", false);
        let mut config = AuditConfig::new();
        config.rules = vec!["public-repository".into(), "oversized-image".into()];
        let document = Audit::new(config).unwrap().run(&report);
        let section = audit_section(&document);
        assert_eq!(section.findings.len(), 1);
        let finding = &section.findings[0];
        assert_eq!(
            (finding.rule.as_str(), finding.severity.as_str()),
            ("public-repository", "high")
        );
        assert_eq!(finding.target, "a / reg/app");
        // No tag of the source reports a size: not evaluated there, with the source named.
        assert_eq!(section.evaluated, ["public-repository"]);
        assert_eq!(section.not_evaluated.len(), 1);
        assert_eq!(section.not_evaluated[0].rule, "oversized-image");
        assert!(section.not_evaluated[0].reason.starts_with("a: "));
    }
}
