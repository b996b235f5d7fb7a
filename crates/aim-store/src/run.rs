//! One run's metadata, read from its meta chunk (docs/aim-format.md §3): params, contexts,
//! traces and end time, joined with its SQLite row into a [`Run`]. Its sequence values are
//! read from the seqs chunk by [`crate::seqs`].

use std::path::Path;
use std::sync::Arc;

use rocks_reader::Db;

use crate::error::RunError;
use crate::key::{self, Seg, SegRef};
use crate::sqlite::RunProps;
use crate::tree::{Node, TreeBuilder};
use crate::value::{self, Value};

/// Per-trace metadata from the meta chunk: `('meta','chunks',H,'traces',ctx_id,name,…)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    /// The sequence name (`acc`, `loss`, `__system__cpu`, `logs`, …).
    pub name: String,
    /// The context id (`hash_auto(context)`).
    pub ctx_id: i64,
    /// The context object, read from `('meta','chunks',H,'contexts',ctx_id)`; shared by
    /// the run's traces in that context.
    pub context: Arc<Node>,
    /// `dtype`; `float` when missing (very old runs).
    pub dtype: String,
    /// Storage version: 2 for numeric v2 sequences, 1 otherwise (missing ⇒ 1).
    pub version: i64,
    /// Value of the first tracked point.
    pub first: Option<Value>,
    /// Step of the first tracked point.
    pub first_step: Option<i64>,
    /// Value at the highest step tracked (as Aim keeps it, see docs/aim-format.md §4.4).
    pub last: Option<Value>,
    /// Highest step tracked.
    pub last_step: Option<i64>,
    /// Running max (v2).
    pub max: Option<Value>,
    /// Running min (v2).
    pub min: Option<Value>,
}

/// What locates a trace's values in the seqs chunk: its name, context id and storage
/// version. [`crate::Seqs`] reads a trace by it, so that a caller may keep only this much
/// of each trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceKey<'a> {
    /// The sequence name.
    pub name: &'a str,
    /// The context id.
    pub ctx_id: i64,
    /// The storage version (2: numeric v2 layout; else v1).
    pub version: i64,
}

impl<'a> From<&'a Trace> for TraceKey<'a> {
    fn from(t: &'a Trace) -> TraceKey<'a> {
        t.key()
    }
}

impl Trace {
    /// The trace's [`TraceKey`].
    pub fn key(&self) -> TraceKey<'_> {
        TraceKey {
            name: &self.name,
            ctx_id: self.ctx_id,
            version: self.version,
        }
    }

    /// True for numeric sequences, the ones Aim calls metrics.
    pub fn is_metric(&self) -> bool {
        matches!(self.dtype.as_str(), "float" | "float64" | "int" | "number")
    }
    /// True for Aim's own resource metrics (`__system__*`).
    pub fn is_system(&self) -> bool {
        self.name.starts_with("__system")
    }
    /// The context's `subset` value (tcbench's split name), if it is a string.
    pub fn subset(&self) -> Option<&str> {
        match self.context.get("subset") {
            Some(Node::Str(s)) => Some(s),
            _ => None,
        }
    }
}

/// A run's `('meta','chunks',H,'end_time')` as its meta chunk holds it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum EndTime {
    /// The key is missing: the chunk does not say ([`Run::end_time`] then takes SQLite's
    /// `finalized_at`).
    #[default]
    NotRecorded,
    /// Stored, but not a time (None): the run is still open, or was killed.
    Open,
    /// Stored as a time (UNIX seconds): the run ended then.
    At(f64),
}

impl EndTime {
    /// The end time when one is stored; None when the run is open or the key is missing.
    pub fn time(self) -> Option<f64> {
        match self {
            EndTime::At(t) => Some(t),
            EndTime::Open | EndTime::NotRecorded => None,
        }
    }

    /// What a stored `end_time` value means: a time when it is a number, open otherwise.
    pub(crate) fn stored(val: Value) -> EndTime {
        match end_time_value(val) {
            Some(t) => EndTime::At(t),
            None => EndTime::Open,
        }
    }
}

/// What the meta chunk says about a run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunMeta {
    /// The `attrs` subtree: every param (`hparams`, `__system_params`, …).
    pub attrs: Node,
    /// `end_time`: a time, open (stored as None), or not recorded (the key is missing).
    pub end_time: EndTime,
    /// Every trace, in key order.
    pub traces: Vec<Trace>,
}

/// A run: SQLite row joined with its meta chunk.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// SQLite properties (hash, name, experiment, …).
    pub props: RunProps,
    /// Meta chunk contents.
    pub meta: RunMeta,
}

impl Run {
    /// The run hash.
    pub fn hash(&self) -> &str {
        &self.props.hash
    }
    /// End time as Aim reports it: the meta chunk's `end_time`, or SQLite's `finalized_at`
    /// when the key is missing.
    pub fn end_time(&self) -> Option<f64> {
        match self.meta.end_time {
            EndTime::At(t) => Some(t),
            EndTime::Open => None,
            EndTime::NotRecorded => self.props.finalized_at,
        }
    }
    /// True while the run has no end time (running, or killed).
    pub fn active(&self) -> bool {
        self.end_time().is_none()
    }
    /// `end_time - creation_time`, for finished runs.
    pub fn duration(&self) -> Option<f64> {
        Some(self.end_time()? - self.props.creation_time?)
    }
    /// The `hparams` dict, if any.
    pub fn hparams(&self) -> Option<&Node> {
        self.meta.attrs.get("hparams")
    }
}

pub(crate) fn decode_err(path: &Path, reason: impl std::fmt::Display) -> RunError {
    RunError::Decode {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

#[derive(Default)]
struct TraceFields {
    dtype: Option<String>,
    version: Option<i64>,
    first: Option<Value>,
    first_step: Option<i64>,
    last: Option<Value>,
    last_step: Option<i64>,
    max: Option<Value>,
    min: Option<Value>,
}

pub(crate) fn end_time_value(val: Value) -> Option<f64> {
    match val {
        Value::Float(f) => Some(f),
        Value::Int(i) => Some(i as f64),
        _ => None,
    }
}

/// Reads only `('meta','chunks',H,'end_time')` of a meta chunk directory (one data block):
/// what `ls` needs.
pub fn read_end_time(chunk_dir: &Path, hash: &str) -> Result<EndTime, RunError> {
    let db = Db::open(chunk_dir)?;
    let key = key::encode_strs(&["meta", "chunks", hash, "end_time"]);
    match db.get(&key)? {
        Some(v) => Ok(EndTime::stored(
            value::decode(&v).map_err(|e| decode_err(chunk_dir, e))?,
        )),
        None => Ok(EndTime::NotRecorded),
    }
}

fn owned_path(segs: key::Segments<'_>, chunk_dir: &Path) -> Result<Vec<Seg>, RunError> {
    segs.map(|s| s.map(SegRef::to_seg))
        .collect::<Result<Vec<Seg>, _>>()
        .map_err(|e| decode_err(chunk_dir, e))
}

/// Reads the run subtree `('meta','chunks',H)` of a meta chunk directory.
pub fn read_meta(chunk_dir: &Path, hash: &str) -> Result<RunMeta, RunError> {
    let db = Db::open(chunk_dir)?;
    let prefix = key::encode_strs(&["meta", "chunks", hash]);
    let mut fold = MetaFold::default();
    let mut it = db.prefix_iter(&prefix);
    while it.advance()? {
        let rest = it.key().get(prefix.len()..).unwrap_or_default();
        fold.push(chunk_dir, rest, it.value())?;
    }
    Ok(fold.finish())
}

/// [`read_meta`] of only some subtrees of the run (`attrs`, `contexts`, `end_time`,
/// `traces`): the iterator seeks over the others (and stops after the last one wanted), so
/// neither their blocks nor the range tombstones over them are read. What is read folds as
/// in [`read_meta`].
pub fn read_meta_sections(
    chunk_dir: &Path,
    hash: &str,
    sections: &[&str],
) -> Result<RunMeta, RunError> {
    let db = Db::open(chunk_dir)?;
    let prefix = key::encode_strs(&["meta", "chunks", hash]);
    let mut wanted: Vec<Vec<u8>> = sections
        .iter()
        .map(|s| key::encode_strs(&["meta", "chunks", hash, s]))
        .collect();
    wanted.sort();
    let mut fold = MetaFold::default();
    let mut it = db.prefix_iter(&prefix);
    if let Some(first) = wanted.first() {
        it.seek(first)?;
    }
    while it.advance()? {
        let k = it.key();
        if !wanted.iter().any(|w| k.starts_with(w)) {
            // the next subtree wanted after this key, if any
            match wanted.iter().find(|w| w.as_slice() > k) {
                Some(w) => {
                    let w = w.clone();
                    it.seek(&w)?;
                    continue;
                }
                None => break,
            }
        }
        let rest = it.key().get(prefix.len()..).unwrap_or_default();
        fold.push(chunk_dir, rest, it.value())?;
    }
    Ok(fold.finish())
}

/// Folds the pairs of a run subtree `('meta','chunks',H)` into a [`RunMeta`] exactly as
/// [`read_meta`] does: keys without that prefix, in key order (`chunk_dir` only names the
/// source in errors). The bytes-taking entry point of the fuzz target `meta` and its
/// regression tests.
pub fn meta_from_pairs<'a>(
    chunk_dir: &Path,
    pairs: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
) -> Result<RunMeta, RunError> {
    let mut fold = MetaFold::default();
    for (k, v) in pairs {
        fold.push(chunk_dir, k, v)?;
    }
    Ok(fold.finish())
}

/// The state of [`read_meta`] between two pairs.
#[derive(Default)]
struct MetaFold {
    attrs: TreeBuilder,
    contexts: Vec<(i64, TreeBuilder)>,
    traces: Vec<((i64, String), TraceFields)>,
    end_time: EndTime,
}

impl MetaFold {
    /// Takes one pair: `rest` is the key after `('meta','chunks',H)`.
    fn push(&mut self, chunk_dir: &Path, rest: &[u8], v: &[u8]) -> Result<(), RunError> {
        let mut segs = key::segments(rest);
        let head = match segs.next() {
            None => return Ok(()),
            Some(Ok(SegRef::Str(h))) => h,
            Some(Ok(SegRef::Int(_))) => return Ok(()),
            Some(Err(e)) => return Err(decode_err(chunk_dir, e)),
        };
        let decode = |v: &[u8]| value::decode(v).map_err(|e| decode_err(chunk_dir, e));
        match head {
            "attrs" => self
                .attrs
                .insert(&owned_path(segs, chunk_dir)?, decode(v)?)
                .map_err(|e| decode_err(chunk_dir, e))?,
            "end_time" if segs.next().is_none() => self.end_time = EndTime::stored(decode(v)?),
            "contexts" => {
                let tail = owned_path(segs, chunk_dir)?;
                if let Some((Seg::Int(ctx), sub)) = tail.split_first() {
                    match self.contexts.last_mut() {
                        Some((c, b)) if c == ctx => b
                            .insert(sub, decode(v)?)
                            .map_err(|e| decode_err(chunk_dir, e))?,
                        _ => {
                            let mut b = TreeBuilder::new();
                            b.insert(sub, decode(v)?)
                                .map_err(|e| decode_err(chunk_dir, e))?;
                            self.contexts.push((*ctx, b));
                        }
                    }
                }
            }
            "traces" => {
                let mut field3 = || match segs.next() {
                    Some(Ok(s)) => Ok(Some(s)),
                    None => Ok(None),
                    Some(Err(e)) => Err(decode_err(chunk_dir, e)),
                };
                let (Some(SegRef::Int(ctx)), Some(SegRef::Str(name)), Some(SegRef::Str(field))) =
                    (field3()?, field3()?, field3()?)
                else {
                    return Ok(());
                };
                // only the field itself, not sub-keys of object values
                let is_leaf = field3()?.is_none();
                let traces = &mut self.traces;
                let idx = match traces.last() {
                    Some(((c, n), _)) if *c == ctx && n == name => traces.len() - 1,
                    _ => {
                        traces.push(((ctx, name.to_owned()), TraceFields::default()));
                        traces.len() - 1
                    }
                };
                let Some((_, t)) = traces.get_mut(idx) else {
                    return Ok(());
                };
                if is_leaf {
                    match field {
                        "dtype" => {
                            if let Value::Str(s) = decode(v)? {
                                t.dtype = Some(s)
                            }
                        }
                        "version" => t.version = decode(v)?.as_i64(),
                        "first" => t.first = Some(decode(v)?),
                        "first_step" => t.first_step = decode(v)?.as_i64(),
                        "last" => t.last = Some(decode(v)?),
                        "last_step" => t.last_step = decode(v)?.as_i64(),
                        "max" => t.max = Some(decode(v)?),
                        "min" => t.min = Some(decode(v)?),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn finish(self) -> RunMeta {
        let MetaFold {
            attrs,
            contexts,
            traces,
            end_time,
        } = self;
        let contexts: Vec<(i64, Arc<Node>)> = contexts
            .into_iter()
            .map(|(c, b)| (c, Arc::new(b.build())))
            .collect();
        let empty = Arc::new(Node::Dict(Vec::new()));
        let traces = traces
            .into_iter()
            .map(|((ctx_id, name), f)| Trace {
                context: contexts
                    .iter()
                    .find(|(c, _)| *c == ctx_id)
                    .map_or_else(|| empty.clone(), |(_, n)| n.clone()),
                name,
                ctx_id,
                dtype: f.dtype.unwrap_or_else(|| "float".to_owned()),
                version: f.version.unwrap_or(1),
                first: f.first,
                first_step: f.first_step,
                last: f.last,
                last_step: f.last_step,
                max: f.max,
                min: f.min,
            })
            .collect();
        RunMeta {
            attrs: attrs.build(),
            end_time,
            traces,
        }
    }
}

impl RunMeta {
    /// Drops what Aim records about its own machinery: `__system*` params and resource
    /// metrics, and non-numeric sequences (logs, images, texts). Left: the user's params
    /// and metrics, which is all `properties` and `report` look at.
    pub fn keep_user_metrics_and_params(&mut self) {
        if let Node::Dict(entries) = &mut self.attrs {
            entries.retain(|(k, _)| !k.as_str().is_some_and(|k| k.starts_with("__system")));
            entries.shrink_to_fit();
        }
        self.traces.retain(|t| t.is_metric() && !t.is_system());
        self.traces.shrink_to_fit();
    }
}
