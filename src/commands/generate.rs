//! `tcbench completions SHELL` and `tcbench man`: shell completion scripts and manual pages
//! generated from the clap definition of the command line, so they never drift from it.

use std::io::Write;

use anyhow::Context;
use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use crate::commands::Status;

/// Prints the completion script for a shell on stdout.
pub fn completions(args: &CompletionsArgs) -> anyhow::Result<Status> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "tcbench", &mut out);
    crate::printer::stdout().write_all(&out)?;
    Ok(Status::Success)
}

/// Prints tcbench(1) on stdout, or writes every command's page into `--dir`.
pub fn man(args: &ManArgs) -> anyhow::Result<Status> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    match &args.dir {
        None => {
            cmd.build();
            let mut out = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut out)?;
            crate::printer::stdout().write_all(&out)?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating `{}`", dir.display()))?;
            clap_mangen::generate_to(cmd, dir)
                .with_context(|| format!("writing manual pages into `{}`", dir.display()))?;
            let mut pages: Vec<String> = std::fs::read_dir(dir)?
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("tcbench") && n.ends_with(".1"))
                .collect();
            pages.sort();
            writeln!(
                crate::printer::stdout(),
                "wrote {} manual pages into `{}`: {}",
                pages.len(),
                dir.display(),
                pages.join(", ")
            )?;
        }
    }
    Ok(Status::Success)
}
