//! Replays every input kept under `tests/fuzz_regressions/<target>/` (crashes,
//! hangs and huge allocations the fuzz targets of `fuzz/` found, minimized)
//! through the same entry point as its target, in an ordinary `cargo test`.
//! Each must return; the ones named below must also return the documented
//! result.

use std::path::{Path, PathBuf};

use aim_store::tree::Node;

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_regressions")
        .join(target);
    let mut out: Vec<(String, Vec<u8>)> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .map(|e| e.expect("read dir entry").path())
            .map(|p: PathBuf| {
                let name = p
                    .file_name()
                    .expect("file name")
                    .to_string_lossy()
                    .into_owned();
                (name, std::fs::read(&p).expect("read regression input"))
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    out.sort();
    out
}

#[test]
fn key_inputs_return() {
    for (_, data) in inputs("key") {
        let _ = aim_store::fuzz::key(&data);
    }
}

#[test]
fn value_inputs_return() {
    for (_, data) in inputs("value") {
        let _ = aim_store::fuzz::value(&data);
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
