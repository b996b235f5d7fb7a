//! The per-run columns the original builds with Aim's `Run.dataframe()`: run properties
//! plus params flattened to depth 3 (`hparams.lr`, `hparams.layers` as JSON, …).

use aim_store::{Node, Run, Seg};

use crate::pyfmt::{json_float, json_str, PyVal};

/// The run property columns of Aim's `Run.dataframe()`, in its order, before the params (a
/// param of one of these names is left out: the property wins).
pub const RUN_PROPERTIES: [&str; 9] = [
    "hash",
    "name",
    "description",
    "archived",
    "creation_time",
    "end_time",
    "active",
    "experiment",
    "tags",
];

/// `json.dumps(obj)` with Python's defaults.
pub fn json_dumps(node: &Node) -> String {
    json_with(node, &json_str)
}

/// `json.dumps(obj, ensure_ascii=False)`: strings keep their non-ASCII characters.
pub fn json_dumps_unicode(node: &Node) -> String {
    json_with(node, &|s| serde_json::to_string(s).unwrap_or_default())
}

/// `json.dumps` with Python's separators, quoting strings (and dict keys) with `string`.
fn json_with(node: &Node, string: &dyn Fn(&str) -> String) -> String {
    match node {
        Node::None | Node::Blob => "null".into(),
        Node::Bool(b) => if *b { "true" } else { "false" }.into(),
        Node::Int(i) => i.to_string(),
        Node::Float(f) => json_float(*f),
        Node::Str(s) => string(s),
        Node::Bytes(_) => string("<bytes>"),
        Node::List(items) => {
            let parts: Vec<String> = items.iter().map(|n| json_with(n, string)).collect();
            format!("[{}]", parts.join(", "))
        }
        Node::Dict(entries)
        | Node::Object {
            fields: entries, ..
        } => {
            let parts: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}: {}", string(&k.to_string()), json_with(v, string)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
    }
}

fn cell(node: &Node) -> PyVal {
    match node {
        Node::None | Node::Blob => PyVal::None,
        Node::Bool(b) => PyVal::Bool(*b),
        Node::Int(i) => PyVal::Int(*i),
        Node::Float(f) => PyVal::Float(*f),
        Node::Str(s) => PyVal::Str(s.clone()),
        Node::Bytes(_) => PyVal::Str("<bytes>".into()),
        Node::Dict(e) if e.is_empty() => PyVal::Str("<ObjectFlag>".into()),
        other => PyVal::Str(json_dumps(other)),
    }
}

/// A param path as a column name: `hparams.lr`, `hparams.d[1]`.
pub fn column_name(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Str(k) if s.is_empty() => s.push_str(k),
            Seg::Str(k) => {
                s.push('.');
                s.push_str(k);
            }
            Seg::Int(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

fn unfold(node: &Node, path: &mut Vec<Seg>, depth: u32, out: &mut Vec<(String, PyVal)>) {
    if depth == 0 {
        out.push((column_name(path), cell(node)));
        return;
    }
    match node {
        Node::Dict(entries) => {
            if entries.is_empty() {
                out.push((column_name(path), cell(node)));
            }
            for (k, v) in entries {
                path.push(k.clone());
                unfold(v, path, depth - 1, out);
                path.pop();
            }
        }
        Node::Object { type_name, fields } => {
            out.push((column_name(path), PyVal::Str(format!("<{type_name}>"))));
            for (k, v) in fields {
                path.push(k.clone());
                unfold(v, path, depth - 1, out);
                path.pop();
            }
        }
        other => out.push((column_name(path), cell(other))),
    }
}

/// Aim's `treeutils.unfold_tree(node, unfold_array=False, depth=depth)` as dataframe
/// columns: (name, cell) in Aim's order, lists and deeper dicts as JSON text.
pub fn unfold_columns(node: &Node, depth: u32) -> Vec<(String, PyVal)> {
    let mut out = Vec::new();
    unfold(node, &mut Vec::new(), depth, &mut out);
    out
}

/// The param columns of a run, in Aim's order; the first writer of a name wins.
pub fn param_columns(run: &Run) -> Vec<(String, PyVal)> {
    param_columns_of(&run.meta.attrs)
}

/// [`param_columns`] of a run's `attrs` tree.
pub fn param_columns_of(attrs: &Node) -> Vec<(String, PyVal)> {
    let raw = unfold_columns(attrs, 3);
    let mut seen: std::collections::HashSet<String> =
        RUN_PROPERTIES.iter().map(|p| (*p).to_owned()).collect();
    raw.into_iter()
        .filter(|(k, _)| seen.insert(k.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_dumps_like_python() {
        let n = Node::Dict(vec![
            (Seg::from("c"), Node::Str("x".into())),
            (
                Seg::Int(1),
                Node::List(vec![Node::Int(64), Node::None, Node::Float(f64::NAN)]),
            ),
        ]);
        assert_eq!(json_dumps(&n), r#"{"c": "x", "1": [64, null, NaN]}"#);
    }

    #[test]
    fn names_columns_like_aim() {
        assert_eq!(
            column_name(&[Seg::from("hparams"), Seg::from("intkeys"), Seg::Int(1)]),
            "hparams.intkeys[1]"
        );
    }
}
