//! `tcbench aimrepo export`: the Parquet dataset, read back with pyarrow, equals what the
//! real Aim SDK reads from the same repository — every run, param and metric row — on the
//! fixtures and on a repository real Aim writes during the test (NaN/±inf values); the
//! output folder is all or nothing and never overwrites user data; the README's example
//! runs as written.
//!
//! Needs `TCBENCH_AIM_PYTHON` (aim 3.29.1 with pyarrow and pandas, see scripts/test.sh)
//! for everything that reads the Parquet files; skipped without it outside CI.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn sdk_export(py: &Path, args: &[&str]) -> serde_json::Value {
    let script = common::root().join("testdata/interop/sdk_export.py");
    let mut all = vec![script.to_str().unwrap()];
    all.extend_from_slice(args);
    let out = common::run_py(py, &all, &common::root());
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Exports `repo` into a fresh folder with `extra` options (and `env`), asserting exit 0.
fn export(repo: &Path, extra: &[&str], env: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tcbench"));
    cmd.args(["aimrepo", "export", "--aim-repo"])
        .arg(repo)
        .arg("--output")
        .arg(&dir)
        .args(extra);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "export of {repo:?} failed: {}",
        common::stderr(&out)
    );
    (tmp, dir)
}

/// Compares the export of `repo` (pyarrow) with the SDK's reading; returns (runs, rows).
fn check(py: &Path, repo: &Path, opts: &[&str], env: &[(&str, &str)]) -> (usize, usize, u64) {
    let (_tmp, dir) = export(repo, opts, env);
    let mut ours = sdk_export(py, &["parquet", dir.to_str().unwrap()]);
    let row_groups = ours
        .as_object_mut()
        .unwrap()
        .remove("row_groups")
        .unwrap()
        .as_u64()
        .unwrap();
    let mut sdk_args = vec!["sdk"];
    sdk_args.extend(
        opts.iter()
            .filter(|o| ["--final-only", "--archived"].contains(o)),
    );
    let repo_s = repo.to_str().unwrap();
    sdk_args.push(repo_s);
    let sdk = sdk_export(py, &sdk_args);
    let (our_runs, sdk_runs) = (&ours["runs"], &sdk["runs"]);
    assert_eq!(
        our_runs.as_array().unwrap().len(),
        sdk_runs.as_array().unwrap().len(),
        "{repo:?} {opts:?}: run count"
    );
    for (a, b) in our_runs
        .as_array()
        .unwrap()
        .iter()
        .zip(sdk_runs.as_array().unwrap())
    {
        assert_eq!(a, b, "{repo:?} {opts:?}: run (ours, then the SDK's)");
    }
    let (our_rows, sdk_rows) = (
        ours["metrics"].as_array().unwrap(),
        sdk["metrics"].as_array().unwrap(),
    );
    assert_eq!(
        our_rows.len(),
        sdk_rows.len(),
        "{repo:?} {opts:?}: metric row count"
    );
    for (i, (a, b)) in our_rows.iter().zip(sdk_rows).enumerate() {
        assert_eq!(
            a, b,
            "{repo:?} {opts:?}: metric row {i} (ours, then the SDK's)"
        );
    }
    (
        our_rows.len(),
        our_runs.as_array().unwrap().len(),
        row_groups,
    )
}

#[test]
#[cfg_attr(
    tcbench_skip_interop,
    ignore = "TCBENCH_SKIP_INTEROP: needs Python with real Aim (scripts/test.sh)"
)]
fn every_row_equals_what_the_aim_sdk_reads() {
    let py = common::aim_python("TCBENCH_AIM_PYTHON");
    let mut total = 0;
    for name in [
        "campaign",
        "campaign-quirks",
        "long-metric",
        "killed",
        "edge-params",
        "blobs",
        "aim317-campaign",
        "aim317-closed",
        "empty",
    ] {
        let (rows, runs, _) = check(&py, &common::fixture(name), &["--archived"], &[]);
        total += rows;
        match name {
            "campaign" => assert_eq!((runs, rows), (12, 636)),
            "long-metric" => assert!(rows > 20_000),
            "killed" => assert_eq!(runs, 2), // the killed run's WAL-only data included
            "blobs" => assert_eq!(rows, 3),  // only `loss`: texts and images are not metrics
            "empty" => assert_eq!((runs, rows), (0, 0)),
            _ => assert!(rows > 0),
        }
    }
    assert!(total > 21_000, "{total}");
}

#[test]
#[cfg_attr(
    tcbench_skip_interop,
    ignore = "TCBENCH_SKIP_INTEROP: needs Python with real Aim (scripts/test.sh)"
)]
fn final_only_gives_the_point_at_the_highest_step_of_each_trace() {
    let py = common::aim_python("TCBENCH_AIM_PYTHON");
    for name in ["long-metric", "killed", "campaign-quirks"] {
        let (rows, _, _) = check(
            &py,
            &common::fixture(name),
            &["--final-only", "--archived"],
            &[],
        );
        assert!(rows > 0);
    }
}

#[test]
#[cfg_attr(
    tcbench_skip_interop,
    ignore = "TCBENCH_SKIP_INTEROP: needs Python with real Aim (scripts/test.sh)"
)]
fn archived_runs_are_left_out_unless_asked() {
    let py = common::aim_python("TCBENCH_AIM_PYTHON");
    let (_, runs, _) = check(&py, &common::fixture("campaign-quirks"), &[], &[]);
    assert_eq!(runs, 11); // one of the 12 is archived
}

/// A small batch: the 20,000-step trace is streamed in 21 passes and written in 21 row
/// groups; the rows are the same.
#[test]
#[cfg_attr(
    tcbench_skip_interop,
    ignore = "TCBENCH_SKIP_INTEROP: needs Python with real Aim (scripts/test.sh)"
)]
fn small_batches_stream_the_same_rows_into_several_row_groups() {
    let py = common::aim_python("TCBENCH_AIM_PYTHON");
    let (rows, _, groups) = check(
        &py,
        &common::fixture("long-metric"),
        &[],
        &[("TCBENCH_EXPORT_BATCH", "1000")],
    );
    assert_eq!(groups as usize, rows.div_ceil(1000));
}

/// NaN, ±inf, huge, negative-zero and int values, epochs None, written by real Aim now.
#[test]
#[cfg_attr(
    tcbench_skip_interop,
    ignore = "TCBENCH_SKIP_INTEROP: needs Python with real Aim (scripts/test.sh)"
)]
fn special_float_values_equal_the_sdks() {
    let py = common::aim_python("TCBENCH_AIM_PYTHON");
    let tmp = tempfile::tempdir().unwrap();
    let script = r#"
import aim, math
run = aim.Run(repo="repo", experiment="specials", system_tracking_interval=None,
              log_system_params=False, capture_terminal_logs=False)
run["hparams"] = {"nan": float("nan"), "inf": float("inf"), "mixed": [1, "a", None]}
vals = [float("nan"), float("inf"), float("-inf"), 1.5e308, -0.0, 5e-324, 3]
for i, v in enumerate(vals):
    run.track(v, name="special", step=i, epoch=None if i % 2 else i, context={"subset": "train"})
run.track(aim.Text("not a metric"), name="notes", step=0)
run.close()
"#;
    common::run_py(&py, &["-c", script], tmp.path());
    let repo = tmp.path().join("repo");
    let (rows, runs, _) = check(&py, &repo, &[], &[]);
    assert_eq!((runs, rows), (1, 7));
}

#[test]
fn the_repository_is_not_modified_and_no_temporary_folder_is_left() {
    for name in common::fixture_names() {
        let repo = common::fixture(&name);
        let before = common::tree_state(&repo);
        export(&repo, &["--archived"], &[]);
        export(&repo, &["--final-only"], &[]);
        assert_eq!(common::tree_state(&repo), before, "{name}");
    }
    let (tmp, dir) = export(&common::fixture("killed"), &[], &[]);
    let mut names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["out"]);
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["metrics.parquet", "runs.parquet"]);
}

fn run_export(args: &[&str]) -> std::process::Output {
    let mut all = vec!["aimrepo", "export"];
    all.extend_from_slice(args);
    common::tcbench(&all)
}

#[test]
fn an_existing_output_is_never_overwritten_without_force() {
    let repo = common::fixture("killed");
    let repo = repo.to_str().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let out_s = out.to_str().unwrap();
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let before = common::tree_state(tmp.path());

    let o = run_export(&["--aim-repo", repo, "--output", out_s]);
    assert_eq!(o.status.code(), Some(1));
    let err = common::stderr(&o);
    assert!(err.contains("exists and is not empty"), "{err}");
    assert!(err.contains(out_s), "{err}");
    assert_eq!(common::tree_state(tmp.path()), before);

    // --force replaces only a previous export
    let o = run_export(&["--aim-repo", repo, "--output", out_s, "--force"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(common::stderr(&o).contains("`notes.txt`"));
    assert_eq!(common::tree_state(tmp.path()), before);

    // an empty folder is fine; then --force replaces that export
    std::fs::remove_file(out.join("notes.txt")).unwrap();
    let o = run_export(&["--aim-repo", repo, "--output", out_s]);
    assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
    let first = std::fs::read(out.join("metrics.parquet")).unwrap();
    let o = run_export(&["--aim-repo", repo, "--output", out_s]);
    assert_eq!(o.status.code(), Some(1));
    let o = run_export(&[
        "--aim-repo",
        repo,
        "--output",
        out_s,
        "--force",
        "--final-only",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
    assert_ne!(std::fs::read(out.join("metrics.parquet")).unwrap(), first);
    let names: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert_eq!(names.len(), 1, "leftovers next to the output: {names:?}");
}

#[test]
fn output_inside_the_repository_or_in_a_missing_folder_is_refused() {
    let (_tmp, repo) = common::fixture_copy("killed");
    let before = common::tree_state(&repo);
    let inside = repo.join(".aim").join("export");
    let o = run_export(&[
        "--aim-repo",
        repo.to_str().unwrap(),
        "--output",
        inside.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(common::stderr(&o).contains("inside the repository"));
    assert_eq!(common::tree_state(&repo), before);

    let missing = repo.join("no").join("such").join("out");
    let o = run_export(&[
        "--aim-repo",
        repo.to_str().unwrap(),
        "--output",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(common::stderr(&o).lines().count(), 1);
    assert!(common::stderr(&o).contains("does not exist"));
    assert_eq!(common::tree_state(&repo), before);
}

/// A damaged seqs chunk: that run is reported (exit 3), every other run is exported.
#[test]
#[cfg_attr(
    tcbench_skip_interop,
    ignore = "TCBENCH_SKIP_INTEROP: needs Python with real Aim (scripts/test.sh)"
)]
fn a_damaged_run_is_reported_and_the_rest_exported() {
    let py = common::aim_python("TCBENCH_AIM_PYTHON");
    let (_tmp, repo) = common::fixture_copy("campaign");
    let victim = std::fs::read_dir(repo.join(".aim/seqs/chunks"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .min()
        .unwrap();
    let hash = victim.file_name().unwrap().to_string_lossy().into_owned();
    std::fs::write(victim.join("CURRENT"), "MANIFEST-999999\n").unwrap();
    let out_tmp = tempfile::tempdir().unwrap();
    let out = out_tmp.path().join("out");
    let o = run_export(&[
        "--aim-repo",
        repo.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", common::stderr(&o));
    let err = common::stderr(&o);
    assert!(err.contains(&hash) && err.contains("left out"), "{err}");
    let ours = sdk_export(&py, &["parquet", out.to_str().unwrap()]);
    assert_eq!(ours["runs"].as_array().unwrap().len(), 12);
    let rows = ours["metrics"].as_array().unwrap();
    assert!(rows.iter().all(|r| r[0] != hash.as_str()));
    assert_eq!(rows.len(), 636 - 53);
}

/// The README's export example, extracted from README.md, runs in the venv on a fresh
/// export of the example campaign and prints what it says it prints.
#[test]
#[cfg_attr(
    tcbench_skip_interop,
    ignore = "TCBENCH_SKIP_INTEROP: needs Python with real Aim (scripts/test.sh)"
)]
fn readme_example_runs() {
    let py = common::aim_python("TCBENCH_AIM_PYTHON");
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    let section = readme
        .split("## `tcbench aimrepo export`")
        .nth(1)
        .expect("README has an export section");
    let code = section
        .split("```python\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("export section has a python example");
    let shown = section
        .split("```text\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("export section shows the example's output");
    let tmp = tempfile::tempdir().unwrap();
    let o = common::tcbench_in(
        tmp.path(),
        &[
            "aimrepo",
            "export",
            "--aim-repo",
            common::root().join("examples/campaign").to_str().unwrap(),
            "--output",
            "campaign-export",
        ],
    );
    assert!(o.status.success(), "{}", common::stderr(&o));
    let out = common::run_py(&py, &["-c", code], tmp.path());
    assert_eq!(common::stdout(&out), shown);
}

/// `--filter` and a repeated `--aim-repo` (the options every reading command shares): the
/// export holds exactly the SDK's rows of the runs the filter keeps, and of both
/// repositories given together.
#[test]
#[cfg_attr(
    tcbench_skip_interop,
    ignore = "TCBENCH_SKIP_INTEROP: needs Python with real Aim (scripts/test.sh)"
)]
fn filter_and_several_repositories_select_the_sdks_rows() {
    let py = common::aim_python("TCBENCH_AIM_PYTHON");
    let campaign = common::fixture("campaign");
    let sdk = sdk_export(&py, &["sdk", campaign.to_str().unwrap()]);
    let keep: std::collections::BTreeSet<String> = sdk["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["params"]["hparams.flowpic_dim"] == 32)
        .map(|r| r["hash"].as_str().unwrap().to_owned())
        .collect();
    let all = sdk["runs"].as_array().unwrap().len();
    assert!(
        !keep.is_empty() && keep.len() < all,
        "{} of {all}",
        keep.len()
    );
    let (_tmp, dir) = export(&campaign, &["--filter", "hparams.flowpic_dim == 32"], &[]);
    let ours = sdk_export(&py, &["parquet", dir.to_str().unwrap()]);
    let hashes: std::collections::BTreeSet<String> = ours["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["hash"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(hashes, keep);
    let sdk_rows: Vec<&serde_json::Value> = sdk["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| keep.contains(m[0].as_str().unwrap()))
        .collect();
    let our_rows: Vec<&serde_json::Value> = ours["metrics"].as_array().unwrap().iter().collect();
    assert_eq!(our_rows, sdk_rows);

    // two repositories at once: every run and row of each, in hash order
    let other = common::fixture("aim317-campaign");
    let sdk2 = sdk_export(&py, &["sdk", other.to_str().unwrap()]);
    let (_tmp2, dir2) = export(&campaign, &["--aim-repo", other.to_str().unwrap()], &[]);
    let both = sdk_export(&py, &["parquet", dir2.to_str().unwrap()]);
    let mut want_rows: Vec<&serde_json::Value> = sdk["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .chain(sdk2["metrics"].as_array().unwrap())
        .collect();
    want_rows.sort_by(|a, b| a[0].as_str().cmp(&b[0].as_str()));
    let got_rows: Vec<&serde_json::Value> = both["metrics"].as_array().unwrap().iter().collect();
    assert_eq!(got_rows.len(), want_rows.len());
    let runs = |v: &serde_json::Value| v["runs"].as_array().unwrap().len();
    assert_eq!(runs(&both), runs(&sdk) + runs(&sdk2));
    // within one run the order is (metric, context, step) in both
    let by_run = |rows: &[&serde_json::Value]| {
        let mut m: std::collections::BTreeMap<String, Vec<serde_json::Value>> = Default::default();
        for r in rows {
            m.entry(r[0].as_str().unwrap().to_owned())
                .or_default()
                .push((*r).clone());
        }
        m
    };
    assert_eq!(by_run(&got_rows), by_run(&want_rows));
}

/// Progress goes to a terminal only: a pipe gets no control characters, a terminal (`script`
/// gives the binary one) gets `exporting i/N runs` lines, erased before the summary.
#[test]
fn progress_only_on_a_terminal() {
    let repo = common::root().join("examples/campaign");
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tcbench"))
        .args(["aimrepo", "export", "--aim-repo"])
        .arg(&repo)
        .arg("--output")
        .arg(tmp.path().join("piped"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(
        !common::stderr(&out).contains('\x1b'),
        "{:?}",
        common::stderr(&out)
    );
    let cmd = format!(
        "{} aimrepo export --aim-repo {} --output {}",
        env!("CARGO_BIN_EXE_tcbench"),
        repo.display(),
        tmp.path().join("tty").display()
    );
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .expect("script (util-linux) gives the binary a terminal");
    let text = common::stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("\r\x1b[Kexporting 0/27 runs"), "{text:?}");
    let summary = text.find("exported 27 runs").unwrap();
    assert!(text[..summary].ends_with("\r\x1b[K"), "{text:?}");
}

/// Hidden entries next to an output (staging folders, set-aside previous exports).
fn hidden_next_to(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    v.sort();
    v
}

/// `--output LINK`, LINK a symbolic link to a folder: the link is followed (as `merge --dst`
/// is): the export lands in the folder, the link stays a link, `--force` replaces it there,
/// nothing hidden is left. A link to nothing, or into the repository's `.aim`, is refused
/// before anything is written.
#[test]
fn an_output_link_to_a_folder_is_followed_and_stays_a_link() {
    let repo = common::fixture("killed");
    let repo = repo.to_str().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let real = tmp.path().join("real");
    std::fs::create_dir(&real).unwrap();
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let link_s = link.to_str().unwrap();
    for extra in [&[][..], &["--force"][..]] {
        let mut args = vec!["--aim-repo", repo, "--output", link_s];
        args.extend_from_slice(extra);
        let o = run_export(&args);
        assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
        assert!(common::stdout(&o).contains(&format!("into `{link_s}`")));
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_link(&link).unwrap(), real);
        let mut files: Vec<String> = std::fs::read_dir(&real)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        assert_eq!(files, ["metrics.parquet", "runs.parquet"]);
        assert!(
            hidden_next_to(tmp.path()).is_empty(),
            "{:?}",
            hidden_next_to(tmp.path())
        );
    }

    let dangling = tmp.path().join("dangling");
    std::os::unix::fs::symlink(tmp.path().join("nothing"), &dangling).unwrap();
    let (_t, copy) = common::fixture_copy("killed");
    // an empty folder inside `.aim`: only the inside check stands in the way
    std::fs::create_dir(copy.join(".aim/empty")).unwrap();
    let into_aim = tmp.path().join("into-aim");
    std::os::unix::fs::symlink(copy.join(".aim/empty"), &into_aim).unwrap();
    let before = common::tree_state(tmp.path());
    let repo_before = common::tree_state(&copy);
    for (out, needle) in [
        (&dangling, "is a symbolic link to"),
        (&into_aim, "is inside the repository"),
    ] {
        let o = run_export(&[
            "--aim-repo",
            copy.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
            "--force",
        ]);
        let err = common::stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{err}");
    }
    assert_eq!(common::tree_state(tmp.path()), before);
    assert_eq!(common::tree_state(&copy), repo_before);
}

/// kill -9 during an export leaves its hidden staging folder (never a partial output); the
/// next export into the same output removes it (ours by name and owner file, its process
/// gone), says so, and succeeds.
#[test]
fn the_leftover_of_a_killed_export_is_removed_by_the_next_one() {
    let repo = common::fixture("long-metric");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let args = [
        "aimrepo",
        "export",
        "--aim-repo",
        repo.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ];
    let mut killed = false;
    for _ in 0..20 {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tcbench"))
            .args(args)
            .env("TCBENCH_EXPORT_BATCH", "7")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        while hidden_next_to(tmp.path()).is_empty() && child.try_wait().unwrap().is_none() {
            std::thread::sleep(std::time::Duration::from_micros(100));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        if !out.exists() {
            killed = true;
            break;
        }
        std::fs::remove_dir_all(&out).unwrap();
    }
    assert!(killed, "the export always finished before kill -9");
    let left = hidden_next_to(tmp.path());
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].starts_with(".out.tcbench-export-"), "{left:?}");
    let o = common::tcbench(&args);
    let err = common::stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains(&format!(
            "`{}` was removed: the leftover of an interrupted export whose process is gone",
            tmp.path().join(&left[0]).display()
        )),
        "{err}"
    );
    assert!(hidden_next_to(tmp.path()).is_empty());
    assert!(out.join("metrics.parquet").is_file());
}

/// `--hive`: each export appends one `repo=<name>` partition per repository to the dataset;
/// pyarrow's dataset reader takes the partitions as one table with a `repo` column whose rows
/// are each export's own; an existing partition is refused (nothing changes) unless `--force`.
#[test]
fn hive_exports_append_partitions_that_read_as_one_table() {
    let py = common::aim_python("TCBENCH_AIM_PYTHON");
    let tmp = tempfile::tempdir().unwrap();
    let fixtures = tmp.path().join("servers");
    for (server, fixture) in [("server-a", "campaign"), ("server-b", "aim317-campaign")] {
        common::copy_tree(
            &common::fixture(fixture),
            &fixtures.join(server).join("aim-repo"),
        );
    }
    let dataset = tmp.path().join("dataset");
    let hive = |repo: &str, extra: &[&str]| {
        let mut args = vec![
            "aimrepo",
            "export",
            "--hive",
            "--aim-repo",
            repo,
            "--output",
            "dataset",
        ];
        args.extend_from_slice(extra);
        common::tcbench_in(tmp.path(), &args)
    };
    let a = hive("servers/server-a/aim-repo", &[]);
    assert!(a.status.success(), "{}", common::stderr(&a));
    assert!(
        common::stdout(&a).contains("into 1 partition of `dataset`"),
        "{}",
        common::stdout(&a)
    );
    let b = hive("servers/server-b/aim-repo", &[]);
    assert!(b.status.success(), "{}", common::stderr(&b));
    let mut parts: Vec<String> = std::fs::read_dir(&dataset)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    parts.sort();
    assert_eq!(
        parts,
        [
            "repo=servers_server-a_aim-repo",
            "repo=servers_server-b_aim-repo"
        ]
    );
    // again without --force: refused, the dataset unchanged
    let before = common::tree_state(&dataset);
    let again = hive("servers/server-a/aim-repo", &[]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        common::stderr(&again).contains("repo=servers_server-a_aim-repo")
            && common::stderr(&again).contains("--force"),
        "{}",
        common::stderr(&again)
    );
    assert_eq!(common::tree_state(&dataset), before);
    let forced = hive("servers/server-a/aim-repo", &["--force"]);
    assert!(forced.status.success(), "{}", common::stderr(&forced));
    // one table over both partitions: each partition's rows are its own export's
    let script = r#"
import glob, json, os, sys
import pyarrow.dataset as ds, pyarrow.parquet as pq
root = sys.argv[1]
out = {}
for table in ("runs", "metrics"):
    files = sorted(glob.glob(os.path.join(root, "*", table + ".parquet")))
    d = ds.dataset(files, format="parquet", partitioning="hive", partition_base_dir=root)
    t = d.to_table(columns=["repo"])
    counts = {}
    for r in t.column("repo").to_pylist():
        counts[r] = counts.get(r, 0) + 1
    own = {f.split(os.sep)[-2][len("repo="):]: pq.read_metadata(f).num_rows for f in files}
    out[table] = [counts, own]
print(json.dumps(out))
"#;
    let o = common::run_py(
        &py,
        &["-c", script, dataset.to_str().unwrap()],
        &common::root(),
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for table in ["runs", "metrics"] {
        let (counts, own) = (&v[table][0], &v[table][1]);
        assert_eq!(counts, own, "{table}: {v}");
        assert_eq!(counts.as_object().unwrap().len(), 2, "{table}: {v}");
    }
    // each partition holds what a plain export of that repository holds
    let (_t, plain) = export(&fixtures.join("server-b/aim-repo"), &[], &[]);
    for f in ["runs.parquet", "metrics.parquet"] {
        assert_eq!(
            std::fs::read(plain.join(f)).unwrap(),
            std::fs::read(dataset.join("repo=servers_server-b_aim-repo").join(f)).unwrap(),
            "{f}"
        );
    }
}
