//! One point per trace for many traces of a run at once: the point at the highest step,
//! or the greatest or smallest value. A run's numeric (v2) traces are read in one forward
//! pass of a single iterator over its seqs chunk, so each block is read and decoded once
//! for the whole run, not once per trace as [`Seqs::final_row`] reads it: that is what
//! makes a table of every trace's final value cheap.

use crate::error::RunError;
use crate::key;
use crate::run::{decode_err, Trace};
use crate::seqs::{Row, Seqs};
use crate::value::{self, Value};

/// Which point of a trace [`Seqs::pick_rows`] returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Best {
    /// The point at the highest step (the true final value).
    Last,
    /// The greatest value; the lowest step among equals. NaN loses to any number (a trace
    /// of NaN only gives its first NaN); a value that is no number is no candidate.
    Max,
    /// The smallest value, as [`Best::Max`].
    Min,
}

/// The number a value compares as, for [`Best::Max`] and [`Best::Min`].
fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// True when (`v`, `step`) beats the best so far.
fn beats(best: Best, v: f64, step: i64, so_far: Option<(f64, i64)>) -> bool {
    let Some((b, bs)) = so_far else {
        return true;
    };
    match (v.is_nan(), b.is_nan()) {
        (true, true) => step < bs,
        (true, false) => false,
        (false, true) => true,
        (false, false) => match best {
            Best::Max => v > b || (v == b && step < bs),
            Best::Min => v < b || (v == b && step < bs),
            Best::Last => false,
        },
    }
}

/// One trace's columns as the pass meets them (`epoch` < `step` < `time` < `val`), each
/// sorted by element key.
#[derive(Default)]
struct Columns {
    epoch: Vec<(Vec<u8>, Value)>,
    step: Vec<(Vec<u8>, i64)>,
    time: Vec<(Vec<u8>, Value)>,
    val: Vec<(Vec<u8>, Value)>,
}

fn find<'a, T>(col: &'a [(Vec<u8>, T)], elem: &[u8]) -> Option<&'a T> {
    col.binary_search_by(|(k, _)| k.as_slice().cmp(elem))
        .ok()
        .and_then(|i| col.get(i))
        .map(|(_, v)| v)
}

impl Columns {
    /// The chosen row. As [`Seqs::for_each_batch`] joins the columns, a step without a
    /// `val` element is no point; [`Best::Last`] takes the highest step (its row is `None`
    /// when that step has no value, as [`Seqs::final_row`] has it).
    fn row(self, best: Best) -> Option<Row> {
        let elem: &[u8] = match best {
            Best::Last => self
                .step
                .iter()
                .max_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)))?
                .0
                .as_slice(),
            Best::Max | Best::Min => {
                let mut so_far: Option<(f64, i64, &[u8])> = None;
                for (k, v) in &self.val {
                    let (Some(x), Some(&s)) = (number(v), find(&self.step, k)) else {
                        continue;
                    };
                    if beats(best, x, s, so_far.map(|(b, bs, _)| (b, bs))) {
                        so_far = Some((x, s, k.as_slice()));
                    }
                }
                so_far?.2
            }
        };
        Some(Row {
            step: *find(&self.step, elem)?,
            value: find(&self.val, elem)?.clone(),
            epoch: find(&self.epoch, elem).cloned().unwrap_or(Value::None),
            time: find(&self.time, elem).cloned().unwrap_or(Value::None),
        })
    }
}

impl Seqs {
    /// The [`Best`] row of each of `traces` (in that order; `None` for an empty trace).
    /// Numeric (v2) traces are read together in one pass; v1 traces one by one.
    pub fn pick_rows(&self, traces: &[&Trace], best: Best) -> Result<Vec<Option<Row>>, RunError> {
        let mut out: Vec<Option<Row>> = vec![None; traces.len()];
        let Some(db) = self.db() else {
            return Ok(out);
        };
        let path = db.path().to_path_buf();
        let mut v2: Vec<(Vec<u8>, usize)> = Vec::new();
        for (i, t) in traces.iter().enumerate() {
            if t.version >= 2 {
                v2.push((self.trace_prefix(t), i));
            } else if let Some(slot) = out.get_mut(i) {
                *slot = self.pick_one(t, best)?;
            }
        }
        v2.sort();
        let Some(first) = v2.first() else {
            return Ok(out);
        };
        let run_prefix = key::encode_strs(&["seqs", "v2", "chunks", self.hash()]);
        let mut it = db.prefix_iter(&run_prefix);
        it.seek(&first.0)?;
        let mut j = 0;
        let mut cols = Columns::default();
        let mut finish = |j: usize, cols: &mut Columns| {
            let done = std::mem::take(cols).row(best);
            if let Some(slot) = v2.get(j).and_then(|(_, i)| out.get_mut(*i)) {
                *slot = done;
            }
        };
        while j < v2.len() && it.advance()? {
            let k = it.key();
            // past the traces whose keys all come before this one
            while let Some((p, _)) = v2.get(j) {
                if k.starts_with(p) || k < p.as_slice() {
                    break;
                }
                finish(j, &mut cols);
                j += 1;
            }
            let Some((p, _)) = v2.get(j) else { break };
            let Some(rest) = k.strip_prefix(p.as_slice()) else {
                // a trace not asked for, before the next one asked for
                let p = p.clone();
                it.seek(&p)?;
                continue;
            };
            let Some(sep) = rest.iter().position(|&b| b == key::SENTINEL) else {
                continue;
            };
            let (col, elem) = (
                rest.get(..sep).unwrap_or_default(),
                rest.get(sep + 1..).unwrap_or_default(),
            );
            if elem.is_empty() {
                continue; // a column's array marker
            }
            let v = value::decode(it.value()).map_err(|e| decode_err(&path, e))?;
            match col {
                b"epoch" => cols.epoch.push((elem.to_vec(), v)),
                b"step" => {
                    if let Value::Int(s) = v {
                        cols.step.push((elem.to_vec(), s));
                    }
                }
                b"time" => cols.time.push((elem.to_vec(), v)),
                b"val" => cols.val.push((elem.to_vec(), v)),
                _ => {}
            }
        }
        while j < v2.len() {
            finish(j, &mut cols);
            j += 1;
        }
        Ok(out)
    }

    /// [`Seqs::pick_rows`] for one trace, through [`Seqs::final_row`] or a pass over its
    /// points in step order.
    fn pick_one(&self, trace: &Trace, best: Best) -> Result<Option<Row>, RunError> {
        if best == Best::Last {
            return self.final_row(trace);
        }
        let mut chosen: Option<(f64, Row)> = None;
        self.for_each_batch::<RunError>(trace, 65_536, |rows| {
            for r in rows {
                let Some(x) = number(&r.value) else { continue };
                if beats(best, x, r.step, chosen.as_ref().map(|(b, c)| (*b, c.step))) {
                    chosen = Some((x, r));
                }
            }
            Ok(())
        })?;
        Ok(chosen.map(|(_, r)| r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_go_to_the_lowest_step_and_nan_loses_to_numbers() {
        assert!(beats(Best::Max, 1.0, 5, None));
        assert!(beats(Best::Max, 2.0, 5, Some((1.0, 1))));
        assert!(!beats(Best::Max, 1.0, 5, Some((1.0, 1))));
        assert!(beats(Best::Max, 1.0, 0, Some((1.0, 1))));
        assert!(beats(Best::Min, 0.5, 9, Some((1.0, 1))));
        assert!(beats(Best::Max, 0.0, 9, Some((f64::NAN, 1))));
        assert!(!beats(Best::Min, f64::NAN, 0, Some((3.0, 1))));
        assert!(beats(Best::Min, f64::NAN, 0, Some((f64::NAN, 1))));
        assert_eq!(number(&Value::Bool(true)), None);
    }

    #[test]
    fn last_is_the_highest_step() {
        let e = |b: u8| vec![b];
        let cols = Columns {
            epoch: vec![(e(1), Value::Int(7)), (e(2), Value::Int(8))],
            step: vec![(e(1), 5), (e(2), 3)],
            time: vec![(e(2), Value::Float(1.5))],
            val: vec![(e(1), Value::Float(0.1)), (e(2), Value::Float(0.9))],
        };
        let r = cols.row(Best::Last);
        assert_eq!(
            r.map(|r| (r.step, r.value, r.epoch, r.time)),
            Some((5, Value::Float(0.1), Value::Int(7), Value::None))
        );
    }
}
