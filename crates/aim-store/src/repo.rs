//! An Aim repository on disk: discovery of runs, the SQLite join, parallel reading, and the
//! per-run problems that make a run unreadable without making the repository unreadable.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{RepoError, RunError};
use crate::run::{read_end_time, read_meta, EndTime, Run, RunMeta};
use crate::sqlite::{self, RunProps};

/// An Aim repository: a root folder holding `.aim/`.
#[derive(Clone, Debug)]
pub struct Repo {
    root: PathBuf,
    aim_dir: PathBuf,
}

/// Something wrong with one run (or one leftover), reported and skipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The run hash concerned.
    pub hash: String,
    /// The file or folder concerned.
    pub path: PathBuf,
    /// What is wrong, one line.
    pub reason: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "run {}: {}", self.hash, self.reason)
    }
}

/// How much of each run's meta chunk [`Repo::scan_with`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    /// Only `end_time` (one data block per run): [`RunMeta::attrs`] and
    /// [`RunMeta::traces`] are left empty.
    EndTime,
    /// Params and `end_time`: [`RunMeta::traces`] is left empty, and the rest of the
    /// chunk (contexts and traces, most of it) is not read.
    Params,
    /// Traces with their contexts, and `end_time`: [`RunMeta::attrs`] is left empty and
    /// the params are not read.
    Traces,
    /// Everything: params, contexts, traces and `end_time`.
    Full,
}

/// Every readable run of a repository, and what could not be read.
#[derive(Clone, Debug, Default)]
pub struct Scan {
    /// Runs with a readable meta chunk and a SQLite row, in hash order.
    pub runs: Vec<Run>,
    /// Damaged runs, chunks without SQLite row, SQLite rows without chunk.
    pub problems: Vec<Problem>,
    /// Runs being created: a meta chunk without SQLite row (yet) while the run's writer lock
    /// `locks/<H>.softlock` exists. Aim creates the chunk, then the row; a reader between the
    /// two sees this. Not a problem, not a run either (no creation time, no experiment yet);
    /// a writer killed in that instant leaves such a run for good.
    pub being_created: Vec<String>,
    /// Merges into this repository, running or interrupted (found by their staging folder,
    /// [`crate::staging`]), each with the runs of this repository it has placed whose
    /// SQLite row is not written yet: not runs, not problems (not damage: the merge writes
    /// the rows last; running an interrupted merge again writes them).
    pub merges: Vec<MergeSeen>,
}

/// A merge into a repository seen by a reader, and the runs it has placed without row yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergeSeen {
    /// Its staging folder, process state and what it places.
    pub merge: crate::staging::MergeInRepo,
    /// Runs with a meta chunk in place and no row in `run_metadata.sqlite` yet, sorted.
    pub placed_without_row: Vec<String>,
}

impl MergeSeen {
    /// True when its process is running.
    pub fn running(&self) -> bool {
        self.merge.staging.state == crate::staging::State::Running
    }

    /// One line for a reader: a note while it runs, a warning once it was interrupted
    /// (None for a merge interrupted before it placed anything: the repository is as it
    /// was, and the next merge into it removes the folder).
    pub fn describe(&self) -> Option<String> {
        let s = &self.merge.staging;
        let who = match s.pid {
            Some(p) => format!("process {p}, staging folder `{}`", s.path.display()),
            None => format!("staging folder `{}`", s.path.display()),
        };
        let n = self.placed_without_row.len();
        let runs = if n == 1 {
            "1 run".to_owned()
        } else {
            format!("{n} runs")
        };
        if self.running() {
            return Some(if n == 0 {
                format!("a merge into this repository is in progress ({who}); the runs it adds appear once it has finished")
            } else {
                format!("a merge into this repository is in progress ({who}): {runs} it is placing not shown until it has finished")
            });
        }
        self.merge.placing.as_ref()?;
        Some(format!(
            "a merge into this repository was interrupted ({who}; its process is gone): it left {runs} placed without their row in run_metadata.sqlite (not shown) and that folder; running the same merge again finishes it (`tcbench aimrepo doctor` prints it)"
        ))
    }
}

fn is_aim_dir(p: &Path) -> bool {
    p.is_dir() && (p.join("run_metadata.sqlite").exists() || p.join("VERSION").is_file())
}

impl Repo {
    /// Opens a repository given its root (the folder holding `.aim`) or the `.aim` folder.
    /// Reads nothing yet and never writes.
    pub fn open(path: impl AsRef<Path>) -> Result<Repo, RepoError> {
        let path = path.as_ref();
        if !path.exists() {
            return Err(RepoError::NotFound(path.to_path_buf()));
        }
        let dot_aim = path.join(".aim");
        if is_aim_dir(&dot_aim) {
            return Ok(Repo {
                root: path.to_path_buf(),
                aim_dir: dot_aim,
            });
        }
        if is_aim_dir(path) && path.join("meta").is_dir()
            || path.file_name() == Some(".aim".as_ref()) && is_aim_dir(path)
        {
            let root = path
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from("."));
            return Ok(Repo {
                root,
                aim_dir: path.to_path_buf(),
            });
        }
        Err(RepoError::NotARepo(path.to_path_buf()))
    }

    /// The root folder (holding `.aim` and, for tcbench, `artifacts`).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The `.aim` folder.
    pub fn aim_dir(&self) -> &Path {
        &self.aim_dir
    }

    /// `meta/chunks/<H>`.
    pub fn meta_chunk(&self, hash: &str) -> PathBuf {
        self.aim_dir.join("meta").join("chunks").join(hash)
    }

    /// `seqs/chunks/<H>`.
    pub fn seqs_chunk(&self, hash: &str) -> PathBuf {
        self.aim_dir.join("seqs").join("chunks").join(hash)
    }

    /// `locks/<H>.softlock`: the lock a run's writer holds while the run is open (Aim 3.15+).
    pub fn run_lock(&self, hash: &str) -> PathBuf {
        self.aim_dir.join("locks").join(format!("{hash}.softlock"))
    }

    /// The run set: directory names under `meta/chunks` (what `aim runs ls` lists), sorted.
    /// A missing `meta/chunks` folder (a repository without runs) is an empty set; symlinks
    /// are listed unless they point at a file.
    pub fn chunk_hashes(&self) -> Result<Vec<String>, RepoError> {
        let dir = self.aim_dir.join("meta").join("chunks");
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(RepoError::Io { path: dir, error }),
        };
        let mut hashes = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|error| RepoError::Io {
                path: dir.clone(),
                error,
            })?;
            // a symlink counts unless it points at a file: one to a folder is a chunk (Aim
            // lists it too), a dangling one or a loop is a run whose chunk cannot be read
            let listed = entry.file_type().is_ok_and(|t| {
                t.is_dir()
                    || t.is_symlink() && !std::fs::metadata(entry.path()).is_ok_and(|m| m.is_file())
            });
            if let (true, Some(name)) = (listed, entry.file_name().to_str()) {
                hashes.push(name.to_owned());
            }
        }
        hashes.sort();
        Ok(hashes)
    }

    /// Every run row of `run_metadata.sqlite`, by hash.
    pub fn sqlite_runs(&self) -> Result<HashMap<String, RunProps>, RepoError> {
        sqlite::read_runs(&sqlite::sqlite_path(&self.aim_dir))
    }

    /// `meta/progress/<H>`: the marker a writer keeps while the run's meta chunk is open
    /// (a killed run keeps it until `aim runs close`).
    pub fn meta_progress(&self, hash: &str) -> PathBuf {
        self.aim_dir.join("meta").join("progress").join(hash)
    }

    /// End times that only `meta/index` holds, for the given runs whose chunk has none.
    ///
    /// Aim before 3.20 (3.17.4, which tcbench pins) closes a killed run (`aim runs close`)
    /// by indexing it and writing `end_time` into `meta/index` only, never into the chunk;
    /// every Aim version then reads the run's metadata from the index and shows it finished
    /// at that time. A run still marked as written (`meta/progress/<H>` or
    /// `locks/<H>.softlock`) is left out: Aim merges its chunk into what it shows. Without
    /// an index, or without an end time there, a run is not in the answer; where the index
    /// does not read, the run maps to the reason.
    pub fn index_end_times<'h>(
        &self,
        hashes: impl IntoIterator<Item = &'h str>,
    ) -> HashMap<String, Result<f64, String>> {
        let mut out = HashMap::new();
        let dir = self.aim_dir.join("meta").join("index");
        let mut db: Option<Result<rocks_reader::Db, String>> = None;
        for h in hashes {
            if self.meta_progress(h).exists() || self.run_lock(h).exists() {
                continue;
            }
            let d = match &mut db {
                Some(d) => d,
                None => match rocks_reader::Db::open(&dir) {
                    Err(rocks_reader::Error::NotADatabase { .. }) => return out, // no index
                    opened => db.insert(opened.map_err(|e| e.to_string())),
                },
            };
            let found = match d {
                Ok(d) => {
                    let key = crate::key::encode_strs(&["meta", "chunks", h, "end_time"]);
                    match d.get(&key) {
                        Ok(v) => v
                            .and_then(|v| crate::value::decode(&v).ok())
                            .and_then(crate::run::end_time_value)
                            .map(Ok),
                        Err(e) => Some(Err(e.to_string())),
                    }
                }
                Err(e) => Some(Err(e.clone())),
            };
            if let Some(found) = found {
                out.insert(h.to_owned(), found);
            }
        }
        out
    }

    /// Reads one run's meta chunk.
    pub fn read_meta(&self, hash: &str) -> Result<RunMeta, RunError> {
        read_meta(&self.meta_chunk(hash), hash)
    }

    /// Reads every run: the chunk set joined with SQLite, meta chunks read in parallel.
    pub fn scan(&self) -> Result<Scan, RepoError> {
        self.scan_with(Detail::Full)
    }

    /// [`Repo::scan`], reading only what `detail` asks of each meta chunk.
    pub fn scan_with(&self, detail: Detail) -> Result<Scan, RepoError> {
        self.scan_pruned(detail, |_| {})
    }

    /// One run's metadata at `detail`, and what `map` makes of it.
    fn read_one_meta<X, F>(
        &self,
        h: &str,
        detail: Detail,
        map: &F,
    ) -> Result<(RunMeta, X), RunError>
    where
        F: Fn(&mut RunMeta) -> X,
    {
        let mut meta = match detail {
            Detail::Full => self.read_meta(h)?,
            Detail::Params => {
                crate::run::read_meta_sections(&self.meta_chunk(h), h, &["attrs", "end_time"])?
            }
            Detail::Traces => RunMeta {
                // not read: empty, as for `EndTime`
                attrs: crate::Node::Dict(Vec::new()),
                ..crate::run::read_meta_sections(
                    &self.meta_chunk(h),
                    h,
                    &["contexts", "end_time", "traces"],
                )?
            },
            Detail::EndTime => RunMeta {
                attrs: crate::Node::Dict(Vec::new()),
                end_time: read_end_time(&self.meta_chunk(h), h)?,
                traces: Vec::new(),
            },
        };
        let x = map(&mut meta);
        Ok((meta, x))
    }

    /// [`Repo::scan_with`], applying `prune` to each run's metadata as soon as it is read,
    /// so that what a command does not need never accumulates over thousands of runs.
    pub fn scan_pruned<F>(&self, detail: Detail, prune: F) -> Result<Scan, RepoError>
    where
        F: Fn(&mut RunMeta) + Sync,
    {
        self.scan_mapped(detail, prune).map(|(scan, _)| scan)
    }

    /// [`Repo::scan_pruned`], where `map` also makes a value of its own of each run's
    /// metadata as soon as it is read (and may prune it): a table's cells, say, so that a
    /// caller needing only those never holds thousands of runs' trees. Returns the scan and
    /// the value of each of its runs, in the order of `scan.runs`.
    pub fn scan_mapped<X, F>(&self, detail: Detail, map: F) -> Result<(Scan, Vec<X>), RepoError>
    where
        X: Send,
        F: Fn(&mut RunMeta) -> X + Sync,
    {
        let hashes = self.chunk_hashes()?;
        // SQLite is read on its own thread while the chunks are read
        let (props, metas) = std::thread::scope(|s| {
            let sqlite = s.spawn(|| self.sqlite_runs());
            let metas = par_map(&hashes, |h| self.read_one_meta(h, detail, &map));
            let props = sqlite
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            (props, metas)
        });
        let mut props = props?;
        let mut scan = Scan::default();
        let mut mapped = Vec::new();
        // runs a merge places: chunk first, rows last
        let mut merges: Vec<MergeSeen> = crate::staging::merges_into(&self.root)
            .into_iter()
            .map(|merge| MergeSeen {
                merge,
                placed_without_row: Vec::new(),
            })
            .collect();
        let placing = |merges: &[MergeSeen], h: &str| {
            merges
                .iter()
                .position(|m| m.merge.placing.as_ref().is_some_and(|p| p.runs.contains(h)))
        };
        let chunk_set: BTreeSet<&str> = hashes.iter().map(String::as_str).collect();
        for (hash, meta) in hashes.iter().zip(metas) {
            let p = props.remove(hash);
            match (meta, p) {
                (Ok((meta, x)), Some(props)) => {
                    scan.runs.push(Run { props, meta });
                    mapped.push(x);
                }
                (_, None) if self.run_lock(hash).exists() => scan.being_created.push(hash.clone()),
                (Err(e), _) => scan.problems.push(Problem {
                    hash: hash.clone(),
                    path: self.meta_chunk(hash),
                    reason: format!("unreadable meta chunk, skipped: {e}"),
                }),
                (Ok(_), None) if placing(&merges, hash).is_some() => {
                    if let Some(m) = placing(&merges, hash).and_then(|i| merges.get_mut(i)) {
                        m.placed_without_row.push(hash.clone());
                    }
                }
                (Ok(_), None) => scan.problems.push(Problem {
                    hash: hash.clone(),
                    path: self.meta_chunk(hash),
                    reason: format!(
                        "`{}` has no row in run_metadata.sqlite; skipped",
                        self.meta_chunk(hash).display()
                    ),
                }),
            }
        }
        // runs closed by Aim < 3.20: their end time is in the index only
        let open: Vec<&str> = scan
            .runs
            .iter()
            .filter(|r| r.end_time().is_none())
            .map(Run::hash)
            .collect();
        if !open.is_empty() {
            let ends = self.index_end_times(open);
            for r in &mut scan.runs {
                match ends.get(r.hash()) {
                    Some(Ok(t)) => r.meta.end_time = EndTime::At(*t),
                    Some(Err(e)) => scan.problems.push(Problem {
                        hash: r.hash().to_owned(),
                        path: self.aim_dir.join("meta").join("index"),
                        reason: format!(
                            "no end time in its chunk, and `meta/index`, where Aim older than 3.20 keeps the end time of a run it closed, does not read ({e}): shown as active"
                        ),
                    }),
                    None => {}
                }
            }
        }
        scan.merges = merges;
        let mut ghosts: Vec<String> = props
            .into_keys()
            .filter(|h| !chunk_set.contains(h.as_str()))
            .collect();
        ghosts.sort();
        for hash in ghosts {
            scan.problems.push(Problem {
                path: self.meta_chunk(&hash),
                reason: format!(
                    "row in run_metadata.sqlite but no meta chunk `{}`; skipped",
                    self.meta_chunk(&hash).display()
                ),
                hash,
            });
        }
        Ok((scan, mapped))
    }
}

/// Maps `f` over `items` on all cores (scoped threads pulling from a shared counter),
/// keeping the input order.
pub fn par_map<'a, T, R, F>(items: &'a [T], f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&'a T) -> R + Sync,
{
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(items.len().max(1));
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let mut parts: Vec<Vec<(usize, R)>> = Vec::new();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        out.push((i, f(item)));
                    }
                    out
                })
            })
            .collect();
        for h in handles {
            match h.join() {
                Ok(p) => parts.push(p),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    let mut all: Vec<(usize, R)> = parts.into_iter().flatten().collect();
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The `killed` fixture (real Aim 3.29.1): a finished run and a killed one, whose writer
    /// lock `locks/04f8….softlock` stayed.
    const KILLED: &str = "04f8a3249b3c4911b1cd6566";

    fn copy_dir(src: &Path, dst: &Path) {
        std::fs::create_dir_all(dst).unwrap();
        for e in std::fs::read_dir(src).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                copy_dir(&e.path(), &dst.join(e.file_name()));
            } else {
                std::fs::copy(e.path(), dst.join(e.file_name())).unwrap();
            }
        }
    }

    fn killed_copy(tmp: &Path) -> Repo {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/repos/killed");
        let dst = tmp.join("killed");
        copy_dir(&src, &dst);
        Repo::open(&dst).unwrap()
    }

    #[test]
    fn a_chunk_with_writer_lock_and_no_row_yet_is_being_created_not_a_problem() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = killed_copy(tmp.path());
        // the instant between Aim creating the run's meta chunk and inserting its row
        let db = sqlite::sqlite_path(repo.aim_dir());
        let conn = rusqlite::Connection::open(&db).unwrap();
        assert_eq!(
            conn.execute("DELETE FROM run WHERE hash = ?1", [KILLED])
                .unwrap(),
            1
        );
        drop(conn);
        let scan = repo.scan().unwrap();
        assert_eq!(scan.being_created, vec![KILLED.to_owned()]);
        assert!(scan.problems.is_empty(), "{:?}", scan.problems);
        assert_eq!(scan.runs.len(), 1);

        // without the writer lock it is a chunk without row: a problem
        std::fs::remove_file(repo.run_lock(KILLED)).unwrap();
        let scan = repo.scan().unwrap();
        assert!(scan.being_created.is_empty());
        assert_eq!(scan.problems.len(), 1);
        assert!(
            scan.problems[0].reason.contains("has no row"),
            "{:?}",
            scan.problems
        );
    }

    #[test]
    fn a_seqs_chunk_still_being_created_reads_empty_a_damaged_one_fails() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = killed_copy(tmp.path());
        let dir = repo.seqs_chunk(KILLED);
        let meta = repo.read_meta(KILLED).unwrap();
        let trace = meta.traces.first().unwrap();
        assert!(!crate::Seqs::open(&dir, KILLED)
            .unwrap()
            .points(trace)
            .unwrap()
            .is_empty());
        // CURRENT gone but the WAL there: damaged, an error
        std::fs::remove_file(dir.join("CURRENT")).unwrap();
        assert!(crate::Seqs::open(&dir, KILLED).is_err());
        // no CURRENT and no WAL or table yet: RocksDB still creating it, nothing committed
        std::fs::remove_file(dir.join("000005.log")).unwrap();
        let seqs = crate::Seqs::open(&dir, KILLED).unwrap();
        assert!(seqs.points(trace).unwrap().is_empty());
    }
}
