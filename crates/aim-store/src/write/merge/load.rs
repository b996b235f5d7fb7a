//! What a merge reads of one repository (a source, or the destination of an append) before
//! planning: every run's parts on disk (listed file by file), its SQLite row, whether its
//! writer is still at work, and the runs that are incomplete. Reads only.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use super::fsops::{self, FsError, Listing};
use super::{db, io_err, repo_err, sql_err, Component, MergeError};
use crate::repo::{par_map, Repo};
use crate::run::EndTime;

/// A run of one repository: its parts on disk and its SQLite row.
#[derive(Clone, Debug)]
pub(super) struct RepoRun {
    pub(super) meta: Option<Listing>,
    pub(super) seqs: Option<Listing>,
    pub(super) artifacts: Option<Listing>,
    pub(super) row: Option<db::RunRow>,
    pub(super) live: bool,
    /// The end time of a run closed by Aim < 3.20: in the source's `meta/index` only (see
    /// [`Repo::index_end_times`]), so not carried over; the copy shows as active.
    pub(super) index_end: Option<f64>,
}

impl RepoRun {
    /// The listing of a component on disk (None for the SQLite row).
    pub(super) fn listing(&self, c: Component) -> Option<&Listing> {
        match c {
            Component::Meta => self.meta.as_ref(),
            Component::Seqs => self.seqs.as_ref(),
            Component::Artifacts => self.artifacts.as_ref(),
            Component::Row => None,
        }
    }

    /// True when the run has this component.
    pub(super) fn has(&self, c: Component) -> bool {
        match c {
            Component::Row => self.row.is_some(),
            _ => self.listing(c).is_some(),
        }
    }
}

/// A repository taking part: a source, or the destination of an append.
#[derive(Debug)]
pub(super) struct Loaded {
    pub(super) shown: PathBuf,
    pub(super) repo: Repo,
    pub(super) runs: BTreeMap<String, RepoRun>,
    /// Meta chunk count (the run set).
    pub(super) run_count: usize,
}

impl Loaded {
    pub(super) fn meta_dir(&self, h: &str) -> PathBuf {
        self.repo.meta_chunk(h)
    }
    pub(super) fn seqs_dir(&self, h: &str) -> PathBuf {
        self.repo.seqs_chunk(h)
    }
    pub(super) fn artifacts_dir(&self, h: &str) -> PathBuf {
        self.repo.root().join("artifacts").join(h)
    }
    /// The folder of a component on disk (None for the SQLite row).
    pub(super) fn dir(&self, c: Component, h: &str) -> Option<PathBuf> {
        match c {
            Component::Meta => Some(self.meta_dir(h)),
            Component::Seqs => Some(self.seqs_dir(h)),
            Component::Artifacts => Some(self.artifacts_dir(h)),
            Component::Row => None,
        }
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

/// True when a writer left its marks: `locks/<H>.softlock`, `meta/progress/<H>` or
/// `seqs/progress/<H>`.
fn has_writer_marks(aim_dir: &Path, h: &str) -> bool {
    aim_dir.join("locks").join(format!("{h}.softlock")).exists()
        || aim_dir.join("meta").join("progress").join(h).exists()
        || aim_dir.join("seqs").join("progress").join(h).exists()
}

/// Whether a run has no end time: open in its meta chunk, or not recorded there and not
/// finalized in its SQLite row (or its meta chunk does not read).
fn no_end_time(repo: &Repo, h: &str, row: Option<&db::RunRow>) -> bool {
    match crate::run::read_meta(&repo.meta_chunk(h), h) {
        Ok(m) => match m.end_time {
            EndTime::At(_) => false,
            EndTime::Open => true,
            EndTime::NotRecorded => {
                !matches!(row, Some(r) if r.finalized_at != rusqlite::types::Value::Null)
            }
        },
        Err(_) => true,
    }
}

/// Loads what a merge needs of a repository: for `only` (or every run when None), the
/// listing of its chunk folders and artifacts, and its SQLite rows. A source's runs are
/// restricted to those `select` accepts, when given (the others are not looked at).
pub(super) fn load(
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
    let metas = repo.chunk_hashes().map_err(|e| repo_err(role, e))?;
    let run_count = metas.len();
    let sqlite = crate::sqlite::sqlite_path(repo.aim_dir());
    let mut rows = db::read_rows(&sqlite).map_err(sql_err(&sqlite))?;
    let hashes = candidates(&repo, &metas, &rows, only, select)?;
    let meta_set: BTreeSet<&str> = metas.iter().map(String::as_str).collect();
    let mut problems = Vec::new();
    let source = only.is_none();
    let mut runs = list_runs(&repo, &hashes, &meta_set, &mut rows, source, &mut problems)?;
    add_index_ends(&repo, &mut runs);
    if source {
        incomplete_runs(
            &repo,
            &runs,
            &rows,
            &meta_set,
            select.is_some(),
            &mut problems,
        );
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

/// The runs [`load`] looks at: every meta chunk, and for a destination also the parts an
/// interrupted append may have placed without their meta chunk, and rows without chunk (so
/// that they are compared too); restricted to `only` and `select`.
fn candidates(
    repo: &Repo,
    metas: &[String],
    rows: &HashMap<String, db::RunRow>,
    only: Option<&BTreeSet<String>>,
    select: Option<&dyn Fn(&str) -> bool>,
) -> Result<Vec<String>, MergeError> {
    let mut hashes: BTreeSet<String> = metas.iter().cloned().collect();
    if only.is_some() {
        hashes.extend(subdirs(&repo.aim_dir().join("seqs").join("chunks"))?);
        hashes.extend(subdirs(&repo.root().join("artifacts"))?);
        hashes.extend(rows.keys().cloned());
    }
    Ok(hashes
        .into_iter()
        .filter(|h| match only {
            Some(o) => o.contains(h),
            None => true,
        })
        .filter(|h| match select {
            Some(f) => f(h),
            None => true,
        })
        .collect())
}

/// Lists the parts of every run in `hashes` (in parallel) and takes its row out of `rows`.
/// A source run whose folder cannot be listed is a problem (`source`), a destination's an
/// error.
fn list_runs(
    repo: &Repo,
    hashes: &[String],
    meta_set: &BTreeSet<&str>,
    rows: &mut HashMap<String, db::RunRow>,
    source: bool,
    problems: &mut Vec<String>,
) -> Result<BTreeMap<String, RepoRun>, MergeError> {
    let listed = par_map(hashes, |h| -> Result<_, FsError> {
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
    for (h, l) in hashes.iter().zip(listed) {
        let (meta, seqs, artifacts) = match l {
            Ok(listing) => listing,
            // a source run whose folder cannot be listed (a symlink loop, a file where a
            // folder should be, no permission) is named and left out; the others merge
            Err(e) if source => {
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
            && has_writer_marks(repo.aim_dir(), h)
            && no_end_time(repo, h, row.as_ref());
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
    Ok(runs)
}

/// The end times of live runs that only the repository's `meta/index` holds.
fn add_index_ends(repo: &Repo, runs: &mut BTreeMap<String, RepoRun>) {
    let live: Vec<&str> = runs
        .iter()
        .filter(|(_, r)| r.live)
        .map(|(h, _)| h.as_str())
        .collect();
    if live.is_empty() {
        return;
    }
    let ends = repo.index_end_times(live);
    for (h, t) in ends {
        if let (Some(r), Ok(t)) = (runs.get_mut(&h), t) {
            r.index_end = Some(t);
        }
    }
}

/// A source's incomplete runs: chunks without SQLite row (copied without one), and rows
/// without chunk (left out; not reported when runs were `selected`: the rows of runs not
/// selected have one).
fn incomplete_runs(
    repo: &Repo,
    runs: &BTreeMap<String, RepoRun>,
    rows: &HashMap<String, db::RunRow>,
    meta_set: &BTreeSet<&str>,
    selected: bool,
    problems: &mut Vec<String>,
) {
    let sqlite = crate::sqlite::sqlite_path(repo.aim_dir());
    for (h, r) in runs {
        if r.row.is_none() {
            problems.push(format!(
                "run {h}: `{}` has no row in `{}`; its chunks are copied without one",
                repo.meta_chunk(h).display(),
                sqlite.display()
            ));
        }
    }
    let mut ghosts: Vec<&String> = rows
        .keys()
        .filter(|h| !selected && !meta_set.contains(h.as_str()))
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
