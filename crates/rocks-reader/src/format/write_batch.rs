//! WAL payloads: serialized `WriteBatch`es (RocksDB `db/write_batch.cc`).
//!
//! Layout: `fixed64 sequence | fixed32 count | record*`, each record a tag
//! byte followed by its fields (varint32 column family id for the
//! column-family variants, then length-prefixed key / value).

use super::coding::Reader;
use super::{Bad, DResult};

/// One data-carrying operation of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Op<'a> {
    Put(&'a [u8], &'a [u8]),
    Delete(&'a [u8]),
    SingleDelete(&'a [u8]),
    DeleteRange(&'a [u8], &'a [u8]),
    Merge(&'a [u8], &'a [u8]),
    BlobIndex(&'a [u8], &'a [u8]),
}

/// A decoded batch: every op consumes one sequence number, starting at
/// `sequence`, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Batch<'a> {
    pub(crate) sequence: u64,
    /// (column family id, op)
    pub(crate) ops: Vec<(u32, Op<'a>)>,
}

pub(crate) fn decode_batch(rep: &[u8]) -> DResult<Batch<'_>> {
    let mut r = Reader::new(rep);
    if rep.len() < 12 {
        return Err(Bad::corrupt("write batch shorter than its 12-byte header"));
    }
    let sequence = r.fixed64("batch sequence")?;
    let count = r.fixed32("batch count")?;
    let mut ops = Vec::new();
    while !r.is_empty() {
        let tag = r.u8("batch record tag")?;
        let op = match tag {
            0x1 => (0, Op::Put(r.varstring("key")?, r.varstring("value")?)),
            0x5 => {
                let cf = r.varint32("column family")?;
                (cf, Op::Put(r.varstring("key")?, r.varstring("value")?))
            }
            0x0 => (0, Op::Delete(r.varstring("key")?)),
            0x4 => {
                let cf = r.varint32("column family")?;
                (cf, Op::Delete(r.varstring("key")?))
            }
            0x7 => (0, Op::SingleDelete(r.varstring("key")?)),
            0x8 => {
                let cf = r.varint32("column family")?;
                (cf, Op::SingleDelete(r.varstring("key")?))
            }
            0xF => (
                0,
                Op::DeleteRange(r.varstring("begin key")?, r.varstring("end key")?),
            ),
            0xE => {
                let cf = r.varint32("column family")?;
                (
                    cf,
                    Op::DeleteRange(r.varstring("begin key")?, r.varstring("end key")?),
                )
            }
            0x2 => (0, Op::Merge(r.varstring("key")?, r.varstring("value")?)),
            0x6 => {
                let cf = r.varint32("column family")?;
                (cf, Op::Merge(r.varstring("key")?, r.varstring("value")?))
            }
            0x11 => (0, Op::BlobIndex(r.varstring("key")?, r.varstring("value")?)),
            0x10 => {
                let cf = r.varint32("column family")?;
                (
                    cf,
                    Op::BlobIndex(r.varstring("key")?, r.varstring("value")?),
                )
            }
            0x3 => {
                r.varstring("log data")?;
                continue;
            }
            0xD => continue, // kTypeNoop
            0x9 | 0xA | 0xB | 0xC | 0x12 | 0x13 | 0x14 => {
                return Err(Bad::unsupported(format!(
                    "two-phase-commit marker {tag:#x} in write batch"
                )))
            }
            other => {
                if other > 0x14 && other < 0x20 {
                    return Err(Bad::unsupported(format!(
                        "write batch record type {other:#x}"
                    )));
                }
                return Err(Bad::corrupt(format!("unknown write batch tag {other:#x}")));
            }
        };
        ops.push(op);
    }
    if ops.len() as u64 != u64::from(count) {
        return Err(Bad::corrupt(format!(
            "write batch has wrong count (header {count}, found {})",
            ops.len()
        )));
    }
    Ok(Batch { sequence, ops })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::format::coding::{put_varint64, put_varstring};

    pub(crate) fn batch_bytes(seq: u64, count: u32, body: &[u8]) -> Vec<u8> {
        let mut b = seq.to_le_bytes().to_vec();
        b.extend_from_slice(&count.to_le_bytes());
        b.extend_from_slice(body);
        b
    }

    #[test]
    fn decode_all_kinds() {
        let mut body = Vec::new();
        body.push(0xF);
        put_varstring(&mut body, b"a");
        put_varstring(&mut body, b"a\xff");
        body.push(0x1);
        put_varstring(&mut body, b"a1");
        put_varstring(&mut body, b"v1");
        body.push(0x3); // log data: no sequence, no count
        put_varstring(&mut body, b"blob");
        body.push(0x0);
        put_varstring(&mut body, b"b");
        body.push(0x7);
        put_varstring(&mut body, b"c");
        body.push(0xD); // noop
        body.push(0x5);
        put_varint64(&mut body, 3);
        put_varstring(&mut body, b"k");
        put_varstring(&mut body, b"v");
        let rep = batch_bytes(100, 5, &body);
        let b = decode_batch(&rep).unwrap();
        assert_eq!(b.sequence, 100);
        assert_eq!(
            b.ops,
            vec![
                (0, Op::DeleteRange(b"a", b"a\xff")),
                (0, Op::Put(b"a1", b"v1")),
                (0, Op::Delete(b"b")),
                (0, Op::SingleDelete(b"c")),
                (3, Op::Put(b"k", b"v")),
            ]
        );
    }

    #[test]
    fn bad_batches() {
        assert!(decode_batch(&[0; 11]).is_err());
        let mut body = vec![0x1];
        put_varstring(&mut body, b"k");
        put_varstring(&mut body, b"v");
        assert!(decode_batch(&batch_bytes(1, 2, &body)).is_err()); // wrong count
        assert!(decode_batch(&batch_bytes(1, 1, &body[..body.len() - 1])).is_err()); // truncated
        assert!(decode_batch(&batch_bytes(1, 1, &[0x42])).is_err());
        assert!(matches!(
            decode_batch(&batch_bytes(1, 0, &[0x9])),
            Err(Bad::Unsupported(_))
        ));
        assert!(decode_batch(&batch_bytes(1, 0, &[]))
            .unwrap()
            .ops
            .is_empty());
    }
}
