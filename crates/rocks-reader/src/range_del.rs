//! Range tombstones, fragmented into non-overlapping pieces so that "is
//! this (key, seq) deleted by a DeleteRange?" is one binary search.

use std::collections::BTreeMap;

/// One `DeleteRange(begin, end)` written at sequence `seq`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tombstone {
    pub(crate) begin: Vec<u8>,
    pub(crate) end: Vec<u8>,
    pub(crate) seq: u64,
}

/// Non-overlapping `[begin, end)` fragments sorted by `begin`, each with
/// the largest sequence number of the tombstones covering it.
#[derive(Debug, Default)]
pub(crate) struct Fragments {
    frags: Vec<(Vec<u8>, Vec<u8>, u64)>,
}

impl Fragments {
    pub(crate) fn new(mut tombstones: Vec<Tombstone>) -> Fragments {
        tombstones.retain(|t| t.begin < t.end);
        if tombstones.is_empty() {
            return Fragments::default();
        }
        let mut points: Vec<&[u8]> = tombstones
            .iter()
            .flat_map(|t| [t.begin.as_slice(), t.end.as_slice()])
            .collect();
        points.sort_unstable();
        points.dedup();
        let mut by_begin: Vec<&Tombstone> = tombstones.iter().collect();
        by_begin.sort_by(|a, b| a.begin.cmp(&b.begin));
        let mut by_end: Vec<&Tombstone> = tombstones.iter().collect();
        by_end.sort_by(|a, b| a.end.cmp(&b.end));
        let (mut bi, mut ei) = (0, 0);
        // multiset of active sequence numbers
        let mut active: BTreeMap<u64, usize> = BTreeMap::new();
        let mut frags: Vec<(Vec<u8>, Vec<u8>, u64)> = Vec::new();
        for (i, p) in points.iter().enumerate() {
            while let Some(t) = by_end.get(ei).filter(|t| t.end.as_slice() <= *p) {
                if let Some(c) = active.get_mut(&t.seq) {
                    *c -= 1;
                    if *c == 0 {
                        active.remove(&t.seq);
                    }
                }
                ei += 1;
            }
            while let Some(t) = by_begin.get(bi).filter(|t| t.begin.as_slice() <= *p) {
                *active.entry(t.seq).or_insert(0) += 1;
                bi += 1;
            }
            if let (Some((&max, _)), Some(next)) = (active.last_key_value(), points.get(i + 1)) {
                match frags.last_mut() {
                    Some(last) if last.1.as_slice() == *p && last.2 == max => {
                        last.1 = next.to_vec()
                    }
                    _ => frags.push((p.to_vec(), next.to_vec(), max)),
                }
            }
        }
        Fragments { frags }
    }

    /// True if a tombstone newer than `seq` covers `key`.
    pub(crate) fn covers(&self, key: &[u8], seq: u64) -> bool {
        let i = self.frags.partition_point(|f| f.0.as_slice() <= key);
        match i.checked_sub(1).and_then(|i| self.frags.get(i)) {
            Some((_, end, max)) => key < end.as_slice() && *max > seq,
            None => false,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.frags.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(b: &str, e: &str, seq: u64) -> Tombstone {
        Tombstone {
            begin: b.into(),
            end: e.into(),
            seq,
        }
    }

    #[test]
    fn fragments_match_naive() {
        let ts = vec![
            t("b", "f", 10),
            t("d", "h", 5),
            t("a", "c", 20),
            t("x", "x", 99),
            t("m", "p", 3),
        ];
        let frags = Fragments::new(ts.clone());
        for key in [
            "", "a", "a0", "b", "c", "d", "e", "f", "g", "h", "m", "o", "p", "x", "z",
        ] {
            for seq in [0, 2, 3, 4, 5, 9, 10, 19, 20, 21] {
                let naive = ts.iter().any(|t| {
                    t.begin.as_slice() <= key.as_bytes()
                        && key.as_bytes() < t.end.as_slice()
                        && t.seq > seq
                });
                assert_eq!(
                    frags.covers(key.as_bytes(), seq),
                    naive,
                    "key {key} seq {seq}"
                );
            }
        }
        assert!(Fragments::new(vec![]).is_empty());
    }
}
