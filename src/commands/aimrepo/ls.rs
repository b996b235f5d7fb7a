//! `tcbench aimrepo ls`: hash, creation time and end time of each run, newest first
//! (rendered by [`tcbench::output::console::ls`]).

use std::io::Write;

use tcbench::output::console::ls;
use tcbench::runs::sort_newest_first;

use crate::cli::{LsArgs, LsFormat};
use crate::commands::Status;
use crate::printer;

/// Runs the command.
pub fn run(args: &LsArgs) -> anyhow::Result<Status> {
    // ls shows times only: read each run's end_time, not its whole meta chunk
    let mut loaded = super::load_with(&args.repo, aim_store::Detail::EndTime)?;
    sort_newest_first(&mut loaded.runs);
    let rows = ls::rows(&loaded.runs);
    let mut out = std::io::BufWriter::new(printer::stdout());
    match args.format {
        LsFormat::Table => {
            out.write_all(ls::table(&rows).render(printer::console_width()).as_bytes())?;
        }
        LsFormat::Csv => ls::write_csv(&mut out, &rows)?,
        LsFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &rows)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(loaded.status)
}
