//! A read-only health check of a repository (`tcbench aimrepo doctor`): damaged chunks,
//! runs missing from SQLite or from the chunks, unfinished runs and whether their writer
//! is alive, stale locks and progress markers, and an index that hides runs from Aim 3.29
//! (docs/aim-format.md §5.3). Each finding carries the Aim command that fixes it.
//!
//! It exists apart from [`crate::Repo::scan`] because a doctor must read every byte (a
//! flipped byte in any data block of either chunk) and look at files readers ignore
//! (locks, markers, `meta/index`). Nothing is written: files are only opened for reading
//! and the writer-alive test reads `/proc` (no lock is taken).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use rocks_reader::Db;

use crate::error::RepoError;
use crate::key;
use crate::repo::{par_map, Repo};
use crate::value::{self, Value};

/// Whether a finding needs action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// Something hides or loses data, or leaves a run open: exit 3.
    Problem,
    /// Worth knowing, harmless (a run being written, Aim's own leftovers).
    Note,
}

/// What a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A meta or seqs chunk that does not read whole.
    CorruptChunk,
    /// A chunk without `run_metadata.sqlite` row.
    MissingSqliteRow,
    /// A `run_metadata.sqlite` row without meta chunk.
    MissingChunk,
    /// A meta chunk listing traces without seqs chunk: the values are lost.
    MissingSeqsChunk,
    /// No `end_time` and no live writer.
    UnfinishedRun,
    /// No `end_time`, written from another machine: cannot tell.
    UnfinishedRunElsewhere,
    /// No `end_time`, its writer is alive: being written.
    RunningRun,
    /// `end_time` in `meta/index` only, not in the chunk: closed by Aim < 3.20.
    EndTimeInIndex,
    /// A finished run with a softlock or a `meta/progress` marker.
    StaleLock,
    /// A lock or marker of a run that has no chunk, or Aim's own harmless leftovers.
    Leftover,
    /// `meta/index` holds no run while chunks exist.
    IndexEmpty,
    /// `meta/index` lacks some runs.
    IndexPartial,
    /// `meta/index` holds runs whose metadata differs from their chunk.
    IndexStale,
    /// `meta/index` holds runs that have no chunk.
    IndexLeftover,
    /// `meta/index` cannot be read.
    IndexCorrupt,
    /// A merge into the repository is running (its staging folder, live process).
    MergeInProgress,
    /// A merge into the repository was killed: runs placed without SQLite row, or only its
    /// staging folder.
    InterruptedMerge,
}

impl Kind {
    /// A stable kebab-case name (JSON output).
    pub fn name(self) -> &'static str {
        match self {
            Kind::CorruptChunk => "corrupt-chunk",
            Kind::MissingSqliteRow => "missing-sqlite-row",
            Kind::MissingChunk => "missing-chunk",
            Kind::MissingSeqsChunk => "missing-seqs-chunk",
            Kind::UnfinishedRun => "unfinished-run",
            Kind::UnfinishedRunElsewhere => "unfinished-run-other-machine",
            Kind::RunningRun => "running-run",
            Kind::EndTimeInIndex => "end-time-in-index",
            Kind::StaleLock => "stale-lock",
            Kind::Leftover => "leftover",
            Kind::IndexEmpty => "index-empty",
            Kind::IndexPartial => "index-partial",
            Kind::IndexStale => "index-stale",
            Kind::IndexLeftover => "index-leftover",
            Kind::IndexCorrupt => "index-corrupt",
            Kind::MergeInProgress => "merge-in-progress",
            Kind::InterruptedMerge => "interrupted-merge",
        }
    }
}

/// The command that fixes a finding (rendered by the CLI with the repository path).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fix {
    /// `aim runs --repo R close -y H…`: sets `end_time`, removes the softlock and the
    /// `meta/progress` marker.
    Close(Vec<String>),
    /// `aim runs --repo R rm -y H…`: removes the runs (SQLite rows and chunks).
    Remove(Vec<String>),
    /// `aim storage --repo R reindex -y`: rebuilds `meta/index` from every chunk (Aim 3.20
    /// and later; before, the command does nothing).
    Reindex,
    /// `rm PATH…`: files no Aim command removes.
    RemoveFiles(Vec<PathBuf>),
    /// `tcbench aimrepo merge --append --src S… --dst R`: the interrupted merge run again,
    /// which places the rest and writes the rows (its sources, as it recorded them).
    RerunMerge(Vec<PathBuf>),
}

/// One thing the doctor found.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// Problem or note.
    pub severity: Severity,
    /// What it is about.
    pub kind: Kind,
    /// The runs concerned (empty for repository-wide findings).
    pub runs: Vec<String>,
    /// The file or folder concerned.
    pub path: PathBuf,
    /// One line: what is wrong and why it matters.
    pub detail: String,
    /// What fixes it, when something should be done.
    pub fix: Option<Fix>,
}

/// The doctor's report.
#[derive(Clone, Debug, Default)]
pub struct Health {
    /// Runs (meta chunk folders).
    pub runs: usize,
    /// Whether `meta/index` exists as a database Aim 3.29 reads metadata from.
    pub index: IndexState,
    /// Findings, problems first in the order their fixes should be applied.
    pub findings: Vec<Finding>,
}

impl Health {
    /// True when no finding is a problem.
    pub fn healthy(&self) -> bool {
        self.findings.iter().all(|f| f.severity == Severity::Note)
    }
}

/// What Aim 3.29 makes of `meta/index`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IndexState {
    /// Missing or without `CURRENT`: Aim reads every chunk.
    #[default]
    Absent,
    /// A database: Aim reads run metadata from it only.
    Present,
    /// Present but unreadable.
    Corrupt,
}

/// Whether the process writing a run is alive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Writer {
    /// Alive: how we know.
    Alive(String),
    /// Gone: how we know.
    Gone(String),
    /// Written from another machine.
    Elsewhere(String),
}

/// The writer marks of one run.
#[derive(Clone, Debug, Default)]
struct Marks {
    softlock: Option<PathBuf>,
    meta_progress: Option<PathBuf>,
    seqs_progress: Option<PathBuf>,
    /// Pre-3.15 container locks `meta|seqs/locks/<H>[.softlock]`.
    legacy: Vec<PathBuf>,
}

impl Marks {
    fn files(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = [&self.softlock, &self.meta_progress, &self.seqs_progress]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        v.extend(self.legacy.iter().cloned());
        v
    }
}

/// What one run's chunks hold, as far as the doctor needs.
struct ChunkCheck {
    /// `Err(reason)` when the meta chunk does not read whole.
    meta: Result<MetaSummary, String>,
    /// `Some((kind, reason))` when the seqs chunk does not read whole, or is missing while
    /// the meta chunk lists traces.
    seqs: Option<(Kind, String)>,
}

struct MetaSummary {
    /// `end_time`: None when missing or stored as None.
    end_time: Option<f64>,
    /// Digest and count of the `('meta','chunks',H)` pairs, to compare with the index.
    digest: (u64, u64),
    /// The same without the `end_time` pair.
    digest_wo_end: (u64, u64),
    /// How many traces `('meta','chunks',H,'traces',ctx,name)` the chunk lists.
    traces: usize,
}

/// FNV-1a over length-prefixed keys and values.
#[derive(Clone, Copy)]
struct Digest(u64, u64);

impl Digest {
    fn new() -> Digest {
        Digest(0xcbf2_9ce4_8422_2325, 0)
    }
    fn eat(&mut self, bytes: &[u8]) {
        for b in (bytes.len() as u64).to_le_bytes().iter().chain(bytes) {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn pair(&mut self, k: &[u8], v: &[u8]) {
        self.eat(k);
        self.eat(v);
        self.1 += 1;
    }
}

fn end_time_of(v: &[u8]) -> Option<f64> {
    match value::decode(v).ok()? {
        Value::Float(f) => Some(f),
        Value::Int(i) => Some(i as f64),
        _ => None,
    }
}

/// Reads every pair of a meta chunk; summarizes the run's own range.
fn check_meta(dir: &Path, hash: &str) -> Result<MetaSummary, String> {
    let db = Db::open(dir).map_err(|e| e.to_string())?;
    let prefix = key::encode_strs(&["meta", "chunks", hash]);
    let end_key = key::encode_strs(&["meta", "chunks", hash, "end_time"]);
    let mut digest = Digest::new();
    let mut wo_end = Digest::new();
    let mut end_time = None;
    let traces_prefix = key::encode_strs(&["meta", "chunks", hash, "traces"]);
    let mut traces = 0;
    let mut last_trace: Vec<u8> = Vec::new();
    let mut it = db.iter();
    while it.advance().map_err(|e| e.to_string())? {
        let k = it.key();
        if let Some(rest) = k.strip_prefix(traces_prefix.as_slice()) {
            // (ctx, name): the first two segments after `traces`
            let mut segs = key::segments(rest);
            if let (Some(Ok(_)), Some(Ok(_))) = (segs.next(), segs.next()) {
                let id = rest.get(..segs.position()).unwrap_or_default();
                if id != last_trace.as_slice() {
                    traces += 1;
                    last_trace = id.to_vec();
                }
            }
        }
        if k.starts_with(&prefix) {
            digest.pair(k, it.value());
            if k == end_key.as_slice() {
                end_time = end_time_of(it.value());
            } else {
                wo_end.pair(k, it.value());
            }
        }
    }
    Ok(MetaSummary {
        end_time,
        digest: (digest.0, digest.1),
        digest_wo_end: (wo_end.0, wo_end.1),
        traces,
    })
}

/// Reads every pair of a seqs chunk of a run listing `traces` traces (absent is fine for a
/// run without any: see [`crate::Seqs::presence`]).
fn check_seqs(dir: &Path, traces: usize) -> Option<(Kind, String)> {
    match crate::Seqs::presence(dir, 0) {
        Ok(true) => {}
        // missing: fine without traces, traces without sequence data otherwise
        Ok(false) => {
            return crate::Seqs::presence(dir, traces)
                .err()
                .map(|e| (Kind::MissingSeqsChunk, e.to_string()))
        }
        Err(e) => return Some((Kind::CorruptChunk, e.to_string())),
    }
    let db = match Db::open(dir) {
        Ok(db) => db,
        Err(e) => return Some((Kind::CorruptChunk, e.to_string())),
    };
    let mut it = db.iter();
    loop {
        match it.advance() {
            Ok(true) => {}
            Ok(false) => return None,
            Err(e) => return Some((Kind::CorruptChunk, e.to_string())),
        }
    }
}

/// Per run in `meta/index`: digest of its `('meta','chunks',H)` range and its `end_time`.
struct IndexRun {
    digest: Digest,
    /// The same without the `end_time` pair.
    digest_wo_end: Digest,
    end_time: Option<f64>,
}

fn read_index(dir: &Path) -> Result<BTreeMap<String, IndexRun>, rocks_reader::Error> {
    let db = Db::open(dir)?;
    let prefix = key::encode_strs(&["meta", "chunks"]);
    let mut runs: BTreeMap<String, IndexRun> = BTreeMap::new();
    let mut it = db.prefix_iter(&prefix);
    while it.advance()? {
        let k = it.key();
        let rest = k.get(prefix.len()..).unwrap_or_default();
        let Some(end) = rest.iter().position(|b| *b == 0xFE) else {
            continue;
        };
        let Some(hash) = rest.get(..end).and_then(|h| std::str::from_utf8(h).ok()) else {
            continue;
        };
        if hash.is_empty() {
            continue;
        }
        let entry = runs.entry(hash.to_owned()).or_insert_with(|| IndexRun {
            digest: Digest::new(),
            digest_wo_end: Digest::new(),
            end_time: None,
        });
        entry.digest.pair(k, it.value());
        if rest.get(end + 1..) == Some(b"end_time\xFE".as_slice()) {
            entry.end_time = end_time_of(it.value());
        } else {
            entry.digest_wo_end.pair(k, it.value());
        }
    }
    Ok(runs)
}

fn list_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .collect();
    v.sort();
    v
}

fn collect_marks(aim: &Path) -> BTreeMap<String, Marks> {
    let mut marks: BTreeMap<String, Marks> = BTreeMap::new();
    let locks = aim.join("locks");
    for name in list_names(&locks) {
        if let Some(h) = name.strip_suffix(".softlock") {
            marks.entry(h.to_owned()).or_default().softlock = Some(locks.join(&name));
        }
    }
    for (sub, meta) in [("meta", true), ("seqs", false)] {
        let dir = aim.join(sub).join("progress");
        for name in list_names(&dir) {
            let m = marks.entry(name.clone()).or_default();
            if meta {
                m.meta_progress = Some(dir.join(&name));
            } else {
                m.seqs_progress = Some(dir.join(&name));
            }
        }
        let dir = aim.join(sub).join("locks");
        for name in list_names(&dir) {
            let h = name.strip_suffix(".softlock").unwrap_or(&name).to_owned();
            marks.entry(h).or_default().legacy.push(dir.join(&name));
        }
    }
    marks
}

/// Checks the repository. Errors only when it cannot be read at all.
pub fn check(repo: &Repo) -> Result<Health, RepoError> {
    let aim = repo.aim_dir();
    let hashes = repo.chunk_hashes()?;
    let mut props = repo.sqlite_runs()?;
    let checks: Vec<ChunkCheck> = par_map(&hashes, |h| {
        let meta = check_meta(&repo.meta_chunk(h), h);
        let traces = meta.as_ref().map_or(0, |m| m.traces);
        ChunkCheck {
            seqs: check_seqs(&repo.seqs_chunk(h), traces),
            meta,
        }
    });
    let mut marks = collect_marks(aim);
    let index_dir = aim.join("meta").join("index");
    let index = read_index(&index_dir);
    let host = crate::liveness::Host::read();
    let mut out = Health {
        runs: hashes.len(),
        ..Health::default()
    };
    let mut f = Vec::new();
    let mut merges = merge_findings_start(repo);
    let mut summaries: BTreeMap<&str, &MetaSummary> = BTreeMap::new();
    let mut closed_in_index: Vec<(&str, f64)> = Vec::new();
    for (h, c) in hashes.iter().zip(&checks) {
        let run_marks = marks.remove(h).unwrap_or_default();
        let has_row = props.remove(h).is_some();
        let placed_by = merges.iter_mut().find(|(m, _)| {
            m.placing
                .as_ref()
                .is_some_and(|p| p.runs.contains(h.as_str()))
        });
        if let (false, Some((_, placed))) = (has_row, placed_by) {
            // placed by a merge, which writes the rows last: not a run yet, not damage;
            // reported once with the merge (below), nothing to fix run by run
            placed.push(h.clone());
            if let Ok(m) = &c.meta {
                summaries.insert(h, m);
            }
            continue;
        }
        if let Ok(m) = &c.meta {
            summaries.insert(h, m);
        }
        chunk_findings(repo, h, c, has_row, &mut f);
        let Ok(meta) = &c.meta else { continue };
        // closed by Aim < 3.20: `end_time` in the index only (what Repo::index_end_times reads)
        let in_index = match (&index, meta.end_time) {
            (Ok(index), None)
                if run_marks.meta_progress.is_none() && run_marks.softlock.is_none() =>
            {
                index.get(h.as_str()).and_then(|i| i.end_time)
            }
            _ => None,
        };
        if let Some(t) = in_index {
            closed_in_index.push((h.as_str(), t));
        }
        run_marks_findings(
            repo,
            &host,
            h,
            meta.end_time.or(in_index),
            &run_marks,
            &mut f,
        );
    }
    f.extend(ghost_findings(repo, props));
    f.extend(mark_leftover_findings(aim, marks));
    f.extend(merges.into_iter().map(|(m, runs)| merge_finding(m, runs)));
    f.extend(progress_index_finding(aim));
    let closed: BTreeSet<&str> = closed_in_index.iter().map(|(h, _)| *h).collect();
    let (state, index_findings) = index_findings(&index_dir, index, &hashes, &summaries, &closed);
    out.index = state;
    f.extend(index_findings);
    // a reindex (Aim 3.20+) rebuilds the index from the chunks: it would drop these end times
    let reindex = f.iter().any(|x| x.fix == Some(Fix::Reindex));
    f.extend(closed_in_index_findings(repo, closed_in_index, reindex));
    sort_findings(&mut f);
    out.findings = f;
    Ok(out)
}

/// What one run's chunks and SQLite row say: an unreadable meta or seqs chunk, traces
/// without seqs chunk, a chunk without row.
fn chunk_findings(repo: &Repo, h: &str, c: &ChunkCheck, has_row: bool, f: &mut Vec<Finding>) {
    if let Err(reason) = &c.meta {
        f.push(Finding {
            severity: Severity::Problem,
            kind: Kind::CorruptChunk,
            runs: vec![h.to_owned()],
            path: repo.meta_chunk(h),
            detail: format!("meta chunk unreadable: {reason}"),
            fix: Some(Fix::Remove(vec![h.to_owned()])),
        });
    }
    match &c.seqs {
            Some((Kind::MissingSeqsChunk, reason)) => f.push(Finding {
                severity: Severity::Problem,
                kind: Kind::MissingSeqsChunk,
                runs: vec![h.to_owned()],
                path: repo.seqs_chunk(h),
                detail: format!(
                    "traces without sequence data: {reason}; restore the folder from a copy of the repository to keep them"
                ),
                fix: None,
            }),
            Some((kind, reason)) => f.push(Finding {
                severity: Severity::Problem,
                kind: *kind,
                runs: vec![h.to_owned()],
                path: repo.seqs_chunk(h),
                detail: format!("seqs chunk (metric values) unreadable: {reason}"),
                fix: Some(Fix::Remove(vec![h.to_owned()])),
            }),
            None => {}
        }

    if !has_row {
        f.push(Finding {
            severity: Severity::Problem,
            kind: Kind::MissingSqliteRow,
            runs: vec![h.to_owned()],
            path: repo.meta_chunk(h),
            detail: "chunk without row in run_metadata.sqlite: no name, experiment or creation time; Aim's queries skip it".into(),
            fix: Some(Fix::Remove(vec![h.to_owned()])),
        });
    }
}

/// Rows in `run_metadata.sqlite` without meta chunk.
fn ghost_findings(repo: &Repo, props: HashMap<String, crate::RunProps>) -> Vec<Finding> {
    let mut f = Vec::new();
    let mut ghosts: Vec<String> = props.into_keys().collect();
    ghosts.sort();
    for h in ghosts {
        f.push(Finding {
            severity: Severity::Problem,
            kind: Kind::MissingChunk,
            path: repo.meta_chunk(&h),
            detail: format!(
                "row in run_metadata.sqlite without meta chunk `{}`: Aim lists a run without data",
                repo.meta_chunk(&h).display()
            ),
            fix: Some(Fix::Remove(vec![h.clone()])),
            runs: vec![h],
        });
    }
    f
}

/// Locks and progress markers of runs that have no chunk.
fn mark_leftover_findings(aim: &Path, marks: BTreeMap<String, Marks>) -> Vec<Finding> {
    let mut f = Vec::new();
    for (h, m) in marks {
        if h == "index" {
            f.push(Finding {
                severity: Severity::Note,
                kind: Kind::Leftover,
                runs: vec![],
                path: aim.join("locks").join("index"),
                detail: format!(
                    "index writer marks left by Aim ({}); harmless when no `aim up` or reindex is running",
                    m.files().iter().map(|p| format!("`{}`", p.display())).collect::<Vec<_>>().join(", ")
                ),
                fix: None,
            });
            continue;
        }
        let files = m.files();
        f.push(Finding {
            severity: Severity::Note,
            kind: Kind::Leftover,
            path: files.first().cloned().unwrap_or_default(),
            detail: format!(
                "lock or progress marker of a run without chunk ({} file(s)); harmless",
                files.len()
            ),
            fix: Some(Fix::RemoveFiles(files)),
            runs: vec![h],
        });
    }
    f
}

/// `progress/index`, left by an index writer.
fn progress_index_finding(aim: &Path) -> Option<Finding> {
    let progress_index = aim.join("progress").join("index");
    progress_index.exists().then(|| Finding {
        severity: Severity::Note,
        kind: Kind::Leftover,
        runs: vec![],
        path: progress_index.clone(),
        detail: format!(
            "`{}` left by an index writer; harmless when no `aim up` or reindex is running",
            progress_index.display()
        ),
        fix: None,
    })
}

/// Runs closed by Aim < 3.20, their end time in `meta/index` only: a problem when a reindex
/// is among the fixes (it would drop them), a note otherwise.
fn closed_in_index_findings(
    repo: &Repo,
    closed_in_index: Vec<(&str, f64)>,
    reindex: bool,
) -> Vec<Finding> {
    let mut f = Vec::new();
    for (h, t) in closed_in_index {
        let what = format!(
            "end_time {t} is in meta/index only, not in the chunk: the run was closed by an Aim older than 3.20 (`aim runs close` writes it there); Aim and tcbench take it from there"
        );
        let (severity, detail, fix) = if reindex {
            (
                Severity::Problem,
                format!("{what}, but the reindex below would drop it and leave the run active forever: close it again with Aim 3.20 or later first, which writes the time of that close into the chunk"),
                Some(Fix::Close(vec![h.to_owned()])),
            )
        } else {
            (
                Severity::Note,
                format!("{what}; a reindex by Aim 3.20 or later would drop it"),
                None,
            )
        };
        f.push(Finding {
            severity,
            kind: Kind::EndTimeInIndex,
            runs: vec![h.to_owned()],
            path: repo.meta_chunk(h),
            detail,
            fix,
        });
    }
    f
}

/// Orders the findings.
fn sort_findings(f: &mut [Finding]) {
    // problems first, in the order their fixes apply (closing a run changes its chunk, so
    // the index is rebuilt last), an interrupted merge first (run again, it completes runs
    // the other fixes would change); notes after
    f.sort_by_key(|x| {
        (
            x.severity == Severity::Note,
            x.kind != Kind::InterruptedMerge,
            is_index(x.kind),
        )
    });
}

/// The merges into the repository (their staging folders), each with the runs it placed
/// that have no row yet (filled in by [`check`]).
fn merge_findings_start(repo: &Repo) -> Vec<(crate::staging::MergeInRepo, Vec<String>)> {
    crate::staging::merges_into(repo.root())
        .into_iter()
        .map(|m| (m, Vec::new()))
        .collect()
}

/// What a merge's staging folder means: running, interrupted after placing runs (rerun it),
/// interrupted before (nothing of it in the repository), or not provably ours.
fn merge_finding(m: crate::staging::MergeInRepo, runs: Vec<String>) -> Finding {
    use crate::staging::State;
    let s = &m.staging;
    let who = match s.pid {
        Some(p) => format!("process {p}, staging folder `{}`", s.path.display()),
        None => format!("staging folder `{}`", s.path.display()),
    };
    let n = match runs.len() {
        1 => "1 run".to_owned(),
        n => format!("{n} runs"),
    };
    let (severity, kind, detail, fix) = match (s.state, &m.placing) {
        (State::Running, _) => (
            Severity::Note,
            Kind::MergeInProgress,
            format!("a merge into this repository is in progress ({who}); {n} it placed have no row in run_metadata.sqlite yet (it writes them last): check again once it has finished"),
            None,
        ),
        (_, Some(p)) => (
            Severity::Problem,
            Kind::InterruptedMerge,
            format!("a merge into this repository was interrupted ({who}; its process is gone): it left {n} placed without their row in run_metadata.sqlite (Aim's queries skip them) and that folder; running the same merge again finishes it and removes the folder"),
            Some(Fix::RerunMerge(p.sources.clone())),
        ),
        (State::Dead, None) => (
            Severity::Note,
            Kind::InterruptedMerge,
            format!("a merge into this repository was interrupted while copying ({who}; its process is gone): nothing of it is in the repository; the next merge into it removes that folder (or delete it)"),
            None,
        ),
        (State::Unknown, None) => (
            Severity::Note,
            Kind::Leftover,
            format!("`{}` looks like the leftover of an interrupted merge; delete it if no merge is running", s.path.display()),
            None,
        ),
    };
    Finding {
        severity,
        kind,
        runs,
        path: m.staging.path,
        detail,
        fix,
    }
}

fn is_index(k: Kind) -> bool {
    matches!(
        k,
        Kind::IndexEmpty
            | Kind::IndexPartial
            | Kind::IndexStale
            | Kind::IndexLeftover
            | Kind::IndexCorrupt
    )
}

fn run_marks_findings(
    repo: &Repo,
    host: &crate::liveness::Host,
    h: &str,
    end_time: Option<f64>,
    marks: &Marks,
    f: &mut Vec<Finding>,
) {
    let chunk = repo.meta_chunk(h);
    if end_time.is_none() {
        let writer = host.writer(marks.softlock.as_deref(), &chunk, &repo.seqs_chunk(h));
        let (severity, kind, detail, fix) = match writer {
            Writer::Alive(how) => (
                Severity::Note,
                Kind::RunningRun,
                format!("being written (no end_time yet): {how}"),
                None,
            ),
            Writer::Gone(how) => (
                Severity::Problem,
                Kind::UnfinishedRun,
                format!("unfinished (no end_time) and its writer is gone: {how}; Aim shows it as active forever"),
                Some(Fix::Close(vec![h.to_owned()])),
            ),
            Writer::Elsewhere(how) => (
                Severity::Problem,
                Kind::UnfinishedRunElsewhere,
                format!("unfinished (no end_time): {how}; if that process has ended, close the run"),
                Some(Fix::Close(vec![h.to_owned()])),
            ),
        };
        f.push(Finding {
            severity,
            kind,
            runs: vec![h.to_owned()],
            path: chunk,
            detail,
            fix,
        });
        return;
    }
    // finished run: the softlock and the meta progress marker should be gone
    let mut stale: Vec<PathBuf> = [&marks.softlock, &marks.meta_progress]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    stale.extend(marks.legacy.iter().cloned());
    if !stale.is_empty() {
        f.push(Finding {
            severity: Severity::Problem,
            kind: Kind::StaleLock,
            runs: vec![h.to_owned()],
            path: stale[0].clone(),
            detail: format!(
                "finished run still marked as being written ({}): Aim lists it among active runs and refuses to copy it",
                stale.iter().map(|p| format!("`{}`", p.display())).collect::<Vec<_>>().join(", ")
            ),
            fix: Some(Fix::Close(vec![h.to_owned()])),
        });
    } else if let Some(p) = &marks.seqs_progress {
        f.push(Finding {
            severity: Severity::Note,
            kind: Kind::Leftover,
            runs: vec![h.to_owned()],
            path: p.clone(),
            detail:
                "seqs progress marker of a finished run (`aim runs close` leaves it too); harmless"
                    .into(),
            fix: None,
        });
    }
}

fn index_findings(
    dir: &Path,
    index: Result<BTreeMap<String, IndexRun>, rocks_reader::Error>,
    hashes: &[String],
    chunks: &BTreeMap<&str, &MetaSummary>,
    closed_in_index: &BTreeSet<&str>,
) -> (IndexState, Vec<Finding>) {
    let dir = dir.to_path_buf();
    let index = match index {
        Ok(i) => i,
        Err(rocks_reader::Error::NotADatabase { .. }) => return (IndexState::Absent, vec![]),
        Err(e) => {
            return (
                IndexState::Corrupt,
                vec![Finding {
                    severity: Severity::Problem,
                    kind: Kind::IndexCorrupt,
                    runs: vec![],
                    path: dir,
                    detail: format!("meta/index unreadable: {e}"),
                    fix: Some(Fix::Reindex),
                }],
            )
        }
    };
    let mut f = Vec::new();
    let readable: BTreeSet<&str> = chunks.keys().copied().collect();
    let hidden: Vec<String> = hashes
        .iter()
        .filter(|h| readable.contains(h.as_str()) && !index.contains_key(h.as_str()))
        .cloned()
        .collect();
    if !hidden.is_empty() {
        let empty = index.is_empty();
        f.push(Finding {
            severity: Severity::Problem,
            kind: if empty { Kind::IndexEmpty } else { Kind::IndexPartial },
            detail: if empty {
                format!("meta/index holds no run: Aim 3.29 reads run metadata from it only, so it hides {} (no params, no metrics)", if hidden.len() == 1 { "the only run".to_string() } else { format!("all {} runs", hidden.len()) })
            } else {
                format!("meta/index lacks {} of {} runs: Aim 3.29 reads run metadata from it only, so it hides them", hidden.len(), readable.len())
            },
            runs: hidden,
            path: dir.clone(),
            fix: Some(Fix::Reindex),
        });
    }
    let mut stale = Vec::new();
    let mut ends = Vec::new();
    for (h, m) in chunks {
        if let Some(i) = index.get(*h) {
            // a run closed in the index only differs by its end_time (reported apart)
            let differs = if closed_in_index.contains(h) {
                (i.digest_wo_end.0, i.digest_wo_end.1) != m.digest_wo_end
            } else {
                (i.digest.0, i.digest.1) != m.digest
            };
            if differs {
                stale.push((*h).to_owned());
                if i.end_time.is_none() != m.end_time.is_none() {
                    ends.push(format!(
                        "{h}: end_time {} in the index, {} in the chunk",
                        i.end_time.map_or("None".into(), |t| t.to_string()),
                        m.end_time.map_or("None".into(), |t| t.to_string())
                    ));
                }
            }
        }
    }
    if !stale.is_empty() {
        f.push(Finding {
            severity: Severity::Problem,
            kind: Kind::IndexStale,
            detail: format!(
                "meta/index holds older metadata than the chunks of {} run(s), which Aim 3.29 shows instead{}",
                stale.len(),
                if ends.is_empty() { String::new() } else { format!(" ({})", ends.join("; ")) }
            ),
            runs: stale,
            path: dir.clone(),
            fix: Some(Fix::Reindex),
        });
    }
    let all: BTreeSet<&str> = hashes.iter().map(String::as_str).collect();
    let gone: Vec<String> = index
        .keys()
        .filter(|h| !all.contains(h.as_str()))
        .cloned()
        .collect();
    if !gone.is_empty() {
        f.push(Finding {
            severity: Severity::Problem,
            kind: Kind::IndexLeftover,
            detail: format!(
                "meta/index holds {} run(s) that have no chunk (deleted by hand?): Aim 3.29 reads run metadata from it, not from the chunks",
                gone.len()
            ),
            runs: gone,
            path: dir,
            fix: Some(Fix::Reindex),
        });
    }
    (IndexState::Present, f)
}
