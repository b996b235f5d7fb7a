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
            eprintln!("tcbench: error: {}", error_line(&err));
            commands::Status::Failure.into()
        }
    }
}
/// The error and its causes on one line, `: `-separated, as anyhow's `{:#}` prints them —
/// except that a cause whose text the line already holds is not repeated (our I/O errors
/// name their cause in their own message, and also give it as their source).
fn error_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if line.is_empty() {
            line = text;
        } else if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
    }
    line
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
