//! Entry points on raw bytes for the fuzz targets `key`, `value` and `tree`
//! (`fuzz/`) and for the regression tests that replay their findings. They
//! run the same decoders as reading a repository does.
//!
//! Every function must return on any input, without panicking, hanging, or
//! allocating much more than the input's size.

use std::path::Path;

use crate::error::RunError;
use crate::key::{self, Seg};
use crate::run::{meta_from_pairs, RunMeta};
use crate::tree::{Node, TreeBuilder};
use crate::value::{self, Value};

/// Decodes a key path whole and segment by segment. A key that decodes
/// must encode back to the same bytes (panics otherwise: that is a finding).
pub fn key(data: &[u8]) -> Result<Vec<Seg>, key::KeyError> {
    let whole = key::decode(data);
    let segs: Vec<_> = key::segments(data).collect();
    match &whole {
        Ok(path) => {
            assert_eq!(key::encode(path), data, "key does not round-trip");
            assert_eq!(segs.len(), path.len());
        }
        Err(e) => assert_eq!(segs.last(), Some(&Err(e.clone()))),
    }
    whole
}

/// Decodes a stored value.
pub fn value(data: &[u8]) -> Result<Value, value::ValueError> {
    let v = value::decode(data)?;
    let _ = (v.as_f64(), v.as_i64());
    Ok(v)
}

/// Splits `data` into `(key, value)` pairs framed as `u16le key_len, key,
/// u16le value_len, value` (a truncated frame ends the list), sorted and
/// deduplicated by key (first kept) as a database delivers them.
pub fn pairs_from_frames(data: &[u8]) -> Vec<(&[u8], &[u8])> {
    fn take<'a>(data: &mut &'a [u8]) -> Option<&'a [u8]> {
        let (len, rest) = data.split_first_chunk::<2>()?;
        let len = usize::from(u16::from_le_bytes(*len));
        let (out, rest) = rest.split_at_checked(len)?;
        *data = rest;
        Some(out)
    }
    let mut rest = data;
    let mut pairs = Vec::new();
    while let (Some(k), Some(v)) = (take(&mut rest), take(&mut rest)) {
        pairs.push((k, v));
    }
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    pairs.dedup_by(|a, b| a.0 == b.0);
    pairs
}

/// The inverse of [`pairs_from_frames`] (for seeds and tests).
pub fn frames(pairs: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, v) in pairs {
        for part in [k, v] {
            let part = part.get(..usize::from(u16::MAX)).unwrap_or(part);
            out.extend_from_slice(&(part.len() as u16).to_le_bytes());
            out.extend_from_slice(part);
        }
    }
    out
}

/// Builds trees from framed pairs (see [`pairs_from_frames`]): every pair
/// whose key and value decode into one generic tree, then all pairs as a
/// run's meta subtree (keys after `('meta','chunks',H)`, the way
/// [`crate::run::read_meta`] folds attrs, contexts and traces).
pub fn tree(data: &[u8]) -> (Node, Result<RunMeta, RunError>) {
    let pairs = pairs_from_frames(data);
    let mut b = TreeBuilder::new();
    for (k, v) in &pairs {
        if let (Ok(path), Ok(val)) = (key::decode(k), value::decode(v)) {
            let _ = b.insert(&path, val);
        }
    }
    let node = b.build();
    let meta = meta_from_pairs(Path::new("<memory>"), pairs.iter().copied());
    (node, meta)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::tree::MAX_DEPTH;

    /// An attrs key path of `depth` string segments `a`, with an int value, framed for
    /// [`tree`] (keys after `('meta','chunks',H)`).
    fn deep_attrs(depth: usize) -> Vec<u8> {
        let mut path = vec![Seg::from("attrs")];
        path.extend(std::iter::repeat_n(Seg::from("a"), depth));
        let k = key::encode(&path);
        let v = [&[0x02u8][..], &7i64.to_le_bytes()].concat();
        frames(&[(&k, &v)])
    }

    /// The only recursion over repository data is over trees (folding, comparing,
    /// printing, dropping them, and every renderer of params): key paths and values decode
    /// without recursing, and a tree is refused past [`MAX_DEPTH`] when it is built. A key
    /// path 10,000 segments deep is a decode error of the run, not a stack overflow, and the
    /// deepest tree accepted is folded, formatted, compared and dropped on a thread with a
    /// quarter of the stack a reading thread has.
    #[test]
    fn deep_key_paths_are_refused_and_the_deepest_tree_accepted_fits_a_small_stack() {
        let (node, meta) = tree(&deep_attrs(10_000));
        assert!(matches!(node, Node::None), "{node:?}");
        let err = meta.unwrap_err().to_string();
        assert!(err.contains(&format!("deeper than {MAX_DEPTH}")), "{err}");
        assert_eq!(
            key(&key::encode(&vec![Seg::Int(1); 100_000]))
                .unwrap()
                .len(),
            100_000
        );

        let data = deep_attrs(MAX_DEPTH - 1);
        std::thread::Builder::new()
            .stack_size(512 * 1024)
            .spawn(move || {
                let (_, meta) = tree(&data);
                let meta = meta.unwrap();
                let copy = meta.clone();
                assert_eq!(copy, meta);
                let text = format!("{meta:?}");
                assert_eq!(text.matches("\"a\"").count(), MAX_DEPTH - 1);
            })
            .unwrap()
            .join()
            .unwrap();
    }
}
