#![allow(clippy::unwrap_used)]
//! Shared helpers of the integration tests: the binary, fixtures, temp copies, tree hashes.
#![allow(dead_code)]

pub mod sdk;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    root().join("testdata").join("repos").join(name)
}

pub fn fixture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("testdata").join("repos"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join(".aim").is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

pub fn tcbench(args: &[&str]) -> Output {
    tcbench_in(&root(), args)
}

pub fn tcbench_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tcbench"))
        .args(args)
        .current_dir(dir)
        .env("COLUMNS", "80")
        .env_remove("NO_COLOR")
        .output()
        .expect("run tcbench")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Recursively copies a folder (files, folders, symlinks as symlinks).
pub fn copy_tree(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for entry in std::fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        let ty = entry.file_type().unwrap();
        let to = dst.join(entry.file_name());
        if ty.is_dir() {
            copy_tree(&entry.path(), &to);
        } else if ty.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(entry.path()).unwrap(), &to).unwrap();
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
        }
    }
}

/// A temp copy of a fixture.
pub fn fixture_copy(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join(name);
    copy_tree(&fixture(name), &dst);
    (tmp, dst)
}

/// Every path under `dir` with its kind, size, mode, mtime (ns) and content: any change
/// to a byte, a file, a folder or an mtime changes the result.
pub fn tree_state(dir: &Path) -> Vec<String> {
    use std::os::unix::fs::MetadataExt;
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        let md = std::fs::symlink_metadata(&p).unwrap();
        let rel = p.strip_prefix(dir).unwrap().display().to_string();
        let mut line = format!(
            "{rel} mode={:o} size={} mtime={}.{}",
            md.mode(),
            md.size(),
            md.mtime(),
            md.mtime_nsec()
        );
        if md.is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                stack.push(e.unwrap().path());
            }
        } else if md.is_file() {
            let bytes = std::fs::read(&p).unwrap();
            line.push_str(&format!(" fnv={:016x}", fnv(&bytes)));
        }
        out.push(line);
    }
    out.sort();
    out
}

fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// The Python interpreter with real Aim named by `var` (`TCBENCH_AIM_PYTHON`, …). A test
/// that needs it and does not have it FAILS, naming the command that provides it: there is
/// no silent skip. The only way to leave such tests out is `TCBENCH_SKIP_INTEROP=1` at build
/// time, which marks each of them `#[ignore]` through build.rs (`cfg(tcbench_skip_interop)`):
/// libtest then counts them as "ignored" and never calls this.
pub fn aim_python(var: &str) -> PathBuf {
    match std::env::var_os(var) {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ if cfg!(tcbench_skip_interop) => panic!(
            "{var} is not set and this test, which needs it, is not marked \
             #[cfg_attr(tcbench_skip_interop, ignore = ...)] like the others: mark it"
        ),
        _ => panic!(
            "{var} is not set: this test needs Python with real Aim; run scripts/test.sh \
             (it creates the environments and sets {var}), or set TCBENCH_SKIP_INTEROP=1 \
             to count the tests that need it as ignored"
        ),
    }
}

/// Runs `py args…` in `cwd`, asserting success (stdout and stderr in the failure message).
pub fn run_py(py: &Path, args: &[&str], cwd: &Path) -> Output {
    let out = Command::new(py)
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{py:?} {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A small campaign (12 runs: 2 seeds × 2 dims × 3 augmentations) written by real Aim,
/// optionally only part `part` of it (`--part k/n`: exactly the values of the full
/// campaign's runs).
/// (tests/merge.rs, tests/filter.rs)
pub fn gen_campaign(py: &Path, dir: &Path, name: &str, part: &str, extra: &[&str]) -> PathBuf {
    let gen = root().join("testdata/gen_campaign.py");
    let mut args = vec![
        gen.to_str().unwrap(),
        "--repo",
        name,
        "--quiet",
        "--part",
        part,
        "--seeds",
        "42,666",
        "--dims",
        "32,64",
        "--splits",
        "1",
        "--augs",
        "noaug,rotate,changertt",
        "--epochs",
        "4",
        "--no-system-metrics",
        "--no-logs",
        "--no-system-params",
        "--artifacts",
        "minimal",
        "--no-manifest",
    ];
    args.extend(extra);
    run_py(py, &args, dir);
    dir.join(name)
}

/// Each run's `end_time` as the Aim SDK at `py` shows it (`Repo.iter_runs`, the repository
/// as it is: with its index). (tests/doctor.rs, tests/merge.rs)
pub fn sdk_end_times(py: &Path, repo: &Path) -> std::collections::BTreeMap<String, Option<f64>> {
    let script = "import sys, json, aim\nrepo = aim.Repo.from_path(sys.argv[1])\nprint(json.dumps({r.hash: r.end_time for r in repo.iter_runs()}))\n";
    let out = run_py(py, &["-c", script, repo.to_str().unwrap()], repo);
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Waits for `child` to end; kills it and fails the test (naming `what`) after `limit`:
/// a regression that hangs fails instead of stalling the suite.
pub fn wait_or_kill(child: &mut std::process::Child, limit: std::time::Duration, what: &str) {
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            child.kill().unwrap();
            let _ = child.wait();
            panic!("{what} still running after {} s", limit.as_secs());
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
