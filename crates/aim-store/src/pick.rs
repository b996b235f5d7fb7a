//! One point per trace for many traces of a run at once: the point at the highest step,
//! or the greatest or smallest value. A run's numeric (v2) traces are read in one forward
//! pass of a single iterator over its seqs chunk, so each block is read and decoded once
//! for the whole run, not once per trace as [`Seqs::final_row`] reads it: that is what
//! makes a table of every trace's final value cheap.

use crate::error::RunError;
use crate::key;
use crate::run::{decode_err, TraceKey};
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

/// One column of a trace as the pass meets it, sorted by element key: the keys in one
/// buffer (reused from trace to trace: no allocation per point).
struct Col<T> {
    keys: Vec<u8>,
    items: Vec<(usize, usize, T)>,
}

impl<T> Default for Col<T> {
    fn default() -> Self {
        Col {
            keys: Vec::new(),
            items: Vec::new(),
        }
    }
}

impl<T> Col<T> {
    fn push(&mut self, elem: &[u8], v: T) {
        let start = self.keys.len();
        self.keys.extend_from_slice(elem);
        self.items.push((start, elem.len(), v));
    }

    fn key(&self, start: usize, len: usize) -> &[u8] {
        self.keys
            .get(start..start.saturating_add(len))
            .unwrap_or_default()
    }

    fn iter(&self) -> impl Iterator<Item = (&[u8], &T)> {
        self.items.iter().map(|(s, l, v)| (self.key(*s, *l), v))
    }

    fn find(&self, elem: &[u8]) -> Option<&T> {
        self.items
            .binary_search_by(|(s, l, _)| self.key(*s, *l).cmp(elem))
            .ok()
            .and_then(|i| self.items.get(i))
            .map(|(_, _, v)| v)
    }

    fn clear(&mut self) {
        self.keys.clear();
        self.items.clear();
    }
}

/// One trace's columns as the pass meets them (`epoch` < `step` < `time` < `val`).
#[derive(Default)]
struct Columns {
    epoch: Col<Value>,
    step: Col<i64>,
    time: Col<Value>,
    val: Col<Value>,
}

impl Columns {
    /// The element key of the highest step (the highest key among equal steps), if any.
    fn last_elem(&self) -> Option<&[u8]> {
        self.step
            .iter()
            .max_by(|a, b| (a.1, a.0).cmp(&(b.1, b.0)))
            .map(|(k, _)| k)
    }

    /// The chosen row. As [`Seqs::for_each_batch`] joins the columns, a step without a
    /// `val` element is no point; [`Best::Last`] takes the highest step (its row is `None`
    /// when that step has no value, as [`Seqs::final_row`] has it).
    fn row(&self, best: Best) -> Option<Row> {
        let elem: &[u8] = match best {
            Best::Last => self.last_elem()?,
            Best::Max | Best::Min => {
                let mut so_far: Option<(f64, i64, &[u8])> = None;
                for (k, v) in self.val.iter() {
                    let (Some(x), Some(&s)) = (number(v), self.step.find(k)) else {
                        continue;
                    };
                    if beats(best, x, s, so_far.map(|(b, bs, _)| (b, bs))) {
                        so_far = Some((x, s, k));
                    }
                }
                so_far?.2
            }
        };
        Some(Row {
            step: *self.step.find(elem)?,
            value: self.val.find(elem)?.clone(),
            epoch: self.epoch.find(elem).cloned().unwrap_or(Value::None),
            time: self.time.find(elem).cloned().unwrap_or(Value::None),
        })
    }

    fn clear(&mut self) {
        self.epoch.clear();
        self.step.clear();
        self.time.clear();
        self.val.clear();
    }
}

impl Seqs {
    /// The [`Best`] row of each of `traces` (in that order; `None` for an empty trace).
    /// Numeric (v2) traces are read together in one pass; v1 traces one by one.
    pub fn pick_rows(
        &self,
        traces: &[TraceKey<'_>],
        best: Best,
    ) -> Result<Vec<Option<Row>>, RunError> {
        let mut out: Vec<Option<Row>> = vec![None; traces.len()];
        let Some(db) = self.db() else {
            return Ok(out);
        };
        let path = db.path().to_path_buf();
        let mut v2: Vec<(Vec<u8>, usize)> = Vec::new();
        for (i, &t) in traces.iter().enumerate() {
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
            let done = cols.row(best);
            cols.clear();
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
            if best == Best::Last && matches!(col, b"time" | b"val") {
                // the step column is whole (it sorts before `time` and `val`): of these two
                // only the element of the highest step is wanted, reached by seeking
                let Some(chosen) = cols.last_elem().map(<[u8]>::to_vec) else {
                    // no step: no row; on to the next trace
                    match v2.get(j + 1) {
                        Some((next, _)) => {
                            let next = next.clone();
                            it.seek(&next)?;
                            continue;
                        }
                        None => break,
                    }
                };
                let target = |col: &[u8]| {
                    let mut t = p.clone();
                    t.extend_from_slice(col);
                    t.push(key::SENTINEL);
                    t.extend_from_slice(&chosen);
                    t
                };
                if elem < chosen.as_slice() {
                    let t = target(col);
                    it.seek(&t)?;
                    continue;
                }
                if elem == chosen.as_slice() {
                    let v = value::decode(it.value()).map_err(|e| decode_err(&path, e))?;
                    if col == b"time" {
                        cols.time.push(elem, v);
                    } else {
                        cols.val.push(elem, v);
                    }
                }
                // past the chosen element of this column: on to the next column, or trace
                let next = if col == b"time" {
                    Some(target(b"val"))
                } else {
                    v2.get(j + 1).map(|(next, _)| next.clone())
                };
                match next {
                    Some(t) => {
                        it.seek(&t)?;
                        continue;
                    }
                    None => break,
                }
            }
            let v = value::decode(it.value()).map_err(|e| decode_err(&path, e))?;
            match col {
                b"epoch" => cols.epoch.push(elem, v),
                b"step" => {
                    if let Value::Int(s) = v {
                        cols.step.push(elem, s);
                    }
                }
                b"time" => cols.time.push(elem, v),
                b"val" => cols.val.push(elem, v),
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
    fn pick_one(&self, trace: TraceKey<'_>, best: Best) -> Result<Option<Row>, RunError> {
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
        let mut cols = Columns::default();
        cols.epoch.push(&[1], Value::Int(7));
        cols.epoch.push(&[2], Value::Int(8));
        cols.step.push(&[1], 5);
        cols.step.push(&[2], 3);
        cols.time.push(&[2], Value::Float(1.5));
        cols.val.push(&[1], Value::Float(0.1));
        cols.val.push(&[2], Value::Float(0.9));
        let r = cols.row(Best::Last);
        assert_eq!(
            r.map(|r| (r.step, r.value, r.epoch, r.time)),
            Some((5, Value::Float(0.1), Value::Int(7), Value::None))
        );
    }
}
