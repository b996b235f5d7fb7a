//! Comparing what we read with what the real Aim SDK read (`expected.json`).

use std::path::Path;

use aim_store::{Node, Repo, Seqs, Value};
use serde_json::{json, Value as J};

fn float_json(f: f64) -> J {
    if f.is_nan() {
        J::String("NaN".into())
    } else if f.is_infinite() {
        J::String(if f > 0.0 { "Infinity" } else { "-Infinity" }.into())
    } else {
        json!(f)
    }
}

/// A tree as JSON, the way `sdk_read.py` encodes it.
pub fn node_json(n: &Node) -> J {
    match n {
        Node::None | Node::Blob => J::Null,
        Node::Bool(b) => json!(b),
        Node::Int(i) => json!(i),
        Node::Float(f) => float_json(*f),
        Node::Str(s) => json!(s),
        Node::Bytes(b) => json!({"len": b.len()}),
        Node::List(items) => J::Array(items.iter().map(node_json).collect()),
        Node::Dict(e) => J::Object(
            e.iter()
                .map(|(k, v)| (k.to_string(), node_json(v)))
                .collect(),
        ),
        Node::Object { type_name, fields } => {
            let mut m: serde_json::Map<String, J> = fields
                .iter()
                .map(|(k, v)| (k.to_string(), node_json(v)))
                .collect();
            m.insert("type".into(), json!(type_name));
            J::Object(m)
        }
    }
}

fn value_json(v: &Value) -> J {
    match v {
        Value::Int(i) => json!(i),
        Value::Float(f) => float_json(*f),
        Value::Bool(b) => json!(b),
        Value::Str(s) => json!(s),
        Value::None => J::Null,
        _ => J::String("<object>".into()),
    }
}

/// Numbers compare by value (the SDK's JSON may hold 2.0 where we have 2).
fn same(a: &J, b: &J) -> bool {
    match (a, b) {
        (J::Number(x), J::Number(y)) => x.as_f64() == y.as_f64(),
        (J::Array(x), J::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// Compares our reading of the repository at `dir` with its `expected.json` (real Aim SDK),
/// returning the number of metric traces checked.
pub fn check_repo(dir: &Path) -> usize {
    let expected: J =
        serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
    check_repo_against(dir, &expected)
}

/// [`check_repo`] against `expected`, the output of `sdk_read.py` on the repository at `dir`.
pub fn check_repo_against(dir: &Path, expected: &J) -> usize {
    let name = dir.display().to_string();
    let name = name.as_str();
    let repo = Repo::open(dir).unwrap();
    let scan = repo.scan().unwrap();
    assert!(scan.problems.is_empty(), "{name}: {:?}", scan.problems);
    let runs = expected["runs"].as_array().unwrap();
    assert_eq!(scan.runs.len(), runs.len(), "{name}: run count");
    let mut checked = 0;
    for want in runs {
        let hash = want["hash"].as_str().unwrap();
        let run = scan
            .runs
            .iter()
            .find(|r| r.hash() == hash)
            .unwrap_or_else(|| panic!("{name}: run {hash} missing"));
        assert_eq!(
            json!(run.props.experiment),
            want["experiment"],
            "{name} {hash} experiment"
        );
        assert_eq!(json!(run.props.name), want["name"], "{name} {hash} name");
        assert_eq!(
            json!(run.props.description),
            want["description"],
            "{name} {hash} description"
        );
        assert_eq!(
            json!(run.props.archived),
            want["archived"],
            "{name} {hash} archived"
        );
        assert_eq!(json!(run.props.tags), want["tags"], "{name} {hash} tags");
        assert_eq!(
            json!(run.props.creation_time),
            want["creation_time"],
            "{name} {hash} creation_time"
        );
        assert_eq!(
            json!(run.end_time()),
            want["end_time"],
            "{name} {hash} end_time"
        );
        let params = node_json(&run.meta.attrs);
        assert!(
            same(&params, &want["params"]),
            "{name} {hash} params:\n ours {params}\n aim  {}",
            want["params"]
        );
        let seqs = Seqs::open(&repo.seqs_chunk(hash), hash).unwrap();
        let traces = want["traces"].as_array().unwrap();
        assert_eq!(
            run.meta.traces.len(),
            traces.len(),
            "{name} {hash} trace count"
        );
        for t in traces {
            let tname = t["name"].as_str().unwrap();
            let trace = run
                .meta
                .traces
                .iter()
                .find(|x| x.name == tname && node_json(&x.context) == t["context"])
                .unwrap_or_else(|| panic!("{name} {hash}: trace {tname} {} missing", t["context"]));
            assert_eq!(
                json!(trace.dtype),
                t["dtype"],
                "{name} {hash} {tname} dtype"
            );
            if !trace.is_metric() {
                continue;
            }
            let point = seqs.final_point(trace).unwrap().expect("final point");
            assert_eq!(
                json!(point.step),
                t["last_step"],
                "{name} {hash} {tname} last_step"
            );
            assert!(
                same(&value_json(&point.value), &t["last"]),
                "{name} {hash} {tname}: final {:?} vs {}",
                point.value,
                t["last"]
            );
            let points = seqs.points(trace).unwrap();
            assert_eq!(
                json!(points.len()),
                t["count"],
                "{name} {hash} {tname} count"
            );
            let meta_last = trace.last.as_ref().map(value_json).unwrap_or(J::Null);
            assert!(
                same(&meta_last, &t["meta_last"]),
                "{name} {hash} {tname} meta last"
            );
            checked += 1;
        }
    }
    checked
}
