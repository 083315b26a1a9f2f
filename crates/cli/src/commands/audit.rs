//! `reginv audit`: the hygiene and exposure rules of `reginv-audit` over a live inventory (only
//! as deep as the selected rules need), a saved JSON report (`--from`) or a stored snapshot
//! (`--store URL [--run ID]`).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};
use reginv::{InventoryReport, TagDepth};
use reginv_audit::{render, Audit, AuditConfig, AuditInput, FailOn};

use crate::cli::SelectionArgs;
use crate::config_lookup::{find_config, ConfigOrigin, DEFAULT_CONFIG_FILE};
use crate::error::CliError;
use crate::output::destination::Destination;

/// The help after `reginv audit --help`.
pub const AUDIT_HELP: &str = "\
Rules (id, default severity): public-registry high, public-repository high,
registry-disconnected high, scan-on-push-disabled medium, image-not-scanned medium,
oversized-image medium, mutable-tags low, stale-image low, tag-sprawl low, empty-repository info.
A rule is 'not evaluated' on a source whose rows never carry the data it needs.

Thresholds and suppressions: [audit] and [[audit.suppress]] in reginv.toml (see the README);
the command-line options override them.

Without --from or --store the inventory runs only as deep as the selected rules need (no tag
requests when no rule reads tags). --tags is ignored: the rules decide the depth.
--store URL audits the store's latest finished snapshot (--run ID another one) without
contacting any registry; a rule that needs a deeper tag listing than the snapshot's is not
evaluated.

Exit status: 0 no unsuppressed finding at or above --fail-on; 3 there is one; 2 none, but the
inventory was incomplete; 1 errors.";

/// `reginv audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The configuration file [default: ./reginv.toml, else the vendors' environment variables].
    /// Its `[audit]` table sets thresholds, severities and suppressions.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Audit this saved JSON report (`reginv inventory --format json`) instead of running an
    /// inventory.
    #[arg(long, value_name = "REPORT.json")]
    pub from: Option<PathBuf>,

    /// Audit a snapshot of this store (a path, sqlite:PATH or postgres://…) instead of running
    /// an inventory: its latest finished snapshot, or --run ID.
    #[arg(long, value_name = "URL", conflicts_with = "from")]
    pub store: Option<String>,

    /// The stored snapshot to audit [default: the latest finished one]. Without --store, the
    /// store is $REGINV_STORE, else `[store] url` of the configuration.
    #[arg(long, value_name = "ID", conflicts_with = "from")]
    pub run: Option<i64>,

    /// What to list (for a live inventory).
    #[command(flatten)]
    pub selection: SelectionArgs,

    /// Output format [default: table when the output is a terminal, json otherwise].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<AuditFormat>,

    /// Write the output to FILE (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Exit 3 when an unsuppressed finding is at least this severe: critical, high, medium,
    /// low, info, or never.
    #[arg(long, value_name = "SEVERITY", default_value = "high", value_parser = parse_fail_on)]
    pub fail_on: FailOn,

    /// Run only this rule; repeat for several [default: every rule, or `rules` in `[audit]`].
    #[arg(long = "rule", value_name = "ID")]
    pub rules: Vec<String>,

    /// Do not run this rule; repeat for several (added to `skip_rules` in `[audit]`).
    #[arg(long = "skip-rule", value_name = "ID")]
    pub skip_rules: Vec<String>,

    /// stale-image: a tag not pulled within N days of --as-of [default: 90].
    #[arg(long, value_name = "N")]
    pub stale_days: Option<u32>,

    /// oversized-image: a tag larger than N bytes [default: 2147483648, 2 GiB].
    #[arg(long, value_name = "N")]
    pub max_image_bytes: Option<u64>,

    /// tag-sprawl: a repository with more than N tags [default: 500].
    #[arg(long, value_name = "N")]
    pub max_tags: Option<u64>,

    /// The time ages and suppression expiry are judged against, RFC 3339 [default: now].
    #[arg(long, value_name = "RFC3339", value_parser = parse_as_of)]
    pub as_of: Option<DateTime<Utc>>,
}

/// An audit output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    /// Findings grouped by severity and rule, suppressed findings, rules not evaluated.
    Table,
    /// The audit document (rules, findings, summary).
    Json,
    /// A SARIF 2.1.0 log, for code-scanning dashboards.
    Sarif,
    /// One row per finding, with a header row.
    Csv,
}

fn parse_fail_on(text: &str) -> Result<FailOn, String> {
    text.parse()
        .map_err(|e: reginv_audit::AuditError| e.to_string())
}

/// An RFC 3339 time (`--as-of`).
pub(crate) fn parse_as_of(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{text:?} is not an RFC 3339 time (2026-12-01T00:00:00Z): {e}"))
}

/// Sets up the audit, gets the inventory (saved, stored or live), writes the audit; the exit
/// status.
pub async fn run(args: AuditArgs) -> Result<i32, CliError> {
    let audit = Audit::new(audit_config(&args)?).map_err(|e| CliError::new(e.to_string()))?;
    let (report, depth) = match &args.from {
        Some(path) => {
            refuse_selection(&args.selection, "--from audits the saved report whole")?;
            (load_report(path)?, None)
        }
        None if args.store.is_some() || args.run.is_some() => {
            refuse_selection(&args.selection, "--store audits the stored snapshot whole")?;
            let url = super::store::required_url(args.store.as_deref(), args.config.as_deref())?;
            let store = super::store::open(&url).await?;
            let snapshot = super::store::pick_snapshot(&store, args.run).await?;
            (snapshot.report, Some(snapshot.run.depth))
        }
        None => (live_inventory(&audit, &args).await?, None),
    };
    let mut input = AuditInput::from(&report);
    if let Some(depth) = depth {
        // A snapshot listed shallower than a rule needs: that rule is not evaluated.
        input = input.with_depth(depth);
    }
    let document = audit.run_input(input);
    let mut destination = Destination::open(args.output.as_deref())?;
    let format = args.format.unwrap_or(if destination.is_terminal() {
        AuditFormat::Table
    } else {
        AuditFormat::Json
    });
    let what = destination.describe();
    let out = destination.writer();
    match format {
        AuditFormat::Table => render::write_table(&document, out),
        AuditFormat::Json => render::write_json(&document, out),
        AuditFormat::Sarif => render::write_sarif(&document, out),
        AuditFormat::Csv => render::write_csv(&document, out),
    }
    .map_err(|e| CliError::write(&what, &e))?;
    destination.commit()?;
    for failure in &report.errors {
        eprintln!("reginv: warning: {failure}");
    }
    Ok(document.exit_code(args.fail_on, report.complete))
}

/// `[audit]` of the configuration file (if there is one), with the command line's overrides.
fn audit_config(args: &AuditArgs) -> Result<AuditConfig, CliError> {
    let mut config = configured_audit(args.config.as_deref())?;
    if !args.rules.is_empty() {
        config.rules = args.rules.clone();
    }
    config.skip_rules.extend(args.skip_rules.iter().cloned());
    if let Some(days) = args.stale_days {
        config.stale_days = days;
    }
    if let Some(bytes) = args.max_image_bytes {
        config.max_image_bytes = bytes;
    }
    if let Some(tags) = args.max_tags {
        config.max_tags = tags;
    }
    if let Some(as_of) = args.as_of {
        config.as_of = Some(as_of);
    }
    Ok(config)
}

/// `[audit]` of `--config FILE`, else of `./reginv.toml` when there is one; the defaults
/// without a file.
pub(crate) fn configured_audit(config: Option<&Path>) -> Result<AuditConfig, CliError> {
    let file = match config {
        Some(path) => Some(path.to_path_buf()),
        None => Some(PathBuf::from(DEFAULT_CONFIG_FILE)).filter(|p| p.is_file()),
    };
    match file {
        Some(path) => {
            let text = std::fs::read_to_string(&path).map_err(|e| {
                CliError::new(format!(
                    "cannot read the configuration {}: {e}",
                    path.display()
                ))
            })?;
            AuditConfig::from_toml(&text, &path.display().to_string())
                .map_err(|e| CliError::new(e.to_string()))
        }
        None => Ok(AuditConfig::new()),
    }
}

/// `--source`, `--registry` and `--repo` choose what a live inventory lists; a saved report or
/// a stored snapshot is audited whole, so they are refused rather than silently ignored.
fn refuse_selection(selection: &SelectionArgs, why: &str) -> Result<(), CliError> {
    if !selection.sources.is_empty()
        || !selection.registries.is_empty()
        || selection.repository_glob.is_some()
    {
        return Err(CliError::new(format!(
            "--source, --registry and --repo select what a live inventory lists; {why}"
        )));
    }
    Ok(())
}

/// Reads a saved JSON report.
fn load_report(path: &Path) -> Result<InventoryReport, CliError> {
    let text = std::fs::read(path)
        .map_err(|e| CliError::new(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_slice(&text).map_err(|e| {
        CliError::new(format!(
            "{} is not a reginv JSON report (`reginv inventory --format json`): {e}",
            path.display()
        ))
    })
}

/// Runs the inventory the selected rules need: their deepest tag depth, whatever `--tags` says,
/// and repository details (`tag_immutable`, which NCR reports only in image details, for
/// `mutable-tags`) when a selected rule reads them or `--details` asks for them.
async fn live_inventory(audit: &Audit, args: &AuditArgs) -> Result<InventoryReport, CliError> {
    let (config, origin) = find_config(args.config.as_deref())?;
    if let ConfigOrigin::File(path) = &origin {
        tracing::info!(path = %path.display(), "configuration loaded");
    }
    let inventory = super::select(super::build(config, &args.selection)?, &args.selection)?;
    let needs = audit.requirements();
    let depth: TagDepth = needs.depth;
    let mut options = inventory.options().clone().with_depth(depth);
    options.details |= needs.repository_details;
    tracing::info!(%depth, details = options.details, "inventory the selected rules need");
    let inventory = inventory.with_options(options)?;
    Ok(inventory.collect().await)
}
