//! Folding sorted `(path, value)` pairs back into objects (aim-format.md §2.3).

use crate::key::Seg;
use crate::value::Value;

/// A decoded subtree.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    /// None.
    None,
    /// bool.
    Bool(bool),
    /// int.
    Int(i64),
    /// float.
    Float(f64),
    /// str.
    Str(String),
    /// bytes.
    Bytes(Vec<u8>),
    /// A list (array marker `06`); missing indices are None.
    List(Vec<Node>),
    /// A dict, in key order (keys are `str` or `int`).
    Dict(Vec<(Seg, Node)>),
    /// A custom object (`0F` marker) with its fields.
    Object {
        /// Aim's type name, e.g. `aim.image`.
        type_name: String,
        /// The object's fields.
        fields: Vec<(Seg, Node)>,
    },
    /// A BLOB placeholder (data stored elsewhere).
    Blob,
}

impl Node {
    /// The children of a dict or object, if any.
    pub fn entries(&self) -> &[(Seg, Node)] {
        match self {
            Node::Dict(e) => e,
            Node::Object { fields, .. } => fields,
            _ => &[],
        }
    }
    /// Looks up a string key in a dict.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries()
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }
}

/// Incrementally builds a [`Node`] from pairs delivered in key order.
#[derive(Default, Debug)]
pub struct TreeBuilder {
    value: Option<Value>,
    children: Vec<(Seg, TreeBuilder)>,
}

impl TreeBuilder {
    /// A new, empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// True when nothing was inserted.
    pub fn is_empty(&self) -> bool {
        self.value.is_none() && self.children.is_empty()
    }

    /// Inserts a value at `path` (relative to the builder's root).
    pub fn insert(&mut self, path: &[Seg], value: Value) {
        let mut node = self;
        for seg in path {
            let found = node.children.iter().rposition(|(k, _)| k == seg);
            let idx = match found {
                Some(i) => i,
                None => {
                    node.children.push((seg.clone(), TreeBuilder::default()));
                    node.children.len() - 1
                }
            };
            node = &mut node.children[idx].1;
        }
        node.value = Some(value);
    }

    /// Folds the pairs into a node.
    pub fn build(self) -> Node {
        let TreeBuilder { value, children } = self;
        match value {
            Some(Value::ArrayMarker) => {
                let mut items: Vec<(i64, Node)> = Vec::new();
                let mut others: Vec<(Seg, Node)> = Vec::new();
                for (k, child) in children {
                    match k {
                        Seg::Int(i) if (0..1 << 24).contains(&i) => items.push((i, child.build())),
                        other => others.push((other, child.build())),
                    }
                }
                if !others.is_empty() {
                    // Not a well-formed list: keep everything rather than drop data.
                    let mut all: Vec<(Seg, Node)> =
                        items.into_iter().map(|(i, n)| (Seg::Int(i), n)).collect();
                    all.extend(others);
                    return Node::Dict(all);
                }
                let len = items.iter().map(|(i, _)| *i + 1).max().unwrap_or(0);
                let mut list = vec![Node::None; usize::try_from(len).unwrap_or(0)];
                for (i, n) in items {
                    if let Some(slot) = usize::try_from(i).ok().and_then(|i| list.get_mut(i)) {
                        *slot = n;
                    }
                }
                Node::List(list)
            }
            Some(Value::Custom(type_name)) => Node::Object {
                type_name,
                fields: children.into_iter().map(|(k, c)| (k, c.build())).collect(),
            },
            _ if !children.is_empty() => {
                Node::Dict(children.into_iter().map(|(k, c)| (k, c.build())).collect())
            }
            Some(Value::ObjectMarker) => Node::Dict(Vec::new()),
            Some(Value::None) | None => Node::None,
            Some(Value::Bool(b)) => Node::Bool(b),
            Some(Value::Int(i)) => Node::Int(i),
            Some(Value::Float(f)) => Node::Float(f),
            Some(Value::Str(s)) => Node::Str(s),
            Some(Value::Bytes(b)) => Node::Bytes(b),
            Some(Value::Blob) => Node::Blob,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Seg {
        Seg::from(x)
    }

    #[test]
    fn folds_the_documented_hparams_example() {
        // aim-format.md §2.3, keys in byte order
        let mut b = TreeBuilder::new();
        b.insert(&[s("batch_size")], Value::Int(32));
        b.insert(&[s("dropout")], Value::None);
        b.insert(&[s("emptylist")], Value::ArrayMarker);
        b.insert(&[s("empty")], Value::ObjectMarker);
        b.insert(&[s("layers")], Value::ArrayMarker);
        b.insert(&[s("layers"), Seg::Int(0)], Value::Int(64));
        b.insert(&[s("layers"), Seg::Int(1)], Value::Int(32));
        b.insert(&[s("lr")], Value::Float(0.001));
        b.insert(&[s("nested"), s("a")], Value::Int(1));
        b.insert(&[s("nested"), s("b"), s("c")], Value::Str("x".into()));
        b.insert(&[s("use_bn")], Value::Bool(true));
        let n = b.build();
        assert_eq!(n.get("batch_size"), Some(&Node::Int(32)));
        assert_eq!(n.get("dropout"), Some(&Node::None));
        assert_eq!(n.get("emptylist"), Some(&Node::List(vec![])));
        assert_eq!(n.get("empty"), Some(&Node::Dict(vec![])));
        assert_eq!(
            n.get("layers"),
            Some(&Node::List(vec![Node::Int(64), Node::Int(32)]))
        );
        assert_eq!(
            n.get("nested")
                .and_then(|x| x.get("b"))
                .and_then(|x| x.get("c")),
            Some(&Node::Str("x".into()))
        );
    }

    #[test]
    fn int_children_without_marker_are_a_dict_and_gaps_are_none() {
        let mut b = TreeBuilder::new();
        b.insert(&[s("d"), Seg::Int(1)], Value::Str("one".into()));
        b.insert(&[s("l")], Value::ArrayMarker);
        b.insert(&[s("l"), Seg::Int(2)], Value::Int(7));
        let n = b.build();
        assert_eq!(
            n.get("d"),
            Some(&Node::Dict(vec![(Seg::Int(1), Node::Str("one".into()))]))
        );
        assert_eq!(
            n.get("l"),
            Some(&Node::List(vec![Node::None, Node::None, Node::Int(7)]))
        );
    }
}
