//! `tcbench aimrepo`: the subcommands, one file each, and the loading they share.

pub mod doctor;
pub mod export;
mod files;
pub mod ls;
pub mod merge;
mod plot;
pub mod properties;
pub mod report;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use aim_store::{Detail, Repo, RepoError, Run};
use anyhow::Context;

use crate::cli::RepoArgs;
use crate::commands::Status;
use crate::printer;
use tcbench::filter::Filter;

/// A repository read by a command, with the path it was found under.
pub struct Source {
    /// The path as given (or a subfolder of a folder of repositories).
    pub shown: PathBuf,
    /// The repository.
    pub repo: Repo,
}

/// The runs a command works on, after reporting problems, applying `--filter` and hiding
/// archived runs.
pub struct Loaded {
    /// The repositories read, in the order given.
    pub sources: Vec<Source>,
    /// Readable runs (archived ones only with `--archived` or a filter naming `archived`),
    /// in hash order; a hash present in several repositories once.
    pub runs: Vec<Run>,
    /// Index into `sources` of each run's repository, by hash.
    origin: HashMap<String, usize>,
    /// Partial when some run could not be read.
    pub status: Status,
}

impl Loaded {
    /// The repository a run was read from.
    pub fn repo_of(&self, run: &Run) -> &Repo {
        let i = self.origin.get(run.hash()).copied().unwrap_or(0);
        match self.sources.get(i).or(self.sources.first()) {
            Some(s) => &s.repo,
            None => unreachable!("runs come from a source"),
        }
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

/// Opens every `--aim-repo`: a repository, or a folder that is not one but whose immediate
/// subfolders are (each of those); the same repository given twice is read once.
pub fn open_sources(paths: &[PathBuf]) -> anyhow::Result<Vec<Source>> {
    let mut out: Vec<Source> = Vec::new();
    let mut seen: HashMap<PathBuf, PathBuf> = HashMap::new();
    for path in paths {
        let found = match Repo::open(path) {
            Ok(r) => vec![(path.clone(), r)],
            Err(RepoError::NotARepo(_)) if path.is_dir() => {
                let inside = repos_inside(path)?;
                if inside.is_empty() {
                    anyhow::bail!(
                        "`{}` is not an Aim repository (no `.aim` folder with `run_metadata.sqlite`) and none of its subfolders is one; point --aim-repo at the folder that contains `.aim`, or at a folder of such folders",
                        path.display()
                    );
                }
                inside
            }
            Err(e) => return Err(e.into()),
        };
        for (shown, repo) in found {
            let key = std::fs::canonicalize(repo.aim_dir())
                .unwrap_or_else(|_| repo.aim_dir().to_path_buf());
            if let Some(first) = seen.get(&key) {
                printer::warn(format!(
                    "`{}` is the same repository as `{}`; read once",
                    shown.display(),
                    first.display()
                ));
                continue;
            }
            seen.insert(key, shown.clone());
            out.push(Source { shown, repo });
        }
    }
    Ok(out)
}

/// Opens the repositories, reads every run (keeping the user's params and metrics, not
/// Aim's `__system*` ones, which no command shows), reports damaged runs on stderr and
/// applies `--filter` and the archived-runs rule.
pub fn load(args: &RepoArgs) -> anyhow::Result<Loaded> {
    load_with(args, Detail::Full)
}

/// [`load`], reading only `detail` of each run's metadata (all of it when the filter reads
/// params).
pub fn load_with(args: &RepoArgs, detail: Detail) -> anyhow::Result<Loaded> {
    load_pruned(
        args,
        detail,
        aim_store::RunMeta::keep_user_metrics_and_params,
    )
}

/// [`load_with`], applying `prune` to each run's metadata as soon as it is read.
pub fn load_pruned(
    args: &RepoArgs,
    detail: Detail,
    prune: impl Fn(&mut aim_store::RunMeta) + Sync,
) -> anyhow::Result<Loaded> {
    let filter = parse_filter(args.filter.as_deref())?;
    let detail = match &filter {
        Some(f) if f.needs_params() => Detail::Full,
        _ => detail,
    };
    let sources = open_sources(&args.aim_repo)?;
    let mut status = Status::Success;
    let mut runs: Vec<Run> = Vec::new();
    let mut origin: HashMap<String, usize> = HashMap::new();
    // position in `runs` of each hash kept, to compare a duplicate with its first copy
    let mut kept_at: HashMap<String, usize> = HashMap::new();
    for (i, src) in sources.iter().enumerate() {
        let scan = src
            .repo
            .scan_pruned(detail, &prune)
            .with_context(|| format!("reading `{}`", src.shown.display()))?;
        for p in &scan.problems {
            printer::warn(p);
            status = Status::Partial;
        }
        for m in &scan.merges {
            match m.describe() {
                Some(line) if m.running() => printer::note(line),
                Some(line) => {
                    printer::warn(line);
                    status = Status::Partial;
                }
                None => {}
            }
        }
        for h in &scan.being_created {
            printer::note(format!(
                "run {h} is being created (writer lock, no row in run_metadata.sqlite yet): not shown"
            ));
        }
        for run in scan.runs {
            let Some(&first) = origin.get(run.hash()) else {
                origin.insert(run.hash().to_owned(), i);
                kept_at.insert(run.hash().to_owned(), runs.len());
                runs.push(run);
                continue;
            };
            let first_path = sources
                .get(first)
                .map(|s| s.shown.display().to_string())
                .unwrap_or_default();
            // Debug text, not `==`: a NaN param is the same NaN in both copies
            let same = kept_at
                .get(run.hash())
                .and_then(|&k| runs.get(k))
                .is_some_and(|r| format!("{r:?}") == format!("{run:?}"));
            if same {
                printer::warn(format!(
                    "run {} is in both `{first_path}` and `{}` with the same metadata; counted once",
                    run.hash(),
                    src.shown.display()
                ));
            } else {
                printer::warn(format!(
                    "run {} is in both `{first_path}` and `{}` with different metadata; the copy in `{first_path}` (given first) is used, the other left out",
                    run.hash(),
                    src.shown.display()
                ));
                status = Status::Partial;
            }
        }
    }
    runs.sort_by(|a, b| a.hash().cmp(b.hash()));
    if let Some(f) = &filter {
        for p in f.params_in_no_run(&runs) {
            printer::warn(format!("--filter: no run has a param `{p}`"));
        }
        let before = runs.len();
        runs.retain(|r| f.matches(r));
        printer::note(format!(
            "--filter: {} of {before} run{} match",
            runs.len(),
            if before == 1 { "" } else { "s" }
        ));
    }
    // a filter naming `archived` decides alone; otherwise archived runs are hidden
    let archived_decided = filter.as_ref().is_some_and(Filter::mentions_archived);
    if !args.archived && !archived_decided {
        let before = runs.len();
        runs.retain(|r| !r.props.archived);
        let hidden = before - runs.len();
        if hidden > 0 {
            let (noun, pron) = if hidden == 1 {
                ("run", "it")
            } else {
                ("runs", "them")
            };
            printer::note(format!(
                "{hidden} archived {noun} not shown; --archived includes {pron}"
            ));
        }
    }
    Ok(Loaded {
        sources,
        runs,
        origin,
        status,
    })
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
