//! `tcbench aimrepo`: the subcommands, one file each, and the loading they share — the
//! library's [`tcbench::runs`] with its diagnostics printed on stderr.

pub mod doctor;
pub mod export;
pub mod ls;
pub mod merge;
pub mod properties;
pub mod report;

use aim_store::{Detail, Run, RunMeta};
use tcbench::output::text::suffix;
use tcbench::runs::{self, Diagnostic};

use crate::cli::RepoArgs;
use crate::commands::Status;
use crate::printer;

pub use tcbench::runs::parse_filter;

/// The runs a command works on ([`runs::Loaded`]), with the exit status they call for:
/// partial when some run could not be read.
pub struct Loaded {
    set: runs::Loaded,
    /// Partial when some run could not be read.
    pub status: Status,
}

impl std::ops::Deref for Loaded {
    type Target = runs::Loaded;
    fn deref(&self) -> &runs::Loaded {
        &self.set
    }
}

impl std::ops::DerefMut for Loaded {
    fn deref_mut(&mut self) -> &mut runs::Loaded {
        &mut self.set
    }
}

/// Prints diagnostics on stderr, in order.
pub fn say(said: &[Diagnostic]) {
    for d in said {
        match d {
            Diagnostic::Warning(text) => printer::warn(text),
            Diagnostic::Note(text) => printer::note(text),
        }
    }
}

/// [`runs::load`] over `--aim-repo`, `--filter` and `--archived`, its diagnostics printed.
pub fn load(args: &RepoArgs) -> anyhow::Result<Loaded> {
    load_with(args, Detail::Full)
}

/// [`runs::load_with`]: [`load`], reading only `detail` of each run's metadata.
pub fn load_with(args: &RepoArgs, detail: Detail) -> anyhow::Result<Loaded> {
    load_pruned(args, detail, RunMeta::keep_user_metrics_and_params)
}

/// [`runs::load_pruned`]: [`load_with`], applying `prune` to each run's metadata as soon as
/// it is read.
pub fn load_pruned(
    args: &RepoArgs,
    detail: Detail,
    prune: impl Fn(&mut RunMeta) + Sync,
) -> anyhow::Result<Loaded> {
    let opts = runs::Options {
        paths: &args.aim_repo,
        filter: args.filter.as_deref(),
        archived: args.archived,
    };
    let mut said = Vec::new();
    let loaded = runs::load_pruned(&opts, detail, prune, &mut said);
    say(&said);
    let set = loaded?;
    let status = if set.partial {
        Status::Partial
    } else {
        Status::Success
    };
    Ok(Loaded { set, status })
}

/// Notes the runs without end time, which the run duration leaves out.
pub fn note_unfinished(runs: &[Run]) {
    let unfinished = runs.iter().filter(|r| r.active()).count();
    if unfinished > 0 {
        printer::note(format!(
            "{unfinished} unfinished run{} (no end time) left out of the run duration",
            suffix(unfinished)
        ));
    }
}
