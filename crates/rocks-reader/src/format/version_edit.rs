//! MANIFEST records: serialized `VersionEdit`s (RocksDB `db/version_edit.{h,cc}`).

use super::coding::Reader;
use super::{Bad, DResult};

const K_COMPARATOR: u32 = 1;
const K_LOG_NUMBER: u32 = 2;
const K_NEXT_FILE_NUMBER: u32 = 3;
const K_LAST_SEQUENCE: u32 = 4;
const K_COMPACT_CURSOR: u32 = 5;
const K_DELETED_FILE: u32 = 6;
const K_NEW_FILE: u32 = 7;
const K_PREV_LOG_NUMBER: u32 = 9;
const K_MIN_LOG_NUMBER_TO_KEEP: u32 = 10;
const K_NEW_FILE2: u32 = 100;
const K_NEW_FILE3: u32 = 102;
const K_NEW_FILE4: u32 = 103;
const K_COLUMN_FAMILY: u32 = 200;
const K_COLUMN_FAMILY_ADD: u32 = 201;
const K_COLUMN_FAMILY_DROP: u32 = 202;
const K_MAX_COLUMN_FAMILY: u32 = 203;
const K_IN_ATOMIC_GROUP: u32 = 300;
const K_BLOB_FILE_ADDITION: u32 = 400;
const K_BLOB_FILE_GARBAGE: u32 = 401;
/// Unknown tags with this bit are followed by a length-prefixed payload and
/// may be skipped (kDbId, kWalAddition, ... live there).
const K_TAG_SAFE_IGNORE_MASK: u32 = 1 << 13;

// NewFile4 custom field tags
const K_TERMINATE: u32 = 1;
const K_OLDEST_BLOB_FILE_NUMBER: u32 = 4;
const K_CUSTOM_TAG_NON_SAFE_IGNORE_MASK: u32 = 1 << 6;
const K_PATH_ID: u32 = 65;
const FILE_NUMBER_MASK: u64 = 0x3FFF_FFFF_FFFF_FFFF;

/// A table file added by an edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewFile {
    pub(crate) level: u32,
    pub(crate) number: u64,
    pub(crate) file_size: u64,
    pub(crate) smallest_seqno: u64,
    pub(crate) largest_seqno: u64,
    /// Blob file referenced by this table (0 = none).
    pub(crate) oldest_blob_file: u64,
}

/// The fields of a VersionEdit the reader needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct VersionEdit {
    pub(crate) comparator: Option<Vec<u8>>,
    pub(crate) log_number: Option<u64>,
    pub(crate) prev_log_number: Option<u64>,
    pub(crate) next_file_number: Option<u64>,
    pub(crate) last_sequence: Option<u64>,
    pub(crate) min_log_number_to_keep: Option<u64>,
    pub(crate) column_family: u32,
    pub(crate) column_family_add: Option<Vec<u8>>,
    pub(crate) column_family_drop: bool,
    pub(crate) deleted_files: Vec<(u32, u64)>,
    pub(crate) new_files: Vec<NewFile>,
    pub(crate) has_blob_files: bool,
}

pub(crate) fn decode_version_edit(rec: &[u8]) -> DResult<VersionEdit> {
    let mut r = Reader::new(rec);
    let mut e = VersionEdit::default();
    while !r.is_empty() {
        let tag = r.varint32("version edit tag")?;
        match tag {
            K_COMPARATOR => e.comparator = Some(r.varstring("comparator name")?.to_vec()),
            K_LOG_NUMBER => e.log_number = Some(r.varint64("log number")?),
            K_PREV_LOG_NUMBER => e.prev_log_number = Some(r.varint64("prev log number")?),
            K_NEXT_FILE_NUMBER => e.next_file_number = Some(r.varint64("next file number")?),
            K_LAST_SEQUENCE => e.last_sequence = Some(r.varint64("last sequence")?),
            K_MIN_LOG_NUMBER_TO_KEEP => {
                e.min_log_number_to_keep = Some(r.varint64("min log number to keep")?)
            }
            K_COMPACT_CURSOR => {
                r.varint32("compact cursor level")?;
                r.varstring("compact cursor key")?;
            }
            K_DELETED_FILE => {
                let level = r.varint32("deleted file level")?;
                let number = r.varint64("deleted file number")?;
                e.deleted_files.push((level, number));
            }
            K_NEW_FILE | K_NEW_FILE2 | K_NEW_FILE3 | K_NEW_FILE4 => {
                let level = r.varint32("new file level")?;
                let mut number = r.varint64("new file number")?;
                if tag == K_NEW_FILE3 || tag == K_NEW_FILE4 {
                    number &= FILE_NUMBER_MASK; // path id lives in the top bits
                }
                let file_size = r.varint64("new file size")?;
                r.varstring("smallest key")?;
                r.varstring("largest key")?;
                let (smallest_seqno, largest_seqno) = if tag == K_NEW_FILE {
                    (0, 0)
                } else {
                    (r.varint64("smallest seqno")?, r.varint64("largest seqno")?)
                };
                let mut oldest_blob_file = 0;
                if tag == K_NEW_FILE4 {
                    loop {
                        let ctag = r.varint32("new file custom tag")?;
                        if ctag == K_TERMINATE {
                            break;
                        }
                        let field = r.varstring("new file custom field")?;
                        match ctag {
                            K_OLDEST_BLOB_FILE_NUMBER => {
                                oldest_blob_file =
                                    Reader::new(field).varint64("oldest blob file")?;
                            }
                            K_PATH_ID if field.first().copied().unwrap_or(0) != 0 => {
                                return Err(Bad::unsupported("table file in a secondary db_path"));
                            }
                            K_PATH_ID => {}
                            t if t & K_CUSTOM_TAG_NON_SAFE_IGNORE_MASK != 0 => {
                                return Err(Bad::unsupported(format!(
                                    "new-file4 custom field {t} that cannot be ignored"
                                )));
                            }
                            _ => {}
                        }
                    }
                }
                e.new_files.push(NewFile {
                    level,
                    number,
                    file_size,
                    smallest_seqno,
                    largest_seqno,
                    oldest_blob_file,
                });
            }
            K_COLUMN_FAMILY => e.column_family = r.varint32("column family")?,
            K_COLUMN_FAMILY_ADD => {
                e.column_family_add = Some(r.varstring("column family name")?.to_vec())
            }
            K_COLUMN_FAMILY_DROP => e.column_family_drop = true,
            K_MAX_COLUMN_FAMILY => {
                r.varint32("max column family")?;
            }
            K_IN_ATOMIC_GROUP => {
                r.varint32("atomic group size")?;
            }
            K_BLOB_FILE_ADDITION | K_BLOB_FILE_GARBAGE => {
                return Err(Bad::unsupported("blob files (BlobDB) in MANIFEST"));
            }
            t if t & K_TAG_SAFE_IGNORE_MASK != 0 => {
                // kDbId, kWalAddition, kWalDeletion, kFullHistoryTsLow, ...
                r.varstring("ignorable version edit field")?;
            }
            t => {
                return Err(Bad::unsupported(format!("unknown MANIFEST tag {t}")));
            }
        }
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::coding::{put_varint64, put_varstring};

    #[test]
    fn decode_typical_edit() {
        let mut b = Vec::new();
        put_varint64(&mut b, 1);
        put_varstring(&mut b, b"leveldb.BytewiseComparator");
        put_varint64(&mut b, 2);
        put_varint64(&mut b, 8);
        put_varint64(&mut b, 3);
        put_varint64(&mut b, 10);
        put_varint64(&mut b, 4);
        put_varint64(&mut b, 1234);
        put_varint64(&mut b, u64::from(K_TAG_SAFE_IGNORE_MASK) + 1); // kDbId
        put_varstring(&mut b, b"some-db-id");
        put_varint64(&mut b, 103);
        put_varint64(&mut b, 0); // level
        put_varint64(&mut b, 9); // file number
        put_varint64(&mut b, 4096); // size
        put_varstring(&mut b, b"a\x01\x00\x00\x00\x00\x00\x00\x00");
        put_varstring(&mut b, b"z\x01\x00\x00\x00\x00\x00\x00\x00");
        put_varint64(&mut b, 1);
        put_varint64(&mut b, 77);
        put_varint64(&mut b, 5); // oldest ancester time (ignorable)
        put_varstring(&mut b, &[1, 2, 3]);
        put_varint64(&mut b, 1); // terminate
        put_varint64(&mut b, 6);
        put_varint64(&mut b, 0);
        put_varint64(&mut b, 7);
        let e = decode_version_edit(&b).unwrap();
        assert_eq!(
            e.comparator.as_deref(),
            Some(&b"leveldb.BytewiseComparator"[..])
        );
        assert_eq!(e.log_number, Some(8));
        assert_eq!(e.next_file_number, Some(10));
        assert_eq!(e.last_sequence, Some(1234));
        assert_eq!(e.new_files.len(), 1);
        assert_eq!(e.new_files[0].number, 9);
        assert_eq!(e.new_files[0].largest_seqno, 77);
        assert_eq!(e.deleted_files, vec![(0, 7)]);
    }

    #[test]
    fn rejects_unknown() {
        let mut b = Vec::new();
        put_varint64(&mut b, 55);
        assert!(matches!(decode_version_edit(&b), Err(Bad::Unsupported(_))));
        let mut b = Vec::new();
        put_varint64(&mut b, 103);
        for v in [0u64, 9, 10] {
            put_varint64(&mut b, v);
        }
        put_varstring(&mut b, b"a\x01\x00\x00\x00\x00\x00\x00\x00");
        put_varstring(&mut b, b"a\x01\x00\x00\x00\x00\x00\x00\x00");
        put_varint64(&mut b, 1);
        put_varint64(&mut b, 1);
        put_varint64(&mut b, 66); // non-ignorable custom field
        put_varstring(&mut b, b"x");
        put_varint64(&mut b, 1);
        assert!(matches!(decode_version_edit(&b), Err(Bad::Unsupported(_))));
        assert!(decode_version_edit(&[2]).is_err()); // truncated log number
    }
}
