//! One dispatch `match` from the parsed command line to the subcommands.

pub mod aimrepo;
pub mod generate;

use std::process::ExitCode;

use crate::cli::{Aimrepo, Cli, Command};

/// How a command ended; exit codes live here only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Everything was read and done (exit 0).
    Success,
    /// A fatal error (exit 1).
    Failure,
    /// Output was produced, but some runs could not be read and were skipped (exit 3).
    Partial,
}

impl From<Status> for ExitCode {
    fn from(s: Status) -> ExitCode {
        ExitCode::from(match s {
            Status::Success => 0,
            Status::Failure => 1,
            Status::Partial => 3,
        })
    }
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> anyhow::Result<Status> {
    match cli.command {
        Command::Aimrepo(Aimrepo::Ls(args)) => aimrepo::ls::run(&args),
        Command::Aimrepo(Aimrepo::Properties(args)) => aimrepo::properties::run(&args),
        Command::Aimrepo(Aimrepo::Report(args)) => aimrepo::report::run(&args),
        Command::Aimrepo(Aimrepo::Merge(args)) => aimrepo::merge::run(&args),
        Command::Aimrepo(Aimrepo::Doctor(args)) => aimrepo::doctor::run(&args),
        Command::Aimrepo(Aimrepo::Export(args)) => aimrepo::export::run(&args),
        Command::Completions(args) => generate::completions(&args),
        Command::Man(args) => generate::man(&args),
    }
}
