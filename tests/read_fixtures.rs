//! Our reader against the real Aim SDK: every fixture's `expected.json` was written by
//! `testdata/interop/sdk_read.py` (real Aim) right after generation; every run, param and
//! trace final value we read must equal it.

#![allow(clippy::unwrap_used)]

mod common;

#[test]
fn every_fixture_reads_as_the_aim_sdk_reads_it() {
    let mut total = 0;
    for name in common::fixture_names() {
        total += common::sdk::check_repo(&common::fixture(&name));
    }
    assert!(total > 100, "only {total} metric traces checked");
}

/// Reading only the params, or only the traces, of each meta chunk (what `runs()` and
/// `metrics()` of the Python module ask for) gives exactly those parts of the whole read,
/// on every fixture (the tombstones fixture among them: skipped subtrees have range
/// tombstones of their own).
#[test]
fn partial_meta_reads_equal_the_whole_read() {
    use aim_store::{Detail, Node, Repo};
    let mut runs = 0;
    for name in common::fixture_names() {
        let repo = Repo::open(common::fixture(&name)).unwrap();
        let full = repo.scan_with(Detail::Full).unwrap();
        let params = repo.scan_with(Detail::Params).unwrap();
        let traces = repo.scan_with(Detail::Traces).unwrap();
        assert_eq!(full.runs.len(), params.runs.len(), "{name}");
        assert_eq!(full.runs.len(), traces.runs.len(), "{name}");
        assert_eq!(full.problems.len(), params.problems.len(), "{name}");
        assert_eq!(full.problems.len(), traces.problems.len(), "{name}");
        // NaN params and values: compared as printed (NaN alike)
        let dbg = |v: &dyn std::fmt::Debug| format!("{v:?}");
        for ((f, p), t) in full.runs.iter().zip(&params.runs).zip(&traces.runs) {
            let h = f.hash();
            assert_eq!(f.props, p.props, "{name} {h}");
            assert_eq!(dbg(&f.meta.attrs), dbg(&p.meta.attrs), "{name} {h}: params");
            assert_eq!(f.meta.end_time, p.meta.end_time, "{name} {h}: end time");
            assert!(p.meta.traces.is_empty(), "{name} {h}");
            assert_eq!(
                dbg(&f.meta.traces),
                dbg(&t.meta.traces),
                "{name} {h}: traces"
            );
            assert_eq!(f.meta.end_time, t.meta.end_time, "{name} {h}: end time");
            assert_eq!(t.meta.attrs, Node::Dict(Vec::new()), "{name} {h}");
            runs += 1;
        }
    }
    assert!(runs > 50, "only {runs} runs compared");
}
