//! `tcbench aimrepo`: the subcommands, one file each, and the loading they share.

mod files;
pub mod ls;
pub mod merge;
pub mod properties;
pub mod report;

use aim_store::{Detail, Repo, Run};
use anyhow::Context;

use crate::cli::RepoArgs;
use crate::commands::Status;
use crate::printer;

/// The runs a command works on, after reporting problems and hiding archived runs.
pub struct Loaded {
    /// The repository.
    pub repo: Repo,
    /// Readable runs (archived ones only with `--archived`), in hash order.
    pub runs: Vec<Run>,
    /// Partial when some run could not be read.
    pub status: Status,
}

/// Opens the repository, reads every run (keeping the user's params and metrics, not
/// Aim's `__system*` ones, which no command shows), reports damaged runs on stderr and
/// applies the archived-runs rule.
pub fn load(args: &RepoArgs) -> anyhow::Result<Loaded> {
    load_with(args, Detail::Full)
}

/// [`load`], reading only `detail` of each run's metadata.
pub fn load_with(args: &RepoArgs, detail: Detail) -> anyhow::Result<Loaded> {
    let repo = Repo::open(&args.aim_repo)?;
    let scan = repo
        .scan_pruned(detail, aim_store::RunMeta::keep_user_metrics_and_params)
        .with_context(|| format!("reading `{}`", args.aim_repo.display()))?;
    let mut status = Status::Success;
    for p in &scan.problems {
        printer::warn(p);
        status = Status::Partial;
    }
    for h in &scan.being_created {
        printer::note(format!(
            "run {h} is being created (writer lock, no row in run_metadata.sqlite yet): not shown"
        ));
    }
    let mut runs = scan.runs;
    if !args.archived {
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
    Ok(Loaded { repo, runs, status })
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
