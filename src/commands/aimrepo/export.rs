//! `tcbench aimrepo export`: a repository as a tidy Parquet dataset that DuckDB, Polars,
//! pandas or Spark query directly — `runs.parquet` (one row per run: properties and
//! flattened params) and `metrics.parquet` (one row per run × metric × context × step, or one
//! per trace with `--final-only`).
//!
//! Memory does not grow with the number of steps: it holds every run's metadata (params,
//! trace list), as the other commands do, but never more than a few batches of points:
//! runs are read on every core and their rows handed to one writer in hash order
//! through bounded channels, each trace is streamed in step order in batches
//! ([`aim_store::Seqs::for_each_batch`]) and the writer flushes a Parquet row group every
//! [`BATCH`] rows. The output folder is written whole or not at all: assembled in a hidden
//! sibling (a staging folder as merge's, [`aim_store::staging`]: the leftover of a killed
//! export is removed by the next one), renamed into place at the end. An `--output` that is
//! a symbolic link to a folder is followed (as `merge --dst` is): the export replaces that
//! folder and the link stays; a link to anything else is refused before anything is read.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Mutex;

use aim_store::staging::Tag;
use aim_store::{Run, RunMeta, Trace};
use anyhow::{bail, Context};
use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;

use crate::cli::ExportArgs;
use crate::commands::Status;
use crate::printer;
use tcbench::output::text::plural;
use tcbench::tables::{runs_batch, Metrics, Pick, Point, Selection};

/// Rows per Parquet row group, and per batch a trace is streamed in.
pub const BATCH: usize = 65_536;

/// [`BATCH`], or the test-only override `TCBENCH_EXPORT_BATCH` (the tests use a small batch
/// to exercise several streaming passes and row groups on the fixtures).
fn batch_size() -> usize {
    std::env::var("TCBENCH_EXPORT_BATCH")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(BATCH)
}

/// The files an export writes; `--force` replaces a folder holding only these.
const FILES: [&str; 2] = ["runs.parquet", "metrics.parquet"];

fn keep_metrics(meta: &mut RunMeta, system: bool) {
    if system {
        meta.traces.retain(Trace::is_metric);
    } else {
        meta.keep_user_metrics_and_params();
    }
}

/// What is in the way at `--output`: nothing (`None`), or a folder to replace.
fn check_output(out: &Path, force: bool) -> anyhow::Result<Option<PathBuf>> {
    let entries = match std::fs::read_dir(out) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(_) if out.exists() && !out.is_dir() => {
            bail!("output `{}` exists and is not a folder", out.display())
        }
        Err(e) => return Err(e).with_context(|| format!("reading `{}`", out.display())),
    };
    let mut names = Vec::new();
    for e in entries {
        let e = e.with_context(|| format!("reading `{}`", out.display()))?;
        names.push(e.file_name().to_string_lossy().into_owned());
    }
    if names.is_empty() {
        return Ok(Some(out.to_path_buf()));
    }
    if !force {
        bail!(
            "output `{}` exists and is not empty; export never overwrites it: choose a new --output, or --force to replace a previous export",
            out.display()
        );
    }
    names.sort();
    if let Some(other) = names.iter().find(|n| !FILES.contains(&n.as_str())) {
        bail!(
            "output `{}` holds `{other}`, which is not an export's file; --force only replaces a folder holding {} (nothing was written)",
            out.display(),
            FILES.join(" and ")
        );
    }
    Ok(Some(out.to_path_buf()))
}

/// Where the export goes: `out` itself, or the folder a symbolic link `out` points to.
fn resolve_output(out: &Path) -> anyhow::Result<PathBuf> {
    match std::fs::symlink_metadata(out) {
        Ok(md) if md.file_type().is_symlink() => match std::fs::canonicalize(out) {
            Ok(target) if target.is_dir() => Ok(target),
            _ => bail!(
                "output `{}` is a symbolic link to `{}`, which is not a folder; export follows a link only to a folder (nothing was written)",
                out.display(),
                std::fs::read_link(out).unwrap_or_default().display()
            ),
        },
        _ => Ok(out.to_path_buf()),
    }
}

/// Removes the leftovers of killed exports into `parent/name` (ours by name, owner file and
/// a process that is gone) and names the others; refuses while another export into it runs.
fn clean_leftovers(parent: &Path, name: &str, shown: &Path) -> anyhow::Result<()> {
    use aim_store::staging::{self, State};
    for l in staging::leftovers(parent, &format!(".{name}"), Tag::Export) {
        let pid = l.pid.map(|p| format!(" (process {p})")).unwrap_or_default();
        match l.state {
            State::Running => bail!(
                "another export into `{}` is in progress{pid}, staging folder `{}`; nothing written: run this export again once it has finished",
                shown.display(),
                l.path.display()
            ),
            State::Dead => {
                std::fs::remove_dir_all(&l.path)
                    .with_context(|| format!("removing `{}`", l.path.display()))?;
                printer::note(format!(
                    "`{}` was removed: the leftover of an interrupted export whose process is gone",
                    l.path.display()
                ));
            }
            State::Unknown => printer::warn(format!(
                "`{}` looks like the leftover of an interrupted export{pid} (it may hold a previous export it was replacing); delete it if no export is running",
                l.path.display()
            )),
        }
    }
    Ok(())
}

/// Runs the export.
pub fn run(args: &ExportArgs) -> anyhow::Result<Status> {
    let shown = &args.output;
    let out = &resolve_output(shown)?;
    if args.hive {
        return run_hive(args, out);
    }
    let existing = check_output(out, args.force)?;
    let loaded = load(args)?;
    refuse_inside_aim(&loaded, shown)?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .with_context(|| format!("output `{}` has no folder name", out.display()))?;
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        bail!(
            "the folder `{}` that would hold the output does not exist",
            parent.display()
        );
    }
    clean_leftovers(&parent, &name, shown)?;
    let target = Target {
        parent: &parent,
        name: &name,
        existing: existing.as_deref(),
    };
    let stats = export_into(args, &loaded, &loaded.runs, &target)?;
    writeln!(
        printer::stdout(),
        "exported {} and {} ({}) into `{}`",
        plural(loaded.runs.len(), "run"),
        plural(stats.rows, "metric row"),
        plural(stats.traces, "trace"),
        shown.display()
    )?;
    Ok(status(&loaded, &stats))
}

fn load(args: &ExportArgs) -> anyhow::Result<super::Loaded> {
    let system = args.system;
    super::load_pruned(&args.repo, aim_store::Detail::Full, |m| {
        keep_metrics(m, system)
    })
}

fn status(loaded: &super::Loaded, stats: &Stats) -> Status {
    if stats.failed > 0 {
        Status::Partial
    } else {
        loaded.status
    }
}

fn refuse_inside_aim(loaded: &super::Loaded, shown: &Path) -> anyhow::Result<()> {
    let aim_dirs: Vec<PathBuf> = loaded
        .sources
        .iter()
        .map(|s| tcbench::output::dest::resolve(s.repo.aim_dir()))
        .collect();
    tcbench::output::dest::refuse_inside_aim(shown, "--output", &aim_dirs)
}

/// Where one export folder goes: `parent/name`, replacing `existing` if any.
struct Target<'a> {
    parent: &'a Path,
    name: &'a str,
    existing: Option<&'a Path>,
}

/// Writes `runs.parquet` and `metrics.parquet` of `runs` into a staging folder beside the
/// target, then renames it into place.
fn export_into(
    args: &ExportArgs,
    loaded: &super::Loaded,
    runs: &[Run],
    target: &Target,
) -> anyhow::Result<Stats> {
    let staged = Staged::create(target.parent, target.name)?;
    let tmp = &staged.path;
    let select = Selection {
        no_system: !args.system,
        ..Selection::default()
    };
    let pick = if args.final_only {
        Pick::Last
    } else {
        Pick::All
    };
    let plan = Metrics::new(runs, &select, pick);
    write_batch(&tmp.join("runs.parquet"), &runs_batch(runs)?)?;
    let stats = write_metrics(&tmp.join("metrics.parquet"), loaded, runs, &plan)?;
    let owner = tmp.join(Tag::Export.owner());
    std::fs::remove_file(&owner).with_context(|| format!("removing `{}`", owner.display()))?;
    let out = target.parent.join(target.name);
    place(tmp, &out, target.existing, target.parent, target.name)?;
    staged.placed();
    Ok(stats)
}

/// The `repo=<value>` partition value of a repository given as `shown`: the path as given
/// (without a leading `./` or `/`, and without a final `.aim`), every character other than
/// an ASCII letter, digit, `.`, `-` or `_` made `_`; a value of dots only, or none, is `_`.
fn partition_value(shown: &Path) -> String {
    let mut path = shown.to_path_buf();
    if path.file_name().is_some_and(|n| n == ".aim") {
        path.pop();
    }
    let text = path.to_string_lossy();
    let mut text: &str = &text;
    loop {
        let t = text.trim_start_matches('/');
        let t = t.strip_prefix("./").unwrap_or(t);
        if t == text {
            break;
        }
        text = t;
    }
    let text = text.trim_end_matches('/');
    let mut v: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if v.chars().all(|c| c == '.') {
        v = "_".repeat(v.len().max(1));
    }
    v.truncate(200);
    v
}

/// `export --hive`: one `repo=<value>` partition per repository, each written whole or not
/// at all, into a dataset folder that may hold other partitions.
fn run_hive(args: &ExportArgs, out: &Path) -> anyhow::Result<Status> {
    let shown = &args.output;
    if out.exists() && !out.is_dir() {
        bail!("output `{}` exists and is not a folder", shown.display());
    }
    let mut loaded = load(args)?;
    refuse_inside_aim(&loaded, shown)?;
    let mut names: Vec<String> = Vec::new();
    for s in &loaded.sources {
        let name = format!("repo={}", partition_value(&s.shown));
        if let Some(i) = names.iter().position(|n| *n == name) {
            bail!(
                "the repositories `{}` and `{}` would both be the partition `{name}`: give them paths that differ in more than punctuation (nothing was written)",
                loaded.sources.get(i).map(|s| s.shown.display().to_string()).unwrap_or_default(),
                s.shown.display()
            );
        }
        names.push(name);
    }
    let mut existing = Vec::new();
    for name in &names {
        let part = out.join(name);
        existing.push(check_output(&part, args.force)?);
        if out.is_dir() {
            clean_leftovers(out, name, &shown.join(name))?;
        }
    }
    if !out.is_dir() {
        std::fs::create_dir(out).with_context(|| format!("creating `{}`", shown.display()))?;
    }
    let mut by_source: Vec<Vec<Run>> = names.iter().map(|_| Vec::new()).collect();
    for run in std::mem::take(&mut loaded.runs) {
        let i = loaded.source_of(&run);
        if let Some(v) = by_source.get_mut(i) {
            v.push(run);
        }
    }
    let mut total = Stats {
        rows: 0,
        traces: 0,
        failed: 0,
    };
    let mut runs = 0;
    for ((name, existing), part_runs) in names.iter().zip(&existing).zip(&by_source) {
        let target = Target {
            parent: out,
            name,
            existing: existing.as_deref(),
        };
        let stats = export_into(args, &loaded, part_runs, &target)?;
        runs += part_runs.len();
        total.rows += stats.rows;
        total.traces += stats.traces;
        total.failed += stats.failed;
    }
    writeln!(
        printer::stdout(),
        "exported {} and {} ({}) into {} of `{}`",
        plural(runs, "run"),
        plural(total.rows, "metric row"),
        plural(total.traces, "trace"),
        plural(names.len(), "partition"),
        shown.display()
    )?;
    Ok(status(&loaded, &total))
}

/// The staging folder an export is assembled in (`aim_store::staging`, so that the leftover
/// of a killed export is recognised): removed with what it holds when dropped before
/// [`Staged::placed`], so that an error (or a panic) leaves nothing behind.
struct Staged {
    path: PathBuf,
    placed: bool,
}

impl Staged {
    fn create(parent: &Path, name: &str) -> anyhow::Result<Staged> {
        let path = aim_store::write::staging::create(parent, &format!(".{name}"), Tag::Export)
            .with_context(|| format!("creating a folder in `{}`", parent.display()))?;
        Ok(Staged {
            path,
            placed: false,
        })
    }

    /// The folder was renamed into place: nothing left to remove.
    fn placed(mut self) {
        self.placed = true;
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.placed {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Renames the finished temporary folder to `out`; a previous export (or an empty folder)
/// there is set aside first and removed once the new one is in place.
fn place(
    tmp: &Path,
    out: &Path,
    existing: Option<&Path>,
    parent: &Path,
    name: &str,
) -> anyhow::Result<()> {
    let rename = |from: &Path, to: &Path| {
        std::fs::rename(from, to)
            .with_context(|| format!("renaming `{}` to `{}`", from.display(), to.display()))
    };
    match existing {
        None => rename(tmp, out),
        Some(old) => {
            let aside = parent.join(format!(
                ".{name}{}-old",
                aim_store::staging::own_suffix(Tag::Export)
            ));
            rename(old, &aside)?;
            if let Err(e) = rename(tmp, out) {
                let _ = std::fs::rename(&aside, old);
                return Err(e);
            }
            for f in FILES {
                let _ = std::fs::remove_file(aside.join(f));
            }
            std::fs::remove_dir(&aside)
                .with_context(|| format!("removing the previous export `{}`", aside.display()))
        }
    }
}

/// Writes `batch` as a Parquet file of its own.
fn write_batch(path: &Path, batch: &RecordBatch) -> anyhow::Result<()> {
    let mut w = writer(path, batch.schema())?;
    w.write(batch)?;
    w.close()?;
    Ok(())
}

fn writer(path: &Path, schema: SchemaRef) -> anyhow::Result<ArrowWriter<std::fs::File>> {
    let f =
        std::fs::File::create(path).with_context(|| format!("creating `{}`", path.display()))?;
    let props = WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .set_max_row_group_row_count(Some(batch_size()))
        .build();
    Ok(ArrowWriter::try_new(f, schema, Some(props))?)
}

// ---------------------------------------------------------------------------------------
// metrics.parquet

enum Msg {
    Points(Vec<Point>),
    Failed { rows_sent: usize, reason: String },
}

struct Stats {
    rows: usize,
    traces: usize,
    failed: usize,
}

/// Reads one run's traces, sending its points in batches; a read error ends the run with
/// [`Msg::Failed`]. Returns false when the writer has gone (stop working).
fn send_run(
    repo: &aim_store::Repo,
    run: &Run,
    run_idx: u32,
    plan: &Metrics,
    tx: &SyncSender<Msg>,
) -> bool {
    let mut sent = 0usize;
    let mut sink = |points: Vec<Point>| {
        sent += points.len();
        tx.send(Msg::Points(points)).is_ok()
    };
    match plan.read_run(repo, run, run_idx, batch_size(), &mut sink) {
        Ok(going) => going,
        Err(e) => tx
            .send(Msg::Failed {
                rows_sent: sent,
                reason: format!(
                    "seqs chunk `{}`: {e}",
                    repo.seqs_chunk(run.hash()).display()
                ),
            })
            .is_ok(),
    }
}

/// `metrics.parquet`: every run's traces read on every core, written in (hash, metric,
/// context, step) order.
fn write_metrics(
    path: &Path,
    loaded: &super::Loaded,
    runs: &[Run],
    plan: &Metrics,
) -> anyhow::Result<Stats> {
    let batch = batch_size();
    let mut w = writer(path, plan.schema())?;
    let mut stats = Stats {
        rows: 0,
        traces: plan.trace_count(),
        failed: 0,
    };
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, runs.len().max(1));
    // one bounded channel per run: workers take runs in order, the writer drains them in
    // order, so at most `threads` runs are in flight and each holds at most two batches
    let mut senders = Vec::with_capacity(runs.len());
    let mut receivers: Vec<Receiver<Msg>> = Vec::with_capacity(runs.len());
    for _ in runs {
        let (tx, rx) = sync_channel::<Msg>(1);
        senders.push(Mutex::new(Some(tx)));
        receivers.push(rx);
    }
    let next = AtomicUsize::new(0);
    let result = std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let (Some(run), Some(slot)) = (runs.get(i), senders.get(i)) else {
                    break;
                };
                let tx = slot.lock().ok().and_then(|mut g| g.take());
                let Some(tx) = tx else { break };
                if !send_run(loaded.repo_of(run), run, i as u32, plan, &tx) {
                    break;
                }
            });
        }
        // the writer; on error, dropping the receivers stops the workers
        let receivers = receivers;
        let mut buf: Vec<Point> = Vec::new();
        let mut progress = Progress::new(runs.len());
        for (i, rx) in receivers.iter().enumerate() {
            progress.show(i, stats.rows + buf.len());
            for msg in rx.iter() {
                match msg {
                    Msg::Points(points) => {
                        buf.extend(points);
                        if buf.len() >= batch {
                            stats.rows += buf.len();
                            w.write(&plan.batch(runs, &buf)?)?;
                            buf.clear();
                        }
                    }
                    Msg::Failed { rows_sent, reason } => {
                        stats.failed += 1;
                        let hash = runs.get(i).map_or("", Run::hash);
                        printer::warn(format!(
                            "run {hash}: unreadable {reason}; {}",
                            if rows_sent == 0 {
                                "its metrics are left out".to_owned()
                            } else {
                                format!(
                                    "only its first {} are exported",
                                    plural(rows_sent, "metric row")
                                )
                            }
                        ));
                    }
                }
            }
        }
        progress.clear();
        if !buf.is_empty() {
            stats.rows += buf.len();
            w.write(&plan.batch(runs, &buf)?)?;
        }
        Ok::<_, anyhow::Error>(())
    });
    result?;
    w.close()?;
    Ok(stats)
}

/// A progress line on stderr (`exporting 120/2100 runs, 9840 metric rows`), only when it is
/// a terminal, redrawn at most ten times a second and erased at the end.
struct Progress {
    total: usize,
    tty: bool,
    last: Option<std::time::Instant>,
    shown: bool,
}

impl Progress {
    fn new(total: usize) -> Progress {
        use std::io::IsTerminal;
        Progress {
            total,
            tty: std::io::stderr().is_terminal(),
            last: None,
            shown: false,
        }
    }

    fn show(&mut self, done: usize, rows: usize) {
        if !self.tty
            || self
                .last
                .is_some_and(|t| t.elapsed() < std::time::Duration::from_millis(100))
        {
            return;
        }
        self.last = Some(std::time::Instant::now());
        self.shown = true;
        printer::progress(&format!(
            "exporting {done}/{} runs, {}",
            self.total,
            plural(rows, "metric row")
        ));
    }

    fn clear(&mut self) {
        if self.shown {
            printer::progress("");
            self.shown = false;
        }
    }
}

impl Drop for Progress {
    /// An error ends the export early: its message must not follow the progress text.
    fn drop(&mut self) {
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn partition_values_are_plain_folder_names() {
        let v = |p: &str| partition_value(Path::new(p));
        assert_eq!(
            v("./campaigns/server-1/aim-repo"),
            "campaigns_server-1_aim-repo"
        );
        assert_eq!(v("/data/run s/.aim"), "data_run_s");
        assert_eq!(v("../x=1"), ".._x_1");
        assert_eq!(v(".."), "__");
        assert_eq!(v("./"), "_");
        assert_eq!(v("é"), "_");
    }

    #[test]
    fn output_checks() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        assert_eq!(check_output(&out, false).unwrap(), None);
        std::fs::create_dir(&out).unwrap();
        assert_eq!(check_output(&out, false).unwrap(), Some(out.clone()));
        std::fs::write(out.join("runs.parquet"), "").unwrap();
        let e = check_output(&out, false).unwrap_err().to_string();
        assert!(
            e.contains("exists and is not empty") && e.contains("--force"),
            "{e}"
        );
        assert_eq!(check_output(&out, true).unwrap(), Some(out.clone()));
        std::fs::write(out.join("mine.txt"), "").unwrap();
        let e = check_output(&out, true).unwrap_err().to_string();
        assert!(e.contains("`mine.txt`"), "{e}");
        let file = tmp.path().join("file");
        std::fs::write(&file, "").unwrap();
        let e = check_output(&file, true).unwrap_err().to_string();
        assert!(e.contains("is not a folder"), "{e}");
    }
}
