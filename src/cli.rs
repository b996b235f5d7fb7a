//! The command line, as clap types only: `tcbench aimrepo {ls, properties, …}`.
//! Option names and defaults follow the original Python tcbench.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    Completions(crate::commands::generate::CompletionsArgs),
    /// Print the manual page, or write one page per command into --dir.
    Man(crate::commands::generate::ManArgs),
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
    Merge(crate::commands::aimrepo::merge::MergeArgs),
    /// Check a repository's health (read-only): damaged chunks, unfinished runs, stale locks, an index that hides runs; each problem with the Aim command that fixes it.
    Doctor(crate::commands::aimrepo::doctor::DoctorArgs),
    /// Write runs and metrics as a tidy Parquet dataset (runs.parquet, metrics.parquet).
    Export(crate::commands::aimrepo::export::ExportArgs),
}

/// Options shared by the commands that read a repository.
#[derive(Debug, Args)]
pub struct RepoArgs {
    /// AIM repository location: the folder holding `.aim`, the `.aim` folder itself, or a folder whose subfolders are repositories; repeat to read several repositories as one.
    #[arg(long = "aim-repo", value_name = "PATH", default_value = "./aim-repo")]
    pub aim_repo: Vec<PathBuf>,
    /// Include archived runs (hidden by default, as Aim and the original do).
    #[arg(long)]
    pub archived: bool,
    /// Only runs matching EXPR, e.g. 'hparams.flowpic_dim == 32 and not archived' (see the README; naming `archived` in EXPR lifts the default hiding of archived runs).
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
    #[arg(long, value_name = "LIST", default_value = "acc")]
    pub metrics: String,
    /// Comma separated list of contexts (test split names) to consider [default: every context whose name starts with `test`].
    #[arg(long, value_name = "LIST")]
    pub contexts: Option<String>,
    /// Comma separated list of hyper-parameters to group by (with or without the `hparams.` prefix) [default: every hyper-parameter with more than one value, except campaign_exp_idx, seed and split_index].
    #[arg(long, value_name = "LIST")]
    pub groupby: Option<String>,
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
    /// Also draw the summary (mean and 95% CI of each group, one panel per context) as FILE, a .svg or .png; with several campaigns, one FILE_<campaign_id> each.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
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
