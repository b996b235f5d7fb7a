//! The bytes-taking entry points of `rocks_reader::bytes` (what the fuzz
//! targets of `fuzz/` call): they read real files like the file-based
//! reader does, and every input kept under `tests/fuzz_regressions/<target>/`
//! (minimized crashes, hangs or huge allocations found by fuzzing) returns
//! through the same calls as its target, in an ordinary `cargo test`.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use rocks_reader::bytes;

fn data(rel: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

/// Line count of a committed dump of real aimrocks (tests/data/README.md).
fn dump_len(name: &str) -> usize {
    String::from_utf8(data(&format!("tests/data/{name}.dump")))
        .unwrap()
        .lines()
        .count()
}

/// Every file of `tests/<kind>/<target>/`, sorted; a missing or empty folder is an error.
fn inputs_in(kind: &str, target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(kind)
        .join(target);
    let rd = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut out: Vec<(PathBuf, Vec<u8>)> = rd
        .map(|e| e.unwrap().path())
        .map(|p| {
            let d = std::fs::read(&p).unwrap();
            (p, d)
        })
        .collect();
    assert!(
        !out.is_empty(),
        "{}: no inputs (fuzz/README.md: how to rebuild it)",
        dir.display()
    );
    out.sort();
    out
}

/// The sst target's check: the range-deletion block held in memory or streamed from the
/// "file" gives the same answer.
fn held_and_streamed(data: &[u8]) {
    let held = bytes::sst(data);
    let streamed = bytes::sst_with(data, rocks_reader::Db::options().tombstone_hold_limit(0));
    match (&held, &streamed) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "held and streamed tombstones disagree"),
        (Err(_), Err(_)) => {}
        _ => panic!("held: {held:?}, streamed: {streamed:?}"),
    }
}

/// Exactly the calls of each fuzz target (fuzz/fuzz_targets/<target>.rs).
fn run_target(target: &str, data: &[u8]) {
    match target {
        "sst" => {
            held_and_streamed(data);
            let n = data.len();
            if n >= 53 && data[n - 8..] == 0x88e2_41b7_85f4_cff7u64.to_le_bytes() {
                let mut unchecked = data.to_vec();
                unchecked[n - 53] = 0;
                held_and_streamed(&unchecked);
            }
        }
        "block" => {
            let _ = bytes::block(data, 0);
            let _ = bytes::block(data, 1);
            let _ = bytes::block_contents(data);
        }
        "footer" => {
            let _ = bytes::footer(data);
        }
        "manifest" => {
            let _ = bytes::manifest(data);
            let _ = bytes::version_edit(data);
        }
        "wal" => {
            let _ = bytes::wal(data, 5);
            let _ = bytes::write_batch(data);
        }
        other => panic!("unknown fuzz target {other}"),
    }
}

/// The targets with a folder under `tests/<kind>/` (each must be a target of this crate).
fn targets_in(kind: &str) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(kind);
    let rd = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut out: Vec<String> = rd
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    out.sort();
    out
}

#[test]
fn regression_inputs_return() {
    let targets = targets_in("fuzz_regressions");
    assert!(targets.iter().any(|t| t == "sst"), "{targets:?}");
    for target in &targets {
        let target = target.as_str();
        for (path, data) in inputs_in("fuzz_regressions", target) {
            let r = std::panic::catch_unwind(|| run_target(target, &data));
            assert!(r.is_ok(), "{} panicked", path.display());
        }
    }
}

/// The committed corpus minimum of every target (`cargo fuzz cmin` of the seeds, which are
/// real files of real databases and their parts, fuzz/README.md): each input returns through
/// its target's calls, and, being real bytes, reads without error.
#[test]
fn corpus_inputs_return_and_read() {
    for target in ["sst", "block", "footer", "manifest", "wal"] {
        for (path, data) in inputs_in("fuzz_corpus", target) {
            let r = std::panic::catch_unwind(|| run_target(target, &data));
            assert!(r.is_ok(), "{} panicked", path.display());
            let ok = match target {
                "sst" => bytes::sst(&data).is_ok(),
                "block" => bytes::block(&data, 1).is_ok(),
                "footer" => bytes::footer(&data).is_ok(),
                "manifest" => bytes::manifest(&data).is_ok() || bytes::version_edit(&data).is_ok(),
                "wal" => bytes::wal(&data, 5).is_ok() || bytes::write_batch(&data).is_ok(),
                _ => unreachable!(),
            };
            assert!(ok, "{}: a real {target} that does not read", path.display());
        }
    }
}

#[test]
fn entry_points_read_real_files_like_the_reader() {
    // single-SST databases (empty WAL): the table alone holds every live pair
    for name in ["uncompressed", "sst_range_tombstone"] {
        let sst = data(&format!("tests/data/{name}/000009.sst"));
        assert_eq!(bytes::sst(&sst).unwrap(), dump_len(name), "{name}");
        bytes::footer(&sst).unwrap();
        let blocks = bytes::sst_blocks(&sst).unwrap();
        assert!(
            blocks.len() >= 4,
            "{name}: metaindex, properties, index, data"
        );
        for b in &blocks {
            assert!(
                bytes::block(b, 1).unwrap() >= 1,
                "{name}: a block that reads no way"
            );
        }
        let manifest = data(&format!("tests/data/{name}/MANIFEST-000004"));
        assert_eq!(
            bytes::manifest(&manifest).unwrap(),
            1,
            "{name}: one live table"
        );
    }
    // WAL-only database: the log alone holds every live pair
    let wal = data("tests/data/wal_only/000005.log");
    assert_eq!(bytes::wal(&wal, 5).unwrap(), dump_len("wal_only"));
    let records = bytes::log_records(&wal, Some(5)).unwrap();
    assert!(!records.is_empty());
    for r in &records {
        assert!(bytes::write_batch(r).unwrap() > 0);
    }
}

#[test]
fn entry_points_reject_damaged_real_files() {
    let sst = data("tests/data/uncompressed/000009.sst");
    let err = bytes::sst(&sst[..sst.len() - 1]).unwrap_err().to_string();
    assert!(err.starts_with("<memory>: corruption: "), "{err}");
    let mut flipped = sst.clone();
    flipped[10] ^= 0x40; // inside the first data block: crc32c mismatch
    assert!(bytes::sst(&flipped).is_err());
    assert!(bytes::footer(&sst[..40]).is_err());
    let manifest = data("tests/data/uncompressed/MANIFEST-000004");
    assert!(bytes::version_edit(&manifest).is_err()); // a log, not one record
    assert!(bytes::write_batch(&[0; 11]).is_err());
}

fn varint(b: &[u8], pos: &mut usize) -> u64 {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let x = b[*pos];
        *pos += 1;
        v |= u64::from(x & 0x7f) << shift;
        if x & 0x80 == 0 {
            break;
        }
    }
    v
}

#[test]
fn index_handles_that_go_back_are_corruption() {
    // A real uncompressed SST (format_version 5, index restart interval 1:
    // every index entry stores its whole handle), checksums switched off in
    // the footer, and the second data block's offset rewritten to 0.
    let mut sst = data("tests/data/uncompressed/000009.sst");
    let n = sst.len();
    assert_eq!(bytes::sst(&sst).unwrap(), dump_len("uncompressed"));
    sst[n - 53] = 0;
    let mut pos = n - 52;
    let (_, _) = (varint(&sst, &mut pos), varint(&sst, &mut pos));
    let index_offset = varint(&sst, &mut pos) as usize;
    let mut pos = index_offset;
    let mut second_offset = None;
    for entry in 0..2 {
        assert_eq!(varint(&sst, &mut pos), 0, "shared");
        let key_len = varint(&sst, &mut pos) as usize;
        pos += key_len;
        let start = pos;
        varint(&sst, &mut pos); // offset
        if entry == 1 {
            second_offset = Some(start..pos);
        }
        varint(&sst, &mut pos); // size
    }
    let r = second_offset.unwrap();
    assert!(
        r.len() >= 2,
        "second block offset fits in more than one byte"
    );
    // the same width, value 0: 0x80 0x80 … 0x00
    for (i, b) in sst[r.clone()].iter_mut().enumerate() {
        *b = if i + 1 == r.len() { 0 } else { 0x80 };
    }
    let err = bytes::sst(&sst).unwrap_err().to_string();
    assert!(
        err.contains("index block: data block handle (offset 0,") && err.contains("overlaps"),
        "{err}"
    );
}
