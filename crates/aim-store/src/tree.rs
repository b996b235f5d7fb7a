//! Folding sorted `(path, value)` pairs back into objects (docs/aim-format.md §2.3).

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

/// The deepest path (in segments below the builder's root) a tree accepts.
/// Real params and contexts are a few levels deep; a deeper path is damage (or
/// hostile), and folding, comparing, printing or dropping a tree recurses once per
/// level: at 256 levels folding alone took over 1 MiB of a reading thread's 2 MiB
/// stack in a debug build, so the limit leaves a wide margin.
pub const MAX_DEPTH: usize = 64;

/// A path deeper than [`MAX_DEPTH`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("key path of {0} segments is deeper than {MAX_DEPTH}")]
pub struct DepthError(pub usize);

/// A list marker whose indices leave more holes than this many plus the
/// number of elements present is folded as a dict of its elements instead
/// of a list padded with None: Aim writes lists densely (indices 0, 1, 2,
/// …), and padding a damaged index like 16 777 215 would allocate
/// gigabytes for a few bytes of input.
const MAX_LIST_HOLES: usize = 64;

/// Children a builder node searches linearly; past this many it keeps a hash index.
const LINEAR_CHILDREN: usize = 16;

/// Incrementally builds a [`Node`] from pairs delivered in key order.
#[derive(Default, Debug)]
pub struct TreeBuilder {
    value: Option<Value>,
    children: Vec<(Seg, TreeBuilder)>,
    /// Position of each child by segment, once there are more than [`LINEAR_CHILDREN`]
    /// (a dict of 100,000 keys would otherwise cost a scan of all earlier keys per key).
    index: Option<std::collections::HashMap<Seg, usize>>,
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

    /// Inserts a value at `path` (relative to the builder's root); a path
    /// deeper than [`MAX_DEPTH`] is refused.
    pub fn insert(&mut self, path: &[Seg], value: Value) -> Result<(), DepthError> {
        if path.len() > MAX_DEPTH {
            return Err(DepthError(path.len()));
        }
        let mut node = self;
        for seg in path {
            let idx = node.child_index(seg);
            node = &mut node.children[idx].1;
        }
        node.value = Some(value);
        Ok(())
    }

    /// Position of the child at `seg`, added when missing. Pairs come in key order, so the
    /// child wanted is most often the last one.
    fn child_index(&mut self, seg: &Seg) -> usize {
        if let Some((last, _)) = self.children.last() {
            if last == seg {
                return self.children.len() - 1;
            }
        }
        let found = match &self.index {
            Some(index) => index.get(seg).copied(),
            None => self.children.iter().rposition(|(k, _)| k == seg),
        };
        if let Some(i) = found {
            return i;
        }
        let i = self.children.len();
        self.children.push((seg.clone(), TreeBuilder::default()));
        match &mut self.index {
            Some(index) => {
                index.insert(seg.clone(), i);
            }
            None if self.children.len() > LINEAR_CHILDREN => {
                self.index = Some(
                    self.children
                        .iter()
                        .enumerate()
                        .map(|(i, (k, _))| (k.clone(), i))
                        .collect(),
                );
            }
            None => {}
        }
        i
    }

    /// Folds the pairs into a node.
    pub fn build(self) -> Node {
        let TreeBuilder {
            value, children, ..
        } = self;
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
                let len = items.iter().map(|(i, _)| *i + 1).max().unwrap_or(0);
                let holes = usize::try_from(len)
                    .unwrap_or(usize::MAX)
                    .saturating_sub(items.len());
                if !others.is_empty() || holes > items.len().saturating_add(MAX_LIST_HOLES) {
                    // Not a well-formed list: keep everything rather than drop data.
                    let mut all: Vec<(Seg, Node)> =
                        items.into_iter().map(|(i, n)| (Seg::Int(i), n)).collect();
                    all.extend(others);
                    return Node::Dict(all);
                }
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
                fields: build_children(children),
            },
            _ if !children.is_empty() => Node::Dict(build_children(children)),
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

/// The children folded into nodes, in a vector of their own size: collecting in place would
/// keep the builders' larger allocation, several times the nodes' size, for as long as the
/// tree lives (every run's params, for the whole of a read).
fn build_children(children: Vec<(Seg, TreeBuilder)>) -> Vec<(Seg, Node)> {
    let mut out: Vec<(Seg, Node)> = children.into_iter().map(|(k, c)| (k, c.build())).collect();
    out.shrink_to_fit();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Seg {
        Seg::from(x)
    }

    #[test]
    fn a_dict_of_many_keys_revisited_out_of_order_keeps_every_key_once_in_first_order() {
        // past LINEAR_CHILDREN children lookups go through the hash index: revisiting
        // earlier keys (backwards) must find the same child, never add a second one
        let n = 200i64;
        let key = |i: i64| s(&format!("k{i:03}"));
        let mut b = TreeBuilder::new();
        for i in 0..n {
            b.insert(&[key(i), s("a")], Value::Int(i)).unwrap();
        }
        for i in (0..n).rev().filter(|i| i % 7 == 0) {
            b.insert(&[key(i), s("b")], Value::Int(-i)).unwrap();
        }
        let want = Node::Dict(
            (0..n)
                .map(|i| {
                    let mut fields = vec![(s("a"), Node::Int(i))];
                    if i % 7 == 0 {
                        fields.push((s("b"), Node::Int(-i)));
                    }
                    (key(i), Node::Dict(fields))
                })
                .collect(),
        );
        assert_eq!(b.build(), want);
    }

    #[test]
    fn folds_the_documented_hparams_example() {
        // docs/aim-format.md §2.3, keys in byte order
        let mut b = TreeBuilder::new();
        b.insert(&[s("batch_size")], Value::Int(32)).unwrap();
        b.insert(&[s("dropout")], Value::None).unwrap();
        b.insert(&[s("emptylist")], Value::ArrayMarker).unwrap();
        b.insert(&[s("empty")], Value::ObjectMarker).unwrap();
        b.insert(&[s("layers")], Value::ArrayMarker).unwrap();
        b.insert(&[s("layers"), Seg::Int(0)], Value::Int(64))
            .unwrap();
        b.insert(&[s("layers"), Seg::Int(1)], Value::Int(32))
            .unwrap();
        b.insert(&[s("lr")], Value::Float(0.001)).unwrap();
        b.insert(&[s("nested"), s("a")], Value::Int(1)).unwrap();
        b.insert(&[s("nested"), s("b"), s("c")], Value::Str("x".into()))
            .unwrap();
        b.insert(&[s("use_bn")], Value::Bool(true)).unwrap();
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
        b.insert(&[s("d"), Seg::Int(1)], Value::Str("one".into()))
            .unwrap();
        b.insert(&[s("l")], Value::ArrayMarker).unwrap();
        b.insert(&[s("l"), Seg::Int(2)], Value::Int(7)).unwrap();
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

    #[test]
    fn sparse_lists_fold_as_dicts_and_deep_paths_are_refused() {
        let mut b = TreeBuilder::new();
        b.insert(&[s("ok")], Value::ArrayMarker).unwrap();
        b.insert(&[s("ok"), Seg::Int(60)], Value::Int(7)).unwrap();
        b.insert(&[s("sparse")], Value::ArrayMarker).unwrap();
        b.insert(&[s("sparse"), Seg::Int(0)], Value::Int(1))
            .unwrap();
        b.insert(&[s("sparse"), Seg::Int(100)], Value::Int(2))
            .unwrap();
        let n = b.build();
        // 60 holes for 1 element: within 1 + MAX_LIST_HOLES
        assert!(matches!(n.get("ok"), Some(Node::List(l)) if l.len() == 61));
        // 99 holes for 2 elements: a dict of what is there
        assert_eq!(
            n.get("sparse"),
            Some(&Node::Dict(vec![
                (Seg::Int(0), Node::Int(1)),
                (Seg::Int(100), Node::Int(2))
            ]))
        );
        let mut b = TreeBuilder::new();
        let deep = vec![s("a"); MAX_DEPTH];
        b.insert(&deep, Value::Int(1)).unwrap();
        let deeper = vec![s("a"); MAX_DEPTH + 1];
        assert_eq!(
            b.insert(&deeper, Value::Int(1)),
            Err(DepthError(MAX_DEPTH + 1))
        );
        assert_eq!(
            DepthError(MAX_DEPTH + 1).to_string(),
            "key path of 65 segments is deeper than 64"
        );
    }
}
