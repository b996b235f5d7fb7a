//! Performing a planned merge ([`Plan::execute`]): a new destination assembled in a hidden
//! sibling folder and renamed into place, or runs staged inside an existing one and renamed
//! in, then the result re-read with our own reader and compared with the sources.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::fsops::{self, FsError};
use super::{
    db, io_err, repo_err, sql_err, Destination, Job, MergeError, Outcome, Part, Plan, Progress,
};
use crate::repo::{par_map, Repo};
use crate::staging::{self, Tag};
use crate::write::staging as stage;

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
                            error: std::io::Error::other(format!(
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
        error: std::io::Error::other("cannot copy a chunk being written"),
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
}
