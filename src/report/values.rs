//! Reading each run's value of the chosen metrics: from the meta chunk's running max / min
//! when it has them, else from the seqs chunk.

use aim_store::{par_map, Seqs, Trace, Value};

use super::config::ValueKind;
use super::model::RunRow;
use crate::frame::param_columns;
use crate::runs::{Diagnostic, Loaded};

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

/// Reads the chosen metrics of every run in every context (seqs chunks in parallel); a run
/// whose seqs chunk is unreadable is a warning (its values missing), and the result partial.
pub fn read_values<'a>(
    loaded: &'a Loaded,
    metrics: &[String],
    contexts: &[String],
    kind: ValueKind,
) -> (Vec<RunRow<'a>>, Vec<Diagnostic>) {
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
        problems.extend(problem.map(Diagnostic::Warning));
    }
    (rows, problems)
}
