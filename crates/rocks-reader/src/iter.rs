//! Merging iteration: one cursor ([`Source`]) per memtable and table, merged in key order,
//! newest version first, with deletions and range tombstones applied.

use crate::db::{Db, Entry};
use crate::error::Error;
use crate::format::internal_key::Kind;
use crate::range_del::Sweep;
use crate::table::{DataBlock, Table};

/// Cursor over one source (memtable or one table), positioned on its
/// current entry (or exhausted).
enum Source<'a> {
    Mem {
        entries: &'a [Entry],
        pos: usize,
    },
    Table {
        table: &'a Table,
        next_block: usize,
        block: DataBlock,
        pos: usize,
    },
}

impl Source<'_> {
    /// (user key, seq, kind) of the current entry.
    fn head(&self) -> Option<(&[u8], u64, Kind)> {
        match self {
            Source::Mem { entries, pos } => {
                entries.get(*pos).map(|e| (e.key.as_slice(), e.seq, e.kind))
            }
            Source::Table { block, pos, .. } => {
                block.ent(*pos).map(|e| (block.key(e), e.seq, e.kind))
            }
        }
    }

    fn value(&self) -> &[u8] {
        match self {
            Source::Mem { entries, pos } => entries.get(*pos).map_or(&[], |e| e.value.as_slice()),
            Source::Table { block, pos, .. } => block.ent(*pos).map_or(&[], |e| block.value(e)),
        }
    }

    /// Move to the next entry, reading the next data block when needed.
    fn advance(&mut self) -> Result<(), Error> {
        match self {
            Source::Mem { pos, .. } => *pos += 1,
            Source::Table { pos, .. } => *pos += 1,
        }
        self.fill()
    }

    /// Move forward to the first entry with key >= `target` (never back).
    fn seek(&mut self, target: &[u8]) -> Result<(), Error> {
        match self {
            Source::Mem { entries, pos } => {
                *pos = (*pos).max(entries.partition_point(|e| e.key.as_slice() < target));
            }
            Source::Table {
                table,
                next_block,
                block,
                pos,
            } => {
                let in_block = block
                    .ent(block.len().saturating_sub(1))
                    .is_some_and(|last| block.key(last) >= target);
                if !in_block {
                    // the first block whose separator is >= target
                    let first = table.index.partition_point(|(k, _)| k.as_slice() < target);
                    if first >= *next_block {
                        *next_block = first;
                        *pos = block.len(); // used up: fill() reads next_block
                        self.fill()?;
                    }
                }
                if let Source::Table { block, pos, .. } = self {
                    *pos = (*pos).max(block.lower_bound(target));
                }
            }
        }
        self.fill()
    }

    /// If the current block is used up, read blocks until one has entries
    /// (or the table ends).
    fn fill(&mut self) -> Result<(), Error> {
        if let Source::Table {
            table,
            next_block,
            block,
            pos,
        } = self
        {
            while *pos >= block.len() && *next_block < table.index.len() {
                table.data_block(*next_block, block)?;
                *next_block += 1;
                *pos = 0;
            }
        }
        Ok(())
    }
}

/// Streaming iterator over live key/value pairs (see [`Db::iter`]).
///
/// Use it either as an [`Iterator`] of owned pairs, or allocation-free:
/// `while it.advance()? { use(it.key(), it.value()) }`. After an error it
/// ends.
pub struct DbIter<'a> {
    db: &'a Db,
    prefix: Vec<u8>,
    cursors: Vec<Source<'a>>,
    started: bool,
    done: bool,
    /// Key of the entry last decided (yielded, deleted or shadowed).
    last_key: Vec<u8>,
    has_last: bool,
    /// The cursor positioned on the entry last yielded.
    current: Option<usize>,
    sweep: Sweep,
}

impl<'a> DbIter<'a> {
    pub(crate) fn new(db: &'a Db, prefix: Vec<u8>) -> Self {
        DbIter {
            db,
            prefix,
            cursors: Vec::new(),
            started: false,
            done: false,
            last_key: Vec::new(),
            has_last: false,
            current: None,
            sweep: Sweep::default(),
        }
    }

    /// Position every source on its first entry with key >= `target`.
    fn start(&mut self, target: &[u8]) -> Result<(), Error> {
        let mem_pos = self.db.mem.partition_point(|e| e.key.as_slice() < target);
        let mut cursors = vec![Source::Mem {
            entries: &self.db.mem,
            pos: mem_pos,
        }];
        for t in &self.db.tables {
            let mut src = Source::Table {
                table: t,
                next_block: 0,
                block: DataBlock::default(),
                pos: 0,
            };
            src.seek(target)?;
            cursors.push(src);
        }
        self.cursors = cursors;
        Ok(())
    }

    /// Moves forward so that the next [`DbIter::advance`] lands on the first
    /// live pair with key >= `target` (within the prefix). Never moves back:
    /// a target before the current position changes nothing. Cheap when the
    /// target is in a block already read.
    pub fn seek(&mut self, target: &[u8]) -> Result<(), Error> {
        if self.done {
            return Ok(());
        }
        let target = if target < self.prefix.as_slice() {
            self.prefix.clone()
        } else {
            target.to_vec()
        };
        let res = if !self.started {
            self.started = true;
            self.start(&target)
        } else {
            if let Some(c) = self.current.take().and_then(|i| self.cursors.get_mut(i)) {
                c.advance()?;
            }
            self.cursors.iter_mut().try_for_each(|c| c.seek(&target))
        };
        if res.is_err() {
            self.done = true;
        }
        res
    }

    /// Moves to the next live pair; false at the end.
    pub fn advance(&mut self) -> Result<bool, Error> {
        if self.done {
            return Ok(false);
        }
        match self.step() {
            Ok(true) => Ok(true),
            Ok(false) => {
                self.done = true;
                Ok(false)
            }
            Err(e) => {
                self.done = true;
                Err(e)
            }
        }
    }

    /// Key of the current pair (after [`DbIter::advance`] returned true).
    pub fn key(&self) -> &[u8] {
        &self.last_key
    }

    /// Value of the current pair (after [`DbIter::advance`] returned true).
    pub fn value(&self) -> &[u8] {
        self.current
            .and_then(|i| self.cursors.get(i))
            .map_or(&[], |c| c.value())
    }

    fn step(&mut self) -> Result<bool, Error> {
        if !self.started {
            self.started = true;
            let prefix = std::mem::take(&mut self.prefix);
            let res = self.start(&prefix);
            self.prefix = prefix;
            res?;
        }
        loop {
            if let Some(c) = self.current.take().and_then(|i| self.cursors.get_mut(i)) {
                c.advance()?;
            }
            // Smallest (key asc, seq desc, source rank asc).
            let mut best: Option<(usize, &[u8], u64, Kind)> = None;
            for (i, c) in self.cursors.iter().enumerate() {
                let Some((key, seq, kind)) = c.head() else {
                    continue;
                };
                if best.is_none_or(|(_, bk, bs, _)| key.cmp(bk).then(bs.cmp(&seq)).is_lt()) {
                    best = Some((i, key, seq, kind));
                }
            }
            let Some((i, key, seq, kind)) = best else {
                return Ok(false);
            };
            // From here on the winning cursor must be advanced before the next pick.
            let shadowed = self.has_last && self.last_key.as_slice() == key;
            if shadowed {
                self.current = Some(i);
                continue; // older version of a key already decided
            }
            if !key.starts_with(&self.prefix) {
                return Ok(false);
            }
            self.last_key.clear();
            self.last_key.extend_from_slice(key);
            self.has_last = true;
            self.current = Some(i);
            if !self.db.tombstones.is_empty()
                && self
                    .db
                    .tombstones
                    .covers(&mut self.sweep, &self.last_key, seq)?
            {
                continue;
            }
            match kind {
                Kind::Value => return Ok(true),
                Kind::Deletion | Kind::SingleDeletion | Kind::RangeDeletion => continue,
                Kind::Merge => {
                    return Err(Error::Unsupported {
                        path: self.db.path.clone(),
                        reason: "merge operand (no merge operator support)".into(),
                    })
                }
                Kind::BlobIndex => {
                    return Err(Error::Unsupported {
                        path: self.db.path.clone(),
                        reason: "blob index value (BlobDB)".into(),
                    })
                }
            }
        }
    }
}

impl Iterator for DbIter<'_> {
    type Item = Result<(Vec<u8>, Vec<u8>), Error>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.advance() {
            Ok(true) => Some(Ok((self.key().to_vec(), self.value().to_vec()))),
            Ok(false) => None,
            Err(e) => Some(Err(e)),
        }
    }
}
