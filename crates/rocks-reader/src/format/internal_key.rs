//! Internal keys: `user_key ++ fixed64(seq << 8 | type)` (RocksDB `db/dbformat.h`).

use super::coding::decode_fixed64;
use super::{Bad, DResult};

/// The value types we can meet in SST data blocks and memtables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// kTypeDeletion (0x0)
    Deletion,
    /// kTypeValue (0x1)
    Value,
    /// kTypeMerge (0x2)
    Merge,
    /// kTypeSingleDeletion (0x7)
    SingleDeletion,
    /// kTypeRangeDeletion (0xF)
    RangeDeletion,
    /// kTypeBlobIndex (0x11)
    BlobIndex,
}

impl Kind {
    /// The tag of [`Kind::RangeDeletion`] in an internal key's last byte.
    pub(crate) const RANGE_DELETION_TAG: u8 = 0xF;

    pub(crate) fn from_u8(t: u8) -> DResult<Kind> {
        Ok(match t {
            0x0 => Kind::Deletion,
            0x1 => Kind::Value,
            0x2 => Kind::Merge,
            0x7 => Kind::SingleDeletion,
            Kind::RANGE_DELETION_TAG => Kind::RangeDeletion,
            0x11 => Kind::BlobIndex,
            0x14..=0x16 => {
                return Err(Bad::unsupported(format!(
                    "value type {t:#x} (user-defined timestamps / wide columns)"
                )))
            }
            other => return Err(Bad::corrupt(format!("unknown value type {other:#x}"))),
        })
    }
}

/// An internal key's parts as numbers: (length of the user key, sequence number, type tag);
/// `None` for a key shorter than its 8-byte trailer. The tag is not checked.
pub(crate) fn split_trailer(ikey: &[u8]) -> Option<(usize, u64, u8)> {
    let n = ikey.len().checked_sub(8)?;
    let packed = ikey.get(n..).and_then(decode_fixed64)?;
    Some((n, packed >> 8, packed as u8))
}

/// Split an internal key into (user key, sequence number, kind).
pub(crate) fn split_internal_key(ikey: &[u8]) -> DResult<(&[u8], u64, Kind)> {
    let (n, seq, tag) =
        split_trailer(ikey).ok_or_else(|| Bad::corrupt("internal key shorter than 8 bytes"))?;
    let kind = Kind::from_u8(tag)?;
    Ok((ikey.get(..n).unwrap_or(&[]), seq, kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split() {
        let mut k = b"user".to_vec();
        k.extend_from_slice(&((42u64 << 8) | 1).to_le_bytes());
        assert_eq!(
            split_internal_key(&k).unwrap(),
            (&b"user"[..], 42, Kind::Value)
        );
        k.truncate(4);
        k.extend_from_slice(&((7u64 << 8) | 0xF).to_le_bytes());
        assert_eq!(
            split_internal_key(&k).unwrap(),
            (&b"user"[..], 7, Kind::RangeDeletion)
        );
        assert!(split_internal_key(b"short").is_err());
        let mut k = b"u".to_vec();
        k.extend_from_slice(&((1u64 << 8) | 0x42).to_le_bytes());
        assert!(split_internal_key(&k).is_err());
    }
}
