//! Bad input gets a clear one-line error naming the path, or a per-run warning, with the
//! exit codes documented in the README (1 error, 3 partial) — never a panic.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

fn ls(repo: &Path) -> std::process::Output {
    common::tcbench(&["aimrepo", "ls", "--aim-repo", repo.to_str().unwrap()])
}

fn no_panic(out: &std::process::Output) {
    let err = common::stderr(out);
    assert!(!err.contains("panicked"), "panic: {err}");
    assert!(!err.contains("RUST_BACKTRACE"), "panic: {err}");
}

fn one_error_line(out: &std::process::Output, needle: &str) {
    no_panic(out);
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(out));
    let err = common::stderr(out);
    assert_eq!(err.lines().count(), 1, "not one line: {err}");
    assert!(err.starts_with("tcbench: error: "), "{err}");
    assert!(err.contains(needle), "{err} lacks {needle}");
    assert!(out.stdout.is_empty(), "partial output on error");
}

fn first_chunk(repo: &Path) -> (String, std::path::PathBuf) {
    let mut hashes: Vec<_> = std::fs::read_dir(repo.join(".aim/meta/chunks"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    hashes.sort();
    let h = hashes[0].clone();
    let p = repo.join(".aim/meta/chunks").join(&h);
    (h, p)
}

#[test]
fn missing_path() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("nope");
    for cmd in ["ls", "properties"] {
        let out = common::tcbench(&["aimrepo", cmd, "--aim-repo", p.to_str().unwrap()]);
        one_error_line(&out, &format!("`{}` does not exist", p.display()));
    }
}

#[test]
fn folder_that_is_not_a_repository() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("hello.txt"), "x").unwrap();
    let out = ls(tmp.path());
    one_error_line(&out, "is not an Aim repository");
}

#[test]
fn default_repo_path_is_named_when_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = common::tcbench_in(tmp.path(), &["aimrepo", "properties"]);
    one_error_line(&out, "`./aim-repo` does not exist");
}

#[test]
fn an_error_names_its_cause_once() {
    // `meta/chunks` is a file: listing it fails with the OS's "Not a directory", which the
    // error names once (it used to be printed twice: in the message and as its cause)
    let (_t, repo) = common::fixture_copy("campaign");
    let chunks = repo.join(".aim/meta/chunks");
    std::fs::remove_dir_all(&chunks).unwrap();
    std::fs::write(&chunks, "x").unwrap();
    let out = ls(&repo);
    one_error_line(&out, &format!("`{}`", chunks.display()));
    let err = common::stderr(&out);
    assert_eq!(err.matches("Not a directory").count(), 1, "{err}");
}

#[test]
fn empty_repository_lists_nothing_and_succeeds() {
    let repo = common::fixture("empty");
    let out = ls(&repo);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(common::stdout(&out).trim(), "hash  creation_time  end_time");
    let out = common::tcbench(&[
        "aimrepo",
        "properties",
        "--aim-repo",
        repo.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        common::stdout(&out).contains("│ runs                      │          - │ 0"),
        "{}",
        common::stdout(&out)
    );
}

fn damaged(name: &str, damage: impl Fn(&Path)) {
    let (_tmp, repo) = common::fixture_copy("campaign");
    let (hash, chunk) = first_chunk(&repo);
    damage(&chunk);
    let out = ls(&repo);
    no_panic(&out);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{name}: {}",
        common::stderr(&out)
    );
    let err = common::stderr(&out);
    assert_eq!(err.lines().count(), 1, "{name}: {err}");
    assert!(
        err.contains(&hash) && err.contains(chunk.to_str().unwrap()),
        "{name}: {err}"
    );
    // the other eleven runs still read
    let listed = common::stdout(&out);
    assert_eq!(listed.lines().count(), 12, "{name}: {listed}");
    assert!(!listed.contains(&hash));
}

#[test]
fn truncated_sst() {
    damaged("truncated sst", |chunk| {
        for e in std::fs::read_dir(chunk).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "sst") {
                let len = std::fs::metadata(&p).unwrap().len();
                let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
                f.set_len(len / 2).unwrap();
            }
        }
    });
}

#[test]
fn chunk_without_current() {
    damaged("no CURRENT", |chunk| {
        std::fs::remove_file(chunk.join("CURRENT")).unwrap()
    });
}

#[test]
fn garbage_sqlite() {
    let (_tmp, repo) = common::fixture_copy("campaign");
    let db = repo.join(".aim/run_metadata.sqlite");
    std::fs::write(&db, b"this is not a database, just some garbage bytes ........................................................................................").unwrap();
    let out = ls(&repo);
    one_error_line(&out, &format!("`{}`", db.display()));
}

#[test]
fn run_without_sqlite_row() {
    let (_tmp, repo) = common::fixture_copy("campaign");
    let (hash, _) = first_chunk(&repo);
    let conn = rusqlite::Connection::open(repo.join(".aim/run_metadata.sqlite")).unwrap();
    conn.execute("DELETE FROM run WHERE hash = ?1", [&hash])
        .unwrap();
    drop(conn);
    let out = ls(&repo);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(3));
    let err = common::stderr(&out);
    assert!(
        err.contains(&hash) && err.contains("no row in run_metadata.sqlite"),
        "{err}"
    );
    assert_eq!(common::stdout(&out).lines().count(), 12);
}

#[test]
fn sqlite_row_without_chunk() {
    let (_tmp, repo) = common::fixture_copy("campaign");
    let (hash, chunk) = first_chunk(&repo);
    std::fs::remove_dir_all(&chunk).unwrap();
    let out = ls(&repo);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(3));
    let err = common::stderr(&out);
    assert!(
        err.contains(&hash) && err.contains("no meta chunk"),
        "{err}"
    );
}
