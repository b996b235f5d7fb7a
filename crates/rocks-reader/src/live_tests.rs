//! Regression tests for reading a database that a live writer changes during the read
//! (found by tests/live_writer.rs against real Aim): the directory of a real Aim chunk is
//! changed from [`Db::open_observed`]'s hook, right after the MANIFEST is read, the way
//! RocksDB changes it (a flush appends an edit to the MANIFEST, then deletes the WAL it
//! emptied; a compaction deletes the tables it replaced).

use std::path::{Path, PathBuf};

use crate::db::OPEN_ATTEMPTS;
use crate::{Db, Error, OpenOptions};

/// A temp copy of a chunk directory of the `killed` fixture (written by real Aim 3.29.1).
fn chunk_copy(hash: &str) -> (tempfile::TempDir, PathBuf) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/repos/killed/.aim/meta/chunks")
        .join(hash);
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join(hash);
    std::fs::create_dir(&dst).unwrap();
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dst.join(e.file_name())).unwrap();
    }
    (tmp, dst)
}

/// The killed run's meta chunk: WAL only (`000005.log`, no table).
const WAL_ONLY: &str = "04f8a3249b3c4911b1cd6566";
/// The finished run's meta chunk: `000009.sst` and an empty WAL.
const WITH_TABLE: &str = "90abd0a1ba504d66ba994811";

fn pairs(db: &Db) -> Vec<(Vec<u8>, Vec<u8>)> {
    db.iter().map(|kv| kv.unwrap()).collect()
}

fn append(path: &Path, bytes: &[u8]) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(bytes).unwrap();
}

#[test]
fn a_wal_deleted_after_a_flush_is_not_missed() {
    let (_tmp, dir) = chunk_copy(WAL_ONLY);
    let want = pairs(&Db::open(&dir).unwrap());
    assert!(want.len() > 10);
    let wal = dir.join("000005.log");
    let away = dir.join("away");
    let mut calls = 0;
    let db = Db::open_observed(&dir, &OpenOptions::new(), &mut |d| {
        calls += 1;
        if calls == 1 {
            // the writer's flush: an edit appended to the MANIFEST (here an empty one: a
            // whole log record of type FULL with no payload), then the emptied WAL deleted
            let crc = crate::format::coding::mask_crc(crc32c::crc32c(&[1]));
            let mut record = crc.to_le_bytes().to_vec();
            record.extend_from_slice(&[0, 0, 1]);
            append(&d.join("MANIFEST-000004"), &record);
            std::fs::rename(&wal, &away).unwrap();
        } else {
            // the data is back where the new state has it
            let _ = std::fs::rename(&away, &wal);
        }
    })
    .unwrap();
    assert_eq!(
        calls, 2,
        "the changed MANIFEST must make the read start over"
    );
    assert_eq!(pairs(&db), want, "data of the deleted WAL missed");
}

#[test]
fn a_table_deleted_by_a_compaction_before_it_is_opened_is_retried() {
    let (_tmp, dir) = chunk_copy(WITH_TABLE);
    let want = pairs(&Db::open(&dir).unwrap());
    assert!(!want.is_empty());
    let sst = dir.join("000009.sst");
    let away = dir.join("away");
    let mut calls = 0;
    let db = Db::open_observed(&dir, &OpenOptions::new(), &mut |_| {
        calls += 1;
        if calls == 1 {
            std::fs::rename(&sst, &away).unwrap();
        } else {
            let _ = std::fs::rename(&away, &sst);
        }
    })
    .unwrap();
    assert_eq!(calls, 2);
    assert_eq!(pairs(&db), want);
}

#[test]
fn retries_are_bounded() {
    // a table gone for good: its I/O error after OPEN_ATTEMPTS reads
    let (_tmp, dir) = chunk_copy(WITH_TABLE);
    std::fs::remove_file(dir.join("000009.sst")).unwrap();
    let mut calls = 0;
    let err = Db::open_observed(&dir, &OpenOptions::new(), &mut |_| calls += 1).unwrap_err();
    assert_eq!(calls, OPEN_ATTEMPTS);
    assert!(
        matches!(&err, Error::Io { path, source } if path.ends_with("000009.sst")
            && source.kind() == std::io::ErrorKind::NotFound),
        "{err}"
    );

    // a MANIFEST that grows during every read
    let (_tmp, dir) = chunk_copy(WAL_ONLY);
    let mut calls = 0;
    let err = Db::open_observed(&dir, &OpenOptions::new(), &mut |d| {
        calls += 1;
        append(&d.join("MANIFEST-000004"), &[0]);
    })
    .unwrap_err();
    assert_eq!(calls, OPEN_ATTEMPTS);
    assert!(
        err.to_string()
            .ends_with("the database kept changing while being read (20 attempts)"),
        "{err}"
    );
}

/// A MANIFEST read while its writer is appending a record ends in a torn record: on its own
/// that is damage, but the writer finishes the append, the MANIFEST grows, and the read
/// starts over instead of failing.
#[test]
fn a_manifest_record_being_appended_is_read_again_when_complete() {
    let (_tmp, dir) = chunk_copy(WAL_ONLY);
    let want = pairs(&Db::open(&dir).unwrap());
    let crc = crate::format::coding::mask_crc(crc32c::crc32c(&[1]));
    let mut record = crc.to_le_bytes().to_vec();
    record.extend_from_slice(&[0, 0, 1]);
    let manifest = dir.join("MANIFEST-000004");
    append(&manifest, &record[..3]);
    assert!(
        Db::open_observed(&dir, &OpenOptions::new(), &mut |_| {}).is_err(),
        "a torn MANIFEST is damage"
    );
    let mut calls = 0;
    let db = Db::open_observed(&dir, &OpenOptions::new(), &mut |d| {
        calls += 1;
        if calls == 1 {
            append(&d.join("MANIFEST-000004"), &record[3..]);
        }
    })
    .unwrap();
    assert_eq!(calls, 2, "the grown MANIFEST must make the read start over");
    assert_eq!(pairs(&db), want);
}
