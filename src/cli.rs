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
}

/// `tcbench aimrepo …`
#[derive(Debug, Subcommand)]
pub enum Aimrepo {
    /// List a subset of properties of each run.
    Ls(LsArgs),
    /// List properties across all runs.
    Properties(PropertiesArgs),
}

/// Options shared by the commands that read a repository.
#[derive(Debug, Args)]
pub struct RepoArgs {
    /// AIM repository location: the folder holding `.aim`, or the `.aim` folder itself.
    #[arg(long = "aim-repo", value_name = "PATH", default_value = "./aim-repo")]
    pub aim_repo: PathBuf,
    /// Include archived runs (hidden by default, as Aim and the original do).
    #[arg(long)]
    pub archived: bool,
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
        assert_eq!(ls.repo.aim_repo, PathBuf::from("./aim-repo"));
        assert_eq!(ls.format, LsFormat::Table);
        assert!(!ls.repo.archived);
    }
}
