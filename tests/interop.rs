//! Interoperability with real Aim, on repositories written during the test (not only the
//! committed ones): (a) every key and value of every meta and seqs chunk and of the index, as
//! read by `rocks-reader`, equals what `aimrocks` (Aim's RocksDB binding) returns; (b) each
//! run's hash, experiment, params, end_time and every metric's final value equal what the Aim
//! SDK returns.
//!
//! Needs Python interpreters with real Aim: `TCBENCH_AIM_PYTHON` (aim 3.29.1) and
//! `TCBENCH_AIM317_PYTHON` (aim 3.17.4); `scripts/test.sh` creates them. Without them the
//! tests fail under CI and are skipped (with a message) elsewhere.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Command;

fn generate(py: &Path, only: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(py)
        .arg(common::root().join("testdata/gen_fixtures.py"))
        .args(["--out", tmp.path().to_str().unwrap(), "--only", only])
        .output()
        .expect("run gen_fixtures.py");
    assert!(
        out.status.success(),
        "gen_fixtures.py failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    tmp
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// (a): rocks-reader vs aimrocks, every DB of the repository.
fn compare_with_aimrocks(py: &Path, repo: &Path) -> usize {
    let out = Command::new(py)
        .arg(common::root().join("testdata/interop/aimrocks_dump.py"))
        .arg(repo)
        .output()
        .expect("run aimrocks_dump.py");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dump: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let dbs = dump.as_object().unwrap();
    let mut pairs = 0;
    for (rel, want) in dbs {
        let dir = if repo.join(rel).is_dir() {
            repo.join(rel)
        } else {
            repo.join(".aim").join(rel)
        };
        let ours: Vec<(String, String)> = match rocks_reader::Db::open(&dir) {
            Ok(db) => db
                .iter()
                .map(|kv| {
                    let (k, v) = kv.unwrap_or_else(|e| panic!("{rel}: {e}"));
                    (hex(&k), hex(&v))
                })
                .collect(),
            Err(e) => panic!("{rel}: {e}"),
        };
        let want: Vec<(String, String)> = want
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p[0].as_str().unwrap().to_owned(),
                    p[1].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(ours.len(), want.len(), "{}: key count", dir.display());
        assert!(
            ours == want,
            "{}: contents differ from aimrocks",
            dir.display()
        );
        pairs += ours.len();
    }
    pairs
}

fn check_all(py: &Path, only: &str) {
    let tmp = generate(py, only);
    let mut pairs = 0;
    let mut traces = 0;
    for name in only.split(',') {
        let repo = tmp.path().join(name);
        let before = common::tree_state(&repo);
        pairs += compare_with_aimrocks(py, &repo);
        traces += common::sdk::check_repo(&repo);
        // and the CLI reads it without touching it
        let out = common::tcbench(&[
            "aimrepo",
            "properties",
            "--aim-repo",
            repo.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{name}: {}", common::stderr(&out));
        assert_eq!(
            before,
            common::tree_state(&repo),
            "{name} changed by reading"
        );
    }
    eprintln!(
        "{only}: {pairs} key/value pairs equal to aimrocks, {traces} traces equal to the SDK"
    );
    assert!(pairs > 0);
}

#[test]
#[cfg_attr(
    tcbench_skip_interop,
    ignore = "TCBENCH_SKIP_INTEROP: needs Python with real Aim (scripts/test.sh)"
)]
fn fresh_aim_3_29_repositories_read_exactly() {
    let py = common::aim_python("TCBENCH_AIM_PYTHON");
    check_all(
        &py,
        "campaign-noindex,killed,edge-params,long-metric,blobs,empty,hostile,tombstones",
    );
}

#[test]
#[cfg_attr(
    tcbench_skip_interop,
    ignore = "TCBENCH_SKIP_INTEROP: needs Python with real Aim (scripts/test.sh)"
)]
fn fresh_aim_3_29_reindexed_campaign_reads_exactly() {
    let py = common::aim_python("TCBENCH_AIM_PYTHON");
    check_all(&py, "campaign-quirks");
}

#[test]
#[cfg_attr(
    tcbench_skip_interop,
    ignore = "TCBENCH_SKIP_INTEROP: needs Python with real Aim (scripts/test.sh)"
)]
fn fresh_aim_3_17_repositories_read_exactly() {
    let py = common::aim_python("TCBENCH_AIM317_PYTHON");
    check_all(&py, "aim317-campaign");
}
