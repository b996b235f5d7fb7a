//! Merging Aim repositories by byte copy (docs/aim-format.md §7): every run's `meta/chunks/<H>`
//! and `seqs/chunks/<H>` copied file for file (no RocksDB write at all), tcbench's
//! `artifacts/<H>/` next to `.aim`, and the run's SQLite rows with experiments and tags
//! matched by name. No `meta/index` is written, so Aim (3.29.1 and 3.17.4) reads every run
//! from its own chunks.
//!
//! It exists so that `tcbench aimrepo merge` can combine repositories without Aim and
//! without risk: [`plan`] only reads (sources are never written to), conflicts are found
//! before anything is written, a new destination is assembled in a hidden sibling folder
//! and renamed into place, runs appended to an existing repository are staged and renamed
//! in, and the result is re-read and compared with the sources. It knows nothing of the CLI.

mod db;
mod fsops;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use fsops::{FsError, Listing};

use crate::error::RepoError;
use crate::repo::{par_map, Repo};
use crate::run::EndTime;
use crate::staging::{self, State, Tag};
use crate::write::staging::{self as stage, DirLock, LockError};

/// How to merge.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Add the runs to an existing Aim repository at the destination.
    pub append: bool,
    /// Keep the first copy of a run whose copies differ (instead of failing).
    pub skip_duplicates: bool,
    /// Leave out runs that are still being written.
    pub skip_active: bool,
}

/// A run present twice with different contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// The run hash.
    pub hash: String,
    /// Where the copy that is kept comes from (a source, or the destination).
    pub kept: PathBuf,
    /// The repository whose copy differs.
    pub other: PathBuf,
    /// What differs (`meta chunk`, `seqs chunk`, `artifacts folder`, a SQLite field).
    pub what: &'static str,
}

/// Why a merge does not happen or fails; every variant names the path concerned.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// A source or destination path does not exist.
    #[error("{role} `{}` does not exist", path.display())]
    NotFound {
        /// `source` or `destination`.
        role: &'static str,
        /// The path.
        path: PathBuf,
    },
    /// The path holds no Aim repository.
    #[error("{role} `{}` is not an Aim repository (no `.aim` folder with `run_metadata.sqlite`)", path.display())]
    NotARepo {
        /// `source` or `destination`.
        role: &'static str,
        /// The path.
        path: PathBuf,
    },
    /// The destination exists and is not empty (without `--append`).
    #[error("destination `{}` exists and is not empty; merge never overwrites it: choose a new --dst, or --append to add the runs to the Aim repository there", .0.display())]
    DstNotEmpty(PathBuf),
    /// The destination is not a folder.
    #[error("destination `{}` exists and is not a folder", .0.display())]
    DstNotDir(PathBuf),
    /// The destination is a source or inside one.
    #[error("destination `{}` is the source `{}` or inside its folder; sources are never written to", dst.display(), src.display())]
    DstIsSource {
        /// The destination.
        dst: PathBuf,
        /// The source.
        src: PathBuf,
    },
    /// Sources (or source and destination) hold different Aim data versions.
    #[error("`{}` holds Aim data version {found:?} but `{}` holds {first:?}; upgrade them with the same Aim first", path.display(), first_path.display())]
    Version {
        /// The repository with the other version.
        path: PathBuf,
        /// Its version.
        found: String,
        /// The first repository.
        first_path: PathBuf,
        /// Its version.
        first: String,
    },
    /// Runs present twice with different contents.
    #[error("{}", conflicts_message(.0))]
    Conflicts(Vec<Conflict>),
    /// An I/O error.
    #[error("`{}`: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A SQLite error.
    #[error("`{}`: SQLite: {reason}", path.display())]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        reason: String,
    },
    /// Another merge into the destination is running.
    #[error("another merge into `{}` is in progress ({}); nothing written: run this merge again once it has finished", dst.display(), busy_text(*pid, staging.as_deref()))]
    Busy {
        /// The destination.
        dst: PathBuf,
        /// The other merge's process, when known.
        pid: Option<u32>,
        /// Its staging folder, when it has one yet.
        staging: Option<PathBuf>,
    },
    /// The destination, re-read after copying, does not match the sources.
    #[error("`{}` does not match the sources after copying: {}", path.display(), problems.join("; "))]
    Verify {
        /// The destination (or its temporary folder, which is removed).
        path: PathBuf,
        /// What differs.
        problems: Vec<String>,
    },
}

fn busy_text(pid: Option<u32>, staging: Option<&Path>) -> String {
    let who = match pid {
        Some(p) => format!("process {p}"),
        None => "a process that holds its lock".into(),
    };
    match staging {
        Some(s) => format!("{who}, staging folder `{}`", s.display()),
        None => who,
    }
}

fn conflicts_message(c: &[Conflict]) -> String {
    let mut parts: Vec<String> = c
        .iter()
        .take(10)
        .map(|c| {
            format!(
                "{} ({} differs between `{}` and `{}`)",
                c.hash,
                c.what,
                c.kept.display(),
                c.other.display()
            )
        })
        .collect();
    if c.len() > 10 {
        parts.push(format!("and {} more", c.len() - 10));
    }
    format!(
        "{} run{} present twice with different contents: {}; nothing written (--skip-duplicates keeps the first copy of each)",
        c.len(),
        if c.len() == 1 { "" } else { "s" },
        parts.join(", ")
    )
}

impl From<FsError> for MergeError {
    fn from(e: FsError) -> Self {
        MergeError::Io {
            path: e.path,
            source: e.source,
        }
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> MergeError + '_ {
    move |source| MergeError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn sql_err(path: &Path) -> impl FnOnce(rusqlite::Error) -> MergeError + '_ {
    move |e| MergeError::Sqlite {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

fn repo_err(role: &'static str, e: RepoError) -> MergeError {
    match e {
        RepoError::NotFound(path) => MergeError::NotFound { role, path },
        RepoError::NotARepo(path) => MergeError::NotARepo { role, path },
        RepoError::Io { path, source } => MergeError::Io { path, source },
        RepoError::Sqlite { path, reason } => MergeError::Sqlite { path, reason },
    }
}

/// What one source contributes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceSummary {
    /// The source as given.
    pub path: PathBuf,
    /// Runs (meta chunks) in the source.
    pub runs: usize,
    /// Runs copied from this source.
    pub copied: usize,
    /// Bytes copied from this source (chunk files and artifacts).
    pub bytes: u64,
    /// Runs identical to a copy already taken from an earlier source or already in the
    /// destination: merged once.
    pub identical: usize,
    /// Runs left out because they differ from the copy kept (`--skip-duplicates`).
    pub conflicting: Vec<String>,
    /// Runs still being written (softlock or progress marker, no end time): copied as a
    /// snapshot, or left out with `--skip-active`.
    pub active: Vec<String>,
}

/// Where the runs go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    /// A new repository (the destination does not exist, or is an empty folder).
    New,
    /// An existing repository holding this many runs.
    Append {
        /// Runs already there.
        runs: usize,
    },
}

/// Progress counters, updated while [`Plan::execute`] runs (for a progress bar).
#[derive(Debug, Default)]
pub struct Progress {
    /// Runs copied so far.
    pub runs: AtomicUsize,
    /// Bytes copied so far.
    pub bytes: AtomicU64,
    /// Runs re-read and checked so far.
    pub verified: AtomicUsize,
    /// True once copying is over and the destination is being checked.
    pub verifying: AtomicBool,
}

/// One component of a run, from one repository.
#[derive(Clone, Debug)]
struct Part {
    /// Index into `Plan::repos`.
    origin: usize,
    dir: PathBuf,
    listing: Listing,
}

/// What is copied for one run.
#[derive(Clone, Debug)]
struct Job {
    hash: String,
    meta: Option<Part>,
    seqs: Option<Part>,
    artifacts: Option<Part>,
    row: Option<db::RunRow>,
    live: bool,
    /// The source chunks the copy is checked against (`None` when kept from the destination).
    check_meta: Option<PathBuf>,
    check_seqs: Option<PathBuf>,
}

/// A merge worked out from the sources and the destination, before anything is written.
#[derive(Debug)]
pub struct Plan {
    /// The destination as given.
    pub dst: PathBuf,
    /// New repository, or append.
    pub destination: Destination,
    /// Per source, in the order given.
    pub sources: Vec<SourceSummary>,
    /// Things the user should know (active runs, skipped duplicates, leftovers, the index).
    pub warnings: Vec<String>,
    /// Source runs that are incomplete (a chunk without SQLite row, a SQLite row without
    /// chunk): copied as they are, or left out; each a line naming the path.
    pub problems: Vec<String>,
    /// The destination's `meta/index`, removed by an append: it is derived data (Aim reads
    /// every run from its own chunks without it; `aim storage reindex` rebuilds it), and a
    /// stale index would hide the appended runs from Aim.
    pub index_to_remove: Option<PathBuf>,
    /// Leftovers of killed merges that are provably ours and whose process is gone: removed
    /// by [`Plan::execute`]. (Other leftovers are only named in `warnings`.)
    pub removable: Vec<PathBuf>,
    /// Runs to copy.
    pub runs: usize,
    /// Bytes to copy.
    pub bytes: u64,
    /// The lock of an existing destination, held from before it is read until the plan is
    /// dropped: no other merge appends to it meanwhile.
    _lock: Option<DirLock>,
    dst_root: PathBuf,
    /// The destination as an absolute path (its parent canonical).
    dst_abs: PathBuf,
    version: String,
    jobs: Vec<Job>,
    /// Every run the destination holds afterwards.
    final_runs: BTreeSet<String>,
}

/// What a merge did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Runs copied.
    pub runs: usize,
    /// Bytes copied.
    pub bytes: u64,
    /// Runs the destination holds.
    pub dst_runs: usize,
    /// Finished runs whose copied chunks read whole and are byte-identical to the source's
    /// (hence hold the same keys).
    pub verified: usize,
    /// Keys read back from the copied chunks.
    pub keys: u64,
    /// Source runs that could not be read by our reader (copied byte for byte as they are).
    pub problems: Vec<String>,
}

/// A run of one repository: its parts on disk and its SQLite row.
#[derive(Clone, Debug)]
struct RepoRun {
    meta: Option<Listing>,
    seqs: Option<Listing>,
    artifacts: Option<Listing>,
    row: Option<db::RunRow>,
    live: bool,
    /// The end time of a run closed by Aim < 3.20: in the source's `meta/index` only (see
    /// [`Repo::index_end_times`]), so not carried over; the copy shows as active.
    index_end: Option<f64>,
}

/// A repository taking part: a source, or the destination of an append.
#[derive(Debug)]
struct Loaded {
    shown: PathBuf,
    repo: Repo,
    runs: BTreeMap<String, RepoRun>,
    /// Meta chunk count (the run set).
    run_count: usize,
}

impl Loaded {
    fn meta_dir(&self, h: &str) -> PathBuf {
        self.repo.meta_chunk(h)
    }
    fn seqs_dir(&self, h: &str) -> PathBuf {
        self.repo.seqs_chunk(h)
    }
    fn artifacts_dir(&self, h: &str) -> PathBuf {
        self.repo.root().join("artifacts").join(h)
    }
}

fn subdirs(dir: &Path) -> Result<Vec<String>, MergeError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(dir)(e)),
    };
    let mut out = Vec::new();
    for e in entries {
        let e = e.map_err(io_err(dir))?;
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            if let Some(n) = e.file_name().to_str() {
                if !n.starts_with('.') {
                    out.push(n.to_owned());
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

fn read_version(aim_dir: &Path) -> Result<Option<String>, MergeError> {
    let p = aim_dir.join("VERSION");
    match rocks_reader::file::read_regular(&p, 4096) {
        Ok(s) => Ok(Some(String::from_utf8_lossy(&s).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(&p)(e)),
    }
}

/// True when a writer left its marks: `locks/<H>.softlock`, `meta/progress/<H>` or
/// `seqs/progress/<H>`.
fn has_writer_marks(aim_dir: &Path, h: &str) -> bool {
    aim_dir.join("locks").join(format!("{h}.softlock")).exists()
        || aim_dir.join("meta").join("progress").join(h).exists()
        || aim_dir.join("seqs").join("progress").join(h).exists()
}

/// Loads what a merge needs of a repository: for `only` (or every run when None), the
/// listing of its chunk folders and artifacts, and its SQLite rows. A source's runs are
/// restricted to those `select` accepts, when given (the others are not looked at).
fn load(
    shown: &Path,
    repo: Repo,
    only: Option<&BTreeSet<String>>,
    select: Option<&dyn Fn(&str) -> bool>,
) -> Result<(Loaded, Vec<String>), MergeError> {
    let role = if only.is_some() {
        "destination"
    } else {
        "source"
    };
    let aim = repo.aim_dir().to_path_buf();
    let metas = repo.chunk_hashes().map_err(|e| repo_err(role, e))?;
    let run_count = metas.len();
    let sqlite = crate::sqlite::sqlite_path(&aim);
    let mut rows = db::read_rows(&sqlite).map_err(sql_err(&sqlite))?;
    let mut hashes: BTreeSet<String> = metas.iter().cloned().collect();
    if only.is_some() {
        // a destination: also the parts an interrupted append may have placed without their
        // meta chunk, and rows without chunk, so that they are compared too
        hashes.extend(subdirs(&aim.join("seqs").join("chunks"))?);
        hashes.extend(subdirs(&repo.root().join("artifacts"))?);
        hashes.extend(rows.keys().cloned());
    }
    let hashes: Vec<String> = hashes
        .into_iter()
        .filter(|h| match only {
            Some(o) => o.contains(h),
            None => true,
        })
        .filter(|h| match select {
            Some(f) => f(h),
            None => true,
        })
        .collect();
    let meta_set: BTreeSet<&str> = metas.iter().map(String::as_str).collect();
    let listed = par_map(&hashes, |h| -> Result<_, FsError> {
        let meta = if meta_set.contains(h.as_str()) {
            fsops::list(&repo.meta_chunk(h), fsops::skip_in_chunk)?
        } else {
            None
        };
        let seqs = fsops::list(&repo.seqs_chunk(h), fsops::skip_in_chunk)?;
        let artifacts = fsops::list(&repo.root().join("artifacts").join(h), |_| false)?;
        Ok((meta, seqs, artifacts))
    });
    let mut runs = BTreeMap::new();
    let mut problems = Vec::new();
    for (h, l) in hashes.iter().zip(listed) {
        let (meta, seqs, artifacts) = match l {
            Ok(listing) => listing,
            // a source run whose folder cannot be listed (a symlink loop, a file where a
            // folder should be, no permission) is named and left out; the others merge
            Err(e) if only.is_none() => {
                problems.push(format!(
                    "run {h}: `{}`: {}; left out (nothing of it can be copied)",
                    e.path.display(),
                    e.source
                ));
                rows.remove(h);
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let row = rows.remove(h);
        let live = meta.is_some()
            && has_writer_marks(&aim, h)
            && match crate::run::read_meta(&repo.meta_chunk(h), h) {
                Ok(m) => match m.end_time {
                    EndTime::At(_) => false,
                    EndTime::Open => true,
                    EndTime::NotRecorded => {
                        !matches!(&row, Some(r) if r.finalized_at != rusqlite::types::Value::Null)
                    }
                },
                Err(_) => true,
            };
        runs.insert(
            h.clone(),
            RepoRun {
                meta,
                seqs,
                artifacts,
                row,
                live,
                index_end: None,
            },
        );
    }
    let live: Vec<&str> = runs
        .iter()
        .filter(|(_, r)| r.live)
        .map(|(h, _)| h.as_str())
        .collect();
    if !live.is_empty() {
        let ends = repo.index_end_times(live);
        for (h, t) in ends {
            if let (Some(r), Ok(t)) = (runs.get_mut(&h), t) {
                r.index_end = Some(t);
            }
        }
    }
    if only.is_none() {
        for (h, r) in &runs {
            if r.row.is_none() {
                problems.push(format!(
                    "run {h}: `{}` has no row in `{}`; its chunks are copied without one",
                    repo.meta_chunk(h).display(),
                    sqlite.display()
                ));
            }
        }
        // rows without chunk (the rows of runs not selected have one: not reported)
        let mut ghosts: Vec<&String> = rows
            .keys()
            .filter(|h| select.is_none() && !meta_set.contains(h.as_str()))
            .collect();
        ghosts.sort();
        for h in ghosts {
            problems.push(format!(
                "run {h}: row in `{}` but no meta chunk `{}`; left out",
                sqlite.display(),
                repo.meta_chunk(h).display()
            ));
        }
    }
    Ok((
        Loaded {
            shown: shown.to_path_buf(),
            repo,
            runs,
            run_count,
        },
        problems,
    ))
}

/// True when two copies of a chunk hold the same data: the same files byte for byte, or
/// (files rewritten, e.g. a WAL flushed into an SST by Aim's SDK) the same key/value pairs.
fn same_chunk(a: &Path, la: &Listing, b: &Path, lb: &Listing) -> Result<bool, FsError> {
    if fsops::same_content(a, la, b, lb)? {
        return Ok(true);
    }
    let (Ok(da), Ok(db)) = (rocks_reader::Db::open(a), rocks_reader::Db::open(b)) else {
        return Ok(false);
    };
    let mut ia = da.iter();
    let mut ib = db.iter();
    loop {
        match (ia.next(), ib.next()) {
            (None, None) => return Ok(true),
            (Some(Ok(x)), Some(Ok(y))) if x == y => {}
            _ => return Ok(false),
        }
    }
}

/// Which component of two copies of a run differs (both present and different), if any.
fn difference(
    a: &Loaded,
    ra: &RepoRun,
    b: &Loaded,
    rb: &RepoRun,
    h: &str,
) -> Result<Option<&'static str>, FsError> {
    if let (Some(la), Some(lb)) = (&ra.meta, &rb.meta) {
        if !same_chunk(&a.meta_dir(h), la, &b.meta_dir(h), lb)? {
            return Ok(Some("meta chunk"));
        }
    }
    if let (Some(la), Some(lb)) = (&ra.seqs, &rb.seqs) {
        if !same_chunk(&a.seqs_dir(h), la, &b.seqs_dir(h), lb)? {
            return Ok(Some("seqs chunk"));
        }
    }
    if let (Some(la), Some(lb)) = (&ra.artifacts, &rb.artifacts) {
        if !fsops::same_content(&a.artifacts_dir(h), la, &b.artifacts_dir(h), lb)? {
            return Ok(Some("artifacts folder"));
        }
    }
    if let (Some(x), Some(y)) = (&ra.row, &rb.row) {
        if !x.same_as(y) {
            return Ok(Some(x.difference(y)));
        }
    }
    Ok(None)
}

/// For each component of a kept run, the repository (index into the loaded list) it comes from.
#[derive(Clone, Debug, Default)]
struct Kept {
    meta: Option<usize>,
    seqs: Option<usize>,
    artifacts: Option<usize>,
    row: Option<usize>,
    live: bool,
}

fn canonical_or_self(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Which runs [`plan_selected`] takes: `select(i, hash)`, `i` the index of the source.
pub type Select<'a> = &'a dyn Fn(usize, &str) -> bool;

/// Works out a merge of `sources` into `dst`, reading only: nothing is written anywhere.
pub fn plan(sources: &[PathBuf], dst: &Path, opts: Options) -> Result<Plan, MergeError> {
    plan_selected(sources, dst, opts, None)
}

/// [`plan`] of only the runs `select(i, hash)` accepts, `i` being the index of the source in
/// `sources`: the others are neither copied nor compared (a run left out is no duplicate
/// or conflict), and a source's rows without chunk are not reported (the caller, which
/// selected, read them).
pub fn plan_selected(
    sources: &[PathBuf],
    dst: &Path,
    opts: Options,
    select: Option<Select<'_>>,
) -> Result<Plan, MergeError> {
    let mut warnings = Vec::new();
    let mut problems = Vec::new();
    // sources
    let mut repos: Vec<(PathBuf, Repo)> = Vec::new();
    let mut given: Vec<usize> = Vec::new();
    let mut seen: HashMap<PathBuf, PathBuf> = HashMap::new();
    for (gi, src) in sources.iter().enumerate() {
        let repo = Repo::open(src).map_err(|e| repo_err("source", e))?;
        let key = canonical_or_self(repo.aim_dir());
        if let Some(first) = seen.get(&key) {
            warnings.push(format!(
                "source `{}` is the same repository as `{}`; read once",
                src.display(),
                first.display()
            ));
            continue;
        }
        seen.insert(key, src.clone());
        repos.push((src.clone(), repo));
        given.push(gi);
    }
    // destination
    let dst_canon = match std::fs::canonicalize(dst) {
        Ok(p) => p,
        Err(_) => match (dst.parent(), dst.file_name()) {
            (Some(p), Some(n)) if !p.as_os_str().is_empty() => canonical_or_self(p).join(n),
            _ => std::env::current_dir()
                .map(|d| d.join(dst))
                .unwrap_or_else(|_| dst.to_path_buf()),
        },
    };
    for (shown, repo) in &repos {
        // nothing is ever created inside a source's folder
        let root = canonical_or_self(repo.root());
        let aim = canonical_or_self(repo.aim_dir());
        if dst_canon.starts_with(&root) || dst_canon.starts_with(&aim) {
            return Err(MergeError::DstIsSource {
                dst: dst.to_path_buf(),
                src: shown.clone(),
            });
        }
    }
    let mut destination = Destination::New;
    let mut dst_repo = None;
    let mut lock = None;
    match std::fs::symlink_metadata(dst) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_err(dst)(e)),
        Ok(md) if !md.is_dir() && !std::fs::metadata(dst).is_ok_and(|m| m.is_dir()) => {
            return Err(MergeError::DstNotDir(dst.to_path_buf()))
        }
        Ok(_) => {
            if !fsops::is_empty_dir(dst)? {
                if !opts.append {
                    return Err(MergeError::DstNotEmpty(dst.to_path_buf()));
                }
                let repo = Repo::open(dst).map_err(|e| repo_err("destination", e))?;
                // before anything of it is read: another merge may be placing runs
                lock = lock_destination(dst, repo.root())?;
                destination = Destination::Append {
                    runs: repo
                        .chunk_hashes()
                        .map_err(|e| repo_err("destination", e))?
                        .len(),
                };
                dst_repo = Some(repo);
            }
        }
    }
    let dst_root = match &dst_repo {
        Some(r) => r.root().to_path_buf(),
        None => dst.to_path_buf(),
    };
    // data versions
    let mut version: Option<(PathBuf, String)> = None;
    let mut all_aims: Vec<(PathBuf, PathBuf)> = repos
        .iter()
        .map(|(s, r)| (s.clone(), r.aim_dir().to_path_buf()))
        .collect();
    if let Some(r) = &dst_repo {
        all_aims.insert(0, (dst.to_path_buf(), r.aim_dir().to_path_buf()));
    }
    for (shown, aim) in &all_aims {
        if let Some(v) = read_version(aim)? {
            match &version {
                None => version = Some((shown.clone(), v)),
                Some((first_path, first)) if first.trim() != v.trim() => {
                    return Err(MergeError::Version {
                        path: shown.clone(),
                        found: v.trim().to_owned(),
                        first_path: first_path.clone(),
                        first: first.trim().to_owned(),
                    })
                }
                Some(_) => {}
            }
        }
    }
    let version = version.map(|(_, v)| v).unwrap_or_else(|| "1.3\n".into());
    // read the sources
    let mut loaded = Vec::new();
    for ((shown, repo), gi) in repos.into_iter().zip(given) {
        let this = select.map(|f| move |h: &str| f(gi, h));
        let this: Option<&dyn Fn(&str) -> bool> = this.as_ref().map(|f| f as _);
        let (l, p) = load(&shown, repo, None, this)?;
        problems.extend(p);
        loaded.push(l);
    }
    let n_src = loaded.len();
    let mut kept: BTreeMap<String, Kept> = BTreeMap::new();
    let mut index_to_remove = None;
    if let Some(repo) = dst_repo {
        let wanted: BTreeSet<String> = loaded.iter().flat_map(|l| l.runs.keys().cloned()).collect();
        let all_dst: BTreeSet<String> = repo
            .chunk_hashes()
            .map_err(|e| repo_err("destination", e))?
            .into_iter()
            .collect();
        let (l, _) = load(dst, repo, Some(&wanted), None)?;
        for h in &all_dst {
            kept.insert(h.clone(), Kept::default());
        }
        for (h, r) in &l.runs {
            let k = kept.entry(h.clone()).or_default();
            k.meta = r.meta.as_ref().map(|_| n_src);
            k.seqs = r.seqs.as_ref().map(|_| n_src);
            k.artifacts = r.artifacts.as_ref().map(|_| n_src);
            k.row = r.row.as_ref().map(|_| n_src);
        }
        for h in &all_dst {
            if let Some(k) = kept.get_mut(h) {
                k.meta = Some(n_src);
            }
        }
        let index = l.repo.aim_dir().join("meta").join("index");
        if std::fs::symlink_metadata(&index).is_ok() {
            index_to_remove = Some(index);
        }
        loaded.push(l);
    }
    // choose a copy of every run
    let mut summaries: Vec<SourceSummary> = loaded
        .iter()
        .take(n_src)
        .map(|l| SourceSummary {
            path: l.shown.clone(),
            runs: l.run_count,
            ..SourceSummary::default()
        })
        .collect();
    let mut conflicts = Vec::new();
    for s in 0..n_src {
        let Some(src) = loaded.get(s) else { continue };
        for (h, r) in &src.runs {
            if r.meta.is_none() {
                continue;
            }
            let Some(summary) = summaries.get_mut(s) else {
                continue;
            };
            let closed_in_index = |what: &str| {
                format!(
                    "run {h} in `{}` was closed by an Aim older than 3.20, which wrote its end time ({}) into `meta/index` only, not into its chunk; merge copies chunks, not the index: {what}",
                    src.shown.display(),
                    r.index_end.unwrap_or_default()
                )
            };
            if r.live {
                summary.active.push(h.clone());
                if opts.skip_active {
                    warnings.push(match r.index_end {
                        Some(_) => closed_in_index("left out (--skip-active)"),
                        None => format!(
                            "run {h} in `{}` is still being written or was killed (writer marks, no end time): left out (--skip-active)",
                            src.shown.display()
                        ),
                    });
                    continue;
                }
            }
            let Some(k) = kept.get_mut(h) else {
                kept.insert(
                    h.clone(),
                    Kept {
                        meta: Some(s),
                        seqs: r.seqs.as_ref().map(|_| s),
                        artifacts: r.artifacts.as_ref().map(|_| s),
                        row: r.row.as_ref().map(|_| s),
                        live: r.live,
                    },
                );
                summary.copied += 1;
                if r.live {
                    warnings.push(match r.index_end {
                        Some(_) => closed_in_index(&format!("the copy has no end time and shows as active (--skip-active leaves it out; in the merged repository, `aim runs close -y {h}` with Aim 3.20 or later marks it finished, at the time of that close)")),
                        None => format!(
                            "run {h} in `{}` is still being written or was killed (writer marks, no end time): it is copied as a crash-consistent snapshot and stays active (--skip-active leaves it out)",
                            src.shown.display()
                        ),
                    });
                }
                continue;
            };
            // a copy is kept already: compare every component that both have
            let mut diff = None;
            for (origin, what) in [(k.meta, 0u8), (k.seqs, 1), (k.artifacts, 2), (k.row, 3)] {
                let Some(o) = origin else { continue };
                let Some(other) = loaded.get(o) else { continue };
                let Some(or) = other.runs.get(h) else {
                    continue;
                };
                // compare one component only: blank out the others
                let pick = |x: &RepoRun| RepoRun {
                    meta: if what == 0 { x.meta.clone() } else { None },
                    seqs: if what == 1 { x.seqs.clone() } else { None },
                    artifacts: if what == 2 { x.artifacts.clone() } else { None },
                    row: if what == 3 { x.row.clone() } else { None },
                    live: x.live,
                    index_end: x.index_end,
                };
                if let Some(d) = difference(other, &pick(or), src, &pick(r), h)? {
                    diff = Some((other.shown.clone(), d));
                    break;
                }
            }
            if let Some((kept_path, what)) = diff {
                if opts.skip_duplicates {
                    summary.conflicting.push(h.clone());
                    warnings.push(format!(
                        "run {h} in `{}` differs from the copy kept from `{}` ({what}): left out (--skip-duplicates)",
                        src.shown.display(),
                        kept_path.display()
                    ));
                } else {
                    conflicts.push(Conflict {
                        hash: h.clone(),
                        kept: kept_path,
                        other: src.shown.clone(),
                        what,
                    });
                }
                continue;
            }
            if k.meta.is_none() {
                // parts of an interrupted append: this source completes the run
                k.meta = Some(s);
                k.live = r.live;
                summary.copied += 1;
            } else {
                summary.identical += 1;
            }
            if k.seqs.is_none() && r.seqs.is_some() {
                k.seqs = Some(s);
            }
            if k.artifacts.is_none() && r.artifacts.is_some() {
                k.artifacts = Some(s);
            }
            if k.row.is_none() && r.row.is_some() {
                k.row = Some(s);
            }
        }
    }
    if !conflicts.is_empty() {
        return Err(MergeError::Conflicts(conflicts));
    }
    // what is copied
    let mut jobs = Vec::new();
    let mut final_runs = BTreeSet::new();
    for (h, k) in &kept {
        if k.meta.is_some() {
            final_runs.insert(h.clone());
        }
        let part = |origin: Option<usize>, which: u8| -> Option<Part> {
            let o = origin.filter(|o| *o < n_src)?;
            let l = loaded.get(o)?;
            let r = l.runs.get(h)?;
            let (dir, listing) = match which {
                0 => (l.meta_dir(h), r.meta.clone()?),
                1 => (l.seqs_dir(h), r.seqs.clone()?),
                _ => (l.artifacts_dir(h), r.artifacts.clone()?),
            };
            Some(Part {
                origin: o,
                dir,
                listing,
            })
        };
        let row = k
            .row
            .filter(|o| *o < n_src)
            .and_then(|o| loaded.get(o)?.runs.get(h)?.row.clone());
        let job = Job {
            hash: h.clone(),
            meta: part(k.meta, 0),
            seqs: part(k.seqs, 1),
            artifacts: part(k.artifacts, 2),
            row,
            live: k.live,
            check_meta: k
                .meta
                .filter(|o| *o < n_src)
                .and_then(|o| Some(loaded.get(o)?.meta_dir(h))),
            check_seqs: k
                .seqs
                .filter(|o| *o < n_src)
                .and_then(|o| Some(loaded.get(o)?.seqs_dir(h))),
        };
        if job.meta.is_some() || job.seqs.is_some() || job.artifacts.is_some() || job.row.is_some()
        {
            for p in [&job.meta, &job.seqs, &job.artifacts].into_iter().flatten() {
                if let Some(s) = summaries.get_mut(p.origin) {
                    s.bytes += p.listing.bytes;
                }
            }
            jobs.push(job);
        }
    }
    // the index only matters when runs are added
    if !jobs.iter().any(|j| j.meta.is_some()) {
        index_to_remove = None;
    }
    // leftovers of killed merges
    let mut removable = Vec::new();
    let mut found = Vec::new();
    if let (Some(parent), Some(name)) = (dst_canon.parent(), dst_canon.file_name()) {
        found.extend(staging::leftovers(
            parent,
            &format!(".{}", name.to_string_lossy()),
            Tag::Merge,
        ));
    }
    if matches!(destination, Destination::Append { .. }) {
        found.extend(staging::leftovers(&dst_root, "", Tag::Merge));
    }
    for l in found {
        if l.state == State::Running {
            return Err(MergeError::Busy {
                dst: dst.to_path_buf(),
                pid: l.pid,
                staging: Some(l.path),
            });
        }
        if l.removable() {
            removable.push(l.path);
        } else {
            warnings.push(format!(
                "`{}` looks like the leftover of an interrupted merge{}; delete it if no merge is running",
                l.path.display(),
                l.pid.map(|p| format!(" (process {p})")).unwrap_or_default()
            ));
        }
    }
    let runs = jobs.iter().filter(|j| j.meta.is_some()).count();
    let bytes = summaries.iter().map(|s| s.bytes).sum();
    Ok(Plan {
        dst: dst.to_path_buf(),
        destination,
        sources: summaries,
        warnings,
        problems,
        index_to_remove,
        runs,
        bytes,
        dst_root,
        dst_abs: dst_canon,
        version,
        jobs,
        final_runs,
        removable,
        _lock: lock,
    })
}

/// Takes the lock of an existing destination (its root folder) or says which merge holds it.
fn lock_destination(dst: &Path, root: &Path) -> Result<Option<DirLock>, MergeError> {
    match stage::lock_dir(root) {
        Ok(l) => Ok(l),
        Err(LockError::Io(source)) => Err(MergeError::Io {
            path: root.to_path_buf(),
            source,
        }),
        Err(LockError::Busy(pid)) => {
            let staging = staging::leftovers(root, "", Tag::Merge)
                .into_iter()
                .find(|l| l.state == State::Running && (pid.is_none() || l.pid == pid))
                .map(|l| l.path);
            Err(MergeError::Busy {
                dst: dst.to_path_buf(),
                pid,
                staging,
            })
        }
    }
}

/// Copies a chunk folder; for a run still being written, retries while files vanish under
/// the writer and until the copy opens and reads whole (a crash-consistent snapshot).
fn copy_chunk(part: &Part, to: &Path, live: bool, bytes: &AtomicU64) -> Result<u64, MergeError> {
    if !live {
        return Ok(fsops::copy_listed(&part.dir, &part.listing, to, bytes)?);
    }
    let mut last = None;
    for _ in 0..20 {
        fsops::remove_tree(to)?;
        let listing = match fsops::list(&part.dir, fsops::skip_in_chunk)? {
            Some(l) => l,
            None => part.listing.clone(),
        };
        match fsops::copy_listed(&part.dir, &listing, to, bytes) {
            Ok(n) => {
                let readable = rocks_reader::Db::open(to)
                    .map_err(|e| e.to_string())
                    .and_then(|db| {
                        db.iter()
                            .try_for_each(|kv| kv.map(|_| ()))
                            .map_err(|e| e.to_string())
                    });
                match readable {
                    Ok(()) => return Ok(n),
                    Err(e) => {
                        last = Some(MergeError::Io {
                            path: part.dir.clone(),
                            source: std::io::Error::other(format!(
                                "no readable snapshot of a chunk being written: {e}"
                            )),
                        })
                    }
                }
            }
            Err(e) if e.vanished() => last = Some(e.into()),
            Err(e) => return Err(e.into()),
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    Err(last.unwrap_or_else(|| MergeError::Io {
        path: part.dir.clone(),
        source: std::io::Error::other("cannot copy a chunk being written"),
    }))
}

/// True when the chunk folder `dst` holds exactly the data files of `src` (all but `LOCK`
/// and `LOG*`, listed afresh), byte for byte.
fn same_files(src: &Path, dst: &Path) -> Result<bool, FsError> {
    match (
        fsops::list(src, fsops::skip_in_chunk)?,
        fsops::list(dst, fsops::skip_in_chunk)?,
    ) {
        (Some(a), Some(b)) => fsops::same_content(src, &a, dst, &b),
        _ => Ok(false),
    }
}

/// Where a job's parts go.
struct Targets {
    meta: PathBuf,
    seqs: PathBuf,
    artifacts: PathBuf,
}

fn run_job(job: &Job, t: &Targets, progress: &Progress) -> Result<u64, MergeError> {
    let h = &job.hash;
    let mut n = 0;
    if let Some(p) = &job.meta {
        n += copy_chunk(p, &t.meta.join(h), job.live, &progress.bytes)?;
    }
    if let Some(p) = &job.seqs {
        n += copy_chunk(p, &t.seqs.join(h), job.live, &progress.bytes)?;
    }
    if let Some(p) = &job.artifacts {
        n += fsops::copy_listed(&p.dir, &p.listing, &t.artifacts.join(h), &progress.bytes)?;
    }
    progress.runs.fetch_add(1, Ordering::Relaxed);
    Ok(n)
}

fn copy_all(jobs: &[Job], t: &Targets, progress: &Progress) -> Result<u64, MergeError> {
    let failed = AtomicBool::new(false);
    let results = par_map(jobs, |j| {
        if failed.load(Ordering::Relaxed) {
            return Ok(0);
        }
        let r = run_job(j, t, progress);
        if r.is_err() {
            failed.store(true, Ordering::Relaxed);
        }
        r
    });
    let mut total = 0;
    for r in results {
        total += r?;
    }
    Ok(total)
}

fn mkdirs(dirs: &[&Path]) -> Result<(), MergeError> {
    for d in dirs {
        std::fs::create_dir_all(d).map_err(io_err(d))?;
    }
    Ok(())
}

impl Plan {
    /// Performs the merge and checks the result; see the module documentation for the
    /// guarantees. Progress goes to `progress`.
    pub fn execute(&self, progress: &Progress) -> Result<Outcome, MergeError> {
        for l in &self.removable {
            fsops::remove_tree(l)?;
        }
        match self.destination {
            Destination::New => self.execute_new(progress),
            Destination::Append { .. } => self.execute_append(progress),
        }
    }

    fn rows(&self) -> Vec<&db::RunRow> {
        self.jobs.iter().filter_map(|j| j.row.as_ref()).collect()
    }

    fn execute_new(&self, progress: &Progress) -> Result<Outcome, MergeError> {
        let dst = &self.dst_abs;
        let (Some(name), Some(parent)) = (dst.file_name(), dst.parent()) else {
            return Err(MergeError::DstNotDir(self.dst.clone()));
        };
        mkdirs(&[parent])?;
        let tmp = stage::create(parent, &format!(".{}", name.to_string_lossy()), Tag::Merge)
            .map_err(io_err(parent))?;
        // locked before it becomes the destination, and still while it is checked there: an
        // append started meanwhile waits for nothing half-checked (flock follows the folder)
        let _lock = stage::lock_dir(&tmp).ok().flatten();
        let result = self.assemble_new(&tmp, progress);
        let result = result.and_then(|outcome| {
            let owner = tmp.join(Tag::Merge.owner());
            std::fs::remove_file(&owner).map_err(io_err(&owner))?;
            // a destination that is an empty folder is replaced; a non-empty one makes
            // rename fail (ENOTEMPTY): never overwritten
            std::fs::rename(&tmp, dst).map_err(|e| {
                if fsops::is_empty_dir(dst).is_ok_and(|empty| !empty) {
                    MergeError::DstNotEmpty(self.dst.clone())
                } else {
                    io_err(&self.dst)(e)
                }
            })?;
            Ok(outcome)
        });
        if result.is_err() {
            let _ = fsops::remove_tree(&tmp);
        }
        result
    }

    fn assemble_new(&self, tmp: &Path, progress: &Progress) -> Result<Outcome, MergeError> {
        let aim = tmp.join(".aim");
        let t = Targets {
            meta: aim.join("meta").join("chunks"),
            seqs: aim.join("seqs").join("chunks"),
            artifacts: tmp.join("artifacts"),
        };
        mkdirs(&[&t.meta, &t.seqs])?;
        if self.jobs.iter().any(|j| j.artifacts.is_some()) {
            mkdirs(&[&t.artifacts])?;
        }
        let version = aim.join("VERSION");
        std::fs::write(&version, &self.version).map_err(io_err(&version))?;
        let sqlite = crate::sqlite::sqlite_path(&aim);
        db::create(&sqlite).map_err(sql_err(&sqlite))?;
        let bytes = copy_all(&self.jobs, &t, progress)?;
        db::insert(&sqlite, &self.rows()).map_err(sql_err(&sqlite))?;
        self.verify(tmp, bytes, progress)
    }

    fn execute_append(&self, progress: &Progress) -> Result<Outcome, MergeError> {
        let root = &self.dst_root;
        if self.jobs.is_empty() {
            // every run is there already: not a byte (nor an mtime) changes
            return self.verify(root, 0, progress);
        }
        let repo = Repo::open(root).map_err(|e| repo_err("destination", e))?;
        let aim = repo.aim_dir().to_path_buf();
        let stage = stage::create(root, "", Tag::Merge).map_err(io_err(root))?;
        let t = Targets {
            meta: stage.join("meta"),
            seqs: stage.join("seqs"),
            artifacts: stage.join("artifacts"),
        };
        let placing = staging::Placing {
            sources: self
                .sources
                .iter()
                .map(|s| std::path::absolute(&s.path).unwrap_or_else(|_| s.path.clone()))
                .collect(),
            runs: self.jobs.iter().map(|j| j.hash.clone()).collect(),
        };
        let copied = mkdirs(&[&t.meta, &t.seqs, &t.artifacts])
            .and_then(|()| copy_all(&self.jobs, &t, progress))
            .and_then(|b| {
                // what readers and doctor need to tell runs being placed from damage
                stage::write_placing(&stage, &placing).map_err(io_err(&stage))?;
                Ok(b)
            });
        let bytes = match copied {
            Ok(b) => b,
            Err(e) => {
                // nothing was placed: the destination is untouched
                let _ = fsops::remove_tree(&stage);
                return Err(e);
            }
        };
        // from here on, every step is a rename; a re-run of the same merge completes it
        if let Some(index) = &self.index_to_remove {
            let away = stage.join("index.removed");
            std::fs::rename(index, &away).map_err(io_err(index))?;
        }
        let final_meta = aim.join("meta").join("chunks");
        let final_seqs = aim.join("seqs").join("chunks");
        let final_artifacts = root.join("artifacts");
        for j in &self.jobs {
            let h = &j.hash;
            let moves = [
                (j.seqs.is_some(), &t.seqs, &final_seqs),
                (j.artifacts.is_some(), &t.artifacts, &final_artifacts),
                (j.meta.is_some(), &t.meta, &final_meta),
            ];
            for (present, from, to) in moves {
                if present {
                    mkdirs(&[to])?;
                    let target = to.join(h);
                    std::fs::rename(from.join(h), &target).map_err(io_err(&target))?;
                }
            }
        }
        let sqlite = crate::sqlite::sqlite_path(&aim);
        let rows = self.rows();
        if !rows.is_empty() {
            db::insert(&sqlite, &rows).map_err(sql_err(&sqlite))?;
        }
        fsops::remove_tree(&stage)?;
        self.verify(root, bytes, progress)
    }

    /// Re-reads the destination with our own reader: its run set must be the expected one,
    /// every copied run with a SQLite row must have its row (with an experiment) in the
    /// destination's SQLite, its meta chunk must decode (`read_meta`), and every copied meta
    /// and seqs chunk must open with `rocks_reader::Db` and iterate whole,
    /// its data files (all but `LOCK` and `LOG*`, listed afresh in the source) byte-identical
    /// to the source's — so its key count is the source's: the same reader reads the same
    /// bytes. (Counting the source's keys again would double the checking time for no new
    /// information.) For a run still being written only readability is checked: its source
    /// keeps changing.
    fn verify(&self, root: &Path, bytes: u64, progress: &Progress) -> Result<Outcome, MergeError> {
        progress.verifying.store(true, Ordering::Relaxed);
        let fail = |problems: Vec<String>| MergeError::Verify {
            path: root.to_path_buf(),
            problems,
        };
        let repo = Repo::open(root).map_err(|e| fail(vec![e.to_string()]))?;
        let mut problems = Vec::new();
        let hashes: BTreeSet<String> = repo
            .chunk_hashes()
            .map_err(|e| fail(vec![e.to_string()]))?
            .into_iter()
            .collect();
        let missing: Vec<&String> = self.final_runs.difference(&hashes).collect();
        let extra: Vec<&String> = hashes.difference(&self.final_runs).collect();
        if !missing.is_empty() {
            problems.push(format!("runs missing: {missing:?}"));
        }
        if !extra.is_empty() {
            problems.push(format!("unexpected runs: {extra:?}"));
        }
        let rows = repo.sqlite_runs().map_err(|e| fail(vec![e.to_string()]))?;
        let checks = par_map(&self.jobs, |j| {
            let check = check_run(j, &repo);
            progress.verified.fetch_add(1, Ordering::Relaxed);
            check
        });
        let mut verified = 0;
        let mut keys = 0;
        let mut source_problems = Vec::new();
        for (j, c) in self.jobs.iter().zip(checks) {
            problems.extend(c.bad);
            let source_unreadable = !c.source_bad.is_empty();
            source_problems.extend(c.source_bad);
            keys += c.keys;
            if c.chunks > 0 && !j.live && !source_unreadable {
                verified += 1;
            }
            if j.row.is_some() {
                match rows.get(&j.hash) {
                    None => problems.push(format!("run {}: no row in run_metadata.sqlite", j.hash)),
                    Some(p) if p.experiment.is_none() => {
                        problems.push(format!("run {}: row without experiment", j.hash))
                    }
                    Some(_) => {}
                }
            }
        }
        if !problems.is_empty() {
            return Err(fail(problems));
        }
        Ok(Outcome {
            runs: self.runs,
            bytes,
            dst_runs: hashes.len(),
            verified,
            keys,
            problems: source_problems,
        })
    }
}

/// What checking one copied run found.
#[derive(Default)]
struct RunCheck {
    /// Copy errors (the merge fails).
    bad: Vec<String>,
    /// Source chunks our reader cannot read (copied as they are).
    source_bad: Vec<String>,
    /// Chunks checked.
    chunks: usize,
    /// Keys read in the copies.
    keys: u64,
}

fn count_keys(dir: &Path) -> Result<u64, String> {
    let db = rocks_reader::Db::open(dir).map_err(|e| e.to_string())?;
    db.iter()
        .try_fold(0u64, |n, kv| kv.map(|_| n + 1))
        .map_err(|e| e.to_string())
}

fn check_run(j: &Job, repo: &Repo) -> RunCheck {
    let h = &j.hash;
    let mut c = RunCheck::default();
    let pairs = [
        ("meta", j.check_meta.as_deref(), repo.meta_chunk(h)),
        ("seqs", j.check_seqs.as_deref(), repo.seqs_chunk(h)),
    ];
    for (what, src, dst) in pairs {
        let Some(src) = src else { continue };
        if !dst.is_dir() {
            c.bad.push(format!("run {h}: {what} chunk missing"));
            continue;
        }
        let identical = if j.live {
            None
        } else {
            match same_files(src, &dst) {
                Ok(same) => Some(same),
                Err(e) => {
                    c.bad.push(format!(
                        "run {h}: comparing the {what} chunk: `{}`: {}",
                        e.path.display(),
                        e.source
                    ));
                    continue;
                }
            }
        };
        // the meta chunk must also decode as Aim's run metadata
        let read = count_keys(&dst).and_then(|n| match what {
            "meta" => crate::run::read_meta(&dst, h)
                .map(|_| n)
                .map_err(|e| e.to_string()),
            _ => Ok(n),
        });
        match (identical, read) {
            (Some(false), _) => c.bad.push(format!(
                "run {h}: the copied {what} chunk's files differ from `{}`",
                src.display()
            )),
            (Some(true), Err(e)) => c.source_bad.push(format!(
                "run {h}: {what} chunk `{}` does not read ({e}); copied byte for byte as it is",
                src.display()
            )),
            (None, Err(e)) => c.bad.push(format!(
                "run {h}: the copied {what} chunk does not read: {e}"
            )),
            (_, Ok(n)) => {
                c.chunks += 1;
                c.keys += n;
            }
        }
    }
    c
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A copy of the killed fixture's WAL-only meta chunk (written by real Aim).
    fn killed_chunk(tmp: &Path) -> (PathBuf, PathBuf) {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/repos/killed");
        let src = Repo::open(&repo)
            .unwrap()
            .meta_chunk("04f8a3249b3c4911b1cd6566");
        let listing = fsops::list(&src, fsops::skip_in_chunk).unwrap().unwrap();
        let dst = tmp.join("copy");
        fsops::copy_listed(&src, &listing, &dst, &AtomicU64::new(0)).unwrap();
        (src, dst)
    }

    #[test]
    fn the_check_catches_a_changed_or_missing_data_file_but_not_a_missing_lock() {
        let tmp = tempfile::tempdir().unwrap();
        let (src, dst) = killed_chunk(tmp.path());
        assert!(src.join("LOCK").exists() && !dst.join("LOCK").exists());
        assert!(same_files(&src, &dst).unwrap());
        let keys = count_keys(&dst).unwrap();
        assert_eq!(keys, count_keys(&src).unwrap());
        assert!(keys > 0);
        // the WAL holds all the data: without it the copy differs (and reads empty)
        let wal = std::fs::read_dir(&dst)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|x| x == "log"))
            .unwrap();
        let bytes = std::fs::read(&wal).unwrap();
        std::fs::remove_file(&wal).unwrap();
        assert!(!same_files(&src, &dst).unwrap());
        let mut changed = bytes.clone();
        if let Some(b) = changed.last_mut() {
            *b ^= 1;
        }
        std::fs::write(&wal, changed).unwrap();
        assert!(!same_files(&src, &dst).unwrap());
        std::fs::write(&wal, bytes).unwrap();
        assert!(same_files(&src, &dst).unwrap());
    }

    #[test]
    fn conflict_message_names_every_hash_and_the_way_out() {
        let c = |h: &str| Conflict {
            hash: h.into(),
            kept: "a".into(),
            other: "b".into(),
            what: "meta chunk",
        };
        let m = conflicts_message(&[c("h1"), c("h2")]);
        assert!(m.starts_with("2 runs present twice with different contents: h1 (meta chunk differs between `a` and `b`), h2"), "{m}");
        assert!(m.contains("--skip-duplicates"));
        let many: Vec<Conflict> = (0..12).map(|i| c(&format!("h{i}"))).collect();
        assert!(conflicts_message(&many).contains("and 2 more"));
    }
}
