//! Block-based table (SST) reader: footer, meta blocks, index in memory,
//! data blocks read on demand with positioned reads.

use std::fs::File;
use std::path::PathBuf;

use crate::error::{io_err, Error};
use crate::format::block::{
    decode_entries, decode_index, unwrap_block_into, walk_entries, walk_entries_raw,
    whole_key_entries, EntryKey,
};
use crate::format::coding::unmask_crc;
use crate::format::coding::{decode_fixed32, Reader};
use crate::format::footer::{decode_footer, BlockHandle, BLOCK_TRAILER_LEN, NEW_FOOTER_LEN};
use crate::format::footer::{CHECKSUM_CRC32C, CHECKSUM_NONE};
use crate::format::internal_key::{split_internal_key, split_trailer, Kind};
use crate::format::Bad;
use crate::range_del::{StreamCursor, Streamed, Tombstones};

/// Where a table's bytes come from.
#[derive(Debug)]
pub(crate) enum Backing {
    /// An open file, read with positioned reads.
    File(File),
    /// The whole table in memory (fuzzing and tests, see [`crate::bytes`]).
    Mem(Vec<u8>),
}

impl Backing {
    pub(crate) fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        match self {
            Backing::File(f) => read_at(f, buf, offset),
            Backing::Mem(m) => {
                let src = usize::try_from(offset)
                    .ok()
                    .and_then(|o| Some(o..o.checked_add(buf.len())?))
                    .and_then(|r| m.get(r))
                    .ok_or(std::io::ErrorKind::UnexpectedEof)?;
                buf.copy_from_slice(src);
                Ok(())
            }
        }
    }
}

/// An open SST file.
#[derive(Debug)]
pub(crate) struct Table {
    pub(crate) path: PathBuf,
    file: std::sync::Arc<Backing>,
    file_len: u64,
    checksum: u8,
    /// (user-key part of the separator, data block handle), sorted.
    pub(crate) index: Vec<(Vec<u8>, BlockHandle)>,
    /// The range-deletion block, read by [`Table::load_range_del`].
    range_del: Option<BlockHandle>,
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.read_exact_at(buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, offset) {
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Table properties the reader cares about.
#[derive(Debug, Default)]
struct Props {
    index_key_is_user_key: bool,
    index_value_is_delta_encoded: bool,
}

impl Table {
    /// Open an SST and load its index; its range tombstones are added by
    /// [`Table::load_range_del`].
    pub(crate) fn open(path: PathBuf) -> Result<Table, Error> {
        let (file, file_len) = crate::file::open_regular(&path).map_err(|e| io_err(&path, e))?;
        Table::open_backing(path, Backing::File(file), file_len)
    }

    /// [`Table::open`] on a whole table held in memory; `path` is only
    /// used in messages.
    pub(crate) fn from_bytes(path: PathBuf, data: Vec<u8>) -> Result<Table, Error> {
        let len = data.len() as u64;
        Table::open_backing(path, Backing::Mem(data), len)
    }

    fn open_backing(path: PathBuf, file: Backing, file_len: u64) -> Result<Table, Error> {
        let tail_len = file_len.min(NEW_FOOTER_LEN as u64);
        let mut tail = vec![0u8; tail_len as usize];
        file.read_at(&mut tail, file_len - tail_len)
            .map_err(|e| io_err(&path, e))?;
        let footer = decode_footer(&tail).map_err(|b| b.at(&path))?;
        let mut table = Table {
            path,
            file: std::sync::Arc::new(file),
            file_len,
            checksum: footer.checksum,
            index: Vec::new(),
            range_del: None,
        };
        let meta = table.read_block(footer.metaindex)?;
        let meta = decode_entries(&meta).map_err(|b| table.bad(b, "metaindex block"))?;
        let mut props = Props::default();
        let mut range_del = None;
        for (name, handle) in &meta {
            let handle =
                BlockHandle::decode_from(handle).map_err(|b| table.bad(b, "metaindex block"))?;
            match name.as_slice() {
                b"rocksdb.properties" => props = table.read_properties(handle)?,
                b"rocksdb.range_del" => range_del = Some(handle),
                _ => {} // filters, compression dictionary (unused by snappy), hash index prefixes
            }
        }
        let index = table.read_block(footer.index)?;
        let index = decode_index(&index, props.index_value_is_delta_encoded)
            .map_err(|b| table.bad(b, "index block"))?;
        let mut user_index = Vec::with_capacity(index.len());
        // Data blocks are written one after the other: an index whose handles
        // go back or overlap is damaged, and would make a scan read the same
        // bytes over and over (time quadratic in the file size).
        let mut next_free = 0u64;
        for (key, handle) in index {
            if handle.offset < next_free {
                return Err(table.bad(
                    Bad::corrupt(format!(
                        "data block handle (offset {}, size {}) overlaps the previous block",
                        handle.offset, handle.size
                    )),
                    "index block",
                ));
            }
            next_free = handle
                .offset
                .saturating_add(handle.size)
                .saturating_add(BLOCK_TRAILER_LEN);
            let uk = if props.index_key_is_user_key {
                key
            } else {
                let (uk, _, _) =
                    split_internal_key(&key).map_err(|b| table.bad(b, "index block"))?;
                uk.to_vec()
            };
            user_index.push((uk, handle));
        }
        table.index = user_index;
        table.range_del = range_del;
        Ok(table)
    }

    /// Size of the range-deletion block (0 without one).
    fn range_del_len(&self) -> u64 {
        self.range_del.map_or(0, |h| h.size)
    }

    /// Adds the range tombstones of a database's `tables` (newest first), each its own
    /// source: held in memory, or all left in their files and streamed when together they
    /// pass `hold_limit` bytes (a chunk with a long uncompacted history; see
    /// [`crate::OpenOptions::tombstone_hold_limit`]).
    pub(crate) fn load_all_range_dels(
        tables: &[Table],
        hold_limit: usize,
        tombstones: &mut Tombstones,
    ) -> Result<(), Error> {
        let bytes: u64 = tables.iter().map(Table::range_del_len).sum();
        let stream = bytes > hold_limit as u64;
        for t in tables {
            tombstones.new_source();
            t.load_range_del(tombstones, stream)?;
        }
        Ok(())
    }

    /// Adds the table's range tombstones to `tombstones`: the block is left in the file
    /// and streamed when `stream` (and it can be: uncompressed), else read and held.
    fn load_range_del(&self, tombstones: &mut Tombstones, stream: bool) -> Result<(), Error> {
        let Some(h) = self.range_del else {
            return Ok(());
        };
        if stream {
            if let Some(s) = self.streamed_range_del(h) {
                tombstones.add_stream(s);
                return Ok(());
            }
        }
        let mut block = crate::pool::take();
        self.read_block_into(h, &mut block)?;
        // a tombstone takes some 60 bytes of block (two keys of a few tens of bytes)
        tombstones.reserve((block.len() / 64).min(1 << 16));
        tombstones
            .add_block(block, |block, pusher| {
                // RocksDB's own blocks: every key whole, read in one tight pass; anything
                // else (or anything wrong) is read, and reported, by the general walk
                let before = pusher.len();
                let whole = whole_key_entries(block, |key, end| {
                    let ikey = block.get(key.clone()).unwrap_or(&[]);
                    match split_trailer(ikey) {
                        Some((n, seq, Kind::RANGE_DELETION_TAG)) => {
                            pusher.in_block(key.start..key.start + n, end, seq);
                            true
                        }
                        _ => false,
                    }
                });
                if whole.is_some() {
                    return Ok(());
                }
                pusher.truncate(before);
                walk_entries_raw(block, |key, end| {
                    let ikey = match &key {
                        EntryKey::InBlock(r) => block.get(r.clone()).unwrap_or(&[]),
                        EntryKey::Rebuilt(k) => k,
                    };
                    let (begin, seq, kind) = split_internal_key(ikey)?;
                    if kind != Kind::RangeDeletion {
                        return Err(Bad::corrupt("non-range-deletion entry"));
                    }
                    match key {
                        // the user key is the internal key without its 8-byte trailer
                        EntryKey::InBlock(r) => {
                            pusher.in_block(r.start..r.start + begin.len(), end, seq)
                        }
                        EntryKey::Rebuilt(_) => {
                            pusher.copied(begin, block.get(end).unwrap_or(&[]), seq)
                        }
                    }
                    Ok(())
                })
            })
            .map_err(|b| self.bad(b, "range deletion block"))
    }

    /// A range-deletion block to be left in the file, after one pass over it here (a
    /// window at a time): every entry decodes, in begin order, and the checksum holds. None
    /// when it cannot or should not be streamed — compressed, with a data-block hash index,
    /// out of begin order (a sweep reads a stream once), or damaged in any way: the caller
    /// then reads it whole, which reports damage exactly as for a block held in memory.
    fn streamed_range_del(&self, h: BlockHandle) -> Option<Streamed> {
        let size = usize::try_from(h.size).ok()?;
        h.offset
            .checked_add(h.size)
            .and_then(|e| e.checked_add(BLOCK_TRAILER_LEN))
            .filter(|&e| e <= self.file_len)?;
        if size < 4 || !matches!(self.checksum, CHECKSUM_NONE | CHECKSUM_CRC32C) {
            return None;
        }
        // the block's last 4 bytes (restart count) and its trailer (type, checksum)
        let mut tail = [0u8; 9];
        self.file.read_at(&mut tail, h.offset + h.size - 4).ok()?;
        let num_restarts = decode_fixed32(&tail[..4])?;
        let (ctype, stored) = (tail[4], decode_fixed32(&tail[5..])?);
        if ctype != 0 || num_restarts & (1 << 31) != 0 {
            return None;
        }
        let area_len = (num_restarts as usize)
            .checked_mul(4)
            .and_then(|r| (size - 4).checked_sub(r))?;
        let s = Streamed {
            file: std::sync::Arc::clone(&self.file),
            path: self.path.clone(),
            start: h.offset,
            area_len,
        };
        let mut c = StreamCursor::checksummed(self.checksum == CHECKSUM_CRC32C);
        let mut prev: Vec<u8> = Vec::new();
        while let Some((begin, _, _)) = s.next(&mut c).ok()? {
            if begin < prev {
                return None;
            }
            prev = begin;
        }
        // the restart array, the restart count and the type byte: the checks of an ordinary
        // block's restart array (format::block::entry_area), and the end of the checksum
        let mut rest = vec![0u8; size + 1 - area_len];
        self.file
            .read_at(&mut rest, h.offset + area_len as u64)
            .ok()?;
        if (num_restarts == 0 && size > 4)
            || (num_restarts > 0 && rest.get(..4) != Some(&[0u8; 4][..]))
        {
            return None;
        }
        match c.crc() {
            Some(crc) if crc32c::crc32c_append(crc, &rest) != unmask_crc(stored) => None,
            _ => Some(s),
        }
    }

    fn bad(&self, b: Bad, what: &str) -> Error {
        match b {
            Bad::Corrupt(r) => Bad::Corrupt(format!("{what}: {r}")),
            Bad::Unsupported(r) => Bad::Unsupported(format!("{what}: {r}")),
        }
        .at(&self.path)
    }

    fn read_properties(&self, handle: BlockHandle) -> Result<Props, Error> {
        let block = self.read_block(handle)?;
        let entries = decode_entries(&block).map_err(|b| self.bad(b, "properties block"))?;
        let mut props = Props::default();
        let int = |v: &[u8]| {
            Reader::new(v)
                .varint64("property")
                .map_err(|b| self.bad(b, "properties block"))
        };
        for (k, v) in &entries {
            match k.as_slice() {
                b"rocksdb.comparator" if v.as_slice() != b"leveldb.BytewiseComparator" => {
                    return Err(Error::Unsupported {
                        path: self.path.clone(),
                        reason: format!("comparator {:?}", String::from_utf8_lossy(v)),
                    });
                }
                b"rocksdb.index.key.is.user.key" => props.index_key_is_user_key = int(v)? != 0,
                b"rocksdb.index.value.is.delta.encoded" => {
                    props.index_value_is_delta_encoded = int(v)? != 0
                }
                b"rocksdb.block.based.table.index.type" => {
                    let t = decode_fixed32(v).unwrap_or(u32::MAX);
                    // 0 = binary search, 1 = hash search (binary index + extra meta)
                    if t > 1 {
                        return Err(Error::Unsupported {
                            path: self.path.clone(),
                            reason: format!("index type {t} (only binary search supported)"),
                        });
                    }
                }
                b"rocksdb.external_sst_file.version" => {
                    return Err(Error::Unsupported {
                        path: self.path.clone(),
                        reason: "ingested external SST file (global sequence number)".into(),
                    });
                }
                _ => {}
            }
        }
        Ok(props)
    }

    /// Read, verify and decompress one block.
    fn read_block(&self, h: BlockHandle) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        self.read_block_into(h, &mut out)?;
        Ok(out)
    }

    /// [`Table::read_block`] into a caller's buffer (replacing its contents).
    fn read_block_into(&self, h: BlockHandle, out: &mut Vec<u8>) -> Result<(), Error> {
        let total = h.size.checked_add(BLOCK_TRAILER_LEN);
        let end = total.and_then(|t| h.offset.checked_add(t));
        let (total, in_file) = match (total, end) {
            (Some(t), Some(e)) if e <= self.file_len => (t, true),
            _ => (0, false),
        };
        if !in_file {
            return Err(Error::Corruption {
                path: self.path.clone(),
                reason: format!(
                    "block handle (offset {}, size {}) outside file of {} bytes",
                    h.offset, h.size, self.file_len
                ),
            });
        }
        let mut raw = crate::pool::take_len(total as usize);
        let res = self
            .file
            .read_at(&mut raw, h.offset)
            .map_err(|e| io_err(&self.path, e))
            .and_then(|()| {
                unwrap_block_into(&mut raw, self.checksum, h.offset, out)
                    .map_err(|b| b.at(&self.path))
            });
        crate::pool::give(raw);
        res
    }

    /// Read and decode data block number `i` of the index.
    pub(crate) fn data_block(&self, i: usize, out: &mut DataBlock) -> Result<(), Error> {
        out.clear();
        let Some(&(_, handle)) = self.index.get(i) else {
            return Ok(());
        };
        self.read_block_into(handle, &mut out.data)?;
        let DataBlock { data, keys, ents } = out;
        walk_entries(data, |ikey, value| {
            let (uk, seq, kind) = split_internal_key(ikey)?;
            if kind == Kind::RangeDeletion {
                return Err(Bad::corrupt("range deletion in data block"));
            }
            let start = keys.len();
            keys.extend_from_slice(uk);
            ents.push(Ent {
                key: start..keys.len(),
                value,
                seq,
                kind,
            });
            Ok(())
        })
        .map_err(|b| self.bad(b, &format!("data block at offset {}", handle.offset)))
    }
}

/// One entry of a decoded data block: ranges into [`DataBlock`]'s buffers.
#[derive(Debug, Clone)]
pub(crate) struct Ent {
    key: std::ops::Range<usize>,
    value: std::ops::Range<usize>,
    pub(crate) seq: u64,
    pub(crate) kind: Kind,
}

/// A decoded data block: the block bytes, the user keys rebuilt into one
/// buffer, and the entries pointing into both. Reused from block to block.
#[derive(Debug)]
pub(crate) struct DataBlock {
    data: Vec<u8>,
    keys: Vec<u8>,
    ents: Vec<Ent>,
}

impl Default for DataBlock {
    fn default() -> Self {
        DataBlock {
            data: crate::pool::take(),
            keys: crate::pool::take(),
            ents: Vec::new(),
        }
    }
}

impl Drop for DataBlock {
    fn drop(&mut self) {
        crate::pool::give(std::mem::take(&mut self.data));
        crate::pool::give(std::mem::take(&mut self.keys));
    }
}

impl DataBlock {
    fn clear(&mut self) {
        self.data.clear();
        self.keys.clear();
        self.ents.clear();
    }

    pub(crate) fn len(&self) -> usize {
        self.ents.len()
    }

    pub(crate) fn ent(&self, i: usize) -> Option<&Ent> {
        self.ents.get(i)
    }

    pub(crate) fn key(&self, e: &Ent) -> &[u8] {
        self.keys.get(e.key.clone()).unwrap_or(&[])
    }

    pub(crate) fn value(&self, e: &Ent) -> &[u8] {
        self.data.get(e.value.clone()).unwrap_or(&[])
    }

    /// Index of the first entry whose key is not less than `key`.
    pub(crate) fn lower_bound(&self, key: &[u8]) -> usize {
        self.ents.partition_point(|e| self.key(e) < key)
    }
}
