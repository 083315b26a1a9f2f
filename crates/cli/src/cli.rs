//! The command line: every subcommand, option and help text, parsed by clap.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

pub use crate::commands::diff::DiffArgs;
pub use crate::commands::snapshots::SnapshotsArgs;
pub use crate::commands::store::StoreArgs;

/// Inventory container registries across clouds: NAVER Cloud NCR, Huawei Cloud SWR and any OCI
/// Distribution registry, many accounts and regions merged into one report.
#[derive(Debug, Parser)]
#[command(
    name = "reginv",
    version,
    long_version = env!("REGINV_LONG_VERSION"),
    after_help = "Try `reginv demo` for a complete inventory against the built-in emulator \
                  (no credentials, no network).\n\
                  Exit status: 0 complete; 2 printed but incomplete (some errors); \
                  1 nothing could be listed or a bad command line; 3 a filter matched nothing."
)]
pub struct Cli {
    /// Print logs on stderr (-v: info, -vv: debug, -vvv: trace; RUST_LOG overrides).
    #[arg(short, long, action = ArgAction::Count, global = true)]
    pub verbose: u8,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every registry, repository and tag the configured accounts can see.
    #[command(after_help = INVENTORY_HELP)]
    Inventory(InventoryArgs),
    /// Run a real inventory against the built-in emulator (no credentials, no network).
    ///
    /// Starts the emulator of both vendor APIs on 127.0.0.1 with its sample accounts, then runs
    /// the same inventory as `reginv inventory` against it, real signing and paging included.
    Demo(DemoArgs),
    /// NAVER Cloud NCR operations.
    #[command(subcommand)]
    Ncp(NcpCommand),
    /// List the snapshots (inventory runs) a store holds.
    Snapshots(SnapshotsArgs),
    /// What changed between two snapshots (or two `--format json` reports): registries,
    /// repositories and tags added or removed, exposure changes, retagged tags.
    Diff(DiffArgs),
    /// Write one self-contained HTML page of an inventory: figures, charts, every repository.
    ///
    /// The page opens from disk or a mail attachment with no network at all. The inventory is
    /// a live one (configuration and selection options as for `inventory`), a JSON report
    /// written earlier (`--from`), or a stored snapshot (`--store URL [--run ID]`, with the
    /// changes since the previous snapshot). Its audit is that of `reginv audit`.
    #[command(after_help = REPORT_HELP)]
    Report(ReportArgs),
    /// Write a first, commented configuration file (one entry per provider kind).
    Init(InitArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) on stdout.
    ///
    /// For example: `reginv completions bash > /etc/bash_completion.d/reginv`, or
    /// `reginv completions zsh > "${fpath[1]}/_reginv"`.
    Completions(CompletionsArgs),
    /// Print the manual page (roff) on stdout: `reginv man > reginv.1; man ./reginv.1`.
    Man,
    /// Print the JSON Schema of a machine-readable output on stdout.
    ///
    /// The same schemas are in the repository under docs/schema/.
    Schema(SchemaArgs),
    /// Check registries against hygiene and exposure rules (public, unscanned, stale, …).
    #[command(after_help = crate::commands::audit::AUDIT_HELP)]
    Audit(Box<crate::commands::audit::AuditArgs>),
}

/// `reginv schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which document.
    #[arg(value_enum)]
    pub document: SchemaDocument,
}

/// The machine-readable outputs that have a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaDocument {
    /// The `--format json` report of `inventory` and `demo`.
    Report,
    /// One line of `--format ndjson` (an event, or the final summary).
    Events,
    /// The `--format json` document of `diff` (and one line of its `--format ndjson`).
    Diff,
    /// The `--format json` document of `audit`.
    Audit,
}

/// `reginv init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write the configuration (`-` for stdout).
    #[arg(long, short = 'o', value_name = "FILE", default_value = "reginv.toml")]
    pub output: PathBuf,

    /// Replace the file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// `reginv completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Where the configuration comes from (the text, for `concat!`).
macro_rules! config_help {
    () => {
        "\
Configuration: --config FILE, else ./reginv.toml, else the vendors' environment variables
(NCLOUD_ACCESS_KEY, NCLOUD_SECRET_KEY [, NCLOUD_REGION]; HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK,
HUAWEICLOUD_SDK_REGION [, HUAWEICLOUD_SDK_PROJECT_ID]). A minimal reginv.toml:

    [[providers]]
    name = \"ncp-kr\"
    kind = \"ncp\"
    region = \"kr\"
    access_key_env = \"NCLOUD_ACCESS_KEY\"
    secret_key_env = \"NCLOUD_SECRET_KEY\""
    };
}

/// Where the configuration comes from.
pub const CONFIG_HELP: &str = config_help!();

/// The help after `reginv inventory --help`: configuration and exit status.
pub const INVENTORY_HELP: &str = concat!(
    config_help!(),
    "\n\nExit status: 0 complete; 2 printed but incomplete (some errors); 1 nothing could be \
     listed or a bad command line; 3 a --registry or --repo filter matched nothing; \
     130 interrupted (Ctrl-C); 143 terminated (SIGTERM)."
);

/// `reginv inventory`.
#[derive(Debug, Args)]
pub struct InventoryArgs {
    /// The configuration file [default: ./reginv.toml, else the vendors' environment variables].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Output format and destination.
    #[command(flatten)]
    pub output: OutputArgs,

    /// What to list.
    #[command(flatten)]
    pub selection: SelectionArgs,

    /// Where to keep the inventory as a snapshot.
    #[command(flatten)]
    pub store: StoreArgs,
}

/// The help after `reginv report --help`.
pub const REPORT_HELP: &str = concat!(
    config_help!(),
    "\n\nThe audit section runs the rules of `reginv audit` with the [audit] table of the \
     configuration (thresholds, severities, suppressions).\n\
     With --store URL [--run ID] the page shows a stored snapshot and the changes since the \
     finished snapshot before it, without contacting any registry. A live report (no --from, \
     no --store) whose store is configured ($REGINV_STORE, or [store] url) is also stored as a \
     snapshot, and its page shows the changes since the previous one.\n\n\
     Exit status: 0 complete; 2 page written but the inventory is incomplete (its failures \
     are on the page); 1 nothing could be listed, no such snapshot, or the page could not be \
     written."
);

/// `reginv report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The configuration file [default: ./reginv.toml, else the vendors' environment variables].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// What to list (a live inventory only).
    #[command(flatten)]
    pub selection: SelectionArgs,

    /// Show this JSON report (`reginv inventory --format json`) instead of running an
    /// inventory.
    #[arg(long, value_name = "REPORT.json")]
    pub from: Option<PathBuf>,

    /// Show a snapshot of this store (a path, sqlite:PATH or postgres://…) instead of running
    /// an inventory: its latest finished snapshot, or --run ID, with the changes since the
    /// finished snapshot before it.
    #[arg(long, value_name = "URL", conflicts_with = "from")]
    pub store: Option<String>,

    /// The stored snapshot to show [default: the latest finished one]. Without --store, the
    /// store is $REGINV_STORE, else `[store] url` of the configuration.
    #[arg(long, value_name = "ID", conflicts_with = "from")]
    pub run: Option<i64>,

    /// The time the audit section judges ages and suppression expiry against, RFC 3339
    /// [default: `as_of` in `[audit]`, else now].
    #[arg(long, value_name = "RFC3339", value_parser = crate::commands::audit::parse_as_of)]
    pub as_of: Option<chrono::DateTime<chrono::Utc>>,

    /// Write the page to FILE (atomically: complete or not at all).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,

    /// The page's title [default: "Container registry inventory"].
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
}

/// `reginv demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Output format and destination.
    #[command(flatten)]
    pub output: OutputArgs,

    /// What to list.
    #[command(flatten)]
    pub selection: SelectionArgs,

    /// Where to keep the inventory as a snapshot.
    #[command(flatten)]
    pub store: StoreArgs,
}

/// The options that shape the output.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Output format [default: table when the output is a terminal, json otherwise (pipes,
    /// files)].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,

    /// Write the output to FILE instead of stdout (`-` is stdout). A regular file is replaced
    /// atomically (complete or not at all); a FIFO, device or socket is written directly; a
    /// symbolic link is followed (its target is replaced, the link stays).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Also write every failure to FILE as CSV (source, provider, operation, target, kind,
    /// status, code, request_id, message), a header row even when nothing failed; for pipelines
    /// whose main output (CSV) has no room for them.
    #[arg(long, value_name = "FILE")]
    pub errors: Option<PathBuf>,

    /// What one CSV row is: a registry, a repository, or a tag (default: tags; repositories
    /// with --tags none).
    #[arg(long, value_enum, value_name = "ROWS")]
    pub csv_rows: Option<CsvRows>,

    /// Write CSV cells exactly as listed. By default a cell beginning with `=`, `+`, `-`, `@`,
    /// tab or carriage return gets a leading `'`, so no spreadsheet runs it as a formula.
    #[arg(long)]
    pub csv_raw: bool,
}

/// What one CSV row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CsvRows {
    /// One row per registry (NCR registry, SWR namespace), empty ones included.
    Registries,
    /// One row per repository.
    Repositories,
    /// One row per tag (a repository without tags still gets one row).
    Tags,
}

/// The options that choose what is listed.
#[derive(Debug, Clone, Args)]
pub struct SelectionArgs {
    /// How much of each tag to list: none (repositories only), names, or full details (digest,
    /// size, platforms, times; one request per tag page).
    #[arg(long, value_enum, default_value_t = Tags::Names, value_name = "DEPTH")]
    pub tags: Tags,

    /// Only this source (the `name` of a configured provider); repeat for several.
    #[arg(long = "source", value_name = "NAME")]
    pub sources: Vec<String>,

    /// Only this registry (NCR) or namespace (SWR); repeat for several.
    #[arg(long = "registry", value_name = "NAME")]
    pub registries: Vec<String>,

    /// Only repositories whose name matches this glob (`team/*`, `*api*`).
    #[arg(long = "repo", value_name = "GLOB")]
    pub repository_glob: Option<String>,

    /// How many requests may be in flight at once, across all sources [default: 32]. Each
    /// source's own limit adapts within it: it starts at 8, grows while the source answers
    /// promptly and shrinks when it throttles (`-v` logs each change).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub concurrency: Option<u32>,

    /// A hard cap on the requests in flight for one source, for when you know its quota
    /// [default: none beyond --concurrency].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub per_source_concurrency: Option<u32>,

    /// At most this many requests per second to each source (overrides `max_rps` in the
    /// configuration), to stay under a gateway's quota. Throttled sources also slow down by
    /// themselves.
    #[arg(long, value_name = "RATE", value_parser = positive_rate)]
    pub max_rps: Option<f64>,

    /// Also fetch each repository's details (one more request per repository), for the fields
    /// only they carry, such as NCR's tag immutability.
    #[arg(long)]
    pub details: bool,

    /// Exit 0 even when a --registry or --repo filter matched nothing (a warning names it
    /// either way; without this flag the exit status is 3).
    #[arg(long)]
    pub allow_unmatched: bool,
}

/// A requests-per-second rate: a finite number above 0.
fn positive_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err(format!("{text:?} is not a rate above 0 (e.g. 20 or 2.5)")),
    }
}

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Readable columns, a summary line per source, then the errors.
    Table,
    /// One JSON document: the whole report.
    Json,
    /// One JSON object per line, written as results arrive.
    Ndjson,
    /// One row per tag (per repository with --tags none), with a header row.
    Csv,
}

/// How much of each tag to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Tags {
    /// Repositories only.
    None,
    /// Repositories and their tag names.
    Names,
    /// Repositories and full tag details.
    Full,
}

/// `reginv ncp …`.
#[derive(Debug, Subcommand)]
pub enum NcpCommand {
    /// Create an NCR registry backed by an Object Storage bucket.
    CreateRegistry(CreateRegistryArgs),
}

/// `reginv ncp create-registry`.
#[derive(Debug, Args)]
#[command(after_help = CONFIG_HELP)]
pub struct CreateRegistryArgs {
    /// The new registry's name.
    pub name: String,

    /// The Object Storage bucket that will hold its images.
    #[arg(long, value_name = "BUCKET")]
    pub bucket: String,

    /// The configuration file [default: ./reginv.toml, else the vendors' environment variables].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// The ncp source to create it in (required when several are configured).
    #[arg(long, value_name = "NAME")]
    pub source: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_every_inventory_option() {
        let cli = Cli::try_parse_from([
            "reginv",
            "inventory",
            "--config",
            "x.toml",
            "--format",
            "csv",
            "--tags",
            "full",
            "--source",
            "a",
            "--source",
            "b",
            "--registry",
            "r",
            "--repo",
            "team/*",
            "--concurrency",
            "4",
            "--output",
            "out.csv",
            "-vv",
        ])
        .unwrap();
        assert_eq!(cli.verbose, 2);
        let Command::Inventory(args) = cli.command else {
            panic!("not inventory");
        };
        assert_eq!(args.output.format, Some(Format::Csv));
        assert_eq!(args.selection.tags, Tags::Full);
        assert_eq!(args.selection.sources, ["a", "b"]);
        assert_eq!(args.selection.registries, ["r"]);
        assert_eq!(args.selection.repository_glob.as_deref(), Some("team/*"));
        assert_eq!(args.selection.concurrency, Some(4));
    }

    #[test]
    fn rejects_zero_concurrency_and_unknown_formats() {
        assert!(Cli::try_parse_from(["reginv", "inventory", "--concurrency", "0"]).is_err());
        for rate in ["0", "-1", "NaN", "inf", "fast"] {
            assert!(
                Cli::try_parse_from(["reginv", "inventory", "--max-rps", rate]).is_err(),
                "{rate}"
            );
        }
        assert!(Cli::try_parse_from(["reginv", "demo", "--format", "xml"]).is_err());
    }

    #[test]
    fn create_registry_needs_a_bucket() {
        assert!(Cli::try_parse_from(["reginv", "ncp", "create-registry", "reg"]).is_err());
        let cli = Cli::try_parse_from(["reginv", "ncp", "create-registry", "reg", "--bucket", "b"])
            .unwrap();
        let Command::Ncp(NcpCommand::CreateRegistry(args)) = cli.command else {
            panic!("not create-registry");
        };
        assert_eq!((args.name.as_str(), args.bucket.as_str()), ("reg", "b"));
    }
}
