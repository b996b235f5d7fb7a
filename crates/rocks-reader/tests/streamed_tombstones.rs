//! Range-deletion blocks left in their files and streamed (what the reader does when a
//! database holds more than `DEFAULT_HOLD_LIMIT` bytes of them) give exactly the answers of
//! blocks held in memory: with the limit at 0 every uncompressed block is streamed, and
//! every database written by real aimrocks (`tests/data/`) and every chunk of the Aim
//! fixture repositories (`testdata/repos/`) iterates, seeks and prefix-iterates as with the
//! default limit and, for `tests/data/`, as aimrocks itself.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use rocks_reader::{Db, Error, DEFAULT_HOLD_LIMIT};

type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

fn collect(it: rocks_reader::DbIter<'_>) -> Pairs {
    it.collect::<Result<Vec<_>, Error>>().unwrap()
}

/// Count and FNV-1a of the pairs an iterator yields (whole answers would not fit in memory
/// for the big chunks).
fn digest(it: rocks_reader::DbIter<'_>) -> (usize, u64) {
    let mut h: u64 = 0xcbf29ce484222325;
    let mut n = 0;
    for item in it {
        let (k, v) = item.unwrap();
        n += 1;
        for b in k.iter().chain([&0xffu8]).chain(v.iter()).chain([&0xfeu8]) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x100000001b3);
        }
    }
    (n, h)
}

/// Everything a reader can ask: the whole iteration, and from ~15 keys spread over it a
/// prefix iteration, a fresh seek and a jump forward in the middle of an iteration, of the
/// database opened with the tombstone hold limit `hold_limit`.
fn answers(dir: &Path, hold_limit: usize) -> (Vec<(usize, u64)>, Pairs, usize) {
    let db = Db::options()
        .tombstone_hold_limit(hold_limit)
        .open(dir)
        .unwrap();
    let all = collect(db.iter());
    let mut out = vec![digest(db.iter())];
    for (i, (k, _)) in all.iter().enumerate().step_by(all.len() / 15 + 1) {
        out.push(digest(db.prefix_iter(&k[..k.len() / 2 + 1])));
        let mut it = db.iter();
        it.seek(k).unwrap();
        out.push(digest(it));
        let mut it = db.iter();
        it.seek(&all[i / 2].0).unwrap();
        it.advance().unwrap();
        it.seek(k).unwrap();
        out.push(digest(it));
    }
    let streams = db.streamed_tombstone_blocks();
    (out, all, streams)
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn databases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dbs: Vec<PathBuf> = std::fs::read_dir(root.join("tests/data"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("CURRENT").exists())
        .collect();
    let repos = root.join("../../testdata/repos");
    for repo in std::fs::read_dir(&repos).unwrap() {
        for kind in ["meta", "seqs"] {
            let chunks = repo
                .as_ref()
                .unwrap()
                .path()
                .join(".aim")
                .join(kind)
                .join("chunks");
            let Ok(rd) = std::fs::read_dir(&chunks) else {
                continue;
            };
            dbs.extend(
                rd.map(|e| e.unwrap().path())
                    .filter(|p| p.join("CURRENT").exists()),
            );
        }
    }
    dbs.sort();
    dbs
}

#[test]
fn streamed_range_deletion_blocks_answer_like_held_ones() {
    let dbs = databases();
    assert!(dbs.len() > 50, "{} databases", dbs.len());
    let held: Vec<_> = dbs.iter().map(|d| answers(d, DEFAULT_HOLD_LIMIT)).collect();
    let streamed: Vec<_> = dbs.iter().map(|d| answers(d, 0)).collect();
    let mut streamed_dbs = 0;
    let mut big = Vec::new();
    for ((d, (h, h_all, h_streams)), (s, s_all, s_streams)) in dbs.iter().zip(&held).zip(&streamed)
    {
        assert_eq!(h_all, s_all, "{}", d.display());
        assert_eq!(h, s, "{}", d.display());
        if *s_streams > 0 {
            streamed_dbs += 1;
        }
        if *h_streams > 0 {
            big.push(d.clone());
        }
        // the aimrocks-written ones against aimrocks itself
        let dump = d.with_extension("dump");
        if dump.exists() {
            let text = std::fs::read_to_string(&dump).unwrap();
            let want: Pairs = text
                .lines()
                .map(|l| {
                    let (k, v) = l.split_once('\t').unwrap();
                    (unhex(k), unhex(v))
                })
                .collect();
            assert_eq!(*s_all, want, "{} against aimrocks", d.display());
        }
    }
    // most chunks have tombstones, and they are then streamed
    assert!(
        streamed_dbs * 2 > dbs.len(),
        "only {streamed_dbs} of {} databases streamed",
        dbs.len()
    );
    // with the default limit, the 20,000-step chunk of long-metric streams (its level-0
    // files hold ~1.2 MB of tombstones), and a campaign run's chunks do not
    assert!(
        big.iter()
            .any(|d| d.to_string_lossy().contains("long-metric")),
        "{big:?}"
    );
    assert!(
        !big.iter()
            .any(|d| d.to_string_lossy().contains("/campaign/")),
        "{big:?}"
    );
}
