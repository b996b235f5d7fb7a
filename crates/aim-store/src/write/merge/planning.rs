//! Working out a merge before anything is written ([`plan_selected`]), in phases, each a
//! function: open the sources (each repository once) and the destination (locked when it
//! exists), check their data versions, load every run's parts ([`super::load`]), choose one
//! copy of each run (comparing copies component by component), list the copy jobs, and
//! look for the leftovers of killed merges. Reads only.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use super::fsops::{self, FsError, Listing};
use super::load::{load, Loaded, RepoRun};
use super::{
    io_err, repo_err, Component, Conflict, Destination, Job, MergeError, Options, Part, Plan,
    SourceSummary,
};
use crate::repo::Repo;
use crate::staging::{self, State, Tag};
use crate::write::staging::{self as stage, DirLock, LockError};

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
    let opened = open_sources(sources, &mut warnings)?;
    let dst_abs = absolute_destination(dst);
    refuse_inside_sources(dst, &dst_abs, &opened)?;
    let (destination, dst_repo, lock) = open_destination(dst, opts)?;
    let dst_root = match &dst_repo {
        Some(r) => r.root().to_path_buf(),
        None => dst.to_path_buf(),
    };
    let version = data_version(&opened, dst, dst_repo.as_ref())?;
    let (mut loaded, problems) = load_sources(opened, select)?;
    let n_src = loaded.len();
    let (kept, index_to_remove) = match dst_repo {
        Some(repo) => {
            let d = load_destination(dst, repo, &loaded)?;
            loaded.push(d.loaded);
            (d.kept, d.index)
        }
        None => (BTreeMap::new(), None),
    };
    let (kept, mut summaries) = choose_copies(&loaded, n_src, opts, kept, &mut warnings)?;
    let (jobs, final_runs) = list_jobs(&loaded, n_src, &kept, &mut summaries);
    // the index only matters when runs are added
    let index_to_remove = index_to_remove.filter(|_| jobs.iter().any(|j| j.meta.is_some()));
    let append_root = match destination {
        Destination::Append { .. } => Some(dst_root.as_path()),
        Destination::New => None,
    };
    let removable = merge_leftovers(dst, &dst_abs, append_root, &mut warnings)?;
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
        dst_abs,
        version,
        jobs,
        final_runs,
        removable,
        _lock: lock,
    })
}

/// A source taking part.
struct Source {
    /// Its index in the sources given.
    given: usize,
    /// As given.
    shown: PathBuf,
    repo: Repo,
}

fn canonical_or_self(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Phase 1: opens every source; one given twice (or under two names) is read once.
fn open_sources(
    sources: &[PathBuf],
    warnings: &mut Vec<String>,
) -> Result<Vec<Source>, MergeError> {
    let mut out = Vec::new();
    let mut seen: HashMap<PathBuf, PathBuf> = HashMap::new();
    for (given, src) in sources.iter().enumerate() {
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
        out.push(Source {
            given,
            shown: src.clone(),
            repo,
        });
    }
    Ok(out)
}

/// The destination as an absolute path, its parent canonical (it may not exist yet).
fn absolute_destination(dst: &Path) -> PathBuf {
    match std::fs::canonicalize(dst) {
        Ok(p) => p,
        Err(_) => match (dst.parent(), dst.file_name()) {
            (Some(p), Some(n)) if !p.as_os_str().is_empty() => canonical_or_self(p).join(n),
            _ => std::env::current_dir()
                .map(|d| d.join(dst))
                .unwrap_or_else(|_| dst.to_path_buf()),
        },
    }
}

/// Phase 2: nothing is ever created inside a source's folder.
fn refuse_inside_sources(dst: &Path, dst_abs: &Path, sources: &[Source]) -> Result<(), MergeError> {
    for s in sources {
        let root = canonical_or_self(s.repo.root());
        let aim = canonical_or_self(s.repo.aim_dir());
        if dst_abs.starts_with(&root) || dst_abs.starts_with(&aim) {
            return Err(MergeError::DstIsSource {
                dst: dst.to_path_buf(),
                src: s.shown.clone(),
            });
        }
    }
    Ok(())
}

/// Phase 3: a new destination, or (`--append`) the repository there, locked before anything
/// of it is read (another merge may be placing runs).
fn open_destination(
    dst: &Path,
    opts: Options,
) -> Result<(Destination, Option<Repo>, Option<DirLock>), MergeError> {
    match std::fs::symlink_metadata(dst) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((Destination::New, None, None)),
        Err(e) => Err(io_err(dst)(e)),
        Ok(md) if !md.is_dir() && !std::fs::metadata(dst).is_ok_and(|m| m.is_dir()) => {
            Err(MergeError::DstNotDir(dst.to_path_buf()))
        }
        Ok(_) => {
            if fsops::is_empty_dir(dst)? {
                return Ok((Destination::New, None, None));
            }
            if !opts.append {
                return Err(MergeError::DstNotEmpty(dst.to_path_buf()));
            }
            let repo = Repo::open(dst).map_err(|e| repo_err("destination", e))?;
            let lock = lock_destination(dst, repo.root())?;
            let runs = repo
                .chunk_hashes()
                .map_err(|e| repo_err("destination", e))?
                .len();
            Ok((Destination::Append { runs }, Some(repo), lock))
        }
    }
}

/// Takes the lock of an existing destination (its root folder) or says which merge holds it.
fn lock_destination(dst: &Path, root: &Path) -> Result<Option<DirLock>, MergeError> {
    match stage::lock_dir(root) {
        Ok(l) => Ok(l),
        Err(LockError::Io(error)) => Err(MergeError::Io {
            path: root.to_path_buf(),
            error,
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

fn read_version(aim_dir: &Path) -> Result<Option<String>, MergeError> {
    let p = aim_dir.join("VERSION");
    match rocks_reader::file::read_regular(&p, 4096) {
        Ok(s) => Ok(Some(String::from_utf8_lossy(&s).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(&p)(e)),
    }
}

/// Phase 4: the one Aim data version of the destination and every source (`1.3` when none
/// says).
fn data_version(
    sources: &[Source],
    dst: &Path,
    dst_repo: Option<&Repo>,
) -> Result<String, MergeError> {
    let mut version: Option<(PathBuf, String)> = None;
    let mut all_aims: Vec<(PathBuf, PathBuf)> = sources
        .iter()
        .map(|s| (s.shown.clone(), s.repo.aim_dir().to_path_buf()))
        .collect();
    if let Some(r) = dst_repo {
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
    Ok(version.map(|(_, v)| v).unwrap_or_else(|| "1.3\n".into()))
}

/// Phase 5: every source's runs (those `select` accepts) and its incomplete runs.
fn load_sources(
    sources: Vec<Source>,
    select: Option<Select<'_>>,
) -> Result<(Vec<Loaded>, Vec<String>), MergeError> {
    let mut loaded = Vec::new();
    let mut problems = Vec::new();
    for Source {
        given, shown, repo, ..
    } in sources
    {
        let this = select.map(|f| move |h: &str| f(given, h));
        let this: Option<&dyn Fn(&str) -> bool> = this.as_ref().map(|f| f as _);
        let (l, p) = load(&shown, repo, None, this)?;
        problems.extend(p);
        loaded.push(l);
    }
    Ok((loaded, problems))
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

impl Kept {
    /// The first copy of a run, from source `s`.
    fn first(s: usize, r: &RepoRun) -> Kept {
        Kept {
            meta: Some(s),
            seqs: r.seqs.as_ref().map(|_| s),
            artifacts: r.artifacts.as_ref().map(|_| s),
            row: r.row.as_ref().map(|_| s),
            live: r.live,
        }
    }

    /// Where a component comes from.
    fn origin(&self, c: Component) -> Option<usize> {
        match c {
            Component::Meta => self.meta,
            Component::Seqs => self.seqs,
            Component::Artifacts => self.artifacts,
            Component::Row => self.row,
        }
    }

    fn origin_mut(&mut self, c: Component) -> &mut Option<usize> {
        match c {
            Component::Meta => &mut self.meta,
            Component::Seqs => &mut self.seqs,
            Component::Artifacts => &mut self.artifacts,
            Component::Row => &mut self.row,
        }
    }
}

/// What an append finds in its destination.
struct DestinationRuns {
    loaded: Loaded,
    /// Its runs, each component's origin the destination.
    kept: BTreeMap<String, Kept>,
    /// Its `meta/index`, when there is one.
    index: Option<PathBuf>,
}

/// Phase 6 (append): the destination's runs, kept as they are (their components come from
/// the destination, index `loaded.len()`), and its `meta/index` when there is one.
fn load_destination(
    dst: &Path,
    repo: Repo,
    loaded: &[Loaded],
) -> Result<DestinationRuns, MergeError> {
    let n_src = loaded.len();
    let wanted: BTreeSet<String> = loaded.iter().flat_map(|l| l.runs.keys().cloned()).collect();
    let all_dst: BTreeSet<String> = repo
        .chunk_hashes()
        .map_err(|e| repo_err("destination", e))?
        .into_iter()
        .collect();
    let (l, _) = load(dst, repo, Some(&wanted), None)?;
    let mut kept: BTreeMap<String, Kept> = BTreeMap::new();
    for h in &all_dst {
        kept.insert(h.clone(), Kept::default());
    }
    for (h, r) in &l.runs {
        let k = kept.entry(h.clone()).or_default();
        for c in Component::ALL {
            *k.origin_mut(c) = r.has(c).then_some(n_src);
        }
    }
    for h in &all_dst {
        if let Some(k) = kept.get_mut(h) {
            k.meta = Some(n_src);
        }
    }
    let index = l.repo.aim_dir().join("meta").join("index");
    let index = std::fs::symlink_metadata(&index).is_ok().then_some(index);
    Ok(DestinationRuns {
        loaded: l,
        kept,
        index,
    })
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

/// What differs in component `c` of two copies of a run (both present and different), if
/// anything: the component's name, or for the SQLite row the field.
fn difference(
    c: Component,
    a: &Loaded,
    ra: &RepoRun,
    b: &Loaded,
    rb: &RepoRun,
    h: &str,
) -> Result<Option<&'static str>, FsError> {
    if c == Component::Row {
        return Ok(match (&ra.row, &rb.row) {
            (Some(x), Some(y)) if !x.same_as(y) => Some(x.difference(y)),
            _ => None,
        });
    }
    let (Some(la), Some(lb), Some(da), Some(db)) =
        (ra.listing(c), rb.listing(c), a.dir(c, h), b.dir(c, h))
    else {
        return Ok(None);
    };
    let same = match c {
        Component::Artifacts => fsops::same_content(&da, la, &db, lb)?,
        _ => same_chunk(&da, la, &db, lb)?,
    };
    Ok((!same).then_some(c.name()))
}

/// Phase 7: one copy of every run, source after source: the first copy is kept, a later
/// identical one is merged once, a different one is a conflict (or left out).
fn choose_copies(
    loaded: &[Loaded],
    n_src: usize,
    opts: Options,
    kept: BTreeMap<String, Kept>,
    warnings: &mut Vec<String>,
) -> Result<(BTreeMap<String, Kept>, Vec<SourceSummary>), MergeError> {
    let mut choice = Choice {
        loaded,
        opts,
        kept,
        summaries: loaded
            .iter()
            .take(n_src)
            .map(|l| SourceSummary {
                path: l.shown.clone(),
                runs: l.run_count,
                ..SourceSummary::default()
            })
            .collect(),
        conflicts: Vec::new(),
        warnings,
    };
    for s in 0..n_src {
        let Some(src) = loaded.get(s) else { continue };
        for (h, r) in &src.runs {
            if r.meta.is_some() {
                choice.run(s, src, h, r)?;
            }
        }
    }
    if !choice.conflicts.is_empty() {
        return Err(MergeError::Conflicts(choice.conflicts));
    }
    Ok((choice.kept, choice.summaries))
}

/// The state of [`choose_copies`].
struct Choice<'a> {
    loaded: &'a [Loaded],
    opts: Options,
    kept: BTreeMap<String, Kept>,
    summaries: Vec<SourceSummary>,
    conflicts: Vec<Conflict>,
    warnings: &'a mut Vec<String>,
}

/// The warning about a run still being written (or closed by Aim < 3.20, its end time in the
/// source's index only): `closed` or `open` says what the merge does with it.
fn live_warning(src: &Loaded, h: &str, r: &RepoRun, closed: &str, open: &str) -> String {
    match r.index_end {
        Some(t) => format!(
            "run {h} in `{}` was closed by an Aim older than 3.20, which wrote its end time ({t}) into `meta/index` only, not into its chunk; merge copies chunks, not the index: {closed}",
            src.shown.display(),
        ),
        None => format!(
            "run {h} in `{}` is still being written or was killed (writer marks, no end time): {open}",
            src.shown.display()
        ),
    }
}

impl Choice<'_> {
    /// Takes run `h` of source `s`, or not.
    fn run(&mut self, s: usize, src: &Loaded, h: &str, r: &RepoRun) -> Result<(), MergeError> {
        let Some(summary) = self.summaries.get_mut(s) else {
            return Ok(());
        };
        if r.live {
            summary.active.push(h.to_owned());
            if self.opts.skip_active {
                let left_out = "left out (--skip-active)";
                self.warnings
                    .push(live_warning(src, h, r, left_out, left_out));
                return Ok(());
            }
        }
        let Some(k) = self.kept.get_mut(h) else {
            self.kept.insert(h.to_owned(), Kept::first(s, r));
            summary.copied += 1;
            if r.live {
                self.warnings.push(live_warning(src, h, r,
                    &format!("the copy has no end time and shows as active (--skip-active leaves it out; in the merged repository, `aim runs close -y {h}` with Aim 3.20 or later marks it finished, at the time of that close)"),
                    "it is copied as a crash-consistent snapshot and stays active (--skip-active leaves it out)",
                ));
            }
            return Ok(());
        };
        // a copy is kept already: compare every component that both have
        if let Some((kept_path, what)) = first_difference(self.loaded, k, src, r, h)? {
            if self.opts.skip_duplicates {
                summary.conflicting.push(h.to_owned());
                self.warnings.push(format!(
                    "run {h} in `{}` differs from the copy kept from `{}` ({what}): left out (--skip-duplicates)",
                    src.shown.display(),
                    kept_path.display()
                ));
            } else {
                self.conflicts.push(Conflict {
                    hash: h.to_owned(),
                    kept: kept_path,
                    other: src.shown.clone(),
                    what,
                });
            }
            return Ok(());
        }
        if k.meta.is_none() {
            // parts of an interrupted append: this source completes the run
            k.meta = Some(s);
            k.live = r.live;
            summary.copied += 1;
        } else {
            summary.identical += 1;
        }
        for c in [Component::Seqs, Component::Artifacts, Component::Row] {
            if k.origin(c).is_none() && r.has(c) {
                *k.origin_mut(c) = Some(s);
            }
        }
        Ok(())
    }
}

/// The first component in which run `h` of `src` differs from the copy kept, and where that
/// copy comes from.
fn first_difference(
    loaded: &[Loaded],
    k: &Kept,
    src: &Loaded,
    r: &RepoRun,
    h: &str,
) -> Result<Option<(PathBuf, &'static str)>, FsError> {
    for c in Component::ALL {
        let Some(o) = k.origin(c) else { continue };
        let Some(other) = loaded.get(o) else { continue };
        let Some(or) = other.runs.get(h) else {
            continue;
        };
        if let Some(d) = difference(c, other, or, src, r, h)? {
            return Ok(Some((other.shown.clone(), d)));
        }
    }
    Ok(None)
}

/// Phase 8: what is copied (the components kept from a source, not from the destination),
/// each source's byte count, and every run the destination holds afterwards.
fn list_jobs(
    loaded: &[Loaded],
    n_src: usize,
    kept: &BTreeMap<String, Kept>,
    summaries: &mut [SourceSummary],
) -> (Vec<Job>, BTreeSet<String>) {
    let mut jobs = Vec::new();
    let mut final_runs = BTreeSet::new();
    for (h, k) in kept {
        if k.meta.is_some() {
            final_runs.insert(h.clone());
        }
        let from_source = |c: Component| k.origin(c).filter(|o| *o < n_src);
        let part = |c: Component| -> Option<Part> {
            let o = from_source(c)?;
            let l = loaded.get(o)?;
            let r = l.runs.get(h)?;
            let listing = r.listing(c)?.clone();
            Some(Part {
                origin: o,
                dir: l.dir(c, h)?,
                listing,
            })
        };
        let job = Job {
            hash: h.clone(),
            meta: part(Component::Meta),
            seqs: part(Component::Seqs),
            artifacts: part(Component::Artifacts),
            row: from_source(Component::Row).and_then(|o| loaded.get(o)?.runs.get(h)?.row.clone()),
            live: k.live,
            check_meta: from_source(Component::Meta).and_then(|o| Some(loaded.get(o)?.meta_dir(h))),
            check_seqs: from_source(Component::Seqs).and_then(|o| Some(loaded.get(o)?.seqs_dir(h))),
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
    (jobs, final_runs)
}

/// Phase 9: leftovers of killed merges next to the destination (and, for an append, in its
/// root folder): the ones provably ours and dead are removed by the merge, the others
/// named; a running one means another merge is at work.
fn merge_leftovers(
    dst: &Path,
    dst_abs: &Path,
    append_root: Option<&Path>,
    warnings: &mut Vec<String>,
) -> Result<Vec<PathBuf>, MergeError> {
    let mut removable = Vec::new();
    let mut found = Vec::new();
    if let (Some(parent), Some(name)) = (dst_abs.parent(), dst_abs.file_name()) {
        found.extend(staging::leftovers(
            parent,
            &format!(".{}", name.to_string_lossy()),
            Tag::Merge,
        ));
    }
    if let Some(root) = append_root {
        found.extend(staging::leftovers(root, "", Tag::Merge));
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
    Ok(removable)
}
