//! Differential tests: every database under `tests/data/` (written by real
//! aimrocks, see `tests/data/README.md`) must iterate exactly like the
//! committed `tests/data/<name>.dump`, produced by `tests/aimrocks_dump.py`.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use rocks_reader::{Db, Error};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn expected(name: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    let text = std::fs::read_to_string(data_dir().join(format!("{name}.dump"))).unwrap();
    text.lines()
        .map(|l| {
            let (k, v) = l.split_once('\t').unwrap();
            (unhex(k), unhex(v))
        })
        .collect()
}

fn databases() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(data_dir())
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().join("CURRENT").exists())
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

fn collect(it: rocks_reader::DbIter<'_>) -> Vec<(Vec<u8>, Vec<u8>)> {
    it.collect::<Result<Vec<_>, Error>>().unwrap()
}

#[test]
fn all_fixtures_present() {
    let names = databases();
    for n in [
        "multi_level",
        "sst_range_tombstone",
        "uncompressed",
        "wal_only",
    ] {
        assert!(names.iter().any(|x| x == n), "missing fixture {n}");
    }
}

#[test]
fn iteration_matches_aimrocks() {
    for name in databases() {
        let db = Db::open(data_dir().join(&name)).unwrap();
        let got = collect(db.iter());
        let want = expected(&name);
        assert_eq!(got.len(), want.len(), "{name}: number of pairs");
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn prefix_iter_and_get_match_aimrocks() {
    for name in databases() {
        let db = Db::open(data_dir().join(&name)).unwrap();
        let want = expected(&name);
        // every prefix of every present key (up to 4 bytes), plus some absent ones
        let mut prefixes: Vec<Vec<u8>> = vec![
            Vec::new(),
            b"zzz".to_vec(),
            b"\x00".to_vec(),
            b"\xff".to_vec(),
        ];
        for (k, _) in &want {
            for n in 1..=k.len().min(6) {
                prefixes.push(k[..n].to_vec());
            }
        }
        prefixes.sort();
        prefixes.dedup();
        for p in &prefixes {
            let got = collect(db.prefix_iter(p));
            let exp: Vec<_> = want
                .iter()
                .filter(|(k, _)| k.starts_with(p))
                .cloned()
                .collect();
            assert_eq!(got, exp, "{name}: prefix {p:?}");
        }
        for (k, v) in &want {
            assert_eq!(db.get(k).unwrap().as_ref(), Some(v), "{name}: get {k:?}");
            let mut absent = k.clone();
            absent.push(0);
            if !want.iter().any(|(k2, _)| *k2 == absent) {
                assert_eq!(db.get(&absent).unwrap(), None, "{name}: get {absent:?}");
            }
        }
    }
}

/// `seek` from a fresh iterator, and forward jumps in the middle of an iteration
/// (the pattern of reading a step column, then jumping to the value column), give what
/// aimrocks lists from the target on.
#[test]
fn seek_matches_aimrocks() {
    for name in databases() {
        let db = Db::open(data_dir().join(&name)).unwrap();
        let want = expected(&name);
        let from = |t: &[u8]| -> Vec<(Vec<u8>, Vec<u8>)> {
            want.iter()
                .filter(|(k, _)| k.as_slice() >= t)
                .cloned()
                .collect()
        };
        let mut targets: Vec<Vec<u8>> = vec![Vec::new(), b"\xff".to_vec()];
        for (i, (k, _)) in want.iter().enumerate().step_by(7) {
            targets.push(k.clone());
            let mut after = k.clone();
            after.push(0);
            targets.push(after);
            targets.push(k[..k.len() / 2].to_vec());
            // mid-iteration: take a few pairs from an earlier key, then seek
            let start = &want[i.saturating_sub(5)].0;
            let mut it = db.iter();
            it.seek(start).unwrap();
            for _ in 0..3 {
                if !it.advance().unwrap() {
                    break;
                }
            }
            it.seek(k).unwrap();
            let got = collect(it);
            let exp = from(k);
            // a seek never moves back: when the 3 pairs already passed k, expect the rest
            let exp: Vec<_> = if i.saturating_sub(5) + 3 > i {
                want[i.saturating_sub(5) + 3..].to_vec()
            } else {
                exp
            };
            assert_eq!(got, exp, "{name}: seek to {k:?} mid-iteration");
        }
        for t in &targets {
            let mut it = db.iter();
            it.seek(t).unwrap();
            assert_eq!(collect(it), from(t), "{name}: seek to {t:?}");
        }
    }
}

#[test]
fn deleted_keys_are_gone() {
    let db = Db::open(data_dir().join("wal_only")).unwrap();
    assert_eq!(db.get(b"k005").unwrap(), None); // Delete
    assert_eq!(db.get(b"k006").unwrap(), None); // SingleDelete
    assert_eq!(db.get(b"k012").unwrap(), None); // DeleteRange
    assert_eq!(
        db.get(b"k015").unwrap().as_deref(),
        Some(&b"after-range"[..])
    );
    assert_eq!(db.get(b"k030").unwrap(), None); // DeleteRange in same batch
    assert_eq!(db.get(b"k031").unwrap().as_deref(), Some(&b"again"[..]));
    assert_eq!(
        db.get(b"k000").unwrap().as_deref(),
        Some(&b"overwritten"[..])
    );
    assert_eq!(db.get(b"big").unwrap().map(|v| v.len()), Some(256 * 160));

    let db = Db::open(data_dir().join("multi_level")).unwrap();
    assert_eq!(
        db.get(b"key0001").unwrap().as_deref(),
        Some(&b"memtable"[..])
    );
    assert_eq!(
        db.get(b"key0060").unwrap().as_deref(),
        Some(&b"resurrected"[..])
    );
    assert_eq!(db.get(b"key0061").unwrap(), None);
    assert_eq!(db.get(b"key0007").unwrap(), None);
    assert_eq!(db.get(b"key0155").unwrap(), None);
    assert_eq!(db.get(b"key0077").unwrap().as_deref(), Some(&b"l0b-77"[..]));
    assert_eq!(db.path(), data_dir().join("multi_level"));
}

/// Copy a fixture into a temp dir so it can be damaged.
fn scratch_copy(name: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(data_dir().join(name)).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), tmp.path().join(e.file_name())).unwrap();
    }
    tmp
}

fn first_error(db: &Db) -> Option<Error> {
    db.iter().find_map(|r| r.err())
}

#[test]
fn not_a_database() {
    let tmp = tempfile::tempdir().unwrap();
    let err = Db::open(tmp.path()).unwrap_err();
    assert!(matches!(err, Error::NotADatabase { .. }), "{err}");
    assert!(err.to_string().contains("not a RocksDB directory"));
    let err = Db::open(tmp.path().join("missing")).unwrap_err();
    assert!(matches!(err, Error::NotADatabase { .. }), "{err}");
}

#[test]
fn sst_block_checksum_mismatch_is_reported() {
    let tmp = scratch_copy("uncompressed");
    let sst = tmp.path().join("000009.sst");
    let mut bytes = std::fs::read(&sst).unwrap();
    bytes[20] ^= 0x55; // inside the first data block
    std::fs::write(&sst, &bytes).unwrap();
    let db = Db::open(tmp.path()).unwrap();
    let err = first_error(&db).expect("corruption must surface");
    let msg = err.to_string();
    assert!(matches!(err, Error::Corruption { .. }), "{msg}");
    assert!(
        msg.contains("000009.sst") && msg.contains("checksum mismatch at offset 0"),
        "{msg}"
    );
    assert!(!msg.contains('\n'));
}

#[test]
fn damaged_files_never_panic() {
    for name in databases() {
        let src = data_dir().join(&name);
        let files: Vec<_> = std::fs::read_dir(&src)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        for f in files {
            let orig = std::fs::read(src.join(&f)).unwrap();
            if orig.is_empty() {
                continue;
            }
            let step = (orig.len() / 40).max(1);
            for pos in (0..orig.len()).step_by(step) {
                for mode in 0..2 {
                    let tmp = scratch_copy(&name);
                    let mut b = orig.clone();
                    if mode == 0 {
                        b[pos] ^= 0xa5;
                    } else {
                        b.truncate(pos);
                    }
                    std::fs::write(tmp.path().join(&f), &b).unwrap();
                    if let Ok(db) = Db::open(tmp.path()) {
                        for r in db.iter() {
                            if r.is_err() {
                                break;
                            }
                        }
                        let _ = db.get(b"k010");
                    }
                }
            }
        }
    }
}

#[test]
fn torn_wal_tail_is_end_of_log() {
    let tmp = scratch_copy("wal_only");
    let wal = tmp.path().join("000005.log");
    let bytes = std::fs::read(&wal).unwrap();
    let full = expected("wal_only");
    // cut inside the last record: everything but the last write survives
    std::fs::write(&wal, &bytes[..bytes.len() - 3]).unwrap();
    let db = Db::open(tmp.path()).unwrap();
    let got = collect(db.iter());
    assert_eq!(db.get(b"k000").unwrap().as_deref(), Some(&b"v0"[..]));
    assert_eq!(got.len(), full.len());
    // cut in the middle of the big fragmented record
    std::fs::write(&wal, &bytes[..40_000]).unwrap();
    let db = Db::open(tmp.path()).unwrap();
    assert_eq!(db.get(b"big").unwrap(), None);
    assert_eq!(db.get(b"k031").unwrap().as_deref(), Some(&b"again"[..]));
}

#[test]
fn wal_checksum_mismatch_in_the_middle_is_corruption() {
    let tmp = scratch_copy("wal_only");
    let wal = tmp.path().join("000005.log");
    let mut bytes = std::fs::read(&wal).unwrap();
    bytes[10] ^= 0x01; // payload of the first record (28 bytes long)
    std::fs::write(&wal, &bytes).unwrap();
    let err = Db::open(tmp.path()).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::Corruption { .. }), "{msg}");
    assert!(
        msg.contains("000005.log: corruption: log record checksum mismatch at offset 0"),
        "{msg}"
    );
}

fn snapshot(dir: &Path) -> Vec<(String, u64, std::time::SystemTime)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            (
                e.file_name().into_string().unwrap(),
                m.len(),
                m.modified().unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn reading_never_modifies_the_directory() {
    for name in databases() {
        let dir = data_dir().join(&name);
        let before = snapshot(&dir);
        let db = Db::open(&dir).unwrap();
        let _ = collect(db.iter());
        let _ = db.get(b"x");
        drop(db);
        assert_eq!(before, snapshot(&dir), "{name}");
    }
}
