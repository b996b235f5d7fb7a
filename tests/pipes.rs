//! A closed standard output (`tcbench … | head -c 10`, `… | true`) ends every command, in
//! every format, quietly with exit 0: no `Broken pipe` error, no panic (exit 101), nothing
//! on stderr but the notes the command prints anyway. Run on a repository written by real
//! Aim with enough runs that the JSON outputs outgrow the 8 KiB output buffer (so the error
//! reaches serde_json mid-document), once with the pipe closed before the first byte and
//! once after reading 10 bytes.
//!
//! Needs `TCBENCH_AIM_PYTHON` (aim 3.29.1; `scripts/test.sh` sets it).

#![allow(clippy::unwrap_used)]

mod common;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs tcbench with stdout a pipe whose read end is dropped after `read` bytes; kills it
/// and fails after 60 s. Returns (exit code, stderr).
fn closed_pipe(args: &[String], read: usize) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tcbench"))
        .args(args)
        .env("COLUMNS", "80")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    if read > 0 {
        let mut buf = vec![0u8; read];
        let _ = out.read_exact(&mut buf);
    }
    drop(out);
    common::wait_or_kill(
        &mut child,
        Duration::from_secs(60),
        &format!("{args:?} on a closed pipe"),
    );
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
#[cfg_attr(
    tcbench_skip_interop,
    ignore = "TCBENCH_SKIP_INTEROP: needs Python with real Aim (scripts/test.sh)"
)]
fn every_command_in_every_format_ends_quietly_with_0_on_a_closed_pipe() {
    let py = common::aim_python("TCBENCH_AIM_PYTHON");
    let tmp = tempfile::tempdir().unwrap();
    // 84 runs: `ls --format json` alone is over 10 KB
    let seeds: Vec<String> = (1..=14).map(|i| i.to_string()).collect();
    let repo = common::gen_campaign(
        &py,
        tmp.path(),
        "big",
        "1/1",
        &["--seeds", &seeds.join(","), "--epochs", "1"],
    );
    let r = s(&repo).to_owned();
    let outdir = |tag: &str| s(&tmp.path().join(tag)).to_owned();
    let mut cases: Vec<Vec<String>> = Vec::new();
    let mut add = |v: &[&str]| cases.push(v.iter().map(|x| x.to_string()).collect());
    for f in ["table", "csv", "json"] {
        add(&["aimrepo", "ls", "--aim-repo", &r, "--format", f]);
    }
    for f in ["table", "json"] {
        add(&["aimrepo", "properties", "--aim-repo", &r, "--format", f]);
    }
    for f in ["table", "csv", "json"] {
        add(&[
            "aimrepo",
            "report",
            "--aim-repo",
            &r,
            "--output-folder",
            &outdir("report"),
            "--format",
            f,
        ]);
    }
    for f in ["text", "json"] {
        add(&["aimrepo", "doctor", "--aim-repo", &r, "--format", f]);
    }
    add(&["completions", "bash"]);
    add(&["man"]);
    add(&[
        "aimrepo",
        "merge",
        "--src",
        &r,
        "--dst",
        &outdir("merged"),
        "--dry-run",
    ]);
    for read in [0, 10] {
        let mut all = cases.clone();
        // commands that write: a new destination each time
        all.push(
            ["aimrepo", "export", "--aim-repo", &r, "--output"]
                .iter()
                .map(|x| x.to_string())
                .chain([outdir(&format!("export{read}"))])
                .collect(),
        );
        all.push(
            ["aimrepo", "merge", "--src", &r, "--dst"]
                .iter()
                .map(|x| x.to_string())
                .chain([outdir(&format!("merge{read}"))])
                .collect(),
        );
        for args in all {
            let (code, err) = closed_pipe(&args, read);
            assert_eq!(code, Some(0), "{args:?} (read {read}): stderr:\n{err}");
            // the notes `report --format csv|json` prints on stderr anyway
            let other: Vec<&str> = err
                .lines()
                .filter(|l| !l.starts_with("tcbench: saving: "))
                .collect();
            assert!(other.is_empty(), "{args:?} (read {read}): stderr:\n{err}");
        }
    }
}
