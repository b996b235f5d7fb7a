//! `tcbench aimrepo doctor`: healthy repositories exit 0, each problem is named with its
//! fix, the printed fixes exist in real Aim 3.29.1 and applying them (on a copy, with real
//! Aim) makes the repository healthy; a live writer is told from a dead one; doctor never
//! writes.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn doctor(repo: &Path, json: bool) -> Output {
    let mut args = vec!["aimrepo", "doctor", "--aim-repo", repo.to_str().unwrap()];
    if json {
        args.extend(["--format", "json"]);
    }
    let out = common::tcbench(&args);
    let err = common::stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    out
}

fn report(repo: &Path) -> serde_json::Value {
    serde_json::from_slice(&doctor(repo, true).stdout).unwrap()
}

/// The kinds of the report's problems, in order.
fn problem_kinds(rep: &serde_json::Value) -> Vec<&str> {
    rep["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "problem")
        .map(|f| f["kind"].as_str().unwrap())
        .collect()
}

fn aim_bin(py: &Path) -> PathBuf {
    py.parent().unwrap().join("aim")
}

/// Runs every `fix` of the report whose command is an `aim …` one, with real Aim.
fn apply_fixes(py: &Path, rep: &serde_json::Value) -> Vec<String> {
    let mut applied = Vec::new();
    for f in rep["findings"].as_array().unwrap() {
        let Some(fix) = f["fix"].as_str() else {
            continue;
        };
        let words: Vec<&str> = fix.split(' ').collect();
        assert_eq!(words[0], "aim", "{fix}");
        let out = Command::new(aim_bin(py))
            .args(&words[1..])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{fix}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        applied.push(fix.to_owned());
    }
    applied
}

#[test]
fn healthy_repositories_exit_0() {
    for name in ["campaign", "empty", "aim317-campaign", "aim317-closed"] {
        let out = doctor(&common::fixture(name), false);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            common::stdout(&out)
        );
        assert!(common::stdout(&out).ends_with("healthy: no problem found\n"));
        let rep = report(&common::fixture(name));
        assert_eq!(rep["healthy"], true);
        assert_eq!(rep["problems"], 0);
    }
}

#[test]
fn doctor_never_writes() {
    for name in common::fixture_names() {
        let (_tmp, repo) = common::fixture_copy(&name);
        let before = common::tree_state(&repo);
        for json in [false, true] {
            let out = doctor(&repo, json);
            assert!(matches!(out.status.code(), Some(0 | 3)), "{name}");
            assert_eq!(
                before,
                common::tree_state(&repo),
                "{name}: doctor changed it"
            );
        }
    }
}

#[test]
fn unreadable_repository_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    let out = doctor(&tmp.path().join("nope"), false);
    assert_eq!(out.status.code(), Some(1));
    assert!(common::stderr(&out).contains("does not exist"));
}

#[test]
#[cfg_attr(
    tcbench_skip_interop,
    ignore = "TCBENCH_SKIP_INTEROP: needs Python with real Aim (scripts/test.sh)"
)]
fn every_printed_fix_exists_in_aim_3_29() {
    let py = common::aim_python("TCBENCH_AIM_PYTHON");
    for sub in [
        &["runs", "close"][..],
        &["runs", "rm"],
        &["storage", "reindex"],
    ] {
        let out = Command::new(aim_bin(&py))
            .args(sub)
            .arg("--help")
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "aim {sub:?} --help");
        assert!(help.contains("-y, --yes"), "aim {sub:?}: {help}");
    }
    for sub in ["runs", "storage"] {
        let help = Command::new(aim_bin(&py))
            .args([sub, "--help"])
            .output()
            .unwrap();
        assert!(String::from_utf8_lossy(&help.stdout).contains("--repo"));
    }
}

#[test]
#[cfg_attr(
    tcbench_skip_interop,
    ignore = "TCBENCH_SKIP_INTEROP: needs Python with real Aim (scripts/test.sh)"
)]
fn killed_run_and_empty_index_are_fixed_by_aim() {
    let (_tmp, repo) = common::fixture_copy("killed");
    let killed = "04f8a3249b3c4911b1cd6566";
    let out = doctor(&repo, false);
    let text = common::stdout(&out);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(
        text.contains(&format!("[unfinished-run] run {killed}")),
        "{text}"
    );
    assert!(text.contains("which is not running"), "{text}");
    assert!(text.contains(&format!("close -y {killed}")), "{text}");
    assert!(text.contains("[index-empty]"), "{text}");
    let py = common::aim_python("TCBENCH_AIM_PYTHON");
    let applied = apply_fixes(&py, &report(&repo));
    assert_eq!(applied.len(), 2, "{applied:?}");
    let out = doctor(&repo, false);
    assert_eq!(
        out.status.code(),
        Some(0),
        "after {applied:?}: {}",
        common::stdout(&out)
    );
}

#[test]
#[cfg_attr(
    tcbench_skip_interop,
    ignore = "TCBENCH_SKIP_INTEROP: needs Python with real Aim (scripts/test.sh)"
)]
fn closing_a_run_makes_the_index_stale_and_reindex_fixes_it() {
    let py = common::aim_python("TCBENCH_AIM_PYTHON");
    let (_tmp, repo) = common::fixture_copy("campaign-quirks");
    let rep = report(&repo);
    assert_eq!(problem_kinds(&rep), ["unfinished-run"], "{rep}");
    apply_fixes(&py, &rep);
    // the index still holds the run's metadata from before it was closed
    let rep = report(&repo);
    let stale = &rep["findings"][0];
    assert_eq!(stale["kind"], "index-stale", "{rep}");
    assert!(stale["detail"]
        .as_str()
        .unwrap()
        .contains("end_time None in the index"));
    assert!(stale["fix"].as_str().unwrap().ends_with("reindex -y"));
    apply_fixes(&py, &rep);
    let out = doctor(&repo, false);
    assert_eq!(out.status.code(), Some(0), "{}", common::stdout(&out));
}

#[test]
#[cfg_attr(
    tcbench_skip_interop,
    ignore = "TCBENCH_SKIP_INTEROP: needs Python with real Aim (scripts/test.sh)"
)]
fn a_live_writer_is_told_from_a_dead_one() {
    let py = common::aim_python("TCBENCH_AIM_PYTHON");
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("live");
    std::fs::create_dir(&repo).unwrap();
    common::run_py(&aim_bin(&py), &["init"], &repo);
    let script = "import sys\nfrom aim import Run\nr = Run(repo='.', system_tracking_interval=None, log_system_params=False, capture_terminal_logs=False)\nr.track(1.0, name='loss')\nprint(r.hash, flush=True)\nsys.stdin.read()\n";
    let mut child = Command::new(&py)
        .args(["-c", script])
        .current_dir(&repo)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let hash = line.trim().to_owned();
    let before = common::tree_state(&repo);
    let rep = report(&repo);
    assert_eq!(
        before,
        common::tree_state(&repo),
        "doctor wrote into a live repository"
    );
    let running = rep["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "running-run")
        .unwrap_or_else(|| panic!("{rep}"));
    assert_eq!(running["severity"], "note");
    assert_eq!(running["runs"][0], hash.as_str());
    assert!(
        running["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("pid {}", child.id())),
        "{running}"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let rep = report(&repo);
    let dead = rep["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "unfinished-run")
        .unwrap_or_else(|| panic!("{rep}"));
    assert_eq!(dead["runs"][0], hash.as_str());
    assert!(dead["fix"]
        .as_str()
        .unwrap()
        .contains(&format!("close -y {hash}")));
}

/// Each run's `end_time` as our `ls` prints it.
fn our_end_times(repo: &Path) -> BTreeMap<String, Option<f64>> {
    let out = common::tcbench(&["aimrepo", "ls", "--aim-repo", repo.to_str().unwrap()]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    common::stdout(&out)
        .lines()
        .skip(1)
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            let end = match w[2] {
                "None" => None,
                t => Some(t.parse::<f64>().unwrap()),
            };
            (w[0].to_owned(), end)
        })
        .collect()
}

/// (kind, severity) of the findings about run `hash`, Aim's harmless leftovers aside.
fn kinds_of(rep: &serde_json::Value, hash: &str) -> Vec<(String, String)> {
    rep["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] != "leftover")
        .filter(|f| f["runs"].as_array().unwrap().iter().any(|r| r == hash))
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_owned(),
                f["severity"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Aim 3.17.4 (tcbench's pinned version) closes a killed run by writing its `end_time` into
/// `meta/index` only, and reads it from there: `ls` shows that time, as the 3.17.4 SDK
/// does; doctor calls such a run finished, and warns only when a reindex (which would drop
/// the time) is advised, with the Aim ≥ 3.20 close that keeps the run finished.
#[test]
#[cfg_attr(
    tcbench_skip_interop,
    ignore = "TCBENCH_SKIP_INTEROP: needs Python with real Aim (scripts/test.sh)"
)]
fn runs_closed_by_aim_3_17_end_when_aim_says() {
    let py317 = common::aim_python("TCBENCH_AIM317_PYTHON");
    let tmp = tempfile::tempdir().unwrap();
    let extra = [
        "--seeds",
        "42",
        "--dims",
        "32",
        "--augs",
        "noaug,rotate,changertt",
    ];
    let mut args = extra.to_vec();
    args.extend(["--unclosed-runs", "1,2"]);
    let repo = common::gen_campaign(&py317, tmp.path(), "c", "1/1", &args);
    let killed: Vec<String> = std::fs::read_dir(repo.join(".aim/meta/progress"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(killed.len(), 2, "{killed:?}");
    assert_eq!(our_end_times(&repo), common::sdk_end_times(&py317, &repo));

    // the first killed run closed with Aim 3.17.4
    common::run_py(
        &aim_bin(&py317),
        &["runs", "--repo", ".", "close", "-y", &killed[0]],
        &repo,
    );
    let sdk = common::sdk_end_times(&py317, &repo);
    assert!(sdk[&killed[0]].is_some(), "{sdk:?}");
    assert!(sdk[&killed[1]].is_none(), "{sdk:?}");
    assert_eq!(our_end_times(&repo), sdk);
    let rep = report(&repo);
    // the other killed run is missing from the index, so a reindex is advised: the closed
    // one must be closed again (by Aim ≥ 3.20) before it, or it would lose its end time
    assert_eq!(
        kinds_of(&rep, &killed[0]),
        [("end-time-in-index".to_owned(), "problem".to_owned())],
        "{rep}"
    );
    assert_eq!(
        problem_kinds(&rep),
        ["unfinished-run", "end-time-in-index", "index-partial"],
        "{rep}"
    );
    let text = common::stdout(&doctor(&repo, false));
    assert!(text.contains("needs Aim 3.20 or later"), "{text}");
    // which is why: Aim 3.17.4's reindex takes no -y (and without it does nothing)
    let out = Command::new(aim_bin(&py317))
        .args(["storage", "--repo", ".", "reindex", "-y"])
        .current_dir(&repo)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("No such option"));

    // on a copy, Aim 3.29.1 applies the fixes in the order shown: healthy, every run finished
    {
        let py = common::aim_python("TCBENCH_AIM_PYTHON");
        let copy = tmp.path().join("copy");
        common::copy_tree(&repo, &copy);
        apply_fixes(&py, &report(&copy));
        let out = doctor(&copy, false);
        assert_eq!(out.status.code(), Some(0), "{}", common::stdout(&out));
        let ends = our_end_times(&copy);
        assert!(ends.values().all(Option::is_some), "{ends:?}");
    }

    // the second one closed with Aim 3.17.4 too: nothing left to fix
    common::run_py(
        &aim_bin(&py317),
        &["runs", "--repo", ".", "close", "-y", &killed[1]],
        &repo,
    );
    let sdk = common::sdk_end_times(&py317, &repo);
    assert!(sdk.values().all(Option::is_some), "{sdk:?}");
    assert_eq!(our_end_times(&repo), sdk);
    let out = doctor(&repo, false);
    assert_eq!(out.status.code(), Some(0), "{}", common::stdout(&out));
    let rep = report(&repo);
    for h in &killed {
        assert_eq!(
            kinds_of(&rep, h),
            [("end-time-in-index".to_owned(), "note".to_owned())],
            "{rep}"
        );
    }
}
