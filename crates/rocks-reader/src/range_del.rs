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
    /// Sources (tables, WAL) that added tombstones; each adds them sorted.
    runs: usize,
    run_open: bool,
    /// `max_end[i]` = index of the item with the greatest end among
    /// `items[..=i]`, built on the first seek.
    max_end: std::sync::OnceLock<Vec<usize>>,
}

impl Default for Tombstones {
    fn default() -> Self {
        Tombstones {
            arena: crate::pool::take(),
            items: Vec::new(),
            runs: 0,
            run_open: false,
            max_end: std::sync::OnceLock::new(),
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
    /// Starts the tombstones of a new source. Within a source they must be
    /// pushed in begin order (as an SST's range-deletion block holds them);
    /// a source that cannot promise it (the WAL) calls this before each one.
    pub(crate) fn new_source(&mut self) {
        self.run_open = false;
    }

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
        if !self.run_open {
            self.run_open = true;
            self.runs += 1;
        }
        self.items.push(item);
    }

    /// Sorts by begin key (a no-op for the common single source).
    pub(crate) fn finish(&mut self) {
        if self.runs > 1 {
            let arena = &self.arena;
            self.items
                .sort_by(|a, b| slice(arena, &a.begin).cmp(slice(arena, &b.begin)));
            self.runs = 1;
        }
    }

    fn end_of(&self, i: usize) -> &[u8] {
        self.items
            .get(i)
            .map_or(&[], |t| slice(&self.arena, &t.end))
    }

    /// First item index whose tombstone, or a later one, may cover `key`:
    /// every item before it ends at or before `key`.
    fn first_relevant(&self, key: &[u8]) -> usize {
        let max_end = self.max_end.get_or_init(|| {
            let mut out = Vec::with_capacity(self.items.len());
            let mut best = 0usize;
            for i in 0..self.items.len() {
                if self.end_of(i) > self.end_of(best) {
                    best = i;
                }
                out.push(best);
            }
            out
        });
        max_end.partition_point(|&j| self.end_of(j) <= key)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// True if a tombstone newer than `seq` covers `key`. Successive calls
    /// with the same `sweep` must pass non-decreasing keys.
    pub(crate) fn covers(&self, sweep: &mut Sweep, key: &[u8], seq: u64) -> bool {
        if !sweep.started {
            sweep.started = true;
            // skip the tombstones that end before the first key (a prefix seek)
            if self
                .items
                .first()
                .is_some_and(|t| slice(&self.arena, &t.begin) < key)
            {
                sweep.next = self.first_relevant(key);
            }
        }
        while let Some(t) = self.items.get(sweep.next) {
            if slice(&self.arena, &t.begin) > key {
                break;
            }
            if slice(&self.arena, &t.end) > key {
                sweep.active.push((t.seq, sweep.next));
            }
            sweep.next += 1;
        }
        // The newest tombstone seen so far is on top; one that ended before `key` has
        // ended for every later key too, so it is dropped for good. Each tombstone is
        // pushed and popped once: a scan stays O((keys + tombstones) log tombstones)
        // however many tombstones overlap.
        while let Some(&(tseq, i)) = sweep.active.peek() {
            if self
                .items
                .get(i)
                .is_some_and(|t| slice(&self.arena, &t.end) > key)
            {
                return tseq > seq;
            }
            sweep.active.pop();
        }
        false
    }
}

/// The forward-only position of one iterator among the tombstones.
#[derive(Debug, Default)]
pub(crate) struct Sweep {
    started: bool,
    next: usize,
    /// (seq, item) of the tombstones begun at or before the last key, newest
    /// on top; some may have ended (dropped when they reach the top).
    active: std::collections::BinaryHeap<(u64, usize)>,
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
            set.new_source(); // unsorted input: each its own source
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
        for seq in [0, 4, 5, 9, 10, 19, 20] {
            for start in keys {
                let mut sweep = Sweep::default();
                for key in keys.iter().filter(|k| **k >= start) {
                    let naive = ts
                        .iter()
                        .any(|(b, e, s)| *b <= key.as_bytes() && key.as_bytes() < *e && *s > seq);
                    assert_eq!(set.covers(&mut sweep, key.as_bytes(), seq), naive);
                }
            }
        }
        let mut empty = Tombstones::default();
        empty.push(b"x", b"x", 1);
        empty.finish();
        assert!(empty.is_empty());
    }

    #[test]
    fn many_overlapping_tombstones_match_naive() {
        // xorshift: deterministic pseudo-random ranges over 2-byte keys, many
        // overlapping (the case a per-key scan of the active set made quadratic)
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut ts = Vec::new();
        for _ in 0..300 {
            let a = (next() % 200) as u16;
            let len = (next() % 120) as u16;
            ts.push((a.to_be_bytes(), (a + len).to_be_bytes(), next() % 1000));
        }
        ts.sort();
        let mut set = Tombstones::default();
        set.new_source();
        for (b, e, s) in &ts {
            set.push(b, e, *s);
        }
        set.finish();
        for start in [0u16, 37, 150] {
            let mut sweep = Sweep::default();
            for k in start..330 {
                let key = k.to_be_bytes();
                let seq = next() % 1000;
                let naive = ts.iter().any(|(b, e, s)| {
                    b.as_slice() <= &key[..] && &key[..] < e.as_slice() && *s > seq
                });
                assert_eq!(
                    set.covers(&mut sweep, &key, seq),
                    naive,
                    "key {k} seq {seq}"
                );
            }
        }
    }
}
