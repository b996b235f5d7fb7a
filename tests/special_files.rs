//! Special files in a repository (docs/robustness.md): a FIFO or a link to `/dev/zero` in
//! place of a chunk's `CURRENT`, MANIFEST or WAL, or of one of SQLite's files, is never
//! opened as data. Reading commands name the damaged run and go on (exit 3), or name the
//! SQLite file (exit 1); nothing hangs, nothing reads without end, merge leaves no staging
//! folder. Every command runs under a 2 GiB address-space limit and is killed (and the test
//! failed) after 20 s, so a regression cannot hang or exhaust the test machine.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// Runs tcbench with `args` under `ulimit -v` 2 GiB; kills it and fails after 20 s.
fn bounded(args: &[&str]) -> Output {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 2097152 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_tcbench"))
        .args(args)
        .env("COLUMNS", "80")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    common::wait_or_kill(&mut child, Duration::from_secs(20), &format!("{args:?}"));
    let out = child.wait_with_output().unwrap();
    let err = common::stderr(&out);
    assert!(
        !err.contains("panicked") && !err.contains("memory allocation"),
        "{args:?}: {err}"
    );
    out
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn first_hash(repo: &Path) -> String {
    let mut h: Vec<String> = std::fs::read_dir(repo.join(".aim/meta/chunks"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    h.sort();
    h.remove(0)
}

fn mkfifo(p: &Path) {
    let _ = std::fs::remove_file(p);
    let st = Command::new("mkfifo").arg(p).status().unwrap();
    assert!(st.success());
}

fn link_dev_zero(p: &Path) {
    let _ = std::fs::remove_file(p);
    std::os::unix::fs::symlink("/dev/zero", p).unwrap();
}

/// The file of a chunk whose name starts with `prefix` (or ends with `.log` for "log").
fn chunk_file(chunk: &Path, which: &str) -> PathBuf {
    std::fs::read_dir(chunk)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let n = p.file_name().unwrap().to_str().unwrap();
            match which {
                "log" => n.ends_with(".log"),
                _ => n.starts_with(which),
            }
        })
        .unwrap_or_else(|| panic!("no {which} in {}", chunk.display()))
}

/// The reading commands name run `h` with `what` and exit 3; doctor reports it; merge does
/// not hang and leaves no staging folder.
fn expect_run_named(tmp: &Path, repo: &Path, h: &str, what: &str) {
    let report_dir = tmp.join("report");
    for args in [
        vec!["aimrepo", "ls", "--aim-repo", s(repo)],
        vec!["aimrepo", "properties", "--aim-repo", s(repo)],
        vec![
            "aimrepo",
            "report",
            "--aim-repo",
            s(repo),
            "--output-folder",
            s(&report_dir),
        ],
        vec!["aimrepo", "doctor", "--aim-repo", s(repo)],
    ] {
        let out = bounded(&args);
        let text = format!("{}{}", common::stdout(&out), common::stderr(&out));
        assert_eq!(out.status.code(), Some(3), "{args:?}: {text}");
        assert!(
            text.lines().any(|l| l.contains(h) && l.contains(what)),
            "{args:?}: no line names {h} and {what:?}: {text}"
        );
    }
    let dst = tmp.join("merged");
    let out = bounded(&["aimrepo", "merge", "--src", s(repo), "--dst", s(&dst)]);
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(3), "merge: {err}");
    assert!(err.contains(h), "merge does not name {h}: {err}");
    let staged: Vec<_> = std::fs::read_dir(tmp)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("tcbench-merge"))
        .collect();
    assert!(staged.is_empty(), "staging left: {staged:?}");
    let _ = std::fs::remove_dir_all(&dst);
    let _ = std::fs::remove_dir_all(&report_dir);
}

#[test]
fn a_fifo_in_place_of_current_is_named_not_waited_on() {
    let (tmp, repo) = common::fixture_copy("campaign");
    let h = first_hash(&repo);
    mkfifo(&repo.join(".aim/meta/chunks").join(&h).join("CURRENT"));
    expect_run_named(
        tmp.path(),
        &repo,
        &h,
        "a FIFO where a regular file is expected",
    );
}

#[test]
fn current_manifest_or_wal_linked_to_dev_zero_is_named_not_read_without_end() {
    for which in ["CURRENT", "MANIFEST-", "log"] {
        let (tmp, repo) = common::fixture_copy("campaign");
        let h = first_hash(&repo);
        for kind in ["meta", "seqs"] {
            let chunk = repo.join(".aim").join(kind).join("chunks").join(&h);
            link_dev_zero(&chunk_file(&chunk, which));
        }
        expect_run_named(
            tmp.path(),
            &repo,
            &h,
            "a character device where a regular file is expected",
        );
    }
}

/// SQLite opens `-journal`, `-wal` and `-shm` along with the database: a FIFO there blocked
/// its open forever; any special file there (or as the database) is named, exit 1.
#[test]
fn special_files_among_sqlites_files_are_named() {
    for name in [
        "run_metadata.sqlite",
        "run_metadata.sqlite-journal",
        "run_metadata.sqlite-wal",
        "run_metadata.sqlite-shm",
    ] {
        for fifo in [true, false] {
            let (tmp, repo) = common::fixture_copy("campaign");
            let p = repo.join(".aim").join(name);
            if fifo {
                mkfifo(&p);
            } else {
                link_dev_zero(&p);
            }
            let dst = tmp.path().join("merged");
            for args in [
                vec!["aimrepo", "ls", "--aim-repo", s(&repo)],
                vec!["aimrepo", "doctor", "--aim-repo", s(&repo)],
                vec!["aimrepo", "merge", "--src", s(&repo), "--dst", s(&dst)],
            ] {
                let out = bounded(&args);
                let err = common::stderr(&out);
                assert_eq!(out.status.code(), Some(1), "{args:?} {name}: {err}");
                assert_eq!(err.lines().count(), 1, "{err}");
                assert!(
                    err.starts_with("tcbench: error: ")
                        && err.contains(&format!("{name}`"))
                        && err.contains(if fifo { "a FIFO" } else { "a character device" })
                        && err.contains("where a regular file is expected"),
                    "{args:?}: {err}"
                );
            }
            let left: Vec<_> = std::fs::read_dir(tmp.path())
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert_eq!(left.len(), 1, "{left:?}");
        }
    }
}
