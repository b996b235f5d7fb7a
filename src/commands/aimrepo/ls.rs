//! `tcbench aimrepo ls`: hash, creation time and end time of each run, newest first.

use std::io::Write;

use crate::cli::{LsArgs, LsFormat};
use crate::commands::Status;
use crate::printer;
use tcbench::output::console::richtable::{Border, Justify, Table};
use tcbench::pyfmt::float_repr;

/// One listed run.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Row {
    /// Run hash.
    pub hash: String,
    /// Creation time, UNIX seconds.
    pub creation_time: Option<f64>,
    /// End time, UNIX seconds; None while the run is unfinished.
    pub end_time: Option<f64>,
}

fn time_text(t: Option<f64>) -> String {
    t.map(float_repr).unwrap_or_else(|| "None".into())
}

/// Runs the command.
pub fn run(args: &LsArgs) -> anyhow::Result<Status> {
    // ls shows times only: read each run's end_time, not its whole meta chunk
    let mut loaded = super::load_with(&args.repo, aim_store::Detail::EndTime)?;
    tcbench::runs::sort_newest_first(&mut loaded.runs);
    let rows: Vec<Row> = loaded
        .runs
        .iter()
        .map(|r| Row {
            hash: r.hash().to_owned(),
            creation_time: r.props.creation_time,
            end_time: r.end_time(),
        })
        .collect();
    let mut out = std::io::BufWriter::new(printer::stdout());
    match args.format {
        LsFormat::Table => {
            let mut table = Table::new(
                Border::None,
                &[
                    ("hash", Justify::Left),
                    ("creation_time", Justify::Left),
                    ("end_time", Justify::Left),
                ],
            );
            for r in &rows {
                table.row(vec![
                    r.hash.clone(),
                    time_text(r.creation_time),
                    time_text(r.end_time),
                ]);
            }
            out.write_all(table.render(printer::console_width()).as_bytes())?;
        }
        LsFormat::Csv => {
            writeln!(out, "hash,creation_time,end_time")?;
            for r in &rows {
                let t = |x: Option<f64>| x.map(float_repr).unwrap_or_default();
                writeln!(out, "{},{},{}", r.hash, t(r.creation_time), t(r.end_time))?;
            }
        }
        LsFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &rows)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(loaded.status)
}
