//! The command layer: [`main`] parses a command line, dispatches it with one `match` to the
//! subcommands, prints `tcbench: error: …` and maps the outcome to an exit code (0 success,
//! 1 error, 2 usage, 3 partial: some runs could not be read). The binary (`src/main.rs`) and
//! the Python wheel's `tcbench-rs` command both call [`main`], so they are one program.

pub mod aimrepo;
pub mod generate;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Aimrepo, Cli, Command};
use crate::printer;

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
        ExitCode::from(u8::from(s))
    }
}

impl From<Status> for u8 {
    fn from(s: Status) -> u8 {
        match s {
            Status::Success => 0,
            Status::Failure => 1,
            Status::Partial => 3,
        }
    }
}

/// Runs the command line `args` (the program name first) and returns its exit code. Usage
/// errors and `--help` are printed by clap (exit 2 and 0) without ending the process.
pub fn main<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return u8::try_from(e.exit_code()).unwrap_or(2);
        }
    };
    match run(cli) {
        Ok(status) => status.into(),
        Err(err) => {
            if printer::stdout_closed() || is_broken_pipe(&err) {
                return 0;
            }
            // the error and its causes, `: `-separated (no error repeats its cause as its source)
            printer::error(format!("{err:#}"));
            Status::Failure.into()
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
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
