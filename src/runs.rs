//! Opening the sources and reading their runs: several repositories read as one, damaged runs
//! and duplicates reported, `--filter` and the archived-runs rule applied.
//!
//! Nothing here prints. What the user should be told comes back as [`Diagnostic`]s, appended
//! in the order found to the caller's list — also when an error ends the load, so that what
//! was found before the error is still said. The command layer prints them.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use aim_store::{Detail, Node, Repo, RepoError, Run, RunMeta, RunProps, Seg, Trace, Value};
use anyhow::Context;

use crate::filter::Filter;
use crate::output::text::suffix;

/// Something the user should be told about the runs read, on stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Diagnostic {
    /// Something is wrong or surprising (`tcbench: warning: …`).
    Warning(String),
    /// Information (`tcbench: …`).
    Note(String),
}

/// A repository read, with the path it was found under.
pub struct Source {
    /// The path as given (or a subfolder of a folder of repositories).
    pub shown: PathBuf,
    /// The repository.
    pub repo: Repo,
}

/// What to read: the repositories, the filter, whether archived runs are kept.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// Every `--aim-repo`: a repository, or a folder whose immediate subfolders are.
    pub paths: &'a [PathBuf],
    /// The `--filter` expression, if any.
    pub filter: Option<&'a str>,
    /// Keep archived runs (`--archived`); a filter naming `archived` decides alone.
    pub archived: bool,
}

/// The runs read, after `--filter` and the archived-runs rule; with [`load_mapped`], what
/// its map made of each run (`X`), in the same order.
pub struct Loaded<X = ()> {
    /// The repositories read, in the order given.
    pub sources: Vec<Source>,
    /// Readable runs (archived ones only with `--archived` or a filter naming `archived`),
    /// in hash order; a hash present in several repositories once.
    pub runs: Vec<Run>,
    /// What [`load_mapped`]'s map made of each run of `runs`, in the same order.
    pub mapped: Vec<X>,
    /// Index into `sources` of each run's repository, by hash.
    origin: HashMap<String, usize>,
    /// True when some run could not be read (or was left out as a conflicting duplicate):
    /// the output is partial.
    pub partial: bool,
}

impl<X> Loaded<X> {
    /// The runs, and apart what [`load_mapped`]'s map made of them.
    pub fn split_mapped(self) -> (Loaded, Vec<X>) {
        let Loaded {
            sources,
            runs,
            mapped,
            origin,
            partial,
        } = self;
        let loaded = Loaded {
            sources,
            runs,
            mapped: Vec::new(),
            origin,
            partial,
        };
        (loaded, mapped)
    }

    /// The repository a run was read from.
    pub fn repo_of(&self, run: &Run) -> &Repo {
        match self
            .sources
            .get(self.source_of(run))
            .or(self.sources.first())
        {
            Some(s) => &s.repo,
            None => unreachable!("runs come from a source"),
        }
    }

    /// The index in [`Loaded::sources`] of the repository a run was read from.
    pub fn source_of(&self, run: &Run) -> usize {
        self.origin.get(run.hash()).copied().unwrap_or(0)
    }
}

/// Parses `--filter`, if given: a parse error is a one-line error with the column, and the
/// expression with a caret under it.
pub fn parse_filter(text: Option<&str>) -> anyhow::Result<Option<Filter>> {
    text.map(|t| Filter::parse(t).map_err(anyhow::Error::from))
        .transpose()
}

/// The repositories directly inside `dir` (hidden folders left out), by name.
fn repos_inside(dir: &Path) -> anyhow::Result<Vec<(PathBuf, Repo)>> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("`{}`", dir.display()))?
        .filter_map(Result::ok)
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    names.sort();
    Ok(names
        .into_iter()
        .filter_map(|p| Repo::open(&p).ok().map(|r| (p, r)))
        .collect())
}

/// A folder given as a repository that is none and holds none in its subfolders: an error of
/// its own type, so that a caller can tell "no repository here" from a damaged one.
#[derive(Debug)]
pub struct NoRepository(pub PathBuf);

impl std::fmt::Display for NoRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` is not an Aim repository (no `.aim` folder with `run_metadata.sqlite`) and none of its subfolders is one; point --aim-repo at the folder that contains `.aim`, or at a folder of such folders",
            self.0.display()
        )
    }
}

impl std::error::Error for NoRepository {}

/// Opens every `--aim-repo`: a repository, or a folder that is not one but whose immediate
/// subfolders are (each of those); the same repository given twice is read once.
pub fn open_sources(paths: &[PathBuf], said: &mut Vec<Diagnostic>) -> anyhow::Result<Vec<Source>> {
    let mut out: Vec<Source> = Vec::new();
    let mut seen: HashMap<PathBuf, PathBuf> = HashMap::new();
    for path in paths {
        let found = match Repo::open(path) {
            Ok(r) => vec![(path.clone(), r)],
            Err(RepoError::NotARepo(_)) if path.is_dir() => {
                let inside = repos_inside(path)?;
                if inside.is_empty() {
                    return Err(NoRepository(path.clone()).into());
                }
                inside
            }
            Err(e) => return Err(e.into()),
        };
        for (shown, repo) in found {
            let key = std::fs::canonicalize(repo.aim_dir())
                .unwrap_or_else(|_| repo.aim_dir().to_path_buf());
            if let Some(first) = seen.get(&key) {
                said.push(Diagnostic::Warning(format!(
                    "`{}` is the same repository as `{}`; read once",
                    shown.display(),
                    first.display()
                )));
                continue;
            }
            seen.insert(key, shown.clone());
            out.push(Source { shown, repo });
        }
    }
    Ok(out)
}

/// Opens the repositories, reads every run (keeping the user's params and metrics, not
/// Aim's `__system*` ones, which no command shows), reports damaged runs and applies
/// `--filter` and the archived-runs rule.
pub fn load(opts: &Options, said: &mut Vec<Diagnostic>) -> anyhow::Result<Loaded> {
    load_with(opts, Detail::Full, said)
}

/// [`load`], reading only `detail` of each run's metadata (all of it when the filter reads
/// params).
pub fn load_with(
    opts: &Options,
    detail: Detail,
    said: &mut Vec<Diagnostic>,
) -> anyhow::Result<Loaded> {
    load_pruned(opts, detail, RunMeta::keep_user_metrics_and_params, said)
}

/// [`load_with`], applying `prune` to each run's metadata as soon as it is read.
pub fn load_pruned(
    opts: &Options,
    detail: Detail,
    prune: impl Fn(&mut RunMeta) + Sync,
    said: &mut Vec<Diagnostic>,
) -> anyhow::Result<Loaded> {
    load_mapped(opts, detail, prune, said)
}

/// What [`load_mapped`] asks of the values its map makes: whether two copies of a run,
/// found in two repositories, are the same once mapped. A map that drops metadata keeps
/// [`meta_digest`] of it to answer.
pub trait SameRun {
    /// True when the two copies' values show the same run.
    fn same_run(&self, other: &Self) -> bool;
}

impl SameRun for () {
    fn same_run(&self, _: &Self) -> bool {
        true
    }
}

/// A mapped value with the [`meta_digest`] of the metadata it was made from (before the
/// map dropped it): two copies of a run are the same when their digests are.
#[derive(Debug, Clone)]
pub struct Digested<T> {
    /// [`meta_digest`] of the run's metadata as read.
    pub digest: u64,
    /// What the map made.
    pub value: T,
}

impl<T> SameRun for Digested<T> {
    fn same_run(&self, other: &Self) -> bool {
        self.digest == other.digest
    }
}

/// [`load_pruned`], where `map` also makes a value of each run's metadata as soon as it is
/// read (and may prune it): [`Loaded::mapped`] holds them, one per run kept. A caller that
/// needs only these values (a table's cells) then never holds every run's trees. With a
/// filter reading params, the params are read whatever `detail` says; `map` should keep
/// them (the filter is applied once every run is read).
pub fn load_mapped<X: Send + SameRun>(
    opts: &Options,
    detail: Detail,
    map: impl Fn(&mut RunMeta) -> X + Sync,
    said: &mut Vec<Diagnostic>,
) -> anyhow::Result<Loaded<X>> {
    let filter = parse_filter(opts.filter)?;
    let detail = match &filter {
        Some(f) if f.needs_params() => Detail::Full,
        _ => detail,
    };
    let sources = open_sources(opts.paths, said)?;
    let mut loaded = Loaded {
        sources,
        runs: Vec::new(),
        mapped: Vec::new(),
        origin: HashMap::new(),
        partial: false,
    };
    read_runs(&mut loaded, detail, &map, said)?;
    let mut pairs: Vec<(Run, X)> = std::mem::take(&mut loaded.runs)
        .into_iter()
        .zip(std::mem::take(&mut loaded.mapped))
        .collect();
    pairs.sort_by(|a, b| a.0.hash().cmp(b.0.hash()));
    select(&mut pairs, filter.as_ref(), opts.archived, said);
    (loaded.runs, loaded.mapped) = pairs.into_iter().unzip();
    Ok(loaded)
}

/// Reads the runs of every source into `loaded`, reporting damage, merges and duplicates.
fn read_runs<X: Send + SameRun>(
    loaded: &mut Loaded<X>,
    detail: Detail,
    map: &(impl Fn(&mut RunMeta) -> X + Sync),
    said: &mut Vec<Diagnostic>,
) -> anyhow::Result<()> {
    // position in `runs` of each hash kept, to compare a duplicate with its first copy
    let mut kept_at: HashMap<String, usize> = HashMap::new();
    for (i, src) in loaded.sources.iter().enumerate() {
        let (scan, mapped) = src
            .repo
            .scan_mapped(detail, map)
            .with_context(|| format!("reading `{}`", src.shown.display()))?;
        for p in &scan.problems {
            said.push(Diagnostic::Warning(p.to_string()));
            loaded.partial = true;
        }
        for m in &scan.merges {
            match m.describe() {
                Some(line) if m.running() => said.push(Diagnostic::Note(line)),
                Some(line) => {
                    said.push(Diagnostic::Warning(line));
                    loaded.partial = true;
                }
                None => {}
            }
        }
        for h in &scan.being_created {
            said.push(Diagnostic::Note(format!(
                "run {h} is being created (writer lock, no row in run_metadata.sqlite yet): not shown"
            )));
        }
        for (run, x) in scan.runs.into_iter().zip(mapped) {
            let Some(&first) = loaded.origin.get(run.hash()) else {
                loaded.origin.insert(run.hash().to_owned(), i);
                kept_at.insert(run.hash().to_owned(), loaded.runs.len());
                loaded.runs.push(run);
                loaded.mapped.push(x);
                continue;
            };
            let first_path = loaded
                .sources
                .get(first)
                .map(|s| s.shown.display().to_string())
                .unwrap_or_default();
            let same = kept_at.get(run.hash()).is_some_and(|&k| {
                loaded.runs.get(k).is_some_and(|r| r.same(&run))
                    && loaded.mapped.get(k).is_some_and(|m| m.same_run(&x))
            });
            if same {
                said.push(Diagnostic::Warning(format!(
                    "run {} is in both `{first_path}` and `{}` with the same metadata; counted once",
                    run.hash(),
                    src.shown.display()
                )));
            } else {
                said.push(Diagnostic::Warning(format!(
                    "run {} is in both `{first_path}` and `{}` with different metadata; the copy in `{first_path}` (given first) is used, the other left out",
                    run.hash(),
                    src.shown.display()
                )));
                loaded.partial = true;
            }
        }
    }
    Ok(())
}

/// Applies `--filter` and the archived-runs rule to `runs`.
fn select<X>(
    runs: &mut Vec<(Run, X)>,
    filter: Option<&Filter>,
    archived: bool,
    said: &mut Vec<Diagnostic>,
) {
    if let Some(f) = filter {
        for p in f.params_in_no_run(runs.iter().map(|(r, _)| r)) {
            said.push(Diagnostic::Warning(format!(
                "--filter: no run has a param `{p}`"
            )));
        }
        let before = runs.len();
        runs.retain(|(r, _)| f.matches(r));
        said.push(Diagnostic::Note(format!(
            "--filter: {} of {before} run{} match",
            runs.len(),
            suffix(before)
        )));
    }
    // a filter naming `archived` decides alone; otherwise archived runs are hidden
    let archived_decided = filter.is_some_and(Filter::mentions_archived);
    if !archived && !archived_decided {
        let before = runs.len();
        runs.retain(|(r, _)| !r.props.archived);
        let hidden = before - runs.len();
        if hidden > 0 {
            let pron = if hidden == 1 { "it" } else { "them" };
            said.push(Diagnostic::Note(format!(
                "{hidden} archived run{} not shown; --archived includes {pron}",
                suffix(hidden)
            )));
        }
    }
}

/// Sorts runs as Aim's `query_runs` lists them, and so the original: newest created first
/// (runs without a creation time last, ties by hash).
pub fn sort_newest_first(runs: &mut [Run]) {
    runs.sort_by(|a, b| {
        b.props
            .creation_time
            .unwrap_or(f64::NEG_INFINITY)
            .total_cmp(&a.props.creation_time.unwrap_or(f64::NEG_INFINITY))
            .then_with(|| a.hash().cmp(b.hash()))
    });
}

/// The metric names (Aim's `__system*` left out) and the context `subset` values of a set of
/// runs, as the original's `get_metric_names` / `get_context_names`.
pub fn metrics_and_contexts(runs: &[Run]) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut metrics = BTreeSet::new();
    let mut contexts = BTreeSet::new();
    for run in runs {
        for t in run
            .meta
            .traces
            .iter()
            .filter(|t| t.is_metric() && !t.is_system())
        {
            metrics.insert(t.name.clone());
            if let Some(s) = t.subset() {
                contexts.insert(s.to_owned());
            }
        }
    }
    (metrics, contexts)
}

/// Equality of two copies of a run, by value: as `==`, except that a float is the same as
/// itself bit for bit — a NaN param is the same NaN in both copies, and `-0.0` is not `0.0`.
trait Same {
    fn same(&self, other: &Self) -> bool;
}

impl Same for f64 {
    fn same(&self, other: &Self) -> bool {
        self.to_bits() == other.to_bits() || (self.is_nan() && other.is_nan())
    }
}

impl<T: Same> Same for Option<T> {
    fn same(&self, other: &Self) -> bool {
        match (self, other) {
            (Some(a), Some(b)) => a.same(b),
            (None, None) => true,
            _ => false,
        }
    }
}

impl<T: Same> Same for Vec<T> {
    fn same(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().zip(other).all(|(a, b)| a.same(b))
    }
}

impl Same for aim_store::EndTime {
    fn same(&self, other: &Self) -> bool {
        use aim_store::EndTime;
        match (self, other) {
            (EndTime::At(a), EndTime::At(b)) => a.same(b),
            (EndTime::Open, EndTime::Open) | (EndTime::NotRecorded, EndTime::NotRecorded) => true,
            _ => false,
        }
    }
}

impl<A: Same, B: Same> Same for (A, B) {
    fn same(&self, other: &Self) -> bool {
        self.0.same(&other.0) && self.1.same(&other.1)
    }
}

/// A digest of a run's metadata (params, end time, traces) that two copies share when
/// [`Run`]s holding them would be the same metadata for duplicate detection (floats by
/// bits, every NaN alike): what a [`load_mapped`] map that drops the metadata keeps, to
/// compare the copies of a run found in two repositories.
pub fn meta_digest(meta: &RunMeta) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    // a fixed seed: the digests of one process compare; nothing keeps them
    let mut h = foldhash::fast::FixedState::with_seed(0).build_hasher();
    meta.attrs.feed(&mut h);
    match meta.end_time {
        aim_store::EndTime::At(t) => {
            h.write_u8(0);
            t.feed(&mut h);
        }
        aim_store::EndTime::Open => h.write_u8(1),
        aim_store::EndTime::NotRecorded => h.write_u8(2),
    }
    h.write_usize(meta.traces.len());
    for t in &meta.traces {
        t.feed(&mut h);
    }
    h.finish()
}

/// [`meta_digest`]'s hasher.
type DigestHasher = foldhash::fast::FoldHasher;

/// Feeding [`meta_digest`]'s hasher, with [`Same`]'s idea of equal values.
trait Feed {
    fn feed(&self, h: &mut DigestHasher);
}

impl Feed for f64 {
    fn feed(&self, h: &mut DigestHasher) {
        use std::hash::Hasher;
        h.write_u64(if self.is_nan() {
            f64::NAN.to_bits()
        } else {
            self.to_bits()
        });
    }
}

impl Feed for Value {
    fn feed(&self, h: &mut DigestHasher) {
        use std::hash::{Hash, Hasher};
        match self {
            Value::Float(f) => {
                h.write_u8(0);
                f.feed(h);
            }
            Value::None => h.write_u8(1),
            Value::Bool(b) => (2u8, b).hash(h),
            Value::Int(i) => (3u8, i).hash(h),
            Value::Str(s) => (4u8, s).hash(h),
            Value::Bytes(b) => (5u8, b).hash(h),
            Value::ArrayMarker => h.write_u8(6),
            Value::ObjectMarker => h.write_u8(7),
            Value::Custom(s) => (8u8, s).hash(h),
            Value::Blob => h.write_u8(9),
        }
    }
}

impl Feed for Node {
    fn feed(&self, h: &mut DigestHasher) {
        use std::hash::{Hash, Hasher};
        let entries = |h: &mut DigestHasher, e: &[(Seg, Node)]| {
            h.write_usize(e.len());
            for (k, v) in e {
                k.hash(h);
                v.feed(h);
            }
        };
        match self {
            Node::Float(f) => {
                h.write_u8(0);
                f.feed(h);
            }
            Node::None => h.write_u8(1),
            Node::Bool(b) => (2u8, b).hash(h),
            Node::Int(i) => (3u8, i).hash(h),
            Node::Str(s) => (4u8, s).hash(h),
            Node::Bytes(b) => (5u8, b).hash(h),
            Node::List(items) => {
                h.write_u8(6);
                h.write_usize(items.len());
                for i in items {
                    i.feed(h);
                }
            }
            Node::Dict(e) => {
                h.write_u8(7);
                entries(h, e);
            }
            Node::Object { type_name, fields } => {
                (8u8, type_name).hash(h);
                entries(h, fields);
            }
            Node::Blob => h.write_u8(9),
        }
    }
}

impl<T: Feed> Feed for Option<T> {
    fn feed(&self, h: &mut DigestHasher) {
        use std::hash::Hasher;
        match self {
            None => h.write_u8(0),
            Some(v) => {
                h.write_u8(1);
                v.feed(h);
            }
        }
    }
}

impl Feed for Trace {
    fn feed(&self, h: &mut DigestHasher) {
        use std::hash::Hash;
        let Trace {
            name,
            ctx_id,
            context,
            dtype,
            version,
            first,
            first_step,
            last,
            last_step,
            max,
            min,
        } = self;
        (name, ctx_id, dtype, version, first_step, last_step).hash(h);
        context.feed(h);
        first.feed(h);
        last.feed(h);
        max.feed(h);
        min.feed(h);
    }
}

/// Types without floats: `==`.
macro_rules! same_by_eq {
    ($($t:ty),*) => {$(
        impl Same for $t {
            fn same(&self, other: &Self) -> bool {
                self == other
            }
        }
    )*};
}
same_by_eq!(bool, i64, String, Seg);

impl Same for Value {
    fn same(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Float(a), Value::Float(b)) => a.same(b),
            (Value::Float(_), _) | (_, Value::Float(_)) => false,
            (a, b) => a == b,
        }
    }
}

impl Same for Node {
    fn same(&self, other: &Self) -> bool {
        match (self, other) {
            (Node::Float(a), Node::Float(b)) => a.same(b),
            (Node::List(a), Node::List(b)) => a.same(b),
            (Node::Dict(a), Node::Dict(b)) => a.same(b),
            (
                Node::Object {
                    type_name: ta,
                    fields: fa,
                },
                Node::Object {
                    type_name: tb,
                    fields: fb,
                },
            ) => ta == tb && fa.same(fb),
            (Node::Float(_) | Node::List(_) | Node::Dict(_) | Node::Object { .. }, _)
            | (_, Node::Float(_) | Node::List(_) | Node::Dict(_) | Node::Object { .. }) => false,
            (a, b) => a == b,
        }
    }
}

impl Same for Trace {
    fn same(&self, other: &Self) -> bool {
        let Trace {
            name,
            ctx_id,
            context,
            dtype,
            version,
            first,
            first_step,
            last,
            last_step,
            max,
            min,
        } = self;
        name.same(&other.name)
            && ctx_id.same(&other.ctx_id)
            && context.as_ref().same(other.context.as_ref())
            && dtype.same(&other.dtype)
            && version.same(&other.version)
            && first.same(&other.first)
            && first_step.same(&other.first_step)
            && last.same(&other.last)
            && last_step.same(&other.last_step)
            && max.same(&other.max)
            && min.same(&other.min)
    }
}

impl Same for Run {
    fn same(&self, other: &Self) -> bool {
        let Run {
            props:
                RunProps {
                    hash,
                    name,
                    description,
                    archived,
                    creation_time,
                    finalized_at,
                    experiment,
                    tags,
                },
            meta:
                RunMeta {
                    attrs,
                    end_time,
                    traces,
                },
        } = self;
        let (p, m) = (&other.props, &other.meta);
        hash.same(&p.hash)
            && name.same(&p.name)
            && description.same(&p.description)
            && archived.same(&p.archived)
            && creation_time.same(&p.creation_time)
            && finalized_at.same(&p.finalized_at)
            && experiment.same(&p.experiment)
            && tags.same(&p.tags)
            && attrs.same(&m.attrs)
            && end_time.same(&m.end_time)
            && traces.same(&m.traces)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_are_the_same_as_their_debug_text_says() {
        let floats = [0.0, -0.0, 1.5, f64::NAN, -f64::NAN, f64::INFINITY];
        for a in floats {
            for b in floats {
                let by_text = format!("{a:?}") == format!("{b:?}");
                assert_eq!(a.same(&b), by_text, "{a:?} vs {b:?}");
                let (na, nb) = (
                    Node::List(vec![Node::Float(a)]),
                    Node::List(vec![Node::Float(b)]),
                );
                assert_eq!(na.same(&nb), by_text);
                assert_eq!(Value::Float(a).same(&Value::Float(b)), by_text);
            }
        }
        assert!(!Node::Int(1).same(&Node::Float(1.0)));
        assert!(Node::Str("a".into()).same(&Node::Str("a".into())));
    }

    #[test]
    fn digests_agree_with_same() {
        let meta = |v: Node| RunMeta {
            attrs: Node::Dict(vec![(Seg::from("p"), v)]),
            end_time: aim_store::EndTime::At(1.5),
            traces: Vec::new(),
        };
        let values = [
            Node::Float(0.0),
            Node::Float(-0.0),
            Node::Float(f64::NAN),
            Node::Float(-f64::NAN),
            Node::Int(0),
            Node::Str("0".into()),
            Node::List(vec![Node::Int(0)]),
            Node::Dict(vec![(Seg::Int(0), Node::Int(0))]),
        ];
        for a in &values {
            for b in &values {
                let (ma, mb) = (meta(a.clone()), meta(b.clone()));
                assert_eq!(
                    meta_digest(&ma) == meta_digest(&mb),
                    ma.attrs.same(&mb.attrs),
                    "{a:?} vs {b:?}"
                );
            }
        }
        let mut open = meta(Node::Int(0));
        open.end_time = aim_store::EndTime::Open;
        assert_ne!(meta_digest(&open), meta_digest(&meta(Node::Int(0))));
    }
}
