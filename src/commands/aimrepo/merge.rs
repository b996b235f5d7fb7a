//! `tcbench aimrepo merge`: copy every run of several Aim repositories into one, byte for
//! byte, without ever overwriting or partially writing the destination (the work itself is
//! `aim_store::write::merge`; this file is the command line, the progress line and the summary).

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use aim_store::write::merge::{self, Destination, Options, Plan, Progress};
use anyhow::Context;

use crate::cli::MergeArgs;
use crate::commands::Status;
use crate::printer;
use tcbench::output::console::richtable::{Border, Justify, Table};
use tcbench::output::text::{plural, suffix};

/// Sizes as `du -h` would print them, in binary units.
fn size_text(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    match UNITS.get(unit) {
        Some(&"B") | None => format!("{bytes} B"),
        Some(u) => format!("{v:.1} {u}"),
    }
}

fn sources_table(plan: &Plan) -> String {
    let mut t = Table::new(
        Border::None,
        &[
            ("source", Justify::Left),
            ("runs", Justify::Right),
            ("copied", Justify::Right),
            ("identical", Justify::Right),
            ("differing", Justify::Right),
            ("active", Justify::Right),
            ("size", Justify::Right),
        ],
    );
    for s in &plan.sources {
        t.row(vec![
            s.path.display().to_string(),
            s.runs.to_string(),
            s.copied.to_string(),
            s.identical.to_string(),
            s.conflicting.len().to_string(),
            s.active.len().to_string(),
            size_text(s.bytes),
        ]);
    }
    t.render(usize::MAX)
}

fn destination_text(plan: &Plan) -> String {
    match plan.destination {
        Destination::New => format!("`{}` (new repository)", plan.dst.display()),
        Destination::Append { runs } => format!(
            "`{}` (existing repository, {})",
            plan.dst.display(),
            plural(runs, "run")
        ),
    }
}

/// A `\r` progress line on stderr while the merge runs, when stderr is a terminal.
fn progress_line(progress: &Progress, plan: &Plan, done: &AtomicBool) {
    while !done.load(Ordering::Relaxed) {
        let line = if progress.verifying.load(Ordering::Relaxed) {
            format!(
                "checking {}/{} runs",
                progress.verified.load(Ordering::Relaxed),
                plan.runs
            )
        } else {
            format!(
                "copying {}/{} runs, {} / {}",
                progress.runs.load(Ordering::Relaxed).min(plan.runs),
                plan.runs,
                size_text(progress.bytes.load(Ordering::Relaxed)),
                size_text(plan.bytes)
            )
        };
        printer::progress(&line);
        std::thread::sleep(Duration::from_millis(100));
    }
    printer::progress("");
}

/// The runs of each source that match `filter` (read with our reader; a run it cannot read
/// cannot be matched: reported and left out). A source that does not open selects nothing:
/// the plan reports it. What to tell the user goes to `said` (true for a warning).
fn select(
    sources: &[PathBuf],
    filter: &tcbench::filter::Filter,
    status: &mut Status,
    said: &mut Vec<(bool, String)>,
) -> anyhow::Result<Vec<BTreeSet<String>>> {
    let mut out = Vec::new();
    for src in sources {
        let Ok(repo) = aim_store::Repo::open(src) else {
            out.push(BTreeSet::new());
            continue;
        };
        let scan = repo
            .scan_pruned(
                aim_store::Detail::Full,
                aim_store::RunMeta::keep_user_metrics_and_params,
            )
            .with_context(|| format!("reading `{}`", src.display()))?;
        for p in &scan.problems {
            said.push((
                true,
                format!("{p} (not matched against --filter: left out)"),
            ));
            *status = Status::Partial;
        }
        for p in filter.params_in_no_run(scan.runs.iter()) {
            said.push((
                true,
                format!("--filter: no run of `{}` has a param `{p}`", src.display()),
            ));
        }
        let picked: BTreeSet<String> = scan
            .runs
            .iter()
            .filter(|r| filter.matches(r))
            .map(|r| r.hash().to_owned())
            .collect();
        said.push((
            false,
            format!(
                "--filter: {} of {} run{} of `{}` match",
                picked.len(),
                scan.runs.len(),
                suffix(scan.runs.len()),
                src.display()
            ),
        ));
        out.push(picked);
    }
    Ok(out)
}

/// Runs the command.
pub fn run(args: &MergeArgs) -> anyhow::Result<Status> {
    let start = Instant::now();
    let opts = Options {
        append: args.append,
        skip_duplicates: args.skip_duplicates,
        skip_active: args.skip_active,
    };
    let mut status = Status::Success;
    // what the filter found is said once the plan stands (a refused merge: one error line)
    let mut said = Vec::new();
    let selection = match super::parse_filter(args.filter.as_deref())? {
        Some(f) => Some(select(&args.src, &f, &mut status, &mut said)?),
        None => None,
    };
    let plan = match &selection {
        Some(sel) => {
            let pick = |i: usize, h: &str| sel.get(i).is_some_and(|s| s.contains(h));
            merge::plan_selected(&args.src, &args.dst, opts, Some(&pick))?
        }
        None => merge::plan(&args.src, &args.dst, opts)?,
    };
    for (warning, text) in said {
        if warning {
            printer::warn(text);
        } else {
            printer::note(text);
        }
    }
    for p in &plan.problems {
        printer::warn(p);
        status = Status::Partial;
    }
    for w in &plan.warnings {
        printer::warn(w);
    }
    let (will, did) = if args.dry_run {
        ("would be", "would be")
    } else {
        ("is", "was")
    };
    for l in &plan.removable {
        printer::note(format!(
            "`{}` {did} removed: the leftover of an interrupted merge whose process is gone",
            l.display()
        ));
    }
    if let Some(index) = &plan.index_to_remove {
        printer::note(format!(
            "`{}` {will} removed: it is derived data that would hide the appended runs from Aim; Aim reads every run from its own chunks without it, and `aim storage reindex` rebuilds it",
            index.display()
        ));
    }
    let mut out = std::io::BufWriter::new(printer::stdout());
    if args.dry_run {
        writeln!(
            out,
            "dry run: would copy {} ({}) from {} into {}; nothing written",
            plural(plan.runs, "run"),
            size_text(plan.bytes),
            plural(plan.sources.len(), "source"),
            destination_text(&plan)
        )?;
        out.write_all(sources_table(&plan).as_bytes())?;
        out.flush()?;
        return Ok(status);
    }
    let progress = Progress::default();
    let done = AtomicBool::new(false);
    let outcome = std::thread::scope(|s| {
        if std::io::stderr().is_terminal() {
            s.spawn(|| progress_line(&progress, &plan, &done));
        }
        let r = plan.execute(&progress);
        done.store(true, Ordering::Relaxed);
        r
    })?;
    for p in &outcome.problems {
        printer::warn(p);
        status = Status::Partial;
    }
    let active: usize = plan.sources.iter().map(|s| s.active.len()).sum();
    let snapshots = if active > 0 && !args.skip_active {
        format!(
            " (except {} active, copied as {}: checked readable)",
            plural(active, "run"),
            if active == 1 {
                "a snapshot"
            } else {
                "snapshots"
            }
        )
    } else {
        String::new()
    };
    writeln!(
        out,
        "merged {} ({}) from {} into {} in {:.2} s",
        plural(outcome.runs, "run"),
        size_text(outcome.bytes),
        plural(plan.sources.len(), "source"),
        destination_text(&plan),
        start.elapsed().as_secs_f64(),
    )?;
    writeln!(
        out,
        "checked: {} in the destination; the copied chunks read back whole ({} keys) and are byte-identical to the sources'{snapshots}",
        plural(outcome.dst_runs, "run"),
        outcome.keys
    )?;
    out.write_all(sources_table(&plan).as_bytes())?;
    out.flush()?;
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_du() {
        assert_eq!(size_text(0), "0 B");
        assert_eq!(size_text(1023), "1023 B");
        assert_eq!(size_text(1536), "1.5 KiB");
        assert_eq!(size_text(5 * 1024 * 1024), "5.0 MiB");
    }
}
