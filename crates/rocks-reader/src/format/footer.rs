//! Block handles and the SST footer (RocksDB `table/format.{h,cc}`).

use super::coding::{decode_fixed32, decode_fixed64, Reader};
use super::{Bad, DResult};

/// Magic number of block-based tables with the versioned footer.
pub(crate) const BLOCK_BASED_MAGIC: u64 = 0x88e2_41b7_85f4_cff7;
/// Magic number of block-based tables with the legacy (format 0) footer.
pub(crate) const LEGACY_BLOCK_BASED_MAGIC: u64 = 0xdb47_7524_8b80_fb57;
const PLAIN_TABLE_MAGIC: u64 = 0x8242_2296_63bf_9564;
const LEGACY_PLAIN_TABLE_MAGIC: u64 = 0x4f34_18eb_7a8f_13b8;
const CUCKOO_TABLE_MAGIC: u64 = 0x9267_8988_5985_2e68;

/// Size of the footer written by format_version >= 1.
pub(crate) const NEW_FOOTER_LEN: usize = 1 + 2 * 20 + 4 + 8;
/// Size of the footer written by format_version 0.
pub(crate) const LEGACY_FOOTER_LEN: usize = 2 * 20 + 8;
/// Every block is followed by 1 byte compression type + 4 bytes checksum.
pub(crate) const BLOCK_TRAILER_LEN: u64 = 5;

/// Checksum type kNoChecksum.
pub(crate) const CHECKSUM_NONE: u8 = 0;
/// Checksum type kCRC32c.
pub(crate) const CHECKSUM_CRC32C: u8 = 1;

/// Location of a block inside an SST file (trailer excluded from `size`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct BlockHandle {
    pub(crate) offset: u64,
    pub(crate) size: u64,
}

impl BlockHandle {
    pub(crate) fn decode(r: &mut Reader<'_>) -> DResult<BlockHandle> {
        let offset = r.varint64("block handle offset")?;
        let size = r.varint64("block handle size")?;
        Ok(BlockHandle { offset, size })
    }

    pub(crate) fn decode_from(b: &[u8]) -> DResult<BlockHandle> {
        BlockHandle::decode(&mut Reader::new(b))
    }
}

/// The decoded footer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Footer {
    pub(crate) checksum: u8,
    pub(crate) metaindex: BlockHandle,
    pub(crate) index: BlockHandle,
    pub(crate) format_version: u32,
}

/// Decode the footer from the last bytes of the file (`tail` must be the
/// final `min(file_len, NEW_FOOTER_LEN)` bytes).
pub(crate) fn decode_footer(tail: &[u8]) -> DResult<Footer> {
    let n = tail.len();
    if n < LEGACY_FOOTER_LEN {
        return Err(Bad::corrupt("file too short for an SST footer"));
    }
    let magic = tail
        .get(n - 8..)
        .and_then(decode_fixed64)
        .ok_or_else(|| Bad::corrupt("truncated footer"))?;
    match magic {
        LEGACY_BLOCK_BASED_MAGIC => {
            let body = tail.get(n - LEGACY_FOOTER_LEN..).unwrap_or(&[]);
            let mut r = Reader::new(body);
            let metaindex = BlockHandle::decode(&mut r)?;
            let index = BlockHandle::decode(&mut r)?;
            Ok(Footer {
                checksum: CHECKSUM_CRC32C,
                metaindex,
                index,
                format_version: 0,
            })
        }
        BLOCK_BASED_MAGIC => {
            if n < NEW_FOOTER_LEN {
                return Err(Bad::corrupt("file too short for an SST footer"));
            }
            let body = tail.get(n - NEW_FOOTER_LEN..).unwrap_or(&[]);
            let mut r = Reader::new(body);
            let checksum = r.u8("footer checksum type")?;
            let metaindex = BlockHandle::decode(&mut r)?;
            let index = BlockHandle::decode(&mut r)?;
            let format_version = tail
                .get(n - 12..)
                .and_then(decode_fixed32)
                .ok_or_else(|| Bad::corrupt("truncated footer"))?;
            if format_version > 5 {
                return Err(Bad::unsupported(format!(
                    "block-based table format_version {format_version} (supported: 0..=5)"
                )));
            }
            match checksum {
                CHECKSUM_NONE | CHECKSUM_CRC32C => {}
                2..=4 => {
                    return Err(Bad::unsupported(format!(
                        "block checksum type {checksum} (xxHash family; only crc32c/none supported)"
                    )))
                }
                _ => return Err(Bad::corrupt(format!("unknown checksum type {checksum}"))),
            }
            Ok(Footer {
                checksum,
                metaindex,
                index,
                format_version,
            })
        }
        PLAIN_TABLE_MAGIC | LEGACY_PLAIN_TABLE_MAGIC => Err(Bad::unsupported(
            "plain table SST (only block-based tables supported)",
        )),
        CUCKOO_TABLE_MAGIC => Err(Bad::unsupported(
            "cuckoo table SST (only block-based tables supported)",
        )),
        other => Err(Bad::corrupt(format!(
            "bad table magic number {other:#018x}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::coding::put_varint64;

    fn new_footer(checksum: u8, meta: (u64, u64), index: (u64, u64), version: u32) -> Vec<u8> {
        let mut b = vec![checksum];
        for v in [meta.0, meta.1, index.0, index.1] {
            put_varint64(&mut b, v);
        }
        b.resize(NEW_FOOTER_LEN - 12, 0);
        b.extend_from_slice(&version.to_le_bytes());
        b.extend_from_slice(&BLOCK_BASED_MAGIC.to_le_bytes());
        b
    }

    #[test]
    fn new_footer_roundtrip() {
        let mut file = vec![7u8; 100];
        file.extend(new_footer(1, (1000, 50), (300_000, 4096), 5));
        let tail = &file[file.len() - NEW_FOOTER_LEN..];
        let f = decode_footer(tail).unwrap();
        assert_eq!(f.checksum, 1);
        assert_eq!(f.format_version, 5);
        assert_eq!(
            f.metaindex,
            BlockHandle {
                offset: 1000,
                size: 50
            }
        );
        assert_eq!(
            f.index,
            BlockHandle {
                offset: 300_000,
                size: 4096
            }
        );
    }

    #[test]
    fn legacy_footer() {
        let mut b = Vec::new();
        for v in [10u64, 20, 30, 40] {
            put_varint64(&mut b, v);
        }
        b.resize(40, 0);
        b.extend_from_slice(&LEGACY_BLOCK_BASED_MAGIC.to_le_bytes());
        let mut tail = vec![0u8; 5];
        tail.extend(b);
        let f = decode_footer(&tail).unwrap();
        assert_eq!(f.format_version, 0);
        assert_eq!(f.checksum, CHECKSUM_CRC32C);
        assert_eq!(
            f.index,
            BlockHandle {
                offset: 30,
                size: 40
            }
        );
    }

    #[test]
    fn rejects() {
        assert!(matches!(
            decode_footer(&new_footer(1, (1, 1), (1, 1), 6)),
            Err(Bad::Unsupported(_))
        ));
        assert!(matches!(
            decode_footer(&new_footer(2, (1, 1), (1, 1), 5)),
            Err(Bad::Unsupported(_))
        ));
        assert!(matches!(
            decode_footer(&new_footer(9, (1, 1), (1, 1), 5)),
            Err(Bad::Corrupt(_))
        ));
        assert!(matches!(decode_footer(&[0u8; 53]), Err(Bad::Corrupt(_))));
        assert!(matches!(decode_footer(&[0u8; 3]), Err(Bad::Corrupt(_))));
        let mut plain = vec![0u8; 45];
        plain.extend_from_slice(&PLAIN_TABLE_MAGIC.to_le_bytes());
        assert!(matches!(decode_footer(&plain), Err(Bad::Unsupported(_))));
    }
}
