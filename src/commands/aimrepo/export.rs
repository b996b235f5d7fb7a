//! `tcbench aimrepo export`: a repository as a tidy Parquet dataset that DuckDB, Polars,
//! pandas or Spark query directly — `runs.parquet` (one row per run: properties and
//! flattened params) and `metrics.parquet` (one row per run × metric × context × step, or one
//! per trace with `--final-only`).
//!
//! Memory does not grow with the number of steps: it holds every run's metadata (params,
//! trace list), as the other commands do, but never more than a few batches of points:
//! runs are read on every core and their rows handed to one writer in hash order
//! through bounded channels, each trace is streamed in step order in batches
//! ([`aim_store::Seqs::for_each_batch`]) and the writer flushes a Parquet row group every
//! [`BATCH`] rows. The output folder is written whole or not at all: assembled in a hidden
//! sibling (a staging folder as merge's, [`aim_store::staging`]: the leftover of a killed
//! export is removed by the next one), renamed into place at the end. An `--output` that is
//! a symbolic link to a folder is followed (as `merge --dst` is): the export replaces that
//! folder and the link stays; a link to anything else is refused before anything is read.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

use aim_store::staging::Tag;
use aim_store::{Node, Row, Run, RunMeta, Seg, Seqs, Trace, Value};
use anyhow::{bail, Context};
use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;

use crate::cli::ExportArgs;
use crate::commands::Status;
use crate::printer;
use tcbench::frame::json_dumps_unicode as json_text;
use tcbench::output::text::plural;

/// Rows per Parquet row group, and per batch a trace is streamed in.
pub const BATCH: usize = 65_536;

/// [`BATCH`], or the test-only override `TCBENCH_EXPORT_BATCH` (the tests use a small batch
/// to exercise several streaming passes and row groups on the fixtures).
fn batch_size() -> usize {
    std::env::var("TCBENCH_EXPORT_BATCH")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(BATCH)
}

/// The files an export writes; `--force` replaces a folder holding only these.
const FILES: [&str; 2] = ["runs.parquet", "metrics.parquet"];

/// The run property columns of `runs.parquet`, before the params.
const PROPERTIES: [&str; 9] = [
    "hash",
    "name",
    "experiment",
    "description",
    "archived",
    "active",
    "creation_time",
    "end_time",
    "tags",
];

fn keep_metrics(meta: &mut RunMeta, system: bool) {
    if system {
        meta.traces.retain(Trace::is_metric);
    } else {
        meta.keep_user_metrics_and_params();
    }
}

/// What is in the way at `--output`: nothing (`None`), or a folder to replace.
fn check_output(out: &Path, force: bool) -> anyhow::Result<Option<PathBuf>> {
    let entries = match std::fs::read_dir(out) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(_) if out.exists() && !out.is_dir() => {
            bail!("output `{}` exists and is not a folder", out.display())
        }
        Err(e) => return Err(e).with_context(|| format!("reading `{}`", out.display())),
    };
    let mut names = Vec::new();
    for e in entries {
        let e = e.with_context(|| format!("reading `{}`", out.display()))?;
        names.push(e.file_name().to_string_lossy().into_owned());
    }
    if names.is_empty() {
        return Ok(Some(out.to_path_buf()));
    }
    if !force {
        bail!(
            "output `{}` exists and is not empty; export never overwrites it: choose a new --output, or --force to replace a previous export",
            out.display()
        );
    }
    names.sort();
    if let Some(other) = names.iter().find(|n| !FILES.contains(&n.as_str())) {
        bail!(
            "output `{}` holds `{other}`, which is not an export's file; --force only replaces a folder holding {} (nothing was written)",
            out.display(),
            FILES.join(" and ")
        );
    }
    Ok(Some(out.to_path_buf()))
}

/// Where the export goes: `out` itself, or the folder a symbolic link `out` points to.
fn resolve_output(out: &Path) -> anyhow::Result<PathBuf> {
    match std::fs::symlink_metadata(out) {
        Ok(md) if md.file_type().is_symlink() => match std::fs::canonicalize(out) {
            Ok(target) if target.is_dir() => Ok(target),
            _ => bail!(
                "output `{}` is a symbolic link to `{}`, which is not a folder; export follows a link only to a folder (nothing was written)",
                out.display(),
                std::fs::read_link(out).unwrap_or_default().display()
            ),
        },
        _ => Ok(out.to_path_buf()),
    }
}

/// Removes the leftovers of killed exports into `parent/name` (ours by name, owner file and
/// a process that is gone) and names the others; refuses while another export into it runs.
fn clean_leftovers(parent: &Path, name: &str, shown: &Path) -> anyhow::Result<()> {
    use aim_store::staging::{self, State};
    for l in staging::leftovers(parent, &format!(".{name}"), Tag::Export) {
        let pid = l.pid.map(|p| format!(" (process {p})")).unwrap_or_default();
        match l.state {
            State::Running => bail!(
                "another export into `{}` is in progress{pid}, staging folder `{}`; nothing written: run this export again once it has finished",
                shown.display(),
                l.path.display()
            ),
            State::Dead => {
                std::fs::remove_dir_all(&l.path)
                    .with_context(|| format!("removing `{}`", l.path.display()))?;
                printer::note(format!(
                    "`{}` was removed: the leftover of an interrupted export whose process is gone",
                    l.path.display()
                ));
            }
            State::Unknown => printer::warn(format!(
                "`{}` looks like the leftover of an interrupted export{pid} (it may hold a previous export it was replacing); delete it if no export is running",
                l.path.display()
            )),
        }
    }
    Ok(())
}

/// Runs the export.
pub fn run(args: &ExportArgs) -> anyhow::Result<Status> {
    let shown = &args.output;
    let out = &resolve_output(shown)?;
    let existing = check_output(out, args.force)?;
    let system = args.system;
    let loaded = super::load_pruned(&args.repo, aim_store::Detail::Full, |m| {
        keep_metrics(m, system)
    })?;
    let aim_dirs: Vec<PathBuf> = loaded
        .sources
        .iter()
        .map(|s| tcbench::output::dest::resolve(s.repo.aim_dir()))
        .collect();
    tcbench::output::dest::refuse_inside_aim(shown, "--output", &aim_dirs)?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .with_context(|| format!("output `{}` has no folder name", out.display()))?;
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        bail!(
            "the folder `{}` that would hold the output does not exist",
            parent.display()
        );
    }
    clean_leftovers(&parent, &name, shown)?;
    let staged = Staged::create(&parent, &name)?;
    let tmp = &staged.path;
    let plan = Plan::new(&loaded.runs);
    write_runs(&tmp.join("runs.parquet"), &loaded.runs)?;
    let stats = write_metrics(
        &tmp.join("metrics.parquet"),
        &loaded,
        &loaded.runs,
        &plan,
        args.final_only,
    )?;
    let owner = tmp.join(Tag::Export.owner());
    std::fs::remove_file(&owner).with_context(|| format!("removing `{}`", owner.display()))?;
    place(tmp, out, existing.as_deref(), &parent, &name)?;
    staged.placed();
    let mut status = loaded.status;
    if stats.failed > 0 {
        status = Status::Partial;
    }
    writeln!(
        printer::stdout(),
        "exported {} and {} ({}) into `{}`",
        plural(loaded.runs.len(), "run"),
        plural(stats.rows, "metric row"),
        plural(stats.traces, "trace"),
        shown.display()
    )?;
    Ok(status)
}

/// The staging folder an export is assembled in (`aim_store::staging`, so that the leftover
/// of a killed export is recognised): removed with what it holds when dropped before
/// [`Staged::placed`], so that an error (or a panic) leaves nothing behind.
struct Staged {
    path: PathBuf,
    placed: bool,
}

impl Staged {
    fn create(parent: &Path, name: &str) -> anyhow::Result<Staged> {
        let path = aim_store::write::staging::create(parent, &format!(".{name}"), Tag::Export)
            .with_context(|| format!("creating a folder in `{}`", parent.display()))?;
        Ok(Staged {
            path,
            placed: false,
        })
    }

    /// The folder was renamed into place: nothing left to remove.
    fn placed(mut self) {
        self.placed = true;
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.placed {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Renames the finished temporary folder to `out`; a previous export (or an empty folder)
/// there is set aside first and removed once the new one is in place.
fn place(
    tmp: &Path,
    out: &Path,
    existing: Option<&Path>,
    parent: &Path,
    name: &str,
) -> anyhow::Result<()> {
    let rename = |from: &Path, to: &Path| {
        std::fs::rename(from, to)
            .with_context(|| format!("renaming `{}` to `{}`", from.display(), to.display()))
    };
    match existing {
        None => rename(tmp, out),
        Some(old) => {
            let aside = parent.join(format!(
                ".{name}{}-old",
                aim_store::staging::own_suffix(Tag::Export)
            ));
            rename(old, &aside)?;
            if let Err(e) = rename(tmp, out) {
                let _ = std::fs::rename(&aside, old);
                return Err(e);
            }
            for f in FILES {
                let _ = std::fs::remove_file(aside.join(f));
            }
            std::fs::remove_dir(&aside)
                .with_context(|| format!("removing the previous export `{}`", aside.display()))
        }
    }
}

// ---------------------------------------------------------------------------------------
// typed columns

/// The Parquet type of a column of param or context values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Every value an int.
    Int,
    /// Ints and floats.
    Float,
    /// Every value a bool.
    Bool,
    /// Every value a string.
    Str,
    /// Anything else (mixed types, lists, empty dicts, objects): JSON text of each value.
    Json,
}

impl Kind {
    /// The kind of a column holding `values` (None, BLOBs and missing values are nulls).
    fn of<'a>(values: impl IntoIterator<Item = Option<&'a Node>>) -> Kind {
        let mut kind: Option<Kind> = None;
        for n in values.into_iter().flatten() {
            let k = match n {
                Node::None | Node::Blob => continue,
                Node::Int(_) => Kind::Int,
                Node::Float(_) => Kind::Float,
                Node::Bool(_) => Kind::Bool,
                Node::Str(_) => Kind::Str,
                _ => Kind::Json,
            };
            kind = Some(match (kind, k) {
                (None, k) => k,
                (Some(a), b) if a == b => a,
                (Some(Kind::Int | Kind::Float), Kind::Int | Kind::Float) => Kind::Float,
                _ => Kind::Json,
            });
        }
        kind.unwrap_or(Kind::Str)
    }

    fn data_type(self) -> DataType {
        match self {
            Kind::Int => DataType::Int64,
            Kind::Float => DataType::Float64,
            Kind::Bool => DataType::Boolean,
            Kind::Str | Kind::Json => DataType::Utf8,
        }
    }

    /// The column of `values` as this kind (a value of another type is a null; none is,
    /// when the kind was computed over these values).
    fn array<'a>(self, values: impl Iterator<Item = Option<&'a Node>>) -> ArrayRef {
        match self {
            Kind::Int => Arc::new(Int64Array::from_iter(values.map(|v| match v {
                Some(Node::Int(i)) => Some(*i),
                _ => None,
            }))),
            Kind::Float => Arc::new(Float64Array::from_iter(values.map(|v| match v {
                Some(Node::Int(i)) => Some(*i as f64),
                Some(Node::Float(f)) => Some(*f),
                _ => None,
            }))),
            Kind::Bool => Arc::new(BooleanArray::from_iter(values.map(|v| match v {
                Some(Node::Bool(b)) => Some(*b),
                _ => None,
            }))),
            Kind::Str => Arc::new(StringArray::from_iter(values.map(|v| match v {
                Some(Node::Str(s)) => Some(s.clone()),
                _ => None,
            }))),
            Kind::Json => Arc::new(StringArray::from_iter(values.map(|v| match v {
                None | Some(Node::None | Node::Blob) => None,
                Some(n) => Some(json_text(&sort_keys(n))),
            }))),
        }
    }
}

/// The node with every dict's keys sorted (Python's `json.dumps(…, sort_keys=True)`).
fn sort_keys(node: &Node) -> Node {
    let sorted = |entries: &[(Seg, Node)]| {
        let mut e: Vec<(Seg, Node)> = entries
            .iter()
            .map(|(k, v)| (k.clone(), sort_keys(v)))
            .collect();
        if e.iter().all(|(k, _)| matches!(k, Seg::Int(_))) {
            e.sort_by_key(|(k, _)| k.as_int());
        } else {
            e.sort_by_key(|(k, _)| k.to_string());
        }
        e
    };
    match node {
        Node::Dict(e) => Node::Dict(sorted(e)),
        Node::Object { type_name, fields } => Node::Object {
            type_name: type_name.clone(),
            fields: sorted(fields),
        },
        Node::List(items) => Node::List(items.iter().map(sort_keys).collect()),
        other => other.clone(),
    }
}

fn join_name(prefix: &str, seg: &Seg) -> String {
    match seg {
        Seg::Str(k) if prefix.is_empty() => k.clone(),
        Seg::Str(k) => format!("{prefix}.{k}"),
        Seg::Int(i) => format!("{prefix}[{i}]"),
    }
}

/// Every leaf of a params tree: dicts are flattened (`hparams.lr`, int keys as
/// `hparams.intkeys[1]`); lists, empty dicts and scalars are leaves.
fn flatten<'a>(node: &'a Node, prefix: &str, out: &mut Vec<(String, &'a Node)>) {
    match node {
        Node::Dict(entries) if !entries.is_empty() => {
            for (k, v) in entries {
                flatten(v, &join_name(prefix, k), out);
            }
        }
        _ if prefix.is_empty() => {} // the attrs root of a run without params
        other => out.push((prefix.to_owned(), other)),
    }
}

/// A run's param columns: a name equal to a property column is prefixed with `attrs.`
/// (Aim keeps params under `attrs`); the first of two equal names wins.
fn param_columns(run: &Run) -> Vec<(String, &Node)> {
    let mut raw = Vec::new();
    flatten(&run.meta.attrs, "", &mut raw);
    let mut seen = BTreeSet::new();
    raw.into_iter()
        .map(|(k, v)| {
            if PROPERTIES.contains(&k.as_str()) {
                (format!("attrs.{k}"), v)
            } else {
                (k, v)
            }
        })
        .filter(|(k, _)| seen.insert(k.clone()))
        .collect()
}

fn writer(path: &Path, schema: SchemaRef) -> anyhow::Result<ArrowWriter<std::fs::File>> {
    let f =
        std::fs::File::create(path).with_context(|| format!("creating `{}`", path.display()))?;
    let props = WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .set_max_row_group_row_count(Some(batch_size()))
        .build();
    Ok(ArrowWriter::try_new(f, schema, Some(props))?)
}

/// `runs.parquet`: one row per run, properties then params (sorted by name).
fn write_runs(path: &Path, runs: &[Run]) -> anyhow::Result<()> {
    let params: Vec<BTreeMap<String, &Node>> = runs
        .iter()
        .map(|r| param_columns(r).into_iter().collect())
        .collect();
    let names: BTreeSet<&String> = params.iter().flat_map(|p| p.keys()).collect();
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    let mut push = |name: &str, ty: DataType, arr: ArrayRef| {
        fields.push(Field::new(name, ty, true));
        arrays.push(arr);
    };
    let strs = |f: &dyn Fn(&Run) -> Option<String>| -> ArrayRef {
        Arc::new(StringArray::from(runs.iter().map(f).collect::<Vec<_>>()))
    };
    push("hash", DataType::Utf8, strs(&|r| Some(r.hash().to_owned())));
    push("name", DataType::Utf8, strs(&|r| r.props.name.clone()));
    push(
        "experiment",
        DataType::Utf8,
        strs(&|r| r.props.experiment.clone()),
    );
    push(
        "description",
        DataType::Utf8,
        strs(&|r| r.props.description.clone()),
    );
    let bools = |f: &dyn Fn(&Run) -> bool| -> ArrayRef {
        Arc::new(BooleanArray::from(
            runs.iter().map(|r| Some(f(r))).collect::<Vec<_>>(),
        ))
    };
    push("archived", DataType::Boolean, bools(&|r| r.props.archived));
    push("active", DataType::Boolean, bools(&|r| r.active()));
    let floats = |f: &dyn Fn(&Run) -> Option<f64>| -> ArrayRef {
        Arc::new(Float64Array::from(runs.iter().map(f).collect::<Vec<_>>()))
    };
    push(
        "creation_time",
        DataType::Float64,
        floats(&|r| r.props.creation_time),
    );
    push("end_time", DataType::Float64, floats(&|r| r.end_time()));
    let mut tags = ListBuilder::new(StringBuilder::new());
    for r in runs {
        for t in &r.props.tags {
            tags.values().append_value(t);
        }
        tags.append(true);
    }
    let tags = tags.finish();
    push("tags", tags.data_type().clone(), Arc::new(tags));
    for n in names {
        let values = || params.iter().map(|p| p.get(n).copied());
        let kind = Kind::of(values());
        push(n, kind.data_type(), kind.array(values()));
    }
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), arrays)?;
    let mut w = writer(path, schema)?;
    w.write(&batch)?;
    w.close()?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// metrics.parquet

/// One trace to export, in output order within its run.
struct TraceOut<'a> {
    trace: &'a Trace,
    /// `json.dumps(context, sort_keys=True)`.
    context: String,
}

/// The traces of every run in output order, and the `context.<key>` columns.
struct Plan<'a> {
    traces: Vec<Vec<TraceOut<'a>>>,
    context_keys: Vec<String>,
}

impl<'a> Plan<'a> {
    fn new(runs: &'a [Run]) -> Plan<'a> {
        let mut keys = BTreeSet::new();
        let traces = runs
            .iter()
            .map(|r| {
                let mut t: Vec<TraceOut> = r
                    .meta
                    .traces
                    .iter()
                    .map(|trace| {
                        for (k, _) in trace.context.entries() {
                            keys.insert(k.to_string());
                        }
                        TraceOut {
                            trace,
                            context: json_text(&sort_keys(&trace.context)),
                        }
                    })
                    .collect();
                t.sort_by(|a, b| {
                    (a.trace.name.as_str(), a.context.as_str())
                        .cmp(&(b.trace.name.as_str(), b.context.as_str()))
                });
                t
            })
            .collect();
        Plan {
            traces,
            context_keys: keys.into_iter().collect(),
        }
    }
}

/// A metric row as the writer needs it.
struct OutRow {
    run: u32,
    trace: u32,
    step: i64,
    value: Option<f64>,
    epoch: Option<i64>,
    time: Option<f64>,
}

fn out_row(run: u32, trace: u32, r: Row) -> OutRow {
    OutRow {
        run,
        trace,
        step: r.step,
        value: match r.value {
            Value::Int(i) => Some(i as f64),
            Value::Float(f) => Some(f),
            _ => None,
        },
        epoch: match r.epoch {
            Value::Int(i) => Some(i),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Some(f as i64),
            _ => None,
        },
        time: r.time.as_f64(),
    }
}

enum Msg {
    Rows(Vec<OutRow>),
    Failed { rows_sent: usize, reason: String },
}

/// What was written.
struct Stats {
    rows: usize,
    traces: usize,
    failed: usize,
}

/// Reads one run's traces, sending its rows in batches; a read error ends the run with
/// [`Msg::Failed`]. Returns false when the writer has gone (stop working).
fn send_run(
    repo: &aim_store::Repo,
    run: &Run,
    run_idx: u32,
    traces: &[TraceOut],
    final_only: bool,
    tx: &SyncSender<Msg>,
) -> bool {
    let hash = run.hash();
    let batch = batch_size();
    let seqs_dir = repo.seqs_chunk(hash);
    let mut sent = 0usize;
    let mut buf: Vec<OutRow> = Vec::new();
    let result = (|| -> Result<bool, aim_store::RunError> {
        let seqs = Seqs::open_for(&seqs_dir, hash, run.meta.traces.len())?;
        for (ti, t) in traces.iter().enumerate() {
            let ti = ti as u32;
            if final_only {
                if let Some(r) = seqs.final_row(t.trace)? {
                    buf.push(out_row(run_idx, ti, r));
                }
            } else {
                let mut gone = false;
                seqs.for_each_batch::<aim_store::RunError>(t.trace, batch, |rows| {
                    buf.extend(rows.into_iter().map(|r| out_row(run_idx, ti, r)));
                    if buf.len() >= batch && !gone {
                        sent += buf.len();
                        gone = tx.send(Msg::Rows(std::mem::take(&mut buf))).is_err();
                    }
                    Ok(())
                })?;
                if gone {
                    return Ok(false);
                }
            }
            if buf.len() >= batch {
                sent += buf.len();
                if tx.send(Msg::Rows(std::mem::take(&mut buf))).is_err() {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    })();
    match result {
        Ok(false) => false,
        Ok(true) => buf.is_empty() || tx.send(Msg::Rows(buf)).is_ok(),
        Err(e) => {
            // rows read before the error are kept (they are right); the warning says so
            let rows_sent = sent + buf.len();
            let ok = buf.is_empty() || tx.send(Msg::Rows(buf)).is_ok();
            ok && tx
                .send(Msg::Failed {
                    rows_sent,
                    reason: format!("seqs chunk `{}`: {e}", seqs_dir.display()),
                })
                .is_ok()
        }
    }
}

fn metrics_schema(context_keys: &[String], kinds: &[Kind]) -> SchemaRef {
    let mut fields = vec![
        Field::new("run_hash", DataType::Utf8, false),
        Field::new("metric", DataType::Utf8, false),
        Field::new("context", DataType::Utf8, false),
    ];
    for (k, kind) in context_keys.iter().zip(kinds) {
        fields.push(Field::new(format!("context.{k}"), kind.data_type(), true));
    }
    fields.extend([
        Field::new("step", DataType::Int64, false),
        Field::new("value", DataType::Float64, true),
        Field::new("epoch", DataType::Int64, true),
        Field::new("time", DataType::Float64, true),
    ]);
    Arc::new(Schema::new(fields))
}

/// The value of a context's top-level `key`.
fn context_value<'a>(t: &TraceOut<'a>, key: &str) -> Option<&'a Node> {
    t.trace
        .context
        .entries()
        .iter()
        .find(|(seg, _)| seg.to_string() == key)
        .map(|(_, v)| v)
}

fn rows_batch(
    schema: &SchemaRef,
    runs: &[Run],
    plan: &Plan,
    kinds: &[Kind],
    rows: &[OutRow],
) -> anyhow::Result<RecordBatch> {
    let trace = |r: &OutRow| {
        plan.traces
            .get(r.run as usize)
            .and_then(|t| t.get(r.trace as usize))
    };
    let mut cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(
            rows.iter()
                .map(|r| runs.get(r.run as usize).map_or("", |run| run.hash())),
        )),
        Arc::new(StringArray::from_iter_values(
            rows.iter()
                .map(|r| trace(r).map_or("", |t| t.trace.name.as_str())),
        )),
        Arc::new(StringArray::from_iter_values(
            rows.iter()
                .map(|r| trace(r).map_or("", |t| t.context.as_str())),
        )),
    ];
    for (key, kind) in plan.context_keys.iter().zip(kinds) {
        cols.push(
            kind.array(
                rows.iter()
                    .map(|r| trace(r).and_then(|t| context_value(t, key))),
            ),
        );
    }
    cols.push(Arc::new(Int64Array::from_iter_values(
        rows.iter().map(|r| r.step),
    )));
    cols.push(Arc::new(Float64Array::from_iter(
        rows.iter().map(|r| r.value),
    )));
    cols.push(Arc::new(Int64Array::from_iter(
        rows.iter().map(|r| r.epoch),
    )));
    cols.push(Arc::new(Float64Array::from_iter(
        rows.iter().map(|r| r.time),
    )));
    Ok(RecordBatch::try_new(schema.clone(), cols)?)
}

/// `metrics.parquet`: every run's traces read on every core, written in (hash, metric,
/// context, step) order.
fn write_metrics(
    path: &Path,
    loaded: &super::Loaded,
    runs: &[Run],
    plan: &Plan,
    final_only: bool,
) -> anyhow::Result<Stats> {
    let batch = batch_size();
    let kinds: Vec<Kind> = plan
        .context_keys
        .iter()
        .map(|k| Kind::of(plan.traces.iter().flatten().map(|t| context_value(t, k))))
        .collect();
    let schema = metrics_schema(&plan.context_keys, &kinds);
    let mut w = writer(path, schema.clone())?;
    let mut stats = Stats {
        rows: 0,
        traces: plan.traces.iter().map(Vec::len).sum(),
        failed: 0,
    };
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, runs.len().max(1));
    // one bounded channel per run: workers take runs in order, the writer drains them in
    // order, so at most `threads` runs are in flight and each holds at most two batches
    let mut senders = Vec::with_capacity(runs.len());
    let mut receivers: Vec<Receiver<Msg>> = Vec::with_capacity(runs.len());
    for _ in runs {
        let (tx, rx) = sync_channel::<Msg>(1);
        senders.push(Mutex::new(Some(tx)));
        receivers.push(rx);
    }
    let next = AtomicUsize::new(0);
    let result = std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let (Some(run), Some(slot), Some(traces)) =
                    (runs.get(i), senders.get(i), plan.traces.get(i))
                else {
                    break;
                };
                let tx = slot.lock().ok().and_then(|mut g| g.take());
                let Some(tx) = tx else { break };
                if !send_run(loaded.repo_of(run), run, i as u32, traces, final_only, &tx) {
                    break;
                }
            });
        }
        // the writer; on error, dropping the receivers stops the workers
        let receivers = receivers;
        let mut buf: Vec<OutRow> = Vec::new();
        let mut progress = Progress::new(runs.len());
        for (i, rx) in receivers.iter().enumerate() {
            progress.show(i, stats.rows + buf.len());
            for msg in rx.iter() {
                match msg {
                    Msg::Rows(rows) => {
                        buf.extend(rows);
                        if buf.len() >= batch {
                            stats.rows += buf.len();
                            w.write(&rows_batch(&schema, runs, plan, &kinds, &buf)?)?;
                            buf.clear();
                        }
                    }
                    Msg::Failed { rows_sent, reason } => {
                        stats.failed += 1;
                        let hash = runs.get(i).map_or("", Run::hash);
                        printer::warn(format!(
                            "run {hash}: unreadable {reason}; {}",
                            if rows_sent == 0 {
                                "its metrics are left out".to_owned()
                            } else {
                                format!(
                                    "only its first {} are exported",
                                    plural(rows_sent, "metric row")
                                )
                            }
                        ));
                    }
                }
            }
        }
        progress.clear();
        if !buf.is_empty() {
            stats.rows += buf.len();
            w.write(&rows_batch(&schema, runs, plan, &kinds, &buf)?)?;
        }
        Ok::<_, anyhow::Error>(())
    });
    result?;
    w.close()?;
    Ok(stats)
}

/// A progress line on stderr (`exporting 120/2100 runs, 9840 metric rows`), only when it is
/// a terminal, redrawn at most ten times a second and erased at the end.
struct Progress {
    total: usize,
    tty: bool,
    last: Option<std::time::Instant>,
    shown: bool,
}

impl Progress {
    fn new(total: usize) -> Progress {
        use std::io::IsTerminal;
        Progress {
            total,
            tty: std::io::stderr().is_terminal(),
            last: None,
            shown: false,
        }
    }

    fn show(&mut self, done: usize, rows: usize) {
        if !self.tty
            || self
                .last
                .is_some_and(|t| t.elapsed() < std::time::Duration::from_millis(100))
        {
            return;
        }
        self.last = Some(std::time::Instant::now());
        self.shown = true;
        printer::progress(&format!(
            "exporting {done}/{} runs, {}",
            self.total,
            plural(rows, "metric row")
        ));
    }

    fn clear(&mut self) {
        if self.shown {
            printer::progress("");
            self.shown = false;
        }
    }
}

impl Drop for Progress {
    /// An error ends the export early: its message must not follow the progress text.
    fn drop(&mut self) {
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn dict(entries: Vec<(Seg, Node)>) -> Node {
        Node::Dict(entries)
    }

    #[test]
    fn column_kinds() {
        let (i, f, b, s) = (
            Node::Int(1),
            Node::Float(0.5),
            Node::Bool(true),
            Node::Str("a".into()),
        );
        assert_eq!(Kind::of([Some(&i), None, Some(&Node::None)]), Kind::Int);
        assert_eq!(Kind::of([Some(&i), Some(&f)]), Kind::Float);
        assert_eq!(Kind::of([Some(&b), None]), Kind::Bool);
        assert_eq!(Kind::of([Some(&s)]), Kind::Str);
        // a bool is not a number (Python's json would say true, not 1)
        assert_eq!(Kind::of([Some(&i), Some(&b)]), Kind::Json);
        assert_eq!(Kind::of([Some(&s), Some(&i)]), Kind::Json);
        assert_eq!(Kind::of([Some(&Node::List(vec![]))]), Kind::Json);
        assert_eq!(Kind::of([None, None]), Kind::Str);
    }

    #[test]
    fn json_text_is_pythons_json_dumps_sort_keys_without_ascii_escapes() {
        // json.dumps({"b": [1, None, float("nan")], "a": "тест\n", 2: {}}, ...) fails in
        // Python on mixed keys; all-str and all-int keys are what Aim holds
        let n = dict(vec![
            (
                Seg::from("b"),
                Node::List(vec![Node::Int(1), Node::None, Node::Float(f64::NAN)]),
            ),
            (Seg::from("a"), Node::Str("тест\n\"".into())),
            (Seg::from("c"), dict(vec![])),
        ]);
        assert_eq!(
            json_text(&sort_keys(&n)),
            r#"{"a": "тест\n\"", "b": [1, null, NaN], "c": {}}"#
        );
        // int keys sort as ints, as Python sorts them
        let n = dict(vec![
            (Seg::Int(10), Node::Int(1)),
            (Seg::Int(2), Node::Int(2)),
            (Seg::Int(-3), Node::Int(3)),
        ]);
        assert_eq!(json_text(&sort_keys(&n)), r#"{"-3": 3, "2": 2, "10": 1}"#);
    }

    #[test]
    fn params_flatten_to_leaves() {
        let attrs = dict(vec![
            (
                Seg::from("hparams"),
                dict(vec![
                    (Seg::from("lr"), Node::Float(0.1)),
                    (
                        Seg::from("d"),
                        dict(vec![(Seg::Int(1), Node::Str("one".into()))]),
                    ),
                    (Seg::from("empty"), dict(vec![])),
                    (Seg::from("l"), Node::List(vec![Node::Int(1)])),
                ]),
            ),
            (Seg::from("name"), Node::Str("collides".into())),
        ]);
        let mut out = Vec::new();
        flatten(&attrs, "", &mut out);
        let names: Vec<&str> = out.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "hparams.lr",
                "hparams.d[1]",
                "hparams.empty",
                "hparams.l",
                "name"
            ]
        );
        let empty = dict(vec![]);
        let mut none = Vec::new();
        flatten(&empty, "", &mut none);
        assert!(none.is_empty());
    }

    #[test]
    fn output_checks() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        assert_eq!(check_output(&out, false).unwrap(), None);
        std::fs::create_dir(&out).unwrap();
        assert_eq!(check_output(&out, false).unwrap(), Some(out.clone()));
        std::fs::write(out.join("runs.parquet"), "").unwrap();
        let e = check_output(&out, false).unwrap_err().to_string();
        assert!(
            e.contains("exists and is not empty") && e.contains("--force"),
            "{e}"
        );
        assert_eq!(check_output(&out, true).unwrap(), Some(out.clone()));
        std::fs::write(out.join("mine.txt"), "").unwrap();
        let e = check_output(&out, true).unwrap_err().to_string();
        assert!(e.contains("`mine.txt`"), "{e}");
        let file = tmp.path().join("file");
        std::fs::write(&file, "").unwrap();
        let e = check_output(&file, true).unwrap_err().to_string();
        assert!(e.contains("is not a folder"), "{e}");
    }
}
