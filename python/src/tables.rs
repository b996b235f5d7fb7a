//! `runs()` and `metrics()`: the library's Arrow tables ([`tcbench::tables`]) handed to
//! Python as Arrow IPC streams, which `pyarrow.ipc` reads back (no unsafe code, no pyo3
//! version shared with arrow). Every read runs with the GIL released and Ctrl-C honoured
//! ([`crate::errors::detached`]); `metrics()` streams: each call of
//! [`MetricsReader::next_batch`] reads the next runs only, so memory follows the output.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aim_store::{Detail, Node, RunMeta};
use arrow_array::RecordBatch;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use tcbench::runs::{meta_digest, Diagnostic, Digested, Loaded, Options, SameRun};
use tcbench::tables::{self, Metrics, ParamColumns, Pick, Point, Selection, TracePlanner};

use crate::errors::{detached, invalid_argument, repo_paths, to_py_err, warn_all};
use crate::report::ipc_stream;

/// Points per pass over a trace's step column (`Seqs::for_each_batch`).
const BATCH_ROWS: usize = 65_536;

/// Runs read per step of `metrics(value="all")`: a step's points are one record batch, so
/// memory holds the table read so far and one step's points.
const RUNS_PER_STEP: usize = 64;

/// Runs read per step of one row per trace (`last`, `max`, `min`): 512 runs make a batch
/// of some 15,000 rows (1.5 MB), so that the points, the batch and its IPC bytes, which
/// exist together for a moment, stay small beside the table; the threads of a step keep
/// their buffers from run to run.
const RUNS_PER_STEP_ONE_ROW: usize = 512;

/// The runs (Aim's own `__system*` params and metrics included, as Aim's frames have them),
/// `detail` of each run's meta chunk read, and `map` making of each run, as soon as it is
/// read, what its table needs: memory holds those values, not every run's trees.
fn load<X: Send + SameRun>(
    paths: &[PathBuf],
    filter: Option<&str>,
    archived: bool,
    detail: Detail,
    map: impl Fn(&mut RunMeta) -> X + Sync,
    d: &mut Vec<Diagnostic>,
) -> anyhow::Result<Loaded<X>> {
    let opts = Options {
        paths,
        filter,
        archived,
    };
    tcbench::runs::load_mapped(&opts, detail, map, d)
}

/// An empty params tree: what a run keeps once its params are made cells (a filter, which
/// is applied once every run is read, needs them: then they are kept).
fn drop_params(m: &mut RunMeta, keep: bool) {
    if !keep {
        m.attrs = Node::Dict(Vec::new());
    }
}

/// `runs()`: the runs table as an IPC stream; damaged runs are warned about.
#[pyfunction]
#[pyo3(signature = (repo, *, filter=None, archived=false))]
pub fn runs(
    py: Python<'_>,
    repo: &Bound<'_, PyAny>,
    filter: Option<String>,
    archived: bool,
) -> PyResult<Py<PyBytes>> {
    let paths = repo_paths(repo)?;
    let (bytes, d) = detached(py, move || {
        let mut d = Vec::new();
        // the traces are not in this table: only the params are read (all of the chunk
        // when the filter reads params), and made cells as each run is read
        let columns = ParamColumns::default();
        let keep = filter.is_some();
        let map = |m: &mut RunMeta| {
            m.traces = Vec::new();
            let digest = meta_digest(m);
            let cells = columns.cells(&m.attrs);
            drop_params(m, keep);
            Digested {
                digest,
                value: cells,
            }
        };
        let r = load(
            &paths,
            filter.as_deref(),
            archived,
            Detail::Params,
            map,
            &mut d,
        )
        .and_then(|loaded| {
            let (loaded, cells) = loaded.split_mapped();
            let cells: Vec<_> = cells.into_iter().map(|c| c.value).collect();
            let batch = tables::runs_batch_cells(&loaded.runs, columns, &cells)?;
            // the runs go before the batch is encoded: memory holds the table at most twice
            drop((loaded, cells));
            ipc_stream(&batch)
        });
        (r, d)
    })?;
    warn_all(py, &d)?;
    let bytes = bytes.map_err(|e| to_py_err(py, e))?;
    Ok(PyBytes::new(py, &bytes).unbind())
}

/// What a metrics read shares between its steps.
struct State {
    /// The runs, their trace lists and params gone (the plan holds what it reads).
    loaded: Loaded<()>,
    plan: Metrics,
    next: AtomicUsize,
    threads: usize,
    /// Every point (`value="all"`), not one per trace.
    all: bool,
}

impl State {
    /// Reads the next runs ([`RUNS_PER_STEP`], or [`RUNS_PER_STEP_ONE_ROW`] for one row per
    /// trace) on every core, as one record batch; `None` when every run was read.
    fn step(&self) -> (Option<anyhow::Result<RecordBatch>>, Vec<Diagnostic>) {
        let runs = &self.loaded.runs;
        let start = self.next.load(Ordering::Relaxed);
        if start >= runs.len() {
            return (None, Vec::new());
        }
        let per_step = if self.all {
            RUNS_PER_STEP
        } else {
            RUNS_PER_STEP_ONE_ROW
        };
        let end = start.saturating_add(per_step).min(runs.len());
        self.next.store(end, Ordering::Relaxed);
        let slots: Vec<Mutex<(Vec<Point>, Option<String>)>> = (start..end)
            .map(|_| Mutex::new((Vec::new(), None)))
            .collect();
        let cursor = AtomicUsize::new(start);
        std::thread::scope(|s| {
            for _ in 0..self.threads.min(end - start) {
                s.spawn(|| loop {
                    let i = cursor.fetch_add(1, Ordering::Relaxed);
                    let (Some(run), Some(slot)) = (runs.get(i), slots.get(i - start)) else {
                        break;
                    };
                    let mut points = Vec::new();
                    let mut sink = |p: Vec<Point>| {
                        points.extend(p);
                        true
                    };
                    let repo = self.loaded.repo_of(run);
                    let failed = self
                        .plan
                        .read_run(repo, run, i as u32, BATCH_ROWS, &mut sink)
                        .err()
                        .map(|e| {
                            let kept = if points.is_empty() {
                                "its metrics are left out".to_owned()
                            } else {
                                format!("only its first {} points are kept", points.len())
                            };
                            format!(
                                "run {}: unreadable seqs chunk `{}`: {e}; {kept}",
                                run.hash(),
                                repo.seqs_chunk(run.hash()).display()
                            )
                        });
                    if let Ok(mut g) = slot.lock() {
                        *g = (points, failed);
                    }
                });
            }
        });
        let mut points = Vec::new();
        let mut d = Vec::new();
        for slot in slots {
            let (p, failed) = slot.into_inner().unwrap_or_default();
            points.extend(p);
            d.extend(failed.map(Diagnostic::Warning));
        }
        (Some(self.plan.batch(runs, &points)), d)
    }
}

/// A metrics read in progress: `next_batch()` until it returns `None`.
#[pyclass(module = "tcbench_rs._native", frozen)]
pub struct MetricsReader {
    state: Arc<State>,
}

#[pymethods]
impl MetricsReader {
    /// The table's schema, as an IPC stream of no batch.
    fn schema(&self, py: Python<'_>) -> PyResult<Py<PyBytes>> {
        let schema = self.state.plan.schema();
        let bytes = (|| -> anyhow::Result<Vec<u8>> {
            let mut w = arrow_ipc::writer::StreamWriter::try_new(Vec::new(), &schema)?;
            w.finish()?;
            Ok(w.into_inner()?)
        })()
        .map_err(|e| to_py_err(py, e))?;
        Ok(PyBytes::new(py, &bytes).unbind())
    }

    /// The next record batch as an IPC stream (its damaged runs warned about); `None` once
    /// every run was read.
    fn next_batch(&self, py: Python<'_>) -> PyResult<Option<Py<PyBytes>>> {
        let state = self.state.clone();
        let (batch, d) = detached(py, move || {
            let (batch, d) = state.step();
            (batch.map(|b| b.and_then(|b| ipc_stream(&b))), d)
        })?;
        warn_all(py, &d)?;
        Ok(match batch {
            None => None,
            Some(b) => Some(PyBytes::new(py, &b.map_err(|e| to_py_err(py, e))?).unbind()),
        })
    }
}

fn pick(value: &str) -> anyhow::Result<Pick> {
    Ok(match value {
        "last" => Pick::Last,
        "max" => Pick::Max,
        "min" => Pick::Min,
        "all" => Pick::All,
        other => {
            anyhow::bail!("value must be \"last\", \"max\", \"min\" or \"all\", not {other:?}")
        }
    })
}

/// `metrics()`: loads the runs and plans the table (damaged runs warned about); the reader
/// then reads it.
#[pyfunction]
#[pyo3(signature = (repo, *, filter=None, archived=false, names=None, contexts=None, value="last"))]
#[allow(clippy::too_many_arguments)]
pub fn metrics(
    py: Python<'_>,
    repo: &Bound<'_, PyAny>,
    filter: Option<String>,
    archived: bool,
    names: Option<Vec<String>>,
    contexts: Option<Vec<String>>,
    value: &str,
) -> PyResult<MetricsReader> {
    let pick = pick(value).map_err(|e| invalid_argument(py, e.to_string()))?;
    let paths = repo_paths(repo)?;
    let (state, d) = detached(py, move || {
        let mut d = Vec::new();
        let select = Selection {
            names,
            contexts,
            no_system: false,
        };
        // each run's traces are planned as it is read (the planner keeps each distinct
        // list of planned traces once, the run the number of its list);
        // its trace list goes, and its params too unless the filter reads them (the params
        // are not even read then)
        let planner = TracePlanner::default();
        let keep = filter.is_some();
        let map = |m: &mut RunMeta| {
            let digest = meta_digest(m);
            let plan = planner.plan(&m.traces, &select);
            m.traces = Vec::new();
            drop_params(m, keep);
            Digested {
                digest,
                value: plan,
            }
        };
        let state = load(
            &paths,
            filter.as_deref(),
            archived,
            Detail::Traces,
            map,
            &mut d,
        )
        .map(|loaded| {
            let (loaded, plans) = loaded.split_mapped();
            let plans = plans.into_iter().map(|p| p.value).collect();
            let plan = Metrics::from_plans(planner, plans, pick);
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
            State {
                loaded,
                plan,
                next: AtomicUsize::new(0),
                threads,
                all: pick == Pick::All,
            }
        });
        (state, d)
    })?;
    warn_all(py, &d)?;
    let state = state.map_err(|e| to_py_err(py, e))?;
    Ok(MetricsReader {
        state: Arc::new(state),
    })
}

/// Registers `runs`, `metrics` and `MetricsReader`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(runs, m)?)?;
    m.add_function(wrap_pyfunction!(metrics, m)?)?;
    m.add_class::<MetricsReader>()?;
    Ok(())
}
