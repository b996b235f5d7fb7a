//! Range tombstones. A table's range-deletion block is taken to be in begin-key
//! order, as RocksDB's flush and compaction write it (files from its
//! `SstFileWriter`, whose blocks need not be, are refused as ingested files); checking
//! it would cost every read ~5%. A streamed block found out of order at open is held
//! instead, so held and streamed reads always agree.
//!
//! The tombstones of a database point into the range-deletion blocks of its
//! tables, kept whole (RocksDB stores every tombstone key unshared, so nothing
//! is copied per tombstone), or into one byte arena (the WAL's), or are streamed
//! from their files; they are sorted by begin key; an iterator walking keys in
//! ascending order asks
//! "is this (key, seq) deleted by a DeleteRange?" through a [`Sweep`] that
//! only ever moves forward, so a scan costs O(keys + tombstones) and no
//! allocation per tombstone.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use crate::format::coding::Reader;
use crate::format::internal_key::{split_internal_key, Kind};
use crate::format::Bad;
use crate::table::Backing;
use crate::Error;

/// An uncompressed range-deletion block left in its file: its entries are read in windows,
/// in key order, by each sweep that needs them. Checked whole (checksum, every entry) when
/// its table was opened.
#[derive(Debug)]
pub(crate) struct Streamed {
    pub(crate) file: Arc<Backing>,
    pub(crate) path: PathBuf,
    /// Offset of the block in the file.
    pub(crate) start: u64,
    /// Length of its entries (the block without its restart array).
    pub(crate) area_len: usize,
}

/// A tombstone read from a streamed block: (begin, end, seq).
type OwnedTomb = (Vec<u8>, Vec<u8>, u64);

/// Bytes read from a streamed block at a time.
const WINDOW: usize = 32 << 10;

/// A position in a [`Streamed`] block.
#[derive(Debug, Default)]
pub(crate) struct StreamCursor {
    pos: usize,
    buf: Vec<u8>,
    buf_start: usize,
    /// The previous entry's whole internal key (for shared prefixes).
    key: Vec<u8>,
    /// The next tombstone, read but not yet reached by the sweep.
    pending: Option<OwnedTomb>,
    done: bool,
    /// crc32c of the entries read so far, when asked for (checking a block at open).
    crc: Option<u32>,
}

impl StreamCursor {
    /// A cursor at the block's start that also checksums the entries it reads.
    pub(crate) fn checksummed(yes: bool) -> StreamCursor {
        StreamCursor {
            crc: yes.then_some(0),
            ..StreamCursor::default()
        }
    }

    /// crc32c of the entries read so far (see [`StreamCursor::checksummed`]).
    pub(crate) fn crc(&self) -> Option<u32> {
        self.crc
    }
}

impl Streamed {
    fn bad(&self, b: Bad) -> Error {
        match b {
            Bad::Corrupt(r) => Bad::Corrupt(format!("range deletion block: {r}")),
            Bad::Unsupported(r) => Bad::Unsupported(format!("range deletion block: {r}")),
        }
        .at(&self.path)
    }

    /// Makes `c.buf` hold the area bytes `[c.pos, c.pos + need)` (`need` within the area).
    fn fill(&self, c: &mut StreamCursor, need: usize) -> Result<(), Error> {
        let have_end = c.buf_start + c.buf.len();
        if c.buf_start <= c.pos && c.pos + need <= have_end {
            return Ok(());
        }
        let len = need.max(WINDOW).min(self.area_len - c.pos);
        c.buf.resize(len, 0);
        self.file
            .read_at(&mut c.buf, self.start + c.pos as u64)
            .map_err(|e| Error::Io {
                path: self.path.clone(),
                source: e,
            })?;
        c.buf_start = c.pos;
        Ok(())
    }

    /// The next tombstone `(begin, end, seq)` at the cursor, or None at the block's end.
    pub(crate) fn next(&self, c: &mut StreamCursor) -> Result<Option<OwnedTomb>, Error> {
        let avail = self.area_len.saturating_sub(c.pos);
        if avail == 0 {
            return Ok(None);
        }
        self.fill(c, avail.min(15))?;
        let at = c.pos - c.buf_start;
        let mut r = Reader::new(c.buf.get(at..).unwrap_or(&[]));
        let header = (|| -> Result<_, Bad> {
            let shared = r.varint32("entry shared length")? as usize;
            let non_shared = r.varint32("entry key length")? as usize;
            let value_len = r.varint32("entry value length")? as usize;
            Ok((shared, non_shared, value_len, r.pos()))
        })();
        let (shared, non_shared, value_len, head) = header.map_err(|b| self.bad(b))?;
        let total = head
            .checked_add(non_shared)
            .and_then(|t| t.checked_add(value_len))
            .filter(|&t| t <= avail)
            .ok_or_else(|| self.bad(Bad::corrupt("entry runs past the block")))?;
        self.fill(c, total)?;
        let at = c.pos - c.buf_start;
        let entry = c.buf.get(at..at + total).unwrap_or(&[]);
        if let Some(crc) = c.crc {
            c.crc = Some(crc32c::crc32c_append(crc, entry));
        }
        let delta = entry.get(head..head + non_shared).unwrap_or(&[]);
        let value = entry.get(head + non_shared..).unwrap_or(&[]);
        if shared > c.key.len() {
            return Err(self.bad(Bad::corrupt("shared key length exceeds previous key")));
        }
        c.key.truncate(shared);
        c.key.extend_from_slice(delta);
        let (begin, seq, kind) = split_internal_key(&c.key).map_err(|b| self.bad(b))?;
        if kind != Kind::RangeDeletion {
            return Err(self.bad(Bad::corrupt("non-range-deletion entry")));
        }
        let out = (begin.to_vec(), value.to_vec(), seq);
        c.pos += total;
        Ok(Some(out))
    }
}

/// Every `DeleteRange(begin, end)` of a database, with its sequence number.
#[derive(Debug)]
pub(crate) struct Tombstones {
    /// Buffer 0: begin and end keys copied one by one (WAL, rebuilt keys).
    arena: Vec<u8>,
    /// Buffers 1..: range-deletion blocks, whole.
    blocks: Vec<Vec<u8>>,
    /// Range-deletion blocks left in their files.
    streams: Vec<Streamed>,
    items: Vec<Tomb>,
    /// Sources (tables, WAL) that added tombstones; each adds them sorted.
    runs: usize,
    run_open: bool,
    /// `max_end[i]` = index of the item with the greatest end among
    /// `items[..=i]`, built on the first seek.
    max_end: std::sync::OnceLock<Vec<usize>>,
    /// True when each item ends at or before the next one begins (items sorted by begin;
    /// an item may be empty or inverted), decided on the first sweep: then only the last
    /// item begun at or before a key can cover it, and a sweep finds it by begin alone.
    disjoint: std::sync::OnceLock<bool>,
}

impl Default for Tombstones {
    fn default() -> Self {
        Tombstones {
            arena: crate::pool::take(),
            blocks: Vec::new(),
            streams: Vec::new(),
            items: Vec::new(),
            runs: 0,
            run_open: false,
            max_end: std::sync::OnceLock::new(),
            disjoint: std::sync::OnceLock::new(),
        }
    }
}

impl Drop for Tombstones {
    fn drop(&mut self) {
        crate::pool::give(std::mem::take(&mut self.arena));
        for b in self.blocks.drain(..) {
            crate::pool::give(b);
        }
    }
}

#[derive(Debug, Clone)]
struct Tomb {
    /// Which buffer `begin` and `end` are in: 0 the arena, i > 0 `blocks[i - 1]`.
    buf: usize,
    begin: Range<usize>,
    end: Range<usize>,
    seq: u64,
}

fn slice<'a>(buf: &'a [u8], r: &Range<usize>) -> &'a [u8] {
    buf.get(r.clone()).unwrap_or(&[])
}

/// Records the tombstones of one range-deletion block (see [`Tombstones::add_block`]).
pub(crate) struct BlockPusher<'a> {
    buf: usize,
    arena: &'a mut Vec<u8>,
    items: &'a mut Vec<Tomb>,
}

impl BlockPusher<'_> {
    /// `DeleteRange(block[begin], block[end])` at `seq`; nothing is copied. An
    /// empty range (RocksDB never writes one) is kept: it covers no key, as
    /// [`Tombstones::covers`] only takes tombstones with `begin <= key < end`.
    pub(crate) fn in_block(&mut self, begin: Range<usize>, end: Range<usize>, seq: u64) {
        self.items.push(Tomb {
            buf: self.buf,
            begin,
            end,
            seq,
        });
    }

    /// The number of tombstones pushed so far, of this block and before.
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    /// Forgets the tombstones pushed after the first `len` (a walk that starts over).
    pub(crate) fn truncate(&mut self, len: usize) {
        self.items.truncate(len);
    }

    /// A tombstone whose begin key is not stored whole in the block: both
    /// keys are copied to the arena.
    pub(crate) fn copied(&mut self, begin: &[u8], end: &[u8], seq: u64) {
        push_copy(self.arena, self.items, begin, end, seq);
    }
}

fn push_copy(arena: &mut Vec<u8>, items: &mut Vec<Tomb>, begin: &[u8], end: &[u8], seq: u64) {
    if begin >= end {
        return;
    }
    let b = arena.len();
    arena.extend_from_slice(begin);
    let e = arena.len();
    arena.extend_from_slice(end);
    items.push(Tomb {
        buf: 0,
        begin: b..e,
        end: e..arena.len(),
        seq,
    });
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
        let before = self.items.len();
        push_copy(&mut self.arena, &mut self.items, begin, end, seq);
        self.note_added(before);
    }

    /// Adds the tombstones of one range-deletion block, in begin order:
    /// `walk` reads `block` and hands each tombstone to the pusher, which
    /// keeps ranges into the block; the block is kept as long as `self`.
    pub(crate) fn add_block<E>(
        &mut self,
        block: Vec<u8>,
        walk: impl FnOnce(&[u8], &mut BlockPusher<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let before = self.items.len();
        let mut pusher = BlockPusher {
            buf: self.blocks.len() + 1,
            arena: &mut self.arena,
            items: &mut self.items,
        };
        let res = walk(&block, &mut pusher);
        if self.items.len() > before {
            self.blocks.push(block);
        } else {
            crate::pool::give(block);
        }
        self.note_added(before);
        res
    }

    /// A tombstone as a block holds it (an empty range kept), after those of its source.
    #[cfg(test)]
    fn in_order_for_test(&mut self, begin: &[u8], end: &[u8], seq: u64) {
        let mut block = begin.to_vec();
        block.extend_from_slice(end);
        let (b, e) = (0..begin.len(), begin.len()..block.len());
        let res = self.add_block(block, |_, p| {
            p.in_block(b, e, seq);
            Ok::<(), ()>(())
        });
        assert!(res.is_ok());
    }

    /// Room for `n` more tombstones.
    pub(crate) fn reserve(&mut self, n: usize) {
        self.items.reserve(n);
    }

    /// Range-deletion blocks left in their files.
    pub(crate) fn streamed(&self) -> usize {
        self.streams.len()
    }

    /// Adds a range-deletion block left in its file (checked by the caller).
    pub(crate) fn add_stream(&mut self, s: Streamed) {
        self.streams.push(s);
    }

    fn note_added(&mut self, before: usize) {
        if self.items.len() > before && !self.run_open {
            self.run_open = true;
            self.runs += 1;
        }
    }

    fn buf(&self, i: usize) -> &[u8] {
        match i {
            0 => &self.arena,
            i => self.blocks.get(i - 1).map_or(&[], |b| b),
        }
    }

    fn begin_of_item(&self, t: &Tomb) -> &[u8] {
        slice(self.buf(t.buf), &t.begin)
    }

    fn end_of_item(&self, t: &Tomb) -> &[u8] {
        slice(self.buf(t.buf), &t.end)
    }

    /// Sorts by begin key (a no-op for the common single source).
    pub(crate) fn finish(&mut self) {
        if self.runs > 1 {
            let mut items = std::mem::take(&mut self.items);
            items.sort_by(|a, b| self.begin_of_item(a).cmp(self.begin_of_item(b)));
            self.items = items;
            self.runs = 1;
        }
    }

    fn end_of(&self, i: usize) -> &[u8] {
        self.items.get(i).map_or(&[], |t| self.end_of_item(t))
    }

    /// First item index whose tombstone, or a later one, may cover `key`:
    /// every item before it ends at or before `key`.
    fn first_relevant(&self, key: &[u8]) -> usize {
        // When at most half the tombstones begin at or before `key`, the sweep passing
        // them one by one costs less than building the table of greatest ends (one
        // comparison per tombstone) to skip some of them
        let begun = self.items.partition_point(|t| self.begin_of_item(t) <= key);
        if begun <= self.items.len() / 2 && self.max_end.get().is_none() {
            return 0;
        }
        let max_end = self.max_end.get_or_init(|| {
            let mut out = Vec::with_capacity(self.items.len());
            let mut best = (0usize, &[][..]);
            for (i, t) in self.items.iter().enumerate() {
                let end = self.end_of_item(t);
                if i == 0 || end > best.1 {
                    best = (i, end);
                }
                out.push(best.0);
            }
            out
        });
        max_end.partition_point(|&j| self.end_of(j) <= key)
    }

    /// See [`Tombstones::disjoint`] (the field). Aim writes a tombstone over each key it
    /// sets, just before setting it: the tombstones of its chunks are disjoint. One
    /// comparison a tombstone, once.
    fn is_disjoint(&self) -> bool {
        *self.disjoint.get_or_init(|| {
            if !self.streams.is_empty() {
                return false;
            }
            let bufs: Vec<&[u8]> = (0..=self.blocks.len()).map(|i| self.buf(i)).collect();
            let mut prev_end: &[u8] = &[];
            self.items.iter().all(|t| {
                let buf = bufs.get(t.buf).copied().unwrap_or_default();
                let ok = prev_end <= slice(buf, &t.begin);
                prev_end = slice(buf, &t.end);
                ok
            })
        })
    }

    /// [`Tombstones::covers`] of disjoint tombstones: `begun` counts the items begun at or
    /// before the last key (its last is the one item that can cover it), moved on by
    /// galloping (keys never go back), so a sweep that seeks far ahead passes the
    /// tombstones in between in O(log) steps.
    fn covers_disjoint(&self, begun: &mut usize, key: &[u8], seq: u64) -> bool {
        let has_begun = |i: usize| {
            self.items
                .get(i)
                .is_some_and(|t| self.begin_of_item(t) <= key)
        };
        if has_begun(*begun) {
            // gallop: a bracket from begun to not begun, then a binary search within it
            let mut lo = *begun + 1;
            let mut step = 1usize;
            let mut hi = lo;
            while has_begun(hi) {
                lo = hi + 1;
                hi = hi.saturating_add(step).min(self.items.len());
                step = step.saturating_mul(2);
            }
            let span = self.items.get(lo..hi).unwrap_or(&[]);
            *begun = lo + span.partition_point(|t| self.begin_of_item(t) <= key);
        }
        begun
            .checked_sub(1)
            .and_then(|i| self.items.get(i))
            .is_some_and(|t| key < self.end_of_item(t) && t.seq > seq)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty() && self.streams.is_empty()
    }

    /// True if a tombstone newer than `seq` covers `key`. Successive calls
    /// with the same `sweep` must pass non-decreasing keys.
    pub(crate) fn covers(&self, sweep: &mut Sweep, key: &[u8], seq: u64) -> Result<bool, Error> {
        let Sweep {
            started,
            next,
            active,
            cursors,
            owned,
            free,
        } = sweep;
        if self.is_disjoint() {
            return Ok(self.covers_disjoint(next, key, seq));
        }
        if !*started {
            *started = true;
            // skip the tombstones that end before the first key (a prefix seek)
            if self
                .items
                .first()
                .is_some_and(|t| self.begin_of_item(t) < key)
            {
                *next = self.first_relevant(key);
            }
            cursors.clear();
            cursors.resize_with(self.streams.len(), StreamCursor::default);
        }
        while let Some(t) = self.items.get(*next) {
            if self.begin_of_item(t) > key {
                break;
            }
            if self.end_of_item(t) > key {
                active.push((t.seq, *next));
            }
            *next += 1;
        }
        // streamed blocks: read on to the first tombstone beginning after `key` (from the
        // block's start on the first call: those ending before `key` are not kept)
        for (s, c) in self.streams.iter().zip(cursors.iter_mut()) {
            loop {
                if c.pending.is_none() && !c.done {
                    c.pending = s.next(c)?;
                    c.done = c.pending.is_none();
                }
                let Some((begin, _, _)) = &c.pending else {
                    break;
                };
                if begin.as_slice() > key {
                    break;
                }
                if let Some((_, end, tseq)) = c.pending.take() {
                    if end.as_slice() > key {
                        let slot = match free.pop() {
                            Some(i) => {
                                if let Some(e) = owned.get_mut(i) {
                                    *e = end;
                                }
                                i
                            }
                            None => {
                                owned.push(end);
                                owned.len() - 1
                            }
                        };
                        active.push((tseq, OWNED + slot));
                    }
                }
            }
        }
        // The newest tombstone seen so far is on top; one that ended before `key` has
        // ended for every later key too, so it is dropped for good. Each tombstone is
        // pushed and popped once: a scan stays O((keys + tombstones) log tombstones)
        // however many tombstones overlap.
        while let Some(&(tseq, i)) = active.peek() {
            let end = match i.checked_sub(OWNED) {
                Some(slot) => owned.get(slot).map_or(&[][..], |e| e.as_slice()),
                None => self.items.get(i).map_or(&[][..], |t| self.end_of_item(t)),
            };
            if end > key {
                return Ok(tseq > seq);
            }
            active.pop();
            if let Some(slot) = i.checked_sub(OWNED) {
                if let Some(e) = owned.get_mut(slot) {
                    *e = Vec::new();
                }
                free.push(slot);
            }
        }
        Ok(false)
    }
}

/// Ids of [`Sweep::active`] from here on are slots of [`Sweep::owned`] (a streamed
/// tombstone, whose end key the sweep keeps), below it indices of held items.
const OWNED: usize = usize::MAX / 2;

/// The forward-only position of one iterator among the tombstones.
#[derive(Debug, Default)]
pub(crate) struct Sweep {
    started: bool,
    next: usize,
    /// (seq, id) of the tombstones begun at or before the last key, newest
    /// on top; some may have ended (dropped when they reach the top).
    active: std::collections::BinaryHeap<(u64, usize)>,
    /// Positions in the streamed blocks.
    cursors: Vec<StreamCursor>,
    /// End keys of the streamed tombstones in `active` (empty when free).
    owned: Vec<Vec<u8>>,
    free: Vec<usize>,
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
                    set.covers(&mut sweep, key.as_bytes(), seq).unwrap(),
                    naive,
                    "key {key} seq {seq}"
                );
            }
        }
        // a sweep that starts in the middle (prefix iteration) sees earlier wide tombstones
        let mut sweep = Sweep::default();
        assert!(set.covers(&mut sweep, b"e", 9).unwrap());
        assert!(!set.covers(&mut sweep, b"g", 5).unwrap());
        assert!(set.covers(&mut sweep, b"g", 4).unwrap());
        for seq in [0, 4, 5, 9, 10, 19, 20] {
            for start in keys {
                let mut sweep = Sweep::default();
                for key in keys.iter().filter(|k| **k >= start) {
                    let naive = ts
                        .iter()
                        .any(|(b, e, s)| *b <= key.as_bytes() && key.as_bytes() < *e && *s > seq);
                    assert_eq!(set.covers(&mut sweep, key.as_bytes(), seq).unwrap(), naive);
                }
            }
        }
        let mut empty = Tombstones::default();
        empty.push(b"x", b"x", 1);
        empty.finish();
        assert!(empty.is_empty());
    }

    #[test]
    fn block_tombstones_kept_in_place_match_naive() {
        // two "tables" (one stores every key whole, one rebuilds keys from shared
        // prefixes, which are copied) and a WAL tombstone, as Db::open adds them
        let a = [("b", "f", 10u64), ("d", "h", 5), ("m", "p", 3)];
        let b = [
            ("a", "c", 20u64),
            ("c", "c", 7),
            ("e", "g", 8),
            ("x", "z", 1),
        ];
        let wal = ("g", "n", 4u64);
        let mut set = Tombstones::default();
        for (table, whole) in [(&a[..], true), (&b[..], false)] {
            set.new_source();
            // a block: [begin][end] pairs back to back; ranges point into it
            let mut block = crate::pool::take();
            let mut spans = Vec::new();
            for (bg, en, s) in table {
                let b0 = block.len();
                block.extend_from_slice(bg.as_bytes());
                let e0 = block.len();
                block.extend_from_slice(en.as_bytes());
                spans.push((b0..e0, e0..block.len(), *s));
            }
            set.add_block(block, |blk, pusher| {
                for (br, er, s) in spans {
                    if whole {
                        pusher.in_block(br, er, s);
                    } else {
                        pusher.copied(&blk[br], &blk[er], s);
                    }
                }
                Ok::<(), ()>(())
            })
            .unwrap();
        }
        set.new_source();
        set.push(wal.0.as_bytes(), wal.1.as_bytes(), wal.2);
        set.finish();
        let all: Vec<_> = a.iter().chain(&b).chain([&wal]).collect();
        for seq in [0, 2, 4, 5, 8, 10, 20, 21] {
            for start in ["", "c", "g", "y"] {
                let mut sweep = Sweep::default();
                for k in [
                    "", "a", "b", "c", "d", "e", "f", "g", "h", "m", "n", "o", "x", "y", "z",
                ] {
                    if k < start {
                        continue;
                    }
                    let naive = all
                        .iter()
                        .any(|(bg, en, s)| *bg <= k && k < *en && *s > seq);
                    assert_eq!(
                        set.covers(&mut sweep, k.as_bytes(), seq).unwrap(),
                        naive,
                        "key {k} seq {seq} from {start}"
                    );
                }
            }
        }
        // an empty or inverted range in a block covers nothing
        let mut set = Tombstones::default();
        set.add_block(b"bbbca".to_vec(), |_, pusher| {
            pusher.in_block(0..1, 1..2, 9); // [b, b)
            pusher.in_block(2..4, 4..5, 9); // [bc, a)
            Ok::<(), ()>(())
        })
        .unwrap();
        set.finish();
        let mut sweep = Sweep::default();
        for k in ["", "a", "b", "bc", "c"] {
            assert!(!set.covers(&mut sweep, k.as_bytes(), 0).unwrap(), "{k}");
        }
        // a block that adds nothing is not kept
        let mut none = Tombstones::default();
        none.add_block(b"xx".to_vec(), |_, _| Ok::<(), ()>(()))
            .unwrap();
        none.finish();
        assert!(none.is_empty());
        assert!(none.blocks.is_empty());
    }

    #[test]
    fn many_overlapping_tombstones_match_naive() {
        // deterministic pseudo-random ranges over 2-byte keys, many
        // overlapping (the case a per-key scan of the active set made quadratic)
        let mut next = xorshift(0x2545_f491_4f6c_dd1d);
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
                assert_eq!(
                    set.covers(&mut sweep, &key, seq).unwrap(),
                    covered(&ts, &key, seq),
                    "key {k} seq {seq}"
                );
            }
        }
    }

    /// A deterministic pseudo-random sequence (xorshift64) from `seed` (not 0).
    fn xorshift(mut x: u64) -> impl FnMut() -> u64 {
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    type Tomb2 = ([u8; 2], [u8; 2], u64);

    /// The answer by definition: a tombstone newer than `seq` with `begin <= key < end`.
    fn covered(ts: &[Tomb2], key: &[u8], seq: u64) -> bool {
        ts.iter()
            .any(|(b, e, s)| b.as_slice() <= key && key < e.as_slice() && *s > seq)
    }

    /// `ts` (in begin order) as one table's block, or as a block a tombstone.
    fn one_source(ts: &[Tomb2], one_block: bool) -> Tombstones {
        let mut set = Tombstones::default();
        set.new_source();
        if one_block {
            let mut block = Vec::new();
            let mut spans = Vec::new();
            for (b, e, s) in ts {
                block.extend_from_slice(b);
                block.extend_from_slice(e);
                let at = block.len() - 4;
                spans.push((at..at + 2, at + 2..at + 4, *s));
            }
            let res = set.add_block(block, |_, pusher| {
                for (b, e, s) in spans {
                    pusher.in_block(b, e, s);
                }
                Ok::<(), ()>(())
            });
            assert!(res.is_ok());
        } else {
            for (b, e, s) in ts {
                set.in_order_for_test(b, e, *s);
            }
        }
        set.finish();
        set
    }

    #[test]
    fn disjoint_tombstones_match_naive() {
        // Aim's pattern: a tombstone over each key just before it is set, so the tombstones
        // are disjoint (some empty, some touching, one inverted); the sweep gallops
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        let mut ts: Vec<Tomb2> = Vec::new();
        let mut at = 3u16;
        while at < 900 {
            let len = (next() % 7) as u16; // 0: an empty range
            if len == 6 {
                // an inverted range (RocksDB never writes one): it covers nothing
                ts.push((at.to_be_bytes(), (at - 2).to_be_bytes(), next() % 1000));
                at += 1;
                continue;
            }
            ts.push((at.to_be_bytes(), (at + len).to_be_bytes(), next() % 1000));
            at += len + (next() % 4) as u16; // 0: touching the next one
        }
        // one overlap anywhere (in begin order) and the general sweep takes over
        let wide: Tomb2 = ([0x01, 0x00], [0x01, 0x90], 999);
        let mut overlapping = ts.clone();
        let pos = overlapping.partition_point(|t| t.0 <= wide.0);
        overlapping.insert(pos, wide);
        for one_block in [true, false] {
            for (ts, disjoint) in [(&ts, true), (&overlapping, false)] {
                let set = one_source(ts, one_block);
                assert_eq!(set.is_disjoint(), disjoint, "one block: {one_block}");
                for start in [0u16, 1, 200, 555, 899] {
                    for stride in [1u16, 2, 7, 40, 300] {
                        let mut sweep = Sweep::default();
                        let mut k = start;
                        while k < 920 {
                            let key = k.to_be_bytes();
                            let seq = next() % 1000;
                            let naive = covered(ts, &key, seq);
                            assert_eq!(
                                set.covers(&mut sweep, &key, seq).unwrap(),
                                naive,
                                "key {k} seq {seq} from {start} by {stride}, disjoint {disjoint}"
                            );
                            // the same key again (another version of it), then a seek ahead
                            assert_eq!(set.covers(&mut sweep, &key, seq).unwrap(), naive);
                            k += 1 + (next() % u64::from(stride)) as u16;
                        }
                    }
                }
            }
        }
    }
}
