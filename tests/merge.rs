//! `tcbench aimrepo merge`: the merged repository holds every run of every source and real
//! Aim (3.29.1 and 3.17.4) reads it like the sources; nothing is ever overwritten or left
//! half-written (refused destinations, conflicts, bad sources, kill -9 mid-merge); sources
//! are never modified (their tree — paths, modes, sizes, mtimes, contents — is hashed before
//! and after every merge).
//!
//! The interoperability tests need Python interpreters with real Aim: `TCBENCH_AIM_PYTHON`
//! (aim 3.29.1) and `TCBENCH_AIM317_PYTHON` (aim 3.17.4); `scripts/test.sh` sets them. Without
//! them those tests fail under CI and are skipped (with a message) elsewhere.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value as J;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Asserts two `tree_state`s are equal, naming the first differing lines only.
fn same_state(before: &[String], after: &[String], what: &str) {
    if before == after {
        return;
    }
    let b: BTreeSet<&String> = before.iter().collect();
    let a: BTreeSet<&String> = after.iter().collect();
    let gone: Vec<_> = b.difference(&a).take(8).collect();
    let new: Vec<_> = a.difference(&b).take(8).collect();
    panic!("{what} changed:\n before only: {gone:#?}\n after only: {new:#?}");
}

/// Runs `tcbench aimrepo merge ARGS` and checks that no source changed.
fn merge(sources: &[&Path], args: &[&str]) -> Output {
    let before: Vec<_> = sources.iter().map(|p| common::tree_state(p)).collect();
    let mut argv = vec!["aimrepo", "merge"];
    for src in sources {
        argv.extend(["--src", s(src)]);
    }
    argv.extend(args);
    let out = common::tcbench(&argv);
    let err = common::stderr(&out);
    assert!(!err.contains("panicked"), "panic: {err}");
    for (src, b) in sources.iter().zip(before) {
        same_state(
            &b,
            &common::tree_state(src),
            &format!("source {} (by merge {argv:?})", src.display()),
        );
    }
    out
}

fn ok(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        common::stdout(out),
        common::stderr(out)
    );
}

fn one_error_line(out: &Output, needle: &str) {
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(out));
    let err = common::stderr(out);
    assert_eq!(err.lines().count(), 1, "not one line: {err}");
    assert!(err.starts_with("tcbench: error: "), "{err}");
    assert!(err.contains(needle), "{err:?} lacks {needle:?}");
    assert!(out.stdout.is_empty(), "output on error");
}

/// Run hashes (meta chunk folders) of a repository.
fn hashes(repo: &Path) -> BTreeSet<String> {
    match std::fs::read_dir(repo.join(".aim/meta/chunks")) {
        Ok(d) => d
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => BTreeSet::new(),
    }
}

/// Our reader on the merged repository: every run readable, the expected run set.
fn read_back(repo: &Path) -> Vec<aim_store::Run> {
    let scan = aim_store::Repo::open(repo).unwrap().scan().unwrap();
    assert!(scan.problems.is_empty(), "{:?}", scan.problems);
    scan.runs
}

/// Entries of `dir` whose name holds the staging tag (leftovers of a merge).
fn staging_leftovers(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().path())
                .filter(|p| p.to_string_lossy().contains(".tcbench-merge-"))
                .collect()
        })
        .unwrap_or_default()
}

/// The whole tree below `dir`, folders only by name (what a merge must have copied).
fn same_tree_contents(a: &Path, b: &Path) {
    let strip = |v: Vec<String>| -> Vec<String> {
        v.into_iter()
            .map(|l| {
                let (path, rest) = l.split_once(" mode=").unwrap();
                let fnv = rest.split(" fnv=").nth(1).unwrap_or("dir");
                let size = rest
                    .split(" size=")
                    .nth(1)
                    .unwrap()
                    .split(' ')
                    .next()
                    .unwrap();
                format!("{path} {size} {fnv}")
            })
            .collect()
    };
    assert_eq!(
        strip(common::tree_state(a)),
        strip(common::tree_state(b)),
        "{} vs {}",
        a.display(),
        b.display()
    );
}

fn files_without_lock_and_info_log(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "LOCK" && !n.starts_with("LOG"))
        .collect();
    v.sort();
    v
}

/// Every copied chunk file equals the source's byte for byte; `LOCK` and `LOG*` are not copied.
fn chunks_copied_byte_for_byte(src: &Path, dst: &Path, h: &str) {
    for kind in ["meta", "seqs"] {
        let a = src.join(".aim").join(kind).join("chunks").join(h);
        let b = dst.join(".aim").join(kind).join("chunks").join(h);
        if !a.exists() {
            assert!(!b.exists());
            continue;
        }
        let names = files_without_lock_and_info_log(&a);
        assert_eq!(names, files_without_lock_and_info_log(&b), "{kind} {h}");
        for n in names {
            assert_eq!(
                std::fs::read(a.join(&n)).unwrap(),
                std::fs::read(b.join(&n)).unwrap(),
                "{kind} {h} {n}"
            );
        }
        for n in ["LOCK", "LOG"] {
            assert!(!b.join(n).exists(), "{n} copied in {}", b.display());
        }
    }
}

// ------------------------------------------------------------------ real Aim helpers

/// What the Aim SDK (`py`) reads from `repo`, opened as it is (its index kept, if any), by hash.
fn sdk_runs(py: &Path, repo: &Path, as_is: bool) -> BTreeMap<String, J> {
    let script = common::root().join("testdata/interop/sdk_read.py");
    let mut args = vec![s(&script)];
    if as_is {
        args.push("--as-is");
    }
    args.push(s(repo));
    let out = common::run_py(py, &args, &common::root());
    let v: J = serde_json::from_slice(&out.stdout).unwrap();
    v["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["hash"].as_str().unwrap().to_owned(), r.clone()))
        .collect()
}

/// `report --format json` over every test metric, with the run duration left out.
fn report_without_durations(repo: &Path, out_dir: &Path) -> J {
    let out = common::tcbench(&[
        "aimrepo",
        "report",
        "--aim-repo",
        s(repo),
        "--metrics",
        "acc,loss,precision,recall,f1",
        "--format",
        "json",
        "--output-folder",
        s(out_dir),
    ]);
    ok(&out);
    let mut v: J = serde_json::from_slice(&out.stdout).unwrap();
    for campaign in v.as_array_mut().unwrap() {
        for g in campaign["groups"].as_array_mut().unwrap() {
            let g = g.as_object_mut().unwrap();
            // wall-clock time of each generation: the merged halves and the unsplit
            // campaign were written by separate Aim processes, so durations differ
            let d = g.remove("run_duration").unwrap();
            g.insert("run_duration_count".into(), d["count"].clone());
        }
    }
    v
}

/// Numbers equal to 1e-12 relative (sums over the same values in the same order are
/// bit-identical; the tolerance only guards against a different summation order).
fn close(a: &J, b: &J) -> bool {
    match (a, b) {
        (J::Number(x), J::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            x == y || (x - y).abs() <= 1e-12 * x.abs().max(y.abs())
        }
        (J::Array(x), J::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| close(p, q))
        }
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| close(v, w)))
        }
        _ => a == b,
    }
}

// ------------------------------------------------------------------ 1. two halves

/// Two halves of a campaign written by real Aim 3.29.1 are merged; Aim 3.29.1 and 3.17.4 list
/// every run with the params and metric values the halves have, and `report` on the merged
/// repository equals `report` on the same campaign written unsplit, in every metric column.
#[test]
#[cfg_attr(
    tcbench_skip_interop,
    ignore = "TCBENCH_SKIP_INTEROP: needs Python with real Aim (scripts/test.sh)"
)]
fn merged_halves_read_like_the_sources_in_aim_3_29_and_3_17_and_report_like_the_unsplit_campaign() {
    let py = common::aim_python("TCBENCH_AIM_PYTHON");
    let py317 = common::aim_python("TCBENCH_AIM317_PYTHON");
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    // one half indexed by `aim storage reindex`, one raw: the merge must not care
    let a = common::gen_campaign(&py, t, "half1", "1/2", &[]);
    let b = common::gen_campaign(&py, t, "half2", "2/2", &["--no-reindex"]);
    let whole = common::gen_campaign(&py, t, "whole", "1/1", &["--no-reindex"]);
    assert_eq!(hashes(&a).len(), 6);
    assert_eq!(hashes(&b).len(), 6);
    let dst = t.join("merged");
    let out = merge(&[&a, &b], &["--dst", s(&dst)]);
    ok(&out);
    let text = common::stdout(&out);
    assert!(text.starts_with("merged 12 runs ("), "summary: {text}");
    assert!(
        text.contains("checked: 12 runs in the destination; the copied chunks read back whole ("),
        "{text}"
    );
    // the layout: chunks byte for byte, no index, no lock or progress leftovers
    let union: BTreeSet<String> = hashes(&a).union(&hashes(&b)).cloned().collect();
    assert_eq!(hashes(&dst), union);
    for h in &hashes(&a) {
        chunks_copied_byte_for_byte(&a, &dst, h);
    }
    for h in &hashes(&b) {
        chunks_copied_byte_for_byte(&b, &dst, h);
    }
    assert!(
        !dst.join(".aim/meta/index").exists(),
        "an index was written"
    );
    assert_eq!(std::fs::read(dst.join(".aim/VERSION")).unwrap(), b"1.3\n");
    for p in ["locks", "meta/progress", "seqs/progress"] {
        assert!(!dst.join(".aim").join(p).exists(), "{p} created");
    }
    assert!(staging_leftovers(t).is_empty());
    assert_eq!(read_back(&dst).len(), 12);
    // real Aim: the sources as read by Aim 3.29.1 ...
    let mut want = sdk_runs(&py, &a, false);
    want.extend(sdk_runs(&py, &b, false));
    assert_eq!(want.len(), 12);
    // ... equal the merged repository, opened as it is, by Aim 3.29.1 and by Aim 3.17.4
    for (who, p) in [("aim 3.29.1", &py), ("aim 3.17.4", &py317)] {
        let got = sdk_runs(p, &dst, true);
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            want.keys().collect::<Vec<_>>(),
            "{who}: run set"
        );
        for (h, w) in &want {
            assert_eq!(&got[h], w, "{who}: run {h}");
            assert!(w["params"]["hparams"].is_object(), "{h}: no params");
            assert!(
                !w["traces"].as_array().unwrap().is_empty(),
                "{h}: no metrics"
            );
        }
    }
    // report: same numbers as the campaign written in one go
    let merged_report = report_without_durations(&dst, &t.join("r1"));
    let whole_report = report_without_durations(&whole, &t.join("r2"));
    assert_eq!(merged_report[0]["runs"], 12);
    assert!(
        close(&merged_report, &whole_report),
        "report differs:\nmerged {merged_report:#}\nwhole {whole_report:#}"
    );
}

// ------------------------------------------------------------------ 2. existing destination

#[test]
fn an_existing_non_empty_destination_is_refused_and_left_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    // an Aim repository, and a plain folder with a file
    let repo_dst = tmp.path().join("campaign");
    common::copy_tree(&common::fixture("campaign"), &repo_dst);
    let plain = tmp.path().join("plain");
    std::fs::create_dir(&plain).unwrap();
    std::fs::write(plain.join("notes.txt"), "keep me").unwrap();
    let src = common::fixture("killed");
    for dst in [&repo_dst, &plain] {
        let before = common::tree_state(dst);
        let out = merge(&[&src], &["--dst", s(dst)]);
        one_error_line(
            &out,
            &format!("destination `{}` exists and is not empty", dst.display()),
        );
        assert!(common::stderr(&out).contains("--append"));
        same_state(&before, &common::tree_state(dst), "dst");
    }
    // the default destination `aim-repo` is no exception
    let cwd = tempfile::tempdir().unwrap();
    common::copy_tree(&common::fixture("campaign"), &cwd.path().join("aim-repo"));
    let before = common::tree_state(cwd.path());
    let out = common::tcbench_in(cwd.path(), &["aimrepo", "merge", "--src", s(&src)]);
    one_error_line(&out, "destination `aim-repo` exists and is not empty");
    same_state(&before, &common::tree_state(cwd.path()), "cwd");
    // --append into a folder that is not a repository: refused too
    let before = common::tree_state(&plain);
    let out = merge(&[&src], &["--dst", s(&plain), "--append"]);
    one_error_line(&out, "is not an Aim repository");
    same_state(&before, &common::tree_state(&plain), "plain");
    assert!(staging_leftovers(tmp.path()).is_empty());
}

#[test]
fn an_existing_empty_folder_becomes_the_destination() {
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join("empty-folder");
    std::fs::create_dir(&dst).unwrap();
    let src = common::fixture("edge-params");
    ok(&merge(&[&src], &["--dst", s(&dst)]));
    assert_eq!(hashes(&dst), hashes(&src));
    // archived runs are always copied
    let runs = read_back(&dst);
    assert_eq!(runs.len(), 4);
    assert!(runs.iter().any(|r| r.props.archived));
}

// ------------------------------------------------------------------ 3. append

/// `--append` adds the runs to an existing repository whose complete-but-stale `meta/index`
/// would hide them from Aim 3.29: the index is removed (said on stderr) and every run is
/// visible to our reader and to the Aim SDK opening the repository as it is.
#[test]
#[cfg_attr(
    tcbench_skip_interop,
    ignore = "TCBENCH_SKIP_INTEROP: needs Python with real Aim (scripts/test.sh)"
)]
fn append_into_an_indexed_repository_shows_every_run_to_our_reader_and_aim() {
    let py = common::aim_python("TCBENCH_AIM_PYTHON");
    let (tmp, dst) = common::fixture_copy("campaign");
    assert!(
        dst.join(".aim/meta/index/CURRENT").exists(),
        "fixture has an index"
    );
    let srcs = [
        common::fixture("campaign-noindex"),
        common::fixture("killed"),
    ];
    let out = merge(&[&srcs[0], &srcs[1]], &["--dst", s(&dst), "--append"]);
    ok(&out);
    let err = common::stderr(&out);
    assert!(err.contains("meta/index` is removed"), "{err}");
    assert!(err.contains("aim storage reindex"), "{err}");
    assert!(!dst.join(".aim/meta/index").exists());
    assert!(staging_leftovers(&dst).is_empty());
    let want: BTreeSet<String> = [
        common::fixture("campaign"),
        srcs[0].clone(),
        srcs[1].clone(),
    ]
    .iter()
    .flat_map(|r| hashes(r))
    .collect();
    assert_eq!(want.len(), 26);
    assert_eq!(hashes(&dst), want);
    assert_eq!(read_back(&dst).len(), 26);
    // appending the same again: every run identical, nothing copied, nothing changed
    let before = common::tree_state(&dst);
    let out = merge(&[&srcs[0], &srcs[1]], &["--dst", s(&dst), "--append"]);
    ok(&out);
    assert!(
        common::stdout(&out).starts_with("merged 0 runs"),
        "{}",
        common::stdout(&out)
    );
    same_state(&before, &common::tree_state(&dst), "dst");
    let got = sdk_runs(&py, &dst, true);
    assert_eq!(got.keys().cloned().collect::<BTreeSet<_>>(), want);
    let mut expected = BTreeMap::new();
    for r in ["campaign", "campaign-noindex", "killed"] {
        let e: J = serde_json::from_slice(
            &std::fs::read(common::fixture(r).join("expected.json")).unwrap(),
        )
        .unwrap();
        for run in e["runs"].as_array().unwrap() {
            expected.insert(run["hash"].as_str().unwrap().to_owned(), run.clone());
        }
    }
    for (h, w) in &expected {
        assert_eq!(&got[h]["params"], &w["params"], "{h} params");
        assert_eq!(&got[h]["traces"], &w["traces"], "{h} metrics");
        assert_eq!(&got[h]["end_time"], &w["end_time"], "{h} end_time");
    }
    drop(tmp);
}

// ------------------------------------------------------------------ 4./5. duplicates

#[test]
fn a_run_present_identically_in_two_sources_is_copied_once() {
    let (tmp, copy) = common::fixture_copy("campaign");
    let src = common::fixture("campaign");
    let dst = tmp.path().join("merged");
    let out = merge(&[&src, &copy], &["--dst", s(&dst)]);
    ok(&out);
    let text = common::stdout(&out);
    assert!(text.starts_with("merged 12 runs"), "{text}");
    // the second source: 12 runs, 0 copied, 12 identical
    let line = text.lines().find(|l| l.contains(s(&copy))).unwrap();
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(&cells[1..5], &["12", "0", "12", "0"], "{line}");
    assert_eq!(hashes(&dst), hashes(&src));
    assert_eq!(read_back(&dst).len(), 12);
    // the same path twice is read once
    let dst2 = tmp.path().join("merged2");
    let out = merge(&[&src, &src], &["--dst", s(&dst2)]);
    ok(&out);
    assert!(common::stderr(&out).contains("read once"));
    assert_eq!(hashes(&dst2).len(), 12);
}

/// Same hash, different contents — made by real Aim in a copy of a fixture: one run resumed
/// and given a new param (its meta chunk differs), another given a new description through a
/// read-only `Run` (only its SQLite row differs).
/// The merge fails listing both hashes and writes nothing; `--skip-duplicates` keeps the
/// first source's copies and names the others.
#[test]
#[cfg_attr(
    tcbench_skip_interop,
    ignore = "TCBENCH_SKIP_INTEROP: needs Python with real Aim (scripts/test.sh)"
)]
fn runs_with_different_contents_under_one_hash_are_an_error_unless_skip_duplicates() {
    let py = common::aim_python("TCBENCH_AIM_PYTHON");
    let (tmp, b) = common::fixture_copy("campaign");
    let a = common::fixture("campaign");
    let hs: Vec<String> = hashes(&a).into_iter().collect();
    let (h_param, h_desc) = (&hs[0], &hs[1]);
    let script = format!(
        "import aim\n\
         repo = aim.Repo({b:?})\n\
         r = aim.Run(run_hash={h_param:?}, repo=repo, system_tracking_interval=None, log_system_params=False, capture_terminal_logs=False)\n\
         r['extra_param'] = 1\n\
         r.close()\n\
         r = aim.Run(run_hash={h_desc:?}, repo=repo, read_only=True)\n\
         r.description = 'changed by a second writer'\n",
        b = s(&b)
    );
    common::run_py(&py, &["-c", &script], tmp.path());
    let dst = tmp.path().join("merged");
    let out = merge(&[&a, &b], &["--dst", s(&dst)]);
    one_error_line(&out, "2 runs present twice with different contents");
    let err = common::stderr(&out);
    assert!(
        err.contains(&format!("{h_param} (meta chunk differs")),
        "{err}"
    );
    assert!(
        err.contains(&format!("{h_desc} (description differs")),
        "{err}"
    );
    assert!(err.contains("nothing written"));
    assert!(!dst.exists());
    assert!(staging_leftovers(tmp.path()).is_empty());
    let out = merge(&[&a, &b], &["--dst", s(&dst), "--skip-duplicates"]);
    ok(&out);
    let err = common::stderr(&out);
    for h in [h_param, h_desc] {
        assert!(
            err.contains(&format!("run {h} in `{}` differs", b.display())),
            "{err}"
        );
    }
    assert_eq!(hashes(&dst).len(), 12);
    chunks_copied_byte_for_byte(&a, &dst, h_param);
    let runs = read_back(&dst);
    let d = runs.iter().find(|r| r.hash() == h_desc.as_str()).unwrap();
    assert_eq!(d.props.description, None);
    let p = runs.iter().find(|r| r.hash() == h_param.as_str()).unwrap();
    assert!(p.meta.attrs.get("extra_param").is_none());
}

// ------------------------------------------------------------------ 6. bad sources

#[test]
fn a_source_that_is_not_a_repository_is_an_error_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let not_repo = tmp.path().join("photos");
    std::fs::create_dir(&not_repo).unwrap();
    std::fs::write(not_repo.join("a.jpg"), "x").unwrap();
    let good = common::fixture("killed");
    let dst = tmp.path().join("merged");
    let out = merge(&[&good, &not_repo], &["--dst", s(&dst)]);
    one_error_line(
        &out,
        &format!("source `{}` is not an Aim repository", not_repo.display()),
    );
    assert!(!dst.exists());
    let missing = tmp.path().join("nope");
    let out = common::tcbench(&[
        "aimrepo",
        "merge",
        "--src",
        s(&good),
        "--src",
        s(&missing),
        "--dst",
        s(&dst),
    ]);
    one_error_line(
        &out,
        &format!("source `{}` does not exist", missing.display()),
    );
    assert!(!dst.exists());
    // a destination inside a source's folder is refused
    let (_t, src) = common::fixture_copy("killed");
    for inside in [src.join(".aim").join("merged"), src.join("merged")] {
        let out = merge(&[&src], &["--dst", s(&inside)]);
        one_error_line(&out, "sources are never written to");
    }
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        1,
        "something was written next to the destination"
    );
    // no --src at all: usage error
    let out = common::tcbench(&["aimrepo", "merge", "--dst", s(&dst)]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_source_run_whose_chunk_folder_is_a_symlink_loop_is_named_and_left_out() {
    let (_t, src) = common::fixture_copy("campaign");
    let all = hashes(&src);
    let mut it = all.iter();
    let (bad_meta, bad_seqs) = (it.next().unwrap().clone(), it.next().unwrap().clone());
    for (kind, h) in [("meta", &bad_meta), ("seqs", &bad_seqs)] {
        let chunk = src.join(".aim").join(kind).join("chunks").join(h);
        std::fs::remove_dir_all(&chunk).unwrap();
        std::os::unix::fs::symlink(h, &chunk).unwrap(); // points at itself
    }
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join("merged");
    let out = merge(&[&src], &["--dst", s(&dst)]);
    assert_eq!(out.status.code(), Some(3), "{}", common::stderr(&out));
    let err = common::stderr(&out);
    for (kind, h) in [("meta", &bad_meta), ("seqs", &bad_seqs)] {
        let line = err
            .lines()
            .find(|l| l.contains(&format!("run {h}")))
            .unwrap_or_else(|| panic!("run {h} not named: {err}"));
        assert!(line.starts_with("tcbench: warning: "), "{line}");
        assert!(line.contains(&format!(".aim/{kind}/chunks/{h}`")), "{line}");
        assert!(
            line.contains("symbolic link") && line.contains("left out"),
            "{line}"
        );
    }
    // every other run is merged and reads back like its source
    let mut want = all.clone();
    want.remove(&bad_meta);
    want.remove(&bad_seqs);
    assert_eq!(hashes(&dst), want);
    let back = read_back(&dst);
    assert_eq!(back.len(), want.len());
    let ls = common::tcbench(&["aimrepo", "ls", "--aim-repo", s(&dst)]);
    ok(&ls);
    assert_eq!(common::stdout(&ls).lines().count(), want.len() + 1);
    assert!(staging_leftovers(tmp.path()).is_empty());
}

// ------------------------------------------------------------------ 7. kill -9

fn every_fixture_with_runs() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = common::fixture_names()
        .iter()
        .filter(|n| n.as_str() != "empty")
        .map(|n| common::fixture(n))
        .collect();
    v.push(common::root().join("examples/campaign"));
    v
}

/// Spawns a merge, kills it with SIGKILL as soon as `appeared(dir)` holds plus `delay`, and
/// returns whether it was still running when killed.
fn spawn_and_kill(
    args: &[String],
    watch: &Path,
    appeared: impl Fn(&Path) -> bool,
    delay: std::time::Duration,
) -> bool {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tcbench"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    loop {
        if appeared(watch) {
            break;
        }
        if child.try_wait().unwrap().is_some() || t0.elapsed().as_secs() > 60 {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
    std::thread::sleep(delay);
    let killed = child.try_wait().unwrap().is_none();
    let _ = child.kill(); // SIGKILL
    let _ = child.wait();
    killed
}

/// kill -9 at some moment of a merge into a new destination leaves no destination (only a
/// hidden temporary sibling), the sources unchanged; the next merge removes that leftover
/// (its process is gone) and succeeds.
#[test]
fn a_killed_merge_leaves_no_destination_and_the_next_merge_cleans_up() {
    let sources = every_fixture_with_runs();
    let total: usize = sources.iter().map(|s| hashes(s).len()).sum();
    let before: Vec<_> = sources.iter().map(|p| common::tree_state(p)).collect();
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join("merged");
    let mut args: Vec<String> = vec!["aimrepo".into(), "merge".into()];
    for src in &sources {
        args.extend(["--src".into(), s(src).into()]);
    }
    args.extend(["--dst".into(), s(&dst).into()]);
    let mut mid_copy = 0;
    let mut killed = 0;
    for attempt in 0..40u64 {
        let delay = std::time::Duration::from_millis(attempt % 8 * 3);
        let was_running = spawn_and_kill(
            &args,
            tmp.path(),
            |d| !staging_leftovers(d).is_empty(),
            delay,
        );
        if !was_running {
            // finished before the kill: start again
            assert!(dst.exists());
            std::fs::remove_dir_all(&dst).unwrap();
            continue;
        }
        killed += 1;
        assert!(
            !dst.exists(),
            "attempt {attempt}: a destination after kill -9"
        );
        let left = staging_leftovers(tmp.path());
        assert_eq!(left.len(), 1, "{left:?}");
        let copied = std::fs::read_dir(left[0].join(".aim/meta/chunks"))
            .map(|d| d.count())
            .unwrap_or(0);
        eprintln!("attempt {attempt}: delay {delay:?}, {copied} runs copied when killed");
        if copied > 0 && copied < total {
            mid_copy += 1;
        }
        std::fs::remove_dir_all(&left[0]).unwrap();
        if killed >= 8 && mid_copy >= 2 {
            break;
        }
    }
    eprintln!("kill -9: {killed} merges killed before completion, {mid_copy} of them mid-copy");
    assert!(
        killed >= 3 && mid_copy >= 1,
        "killed {killed}, mid-copy {mid_copy}"
    );
    // leave one leftover behind on purpose: the next merge names it and removes it
    assert!(spawn_and_kill(
        &args,
        tmp.path(),
        |d| !staging_leftovers(d).is_empty(),
        std::time::Duration::ZERO
    ));
    let out = common::tcbench(&args.iter().map(String::as_str).collect::<Vec<_>>());
    ok(&out);
    assert!(
        common::stderr(&out).contains("the leftover of an interrupted merge whose process is gone"),
        "{}",
        common::stderr(&out)
    );
    assert!(staging_leftovers(tmp.path()).is_empty());
    assert_eq!(hashes(&dst).len(), total);
    for (src, b) in sources.iter().zip(before) {
        same_state(&b, &common::tree_state(src), &src.display().to_string());
    }
}

/// kill -9 during `--append`: re-running the same append completes it.
#[test]
fn a_killed_append_is_completed_by_running_it_again() {
    // (the destination's own runs are among the sources too: identical, merged once)
    let sources = every_fixture_with_runs();
    let mut done = false;
    for attempt in 0..20u64 {
        let (tmp, dst) = common::fixture_copy("campaign");
        let mut args: Vec<String> = vec!["aimrepo".into(), "merge".into(), "--append".into()];
        for src in &sources {
            args.extend(["--src".into(), s(src).into()]);
        }
        args.extend(["--dst".into(), s(&dst).into()]);
        let delay = std::time::Duration::from_millis(attempt % 6 * 4);
        if !spawn_and_kill(&args, &dst, |d| !staging_leftovers(d).is_empty(), delay) {
            continue;
        }
        let out = common::tcbench(&args.iter().map(String::as_str).collect::<Vec<_>>());
        ok(&out);
        assert!(staging_leftovers(&dst).is_empty());
        let want: BTreeSet<String> = sources.iter().flat_map(|r| hashes(r)).collect();
        assert_eq!(hashes(&dst), want);
        assert_eq!(read_back(&dst).len(), want.len());
        drop(tmp);
        done = true;
        break;
    }
    assert!(done, "never killed an append mid-way");
}

/// The states a killed `--append` can leave, made exactly (no timing): runs whose seqs chunk
/// and artifacts were renamed in but not their meta chunk, and runs placed whole whose SQLite
/// rows were never committed. Running the same append again completes it.
#[test]
fn an_interrupted_append_is_completed_from_every_state_it_can_leave() {
    let (tmp, dst) = common::fixture_copy("campaign");
    let src = common::fixture("campaign-noindex");
    ok(&merge(&[&src], &["--dst", s(&dst), "--append"]));
    let added: Vec<String> = hashes(&src).into_iter().collect();
    // (a) meta chunk not yet renamed in for two runs
    let aside = tmp.path().join("aside");
    std::fs::create_dir(&aside).unwrap();
    for h in &added[..2] {
        std::fs::rename(dst.join(".aim/meta/chunks").join(h), aside.join(h)).unwrap();
    }
    // (b) the SQLite transaction never committed
    let db = rusqlite::Connection::open(dst.join(".aim/run_metadata.sqlite")).unwrap();
    for h in &added {
        db.execute(
            "DELETE FROM run_tag WHERE run_id IN (SELECT id FROM run WHERE hash = ?1)",
            [h],
        )
        .unwrap();
        db.execute("DELETE FROM run WHERE hash = ?1", [h]).unwrap();
    }
    drop(db);
    let out = merge(&[&src], &["--dst", s(&dst), "--append"]);
    ok(&out);
    let text = common::stdout(&out);
    // the two runs without meta are copied; the ten placed ones only get their rows
    assert!(text.starts_with("merged 2 runs"), "{text}");
    let want: BTreeSet<String> = hashes(&common::fixture("campaign"))
        .union(&hashes(&src))
        .cloned()
        .collect();
    assert_eq!(hashes(&dst), want);
    assert_eq!(read_back(&dst).len(), 24);
    for h in &added {
        chunks_copied_byte_for_byte(&src, &dst, h);
    }
    assert!(staging_leftovers(&dst).is_empty());
}

// ------------------------------------------------------------------ 8. artifacts

#[test]
fn artifacts_folders_are_copied_and_a_run_without_one_is_fine() {
    let src = common::fixture("campaign-quirks");
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join("merged");
    ok(&merge(&[&src], &["--dst", s(&dst)]));
    let with: BTreeSet<String> = std::fs::read_dir(src.join("artifacts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(with.len(), 11);
    assert_eq!(
        hashes(&dst).len(),
        12,
        "the run without artifacts is merged too"
    );
    let copied: BTreeSet<String> = std::fs::read_dir(dst.join("artifacts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(copied, with);
    for h in &with {
        same_tree_contents(
            &src.join("artifacts").join(h),
            &dst.join("artifacts").join(h),
        );
    }
    // sources without any artifacts folder make no artifacts folder
    let dst2 = tmp.path().join("merged2");
    ok(&merge(
        &[&common::fixture("long-metric")],
        &["--dst", s(&dst2)],
    ));
    assert!(!dst2.join("artifacts").exists());
}

// ------------------------------------------------------------------ 9. active runs

#[test]
fn a_killed_run_is_copied_with_a_warning_and_stays_active_unless_skip_active() {
    let src = common::fixture("killed");
    let killed_hash = "04f8a3249b3c4911b1cd6566";
    assert!(src
        .join(format!(".aim/locks/{killed_hash}.softlock"))
        .exists());
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join("merged");
    let out = merge(&[&src], &["--dst", s(&dst)]);
    ok(&out);
    let err = common::stderr(&out);
    assert!(
        err.contains(&format!(
            "run {killed_hash} in `{}` is still being written or was killed",
            src.display()
        )),
        "{err}"
    );
    assert!(err.contains("crash-consistent snapshot"), "{err}");
    chunks_copied_byte_for_byte(&src, &dst, killed_hash);
    // no softlock, no progress marker copied; the run stays active (end_time None)
    assert!(!dst.join(".aim/locks").exists());
    assert!(!dst.join(".aim/meta/progress").exists());
    let runs = read_back(&dst);
    assert_eq!(runs.len(), 2);
    let k = runs.iter().find(|r| r.hash() == killed_hash).unwrap();
    assert!(k.active());
    let ls = common::tcbench(&["aimrepo", "ls", "--aim-repo", s(&dst), "--format", "csv"]);
    assert!(
        common::stdout(&ls).contains(&format!("{killed_hash},")),
        "{}",
        common::stdout(&ls)
    );
    assert!(common::stdout(&ls)
        .lines()
        .any(|l| l.starts_with(killed_hash) && l.ends_with(',')));
    // --skip-active leaves it out
    let dst2 = tmp.path().join("merged2");
    let out = merge(&[&src], &["--dst", s(&dst2), "--skip-active"]);
    ok(&out);
    assert!(common::stderr(&out).contains("left out (--skip-active)"));
    assert_eq!(hashes(&dst2).len(), 1);
    assert!(!hashes(&dst2).contains(killed_hash));
}

// ------------------------------------------------------------------ 10. dry run

#[test]
fn dry_run_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join("merged");
    let srcs = [common::fixture("campaign"), common::fixture("killed")];
    let before = common::tree_state(tmp.path());
    let out = merge(&[&srcs[0], &srcs[1]], &["--dst", s(&dst), "--dry-run"]);
    ok(&out);
    let text = common::stdout(&out);
    assert!(text.starts_with("dry run: would copy 14 runs ("), "{text}");
    assert!(text.contains("nothing written"));
    assert!(text.contains(s(&srcs[0])) && text.contains(s(&srcs[1])));
    same_state(&before, &common::tree_state(tmp.path()), "tmp");
    // into an indexed repository: the index would be removed, but is not
    let (_t, repo) = common::fixture_copy("campaign");
    let before = common::tree_state(&repo);
    let out = merge(&[&srcs[1]], &["--dst", s(&repo), "--append", "--dry-run"]);
    ok(&out);
    assert!(common::stderr(&out).contains("would be removed"));
    assert!(common::stdout(&out).contains("existing repository, 12 runs"));
    same_state(&before, &common::tree_state(&repo), "repo");
}

// ------------------------------------------------------------------ every fixture

/// Every fixture merged at once (WAL-only runs, 20 000-step metrics, blobs, archived runs,
/// unicode, an aim 3.17.4 repository, an empty one): every run reads back with the same
/// properties, params and final metric values as its source (our reader on both sides).
#[test]
fn every_fixture_merged_reads_back_like_its_source() {
    let mut sources = every_fixture_with_runs();
    sources.push(common::fixture("empty"));
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join("merged");
    let refs: Vec<&Path> = sources.iter().map(PathBuf::as_path).collect();
    let out = merge(&refs, &["--dst", s(&dst)]);
    ok(&out);
    let merged = read_back(&dst);
    let total: usize = sources.iter().map(|s| hashes(s).len()).sum();
    assert_eq!(merged.len(), total);
    let warnings = common::stderr(&out);
    let by_hash: BTreeMap<&str, &aim_store::Run> = merged.iter().map(|r| (r.hash(), r)).collect();
    let repo = aim_store::Repo::open(&dst).unwrap();
    for src in &sources {
        let src_repo = aim_store::Repo::open(src).unwrap();
        for run in src_repo.scan().unwrap().runs {
            let got = by_hash[run.hash()];
            let mut want_props = run.props.clone();
            let mut got_props = got.props.clone();
            // finalized_at is copied; names are materialised as Aim does ("Run: <hash>")
            want_props
                .name
                .get_or_insert_with(|| format!("Run: {}", run.hash()));
            got_props
                .name
                .get_or_insert_with(|| format!("Run: {}", run.hash()));
            assert_eq!(got_props, want_props, "{}", run.hash());
            // a run closed by Aim < 3.20 has its end time in the source's index only, which
            // is not copied: the copy has its chunk's (None), and the merge said so
            let mut want_meta = run.meta.clone();
            let chunk_end =
                aim_store::run::read_end_time(&src_repo.meta_chunk(run.hash()), run.hash())
                    .unwrap();
            if chunk_end.time().is_none() && run.end_time().is_some() {
                want_meta.end_time = chunk_end;
                assert!(
                    warnings.contains(&format!("run {} in", run.hash()))
                        && warnings.contains("closed by an Aim older than 3.20"),
                    "{warnings}"
                );
            }
            // compared as text: NaN params equal themselves there
            assert_eq!(
                format!("{:?}", got.meta),
                format!("{:?}", want_meta),
                "{}",
                run.hash()
            );
            let a = aim_store::Seqs::open(&src_repo.seqs_chunk(run.hash()), run.hash()).unwrap();
            let b = aim_store::Seqs::open(&repo.seqs_chunk(run.hash()), run.hash()).unwrap();
            for t in run.meta.traces.iter().filter(|t| t.is_metric()) {
                assert_eq!(
                    format!("{:?}", a.points(t).unwrap()),
                    format!("{:?}", b.points(t).unwrap()),
                    "{} {}",
                    run.hash(),
                    t.name
                );
            }
        }
    }
}

/// A killed run closed by Aim 3.17.4 has its end time in the source's `meta/index` only;
/// merge copies chunks, not the index, so the copy is active: the warning says so, with the
/// time it had and how to close the copy; `--skip-active` leaves it out. Aim 3.17.4 reads the
/// merged repository the same way (the run active).
#[test]
#[cfg_attr(
    tcbench_skip_interop,
    ignore = "TCBENCH_SKIP_INTEROP: needs Python with real Aim (scripts/test.sh)"
)]
fn a_run_closed_by_aim_3_17_is_named_as_losing_its_index_only_end_time() {
    let py317 = common::aim_python("TCBENCH_AIM317_PYTHON");
    let tmp = tempfile::tempdir().unwrap();
    let src = common::gen_campaign(
        &py317,
        tmp.path(),
        "src",
        "1/1",
        &[
            "--seeds",
            "42",
            "--dims",
            "32",
            "--augs",
            "noaug,rotate",
            "--unclosed-runs",
            "1",
        ],
    );
    let killed = std::fs::read_dir(src.join(".aim/meta/progress"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .next()
        .unwrap();
    let aim = py317.parent().unwrap().join("aim");
    common::run_py(&aim, &["runs", "--repo", ".", "close", "-y", &killed], &src);
    let end = aim_store::Repo::open(&src)
        .unwrap()
        .scan()
        .unwrap()
        .runs
        .iter()
        .find(|r| r.hash() == killed)
        .and_then(aim_store::Run::end_time)
        .expect("the end time from the index");

    let dst = tmp.path().join("dst");
    let out = merge(&[&src], &["--dst", s(&dst)]);
    ok(&out);
    let err = common::stderr(&out);
    let line = err
        .lines()
        .find(|l| l.contains(&killed))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(line.contains("closed by an Aim older than 3.20"), "{line}");
    assert!(line.contains(&format!("({end})")), "{line}");
    assert!(line.contains("shows as active"), "{line}");
    let runs = read_back(&dst);
    assert_eq!(runs.len(), 2);
    let copy = runs.iter().find(|r| r.hash() == killed).unwrap();
    assert_eq!(copy.end_time(), None);
    let sdk = common::sdk_end_times(&py317, &dst);
    assert_eq!(sdk.len(), 2, "{sdk:?}");
    assert_eq!(sdk[&killed], None, "{sdk:?}");

    let dst2 = tmp.path().join("dst2");
    let out = merge(&[&src], &["--dst", s(&dst2), "--skip-active"]);
    ok(&out);
    assert!(common::stderr(&out).contains("left out (--skip-active)"));
    assert_eq!(read_back(&dst2).len(), 1);
}

// ------------------------------------------------------------------ running and interrupted appends

/// Spawns `tcbench ARGS` and stops it (SIGSTOP) as soon as `ready()` holds; None when it
/// ended first. A stopped process is alive: its pid and start time are in `/proc`.
fn spawn_and_stop(args: &[String], ready: impl Fn() -> bool) -> Option<std::process::Child> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tcbench"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    while !ready() {
        if child.try_wait().unwrap().is_some() || t0.elapsed().as_secs() > 60 {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_micros(50));
    }
    signal(&child, "STOP");
    // the signal is delivered asynchronously: wait until the process is stopped
    let stat = format!("/proc/{}/stat", child.id());
    loop {
        if child.try_wait().unwrap().is_some() {
            return None;
        }
        let text = std::fs::read_to_string(&stat).unwrap_or_default();
        let state = text
            .rsplit_once(')')
            .and_then(|(_, r)| r.split_whitespace().next());
        if state == Some("T") {
            return Some(child);
        }
        std::thread::sleep(std::time::Duration::from_micros(100));
    }
}

fn signal(child: &std::process::Child, sig: &str) {
    let st = Command::new("kill")
        .args(["-s", sig, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
}

/// Meta chunks of `repo` without a row in its `run_metadata.sqlite`.
fn rowless(repo: &Path) -> BTreeSet<String> {
    try_rowless(repo).unwrap()
}

/// [`rowless`], or the SQLite error (a merge stopped inside its transaction holds the lock).
fn try_rowless(repo: &Path) -> rusqlite::Result<BTreeSet<String>> {
    let db = rusqlite::Connection::open_with_flags(
        repo.join(".aim/run_metadata.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    let mut st = db.prepare("SELECT hash FROM run")?;
    let rows: BTreeSet<String> = st
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(hashes(repo).difference(&rows).cloned().collect())
}

/// An append into a copy of `campaign` from every fixture, stopped once it has placed a run
/// whose SQLite row is not written yet (rows are written last). Retries until it catches
/// that moment; returns the temp folder, the destination, the arguments and the stopped
/// merge.
fn append_stopped_while_placing() -> (tempfile::TempDir, PathBuf, Vec<String>, std::process::Child)
{
    let sources = every_fixture_with_runs();
    for _ in 0..40 {
        let (tmp, dst) = common::fixture_copy("campaign");
        let mut args: Vec<String> = vec!["aimrepo".into(), "merge".into(), "--append".into()];
        for src in &sources {
            args.extend(["--src".into(), s(src).into()]);
        }
        args.extend(["--dst".into(), s(&dst).into()]);
        let before = hashes(&dst).len();
        let Some(mut child) = spawn_and_stop(&args, || hashes(&dst).len() > before) else {
            continue;
        };
        // placing (not inside the SQLite transaction, which rows are written in last)
        let journal = dst.join(".aim/run_metadata.sqlite-journal").exists();
        if !journal
            && !staging_leftovers(&dst).is_empty()
            && try_rowless(&dst).is_ok_and(|r| !r.is_empty())
        {
            return (tmp, dst, args, child);
        }
        signal(&child, "CONT");
        let _ = child.wait();
    }
    panic!("never stopped an append while it placed runs");
}

fn findings(rep: &J) -> &Vec<J> {
    rep["findings"].as_array().unwrap()
}

fn doctor_json(repo: &Path) -> (Option<i32>, J) {
    let out = common::tcbench(&[
        "aimrepo",
        "doctor",
        "--aim-repo",
        s(repo),
        "--format",
        "json",
    ]);
    (
        out.status.code(),
        serde_json::from_slice(&out.stdout).unwrap(),
    )
}

/// No fix that removes runs is offered for runs a merge placed.
fn no_removal_of(rep: &J, placed: &BTreeSet<String>) {
    for f in findings(rep) {
        assert_ne!(f["kind"], "missing-sqlite-row", "{f}");
        let fix = f["fix"].as_str().unwrap_or_default();
        if fix.contains(" rm ") {
            for h in placed {
                assert!(!fix.contains(h.as_str()), "{f}");
            }
        }
    }
}

/// While an append places runs (chunks renamed in, rows written last), readers say a merge
/// is in progress instead of warning about runs without row, doctor notes it instead of
/// advising `aim runs rm`, and a second merge into the same repository is refused up front
/// naming the first one, leaving nothing staged. Once it continues, it finishes.
#[test]
fn a_running_append_is_in_progress_for_readers_and_doctor_and_a_second_merge_is_refused() {
    let (_tmp, dst, args, mut child) = append_stopped_while_placing();
    let pid = child.id();
    let placed = rowless(&dst);
    let staged = staging_leftovers(&dst);
    assert_eq!(staged.len(), 1, "{staged:?}");

    let ls = common::tcbench(&["aimrepo", "ls", "--aim-repo", s(&dst)]);
    let err = common::stderr(&ls);
    assert_eq!(ls.status.code(), Some(0), "{err}");
    assert!(!err.contains("has no row"), "{err}");
    assert!(
        err.contains(&format!(
            "a merge into this repository is in progress (process {pid}, staging folder `{}`)",
            staged[0].display()
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("{} runs it is placing", placed.len())) || placed.len() == 1,
        "{err}"
    );

    let (_, rep) = doctor_json(&dst);
    no_removal_of(&rep, &placed);
    let note = findings(&rep)
        .iter()
        .find(|f| f["kind"] == "merge-in-progress")
        .unwrap_or_else(|| panic!("{rep}"));
    assert_eq!(note["severity"], "note");
    assert!(note["fix"].is_null());
    let runs: BTreeSet<String> = note["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(runs, placed);

    // a second merge into it: refused before anything is staged
    let second = common::tcbench(&args.iter().map(String::as_str).collect::<Vec<_>>());
    one_error_line(
        &second,
        &format!(
            "another merge into `{}` is in progress (process {pid}, staging folder `{}`)",
            dst.display(),
            staged[0].display()
        ),
    );
    assert_eq!(staging_leftovers(&dst), staged);

    signal(&child, "CONT");
    assert!(child.wait().unwrap().success());
    assert!(staging_leftovers(&dst).is_empty());
    let ls = common::tcbench(&["aimrepo", "ls", "--aim-repo", s(&dst)]);
    assert_eq!(ls.status.code(), Some(0), "{}", common::stderr(&ls));
    assert!(
        !common::stderr(&ls).contains("merge"),
        "{}",
        common::stderr(&ls)
    );
    assert!(rowless(&dst).is_empty());
}

/// kill -9 of an append while it places runs: readers name the interrupted merge (what it
/// left, that running it again finishes it) and exit 3 without a warning per run; doctor
/// reports one `interrupted-merge` problem whose fix is that merge again — never
/// `aim runs rm` — and running that printed fix makes the repository whole.
#[test]
fn a_killed_append_is_named_by_readers_and_doctor_whose_fix_finishes_it() {
    let (_tmp, dst, _args, mut child) = append_stopped_while_placing();
    let pid = child.id();
    child.kill().unwrap();
    child.wait().unwrap();
    let placed = rowless(&dst);
    let staged = staging_leftovers(&dst);
    assert_eq!(staged.len(), 1);

    let ls = common::tcbench(&["aimrepo", "ls", "--aim-repo", s(&dst)]);
    let err = common::stderr(&ls);
    assert_eq!(ls.status.code(), Some(3), "{err}");
    assert!(!err.contains("has no row"), "{err}");
    let line = err
        .lines()
        .find(|l| l.contains("was interrupted"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        line.contains(&format!(
            "process {pid}, staging folder `{}`",
            staged[0].display()
        )),
        "{line}"
    );
    assert!(line.contains("running the same merge again"), "{line}");

    let (code, rep) = doctor_json(&dst);
    assert_eq!(code, Some(3));
    no_removal_of(&rep, &placed);
    let problem = findings(&rep)
        .iter()
        .find(|f| f["kind"] == "interrupted-merge")
        .unwrap_or_else(|| panic!("{rep}"));
    assert_eq!(problem["severity"], "problem");
    assert_eq!(problem["path"], s(&staged[0]));
    assert_eq!(problem["runs"].as_array().unwrap().len(), placed.len());
    let fix = problem["fix"].as_str().unwrap();
    assert!(
        fix.starts_with("tcbench aimrepo merge --append --src "),
        "{fix}"
    );
    // the printed fix, run as printed (no path here needs quoting)
    let words: Vec<&str> = fix.split(' ').collect();
    let out = common::tcbench(&words[1..]);
    ok(&out);
    assert!(staging_leftovers(&dst).is_empty());
    assert!(rowless(&dst).is_empty());
    let (_, rep) = doctor_json(&dst);
    assert!(
        findings(&rep)
            .iter()
            .all(|f| f["kind"] != "interrupted-merge"),
        "{rep}"
    );
    let want: BTreeSet<String> = every_fixture_with_runs()
        .iter()
        .flat_map(|r| hashes(r))
        .collect();
    assert_eq!(hashes(&dst), want);
    assert_eq!(read_back(&dst).len(), want.len());
}

/// Two appends into one repository started at once: each either merges or is refused with
/// one line naming the other merge; nothing is left staged and the repository holds every
/// run, readable.
#[test]
fn two_appends_at_once_merge_or_refuse_cleanly() {
    let sources = every_fixture_with_runs();
    let want: BTreeSet<String> = sources.iter().flat_map(|r| hashes(r)).collect();
    for _ in 0..4 {
        let (_tmp, dst) = common::fixture_copy("campaign");
        let mut args: Vec<String> = vec!["aimrepo".into(), "merge".into(), "--append".into()];
        for src in &sources {
            args.extend(["--src".into(), s(src).into()]);
        }
        args.extend(["--dst".into(), s(&dst).into()]);
        let spawn = || {
            Command::new(env!("CARGO_BIN_EXE_tcbench"))
                .args(&args)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn(), spawn());
        let outs = [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()];
        for out in &outs {
            if out.status.code() != Some(0) {
                // `(process N…` when the other's pid is read from /proc/locks in time, else
                // `(a process that holds its lock…`: the holder can let go in between
                one_error_line(
                    out,
                    &format!("another merge into `{}` is in progress (", dst.display()),
                );
            }
        }
        assert!(outs.iter().any(|o| o.status.success()));
        assert!(staging_leftovers(&dst).is_empty());
        assert_eq!(hashes(&dst), want);
        assert_eq!(read_back(&dst).len(), want.len());
    }
}
