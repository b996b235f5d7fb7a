//! `tcbench aimrepo report`: per campaign, test split and hyper-parameter group, the runs
//! count and the mean / std / 95% confidence interval of each metric's final value and of the
//! run duration — printed as the original's grouped table and written as CSV and Parquet.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;

use aim_store::{par_map, Run, Seqs, Trace, Value};
use anyhow::{bail, Context};

use crate::aggregate::{np_round, stats, Stats};
use crate::cli::{csv_list, ReportArgs, ReportFormat, ValueKind};
use crate::commands::Status;
use crate::frame::param_columns;
use crate::printer;
use crate::pyfmt::{float_repr, list_repr, PyVal};
use crate::render::report_table;

use super::{dest, files};

/// Hyper-parameters never used as default group keys (they vary within a group by design).
const NOT_GROUPS: [&str; 3] = [
    "hparams.campaign_exp_idx",
    "hparams.seed",
    "hparams.split_index",
];

/// One run with what the report needs of it.
pub struct RunRow<'a> {
    /// The run.
    pub run: &'a Run,
    /// Its dataframe columns (params flattened, Aim's order).
    pub columns: Vec<(String, PyVal)>,
    /// Metric values: `values[context][metric]`, None when the run lacks the metric there.
    pub values: Vec<Vec<Option<f64>>>,
    /// The same values when they were tracked as integers (None otherwise): integer metrics
    /// stay integers in `runsinfo_*.parquet`, as in the original's file.
    pub ints: Vec<Vec<Option<i64>>>,
}

impl RunRow<'_> {
    /// A column value by full name (`hparams.x`).
    pub fn column(&self, name: &str) -> Option<&PyVal> {
        self.columns.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

/// One group of the summary.
#[derive(Debug, Clone)]
pub struct Group {
    /// The context (split).
    pub split: String,
    /// Group-by values.
    pub keys: Vec<PyVal>,
    /// Distinct runs.
    pub runs: usize,
    /// Statistics per metric, in `--metrics` order.
    pub metrics: Vec<Stats>,
    /// Statistics of the run duration.
    pub duration: Stats,
}

/// One campaign's summary.
pub struct Campaign {
    /// `hparams.campaign_id` (None for runs without one).
    pub id: Option<PyVal>,
    /// Its file name (folder under `campaign_summary/`, plot suffix): the id by the file-name
    /// rule, distinct from every other campaign's in the repository.
    pub file_name: String,
    /// Number of runs.
    pub runs: usize,
    /// Group-by names (full, `hparams.x`).
    pub groupby: Vec<String>,
    /// The groups, sorted by split then keys.
    pub groups: Vec<Group>,
}

/// A metric value as a number, with the integer it is when tracked as one.
type Num = (f64, Option<i64>);

fn num(v: &Value) -> Option<Num> {
    match v {
        Value::Int(i) => Some((*i as f64, Some(*i))),
        other => other.as_f64().map(|f| (f, None)),
    }
}

fn metric_value(seqs: Option<&Seqs>, trace: &Trace, kind: ValueKind) -> Option<Num> {
    // the largest (smallest) value, NaN only when every value is NaN (as f64::max does)
    let from_points = |pick_max: bool| -> Option<Num> {
        let pts = seqs?.points(trace).ok()?;
        let mut best: Option<Num> = None;
        for v in pts.iter().filter_map(|p| num(&p.value)) {
            let better = match best {
                None => true,
                Some(b) => {
                    b.0.is_nan() || !v.0.is_nan() && if pick_max { v.0 > b.0 } else { v.0 < b.0 }
                }
            };
            if better {
                best = Some(v);
            }
        }
        best
    };
    match kind {
        ValueKind::Last => num(&seqs?.final_point(trace).ok().flatten()?.value),
        ValueKind::Max => trace
            .max
            .as_ref()
            .and_then(num)
            .or_else(|| from_points(true)),
        ValueKind::Min => trace
            .min
            .as_ref()
            .and_then(num)
            .or_else(|| from_points(false)),
    }
}

/// Reads the chosen metrics of every run in every context (seqs chunks in parallel).
fn read_values<'a>(
    loaded: &'a super::Loaded,
    metrics: &[String],
    contexts: &[String],
    kind: ValueKind,
) -> (Vec<RunRow<'a>>, Vec<String>) {
    let results = par_map(&loaded.runs, |run| {
        let repo = loaded.repo_of(run);
        let wanted: Vec<Vec<Option<&Trace>>> = contexts
            .iter()
            .map(|ctx| {
                metrics
                    .iter()
                    .map(|m| {
                        run.meta.traces.iter().find(|t| {
                            t.is_metric() && &t.name == m && t.subset() == Some(ctx.as_str())
                        })
                    })
                    .collect()
            })
            .collect();
        // the seqs chunk only when a value is not in the meta chunk: always for `last`,
        // for `max`/`min` only when the trace has no running max/min (v1, or no numbers yet)
        let need_seqs = wanted.iter().flatten().flatten().any(|t| match kind {
            ValueKind::Last => true,
            ValueKind::Max => t.max.as_ref().and_then(Value::as_f64).is_none(),
            ValueKind::Min => t.min.as_ref().and_then(Value::as_f64).is_none(),
        });
        // a missing or dangling seqs chunk is damage even when no value is read from it
        let seqs_dir = repo.seqs_chunk(run.hash());
        let traces = run.meta.traces.len();
        let opened = if need_seqs {
            Seqs::open_for(&seqs_dir, run.hash(), traces).map(Some)
        } else {
            Seqs::presence(&seqs_dir, traces).map(|_| None)
        };
        let (seqs, problem) = match opened {
            Ok(s) => (s, None),
            Err(e) => (
                None,
                Some(format!("run {}: unreadable seqs chunk: {e}", run.hash())),
            ),
        };
        let nums: Vec<Vec<Option<Num>>> = wanted
            .iter()
            .map(|row| {
                row.iter()
                    .map(|t| t.and_then(|t| metric_value(seqs.as_ref(), t, kind)))
                    .collect()
            })
            .collect();
        let values = nums
            .iter()
            .map(|row| row.iter().map(|n| n.map(|n| n.0)).collect())
            .collect();
        let ints = nums
            .iter()
            .map(|row| row.iter().map(|n| n.and_then(|n| n.1)).collect())
            .collect();
        (
            RunRow {
                run,
                columns: param_columns(run),
                values,
                ints,
            },
            problem,
        )
    });
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (row, problem) in results {
        rows.push(row);
        problems.extend(problem);
    }
    (rows, problems)
}

fn distinct(values: impl Iterator<Item = PyVal>) -> Vec<PyVal> {
    let mut out: Vec<PyVal> = Vec::new();
    for v in values {
        if !out.iter().any(|x| x.same(&v)) {
            out.push(v);
        }
    }
    out.sort_by(|a, b| a.total_cmp(b));
    out
}

/// The group-by columns of a campaign.
fn resolve_groupby(arg: Option<&[String]>, rows: &[&RunRow]) -> anyhow::Result<Vec<String>> {
    let mut names: Vec<String> = Vec::new();
    for r in rows {
        for (k, _) in &r.columns {
            if k.starts_with("hparams") && !names.contains(k) {
                names.push(k.clone());
            }
        }
    }
    names.sort();
    match arg {
        Some(list) => {
            let mut out = Vec::new();
            for name in csv_list(list) {
                if name == "split" || name == "test_split_name" {
                    continue; // always the first key
                }
                let full = if names.contains(&name) {
                    name.clone()
                } else if names.contains(&format!("hparams.{name}")) {
                    format!("hparams.{name}")
                } else {
                    let avail: Vec<PyVal> = names
                        .iter()
                        .map(|n| PyVal::Str(n.trim_start_matches("hparams.").to_owned()))
                        .collect();
                    bail!(
                        "unknown --groupby name `{name}`; available: {}",
                        list_repr(&avail)
                    );
                };
                if !out.contains(&full) {
                    out.push(full);
                }
            }
            Ok(out)
        }
        None => {
            let mut out: Vec<String> = names
                .iter()
                .filter(|n| !NOT_GROUPS.contains(&n.as_str()))
                .filter(|n| distinct(rows.iter().filter_map(|r| r.column(n).cloned())).len() > 1)
                .cloned()
                .collect();
            if out.is_empty() && names.iter().any(|n| n == "hparams.campaign_id") {
                out.push("hparams.campaign_id".into());
            }
            Ok(out)
        }
    }
}

fn summarize(
    rows: &[&RunRow],
    groupby: &[String],
    contexts: &[String],
    n_metrics: usize,
) -> Vec<Group> {
    type Key = (String, Vec<PyVal>);
    let mut groups: Vec<(Key, Vec<&RunRow>, usize)> = Vec::new();
    for (ci, ctx) in contexts.iter().enumerate() {
        for r in rows {
            let keys: Vec<PyVal> = groupby
                .iter()
                .map(|g| r.column(g).cloned().unwrap_or(PyVal::None))
                .collect();
            let pos = groups.iter().position(|((s, k), _, c)| {
                s == ctx && *c == ci && k.iter().zip(&keys).all(|(a, b)| a.same(b))
            });
            match pos {
                Some(i) => groups[i].1.push(r),
                None => groups.push(((ctx.clone(), keys), vec![r], ci)),
            }
        }
    }
    groups.sort_by(|((sa, ka), _, _), ((sb, kb), _, _)| {
        sa.cmp(sb).then_with(|| {
            ka.iter()
                .zip(kb)
                .map(|(a, b)| a.total_cmp(b))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        })
    });
    groups
        .into_iter()
        .map(|((split, keys), members, ci)| {
            let metrics = (0..n_metrics)
                .map(|m| {
                    let xs: Vec<f64> = members
                        .iter()
                        .map(|r| r.values[ci][m].unwrap_or(f64::NAN))
                        .collect();
                    stats(&xs)
                })
                .collect();
            let durations: Vec<f64> = members
                .iter()
                .map(|r| r.run.duration().unwrap_or(f64::NAN))
                .collect();
            let runs: BTreeSet<&str> = members.iter().map(|r| r.run.hash()).collect();
            Group {
                split,
                keys,
                runs: runs.len(),
                metrics,
                duration: stats(&durations),
            }
        })
        .collect()
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

/// Where the report files go (`campaign_summary/` inside it), in `pathlib`'s form: the
/// `--output-folder`, else the repository folder (the folder holding `.aim`, also for
/// `--aim-repo REPO/.aim`).
fn output_root(args: &ReportArgs) -> anyhow::Result<PathBuf> {
    Ok(match (&args.output_folder, args.repo.aim_repo.as_slice()) {
        (Some(p), _) => dest::pathlib(p),
        (None, [one]) => match aim_store::Repo::open(one) {
            Ok(repo) => dest::pathlib(repo.root()),
            Err(_) => dest::pathlib(one),
        },
        // with several repositories there is no natural place for the report files
        (None, _) => bail!(
            "several --aim-repo given: choose where the report files (`campaign_summary/`) go with --output-folder"
        ),
    })
}

/// Runs the command.
pub fn run(args: &ReportArgs) -> anyhow::Result<Status> {
    let plot = args
        .plot
        .as_deref()
        .map(super::plot::Request::new)
        .transpose()?;
    // every destination is checked before anything is read: a refusal prints and writes nothing
    let out_root = output_root(args)?;
    let summary_root = out_root.join("campaign_summary");
    let what = if args.output_folder.is_some() {
        "--output-folder"
    } else {
        "the report folder"
    };
    let aim_dirs = dest::aim_dirs(&args.repo.aim_repo);
    dest::refuse_inside_aim(&summary_root, what, &aim_dirs)?;
    dest::check_folder(&summary_root, what)?;
    if let Some(p) = &plot {
        p.check(&aim_dirs)?;
    }
    let mut loaded = super::load(&args.repo)?;
    let mut status = loaded.status;
    if loaded.runs.is_empty() {
        printer::note("nothing to report: no runs");
        return Ok(status);
    }
    let unfinished = loaded.runs.iter().filter(|r| r.active()).count();
    if unfinished > 0 {
        printer::note(format!(
            "{unfinished} unfinished run{} (no end time) left out of the run duration",
            if unfinished == 1 { "" } else { "s" }
        ));
    }
    // what exists
    let (all_metrics, all_contexts) = super::properties::metrics_and_contexts(&loaded.runs);
    let strs = |set: &BTreeSet<String>| {
        list_repr(&set.iter().cloned().map(PyVal::Str).collect::<Vec<_>>())
    };
    let metrics = csv_list(&args.metrics);
    if metrics.is_empty() {
        bail!("--metrics is empty; available: {}", strs(&all_metrics));
    }
    for m in &metrics {
        if !all_metrics.contains(m) {
            bail!("unknown metric `{m}`; available: {}", strs(&all_metrics));
        }
    }
    let contexts: Vec<String> = match &args.contexts {
        Some(list) => {
            let cs = csv_list(list);
            if cs.is_empty() {
                bail!("--contexts is empty; available: {}", strs(&all_contexts));
            }
            for c in &cs {
                if !all_contexts.contains(c) {
                    bail!("unknown context `{c}`; available: {}", strs(&all_contexts));
                }
            }
            cs
        }
        None => all_contexts
            .iter()
            .filter(|c| c.starts_with("test"))
            .cloned()
            .collect(),
    };
    if contexts.is_empty() {
        bail!(
            "no context to report: none starts with `test`; choose with --contexts from {}",
            strs(&all_contexts)
        );
    }
    // runs in query_runs order (newest first), as the original's data frame
    super::sort_newest_first(&mut loaded.runs);
    let (rows, problems) = read_values(&loaded, &metrics, &contexts, args.value);
    for p in problems {
        printer::warn(p);
        status = Status::Partial;
    }
    // campaigns
    let ids = distinct(
        rows.iter()
            .filter_map(|r| r.column("hparams.campaign_id").cloned()),
    );
    let mut selected: Vec<Option<PyVal>> = ids.iter().cloned().map(Some).collect();
    if rows
        .iter()
        .any(|r| r.column("hparams.campaign_id").is_none())
    {
        selected.push(None);
    }
    // file names over every campaign of the repository, whichever are reported: a
    // campaign's folder does not depend on --campaign-id
    let id_text = |id: &Option<PyVal>| {
        id.as_ref()
            .map(PyVal::str_form)
            .unwrap_or_else(|| "None".into())
    };
    let file_names =
        dest::unique_file_names(&selected.iter().map(id_text).collect::<Vec<String>>());
    let mut selected: Vec<(Option<PyVal>, String)> = selected.into_iter().zip(file_names).collect();
    if let Some(want) = &args.campaign_id {
        let found = selected
            .iter()
            .find(|(v, _)| v.as_ref().is_some_and(|v| &v.str_form() == want));
        match found {
            Some(one) => selected = vec![one.clone()],
            None => bail!(
                "unknown campaign id `{want}`; known: {}",
                list_repr(
                    &ids.iter()
                        .map(|v| PyVal::Str(v.str_form()))
                        .collect::<Vec<_>>()
                )
            ),
        }
    }
    let mut campaigns = Vec::new();
    for (id, file_name) in selected {
        let members: Vec<&RunRow> = rows
            .iter()
            .filter(|r| match (&id, r.column("hparams.campaign_id")) {
                (Some(a), Some(b)) => a.same(b),
                (None, None) => true,
                _ => false,
            })
            .collect();
        if members.is_empty() {
            continue;
        }
        let groupby = resolve_groupby(args.groupby.as_deref(), &members)?;
        // missing metrics: say so, leave them out of the statistics
        for (ci, ctx) in contexts.iter().enumerate() {
            for (mi, m) in metrics.iter().enumerate() {
                let missing = members
                    .iter()
                    .filter(|r| r.values[ci][mi].is_none())
                    .count();
                if missing > 0 {
                    printer::warn(format!(
                        "{missing} of {} runs have no `{m}` in context `{ctx}`; left out of its statistics",
                        members.len()
                    ));
                }
            }
        }
        let groups = summarize(&members, &groupby, &contexts, metrics.len());
        campaigns.push((
            Campaign {
                id,
                file_name,
                runs: members.len(),
                groupby,
                groups,
            },
            members,
        ));
    }
    // every file planned and checked before the first is written
    let summary_abs = dest::resolve(&summary_root);
    let mut plans = Vec::new();
    for (c, members) in &campaigns {
        let folder = dest::join_inside(&summary_root, &c.file_name)?;
        let what = format!("the report folder of campaign `{}`", id_text(&c.id));
        if !dest::resolve(&folder).starts_with(&summary_abs) {
            bail!(
                "{what}, `{}`, leads out of `{}`; remove it or choose another --output-folder",
                folder.display(),
                summary_root.display()
            );
        }
        dest::refuse_inside_aim(&folder, &what, &aim_dirs)?;
        dest::check_folder(&folder, &what)?;
        let plan = files::plan_campaign(&folder, members)?;
        for pair in &plan {
            dest::check_file(&pair.parquet, "report file")?;
            dest::check_file(&pair.csv, "report file")?;
        }
        plans.push((folder, plan));
    }
    let plot_targets: Vec<PathBuf> = match &plot {
        Some(p) => {
            let several = campaigns.len() > 1;
            let targets = campaigns
                .iter()
                .map(|(c, _)| p.target(&c.file_name, several))
                .collect::<anyhow::Result<Vec<_>>>()?;
            for t in &targets {
                dest::check_file(t, "--plot")?;
            }
            targets
        }
        None => Vec::new(),
    };
    // the files, then stdout: a failed write leaves stdout empty
    let mut saved: Vec<Vec<PathBuf>> = Vec::new();
    for ((c, members), (folder, plan)) in campaigns.iter().zip(&plans) {
        saved.push(
            files::write_campaign(folder, plan, c, members, &metrics, &contexts).with_context(
                || format!("writing the report files of campaign `{}`", id_text(&c.id)),
            )?,
        );
    }
    let plot_saved = match &plot {
        Some(p) => p.write(
            &campaigns_ref(&campaigns),
            &plot_targets,
            &metrics,
            &contexts,
            args.value,
        )?,
        None => Vec::new(),
    };
    let mut out = std::io::BufWriter::new(printer::stdout());
    let table = args.format == ReportFormat::Table;
    for ((c, _), paths) in campaigns.iter().zip(&saved) {
        if table {
            writeln!(out, "campaign_id: {}", id_text(&c.id))?;
            writeln!(out, "runs: {}", c.runs)?;
            writeln!(out)?;
            out.write_all(console_table(c, &metrics, args.precision).as_bytes())?;
            writeln!(out)?;
        }
        for path in paths {
            if table {
                writeln!(out, "saving: {}", path.display())?;
            } else {
                printer::note(format!("saving: {}", path.display()));
            }
        }
    }
    for path in plot_saved {
        if table {
            writeln!(out, "saving: {}", path.display())?;
        } else {
            printer::note(format!("saving: {}", path.display()));
        }
    }
    match args.format {
        ReportFormat::Table => {}
        ReportFormat::Csv => files::write_flat_csv(&mut out, &campaigns_ref(&campaigns), &metrics)?,
        ReportFormat::Json => {
            serde_json::to_writer_pretty(
                &mut out,
                &files::json(&campaigns_ref(&campaigns), &metrics),
            )?;
            writeln!(out)?;
        }
        ReportFormat::Markdown => files::write_markdown(
            &mut out,
            &campaigns_ref(&campaigns),
            &metrics,
            args.precision,
        )?,
    }
    out.flush()?;
    Ok(status)
}

fn campaigns_ref<'a>(c: &'a [(Campaign, Vec<&RunRow>)]) -> Vec<&'a Campaign> {
    c.iter().map(|(c, _)| c).collect()
}
