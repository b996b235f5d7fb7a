//! The decoders on bytes in memory instead of files: one entry point per
//! on-disk structure, for the fuzz targets (`fuzz/`) and the regression
//! tests that replay their findings. They run exactly the code
//! [`crate::Db::open`] and [`crate::Db::iter`] run on files; errors name the
//! pseudo path `<memory>`.
//!
//! Every function must return (`Ok` or `Err`) on any input, without
//! panicking, hanging, or allocating much more than the input's size.

use std::path::{Path, PathBuf};

use crate::db::{apply_manifest, replay_wal, Db, Entry};
use crate::format::block::{decode_entries, decode_index, unwrap_block_into, walk_entries};
use crate::format::footer::decode_footer;
use crate::format::internal_key::split_internal_key;
use crate::format::log::read_records;
use crate::format::version_edit::decode_version_edit;
use crate::format::write_batch::decode_batch;
use crate::range_del::Tombstones;
use crate::table::Table;
use crate::{Error, OpenOptions};

/// The path named in errors.
pub const MEMORY: &str = "<memory>";

fn mem_path() -> PathBuf {
    PathBuf::from(MEMORY)
}

/// Counts the live pairs of `db`, checking they come in strictly ascending
/// key order, and looks the middle one up again with [`Db::get`].
fn scan(db: &Db) -> Result<usize, Error> {
    let mut n = 0usize;
    let mut prev: Option<Vec<u8>> = None;
    let mut it = db.iter();
    while it.advance()? {
        if prev.as_deref().is_some_and(|p| p >= it.key()) {
            return Err(Error::Corruption {
                path: mem_path(),
                reason: "iterator went backwards".into(),
            });
        }
        prev = Some(it.key().to_vec());
        n += 1;
    }
    if let Some(k) = prev {
        db.get(&k)?;
        let mut it = db.prefix_iter(k.get(..k.len() / 2).unwrap_or(&[]));
        it.seek(&k)?;
        while it.advance()? {}
    }
    Ok(n)
}

/// A whole SST file: footer, metaindex, properties, index, range-deletion
/// block, then every data block through the database iterator (tombstones
/// applied). Returns the number of live pairs.
pub fn sst(data: &[u8]) -> Result<usize, Error> {
    sst_with(data, &OpenOptions::new())
}

/// [`sst`] read as a database opened with `options` would read it (with
/// `tombstone_hold_limit(0)`, its range-deletion block is streamed from the "file").
pub fn sst_with(data: &[u8], options: &OpenOptions) -> Result<usize, Error> {
    let mut tombstones = Tombstones::default();
    let tables = vec![Table::from_bytes(mem_path(), data.to_vec())?];
    Table::load_all_range_dels(&tables, options.hold_limit(), &mut tombstones)?;
    tombstones.finish();
    let db = Db {
        path: mem_path(),
        mem: Vec::new(),
        tables,
        tombstones,
    };
    scan(&db)
}

/// The footer decoder on the last bytes of `data` (as [`sst`] reads them).
pub fn footer(data: &[u8]) -> Result<(), Error> {
    let tail = data
        .get(
            data.len()
                .saturating_sub(crate::format::footer::NEW_FOOTER_LEN)..,
        )
        .unwrap_or(data);
    decode_footer(tail)
        .map(|_| ())
        .map_err(|b| b.at(Path::new(MEMORY)))
}

/// One block as stored in an SST (contents, compression type byte,
/// checksum), decoded the ways a table decodes its blocks (see
/// [`block_contents`]). `checksum_type` is the footer's (0 none, 1 crc32c).
pub fn block(raw: &[u8], checksum_type: u8) -> Result<usize, Error> {
    let mut contents = Vec::new();
    unwrap_block_into(&mut raw.to_vec(), checksum_type, 0, &mut contents)
        .map_err(|b| b.at(Path::new(MEMORY)))?;
    block_contents(&contents)
}

/// Uncompressed block contents read as every kind of block: data block
/// (internal keys), meta/properties block, index block with and without
/// delta-encoded values. Returns how many of these four readings decode,
/// or, when none does, the data-block reading's error.
pub fn block_contents(contents: &[u8]) -> Result<usize, Error> {
    let meta = decode_entries(contents).is_ok();
    let plain = decode_index(contents, false).is_ok();
    let delta = decode_index(contents, true).is_ok();
    let data = walk_entries(contents, |ikey, _value| {
        split_internal_key(ikey).map(|_| ())
    });
    let ways = [meta, plain, delta, data.is_ok()]
        .into_iter()
        .filter(|&ok| ok)
        .count();
    match data {
        Err(b) if ways == 0 => Err(b.at(Path::new(MEMORY))),
        _ => Ok(ways),
    }
}

/// A MANIFEST file: log records, version edits, applied in order. Returns
/// the number of live table files.
pub fn manifest(data: &[u8]) -> Result<usize, Error> {
    Ok(apply_manifest(data, Path::new(MEMORY))?.live.len())
}

/// One MANIFEST record (a version edit) on its own.
pub fn version_edit(rec: &[u8]) -> Result<(), Error> {
    decode_version_edit(rec)
        .map(|_| ())
        .map_err(|b| b.at(Path::new(MEMORY)))
}

/// A WAL file numbered `file_number`: log records, write batches, replayed
/// into a memtable and iterated as a database. Returns the number of live
/// pairs.
pub fn wal(data: &[u8], file_number: u64) -> Result<usize, Error> {
    let mut mem: Vec<Entry> = Vec::new();
    let mut tombstones = Tombstones::default();
    replay_wal(
        data,
        file_number,
        Path::new(MEMORY),
        &mut mem,
        &mut tombstones,
    )?;
    mem.sort_by(|a, b| a.key.cmp(&b.key).then(b.seq.cmp(&a.seq)));
    tombstones.finish();
    let db = Db {
        path: mem_path(),
        mem,
        tables: Vec::new(),
        tombstones,
    };
    scan(&db)
}

/// One WAL record (a write batch) on its own. Returns its operation count.
pub fn write_batch(rec: &[u8]) -> Result<usize, Error> {
    decode_batch(rec)
        .map(|b| b.ops.len())
        .map_err(|b| b.at(Path::new(MEMORY)))
}

/// The records of a log file (WAL or MANIFEST framing), as the reader
/// returns them (`file_number` as for a WAL, `None` for a MANIFEST).
pub fn log_records(data: &[u8], file_number: Option<u64>) -> Result<Vec<Vec<u8>>, Error> {
    read_records(data, file_number).map_err(|b| b.at(Path::new(MEMORY)))
}

/// Every block of an SST as stored (contents + 5-byte trailer): metaindex,
/// meta blocks (properties, range deletions, filters…), index, data
/// blocks. For cutting fuzz seeds out of real tables.
pub fn sst_blocks(data: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
    use crate::format::coding::Reader;
    use crate::format::footer::{BlockHandle, BLOCK_TRAILER_LEN};
    let at = |b: crate::format::Bad| b.at(Path::new(MEMORY));
    let tail = data
        .get(
            data.len()
                .saturating_sub(crate::format::footer::NEW_FOOTER_LEN)..,
        )
        .unwrap_or(data);
    let footer = decode_footer(tail).map_err(at)?;
    let raw = |h: BlockHandle| -> Result<&[u8], Error> {
        let start = usize::try_from(h.offset).ok();
        let end = h
            .offset
            .checked_add(h.size)
            .and_then(|e| e.checked_add(BLOCK_TRAILER_LEN))
            .and_then(|e| usize::try_from(e).ok());
        start
            .zip(end)
            .and_then(|(s, e)| data.get(s..e))
            .ok_or_else(|| Error::Corruption {
                path: mem_path(),
                reason: "block handle outside the table".into(),
            })
    };
    let contents = |r: &[u8]| -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        unwrap_block_into(&mut r.to_vec(), footer.checksum, 0, &mut out).map_err(at)?;
        Ok(out)
    };
    let mut blocks = Vec::new();
    let meta_raw = raw(footer.metaindex)?;
    blocks.push(meta_raw.to_vec());
    let mut delta = false;
    for (name, handle) in decode_entries(&contents(meta_raw)?).map_err(at)? {
        let h = BlockHandle::decode_from(&handle).map_err(at)?;
        let r = raw(h)?;
        blocks.push(r.to_vec());
        if name == b"rocksdb.properties" {
            for (k, v) in decode_entries(&contents(r)?).map_err(at)? {
                if k == b"rocksdb.index.value.is.delta.encoded" {
                    delta = Reader::new(&v).varint64("property").map_err(at)? != 0;
                }
            }
        }
    }
    let index_raw = raw(footer.index)?;
    blocks.push(index_raw.to_vec());
    for (_, h) in decode_index(&contents(index_raw)?, delta).map_err(at)? {
        blocks.push(raw(h)?.to_vec());
    }
    Ok(blocks)
}
