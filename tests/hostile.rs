//! A hostile repository (testdata/repos/hostile, written by real Aim): campaign ids
//! `../../../escaped`, `../.aim/meta`, an absolute path, `..`, `a/b` and `a\b` (which
//! sanitise alike), and a `flowpic_dim` of `../../fd`. Every file `report` (with and without
//! `--plot`), `export` and `merge` write lies inside its intended folder, nothing appears
//! anywhere else, two ids never share a file, and `.aim` stays byte-for-byte unchanged.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::{stderr, stdout, tcbench_in, tree_state};

/// Where the fixture's absolute campaign id points (gen_fixtures.py HOSTILE_ABSOLUTE_ID).
const ABSOLUTE: &str = "/tmp/tcbench-hostile-fixture";

/// A temp root holding `a/b/c/hostile` (so that `../../..` from its `campaign_summary`
/// stays inside the root, where the test sees it).
fn setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path().join("a/b/c");
    common::copy_tree(&common::fixture("hostile"), &cwd.join("hostile"));
    (tmp, cwd.clone(), cwd.join("hostile"))
}

/// The relative path of each `tree_state` line.
fn paths(state: &[String]) -> BTreeSet<String> {
    state
        .iter()
        .map(|l| l.split(" mode=").next().unwrap().to_owned())
        .collect()
}

/// Asserts that every entry of `root` that is new or changed between `before` and now lies
/// inside one of `allowed` (relative to `root`), apart from the folders above them (their
/// mtime changes when something is created inside); returns the new files.
fn only_inside(root: &Path, before: &[String], allowed: &[&str], what: &str) -> Vec<String> {
    let after = tree_state(root);
    let old: BTreeSet<&String> = before.iter().collect();
    let changed: Vec<&String> = after.iter().filter(|l| !old.contains(l)).collect();
    let mut files = Vec::new();
    for line in changed {
        let rel = line.split(" mode=").next().unwrap();
        let inside = allowed
            .iter()
            .any(|a| rel == *a || Path::new(rel).starts_with(a));
        let above = allowed
            .iter()
            .any(|a| Path::new(a).starts_with(rel) || rel.is_empty());
        assert!(
            inside || above && root.join(rel).is_dir(),
            "{what} wrote or changed `{rel}`, outside {allowed:?}"
        );
        if inside && root.join(rel).is_file() {
            files.push(rel.to_owned());
        }
    }
    // nothing removed either
    let now = paths(&after);
    for p in paths(before) {
        assert!(now.contains(&p), "{what} removed `{p}`");
    }
    files
}

fn saved_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            l.strip_prefix("saving: ")
                .or(l.strip_prefix("tcbench: saving: "))
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_output_file_lies_inside_its_folder_and_aim_is_unchanged() {
    let _ = std::fs::remove_dir_all(ABSOLUTE);
    let (tmp, cwd, repo) = setup();
    let root = tmp.path();
    let aim = tree_state(&repo.join(".aim"));

    // report, console table and json, without and with --plot
    let mut before = tree_state(root);
    let o = tcbench_in(&cwd, &["aimrepo", "report", "--aim-repo", "hostile"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let files = only_inside(root, &before, &["a/b/c/hostile/campaign_summary"], "report");
    let saved = saved_lines(&stdout(&o));
    // every file printed is a distinct file that exists, and nothing else was written
    let printed: BTreeSet<String> = saved
        .iter()
        .map(|p| format!("a/b/c/{p}"))
        .collect::<BTreeSet<_>>();
    assert_eq!(
        printed.len(),
        saved.len(),
        "a file printed twice: {saved:?}"
    );
    assert_eq!(
        printed,
        files.iter().cloned().collect::<BTreeSet<_>>(),
        "files printed vs written"
    );
    // 6 campaigns, each its own folder (`a/b` and `a\b` too); the int 32 and the str "32"
    // of campaign `a/b` in two files each, the `../../fd` value inside its campaign folder
    let folders: BTreeSet<&str> = files.iter().map(|f| f.split('/').nth(5).unwrap()).collect();
    assert_eq!(folders.len(), 6, "{folders:?}");
    assert_eq!(files.len(), 2 * 8, "{files:?}");
    for f in &files {
        assert_eq!(
            f.split('/').count(),
            7,
            "not directly in a campaign folder: {f}"
        );
    }
    assert!(
        files
            .iter()
            .any(|f| f.ends_with("/runsinfo_flowpic_dim_.._.._fd.parquet")),
        "{files:?}"
    );
    assert!(
        !Path::new(ABSOLUTE).exists(),
        "report wrote under {ABSOLUTE}"
    );
    assert_eq!(tree_state(&repo.join(".aim")), aim, "report changed .aim");

    before = tree_state(root);
    std::fs::create_dir(root.join("figs")).unwrap();
    let before_figs = tree_state(root);
    let o = tcbench_in(
        &cwd,
        &[
            "aimrepo",
            "report",
            "--aim-repo",
            "hostile",
            "--format",
            "json",
            "--plot",
            root.join("figs/fig.svg").to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    drop(before);
    let files = only_inside(
        root,
        &before_figs,
        &["a/b/c/hostile/campaign_summary", "figs"],
        "report --plot",
    );
    let figures: Vec<&String> = files.iter().filter(|f| f.starts_with("figs/")).collect();
    assert_eq!(figures.len(), 6, "{figures:?}");
    for f in &figures {
        assert_eq!(f.matches('/').count(), 1, "{f}");
    }
    assert!(
        !Path::new(ABSOLUTE).exists(),
        "report --plot wrote under {ABSOLUTE}"
    );
    assert_eq!(
        tree_state(&repo.join(".aim")),
        aim,
        "report --plot changed .aim"
    );

    // export
    let before = tree_state(root);
    let o = tcbench_in(
        &cwd,
        &[
            "aimrepo",
            "export",
            "--aim-repo",
            "hostile",
            "--output",
            "../../../out",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let files = only_inside(root, &before, &["out"], "export");
    assert_eq!(files.len(), 2, "{files:?}");
    assert_eq!(tree_state(&repo.join(".aim")), aim, "export changed .aim");

    // merge
    let before = tree_state(root);
    let o = tcbench_in(
        &cwd,
        &[
            "aimrepo",
            "merge",
            "--src",
            "hostile",
            "--dst",
            "../../../merged",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let files = only_inside(root, &before, &["merged"], "merge");
    assert!(files.iter().any(|f| f.ends_with("run_metadata.sqlite")));
    assert_eq!(tree_state(&repo.join(".aim")), aim, "merge changed .aim");
    assert!(!Path::new(ABSOLUTE).exists());
}

#[test]
fn report_on_the_aim_folder_writes_next_to_it() {
    let (tmp, cwd, repo) = setup();
    let aim = tree_state(&repo.join(".aim"));
    let before = tree_state(tmp.path());
    let o = tcbench_in(&cwd, &["aimrepo", "report", "--aim-repo", "hostile/.aim"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    only_inside(
        tmp.path(),
        &before,
        &["a/b/c/hostile/campaign_summary"],
        "report --aim-repo REPO/.aim",
    );
    assert!(stdout(&o).contains("saving: hostile/campaign_summary/a_b/"));
    assert_eq!(tree_state(&repo.join(".aim")), aim);
}

#[test]
fn report_never_writes_inside_aim() {
    let (tmp, cwd, _repo) = setup();
    let before = tree_state(tmp.path());
    for out in [
        "hostile/.aim/meta",
        "hostile/.aim",
        "hostile/.aim/new/folder",
    ] {
        let o = tcbench_in(
            &cwd,
            &[
                "aimrepo",
                "report",
                "--aim-repo",
                "hostile",
                "--output-folder",
                out,
            ],
        );
        assert_eq!(o.status.code(), Some(1), "{out}: {}", stderr(&o));
        assert_eq!(stdout(&o), "", "{out}");
        let err = stderr(&o);
        assert!(
            err.starts_with("tcbench: error: --output-folder")
                && err.contains("`.aim`")
                && err.lines().count() == 1,
            "{out}: {err}"
        );
        assert_eq!(tree_state(tmp.path()), before, "{out}");
    }
    // the same rule through a symbolic link to `.aim`
    std::os::unix::fs::symlink("hostile/.aim/meta", cwd.join("link")).unwrap();
    let before = tree_state(tmp.path());
    let o = tcbench_in(
        &cwd,
        &[
            "aimrepo",
            "report",
            "--aim-repo",
            "hostile",
            "--output-folder",
            "link",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(tree_state(tmp.path()), before);
}
