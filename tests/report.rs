//! `tcbench aimrepo report`: destinations checked before anything is read or printed,
//! option parsing (repeated names, empty lists, negative precision), parity details with the
//! original (metric block order, `saving:` paths, integer metrics in Parquet, empty
//! repositories, unfinished runs), `--value max|min` against the real Aim SDK, and the
//! `properties` table on very narrow consoles.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{fixture, stderr, stdout, tcbench, tcbench_in, tree_state};
use serde_json::Value as J;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs report on `repo` with `--output-folder out` and `extra`.
fn report(repo: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "aimrepo",
        "report",
        "--aim-repo",
        s(repo),
        "--output-folder",
        s(out),
    ];
    args.extend_from_slice(extra);
    tcbench(&args)
}

/// Exit 1, one error line containing `needle`, nothing on stdout.
fn refused(o: &std::process::Output, needle: &str) {
    assert_eq!(o.status.code(), Some(1), "{}", stderr(o));
    assert_eq!(stdout(o), "", "stdout of a refused report");
    let err = stderr(o);
    assert!(
        err.contains(needle) && err.trim_end().lines().count() == 1,
        "expected one error line with `{needle}`:\n{err}"
    );
}

/// `tree_state` without folder mtimes (checking that a folder is writable touches its mtime,
/// nothing else).
fn files_state(dir: &Path) -> Vec<String> {
    tree_state(dir)
        .into_iter()
        .map(|l| match l.find(" mode=40") {
            Some(_) => l.split(" mtime=").next().unwrap().to_owned(),
            None => l,
        })
        .collect()
}

#[test]
fn destinations_are_checked_before_anything_is_printed_or_written() {
    let repo = fixture("campaign");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    // a plot in a folder that does not exist
    let before = files_state(tmp.path());
    let o = report(&repo, &out, &["--plot", "/nonexistent/dir/x.png"]);
    refused(&o, "/nonexistent/dir");
    assert_eq!(files_state(tmp.path()), before);
    // an output folder that cannot be created: a file in the way
    std::fs::write(tmp.path().join("file"), "x").unwrap();
    let before = files_state(tmp.path());
    let o = report(&repo, &tmp.path().join("file/sub"), &[]);
    refused(&o, "is not a folder");
    assert_eq!(files_state(tmp.path()), before);
    // a campaign folder blocked by a file
    std::fs::create_dir_all(out.join("campaign_summary")).unwrap();
    std::fs::write(out.join("campaign_summary/1684447037"), "mine").unwrap();
    let before = files_state(tmp.path());
    let o = report(&repo, &out, &[]);
    refused(&o, "1684447037");
    assert_eq!(files_state(tmp.path()), before);
    // a report file blocked by a folder
    std::fs::remove_file(out.join("campaign_summary/1684447037")).unwrap();
    std::fs::create_dir_all(out.join("campaign_summary/1684447037/summary_flowpic_dim_64.csv"))
        .unwrap();
    let before = files_state(tmp.path());
    let o = report(&repo, &out, &[]);
    refused(&o, "summary_flowpic_dim_64.csv");
    assert_eq!(files_state(tmp.path()), before);
}

#[test]
fn a_campaign_folder_that_leads_elsewhere_is_refused() {
    // the default output folder is the repository's: a downloaded repository may hold a
    // `campaign_summary/<id>` link pointing anywhere
    let (_tmp, repo) = common::fixture_copy("campaign");
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::create_dir(repo.join("campaign_summary")).unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), repo.join("campaign_summary/1684447037")).unwrap();
    let o = tcbench(&["aimrepo", "report", "--aim-repo", s(&repo)]);
    refused(&o, "leads out of");
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
}

#[test]
fn repeated_names_count_once_and_an_empty_list_is_named() {
    let repo = fixture("campaign");
    let tmp = tempfile::tempdir().unwrap();
    let once = report(
        &repo,
        tmp.path(),
        &["--metrics", "acc,f1", "--contexts", "test-human,train"],
    );
    assert!(once.status.success(), "{}", stderr(&once));
    let twice = report(
        &repo,
        tmp.path(),
        &[
            "--metrics",
            "acc,f1,acc",
            "--contexts",
            "test-human,train,test-human",
        ],
    );
    assert!(twice.status.success(), "{}", stderr(&twice));
    assert_eq!(stdout(&twice), stdout(&once));
    assert_eq!(stderr(&twice), stderr(&once));
    let o = report(&repo, tmp.path(), &["--contexts", ""]);
    refused(&o, "--contexts is empty");
    assert!(!stderr(&o).contains("starts with"), "{}", stderr(&o));
}

#[test]
fn negative_precision_is_accepted_in_both_spellings() {
    let repo = fixture("campaign");
    let tmp = tempfile::tempdir().unwrap();
    let a = report(&repo, tmp.path(), &["--precision", "-1"]);
    assert!(a.status.success(), "{}", stderr(&a));
    let b = report(&repo, tmp.path(), &["--precision=-1"]);
    assert!(b.status.success(), "{}", stderr(&b));
    assert_eq!(stdout(&a), stdout(&b));
    assert!(stdout(&a).contains(" 70.0 "), "{}", stdout(&a));
}

#[test]
fn metric_blocks_keep_the_metrics_order_with_run_duration_last() {
    let repo = fixture("campaign");
    let tmp = tempfile::tempdir().unwrap();
    let o = report(&repo, tmp.path(), &["--metrics", "recall,acc,f1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let header = out.lines().find(|l| l.contains("run_duration")).unwrap();
    let names: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(
        &names[names.len() - 4..],
        ["recall", "acc", "f1", "run_duration"],
        "{header}"
    );
}

#[test]
fn saving_paths_are_printed_as_pathlib_builds_them() {
    let tmp = tempfile::tempdir().unwrap();
    common::copy_tree(&fixture("campaign"), &tmp.path().join("small"));
    let o = tcbench_in(tmp.path(), &["aimrepo", "report", "--aim-repo", "./small"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o)
            .contains("\nsaving: small/campaign_summary/1684447037/summary_flowpic_dim_32.csv\n"),
        "{}",
        stdout(&o)
    );
    let o = tcbench_in(
        tmp.path(),
        &[
            "aimrepo",
            "report",
            "--aim-repo",
            "small",
            "--output-folder",
            "./out/",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(
            "\nsaving: out/campaign_summary/1684447037/runsinfo_flowpic_dim_64.parquet\n"
        ),
        "{}",
        stdout(&o)
    );
    let o = tcbench_in(
        &tmp.path().join("small"),
        &["aimrepo", "report", "--aim-repo", "."],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("\nsaving: campaign_summary/1684447037/"),
        "{}",
        stdout(&o)
    );
}

fn parquet_types(p: &Path) -> Vec<(String, String)> {
    let f = std::fs::File::open(p).unwrap();
    let b = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f).unwrap();
    b.schema()
        .fields()
        .iter()
        .map(|f| (f.name().clone(), f.data_type().to_string()))
        .collect()
}

#[test]
fn integer_metrics_stay_integers_in_runsinfo() {
    // best_epoch is tracked as an int by the campaign (testdata/gen_campaign.py)
    let repo = fixture("campaign");
    let tmp = tempfile::tempdir().unwrap();
    let o = report(
        &repo,
        tmp.path(),
        &["--metrics", "best_epoch,acc", "--contexts", "val"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let p = tmp
        .path()
        .join("campaign_summary/1684447037/runsinfo_flowpic_dim_32.parquet");
    let types = parquet_types(&p);
    let ty = |n: &str| types.iter().find(|(k, _)| k == n).unwrap().1.clone();
    assert_eq!(ty("best_epoch"), "Int64");
    assert_eq!(ty("acc"), "Float64");
}

#[test]
fn an_empty_repository_has_nothing_to_report() {
    let tmp = tempfile::tempdir().unwrap();
    let o = report(&fixture("empty"), tmp.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    assert!(stderr(&o).contains("nothing to report"), "{}", stderr(&o));
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn unfinished_runs_are_named_as_left_out_of_the_duration() {
    let tmp = tempfile::tempdir().unwrap();
    let o = report(&fixture("campaign-quirks"), tmp.path(), &[]);
    assert!(o.status.code() == Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("1 unfinished run (no end time) left out of the run duration"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn properties_borders_are_as_wide_as_the_rows_on_tiny_consoles() {
    for cols in ["1", "2", "3", "4", "5", "6", "9"] {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_tcbench"))
            .args(["aimrepo", "properties", "--aim-repo", s(&fixture("killed"))])
            .env("COLUMNS", cols)
            .output()
            .unwrap();
        assert!(o.status.success());
        let out = stdout(&o);
        let widths: Vec<usize> = out.lines().map(|l| l.chars().count()).collect();
        assert!(
            widths.iter().all(|w| *w == widths[0]),
            "COLUMNS={cols}: line widths {widths:?}\n{out}"
        );
    }
}

/// Each run's largest and smallest value of every metric, as the real Aim SDK reads them
/// (from a temp copy: the SDK may flush WALs when it opens a repository).
fn sdk_max_min(py: &Path, repo: &str) -> J {
    let (_tmp, copy) = common::fixture_copy(repo);
    let script = "import sys, json, aim\nrepo = aim.Repo.from_path(sys.argv[1])\nout = {}\nfor run in repo.iter_runs():\n    d = out.setdefault(run.hash, {})\n    for m in run.metrics():\n        v = list(m.values.values_list())\n        d[m.name + '|' + m.context.to_dict().get('subset', '')] = [max(v), min(v)]\nprint(json.dumps(out))\n";
    let out = common::run_py(py, &["-c", script, s(&copy)], &copy);
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
#[cfg_attr(
    tcbench_skip_interop,
    ignore = "TCBENCH_SKIP_INTEROP: needs Python with real Aim (scripts/test.sh)"
)]
fn value_max_and_min_equal_the_sdk() {
    let py = common::aim_python("TCBENCH_AIM_PYTHON");
    let sdk = sdk_max_min(&py, "campaign");
    let expected: J = serde_json::from_str(
        &std::fs::read_to_string(fixture("campaign").join("expected.json")).unwrap(),
    )
    .unwrap();
    // every run its own group: seed × flowpic_dim × aug_name
    let run_of = |g: &J| -> String {
        let hp = |r: &J, k: &str| r["params"]["hparams"][k].clone();
        let found: Vec<&J> = expected["runs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| {
                ["seed", "flowpic_dim", "aug_name"]
                    .iter()
                    .all(|k| hp(r, k) == g[*k])
            })
            .collect();
        assert_eq!(found.len(), 1, "{g}");
        found[0]["hash"].as_str().unwrap().to_owned()
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut differ = 0;
    for (kind, pick) in [("max", 0), ("min", 1)] {
        let o = report(
            &fixture("campaign"),
            tmp.path(),
            &[
                "--value",
                kind,
                "--metrics",
                "acc,loss,best_epoch",
                "--contexts",
                "train,val",
                "--groupby",
                "seed,flowpic_dim,aug_name",
                "--format",
                "json",
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let out: J = serde_json::from_str(&stdout(&o)).unwrap();
        let mut compared = 0;
        for g in out[0]["groups"].as_array().unwrap() {
            assert_eq!(g["runs"], 1);
            let hash = run_of(&g["groups"]);
            let split = g["split"].as_str().unwrap();
            for m in ["acc", "loss", "best_epoch"] {
                let Some(want) = sdk[&hash].get(format!("{m}|{split}")) else {
                    continue;
                };
                let got = g["metrics"][m]["mean"].as_f64().unwrap();
                assert_eq!(
                    got,
                    want[pick].as_f64().unwrap(),
                    "{kind} {m} {split} {hash}"
                );
                if want[0] != want[1] {
                    differ += 1;
                }
                compared += 1;
            }
        }
        assert!(compared >= 12 * 2 * 2, "{kind}: compared {compared}");
    }
    assert!(differ > 20, "max and min differ in only {differ} traces");
}
