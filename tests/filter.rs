//! `--filter EXPR` and several repositories read as one (`--aim-repo` repeated, or a folder of
//! repositories): the runs a filter keeps are the runs Aim's own query keeps; `report
//! --filter` equals `report` on a repository holding only those runs, and `report` over two
//! halves of a campaign equals `report` on the merged repository (both repositories written
//! by real Aim during the test); parse errors, the archived-runs rule, duplicate hashes,
//! folders of repositories and `merge --filter` on the fixtures.
//!
//! The interoperability tests need `TCBENCH_AIM_PYTHON` (aim 3.29.1; `scripts/test.sh` sets
//! it): without it they fail under CI and are skipped (with a message) elsewhere.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use serde_json::Value as J;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn no_panic(out: &Output) {
    let err = common::stderr(out);
    assert!(!err.contains("panicked"), "panic: {err}");
}

fn code(out: &Output, want: i32) {
    no_panic(out);
    assert_eq!(
        out.status.code(),
        Some(want),
        "stdout:\n{}\nstderr:\n{}",
        common::stdout(out),
        common::stderr(out)
    );
}

fn one_error_line(out: &Output, needle: &str) {
    code(out, 1);
    let err = common::stderr(out);
    assert_eq!(err.lines().count(), 1, "not one line: {err}");
    assert!(err.starts_with("tcbench: error: "), "{err}");
    assert!(err.contains(needle), "{err:?} lacks {needle:?}");
    assert!(out.stdout.is_empty(), "output on error");
}

/// `ls --format json` of `args`: the hashes listed (exit code checked).
fn ls_hashes(args: &[&str], want_code: i32) -> (BTreeSet<String>, String) {
    let mut argv = vec!["aimrepo", "ls", "--format", "json"];
    argv.extend(args);
    let out = common::tcbench(&argv);
    code(&out, want_code);
    let rows: J = serde_json::from_slice(&out.stdout).unwrap();
    let hashes = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["hash"].as_str().unwrap().to_owned())
        .collect();
    (hashes, common::stderr(&out))
}

/// The runs of a fixture as real Aim read them (its `expected.json`).
fn expected_runs(name: &str) -> Vec<J> {
    let text = std::fs::read_to_string(common::fixture(name).join("expected.json")).unwrap();
    let v: J = serde_json::from_str(&text).unwrap();
    v["runs"].as_array().unwrap().clone()
}

/// Hashes of the fixture's runs (as Aim read them) for which `pick` holds.
fn expected_hashes(name: &str, pick: impl Fn(&J) -> bool) -> BTreeSet<String> {
    expected_runs(name)
        .iter()
        .filter(|r| pick(r))
        .map(|r| r["hash"].as_str().unwrap().to_owned())
        .collect()
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

/// What Aim's `Repo.query_runs(q)` selects in `repo`, for each query (interop/aim_query.py).
fn aim_query(py: &Path, repo: &Path, queries: &[&str]) -> Vec<BTreeSet<String>> {
    let script = common::root().join("testdata/interop/aim_query.py");
    let mut args = vec![s(&script), s(repo)];
    args.extend(queries);
    let out = common::run_py(py, &args, &common::root());
    let v: J = serde_json::from_slice(&out.stdout).unwrap();
    queries
        .iter()
        .map(|q| {
            v[*q]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h.as_str().unwrap().to_owned())
                .collect()
        })
        .collect()
}

/// Sets a run's name in a repository's SQLite (to make two copies of a run differ).
fn rename_run(repo: &Path, hash: &str, name: &str) {
    let db = rusqlite::Connection::open(repo.join(".aim/run_metadata.sqlite")).unwrap();
    let n = db
        .execute("UPDATE run SET name = ?1 WHERE hash = ?2", [name, hash])
        .unwrap();
    assert_eq!(n, 1);
}

// ------------------------------------------------------------------ same runs as Aim's query

/// For every expression below (Aim's syntax), `--filter` keeps exactly the runs real Aim
/// 3.29.1's `query_runs` keeps — archived runs included only when the expression names
/// `run.archived`, as Aim does.
#[test]
#[cfg_attr(
    tcbench_skip_interop,
    ignore = "TCBENCH_SKIP_INTEROP: needs Python with real Aim (scripts/test.sh)"
)]
fn filter_keeps_the_runs_aims_own_query_keeps() {
    let py = common::aim_python("TCBENCH_AIM_PYTHON");
    // the expressions, shared with python/tests (tcbench_rs's filter= against the same query)
    let text = std::fs::read_to_string(common::root().join("testdata/interop/filter_queries.json"))
        .unwrap();
    let cases: serde_json::Map<String, J> = serde_json::from_str(&text).unwrap();
    assert_eq!(cases.len(), 2, "{text}");
    for (fixture, queries) in &cases {
        let queries: Vec<&str> = queries
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q.as_str().unwrap())
            .collect();
        let repo = common::fixture(fixture);
        let want = aim_query(&py, &repo, &queries);
        for (q, w) in queries.iter().zip(want) {
            let (got, _) = ls_hashes(&["--aim-repo", s(&repo), "--filter", q], 0);
            assert_eq!(got, w, "{fixture}: --filter {q:?}");
        }
    }
    // the one documented difference: a missing nested param is None here (`== None` holds),
    // while Aim's query makes it an undefined value that equals nothing
    let repo = common::fixture("edge-params");
    let q = "run.hparams.none == None";
    let aim = aim_query(&py, &repo, &[q]).remove(0);
    let (ours, _) = ls_hashes(&["--aim-repo", s(&repo), "--filter", q], 0);
    let lacking = expected_hashes("edge-params", |j| {
        j["archived"] == false && j["params"]["hparams"].get("none").is_none()
    });
    assert_eq!(aim.len(), 1);
    assert_eq!(lacking.len(), 2);
    assert_eq!(ours, aim.union(&lacking).cloned().collect());
}

// ------------------------------------------------------------------ report on a subset

/// The outputs of one `report` invocation: stdout with the `saving:` paths made relative to
/// the output folder, and every file written under it (path relative to it, bytes).
fn report_outputs(
    repos: &[&Path],
    extra: &[&str],
    out_dir: &Path,
) -> (String, Vec<(String, Vec<u8>)>) {
    let mut argv = vec!["aimrepo", "report"];
    for r in repos {
        argv.extend(["--aim-repo", s(r)]);
    }
    argv.extend(["--output-folder", s(out_dir)]);
    argv.extend(extra);
    let out = common::tcbench(&argv);
    code(&out, 0);
    let text = common::stdout(&out).replace(s(out_dir), "<out>");
    let mut files = Vec::new();
    let mut stack = vec![out_dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                stack.push(e.unwrap().path());
            }
        } else {
            let rel = p.strip_prefix(out_dir).unwrap().display().to_string();
            files.push((rel, std::fs::read(&p).unwrap()));
        }
    }
    files.sort();
    (text, files)
}

/// Asserts that `report` (table, CSV, JSON and Markdown on stdout, and the CSV/Parquet files)
/// is the same over `a` with `a_extra` as over `b`; `ls` and `properties` too.
fn same_outputs(a: &[&Path], a_extra: &[&str], b: &[&Path], tmp: &Path, tag: &str) {
    for (i, fmt) in ["table", "csv", "json", "markdown"].iter().enumerate() {
        let mut ea = a_extra.to_vec();
        ea.extend(["--format", fmt, "--metrics", "acc,f1"]);
        let oa = tmp.join(format!("{tag}-a{i}"));
        let ob = tmp.join(format!("{tag}-b{i}"));
        let (ta, fa) = report_outputs(a, &ea, &oa);
        let (tb, fb) = report_outputs(b, &["--format", fmt, "--metrics", "acc,f1"], &ob);
        assert!(ta.contains("1684447037"), "{tag} {fmt}: {ta}");
        assert_eq!(ta, tb, "{tag}: report --format {fmt}");
        let names = |f: &[(String, Vec<u8>)]| f.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
        assert_eq!(names(&fa), names(&fb), "{tag}: report files");
        assert!(fa.iter().any(|f| f.0.ends_with(".csv")));
        assert!(fa.iter().any(|f| f.0.ends_with(".parquet")));
        for (x, y) in fa.iter().zip(&fb) {
            assert!(x.1 == y.1, "{tag}: {} differs", x.0);
        }
    }
    for cmd in [
        &["ls"][..],
        &["ls", "--format", "json"],
        &["properties"],
        &["properties", "--format", "json"],
    ] {
        let run = |repos: &[&Path], extra: &[&str]| {
            let mut argv = vec!["aimrepo"];
            argv.extend(cmd);
            for r in repos {
                argv.extend(["--aim-repo", s(r)]);
            }
            argv.extend(extra);
            let out = common::tcbench(&argv);
            code(&out, 0);
            common::stdout(&out)
        };
        assert_eq!(run(a, a_extra), run(b, &[]), "{tag}: {cmd:?}");
    }
}

/// `report --filter 'hparams.flowpic_dim == 32'` on a campaign written by real Aim equals
/// `report` on a repository holding only those runs, made by real Aim (`aim runs cp` of the
/// runs Aim's own query selects into a fresh `aim init` repository: same data, same times).
#[test]
#[cfg_attr(
    tcbench_skip_interop,
    ignore = "TCBENCH_SKIP_INTEROP: needs Python with real Aim (scripts/test.sh)"
)]
fn report_with_a_filter_equals_report_on_a_repository_holding_only_those_runs() {
    let py = common::aim_python("TCBENCH_AIM_PYTHON");
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let whole = common::gen_campaign(&py, t, "whole", "1/1", &["--no-reindex"]);
    let picked = aim_query(&py, &whole, &["run.hparams.flowpic_dim == 32"]).remove(0);
    assert_eq!(picked.len(), 6);
    let sub = t.join("sub");
    std::fs::create_dir(&sub).unwrap();
    let aim = py.parent().unwrap().join("aim");
    let aim = aim.to_str().unwrap();
    common::run_py(Path::new(aim), &["init", "--repo", s(&sub)], t);
    let mut cp = vec!["runs", "--repo", s(&whole), "cp", "--destination", s(&sub)];
    cp.extend(picked.iter().map(String::as_str));
    common::run_py(Path::new(aim), &cp, t);
    assert_eq!(hashes(&sub), picked);
    same_outputs(
        &[&whole],
        &["--filter", "hparams.flowpic_dim == 32"],
        &[&sub],
        t,
        "filter",
    );
    // Aim's spelling selects the same
    same_outputs(
        &[&whole],
        &[
            "--filter",
            "run.hparams.flowpic_dim in [32] and not run.archived",
        ],
        &[&sub],
        t,
        "filter-aim",
    );
}

/// `report` over two halves of a campaign written by real Aim, given as two `--aim-repo` (or
/// as the folder holding both), equals `report` on the repository real Aim merged them into
/// (`aim runs cp` of each half into a fresh `aim init` repository).
#[test]
#[cfg_attr(
    tcbench_skip_interop,
    ignore = "TCBENCH_SKIP_INTEROP: needs Python with real Aim (scripts/test.sh)"
)]
fn report_over_two_halves_equals_report_on_the_merged_repository() {
    let py = common::aim_python("TCBENCH_AIM_PYTHON");
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let parts = t.join("parts");
    std::fs::create_dir(&parts).unwrap();
    let a = common::gen_campaign(&py, &parts, "half1", "1/2", &[]);
    let b = common::gen_campaign(&py, &parts, "half2", "2/2", &["--no-reindex"]);
    assert_eq!(hashes(&a).len(), 6);
    assert_eq!(hashes(&b).len(), 6);
    let merged = t.join("merged");
    std::fs::create_dir(&merged).unwrap();
    let aim = py.parent().unwrap().join("aim");
    let aim = Path::new(aim.to_str().unwrap());
    common::run_py(aim, &["init", "--repo", s(&merged)], t);
    for half in [&a, &b] {
        let mut cp = vec!["runs", "--repo", s(half), "cp", "--destination", s(&merged)];
        let hs = hashes(half);
        cp.extend(hs.iter().map(String::as_str));
        common::run_py(aim, &cp, t);
    }
    assert_eq!(hashes(&merged).len(), 12);
    same_outputs(&[&a, &b], &[], &[&merged], t, "halves");
    same_outputs(&[&parts], &[], &[&merged], t, "folder");
    // and with a filter across both
    let out_a = t.join("fa");
    let out_b = t.join("fb");
    let (ta, _) = report_outputs(&[&a, &b], &["--filter", "hparams.seed == 42"], &out_a);
    let (tb, _) = report_outputs(&[&merged], &["--filter", "hparams.seed == 42"], &out_b);
    assert!(ta.contains("runs: 6"), "{ta}");
    assert_eq!(ta, tb);
}

// ------------------------------------------------------------------ fixtures, no Python

#[test]
fn a_parse_error_is_one_line_with_the_column_and_a_caret_and_nothing_else_happens() {
    let repo = common::fixture("campaign");
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join("merged");
    let cases: [(&str, &str, usize); 5] = [
        (
            "hparams.flowpic_dim = 32",
            "`=` is not a comparison; use `==`",
            21,
        ),
        (
            "hparams.seed == 42 and",
            "expected a value, found the end of the expression",
            23,
        ),
        (
            "(hparams.seed == 42",
            "expected `)`, found the end of the expression",
            20,
        ),
        (
            "hparams.aug_name in ['noaug' 'rotate']",
            "expected `,` or `]`, found a string",
            30,
        ),
        ("archived && seed", "`&` is not an operator; use `and`", 10),
    ];
    for (expr, msg, col) in cases {
        for cmd in [
            vec!["aimrepo", "ls", "--aim-repo", s(&repo)],
            vec!["aimrepo", "properties", "--aim-repo", s(&repo)],
            vec![
                "aimrepo",
                "report",
                "--aim-repo",
                s(&repo),
                "--output-folder",
                s(tmp.path()),
            ],
            vec!["aimrepo", "merge", "--src", s(&repo), "--dst", s(&dst)],
        ] {
            let mut argv = cmd.clone();
            argv.extend(["--filter", expr]);
            let out = common::tcbench(&argv);
            code(&out, 1);
            assert!(out.stdout.is_empty(), "{argv:?}: output on error");
            let err = common::stderr(&out);
            let lines: Vec<&str> = err.lines().collect();
            assert_eq!(
                lines,
                vec![
                    format!("tcbench: error: --filter: {msg} at column {col}").as_str(),
                    format!("  {expr}").as_str(),
                    format!("  {}^", " ".repeat(col - 1)).as_str(),
                ],
                "{argv:?}"
            );
        }
    }
    // nothing written: no report files, no merge destination
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

/// Deeply nested input is a parse error naming the column where the nesting goes past the
/// limit (100 levels of `(`, `[` or `not`), exit 1 — not a stack overflow (SIGABRT); a long
/// flat chain of `and`/`or` is no nesting and works.
#[test]
fn deeply_nested_filters_are_a_parse_error_not_a_stack_overflow() {
    let repo = common::fixture("campaign");
    let parens = format!("{}hparams.seed == 42{}", "(".repeat(8000), ")".repeat(8000));
    let brackets = format!("hparams.seed in {}", "[".repeat(10_000));
    let nots = format!("{}archived", "not ".repeat(30_000));
    let cases: [(&str, usize); 3] = [(&parens, 101), (&brackets, 117), (&nots, 401)];
    for (expr, col) in cases {
        let out = common::tcbench(&["aimrepo", "ls", "--aim-repo", s(&repo), "--filter", expr]);
        code(&out, 1);
        assert!(out.stdout.is_empty(), "output on error");
        let err = common::stderr(&out);
        let first = err.lines().next().unwrap_or_default();
        assert_eq!(
            first,
            format!(
                "tcbench: error: --filter: nested deeper than 100 levels of `(`, `[` or `not` at column {col}"
            ),
            "{}",
            &expr[..40]
        );
    }
    // 100 levels are fine
    let ok = format!("{}hparams.seed == 42{}", "(".repeat(100), ")".repeat(100));
    let out = common::tcbench(&["aimrepo", "ls", "--aim-repo", s(&repo), "--filter", &ok]);
    code(&out, 0);
    // a flat chain of 26,000 `or` is not nesting: parsed, evaluated and dropped without
    // recursing once per operand
    let chain = format!("{}archived", "x or ".repeat(26_000));
    let out = common::tcbench(&["aimrepo", "ls", "--aim-repo", s(&repo), "--filter", &chain]);
    code(&out, 0);
}

/// Archived runs stay hidden under a filter that does not name `archived` (with the usual
/// note), `--archived` shows them, and a filter naming `archived` decides alone — as Aim's
/// query (`run.archived == False` is added unless the query names `run.archived`).
#[test]
fn archived_runs_follow_the_filter_when_it_names_them_and_stay_hidden_otherwise() {
    let repo = common::fixture("campaign-quirks");
    let r = s(&repo);
    let seed42 = |j: &J| j["params"]["hparams"]["seed"] == 42;
    let archived = |j: &J| j["archived"] == true;
    let (got, err) = ls_hashes(&["--aim-repo", r, "--filter", "hparams.seed == 42"], 0);
    assert_eq!(
        got,
        expected_hashes("campaign-quirks", |j| seed42(j) && !archived(j))
    );
    assert!(err.contains("--filter: 6 of 12 runs match"), "{err}");
    assert!(
        err.contains("1 archived run not shown; --archived includes it"),
        "{err}"
    );
    let (got, _) = ls_hashes(
        &[
            "--aim-repo",
            r,
            "--archived",
            "--filter",
            "hparams.seed == 42",
        ],
        0,
    );
    assert_eq!(got, expected_hashes("campaign-quirks", seed42));
    for f in [
        "archived",
        "run.archived == True",
        "archived and hparams.seed == 42",
    ] {
        let (got, err) = ls_hashes(&["--aim-repo", r, "--filter", f], 0);
        assert_eq!(got, expected_hashes("campaign-quirks", archived), "{f}");
        assert_eq!(got.len(), 1);
        assert!(!err.contains("not shown"), "{err}");
    }
    let (got, err) = ls_hashes(
        &[
            "--aim-repo",
            r,
            "--filter",
            "not archived or hparams.seed == 42",
        ],
        0,
    );
    assert_eq!(got.len(), 12);
    assert!(!err.contains("not shown"), "{err}");
    // a filter naming `archived` that rejects them wins over --archived
    let (got, _) = ls_hashes(
        &[
            "--aim-repo",
            r,
            "--archived",
            "--filter",
            "not run.archived",
        ],
        0,
    );
    assert_eq!(got, expected_hashes("campaign-quirks", |j| !archived(j)));
}

/// Params read by a filter are read even by `ls` (which otherwise reads only end times); a
/// param in no run is warned about as a likely typo, and a filter matching nothing is fine.
#[test]
fn ls_filters_on_params_and_a_param_in_no_run_is_named() {
    let repo = common::fixture("campaign");
    let (got, _) = ls_hashes(
        &[
            "--aim-repo",
            s(&repo),
            "--filter",
            "hparams.flowpic_dim == 64 and hparams.aug_name != 'rotate'",
        ],
        0,
    );
    let want = expected_hashes("campaign", |j| {
        j["params"]["hparams"]["flowpic_dim"] == 64
            && j["params"]["hparams"]["aug_name"] != "rotate"
    });
    assert_eq!(want.len(), 4);
    assert_eq!(got, want);
    let (got, err) = ls_hashes(
        &[
            "--aim-repo",
            s(&repo),
            "--filter",
            "hparams.flowpic_dimm == 64",
        ],
        0,
    );
    assert!(got.is_empty());
    assert!(
        err.contains("tcbench: warning: --filter: no run has a param `hparams.flowpic_dimm`"),
        "{err}"
    );
    assert!(err.contains("--filter: 0 of 12 runs match"), "{err}");
    // end_time alone: the killed run of `killed`
    let (got, _) = ls_hashes(
        &[
            "--aim-repo",
            s(&common::fixture("killed")),
            "--filter",
            "active",
        ],
        0,
    );
    assert_eq!(got, expected_hashes("killed", |j| j["end_time"].is_null()));
    assert_eq!(got.len(), 1);
}

/// Several `--aim-repo` read as one: the union of their runs; the same repository given
/// twice is read once; a run hash in two repositories is named with both paths and counted
/// once — the first repository's copy; differing copies make the exit code 3.
#[test]
fn several_repositories_read_as_one_and_a_hash_in_two_is_reported() {
    let campaign = common::fixture("campaign");
    let killed = common::fixture("killed");
    let (got, err) = ls_hashes(&["--aim-repo", s(&campaign), "--aim-repo", s(&killed)], 0);
    let want: BTreeSet<String> = hashes(&campaign).union(&hashes(&killed)).cloned().collect();
    assert_eq!(got, want);
    assert_eq!(got.len(), 14);
    assert!(err.is_empty(), "{err}");
    // ls lists the union newest first, as one repository would
    let out = common::tcbench(&[
        "aimrepo",
        "ls",
        "--format",
        "csv",
        "--aim-repo",
        s(&campaign),
        "--aim-repo",
        s(&killed),
    ]);
    let times: Vec<f64> = common::stdout(&out)
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    // the same repository twice (root and `.aim`)
    let dot_aim = campaign.join(".aim");
    let (got, err) = ls_hashes(&["--aim-repo", s(&campaign), "--aim-repo", s(&dot_aim)], 0);
    assert_eq!(got, hashes(&campaign));
    assert!(
        err.contains(&format!(
            "`{}` is the same repository as `{}`; read once",
            dot_aim.display(),
            campaign.display()
        )),
        "{err}"
    );
    // an identical copy: every run named once, counted once, exit 0
    let (_tmp, copy) = common::fixture_copy("campaign");
    let out = common::tcbench(&[
        "aimrepo",
        "properties",
        "--format",
        "json",
        "--aim-repo",
        s(&campaign),
        "--aim-repo",
        s(&copy),
    ]);
    code(&out, 0);
    let p: J = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(p["runs"], 12);
    let err = common::stderr(&out);
    for h in hashes(&campaign) {
        assert!(
            err.contains(&format!(
                "run {h} is in both `{}` and `{}` with the same metadata; counted once",
                campaign.display(),
                copy.display()
            )),
            "{h}: {err}"
        );
    }
    assert_eq!(err.lines().count(), 12, "{err}");
    // a copy whose run differs: named, the first repository's copy used, exit 3
    let h = hashes(&campaign).into_iter().next().unwrap();
    rename_run(&copy, &h, "renamed");
    let (got, err) = ls_hashes(&["--aim-repo", s(&copy), "--aim-repo", s(&campaign)], 3);
    assert_eq!(got.len(), 12);
    assert!(
        err.contains(&format!(
            "run {h} is in both `{}` and `{}` with different metadata; the copy in `{}` (given first) is used",
            copy.display(),
            campaign.display(),
            copy.display()
        )),
        "{err}"
    );
    let out = common::tcbench(&[
        "aimrepo",
        "ls",
        "--aim-repo",
        s(&copy),
        "--aim-repo",
        s(&campaign),
        "--filter",
        "name == 'renamed'",
    ]);
    code(&out, 3);
    assert!(common::stdout(&out).contains(&h));
}

/// A folder that is not a repository but holds repositories is read as all of them
/// (immediate subfolders only; other files and folders ignored); a folder holding none is a
/// one-line error.
#[test]
fn a_folder_of_repositories_is_read_as_one() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    common::copy_tree(&common::fixture("campaign"), &t.join("a-campaign"));
    common::copy_tree(&common::fixture("killed"), &t.join("b-killed"));
    std::fs::create_dir(t.join("notes")).unwrap();
    std::fs::write(t.join("notes/readme.txt"), "x").unwrap();
    std::fs::write(t.join("list.txt"), "x").unwrap();
    // a repository two levels down is not read (`notes` is no repository)
    common::copy_tree(&common::fixture("edge-params"), &t.join("notes/deeper"));
    let state = || {
        [
            common::tree_state(&t.join("a-campaign")),
            common::tree_state(&t.join("b-killed")),
        ]
    };
    let before = state();
    let (got, err) = ls_hashes(&["--aim-repo", s(t)], 0);
    let want: BTreeSet<String> = hashes(&common::fixture("campaign"))
        .union(&hashes(&common::fixture("killed")))
        .cloned()
        .collect();
    assert_eq!(got, want);
    assert!(err.is_empty(), "{err}");
    // report: the files go where --aim-repo points when it is given once
    let out = common::tcbench(&["aimrepo", "report", "--aim-repo", s(t), "--format", "json"]);
    code(&out, 0);
    assert!(t
        .join("campaign_summary/1684447037/summary_flowpic_dim_32.csv")
        .is_file());
    assert!(before == state(), "a source changed");
    // `notes` holds a repository (`deeper`): read as a folder of repositories
    let (got, _) = ls_hashes(&["--aim-repo", s(&t.join("notes")), "--archived"], 0);
    assert_eq!(got, hashes(&common::fixture("edge-params")));
    // nothing inside: an error naming the folder
    let empty = t.join("plain");
    std::fs::create_dir(&empty).unwrap();
    std::fs::write(empty.join("readme.txt"), "x").unwrap();
    let out = common::tcbench(&["aimrepo", "ls", "--aim-repo", s(&empty)]);
    one_error_line(
        &out,
        &format!("`{}` is not an Aim repository (no `.aim` folder with `run_metadata.sqlite`) and none of its subfolders is one", empty.display()),
    );
}

/// With several `--aim-repo`, `report` has no natural place for its files: `--output-folder`
/// is required, and nothing is written without it.
#[test]
fn report_over_several_repositories_needs_an_output_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    common::copy_tree(&common::fixture("campaign"), &a);
    common::copy_tree(&common::fixture("campaign-noindex"), &b);
    let before = common::tree_state(tmp.path());
    let out = common::tcbench(&[
        "aimrepo",
        "report",
        "--aim-repo",
        s(&a),
        "--aim-repo",
        s(&b),
    ]);
    one_error_line(&out, "several --aim-repo given: choose where the report files (`campaign_summary/`) go with --output-folder");
    assert_eq!(before, common::tree_state(tmp.path()));
    let o = tmp.path().join("out");
    let out = common::tcbench(&[
        "aimrepo",
        "report",
        "--aim-repo",
        s(&a),
        "--aim-repo",
        s(&b),
        "--output-folder",
        s(&o),
    ]);
    code(&out, 0);
    assert!(common::stdout(&out).contains("runs: 24"));
    assert!(o.join("campaign_summary/1684447037").is_dir());
}

/// `merge --filter` copies only the matching runs (archived ones too unless the filter leaves
/// them out); a run left out by the filter is neither copied nor compared, so a differing
/// copy of it in the destination is no conflict.
#[test]
fn merge_with_a_filter_copies_only_the_matching_runs() {
    let quirks = common::fixture("campaign-quirks");
    let campaign = common::fixture("campaign");
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join("merged");
    let before = [common::tree_state(&quirks), common::tree_state(&campaign)];
    let out = common::tcbench(&[
        "aimrepo",
        "merge",
        "--src",
        s(&quirks),
        "--src",
        s(&campaign),
        "--dst",
        s(&dst),
        "--filter",
        "hparams.flowpic_dim == 64 and not active",
    ]);
    code(&out, 0);
    let dim64 = |j: &J| j["params"]["hparams"]["flowpic_dim"] == 64 && !j["end_time"].is_null();
    let want: BTreeSet<String> = expected_hashes("campaign-quirks", dim64)
        .union(&expected_hashes("campaign", dim64))
        .cloned()
        .collect();
    assert_eq!(want.len(), 12);
    assert_eq!(hashes(&dst), want);
    // the archived run (dim 64) was copied
    assert!(want
        .iter()
        .any(|h| expected_hashes("campaign-quirks", |j| j["archived"] == true).contains(h)));
    let err = common::stderr(&out);
    assert!(
        err.contains(&format!(
            "--filter: 6 of 12 runs of `{}` match",
            quirks.display()
        )),
        "{err}"
    );
    assert!(common::stdout(&out).starts_with("merged 12 runs ("));
    assert_eq!(
        before,
        [common::tree_state(&quirks), common::tree_state(&campaign)]
    );
    // what we read back is what was selected, archived flag included
    let (got, _) = ls_hashes(&["--aim-repo", s(&dst), "--archived"], 0);
    assert_eq!(got, want);

    // a refused merge is still one error line, filter or not
    let out = common::tcbench(&[
        "aimrepo",
        "merge",
        "--src",
        s(&campaign),
        "--dst",
        s(&dst),
        "--filter",
        "hparams.seed == 42",
    ]);
    one_error_line(&out, "exists and is not empty");

    // a destination holding a differing copy of one run
    let (_t2, dst2) = common::fixture_copy("campaign");
    let h = hashes(&campaign).into_iter().next().unwrap();
    rename_run(&dst2, &h, "changed in the destination");
    let out = common::tcbench(&[
        "aimrepo",
        "merge",
        "--src",
        s(&campaign),
        "--dst",
        s(&dst2),
        "--append",
        "--dry-run",
    ]);
    code(&out, 1);
    assert!(
        common::stderr(&out).contains(&format!("{h} (name differs")),
        "{}",
        common::stderr(&out)
    );
    let filter = format!("run.hash != '{h}'");
    let out = common::tcbench(&[
        "aimrepo",
        "merge",
        "--src",
        s(&campaign),
        "--dst",
        s(&dst2),
        "--append",
        "--filter",
        &filter,
    ]);
    code(&out, 0);
    let text = common::stdout(&out);
    assert!(text.starts_with("merged 0 runs ("), "{text}");
    let row = text.lines().find(|l| l.contains(s(&campaign))).unwrap();
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(&cells[1..5], ["12", "0", "11", "0"], "{row}");
}
