//! `tcbench`: parse the command line, dispatch, print `tcbench: error: …` and map the outcome
//! to an exit code (0 success, 1 error, 2 usage, 3 partial: some runs could not be read).
//!
//! The pipeline itself is the library crate (`tcbench::…`, `src/lib.rs`); this binary holds
//! the command layer over it: clap's arguments (`cli`), one thin file per subcommand
//! (`commands`) and the only code that prints (`printer`).

mod cli;
mod commands;
mod printer;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(status) => status.into(),
        Err(err) => {
            if printer::stdout_closed() || is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            // the error and its causes, `: `-separated (no error repeats its cause as its source)
            eprintln!("tcbench: error: {err:#}");
            commands::Status::Failure.into()
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
