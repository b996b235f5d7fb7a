//! Replays every input kept under `tests/fuzz_regressions/<target>/` (crashes,
//! hangs and huge allocations the fuzz targets of `fuzz/` found, minimized) and
//! every input of the committed corpus minimum `tests/fuzz_corpus/<target>/`
//! (`cargo fuzz cmin` of the seeds: real keys, values and meta subtrees of the
//! fixtures, fuzz/README.md) through the same entry point as its target, in an
//! ordinary `cargo test`. Each must return; the ones named below must also
//! return the documented result. A missing or empty folder fails the test.

use std::path::{Path, PathBuf};

use aim_store::tree::Node;

/// Every file of `tests/<kind>/<target>/`, sorted by name; none is an error.
fn inputs_in(kind: &str, target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(kind)
        .join(target);
    let rd = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut out: Vec<(String, Vec<u8>)> = rd
        .map(|e| e.expect("read dir entry").path())
        .map(|p: PathBuf| {
            let name = p
                .file_name()
                .expect("file name")
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read(&p).expect("read regression input"))
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

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    inputs_in("fuzz_regressions", target)
}

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    inputs_in("fuzz_corpus", target)
}

#[test]
fn key_and_value_regressions_return() {
    // every folder of findings is a target; `tree`'s are checked below
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let rd = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for e in rd {
        let name = e.expect("read dir entry").file_name();
        match name.to_string_lossy().as_ref() {
            "key" => inputs("key").iter().for_each(|(_, d)| {
                let _ = aim_store::fuzz::key(d);
            }),
            "value" => inputs("value").iter().for_each(|(_, d)| {
                let _ = aim_store::fuzz::value(d);
            }),
            "tree" => {}
            n if n.starts_with('.') => {}
            other => panic!("{}: not a target of this crate", dir.join(other).display()),
        }
    }
}

#[test]
fn key_corpus_reads() {
    // real keys of real databases: each returns, and each Aim path (`meta`/`seqs` …, not the
    // keys of rocks-reader's own test databases) decodes and round-trips (asserted inside)
    let mut aim_paths = 0;
    for (name, data) in corpus("key") {
        let r = aim_store::fuzz::key(&data);
        if data.starts_with(b"meta\xfe") || data.starts_with(b"seqs\xfe") {
            r.unwrap_or_else(|e| panic!("key {name}: {e}"));
            aim_paths += 1;
        }
    }
    assert!(aim_paths > 0, "no Aim key path in the key corpus");
}

#[test]
fn value_corpus_reads() {
    for (name, data) in corpus("value") {
        aim_store::fuzz::value(&data).unwrap_or_else(|e| panic!("value {name}: {e}"));
    }
}

#[test]
fn tree_corpus_reads() {
    // a real run's meta subtree, whole or one top-level field: never an error
    for (name, data) in corpus("tree") {
        let (_, meta) = aim_store::fuzz::tree(&data);
        if let Err(e) = meta {
            panic!("tree {name}: {e}");
        }
    }
}

#[test]
fn tree_inputs_return() {
    let all = inputs("tree");
    assert!(all.len() >= 2, "regression inputs missing");
    for (name, data) in all {
        // on a thread with a small stack, like the CLI's workers: a deep tree must not
        // overflow it
        let (node, meta) = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || aim_store::fuzz::tree(&data))
            .expect("spawn")
            .join()
            .unwrap_or_else(|_| panic!("{name}: panicked"));
        match name.as_str() {
            // found as an 805 MB allocation: the list padded to 16 777 216 elements
            "sparse-list-index-16777215" => {
                let meta = meta.expect("sparse list reads");
                let l = meta.attrs.get("l").expect("attrs.l");
                assert_eq!(
                    l,
                    &Node::Dict(vec![(aim_store::Seg::Int((1 << 24) - 1), Node::Int(1))]),
                    "{name}"
                );
                assert!(matches!(
                    node.get("attrs").and_then(|a| a.get("l")),
                    Some(Node::Dict(_))
                ));
            }
            // found as a stack overflow in TreeBuilder::build
            "deep-path-30000-segments" => {
                let err = meta.expect_err("deep path is an error").to_string();
                assert!(
                    err.contains("key path of 30000 segments is deeper than 64"),
                    "{name}: {err}"
                );
                assert_eq!(node, Node::None, "{name}: the deep pair is left out");
            }
            _ => {}
        }
    }
}
