//! Compare the reader with the real RocksDB (aimrocks) on real Aim
//! repositories, if they and the aimrocks venv are available on this
//! machine; otherwise the test prints why and passes.
//!
//! `ROCKS_READER_REAL_REPOS` (colon-separated repo roots, default
//! `/work/scratch/small:/work/scratch/small-noindex`) and `AIMROCKS_PYTHON`
//! (default `/work/venvs/aim329/bin/python`) configure it. aimrocks reads a
//! temporary copy of each database; the reader reads the original, which
//! must be left untouched.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn find_dbs(dir: &Path, out: &mut Vec<PathBuf>) {
    if dir.join("CURRENT").is_file() {
        out.push(dir.to_path_buf());
        return;
    }
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                find_dbs(&e.path(), out);
            }
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn real_aim_repositories_match_aimrocks() {
    let python =
        std::env::var("AIMROCKS_PYTHON").unwrap_or_else(|_| "/work/venvs/aim329/bin/python".into());
    let repos = std::env::var("ROCKS_READER_REAL_REPOS")
        .unwrap_or_else(|_| "/work/scratch/small:/work/scratch/small-noindex".into());
    if !Path::new(&python).exists() {
        eprintln!("skipped: no aimrocks python at {python}");
        return;
    }
    let dumper = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/aimrocks_dump.py");
    let mut dbs = Vec::new();
    for r in repos.split(':').filter(|r| !r.is_empty()) {
        find_dbs(&Path::new(r).join(".aim"), &mut dbs);
    }
    if dbs.is_empty() {
        eprintln!("skipped: no databases under {repos}");
        return;
    }
    dbs.sort();
    let mut pairs = 0usize;
    for db_dir in &dbs {
        let tmp = tempfile::tempdir().unwrap();
        for e in std::fs::read_dir(db_dir).unwrap().flatten() {
            if e.file_type().unwrap().is_file() {
                std::fs::copy(e.path(), tmp.path().join(e.file_name())).unwrap();
            }
        }
        let out = Command::new(&python)
            .arg(&dumper)
            .arg(tmp.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "aimrocks failed on {}",
            db_dir.display()
        );
        let want = String::from_utf8(out.stdout).unwrap();

        let db = rocks_reader::Db::open(db_dir).unwrap();
        let mut got = String::with_capacity(want.len());
        for item in db.iter() {
            let (k, v) = item.unwrap();
            got.push_str(&hex(&k));
            got.push('\t');
            got.push_str(&hex(&v));
            got.push('\n');
            pairs += 1;
        }
        assert!(got == want, "{}: differs from aimrocks", db_dir.display());
    }
    eprintln!(
        "{} databases, {pairs} pairs identical to aimrocks",
        dbs.len()
    );
}
