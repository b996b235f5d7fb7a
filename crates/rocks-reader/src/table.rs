//! Block-based table (SST) reader: footer, meta blocks, index in memory,
//! data blocks read on demand with positioned reads.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::format::block::{decode_entries, decode_index, unwrap_block};
use crate::format::coding::{decode_fixed32, Reader};
use crate::format::footer::{decode_footer, BlockHandle, BLOCK_TRAILER_LEN, NEW_FOOTER_LEN};
use crate::format::internal_key::{split_internal_key, Kind};
use crate::format::Bad;
use crate::range_del::Tombstone;
use crate::{Entry, Error};

/// An open SST file.
#[derive(Debug)]
pub(crate) struct Table {
    pub(crate) path: PathBuf,
    file: File,
    file_len: u64,
    checksum: u8,
    /// (user-key part of the separator, data block handle), sorted.
    pub(crate) index: Vec<(Vec<u8>, BlockHandle)>,
}

fn io(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source,
    }
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
    /// Open an SST, load its index and return its range tombstones.
    pub(crate) fn open(path: PathBuf) -> Result<(Table, Vec<Tombstone>), Error> {
        let file = File::open(&path).map_err(|e| io(&path, e))?;
        let file_len = file.metadata().map_err(|e| io(&path, e))?.len();
        let tail_len = file_len.min(NEW_FOOTER_LEN as u64);
        let mut tail = vec![0u8; tail_len as usize];
        read_at(&file, &mut tail, file_len - tail_len).map_err(|e| io(&path, e))?;
        let footer = decode_footer(&tail).map_err(|b| b.at(&path))?;
        let mut table = Table {
            path,
            file,
            file_len,
            checksum: footer.checksum,
            index: Vec::new(),
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
        for (key, handle) in index {
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
        let mut tombstones = Vec::new();
        if let Some(h) = range_del {
            let block = table.read_block(h)?;
            for (ikey, end) in
                decode_entries(&block).map_err(|b| table.bad(b, "range deletion block"))?
            {
                let (begin, seq, kind) =
                    split_internal_key(&ikey).map_err(|b| table.bad(b, "range deletion block"))?;
                if kind != Kind::RangeDeletion {
                    return Err(table.bad(
                        Bad::corrupt("non-range-deletion entry"),
                        "range deletion block",
                    ));
                }
                tombstones.push(Tombstone {
                    begin: begin.to_vec(),
                    end,
                    seq,
                });
            }
        }
        Ok((table, tombstones))
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
        let mut raw = vec![0u8; total as usize];
        read_at(&self.file, &mut raw, h.offset).map_err(|e| io(&self.path, e))?;
        unwrap_block(&raw, self.checksum, h.offset).map_err(|b| b.at(&self.path))
    }

    /// Decode data block number `i` of the index into entries.
    pub(crate) fn data_block(&self, i: usize) -> Result<Vec<Entry>, Error> {
        let Some(&(_, handle)) = self.index.get(i) else {
            return Ok(Vec::new());
        };
        let block = self.read_block(handle)?;
        let entries = decode_entries(&block)
            .map_err(|b| self.bad(b, &format!("data block at offset {}", handle.offset)))?;
        let mut out = Vec::with_capacity(entries.len());
        for (mut ikey, value) in entries {
            let (uk, seq, kind) = split_internal_key(&ikey)
                .map_err(|b| self.bad(b, &format!("data block at offset {}", handle.offset)))?;
            let uk_len = uk.len();
            if kind == Kind::RangeDeletion {
                return Err(self.bad(
                    Bad::corrupt("range deletion in data block"),
                    &format!("data block at offset {}", handle.offset),
                ));
            }
            ikey.truncate(uk_len);
            out.push(Entry {
                key: ikey,
                seq,
                kind,
                value,
            });
        }
        Ok(out)
    }
}
