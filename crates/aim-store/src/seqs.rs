//! One run's sequence values, read from its seqs chunk (docs/aim-format.md §4): the
//! presence rules of the chunk ([`Seqs::presence`]), final values, and every point streamed
//! in bounded batches ([`Seqs::for_each_batch`]).
//!
//! It exists apart from [`crate::run`] (what the meta chunk says) because the two chunks are
//! read at different costs: a run's meta chunk is one small database, its seqs chunk holds
//! every tracked point; commands that take every value from the meta chunk never open it.

use std::path::Path;

use rocks_reader::Db;

use crate::error::RunError;
use crate::key::{self, Seg};
use crate::run::{decode_err, TraceKey};
use crate::value::{self, Value};

/// A tracked point.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// The real step.
    pub step: i64,
    /// The value tracked at that step.
    pub value: Value,
}

/// A tracked point with its epoch and time: one element of each column of a sequence.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The real step.
    pub step: i64,
    /// The value (`val` column).
    pub value: Value,
    /// The epoch (`epoch` column): an int, or None when tracked without one.
    pub epoch: Value,
    /// The UNIX time of the `track()` call (`time` column), a float.
    pub time: Value,
}

/// True when a directory holds a RocksDB table (`*.sst`, `*.ldb`) or WAL (`*.log`) file,
/// or cannot be listed.
fn holds_data_files(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return true;
    };
    entries.flatten().any(|e| {
        let name = e.file_name();
        let name = name.to_string_lossy();
        [".sst", ".ldb", ".log"].iter().any(|x| name.ends_with(x))
    })
}

/// An open seqs chunk, for reading sequence values of one run.
pub struct Seqs {
    db: Option<Db>,
    hash: String,
}

impl Seqs {
    /// Whether a run's seqs chunk `chunk_dir` is there, for a run whose meta chunk lists
    /// `traces` traces: `Ok(true)` when it is (a folder, or a symlink that resolves; whether
    /// it reads is for [`Db::open`] to say), `Ok(false)` when it is missing and the run has
    /// no traces (a run that never tracked anything: Aim creates the chunk at the first
    /// `track`). Damage, an error naming the path: the chunk is missing (or `.aim/seqs`
    /// is) while traces are listed — their values are lost —, or it is a symlink that does
    /// not resolve (dangling, or a loop). Only `stat` calls: cheap enough for commands that
    /// take every value from the meta chunk.
    pub fn presence(chunk_dir: &Path, traces: usize) -> Result<bool, RunError> {
        let missing = |reason: String| RunError::SeqsMissing {
            path: chunk_dir.to_path_buf(),
            reason,
        };
        match std::fs::symlink_metadata(chunk_dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => match traces {
                0 => Ok(false),
                n => Err(missing(format!(
                    "missing, while the run's meta chunk lists {n} trace{}: their values are lost",
                    if n == 1 { "" } else { "s" }
                ))),
            },
            Ok(md) if md.file_type().is_symlink() => match std::fs::metadata(chunk_dir) {
                Ok(_) => Ok(true),
                Err(e) => Err(missing(format!(
                    "a symbolic link that does not resolve: {e}"
                ))),
            },
            // there, or not even stat-able (permissions, ELOOP in a parent): Db::open names it
            _ => Ok(true),
        }
    }

    /// [`Seqs::open_for`] a run listing no trace: a missing chunk reads empty (a dangling
    /// symlink is still an error). Commands reading a run's values use `open_for` with the
    /// number of traces its meta chunk lists.
    pub fn open(chunk_dir: &Path, hash: &str) -> Result<Seqs, RunError> {
        Seqs::open_for(chunk_dir, hash, 0)
    }

    /// Opens `seqs/chunks/<H>` of a run whose meta chunk lists `traces` traces; see
    /// [`Seqs::presence`] for when a missing chunk is an empty one and when it is damage.
    /// A RocksDB still being created also reads empty: a directory without `CURRENT` and
    /// without any table or WAL file (RocksDB writes `CURRENT` before the first WAL, so no
    /// data was committed there yet; Aim creates the seqs chunk at a run's first `track`).
    pub fn open_for(chunk_dir: &Path, hash: &str, traces: usize) -> Result<Seqs, RunError> {
        let db = if Seqs::presence(chunk_dir, traces)? {
            match Db::open(chunk_dir) {
                Ok(db) => Some(db),
                Err(rocks_reader::Error::NotADatabase { .. }) if !holds_data_files(chunk_dir) => {
                    None
                }
                Err(e) => return Err(e.into()),
            }
        } else {
            None
        };
        Ok(Seqs {
            db,
            hash: hash.to_owned(),
        })
    }

    /// The open database, if the chunk holds any data.
    pub(crate) fn db(&self) -> Option<&Db> {
        self.db.as_ref()
    }

    /// The run hash.
    pub(crate) fn hash(&self) -> &str {
        &self.hash
    }

    /// `('seqs'[,'v2'],'chunks',H,ctx_id,name)`: the key prefix of every column of a trace.
    pub(crate) fn trace_prefix(&self, trace: TraceKey<'_>) -> Vec<u8> {
        let mut out = if trace.version >= 2 {
            key::encode_strs(&["seqs", "v2", "chunks", &self.hash])
        } else {
            key::encode_strs(&["seqs", "chunks", &self.hash])
        };
        key::encode_seg(&mut out, &Seg::Int(trace.ctx_id));
        // a string segment: its bytes and the sentinel
        out.extend_from_slice(trace.name.as_bytes());
        out.push(key::SENTINEL);
        out
    }

    fn column_prefix(&self, trace: TraceKey<'_>, col: &str) -> Vec<u8> {
        let mut out = self.trace_prefix(trace);
        out.extend_from_slice(col.as_bytes());
        out.push(key::SENTINEL);
        out
    }

    /// The point at the highest step of a trace: the true final value. Streams the step
    /// column; memory does not grow with the number of points.
    pub fn final_point<'t>(
        &self,
        trace: impl Into<TraceKey<'t>>,
    ) -> Result<Option<Point>, RunError> {
        let trace = trace.into();
        let Some(db) = &self.db else { return Ok(None) };
        let path = db.path().to_path_buf();
        if trace.version >= 2 {
            // v2: `step` column keyed by hash_auto(step), holding the real step; then the
            // `val` element of the highest step, reached by a forward seek (usually within
            // the block already read).
            let trace_prefix = self.trace_prefix(trace);
            let prefix = self.column_prefix(trace, "step");
            let mut best: Option<(i64, Vec<u8>)> = None;
            let mut it = db.prefix_iter(&trace_prefix);
            it.seek(&prefix)?;
            while it.advance()? {
                let Some(rest) = it.key().strip_prefix(prefix.as_slice()) else {
                    break;
                };
                if rest.is_empty() {
                    continue; // the array marker
                }
                let Value::Int(step) =
                    value::decode(it.value()).map_err(|e| decode_err(&path, e))?
                else {
                    continue;
                };
                if best.as_ref().is_none_or(|(s, _)| step >= *s) {
                    best = Some((step, rest.to_vec()));
                }
            }
            let Some((step, elem_key)) = best else {
                return Ok(None);
            };
            let mut val_key = self.column_prefix(trace, "val");
            val_key.extend_from_slice(&elem_key);
            it.seek(&val_key)?;
            match it.advance()? {
                true if it.key() == val_key.as_slice() => Ok(Some(Point {
                    step,
                    value: value::decode(it.value()).map_err(|e| decode_err(&path, e))?,
                })),
                _ => Ok(None),
            }
        } else {
            // v1: `val` column keyed by the step itself.
            let prefix = self.column_prefix(trace, "val");
            let mut best: Option<(i64, Vec<u8>)> = None;
            for item in db.prefix_iter(&prefix) {
                let (k, v) = item?;
                let rest = k.get(prefix.len()..).unwrap_or_default();
                let segs = key::decode(rest).map_err(|e| decode_err(&path, e))?;
                if let [Seg::Int(step)] = segs.as_slice() {
                    if best.as_ref().is_none_or(|(s, _)| *step >= *s) {
                        best = Some((*step, v));
                    }
                }
            }
            match best {
                Some((step, v)) => Ok(Some(Point {
                    step,
                    value: value::decode(&v).map_err(|e| decode_err(&path, e))?,
                })),
                None => Ok(None),
            }
        }
    }

    /// The element key (bytes after the column prefix) and real step of one entry of a
    /// trace's step-bearing column: `step` for v2 (keyed by `hash_auto(step)`, holding the
    /// step), `val` for v1 (keyed by the step itself). `None` for the array marker.
    fn step_entry(
        trace: TraceKey<'_>,
        rest: &[u8],
        value: &[u8],
        path: &Path,
    ) -> Result<Option<i64>, RunError> {
        if rest.is_empty() {
            return Ok(None);
        }
        if trace.version >= 2 {
            match value::decode(value).map_err(|e| decode_err(path, e))? {
                Value::Int(s) => Ok(Some(s)),
                _ => Ok(None),
            }
        } else {
            match key::decode(rest)
                .map_err(|e| decode_err(path, e))?
                .as_slice()
            {
                [Seg::Int(s)] => Ok(Some(*s)),
                _ => Ok(None),
            }
        }
    }

    fn step_column(trace: TraceKey<'_>) -> &'static str {
        if trace.version >= 2 {
            "step"
        } else {
            "val"
        }
    }

    /// Every point of a trace with its epoch and time, in step order, handed to `f` in
    /// batches of at most `batch` rows. Memory stays bounded by `batch` whatever the number
    /// of points: each pass scans the step column for the `batch` smallest steps not yet
    /// handed out, then reads their `val`, `epoch` and `time` elements in one forward scan of
    /// each column. A trace of up to `batch` points costs one scan of each column; longer
    /// ones one more scan of the step column per batch. Steps without a `val` element are
    /// left out (as the Aim SDK joins the columns).
    pub fn for_each_batch<'t, E: From<RunError>>(
        &self,
        trace: impl Into<TraceKey<'t>>,
        batch: usize,
        mut f: impl FnMut(Vec<Row>) -> Result<(), E>,
    ) -> Result<(), E> {
        let trace = trace.into();
        let Some(db) = &self.db else { return Ok(()) };
        let batch = batch.max(1);
        let path = db.path().to_path_buf();
        let step_prefix = self.column_prefix(trace, Self::step_column(trace));
        let mut after: Option<(i64, Vec<u8>)> = None;
        loop {
            // the `batch` smallest (step, key) greater than `after`
            let mut heap: std::collections::BinaryHeap<(i64, Vec<u8>)> =
                std::collections::BinaryHeap::new();
            let mut it = db.prefix_iter(&step_prefix);
            while it.advance().map_err(RunError::from)? {
                let rest = it.key().get(step_prefix.len()..).unwrap_or_default();
                let Some(step) = Self::step_entry(trace, rest, it.value(), &path)? else {
                    continue;
                };
                if let Some((s, k)) = &after {
                    if (step, rest) <= (*s, k.as_slice()) {
                        continue;
                    }
                }
                if heap.len() >= batch {
                    match heap.peek() {
                        Some((s, k)) if (step, rest) < (*s, k.as_slice()) => {
                            heap.pop();
                        }
                        _ => continue,
                    }
                }
                heap.push((step, rest.to_vec()));
            }
            if heap.is_empty() {
                return Ok(());
            }
            let full = heap.len() >= batch;
            let mut chosen = heap.into_vec();
            after = chosen.iter().max().cloned();
            // read the other columns in key order
            chosen.sort_by(|a, b| a.1.cmp(&b.1));
            let mut cols: [Vec<Option<Value>>; 3] = [
                vec![None; chosen.len()],
                vec![None; chosen.len()],
                vec![None; chosen.len()],
            ];
            for (col, out) in ["val", "epoch", "time"].iter().zip(cols.iter_mut()) {
                let prefix = self.column_prefix(trace, col);
                let mut it = db.prefix_iter(&prefix);
                let mut i = 0;
                while i < chosen.len() && it.advance().map_err(RunError::from)? {
                    let rest = it.key().get(prefix.len()..).unwrap_or_default();
                    while chosen.get(i).is_some_and(|(_, k)| k.as_slice() < rest) {
                        i += 1;
                    }
                    if let (Some((_, k)), Some(slot)) = (chosen.get(i), out.get_mut(i)) {
                        if k.as_slice() == rest {
                            *slot =
                                Some(value::decode(it.value()).map_err(|e| decode_err(&path, e))?);
                            i += 1;
                        }
                    }
                }
            }
            let [vals, epochs, times] = cols;
            let mut rows: Vec<Row> = chosen
                .into_iter()
                .zip(vals.into_iter().zip(epochs.into_iter().zip(times)))
                .filter_map(|((step, _), (val, (epoch, time)))| {
                    Some(Row {
                        step,
                        value: val?,
                        epoch: epoch.unwrap_or(Value::None),
                        time: time.unwrap_or(Value::None),
                    })
                })
                .collect();
            rows.sort_by_key(|r| r.step);
            f(rows)?;
            if !full {
                return Ok(());
            }
        }
    }

    /// The row at the highest step of a trace (its true final value, with epoch and time);
    /// `None` for an empty trace. One scan of the step column, then three forward or
    /// backward seeks of the same iterator (the blocks they land in are usually the ones
    /// just read).
    pub fn final_row<'t>(&self, trace: impl Into<TraceKey<'t>>) -> Result<Option<Row>, RunError> {
        let trace = trace.into();
        let Some(db) = &self.db else { return Ok(None) };
        let path = db.path().to_path_buf();
        let step_prefix = self.column_prefix(trace, Self::step_column(trace));
        let mut best: Option<(i64, Vec<u8>)> = None;
        let mut it = db.prefix_iter(&self.trace_prefix(trace));
        it.seek(&step_prefix)?;
        while it.advance()? {
            let Some(rest) = it.key().strip_prefix(step_prefix.as_slice()) else {
                break;
            };
            let Some(step) = Self::step_entry(trace, rest, it.value(), &path)? else {
                continue;
            };
            if best
                .as_ref()
                .is_none_or(|(s, k)| (step, rest) > (*s, k.as_slice()))
            {
                best = Some((step, rest.to_vec()));
            }
        }
        let Some((step, elem)) = best else {
            return Ok(None);
        };
        let key = |col: &str| {
            let mut k = self.column_prefix(trace, col);
            k.extend_from_slice(&elem);
            k
        };
        let decode = |v: &[u8]| value::decode(v).map_err(|e| decode_err(&path, e));
        // the columns sort `epoch` < `step` < `time` < `val`: the iterator goes on forward
        // to `time` and `val`; `epoch`, behind it, is a look-up of its own
        let mut next = |col: &str| -> Result<Option<Value>, RunError> {
            let k = key(col);
            it.seek(&k)?;
            match it.advance()? {
                true if it.key() == k.as_slice() => Ok(Some(decode(it.value())?)),
                _ => Ok(None),
            }
        };
        let time = next("time")?.unwrap_or(Value::None);
        let Some(value) = next("val")? else {
            return Ok(None);
        };
        let epoch = match db.get(&key("epoch"))? {
            Some(v) => decode(&v)?,
            None => Value::None,
        };
        Ok(Some(Row {
            step,
            value,
            epoch,
            time,
        }))
    }

    /// Every point of a numeric (v2) or v1 trace, sorted by step.
    pub fn points<'t>(&self, trace: impl Into<TraceKey<'t>>) -> Result<Vec<Point>, RunError> {
        let trace = trace.into();
        let Some(db) = &self.db else {
            return Ok(Vec::new());
        };
        let path = db.path().to_path_buf();
        let mut out = Vec::new();
        if trace.version >= 2 {
            let step_prefix = self.column_prefix(trace, "step");
            let val_prefix = self.column_prefix(trace, "val");
            let mut steps: Vec<(Vec<u8>, i64)> = Vec::new();
            for item in db.prefix_iter(&step_prefix) {
                let (k, v) = item?;
                let rest = k.get(step_prefix.len()..).unwrap_or_default();
                if let (false, Value::Int(s)) = (
                    rest.is_empty(),
                    value::decode(&v).map_err(|e| decode_err(&path, e))?,
                ) {
                    steps.push((rest.to_vec(), s));
                }
            }
            let mut vals = std::collections::HashMap::new();
            for item in db.prefix_iter(&val_prefix) {
                let (k, v) = item?;
                let rest = k.get(val_prefix.len()..).unwrap_or_default();
                if !rest.is_empty() {
                    vals.insert(rest.to_vec(), v);
                }
            }
            for (k, step) in steps {
                if let Some(v) = vals.get(&k) {
                    out.push(Point {
                        step,
                        value: value::decode(v).map_err(|e| decode_err(&path, e))?,
                    });
                }
            }
        } else {
            let prefix = self.column_prefix(trace, "val");
            for item in db.prefix_iter(&prefix) {
                let (k, v) = item?;
                let rest = k.get(prefix.len()..).unwrap_or_default();
                if let [Seg::Int(step)] = key::decode(rest)
                    .map_err(|e| decode_err(&path, e))?
                    .as_slice()
                {
                    out.push(Point {
                        step: *step,
                        value: value::decode(&v).map_err(|e| decode_err(&path, e))?,
                    });
                }
            }
        }
        out.sort_by_key(|p| p.step);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::{Repo, Trace};

    fn rows(seqs: &Seqs, trace: &Trace, batch: usize) -> (Vec<Row>, usize) {
        let mut out = Vec::new();
        let mut calls = 0;
        seqs.for_each_batch::<RunError>(trace, batch, |b| {
            assert!(b.len() <= batch);
            calls += 1;
            out.extend(b);
            Ok(())
        })
        .unwrap();
        (out, calls)
    }

    /// Batched streaming (any batch size) gives exactly the points of [`Seqs::points`], in
    /// strictly increasing step order, and [`Seqs::final_row`] is the last of them.
    #[test]
    fn batches_stream_every_point_in_step_order() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/repos/long-metric");
        let repo = Repo::open(&root).unwrap();
        let scan = repo.scan().unwrap();
        let mut seen_long = false;
        for run in &scan.runs {
            let seqs = Seqs::open(&repo.seqs_chunk(run.hash()), run.hash()).unwrap();
            for trace in run.meta.traces.iter().filter(|t| t.is_metric()) {
                let points = seqs.points(trace).unwrap();
                let (all, calls) = rows(&seqs, trace, 1_000_000);
                assert!(calls <= 1);
                if points.len() <= 100 {
                    let (small, small_calls) = rows(&seqs, trace, 2);
                    assert_eq!(all, small, "{}", trace.name);
                    assert_eq!(small_calls, points.len().div_ceil(2));
                }
                assert_eq!(
                    all.iter()
                        .map(|r| (r.step, r.value.clone()))
                        .collect::<Vec<_>>(),
                    points
                        .iter()
                        .map(|p| (p.step, p.value.clone()))
                        .collect::<Vec<_>>()
                );
                assert!(all.windows(2).all(|w| w[0].step < w[1].step));
                assert!(all.iter().all(|r| matches!(r.time, Value::Float(_))));
                assert_eq!(seqs.final_row(trace).unwrap().as_ref(), all.last());
                if trace.name == "loss" && all.len() == 20_000 {
                    seen_long = true;
                    let (b, calls) = rows(&seqs, trace, 4096);
                    assert_eq!(calls, 5);
                    assert_eq!(b, all);
                    assert_eq!(all[19_999].epoch, Value::Int(19));
                }
            }
        }
        assert!(seen_long);
    }
}
