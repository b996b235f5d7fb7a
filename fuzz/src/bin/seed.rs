//! Builds the seed corpora of every fuzz target from real files:
//!
//! ```text
//! seed OUT_DIR ROOT...
//! ```
//!
//! walks each ROOT (fixture repositories written by real Aim) and writes,
//! under `OUT_DIR/<target>/`, files named by a hash of their contents:
//! whole SSTs (the smallest and largest few per size class), their footers
//! and every block cut out of them, whole MANIFESTs and WALs and each of
//! their records, and the keys, values and per-run meta pairs of every
//! RocksDB directory. Existing files are kept.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Inputs bigger than this are not used as whole-file seeds (slow runs).
const MAX_WHOLE: u64 = 256 << 10;
const MAX_KEYS: usize = 3000;

struct Out {
    dir: PathBuf,
    written: std::collections::BTreeMap<&'static str, usize>,
}

impl Out {
    fn put(&mut self, target: &'static str, data: &[u8]) {
        // FNV-1a 64
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for &b in data {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        let dir = self.dir.join(target);
        let p = dir.join(format!("seed-{h:016x}"));
        if p.exists() {
            return;
        }
        std::fs::create_dir_all(&dir).expect("create corpus directory");
        std::fs::write(&p, data).expect("write seed");
        *self.written.entry(target).or_default() += 1;
    }
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut ents: Vec<PathBuf> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    ents.sort();
    for p in ents {
        if p.is_dir() {
            walk(&p, files);
        } else {
            files.push(p);
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [out_dir, roots @ ..] = args.as_slice() else {
        eprintln!("usage: seed OUT_DIR ROOT...");
        return ExitCode::from(2);
    };
    let mut out = Out {
        dir: out_dir.clone(),
        written: Default::default(),
    };
    let mut files = Vec::new();
    for r in roots {
        walk(r, &mut files);
    }
    let name = |p: &Path| {
        p.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_owned()
    };

    // SSTs: every one for footers and blocks; whole files only when small,
    // and at most a handful per power-of-two size class.
    let mut per_class = std::collections::BTreeMap::<u32, usize>::new();
    let mut blocks_seen = BTreeSet::new();
    for p in files.iter().filter(|p| name(p).ends_with(".sst")) {
        let Ok(data) = std::fs::read(p) else { continue };
        let class = (data.len() as u64).max(1).ilog2();
        let n = per_class.entry(class).or_default();
        if (data.len() as u64) <= MAX_WHOLE && *n < 4 {
            *n += 1;
            out.put("sst", &data);
        }
        out.put("footer", &data[data.len().saturating_sub(53)..]);
        if let Ok(blocks) = rocks_reader::bytes::sst_blocks(&data) {
            for b in blocks {
                // one seed per distinct small block, a few big ones
                if b.len() <= 8192 || blocks_seen.len() < 64 {
                    if blocks_seen.insert(b.clone()) {
                        out.put("block", &b);
                    }
                }
            }
        }
    }
    // MANIFESTs and WALs, whole and record by record.
    for p in &files {
        let n = name(p);
        let (target, file_number) = if n.starts_with("MANIFEST-") {
            ("manifest", None)
        } else if n.ends_with(".log") {
            ("wal", n.trim_end_matches(".log").parse::<u64>().ok())
        } else {
            continue;
        };
        let Ok(data) = std::fs::read(p) else { continue };
        if data.is_empty() {
            continue;
        }
        if (data.len() as u64) <= MAX_WHOLE {
            out.put(target, &data);
        }
        if let Ok(recs) = rocks_reader::bytes::log_records(&data, file_number) {
            for r in recs.iter().filter(|r| r.len() as u64 <= MAX_WHOLE) {
                out.put(target, r);
            }
        }
    }
    // Keys, values and per-run meta pairs of every RocksDB directory.
    let mut keys = BTreeSet::new();
    let mut values = BTreeSet::new();
    let dbs: BTreeSet<PathBuf> = files
        .iter()
        .filter(|p| name(p) == "CURRENT")
        .filter_map(|p| p.parent().map(Path::to_path_buf))
        .collect();
    for dir in &dbs {
        let Ok(db) = rocks_reader::Db::open(dir) else {
            continue;
        };
        let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        for kv in db.iter() {
            let Ok((k, v)) = kv else { break };
            if keys.len() < MAX_KEYS {
                keys.insert(k.clone());
            }
            if values.len() < MAX_KEYS && v.len() <= 4096 {
                values.insert(v.clone());
            }
            pairs.push((k, v));
        }
        // meta subtree: keys after ('meta', 'chunks', H)
        let stripped: Vec<(&[u8], &[u8])> = pairs
            .iter()
            .filter(|(k, _)| k.starts_with(b"meta\xfechunks\xfe"))
            .filter_map(|(k, v)| {
                let rest = k.get(12..)?;
                let end = rest.iter().position(|&b| b == 0xfe)?;
                Some((rest.get(end + 1..)?, v.as_slice()))
            })
            .collect();
        if !stripped.is_empty() {
            out.put("tree", &aim_store::fuzz::frames(&stripped));
            // smaller seeds: one per top-level field (attrs, contexts, traces…)
            let mut start = 0;
            while start < stripped.len() {
                let head = |k: &[u8]| k.split(|&b| b == 0xfe).next().map(<[u8]>::to_vec);
                let h = head(stripped[start].0);
                let end = stripped[start..]
                    .iter()
                    .position(|(k, _)| head(k) != h)
                    .map_or(stripped.len(), |n| start + n);
                out.put("tree", &aim_store::fuzz::frames(&stripped[start..end]));
                start = end;
            }
        }
    }
    for k in &keys {
        out.put("key", k);
    }
    for v in &values {
        out.put("value", v);
    }
    for (t, n) in &out.written {
        println!("{t}: {n} new seeds");
    }
    ExitCode::SUCCESS
}
