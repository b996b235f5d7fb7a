//! The command line, as clap types only: every subcommand's arguments, one struct each
//! (`tcbench aimrepo {ls, properties, report, merge, doctor, export}`, `tcbench completions`,
//! `tcbench man`). Option names and defaults follow the original Python tcbench.
//!
//! One convention: a doc comment's first paragraph is the `-h` help (at most 100
//! characters); the details go in further paragraphs, shown by `--help` and the manual pages.
//! Comma-separated lists are split by clap (`value_delimiter`); what a list means (trimmed
//! names, each once, empty ones dropped) is `tcbench::report::config::name_list`.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

/// Inspect, summarize and merge Aim experiment repositories, natively and read-only.
#[derive(Debug, Parser)]
#[command(name = "tcbench", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Investigate AIM repository content.
    #[command(subcommand)]
    Aimrepo(Aimrepo),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(CompletionsArgs),
    /// Print the manual page, or write one page per command into --dir.
    Man(ManArgs),
}

/// `tcbench aimrepo …`
#[derive(Debug, Subcommand)]
pub enum Aimrepo {
    /// List a subset of properties of each run.
    Ls(LsArgs),
    /// List properties across all runs.
    Properties(PropertiesArgs),
    /// Summarize runs performance metrics.
    Report(ReportArgs),
    /// Coalesce different AIM repos into a single new repo.
    Merge(MergeArgs),
    /// Check a repository's health (read-only), each problem with the Aim command that fixes it.
    ///
    /// It looks for damaged chunks, unfinished runs, stale locks and an index that hides runs.
    Doctor(DoctorArgs),
    /// Write runs and metrics as a tidy Parquet dataset (runs.parquet, metrics.parquet).
    Export(ExportArgs),
}

/// Options shared by the commands that read a repository.
#[derive(Debug, Args)]
pub struct RepoArgs {
    /// AIM repository location; repeat to read several repositories as one.
    ///
    /// The folder holding `.aim`, the `.aim` folder itself, or a folder whose subfolders are
    /// repositories.
    #[arg(long = "aim-repo", value_name = "PATH", default_value = "./aim-repo")]
    pub aim_repo: Vec<PathBuf>,
    /// Include archived runs (hidden by default, as Aim and the original do).
    #[arg(long)]
    pub archived: bool,
    /// Only runs matching EXPR, e.g. 'hparams.flowpic_dim == 32 and not archived'.
    ///
    /// The language is described in the README. Naming `archived` in EXPR lifts the default
    /// hiding of archived runs.
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,
}

/// Output format of `ls`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LsFormat {
    /// The original's console table.
    Table,
    /// Comma-separated values with a header row.
    Csv,
    /// A JSON array of objects.
    Json,
}

/// `tcbench aimrepo ls`
#[derive(Debug, Args)]
pub struct LsArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = LsFormat::Table)]
    pub format: LsFormat,
}

/// Output format of `properties`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PropertiesFormat {
    /// The original's rounded-box table.
    Table,
    /// A JSON object.
    Json,
}

/// `tcbench aimrepo properties`
#[derive(Debug, Args)]
pub struct PropertiesArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PropertiesFormat::Table)]
    pub format: PropertiesFormat,
}

/// Which value of a metric's sequence counts for a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ValueKind {
    /// The value tracked at the highest step (the true final value).
    Last,
    /// The largest value tracked (best-over-training for accuracies).
    Max,
    /// The smallest value tracked (best-over-training for losses).
    Min,
}

/// Output format of `report` on stdout (the CSV and Parquet files are written either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// The original's grouped console table.
    Table,
    /// One CSV table of every campaign, one header row, full precision.
    Csv,
    /// JSON, full precision.
    Json,
    /// A Markdown table per campaign, rounded to --precision, ready to paste.
    Markdown,
}

/// `tcbench aimrepo report`
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// Campaign ID to select (`hparams.campaign_id`); by default every campaign is reported.
    #[arg(long = "campaign-id", value_name = "ID")]
    pub campaign_id: Option<String>,
    /// Comma separated list of metrics to consider.
    #[arg(long, value_name = "LIST", default_value = "acc", value_delimiter = ',', action = ArgAction::Set)]
    pub metrics: Vec<String>,
    /// Comma separated list of contexts (test split names) [default: those starting with `test`].
    #[arg(long, value_name = "LIST", value_delimiter = ',', action = ArgAction::Set)]
    pub contexts: Option<Vec<String>>,
    /// Comma separated list of hyper-parameters to group by [default: those with several values].
    ///
    /// A name is given with or without the `hparams.` prefix. By default every hyper-parameter
    /// with more than one value is a key, except campaign_exp_idx, seed and split_index.
    #[arg(long, value_name = "LIST", value_delimiter = ',', action = ArgAction::Set)]
    pub groupby: Option<Vec<String>>,
    /// Folder where to store output reports [default: the repository folder].
    #[arg(long = "output-folder", value_name = "PATH")]
    pub output_folder: Option<PathBuf>,
    /// Number of floating point digits in console report.
    #[arg(long, default_value_t = 2, allow_negative_numbers = true)]
    pub precision: i32,
    /// Which value of each metric counts for a run.
    #[arg(long, value_enum, default_value_t = ValueKind::Last)]
    pub value: ValueKind,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// Also draw the summary as FILE, a .svg or .png.
    ///
    /// The figure shows the mean and 95% CI of each group, one panel per context; with several
    /// campaigns, one FILE_<campaign_id> each.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
}

/// `tcbench aimrepo merge`
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// AIM repository to merge (repeat --src for each repository).
    #[arg(long = "src", value_name = "PATH", required = true)]
    pub src: Vec<PathBuf>,
    /// New AIM repository to create (it must not exist, or be an empty folder).
    #[arg(long = "dst", value_name = "PATH", default_value = "aim-repo")]
    pub dst: PathBuf,
    /// Add the runs to the existing AIM repository at --dst.
    ///
    /// Its `meta/index` is removed: derived data that would hide them.
    #[arg(long)]
    pub append: bool,
    /// When copies of a run differ, keep the first and report the others (default: error, nothing written).
    #[arg(long = "skip-duplicates")]
    pub skip_duplicates: bool,
    /// Leave out runs still being written (default: copy a crash-consistent snapshot).
    #[arg(long = "skip-active")]
    pub skip_active: bool,
    /// Print what would be copied, write nothing.
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    /// Only copy the runs matching EXPR (same language as ls/properties/report).
    ///
    /// Archived runs are copied unless EXPR leaves them out, e.g. with `not archived`.
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,
}

/// Output format of `doctor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DoctorFormat {
    /// One paragraph per finding, with its fix.
    Text,
    /// A JSON object.
    Json,
}

/// `tcbench aimrepo doctor`
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// AIM repository location: the folder holding `.aim`, or the `.aim` folder itself.
    #[arg(long = "aim-repo", value_name = "PATH", default_value = "./aim-repo")]
    pub aim_repo: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DoctorFormat::Text)]
    pub format: DoctorFormat,
}

/// `tcbench aimrepo export`
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// Folder to create, holding runs.parquet and metrics.parquet (it must not exist, or be empty).
    #[arg(long, value_name = "DIR")]
    pub output: PathBuf,
    /// One row per trace in metrics.parquet: the point at the highest step (the final value).
    #[arg(long = "final-only")]
    pub final_only: bool,
    /// Include Aim's own system params (`__system_params`) and resource metrics (`__system__*`).
    #[arg(long)]
    pub system: bool,
    /// Replace an existing --output folder holding nothing but a previous export's files.
    ///
    /// With --hive: replace the partitions of the repositories exported again.
    #[arg(long)]
    pub force: bool,
    /// Write into --output as a hive-partitioned dataset, one `repo=<name>` folder per
    /// repository; several exports append to one dataset.
    ///
    /// Each repository goes to DIR/repo=<name>/runs.parquet and metrics.parquet, `<name>` being
    /// the repository's path as given, with every character other than letters, digits, `.`,
    /// `-` and `_` made `_`. DIR is created if missing and may hold other partitions; a
    /// partition that exists already is refused (nothing written) unless --force. DuckDB,
    /// Polars and Spark read DIR/*/metrics.parquet as one table with a `repo` column.
    #[arg(long)]
    pub hive: bool,
}

/// `tcbench completions`
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `tcbench man`
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write one page per command into this folder instead of printing tcbench(1).
    ///
    /// The pages are tcbench.1, tcbench-aimrepo.1, tcbench-aimrepo-export.1, …; the folder is
    /// created if missing.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn defaults_follow_the_original() {
        let cli = Cli::try_parse_from(["tcbench", "aimrepo", "ls"]).unwrap();
        let Command::Aimrepo(Aimrepo::Ls(ls)) = cli.command else {
            panic!("not ls")
        };
        assert_eq!(ls.repo.aim_repo, vec![PathBuf::from("./aim-repo")]);
        assert_eq!(ls.repo.filter, None);
        assert_eq!(ls.format, LsFormat::Table);
        assert!(!ls.repo.archived);
    }

    #[test]
    fn aim_repo_repeats() {
        let cli = Cli::try_parse_from([
            "tcbench",
            "aimrepo",
            "properties",
            "--aim-repo",
            "a",
            "--aim-repo",
            "b",
        ])
        .unwrap();
        let Command::Aimrepo(Aimrepo::Properties(p)) = cli.command else {
            panic!("not properties")
        };
        assert_eq!(
            p.repo.aim_repo,
            vec![PathBuf::from("a"), PathBuf::from("b")]
        );
    }
}
