//! Range tombstones. All tombstones of a database live in one byte arena,
//! sorted by begin key; an iterator walking keys in ascending order asks
//! "is this (key, seq) deleted by a DeleteRange?" through a [`Sweep`] that
//! only ever moves forward, so a scan costs O(keys + tombstones) and no
//! allocation per tombstone.

use std::ops::Range;

/// Every `DeleteRange(begin, end)` of a database, with its sequence number.
#[derive(Debug)]
pub(crate) struct Tombstones {
    arena: Vec<u8>,
    items: Vec<Tomb>,
    sorted: bool,
}

impl Default for Tombstones {
    fn default() -> Self {
        Tombstones {
            arena: crate::pool::take(),
            items: Vec::new(),
            sorted: false,
        }
    }
}

impl Drop for Tombstones {
    fn drop(&mut self) {
        crate::pool::give(std::mem::take(&mut self.arena));
    }
}

#[derive(Debug, Clone)]
struct Tomb {
    begin: Range<usize>,
    end: Range<usize>,
    seq: u64,
}

fn slice<'a>(buf: &'a [u8], r: &Range<usize>) -> &'a [u8] {
    buf.get(r.clone()).unwrap_or(&[])
}

impl Tombstones {
    /// Adds `DeleteRange(begin, end)` written at `seq` (empty ranges are dropped).
    pub(crate) fn push(&mut self, begin: &[u8], end: &[u8], seq: u64) {
        if begin >= end {
            return;
        }
        let b = self.arena.len();
        self.arena.extend_from_slice(begin);
        let e = self.arena.len();
        self.arena.extend_from_slice(end);
        let item = Tomb {
            begin: b..e,
            end: e..self.arena.len(),
            seq,
        };
        if let Some(last) = self.items.last() {
            if slice(&self.arena, &last.begin) > begin {
                self.sorted = false;
            }
        } else {
            self.sorted = true;
        }
        self.items.push(item);
    }

    /// Sorts by begin key (a no-op for the common single, already sorted, source).
    pub(crate) fn finish(&mut self) {
        if !self.sorted {
            let arena = &self.arena;
            self.items
                .sort_by(|a, b| slice(arena, &a.begin).cmp(slice(arena, &b.begin)));
            self.sorted = true;
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// True if a tombstone newer than `seq` covers `key`. Successive calls
    /// with the same `sweep` must pass non-decreasing keys.
    pub(crate) fn covers(&self, sweep: &mut Sweep, key: &[u8], seq: u64) -> bool {
        while let Some(t) = self.items.get(sweep.next) {
            if slice(&self.arena, &t.begin) > key {
                break;
            }
            if slice(&self.arena, &t.end) > key {
                sweep.active.push(sweep.next);
            }
            sweep.next += 1;
        }
        let arena = &self.arena;
        let items = &self.items;
        sweep
            .active
            .retain(|&i| items.get(i).is_some_and(|t| slice(arena, &t.end) > key));
        sweep
            .active
            .iter()
            .any(|&i| items.get(i).is_some_and(|t| t.seq > seq))
    }
}

/// The forward-only position of one iterator among the tombstones.
#[derive(Debug, Default)]
pub(crate) struct Sweep {
    next: usize,
    active: Vec<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(b: &str, e: &str, seq: u64) -> (&'static [u8], &'static [u8], u64) {
        // leak: test-only, a handful of bytes
        (
            Box::leak(b.as_bytes().to_vec().into_boxed_slice()),
            Box::leak(e.as_bytes().to_vec().into_boxed_slice()),
            seq,
        )
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
        let mut set = Tombstones::default();
        for (b, e, s) in &ts {
            set.push(b, e, *s);
        }
        set.finish();
        let keys = [
            "", "a", "a0", "b", "c", "d", "e", "f", "g", "h", "m", "o", "p", "x", "z",
        ];
        for seq in [0, 2, 3, 4, 5, 9, 10, 19, 20, 21] {
            // one forward sweep per sequence number, as an iterator does
            let mut sweep = Sweep::default();
            for key in keys {
                let naive = ts
                    .iter()
                    .any(|(b, e, s)| *b <= key.as_bytes() && key.as_bytes() < *e && *s > seq);
                assert_eq!(
                    set.covers(&mut sweep, key.as_bytes(), seq),
                    naive,
                    "key {key} seq {seq}"
                );
            }
        }
        // a sweep that starts in the middle (prefix iteration) sees earlier wide tombstones
        let mut sweep = Sweep::default();
        assert!(set.covers(&mut sweep, b"e", 9));
        assert!(!set.covers(&mut sweep, b"g", 5));
        assert!(set.covers(&mut sweep, b"g", 4));
        let mut empty = Tombstones::default();
        empty.push(b"x", b"x", 1);
        empty.finish();
        assert!(empty.is_empty());
    }
}
