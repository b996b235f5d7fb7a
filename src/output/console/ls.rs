//! `ls` on stdout: hash, creation time and end time of each run, as the original's table,
//! CSV or JSON.

use std::io::Write;

use aim_store::Run;

use crate::output::console::richtable::{Border, Justify, Table};
use crate::pyfmt::float_repr;

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

/// The rows of `runs`, in their order.
pub fn rows(runs: &[Run]) -> Vec<Row> {
    runs.iter()
        .map(|r| Row {
            hash: r.hash().to_owned(),
            creation_time: r.props.creation_time,
            end_time: r.end_time(),
        })
        .collect()
}

fn time_text(t: Option<f64>) -> String {
    t.map(float_repr).unwrap_or_else(|| "None".into())
}

/// The original's table (times as Python prints them, `None` while unfinished).
pub fn table(rows: &[Row]) -> Table {
    let mut table = Table::new(
        Border::None,
        &[
            ("hash", Justify::Left),
            ("creation_time", Justify::Left),
            ("end_time", Justify::Left),
        ],
    );
    for r in rows {
        table.row(vec![
            r.hash.clone(),
            time_text(r.creation_time),
            time_text(r.end_time),
        ]);
    }
    table
}

/// `--format csv`: a header row, then one row per run (a missing time is an empty field).
/// Fields are written as they are, never quoted: times never need it, and a hash is the name
/// of a chunk folder, written as every earlier tcbench wrote it.
pub fn write_csv(out: &mut impl Write, rows: &[Row]) -> csv::Result<()> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .quote_style(csv::QuoteStyle::Never)
        .from_writer(out);
    w.write_record(["hash", "creation_time", "end_time"])?;
    let t = |x: Option<f64>| x.map(float_repr).unwrap_or_default();
    for r in rows {
        w.write_record([r.hash.clone(), t(r.creation_time), t(r.end_time)])?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CSV is byte for byte what `writeln!("{},{},{}")` wrote, even for a hash that
    /// would need quoting.
    #[test]
    fn csv_fields_are_written_as_they_are() {
        let rows = vec![
            Row {
                hash: "a1b2".into(),
                creation_time: Some(1700000000.25),
                end_time: None,
            },
            Row {
                hash: "odd,\"name".into(),
                creation_time: None,
                end_time: Some(3.0),
            },
        ];
        let mut out = Vec::new();
        write_csv(&mut out, &rows).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "hash,creation_time,end_time\na1b2,1700000000.25,\nodd,\"name,,3.0\n"
        );
    }
}
