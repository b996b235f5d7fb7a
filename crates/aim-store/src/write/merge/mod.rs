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
mod execute;
mod fsops;
mod load;
mod planning;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};

use fsops::{FsError, Listing};

pub use planning::{plan, plan_selected, Select};

use crate::error::{RepoError, SqliteError};
use crate::write::staging::DirLock;

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
    #[error("`{}`: {error}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The error (in the message, not a [`source`](std::error::Error::source)).
        error: std::io::Error,
    },
    /// A SQLite error.
    #[error("`{}`: SQLite: {cause}", path.display())]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// Why (in the message, not a [`source`](std::error::Error::source)).
        cause: SqliteError,
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
            error: e.source,
        }
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> MergeError + '_ {
    move |error| MergeError::Io {
        path: path.to_path_buf(),
        error,
    }
}

fn sql_err<E: Into<SqliteError>>(path: &Path) -> impl FnOnce(E) -> MergeError + '_ {
    move |e| MergeError::Sqlite {
        path: path.to_path_buf(),
        cause: e.into(),
    }
}

fn repo_err(role: &'static str, e: RepoError) -> MergeError {
    match e {
        RepoError::NotFound(path) => MergeError::NotFound { role, path },
        RepoError::NotARepo(path) => MergeError::NotARepo { role, path },
        RepoError::Io { path, error } => MergeError::Io { path, error },
        RepoError::Sqlite { path, cause } => MergeError::Sqlite { path, cause },
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

/// The four components of a run, each copied (or kept) from one repository.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Component {
    /// `meta/chunks/<H>`.
    Meta,
    /// `seqs/chunks/<H>`.
    Seqs,
    /// tcbench's `artifacts/<H>/`, next to `.aim`.
    Artifacts,
    /// The run's rows in `run_metadata.sqlite`.
    Row,
}

impl Component {
    /// Every component, in the order copies are compared.
    const ALL: [Component; 4] = [
        Component::Meta,
        Component::Seqs,
        Component::Artifacts,
        Component::Row,
    ];

    /// What a conflict message calls it (the SQLite row names the field that differs).
    fn name(self) -> &'static str {
        match self {
            Component::Meta => "meta chunk",
            Component::Seqs => "seqs chunk",
            Component::Artifacts => "artifacts folder",
            Component::Row => "SQLite row",
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
