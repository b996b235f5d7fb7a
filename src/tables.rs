//! A repository as Aim's own tables, in Arrow: one row per run with the columns of Aim's
//! `Run.dataframe()`, and one row per metric point (or per trace) with the columns of Aim's
//! `query_metrics().dataframe()`. The Python module returns these tables and `export` writes
//! them, so a notebook, a DuckDB query over an export and a Spark job read one schema.
//!
//! Column names and values are Aim's (`hash`, `hparams.flowpic_dim`, `run.hash`,
//! `metric.context.subset`, …). Where Aim's pandas frame holds Python objects of several
//! types in one column, Arrow needs one type: a column whose values are all ints is `int64`,
//! ints and floats `float64`, bools `bool`, strs `string`; any other mix is a `string`
//! column holding `json.dumps` of each value (`32` and `"32"` stay apart). Aim's naive local
//! `time` is an instant here (`timestamp[us, UTC]`).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use aim_store::{Best, Node, Repo, Run, RunError, Seg, Seqs, Trace, TraceKey, Value};
use arrow_array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};

pub use crate::frame::RUN_PROPERTIES;
use crate::frame::{self, json_dumps_unicode};
use crate::pyfmt::{json_float, json_str, PyVal};

// ---------------------------------------------------------------------------------------
// typed columns of Python values

/// The Arrow type of a column of Python values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Every value an int.
    Int,
    /// Ints and floats.
    Float,
    /// Every value a bool.
    Bool,
    /// Every value a str.
    Str,
    /// Anything else: `json.dumps` of each value, as text.
    Json,
}

impl Kind {
    /// The kind of a column holding `values` (None and missing values are nulls).
    pub fn of<'a>(values: impl IntoIterator<Item = Option<&'a PyVal>>) -> Kind {
        let mut kind: Option<Kind> = None;
        for v in values.into_iter().flatten() {
            let k = match v {
                PyVal::None => continue,
                PyVal::Int(_) => Kind::Int,
                PyVal::Float(_) => Kind::Float,
                PyVal::Bool(_) => Kind::Bool,
                PyVal::Str(_) => Kind::Str,
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

    /// The Arrow type of the column.
    pub fn data_type(self) -> DataType {
        match self {
            Kind::Int => DataType::Int64,
            Kind::Float => DataType::Float64,
            Kind::Bool => DataType::Boolean,
            Kind::Str | Kind::Json => DataType::Utf8,
        }
    }

    /// The column of `values` as this kind (a value of another type is a null; none is,
    /// when the kind was computed over these values).
    pub fn array<'a>(self, values: impl Iterator<Item = Option<&'a PyVal>>) -> ArrayRef {
        match self {
            Kind::Int => Arc::new(Int64Array::from_iter(values.map(|v| match v {
                Some(PyVal::Int(i)) => Some(*i),
                _ => None,
            }))),
            Kind::Float => Arc::new(Float64Array::from_iter(values.map(|v| match v {
                Some(PyVal::Int(i)) => Some(*i as f64),
                Some(PyVal::Float(f)) => Some(*f),
                _ => None,
            }))),
            Kind::Bool => Arc::new(BooleanArray::from_iter(values.map(|v| match v {
                Some(PyVal::Bool(b)) => Some(*b),
                _ => None,
            }))),
            Kind::Str => Arc::new(StringArray::from_iter(values.map(|v| match v {
                Some(PyVal::Str(s)) => Some(s.as_str()),
                _ => None,
            }))),
            Kind::Json => Arc::new(StringArray::from_iter(values.map(|v| match v {
                None | Some(PyVal::None) => None,
                Some(v) => Some(json_dumps(v)),
            }))),
        }
    }
}

/// `json.dumps(value)` with Python's defaults.
pub fn json_dumps(v: &PyVal) -> String {
    match v {
        PyVal::None => "null".into(),
        PyVal::Bool(b) => if *b { "true" } else { "false" }.into(),
        PyVal::Int(i) => i.to_string(),
        PyVal::Float(f) => json_float(*f),
        PyVal::Str(s) => json_str(s),
    }
}

/// The names of a set of rows' columns in order of first appearance, and each row's cells by
/// name.
fn union_columns(rows: Vec<Vec<(String, PyVal)>>) -> (Vec<String>, Vec<HashMap<String, PyVal>>) {
    let mut names = Vec::new();
    let mut seen = BTreeSet::new();
    let cells = rows
        .into_iter()
        .map(|row| {
            for (k, _) in &row {
                if seen.insert(k.clone()) {
                    names.push(k.clone());
                }
            }
            row.into_iter().collect()
        })
        .collect();
    (names, cells)
}

// ---------------------------------------------------------------------------------------
// runs

/// Distinct things numbered in order of first appearance (column names, trace names,
/// context texts, param values, lists of planned traces), each held once in the list and
/// once as a key (a campaign has few of each).
struct Numbered<K> {
    ids: HashMap<K, u32>,
    /// The things by number.
    list: Vec<K>,
}

impl<K> Default for Numbered<K> {
    fn default() -> Self {
        Numbered {
            ids: HashMap::new(),
            list: Vec::new(),
        }
    }
}

impl<K: std::hash::Hash + Eq + Clone> Numbered<K> {
    /// The number of `k`, given it now if it has none.
    fn id<Q>(&mut self, k: &Q) -> u32
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        match self.ids.get(k) {
            Some(&id) => id,
            None => self.add(k.to_owned()),
        }
    }

    /// [`Numbered::id`] of an owned `k`.
    fn id_of(&mut self, k: K) -> u32 {
        match self.ids.get(&k) {
            Some(&id) => id,
            None => self.add(k),
        }
    }

    fn add(&mut self, k: K) -> u32 {
        let id = self.list.len() as u32;
        self.list.push(k.clone());
        self.ids.insert(k, id);
        id
    }
}

impl Numbered<String> {
    fn get(&self, id: u32) -> &str {
        self.list.get(id as usize).map_or("", String::as_str)
    }
}

/// The param columns of a runs table, numbered in the order the threads reading the runs
/// meet them (the table orders them by first appearance over its rows), and their values,
/// each distinct value held once: a campaign's runs repeat the same values (its packages
/// text, its datasets, its few learning rates), so a run's row is a few bytes a cell.
#[derive(Default)]
pub struct ParamColumns {
    inner: Mutex<Interned>,
}

#[derive(Default)]
struct Interned {
    /// The column names.
    columns: Numbered<String>,
    /// The values.
    values: Numbered<ValKey>,
}

/// A value as the key that interns it: floats by their bits, so that a NaN is one value
/// and `-0.0` stays apart from `0.0` (the table shows each as it was stored).
#[derive(Clone, PartialEq, Eq, Hash)]
enum ValKey {
    None,
    Bool(bool),
    Int(i64),
    Float(u64),
    Str(String),
}

impl From<PyVal> for ValKey {
    fn from(v: PyVal) -> ValKey {
        match v {
            PyVal::None => ValKey::None,
            PyVal::Bool(b) => ValKey::Bool(b),
            PyVal::Int(i) => ValKey::Int(i),
            PyVal::Float(f) => ValKey::Float(f.to_bits()),
            PyVal::Str(s) => ValKey::Str(s),
        }
    }
}

impl From<ValKey> for PyVal {
    fn from(v: ValKey) -> PyVal {
        match v {
            ValKey::None => PyVal::None,
            ValKey::Bool(b) => PyVal::Bool(b),
            ValKey::Int(i) => PyVal::Int(i),
            ValKey::Float(f) => PyVal::Float(f64::from_bits(f)),
            ValKey::Str(s) => PyVal::Str(s),
        }
    }
}

/// One run's params as cells of the runs table: (column number, value number), both
/// numbered by its [`ParamColumns`], in the run's order.
pub type ParamCells = Box<[(u32, u32)]>;

impl ParamColumns {
    /// A run's params (its `attrs` tree) as the cells of its row: flattened to depth 3 as
    /// Aim's `Run.dataframe()` flattens them (lists and deeper dicts as JSON text; a param
    /// whose name is a property's is left out; so is the column named `` that Aim's frame
    /// has for a run without params, holding its `ObjectFlag` marker).
    pub fn cells(&self, attrs: &Node) -> ParamCells {
        let columns = frame::param_columns_of(attrs);
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let Interned {
            columns: names,
            values,
        } = &mut *g;
        columns
            .into_iter()
            .filter(|(k, _)| !k.is_empty())
            .map(|(k, v)| {
                let column = names.id(&k);
                (column, values.id_of(ValKey::from(v)))
            })
            .collect()
    }

    /// The column names and the values, each by its number.
    fn into_parts(self) -> (Vec<String>, Vec<PyVal>) {
        let g = self.inner.into_inner().unwrap_or_else(|p| p.into_inner());
        let values = g.values.list.into_iter().map(PyVal::from).collect();
        (g.columns.list, values)
    }
}

/// One row per run, as Aim's `Run.dataframe()`: the properties ([`RUN_PROPERTIES`]; `tags`
/// as `json.dumps(tags)`), then every param flattened to depth 3 ([`ParamColumns::cells`]),
/// in order of first appearance.
pub fn runs_batch(runs: &[Run]) -> anyhow::Result<RecordBatch> {
    let columns = ParamColumns::default();
    let cells: Vec<ParamCells> = runs.iter().map(|r| columns.cells(&r.meta.attrs)).collect();
    runs_batch_cells(runs, columns, &cells)
}

/// [`runs_batch`] of runs whose params were already made cells (`cells[i]` those of
/// `runs[i]`, numbered by `columns`): the runs' own trees are not read, and may be gone.
pub fn runs_batch_cells(
    runs: &[Run],
    columns: ParamColumns,
    cells: &[ParamCells],
) -> anyhow::Result<RecordBatch> {
    let (names, values) = columns.into_parts();
    // the columns in order of first appearance over the rows
    let mut seen = vec![false; names.len()];
    let mut order: Vec<u32> = Vec::new();
    for (id, _) in cells.iter().flatten() {
        if let Some(s) = seen.get_mut(*id as usize) {
            if !*s {
                *s = true;
                order.push(*id);
            }
        }
    }
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    let mut push = |name: &str, ty: DataType, arr: ArrayRef| {
        fields.push(Field::new(name, ty, true));
        arrays.push(arr);
    };
    let strs = |f: &dyn Fn(&Run) -> Option<String>| -> ArrayRef {
        Arc::new(StringArray::from(runs.iter().map(f).collect::<Vec<_>>()))
    };
    let bools = |f: &dyn Fn(&Run) -> bool| -> ArrayRef {
        Arc::new(BooleanArray::from(
            runs.iter().map(|r| Some(f(r))).collect::<Vec<_>>(),
        ))
    };
    let floats = |f: &dyn Fn(&Run) -> Option<f64>| -> ArrayRef {
        Arc::new(Float64Array::from(runs.iter().map(f).collect::<Vec<_>>()))
    };
    for name in RUN_PROPERTIES {
        match name {
            "hash" => push(name, DataType::Utf8, strs(&|r| Some(r.hash().to_owned()))),
            "name" => push(name, DataType::Utf8, strs(&|r| r.props.name.clone())),
            "description" => push(name, DataType::Utf8, strs(&|r| r.props.description.clone())),
            "archived" => push(name, DataType::Boolean, bools(&|r| r.props.archived)),
            "creation_time" => push(name, DataType::Float64, floats(&|r| r.props.creation_time)),
            "end_time" => push(name, DataType::Float64, floats(&Run::end_time)),
            "active" => push(name, DataType::Boolean, bools(&Run::active)),
            "experiment" => push(name, DataType::Utf8, strs(&|r| r.props.experiment.clone())),
            _ => push(
                name,
                DataType::Utf8,
                strs(&|r| Some(tags_json(&r.props.tags))),
            ),
        }
    }
    for id in order {
        let column = || {
            cells
                .iter()
                .map(move |c| c.iter().find(|(i, _)| *i == id))
                .map(|cell| cell.and_then(|(_, v)| values.get(*v as usize)))
        };
        let kind = Kind::of(column());
        let name = names.get(id as usize).map_or("", String::as_str);
        push(name, kind.data_type(), kind.array(column()));
    }
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?)
}

/// `json.dumps(tags)`.
fn tags_json(tags: &[String]) -> String {
    let parts: Vec<String> = tags.iter().map(|t| json_str(t)).collect();
    format!("[{}]", parts.join(", "))
}

// ---------------------------------------------------------------------------------------
// metrics

/// Which points of each trace [`Metrics`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick {
    /// Every tracked point.
    All,
    /// The point at the highest step (the true final value, not Aim's `values.last()`).
    Last,
    /// The greatest value (the lowest step among equals; NaN loses to any number, so a
    /// trace of NaN only gives its first point).
    Max,
    /// The smallest value (as [`Pick::Max`]).
    Min,
}

/// Which traces [`Metrics`] reads: metric traces (Aim's `__system__*` included), of these
/// names if given, whose context `subset` is one of these if given.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Metric names to keep (`None`: all).
    pub names: Option<Vec<String>>,
    /// Context `subset` values to keep (`None`: all contexts).
    pub contexts: Option<Vec<String>>,
    /// Leave out Aim's own resource metrics (`__system__*`).
    pub no_system: bool,
}

impl Selection {
    /// True for a trace this selection reads.
    pub fn keeps(&self, t: &Trace) -> bool {
        t.is_metric()
            && !(self.no_system && t.is_system())
            && self.names.as_ref().map_or(true, |n| n.contains(&t.name))
            && self.contexts.as_ref().map_or(true, |c| {
                t.subset().is_some_and(|s| c.iter().any(|x| x == s))
            })
    }
}

/// A trace planned for a metrics table: what reads it (name, context id, storage version)
/// and what its rows show (name and context, numbered by the [`TracePlanner`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PlannedTrace {
    /// Number of its name in the planner.
    name: u32,
    /// Number of its context in the planner.
    context: u32,
    /// Its context id (`hash_auto(context)`), part of its keys.
    ctx_id: i64,
    /// Its storage version.
    version: i64,
}

/// Numbers trace names and distinct contexts for [`PlannedTrace`]s, as the threads reading
/// runs meet them (a campaign has a few dozen names and a handful of contexts, held once),
/// and the distinct lists of a run's planned traces: the runs of a campaign track the same
/// metrics, so a plan over many runs holds one list and a [`RunPlan`] a run.
#[derive(Default)]
pub struct TracePlanner {
    inner: Mutex<Numbering>,
}

#[derive(Default)]
struct Numbering {
    names: Numbered<String>,
    /// Contexts by their `json.dumps(sort_keys=True)` text (which also orders a run's traces).
    texts: Numbered<String>,
    /// Each context's `metric.context.*` cells.
    cells: Vec<Vec<(String, PyVal)>>,
    /// The distinct lists of a run's planned traces.
    plans: Numbered<Vec<PlannedTrace>>,
}

/// A run's planned traces, as the number of their list in a [`TracePlanner`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunPlan(u32);

impl Numbering {
    fn context(&mut self, text: &str, context: &Node) -> u32 {
        let id = self.texts.id(text);
        if id as usize == self.cells.len() {
            self.cells.push(context_cells(context));
        }
        id
    }
}

impl TracePlanner {
    /// The traces of one run that `select` keeps, in table order: by name, then by context
    /// (its JSON text), else in key order.
    pub fn plan(&self, traces: &[Trace], select: &Selection) -> RunPlan {
        // a run's traces share their context objects: each one's text is made once
        let mut texts: Vec<(*const Node, String)> = Vec::new();
        for t in traces {
            let ptr = Arc::as_ptr(&t.context);
            if select.keeps(t) && !texts.iter().any(|(p, _)| *p == ptr) {
                texts.push((ptr, json_dumps_unicode(&sort_keys(&t.context))));
            }
        }
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut by_ptr: Vec<(*const Node, u32)> = Vec::with_capacity(texts.len());
        let mut out: Vec<PlannedTrace> = Vec::new();
        for t in traces.iter().filter(|t| select.keeps(t)) {
            let ptr = Arc::as_ptr(&t.context);
            let context = match by_ptr.iter().find(|(p, _)| *p == ptr) {
                Some((_, id)) => *id,
                None => {
                    let text = texts
                        .iter()
                        .find(|(p, _)| *p == ptr)
                        .map_or("", |(_, t)| t.as_str());
                    let id = g.context(text, &t.context);
                    by_ptr.push((ptr, id));
                    id
                }
            };
            out.push(PlannedTrace {
                name: g.names.id(&t.name),
                context,
                ctx_id: t.ctx_id,
                version: t.version,
            });
        }
        let key = |p: &PlannedTrace| (g.names.get(p.name), g.texts.get(p.context));
        out.sort_by(|a, b| key(a).cmp(&key(b)));
        RunPlan(g.plans.id_of(out))
    }
}

/// A metric point ready for a batch: which run and which planned trace it belongs to.
#[derive(Clone, Debug)]
pub struct Point {
    /// Index of the run in the slice given to [`Metrics::new`].
    pub run: u32,
    /// Index of the trace among the run's planned traces.
    pub trace: u32,
    /// The step.
    pub step: i64,
    /// The value (`None` for a value that is not a number).
    pub value: Option<f64>,
    /// The epoch, when tracked as an int.
    pub epoch: Option<i64>,
    /// The UNIX time of the `track()` call.
    pub time: Option<f64>,
}

impl Point {
    fn new(run: u32, trace: u32, r: aim_store::Row) -> Point {
        Point {
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
}

/// The plan of a metrics table over a set of runs: which traces, in which order, and the
/// columns (`run.hash`, `metric.name`, `metric.context.*`, `step`, `value`, `epoch`,
/// `time`). Holds no run data: [`Metrics::read_run`] reads the points, [`Metrics::batch`]
/// makes them a record batch.
pub struct Metrics {
    /// Each run's planned traces: the number of their list in `lists`.
    traces: Vec<u32>,
    /// The distinct lists of planned traces, by number.
    lists: Vec<Vec<PlannedTrace>>,
    /// Trace names by number.
    names: Vec<String>,
    /// The `metric.context.*` cells of each distinct context, by column (a campaign has a
    /// handful of contexts shared by all its traces: they are held once).
    contexts: Vec<Vec<PyVal>>,
    schema: SchemaRef,
    kinds: Vec<Kind>,
    pick: Pick,
}

/// A context's `metric.context.*` cells: Aim's `unfold_tree(context, depth=3)` (lists and
/// deeper dicts as JSON text); an empty context has none.
fn context_cells(context: &Node) -> Vec<(String, PyVal)> {
    if matches!(context, Node::Dict(e) if e.is_empty()) {
        return Vec::new();
    }
    frame::unfold_columns(context, 3)
        .into_iter()
        .map(|(k, v)| (format!("metric.context.{k}"), v))
        .collect()
}

impl Metrics {
    /// Plans the table of `runs`' traces chosen by `select`, one row per point or per
    /// trace as `pick` says; traces in (name, context) order within a run.
    pub fn new(runs: &[Run], select: &Selection, pick: Pick) -> Metrics {
        let planner = TracePlanner::default();
        let plans = runs
            .iter()
            .map(|r| planner.plan(&r.meta.traces, select))
            .collect();
        Metrics::from_plans(planner, plans, pick)
    }

    /// [`Metrics::new`] of runs whose traces were already planned (`plans[i]` those of the
    /// i-th run, by [`TracePlanner::plan`]): the runs' own trace lists are not read, and
    /// may be gone.
    pub fn from_plans(planner: TracePlanner, plans: Vec<RunPlan>, pick: Pick) -> Metrics {
        let Numbering {
            names,
            cells,
            plans: lists,
            ..
        } = planner
            .inner
            .into_inner()
            .unwrap_or_else(|p| p.into_inner());
        let lists = lists.list;
        let traces: Vec<u32> = plans.into_iter().map(|RunPlan(id)| id).collect();
        // the columns in order of first appearance over the traces, as Aim's frames have them
        // (a list's first run comes before its other runs: its first appearance is in order)
        let mut seen = vec![false; cells.len()];
        let mut order: Vec<u32> = Vec::new();
        let mut listed = vec![false; lists.len()];
        let first_runs = traces.iter().filter(|&&id| {
            listed
                .get_mut(id as usize)
                .is_some_and(|l| !std::mem::replace(l, true))
        });
        let in_order = first_runs.filter_map(|&id| lists.get(id as usize));
        for p in in_order.flatten() {
            if let Some(s) = seen.get_mut(p.context as usize) {
                if !*s {
                    *s = true;
                    order.push(p.context);
                }
            }
        }
        let (columns, by_name) = union_columns(
            order
                .iter()
                .filter_map(|&c| cells.get(c as usize).cloned())
                .collect(),
        );
        let kinds: Vec<Kind> = columns
            .iter()
            .map(|n| Kind::of(by_name.iter().map(|c| c.get(n))))
            .collect();
        let contexts: Vec<Vec<PyVal>> = cells
            .into_iter()
            .map(|c| {
                let c: HashMap<String, PyVal> = c.into_iter().collect();
                columns
                    .iter()
                    .map(|n| c.get(n).cloned().unwrap_or(PyVal::None))
                    .collect()
            })
            .collect();
        let mut fields = vec![
            Field::new("run.hash", DataType::Utf8, false),
            Field::new("metric.name", DataType::Utf8, false),
        ];
        for (n, k) in columns.iter().zip(&kinds) {
            fields.push(Field::new(n, k.data_type(), true));
        }
        fields.extend([
            Field::new("step", DataType::Int64, false),
            Field::new("value", DataType::Float64, true),
            Field::new("epoch", DataType::Int64, true),
            Field::new(
                "time",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                true,
            ),
        ]);
        Metrics {
            traces,
            lists,
            names: names.list,
            contexts,
            schema: Arc::new(Schema::new(fields)),
            kinds,
            pick,
        }
    }

    /// The table's schema.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// The number of traces planned.
    pub fn trace_count(&self) -> usize {
        (0..self.traces.len()).map(|r| self.traces_of(r)).sum()
    }

    /// The number of traces planned for run `run`.
    pub fn traces_of(&self, run: usize) -> usize {
        self.planned(run).len()
    }

    /// The planned traces of run `run`, in table order.
    fn planned(&self, run: usize) -> &[PlannedTrace] {
        self.traces
            .get(run)
            .and_then(|&l| self.lists.get(l as usize))
            .map_or(&[], Vec::as_slice)
    }

    fn key(&self, p: &PlannedTrace) -> TraceKey<'_> {
        TraceKey {
            name: self.names.get(p.name as usize).map_or("", String::as_str),
            ctx_id: p.ctx_id,
            version: p.version,
        }
    }

    /// Reads the points of run `idx` (`run`, in `repo`) in output order, handing them to
    /// `sink` in batches of about `batch` points (`sink` returns false to stop early). An
    /// unreadable seqs chunk is the error; points handed out before it stay right.
    pub fn read_run(
        &self,
        repo: &Repo,
        run: &Run,
        idx: u32,
        batch: usize,
        sink: &mut dyn FnMut(Vec<Point>) -> bool,
    ) -> Result<bool, RunError> {
        let planned = self.planned(idx as usize);
        if planned.is_empty() {
            return Ok(true);
        }
        let mut buf: Vec<Point> = Vec::new();
        let read = self.read_planned(repo, run, idx, planned, batch, &mut buf, sink);
        match read {
            Ok(true) => Ok(buf.is_empty() || sink(buf)),
            Ok(false) => Ok(false),
            Err(e) => {
                // the points read before the error are right: they go out before it
                if !buf.is_empty() {
                    sink(buf);
                }
                Err(e)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn read_planned(
        &self,
        repo: &Repo,
        run: &Run,
        idx: u32,
        planned: &[PlannedTrace],
        batch: usize,
        buf: &mut Vec<Point>,
        sink: &mut dyn FnMut(Vec<Point>) -> bool,
    ) -> Result<bool, RunError> {
        let hash = run.hash();
        // traces are listed (some planned): a missing seqs chunk is damage
        let seqs = Seqs::open_for(&repo.seqs_chunk(hash), hash, planned.len())?;
        let best = match self.pick {
            Pick::All => {
                return self.read_all(&seqs, idx, planned, batch, buf, sink);
            }
            Pick::Last => Best::Last,
            Pick::Max => Best::Max,
            Pick::Min => Best::Min,
        };
        // one pass over the run's chunk for all its traces
        let keys: Vec<TraceKey<'_>> = planned.iter().map(|p| self.key(p)).collect();
        let rows = seqs.pick_rows(&keys, best)?;
        buf.extend(
            rows.into_iter()
                .enumerate()
                .filter_map(|(ti, r)| Some(Point::new(idx, ti as u32, r?))),
        );
        Ok(true)
    }

    fn read_all(
        &self,
        seqs: &Seqs,
        idx: u32,
        planned: &[PlannedTrace],
        batch: usize,
        buf: &mut Vec<Point>,
        sink: &mut dyn FnMut(Vec<Point>) -> bool,
    ) -> Result<bool, RunError> {
        for (ti, p) in planned.iter().enumerate() {
            let ti = ti as u32;
            let mut stopped = false;
            seqs.for_each_batch::<RunError>(self.key(p), batch, |rows| {
                buf.extend(rows.into_iter().map(|r| Point::new(idx, ti, r)));
                if buf.len() >= batch && !stopped {
                    stopped = !sink(std::mem::take(buf));
                }
                Ok(())
            })?;
            if stopped {
                return Ok(false);
            }
            if buf.len() >= batch && !sink(std::mem::take(buf)) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The record batch of `points` (read by [`Metrics::read_run`] from `runs`, the runs
    /// this plan was made for).
    pub fn batch(&self, runs: &[Run], points: &[Point]) -> anyhow::Result<RecordBatch> {
        let planned = |p: &Point| self.planned(p.run as usize).get(p.trace as usize);
        let mut cols: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter_values(
                points
                    .iter()
                    .map(|p| runs.get(p.run as usize).map_or("", Run::hash)),
            )),
            Arc::new(StringArray::from_iter_values(points.iter().map(|p| {
                planned(p)
                    .and_then(|t| self.names.get(t.name as usize))
                    .map_or("", String::as_str)
            }))),
        ];
        for (c, kind) in self.kinds.iter().enumerate() {
            cols.push(kind.array(points.iter().map(|p| {
                planned(p)
                    .and_then(|t| self.contexts.get(t.context as usize))
                    .and_then(|cells| cells.get(c))
            })));
        }
        cols.push(Arc::new(Int64Array::from_iter_values(
            points.iter().map(|p| p.step),
        )));
        cols.push(Arc::new(Float64Array::from_iter(
            points.iter().map(|p| p.value),
        )));
        cols.push(Arc::new(Int64Array::from_iter(
            points.iter().map(|p| p.epoch),
        )));
        cols.push(Arc::new(
            TimestampMicrosecondArray::from_iter(
                points.iter().map(|p| p.time.and_then(timestamp_micros)),
            )
            .with_timezone("UTC"),
        ));
        Ok(RecordBatch::try_new(self.schema.clone(), cols)?)
    }
}

/// A UNIX time in seconds as microseconds, rounded as Python's `datetime.fromtimestamp`
/// rounds it (half to even on the fraction).
pub fn timestamp_micros(t: f64) -> Option<i64> {
    if !t.is_finite() || t.abs() > 9.2e12 {
        return None;
    }
    let whole = t.trunc();
    let mut us = ((t - whole) * 1e6).round_ties_even();
    let mut secs = whole;
    if us >= 1e6 {
        secs += 1.0;
        us -= 1e6;
    } else if us < 0.0 {
        secs -= 1.0;
        us += 1e6;
    }
    Some(secs as i64 * 1_000_000 + us as i64)
}

/// The node with every dict's keys sorted (Python's `json.dumps(…, sort_keys=True)`).
pub fn sort_keys(node: &Node) -> Node {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_kinds() {
        let (i, f, b, s) = (
            PyVal::Int(1),
            PyVal::Float(0.5),
            PyVal::Bool(true),
            PyVal::Str("a".into()),
        );
        assert_eq!(Kind::of([Some(&i), None, Some(&PyVal::None)]), Kind::Int);
        assert_eq!(Kind::of([Some(&i), Some(&f)]), Kind::Float);
        assert_eq!(Kind::of([Some(&b), None]), Kind::Bool);
        assert_eq!(Kind::of([Some(&s)]), Kind::Str);
        // a bool is not a number (Python's json would say true, not 1)
        assert_eq!(Kind::of([Some(&i), Some(&b)]), Kind::Json);
        assert_eq!(Kind::of([Some(&s), Some(&i)]), Kind::Json);
        assert_eq!(Kind::of([None, None]), Kind::Str);
    }

    #[test]
    fn mixed_columns_keep_int_and_str_apart() {
        let cells = [
            PyVal::Int(32),
            PyVal::Str("32".into()),
            PyVal::Float(f64::NAN),
        ];
        let a = Kind::Json.array(cells.iter().map(Some));
        let a = a.as_any().downcast_ref::<StringArray>().map(|a| {
            a.iter()
                .map(|v| v.unwrap_or_default().to_owned())
                .collect::<Vec<_>>()
        });
        assert_eq!(
            a,
            Some(vec!["32".to_owned(), "\"32\"".into(), "NaN".into()])
        );
    }

    #[test]
    fn times_round_as_python_fromtimestamp() {
        assert_eq!(timestamp_micros(1.5), Some(1_500_000));
        assert_eq!(timestamp_micros(-0.25), Some(-250_000));
        assert_eq!(timestamp_micros(f64::NAN), None);
        assert_eq!(
            timestamp_micros(1_764_662_101.375_073),
            Some(1_764_662_101_375_073)
        );
    }

    #[test]
    fn tags_as_aims_json_dumps() {
        assert_eq!(tags_json(&[]), "[]");
        assert_eq!(tags_json(&["a".into(), "é".into()]), r#"["a", "\u00e9"]"#);
    }

    #[test]
    fn param_cells_hold_each_value_once_and_as_stored() {
        let run = |lr: Node, tag: &str| {
            Node::Dict(vec![(
                Seg::from("hparams"),
                Node::Dict(vec![
                    (Seg::from("lr"), lr),
                    (Seg::from("tag"), Node::Str(tag.into())),
                ]),
            )])
        };
        let columns = ParamColumns::default();
        let rows: Vec<ParamCells> = [
            run(Node::Float(0.0), "a"),
            run(Node::Float(-0.0), "a"),
            run(Node::Float(f64::NAN), "b"),
            run(Node::Int(0), "a"),
            run(Node::Float(f64::NAN), "a"),
        ]
        .iter()
        .map(|r| columns.cells(r))
        .collect();
        let (names, values) = columns.into_parts();
        assert_eq!(names, ["hparams.lr", "hparams.tag"]);
        // 0.0, -0.0, NaN and 0 are four values; "a" and "b" two
        assert_eq!(values.len(), 6);
        let shown: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|&(c, v)| {
                        let v = values.get(v as usize).map(|v| match v {
                            PyVal::Float(f) => format!("{:?}", f.to_bits()),
                            other => json_dumps(other),
                        });
                        format!("{}={}", names[c as usize], v.unwrap_or_default())
                    })
                    .collect()
            })
            .collect();
        let bits = |f: f64| format!("hparams.lr={:?}", f.to_bits());
        assert_eq!(
            shown,
            [
                vec![bits(0.0), "hparams.tag=\"a\"".into()],
                vec![bits(-0.0), "hparams.tag=\"a\"".into()],
                vec![bits(f64::NAN), "hparams.tag=\"b\"".into()],
                vec!["hparams.lr=0".into(), "hparams.tag=\"a\"".into()],
                vec![bits(f64::NAN), "hparams.tag=\"a\"".into()],
            ]
        );
        // the same value of two runs is one cell number
        assert_eq!(rows[0][1].1, rows[1][1].1);
        assert_eq!(rows[2][0].1, rows[4][0].1);
    }
}
