//! The files `report` writes — `summary_*.csv` (pandas' two header rows) and
//! `runsinfo_*.parquet` (one row per run × context), split by `flowpic_dim` as the original.
//! Every file is written whole or not at all: written to a temporary sibling, then renamed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};

use super::dest;
use crate::pyfmt::{float_repr, json_str, PyVal};
use crate::report::model::id_text;
use crate::report::stats::Stats;
use crate::report::{Campaign, Group, RunRow, Summarized};

/// Writes `bytes` to `path` atomically (temporary sibling + rename).
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f =
            std::fs::File::create(&tmp).with_context(|| format!("creating `{}`", tmp.display()))?;
        write(&mut f)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
            .with_context(|| format!("renaming into `{}`", path.display()))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn csv_float(x: f64) -> String {
    if x.is_nan() {
        String::new()
    } else {
        float_repr(x)
    }
}

pub(crate) fn csv_key(v: &PyVal) -> String {
    match v {
        PyVal::None => String::new(),
        other => other.str_form(),
    }
}

/// The split hyper-parameter of the files: `flowpic_dim`, or `max_n_pkts` when every run's
/// `flow_representation` is `pktseries` (xgboost campaigns).
fn split_param(members: &[&RunRow]) -> &'static str {
    let pkt = !members.is_empty()
        && members.iter().all(|r| {
            matches!(r.column("hparams.flow_representation"), Some(PyVal::Str(s)) if s == "pktseries")
        });
    if pkt {
        "max_n_pkts"
    } else {
        "flowpic_dim"
    }
}

/// One pair of files of a campaign: the runs of one split value (all runs when `value` is
/// None) in `runsinfo`, and the summary in `summary`.
pub struct FilePair {
    /// The split value, None for the campaign without one.
    value: Option<PyVal>,
    /// `runsinfo_*.parquet`.
    pub parquet: PathBuf,
    /// `summary_*.csv`.
    pub csv: PathBuf,
}

/// The files of one campaign in `folder`, named by the file-name rule (`dest`), in the order
/// they are written; nothing is touched.
pub fn plan_campaign(folder: &Path, members: &[&RunRow]) -> anyhow::Result<Vec<FilePair>> {
    let h = split_param(members);
    let full = format!("hparams.{h}");
    let mut values: Vec<PyVal> = Vec::new();
    for r in members {
        if let Some(v) = r.column(&full) {
            if !values.iter().any(|x| x.same(v)) {
                values.push(v.clone());
            }
        }
    }
    if values.is_empty() {
        return Ok(vec![FilePair {
            value: None,
            parquet: dest::join_inside(folder, "runsinfo.parquet")?,
            csv: dest::join_inside(folder, "summary.csv")?,
        }]);
    }
    let texts: Vec<String> = values.iter().map(PyVal::str_form).collect();
    let names = dest::unique_file_names(&texts);
    values
        .into_iter()
        .zip(names)
        .map(|(v, name)| {
            Ok(FilePair {
                value: Some(v),
                parquet: dest::join_inside(folder, &format!("runsinfo_{h}_{name}.parquet"))?,
                csv: dest::join_inside(folder, &format!("summary_{h}_{name}.csv"))?,
            })
        })
        .collect()
}

/// Writes one campaign's files as planned by [`plan_campaign`]; returns their paths in the
/// order written.
pub fn write_campaign(
    folder: &Path,
    plan: &[FilePair],
    c: &Campaign,
    members: &[&RunRow],
    metrics: &[String],
    contexts: &[String],
) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dest::fs_path(folder))
        .with_context(|| format!("creating `{}`", folder.display()))?;
    let h = split_param(members);
    let full = format!("hparams.{h}");
    let key_pos = c.groupby.iter().position(|g| g == &full);
    let write_pair = |pair: &FilePair| -> anyhow::Result<[PathBuf; 2]> {
        let subset: Vec<&RunRow> = match &pair.value {
            None => members.to_vec(),
            Some(v) => members
                .iter()
                .copied()
                .filter(|r| r.column(&full).is_some_and(|x| x.same(v)))
                .collect(),
        };
        write_parquet(&pair.parquet, &subset, metrics, contexts)?;
        let filter = match &pair.value {
            None => None,
            Some(v) => key_pos.map(|i| (i, v)),
        };
        write_summary_csv(&pair.csv, c, metrics, filter)?;
        Ok([pair.parquet.clone(), pair.csv.clone()])
    };
    // one thread per value: the files are independent, and each ends in an fsync
    let written: Vec<anyhow::Result<[PathBuf; 2]>> = std::thread::scope(|s| {
        let handles: Vec<_> = plan
            .iter()
            .map(|p| s.spawn(move || write_pair(p)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut saved = Vec::new();
    for pair in written {
        saved.extend(pair?);
    }
    Ok(saved)
}

fn stat_cells(s: &Stats, with_count: bool) -> Vec<String> {
    let mut cells = Vec::new();
    if with_count {
        cells.push(s.count.to_string());
    }
    cells.extend([csv_float(s.mean), csv_float(s.std), csv_float(s.ci95)]);
    cells
}

/// The statistics cells of a group: per metric count/mean/std/ci95, then run_duration's
/// mean/std/ci95 (the original's column order).
pub(crate) fn group_stat_cells(g: &Group) -> Vec<String> {
    let mut cells: Vec<String> = g.metrics.iter().flat_map(|s| stat_cells(s, true)).collect();
    cells.extend(stat_cells(&g.duration, false));
    cells
}

/// `summary_*.csv` of a whole campaign (every group, no split column left out), as the text
/// the file would hold: what the Python package's `report()` returns instead of a file.
pub fn summary_csv(c: &Campaign, metrics: &[String]) -> anyhow::Result<String> {
    Ok(String::from_utf8(summary_csv_bytes(c, metrics, None)?)?)
}

fn write_summary_csv(
    path: &Path,
    c: &Campaign,
    metrics: &[String],
    filter: Option<(usize, &PyVal)>,
) -> anyhow::Result<()> {
    let bytes = summary_csv_bytes(c, metrics, filter)?;
    write_atomic(path, |f| Ok(f.write_all(&bytes)?))
}

/// `summary_*.csv`: pandas' MultiIndex header (two rows), group columns first, full precision.
/// `filter` keeps only the groups whose key at that position equals the value, and drops it.
fn summary_csv_bytes(
    c: &Campaign,
    metrics: &[String],
    filter: Option<(usize, &PyVal)>,
) -> anyhow::Result<Vec<u8>> {
    let mut index: Vec<String> = vec!["test_split_name".into()];
    for (i, g) in c.groupby.iter().enumerate() {
        if filter.is_some_and(|(k, _)| k == i) {
            continue;
        }
        index.push(g.strip_prefix("hparams.").unwrap_or(g).to_owned());
    }
    let mut top = index.clone();
    let mut bottom = vec![String::new(); index.len()];
    for m in metrics {
        for s in ["count", "mean", "std", "ci95"] {
            top.push(m.clone());
            bottom.push(s.into());
        }
    }
    for s in ["mean", "std", "ci95"] {
        top.push("run_duration".into());
        bottom.push(s.into());
    }
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    w.write_record(&top)?;
    w.write_record(&bottom)?;
    for g in &c.groups {
        if let Some((k, v)) = filter {
            if !g.keys.get(k).is_some_and(|x| x.same(v)) {
                continue;
            }
        }
        let mut rec = vec![g.split.clone()];
        for (i, key) in g.keys.iter().enumerate() {
            if filter.is_some_and(|(k, _)| k == i) {
                continue;
            }
            rec.push(csv_key(key));
        }
        rec.extend(group_stat_cells(g));
        w.write_record(&rec)?;
    }
    Ok(w.into_inner().map_err(|e| e.into_error())?)
}

enum Col {
    Str(Vec<Option<String>>),
    F64(Vec<Option<f64>>),
    I64(Vec<Option<i64>>),
    Bool(Vec<Option<bool>>),
}

impl Col {
    fn into_array(self) -> (DataType, ArrayRef) {
        match self {
            Col::Str(v) => (DataType::Utf8, Arc::new(StringArray::from(v))),
            Col::F64(v) => (DataType::Float64, Arc::new(Float64Array::from(v))),
            Col::I64(v) => (DataType::Int64, Arc::new(Int64Array::from(v))),
            Col::Bool(v) => (DataType::Boolean, Arc::new(BooleanArray::from(v))),
        }
    }
}

/// A typed column from Python values: ints, floats (ints and floats mixed), bools, else str.
fn param_col(values: Vec<Option<PyVal>>) -> Col {
    let present: Vec<&PyVal> = values
        .iter()
        .flatten()
        .filter(|v| **v != PyVal::None)
        .collect();
    let all = |f: fn(&PyVal) -> bool| !present.is_empty() && present.iter().all(|v| f(v));
    if all(|v| matches!(v, PyVal::Int(_))) {
        Col::I64(
            values
                .into_iter()
                .map(|v| match v {
                    Some(PyVal::Int(i)) => Some(i),
                    _ => None,
                })
                .collect(),
        )
    } else if all(|v| matches!(v, PyVal::Int(_) | PyVal::Float(_))) {
        Col::F64(
            values
                .into_iter()
                .map(|v| match v {
                    Some(PyVal::Int(i)) => Some(i as f64),
                    Some(PyVal::Float(f)) => Some(f),
                    _ => None,
                })
                .collect(),
        )
    } else if all(|v| matches!(v, PyVal::Bool(_))) {
        Col::Bool(
            values
                .into_iter()
                .map(|v| match v {
                    Some(PyVal::Bool(b)) => Some(b),
                    _ => None,
                })
                .collect(),
        )
    } else {
        Col::Str(
            values
                .into_iter()
                .map(|v| match v {
                    None | Some(PyVal::None) => None,
                    Some(x) => Some(x.str_form()),
                })
                .collect(),
        )
    }
}

/// The table of `runsinfo_*.parquet` for `members`: one row per context × run (contexts
/// outer), the columns of the original. Also what the Python package's `report()` returns.
pub fn runsinfo(
    members: &[&RunRow],
    metrics: &[String],
    contexts: &[String],
) -> anyhow::Result<RecordBatch> {
    let rows: Vec<(usize, &RunRow)> = contexts
        .iter()
        .enumerate()
        .flat_map(|(ci, _)| members.iter().map(move |r| (ci, *r)))
        .collect();
    let mut cols: Vec<(String, Col)> = Vec::new();
    let s =
        |f: &dyn Fn(&RunRow) -> Option<String>| Col::Str(rows.iter().map(|(_, r)| f(r)).collect());
    cols.push(("hash".into(), s(&|r| Some(r.run.hash().to_owned()))));
    cols.push(("name".into(), s(&|r| r.run.props.name.clone())));
    cols.push((
        "description".into(),
        s(&|r| r.run.props.description.clone()),
    ));
    cols.push((
        "archived".into(),
        Col::Bool(
            rows.iter()
                .map(|(_, r)| Some(r.run.props.archived))
                .collect(),
        ),
    ));
    cols.push((
        "creation_time".into(),
        Col::F64(
            rows.iter()
                .map(|(_, r)| r.run.props.creation_time)
                .collect(),
        ),
    ));
    cols.push((
        "end_time".into(),
        Col::F64(rows.iter().map(|(_, r)| r.run.end_time()).collect()),
    ));
    cols.push((
        "active".into(),
        Col::Bool(rows.iter().map(|(_, r)| Some(r.run.active())).collect()),
    ));
    cols.push(("experiment".into(), s(&|r| r.run.props.experiment.clone())));
    cols.push((
        "tags".into(),
        s(&|r| {
            Some(format!(
                "[{}]",
                r.run
                    .props
                    .tags
                    .iter()
                    .map(|t| json_str(t))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }),
    ));
    let mut names: Vec<String> = Vec::new();
    for (_, r) in &rows {
        for (k, _) in &r.columns {
            if !k.starts_with("__system") && !names.contains(k) {
                names.push(k.clone());
            }
        }
    }
    for n in names {
        let values: Vec<Option<PyVal>> = rows.iter().map(|(_, r)| r.column(&n).cloned()).collect();
        cols.push((n.replace("hparams.", ""), param_col(values)));
    }
    for (mi, m) in metrics.iter().enumerate() {
        // a metric tracked as integers stays integral (nullable int64), as the original's
        let integral = rows.iter().any(|(ci, r)| r.values[*ci][mi].is_some())
            && rows
                .iter()
                .all(|(ci, r)| r.values[*ci][mi].is_none() || r.ints[*ci][mi].is_some());
        let col = if integral {
            Col::I64(rows.iter().map(|(ci, r)| r.ints[*ci][mi]).collect())
        } else {
            Col::F64(rows.iter().map(|(ci, r)| r.values[*ci][mi]).collect())
        };
        cols.push((m.clone(), col));
    }
    cols.push((
        "test_split_name".into(),
        Col::Str(
            rows.iter()
                .map(|(ci, _)| Some(contexts[*ci].clone()))
                .collect(),
        ),
    ));
    cols.push((
        "run_duration".into(),
        Col::F64(rows.iter().map(|(_, r)| r.run.duration()).collect()),
    ));
    let mut fields = Vec::new();
    let mut arrays = Vec::new();
    for (name, col) in cols {
        let (ty, arr) = col.into_array();
        fields.push(Field::new(name, ty, true));
        arrays.push(arr);
    }
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?)
}

/// `runsinfo_*.parquet`: [`runsinfo`], Snappy-compressed.
fn write_parquet(
    path: &Path,
    members: &[&RunRow],
    metrics: &[String],
    contexts: &[String],
) -> anyhow::Result<()> {
    let batch = runsinfo(members, metrics, contexts)?;
    write_atomic(path, |f| {
        let props = parquet::file::properties::WriterProperties::builder()
            .set_compression(parquet::basic::Compression::SNAPPY)
            .build();
        let mut w = parquet::arrow::ArrowWriter::try_new(f, batch.schema(), Some(props))?;
        w.write(&batch)?;
        w.close()?;
        Ok(())
    })
}

/// Where the report files go (`campaign_summary/` inside it), in `pathlib`'s form: the
/// `--output-folder`, else the repository folder (the folder holding `.aim`, also for
/// `--aim-repo REPO/.aim`).
pub fn report_root(output_folder: Option<&Path>, aim_repo: &[PathBuf]) -> anyhow::Result<PathBuf> {
    Ok(match (output_folder, aim_repo) {
        (Some(p), _) => dest::pathlib(p),
        (None, [one]) => match aim_store::Repo::open(one) {
            Ok(repo) => dest::pathlib(repo.root()),
            Err(_) => dest::pathlib(one),
        },
        // with several repositories there is no natural place for the report files
        (None, _) => anyhow::bail!(
            "several --aim-repo given: choose where the report files (`campaign_summary/`) go with --output-folder"
        ),
    })
}

/// The files of every campaign, each folder with its [`plan_campaign`]: every destination
/// checked before the first file is written.
pub fn plan_report(
    summary_root: &Path,
    campaigns: &[Summarized],
    aim_dirs: &[PathBuf],
) -> anyhow::Result<Vec<(PathBuf, Vec<FilePair>)>> {
    let summary_abs = dest::resolve(summary_root);
    let mut plans = Vec::new();
    for Summarized {
        campaign: c,
        members,
    } in campaigns
    {
        let folder = dest::join_inside(summary_root, &c.file_name)?;
        let what = format!("the report folder of campaign `{}`", c.id_text());
        if !dest::resolve(&folder).starts_with(&summary_abs) {
            anyhow::bail!(
                "{what}, `{}`, leads out of `{}`; remove it or choose another --output-folder",
                folder.display(),
                summary_root.display()
            );
        }
        dest::refuse_inside_aim(&folder, &what, aim_dirs)?;
        dest::check_folder(&folder, &what)?;
        let plan = plan_campaign(&folder, members)?;
        for pair in &plan {
            dest::check_file(&pair.parquet, "report file")?;
            dest::check_file(&pair.csv, "report file")?;
        }
        plans.push((folder, plan));
    }
    Ok(plans)
}

/// Writes every campaign's files as planned by [`plan_report`]; returns, per campaign, the
/// paths written in order.
pub fn write_report(
    plans: &[(PathBuf, Vec<FilePair>)],
    campaigns: &[Summarized],
    metrics: &[String],
    contexts: &[String],
) -> anyhow::Result<Vec<Vec<PathBuf>>> {
    let mut saved: Vec<Vec<PathBuf>> = Vec::new();
    for (s, (folder, plan)) in campaigns.iter().zip(plans) {
        let c = &s.campaign;
        saved.push(
            write_campaign(folder, plan, c, &s.members, metrics, contexts).with_context(|| {
                format!(
                    "writing the report files of campaign `{}`",
                    id_text(c.id.as_ref())
                )
            })?,
        );
    }
    Ok(saved)
}
