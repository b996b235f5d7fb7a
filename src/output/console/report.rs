//! `report` on stdout: the original's grouped console table (`--format table`, with the
//! `saving:` lines of the files written) and the other formats, csv / json / markdown.

use std::io::Write;
use std::path::PathBuf;

use super::report_table;
use crate::output::files::{csv_key, group_stat_cells};
use crate::pyfmt::{float_repr, PyVal};
use crate::report::stats::{np_round, Stats};
use crate::report::Campaign;

/// `--format table`: per campaign its id, runs count and [`console_table`], then the paths
/// of its files (`saved`, one list per campaign); then the plots' paths.
pub fn write_table(
    out: &mut impl Write,
    campaigns: &[&Campaign],
    saved: &[Vec<PathBuf>],
    plots: &[PathBuf],
    metrics: &[String],
    precision: i32,
) -> std::io::Result<()> {
    for (c, paths) in campaigns.iter().zip(saved) {
        writeln!(out, "campaign_id: {}", c.id_text())?;
        writeln!(out, "runs: {}", c.runs)?;
        writeln!(out)?;
        out.write_all(console_table(c, metrics, precision).as_bytes())?;
        writeln!(out)?;
        for path in paths {
            writeln!(out, "saving: {}", path.display())?;
        }
    }
    for path in plots {
        writeln!(out, "saving: {}", path.display())?;
    }
    Ok(())
}

fn rounded(x: f64, precision: i32) -> String {
    float_repr(np_round(x, precision))
}

/// The console table of one campaign.
pub fn console_table(c: &Campaign, metrics: &[String], precision: i32) -> String {
    let group_names: Vec<String> = c
        .groupby
        .iter()
        .map(|g| g.strip_prefix("hparams.").unwrap_or(g).to_owned())
        .collect();
    // blocks in --metrics order, run_duration last, as the original (and the CSV files)
    let mut blocks: Vec<(String, Option<usize>)> = metrics
        .iter()
        .enumerate()
        .map(|(i, m)| (m.clone(), Some(i)))
        .collect();
    blocks.push(("run_duration".into(), None));
    let headers: Vec<(String, Vec<String>)> = blocks
        .iter()
        .map(|(name, _)| {
            (
                name.clone(),
                vec!["mean".into(), "std".into(), "ci95".into()],
            )
        })
        .collect();
    let rows: Vec<report_table::Row> = c
        .groups
        .iter()
        .map(|g| report_table::Row {
            split: g.split.clone(),
            groups: g.keys.iter().map(PyVal::str_form).collect(),
            runs: g.runs.to_string(),
            values: blocks
                .iter()
                .map(|(_, i)| {
                    let s = match i {
                        Some(i) => g.metrics[*i],
                        None => g.duration,
                    };
                    vec![
                        rounded(s.mean, precision),
                        rounded(s.std, precision),
                        rounded(s.ci95, precision),
                    ]
                })
                .collect(),
        })
        .collect();
    report_table::render(&group_names, &headers, &rows)
}

fn group_names(campaigns: &[&Campaign]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for c in campaigns {
        for g in &c.groupby {
            if !names.contains(g) {
                names.push(g.clone());
            }
        }
    }
    names
}

/// `--format csv`: one table of every campaign, one header row, full precision.
pub fn write_flat_csv(
    out: &mut impl Write,
    campaigns: &[&Campaign],
    metrics: &[String],
) -> anyhow::Result<()> {
    let names = group_names(campaigns);
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(out);
    let mut header = vec!["campaign_id".to_owned(), "split".to_owned()];
    header.extend(
        names
            .iter()
            .map(|g| g.strip_prefix("hparams.").unwrap_or(g).to_owned()),
    );
    header.push("runs".into());
    for m in metrics {
        for s in ["count", "mean", "std", "ci95"] {
            header.push(format!("{m}_{s}"));
        }
    }
    for s in ["mean", "std", "ci95"] {
        header.push(format!("run_duration_{s}"));
    }
    w.write_record(&header)?;
    for c in campaigns {
        let id = c.id.as_ref().map(PyVal::str_form).unwrap_or_default();
        for g in &c.groups {
            let mut rec = vec![id.clone(), g.split.clone()];
            for n in &names {
                rec.push(
                    c.groupby
                        .iter()
                        .position(|x| x == n)
                        .and_then(|i| g.keys.get(i))
                        .map(csv_key)
                        .unwrap_or_default(),
                );
            }
            rec.push(g.runs.to_string());
            rec.extend(group_stat_cells(g));
            w.write_record(&rec)?;
        }
    }
    w.flush()?;
    Ok(())
}

fn jnum(x: f64) -> serde_json::Value {
    serde_json::Number::from_f64(x)
        .map(serde_json::Value::Number)
        .unwrap_or(serde_json::Value::Null)
}

fn jstats(s: &Stats) -> serde_json::Value {
    serde_json::json!({"count": s.count, "mean": jnum(s.mean), "std": jnum(s.std), "ci95": jnum(s.ci95)})
}

fn jval(v: &PyVal) -> serde_json::Value {
    match v {
        PyVal::None => serde_json::Value::Null,
        PyVal::Bool(b) => (*b).into(),
        PyVal::Int(i) => (*i).into(),
        PyVal::Float(f) => jnum(*f),
        PyVal::Str(s) => s.clone().into(),
    }
}

/// `--format json`.
pub fn json(campaigns: &[&Campaign], metrics: &[String]) -> serde_json::Value {
    let list: Vec<serde_json::Value> = campaigns
        .iter()
        .map(|c| {
            let groups: Vec<serde_json::Value> = c
                .groups
                .iter()
                .map(|g| {
                    let keys: serde_json::Map<String, serde_json::Value> = c
                        .groupby
                        .iter()
                        .zip(&g.keys)
                        .map(|(n, v)| (n.strip_prefix("hparams.").unwrap_or(n).to_owned(), jval(v)))
                        .collect();
                    let ms: serde_json::Map<String, serde_json::Value> =
                        metrics.iter().zip(&g.metrics).map(|(m, s)| (m.clone(), jstats(s))).collect();
                    serde_json::json!({"split": g.split, "groups": keys, "runs": g.runs, "metrics": ms, "run_duration": jstats(&g.duration)})
                })
                .collect();
            serde_json::json!({
                "campaign_id": c.id.as_ref().map(jval).unwrap_or(serde_json::Value::Null),
                "runs": c.runs,
                "groupby": c.groupby.iter().map(|g| g.strip_prefix("hparams.").unwrap_or(g)).collect::<Vec<_>>(),
                "groups": groups,
            })
        })
        .collect();
    serde_json::Value::Array(list)
}

/// `--format markdown`: a pipe table per campaign, numbers rounded to `precision`.
pub fn write_markdown(
    out: &mut impl Write,
    campaigns: &[&Campaign],
    metrics: &[String],
    precision: i32,
) -> anyhow::Result<()> {
    let r = |x: f64| float_repr(np_round(x, precision));
    for c in campaigns {
        let id =
            c.id.as_ref()
                .map(PyVal::str_form)
                .unwrap_or_else(|| "None".into());
        writeln!(out, "### campaign_id: {id} ({} runs)\n", c.runs)?;
        let mut header = vec!["split".to_owned()];
        header.extend(
            c.groupby
                .iter()
                .map(|g| g.strip_prefix("hparams.").unwrap_or(g).to_owned()),
        );
        header.push("runs".into());
        for m in metrics.iter().map(String::as_str).chain(["run_duration"]) {
            for s in ["mean", "std", "ci95"] {
                header.push(format!("{m} {s}"));
            }
        }
        writeln!(out, "| {} |", header.join(" | "))?;
        let aligns: Vec<&str> = header
            .iter()
            .enumerate()
            .map(|(i, _)| if i == 0 { "---" } else { "---:" })
            .collect();
        writeln!(out, "| {} |", aligns.join(" | "))?;
        for g in &c.groups {
            let mut cells = vec![g.split.clone()];
            cells.extend(g.keys.iter().map(PyVal::str_form));
            cells.push(g.runs.to_string());
            for s in g.metrics.iter().chain(std::iter::once(&g.duration)) {
                cells.extend([r(s.mean), r(s.std), r(s.ci95)]);
            }
            writeln!(out, "| {} |", cells.join(" | "))?;
        }
        writeln!(out)?;
    }
    Ok(())
}
