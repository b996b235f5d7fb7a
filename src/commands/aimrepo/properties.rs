//! `tcbench aimrepo properties`: run count, run duration, metrics, contexts, and every
//! hyper-parameter with its distinct values ([`tcbench::properties`], rendered by
//! [`tcbench::output::console::properties`]).

use std::io::Write;

use tcbench::output::console::properties::{json, table};
use tcbench::properties::compute;

use crate::cli::{PropertiesArgs, PropertiesFormat};
use crate::commands::Status;
use crate::printer;

/// Runs the command.
pub fn run(args: &PropertiesArgs) -> anyhow::Result<Status> {
    let loaded = super::load(&args.repo)?;
    super::note_unfinished(&loaded.runs);
    let props = compute(&loaded.runs);
    let mut out = std::io::BufWriter::new(printer::stdout());
    match args.format {
        PropertiesFormat::Table => {
            out.write_all(table(&props).render(printer::console_width()).as_bytes())?
        }
        PropertiesFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &json(&props))?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(loaded.status)
}
