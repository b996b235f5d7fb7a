//! Block trailer (checksum + compression) and block contents
//! (RocksDB `table/block_based/block.cc`, `block_builder.cc`).

use super::coding::{decode_fixed32, unmask_crc, Reader};
use super::footer::{BlockHandle, CHECKSUM_CRC32C, CHECKSUM_NONE};
use super::{Bad, DResult};

/// Blocks bigger than this never carry a data-block hash index, so the
/// top bit of their footer is part of `num_restarts`.
const MAX_BLOCK_SIZE_WITH_HASH_INDEX: usize = 1 << 16;

/// Verify the 5-byte trailer of `raw` (block contents + type + checksum)
/// and return the uncompressed contents. `offset` is only used in messages.
#[cfg(test)]
pub(crate) fn unwrap_block(raw: &[u8], checksum_type: u8, offset: u64) -> DResult<Vec<u8>> {
    let mut out = Vec::new();
    unwrap_block_into(&mut raw.to_vec(), checksum_type, offset, &mut out)?;
    Ok(out)
}

/// [`unwrap_block`] into a caller's buffer (replacing its contents). An uncompressed block
/// (range-deletion and meta blocks, most of an Aim chunk's bytes) is not copied: `raw` and
/// `out` swap buffers, so `raw` then holds `out`'s old allocation.
pub(crate) fn unwrap_block_into(
    raw: &mut Vec<u8>,
    checksum_type: u8,
    offset: u64,
    out: &mut Vec<u8>,
) -> DResult<()> {
    out.clear();
    let n = raw.len();
    if n < 5 {
        return Err(Bad::corrupt(format!("truncated block at offset {offset}")));
    }
    let body = raw.get(..n - 5).unwrap_or(&[]);
    let ctype = raw.get(n - 5).copied().unwrap_or(0);
    let stored = raw.get(n - 4..).and_then(decode_fixed32).unwrap_or(0);
    match checksum_type {
        CHECKSUM_NONE => {}
        CHECKSUM_CRC32C => {
            let actual = crc32c::crc32c(raw.get(..n - 4).unwrap_or(&[]));
            if actual != unmask_crc(stored) {
                return Err(Bad::corrupt(format!(
                    "block checksum mismatch at offset {offset}"
                )));
            }
        }
        other => {
            return Err(Bad::unsupported(format!("block checksum type {other}")));
        }
    }
    match ctype {
        0 => {
            raw.truncate(n - 5);
            std::mem::swap(raw, out);
            Ok(())
        }
        1 => {
            let len = snap::raw::decompress_len(body)
                .map_err(|e| Bad::corrupt(format!("bad snappy block at offset {offset}: {e}")))?;
            // Snappy cannot expand more than ~22x; a bigger claim is corruption
            // and must not make us allocate.
            if len > body.len().saturating_mul(32).saturating_add(64) {
                return Err(Bad::corrupt(format!(
                    "implausible snappy length {len} at offset {offset}"
                )));
            }
            out.resize(len, 0);
            let n = snap::raw::Decoder::new()
                .decompress(body, out)
                .map_err(|e| Bad::corrupt(format!("bad snappy block at offset {offset}: {e}")))?;
            out.truncate(n);
            Ok(())
        }
        2..=7 => {
            let name = match ctype {
                2 => "zlib",
                3 => "bzip2",
                4 => "lz4",
                5 => "lz4hc",
                6 => "xpress",
                _ => "zstd",
            };
            Err(Bad::unsupported(format!(
                "{name} compressed block at offset {offset} (only none/snappy supported)"
            )))
        }
        other => Err(Bad::corrupt(format!(
            "unknown compression type {other} at offset {offset}"
        ))),
    }
}

/// Split a block into its entry area, handling the restart array and the
/// optional data-block hash index.
fn entry_area(data: &[u8]) -> DResult<&[u8]> {
    let n = data.len();
    if n < 4 {
        return Err(Bad::corrupt("block too small"));
    }
    let footer = data.get(n - 4..).and_then(decode_fixed32).unwrap_or(0);
    let (num_restarts, end_of_restarts) =
        if n <= MAX_BLOCK_SIZE_WITH_HASH_INDEX && footer & (1 << 31) != 0 {
            // kDataBlockBinaryAndHash: [entries][restarts][buckets][u16 num_buckets][footer]
            let num_restarts = footer & !(1 << 31);
            if n < 6 {
                return Err(Bad::corrupt("block too small for hash index"));
            }
            let num_buckets = data
                .get(n - 6..n - 4)
                .and_then(|b| <[u8; 2]>::try_from(b).ok())
                .map(u16::from_le_bytes)
                .unwrap_or(0) as usize;
            let map_start = (n - 6)
                .checked_sub(num_buckets)
                .ok_or_else(|| Bad::corrupt("bad data block hash index"))?;
            (num_restarts, map_start)
        } else {
            (footer, n - 4)
        };
    let restarts_len = (num_restarts as usize)
        .checked_mul(4)
        .filter(|&l| l <= end_of_restarts)
        .ok_or_else(|| Bad::corrupt(format!("bad restart count {num_restarts}")))?;
    if num_restarts == 0 && end_of_restarts > 0 {
        return Err(Bad::corrupt("block without restart points"));
    }
    let limit = end_of_restarts - restarts_len;
    // The first restart point must be offset 0 (if there are entries).
    if num_restarts > 0 {
        let first = data
            .get(limit..)
            .and_then(decode_fixed32)
            .unwrap_or(u32::MAX);
        if first != 0 {
            return Err(Bad::corrupt("first restart point is not 0"));
        }
    }
    Ok(data.get(..limit).unwrap_or(&[]))
}

fn key_from_delta(prev: &[u8], shared: u32, delta: &[u8]) -> DResult<Vec<u8>> {
    let shared = shared as usize;
    let base = prev
        .get(..shared)
        .ok_or_else(|| Bad::corrupt("shared key length exceeds previous key"))?;
    let mut k = Vec::with_capacity(shared + delta.len());
    k.extend_from_slice(base);
    k.extend_from_slice(delta);
    Ok(k)
}

/// Where [`walk_entries_raw`] found an entry's whole key.
pub(crate) enum EntryKey<'a> {
    /// The key is stored whole in the block (it shares no prefix with the
    /// previous one): its byte range within the block.
    InBlock(std::ops::Range<usize>),
    /// The key was rebuilt from a shared prefix in a reused buffer.
    Rebuilt(&'a [u8]),
}

/// Walk every entry of a block written with the ordinary entry format
/// (data, meta-index, properties, range-deletion and pre-v4 index blocks):
/// `shared varint32, non_shared varint32, value_len varint32, key delta,
/// value`. `f` gets the whole key (rebuilt in one reused buffer, so no
/// allocation per entry) and the value's byte range within `data`.
pub(crate) fn walk_entries(
    data: &[u8],
    mut f: impl FnMut(&[u8], std::ops::Range<usize>) -> DResult<()>,
) -> DResult<()> {
    walk_entries_raw(data, |key, value| match key {
        EntryKey::InBlock(r) => f(data.get(r).unwrap_or(&[]), value),
        EntryKey::Rebuilt(k) => f(k, value),
    })
}

/// [`walk_entries`], telling where each key is: a key stored whole (every
/// key of a range-deletion block, the first of each restart interval
/// elsewhere) is given as a range of `data` and not copied.
pub(crate) fn walk_entries_raw(
    data: &[u8],
    mut f: impl FnMut(EntryKey<'_>, std::ops::Range<usize>) -> DResult<()>,
) -> DResult<()> {
    let area = entry_area(data)?;
    let mut r = Reader::new(area);
    // The previous key: in `key`, or (when it was stored whole) at `prev` in the block.
    let mut key: Vec<u8> = Vec::new();
    let mut prev: Option<std::ops::Range<usize>> = Some(0..0);
    while !r.is_empty() {
        let shared = r.varint32("entry shared length")? as usize;
        let non_shared = r.varint32("entry key length")? as usize;
        let value_len = r.varint32("entry value length")?;
        let key_start = r.pos();
        let delta = r.bytes(non_shared, "entry key")?;
        let value_start = r.pos();
        r.bytes(value_len as usize, "entry value")?;
        if shared == 0 {
            let whole = key_start..value_start;
            prev = Some(whole.clone());
            f(EntryKey::InBlock(whole), value_start..r.pos())?;
            continue;
        }
        if let Some(p) = prev.take() {
            key.clear();
            key.extend_from_slice(area.get(p).unwrap_or(&[]));
        }
        if shared > key.len() {
            return Err(Bad::corrupt("shared key length exceeds previous key"));
        }
        key.truncate(shared);
        key.extend_from_slice(delta);
        f(EntryKey::Rebuilt(&key), value_start..r.pos())?;
    }
    Ok(())
}

/// The entries of a block whose every key is stored whole (as RocksDB writes its
/// range-deletion blocks, a restart point an entry): `f` gets each entry's key and value
/// as ranges of `data`, in order, and returns false to give up. `None` when it gave up,
/// when an entry shares bytes with the one before, or when anything is out of place (a
/// length of three bytes or more included): [`walk_entries_raw`] then reads the block
/// again, and reports what is wrong. One pass, no copy, no error built.
pub(crate) fn whole_key_entries(
    data: &[u8],
    mut f: impl FnMut(std::ops::Range<usize>, std::ops::Range<usize>) -> bool,
) -> Option<()> {
    let area = entry_area(data).ok()?;
    // a varint of one or two bytes (entry lengths, below 16,384)
    let short_varint = |pos: &mut usize| -> Option<usize> {
        let b0 = usize::from(*area.get(*pos)?);
        if b0 < 0x80 {
            *pos += 1;
            return Some(b0);
        }
        let b1 = usize::from(*area.get(*pos + 1)?);
        if b1 >= 0x80 {
            return None;
        }
        *pos += 2;
        Some((b0 & 0x7f) | (b1 << 7))
    };
    let mut pos = 0;
    while pos < area.len() {
        if short_varint(&mut pos)? != 0 {
            return None;
        }
        let key_len = short_varint(&mut pos)?;
        let value_len = short_varint(&mut pos)?;
        let key = pos..pos + key_len;
        let value = key.end..key.end + value_len;
        if value.end > area.len() || !f(key, value.clone()) {
            return None;
        }
        pos = value.end;
    }
    Some(())
}

/// Every (key, value) of a block, owned (for the small meta blocks).
pub(crate) fn decode_entries(data: &[u8]) -> DResult<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut out: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    walk_entries(data, |k, v| {
        out.push((k.to_vec(), data.get(v).unwrap_or(&[]).to_vec()));
        Ok(())
    })?;
    Ok(out)
}

/// Decode an index block: keys plus block handles. With
/// `value_delta_encoded` (format_version >= 4) entries carry no value
/// length; an entry whose key shares bytes with its predecessor stores only
/// a signed size delta and its offset follows the previous block.
pub(crate) fn decode_index(
    data: &[u8],
    value_delta_encoded: bool,
) -> DResult<Vec<(Vec<u8>, BlockHandle)>> {
    if !value_delta_encoded {
        return decode_entries(data)?
            .into_iter()
            .map(|(k, v)| Ok((k, BlockHandle::decode_from(&v)?)))
            .collect();
    }
    let area = entry_area(data)?;
    let mut r = Reader::new(area);
    let mut out: Vec<(Vec<u8>, BlockHandle)> = Vec::new();
    let mut prev: Vec<u8> = Vec::new();
    let mut prev_handle: Option<BlockHandle> = None;
    while !r.is_empty() {
        let shared = r.varint32("index entry shared length")?;
        let non_shared = r.varint32("index entry key length")?;
        let delta = r.bytes(non_shared as usize, "index entry key")?;
        let key = key_from_delta(&prev, shared, delta)?;
        let handle = match (shared, prev_handle) {
            (0, _) => BlockHandle::decode(&mut r)?,
            (_, Some(p)) => {
                let d = r.varsigned64("index handle delta")?;
                let offset = p
                    .offset
                    .checked_add(p.size)
                    .and_then(|o| o.checked_add(super::footer::BLOCK_TRAILER_LEN))
                    .ok_or_else(|| Bad::corrupt("index handle overflow"))?;
                let size = p
                    .size
                    .checked_add_signed(d)
                    .ok_or_else(|| Bad::corrupt("index handle size underflow"))?;
                BlockHandle { offset, size }
            }
            (_, None) => return Err(Bad::corrupt("delta-encoded index entry without base")),
        };
        prev.clear();
        prev.extend_from_slice(&key);
        prev_handle = Some(handle);
        out.push((key, handle));
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::format::coding::{mask_crc, put_varint64};

    /// Minimal BlockBuilder (same layout as RocksDB's) for tests.
    pub(crate) fn build_block(entries: &[(&[u8], &[u8])], restart_interval: usize) -> Vec<u8> {
        let mut buf = Vec::new();
        let mut restarts = Vec::new();
        let mut prev: &[u8] = &[];
        for (i, (k, v)) in entries.iter().enumerate() {
            let shared = if i % restart_interval == 0 {
                restarts.push(buf.len() as u32);
                0
            } else {
                prev.iter()
                    .zip(k.iter())
                    .take_while(|(a, b)| a == b)
                    .count()
            };
            put_varint64(&mut buf, shared as u64);
            put_varint64(&mut buf, (k.len() - shared) as u64);
            put_varint64(&mut buf, v.len() as u64);
            buf.extend_from_slice(&k[shared..]);
            buf.extend_from_slice(v);
            prev = k;
        }
        if restarts.is_empty() {
            restarts.push(0);
        }
        for r in &restarts {
            buf.extend_from_slice(&r.to_le_bytes());
        }
        buf.extend_from_slice(&(restarts.len() as u32).to_le_bytes());
        buf
    }

    pub(crate) fn with_trailer(body: &[u8], ctype: u8) -> Vec<u8> {
        let mut raw = body.to_vec();
        raw.push(ctype);
        let crc = mask_crc(crc32c::crc32c(&raw));
        raw.extend_from_slice(&crc.to_le_bytes());
        raw
    }

    #[test]
    fn entries_with_restarts() {
        let keys: Vec<Vec<u8>> = (0..40)
            .map(|i| format!("key{:04}", i * 7).into_bytes())
            .collect();
        let entries: Vec<(&[u8], &[u8])> = keys.iter().map(|k| (k.as_slice(), &k[3..])).collect();
        for interval in [1, 3, 16] {
            let block = build_block(&entries, interval);
            let got = decode_entries(&block).unwrap();
            assert_eq!(got.len(), 40);
            for (g, k) in got.iter().zip(&keys) {
                assert_eq!(&g.0, k);
                assert_eq!(&g.1[..], &k[3..]);
            }
        }
    }

    #[test]
    fn raw_walk_gives_whole_keys_as_block_ranges() {
        let keys: Vec<Vec<u8>> = (0..10).map(|i| format!("k{i:02}").into_bytes()).collect();
        let entries: Vec<(&[u8], &[u8])> = keys.iter().map(|k| (k.as_slice(), &b"v"[..])).collect();
        for interval in [1, 3] {
            let block = build_block(&entries, interval);
            let mut seen = Vec::new();
            walk_entries_raw(&block, |key, value| {
                let (whole, k) = match key {
                    EntryKey::InBlock(r) => (true, block[r].to_vec()),
                    EntryKey::Rebuilt(k) => (false, k.to_vec()),
                };
                assert_eq!(&block[value], b"v");
                seen.push((whole, k));
                Ok(())
            })
            .unwrap();
            let want: Vec<(bool, Vec<u8>)> = keys
                .iter()
                .enumerate()
                .map(|(i, k)| (i % interval == 0, k.clone()))
                .collect();
            assert_eq!(seen, want, "restart interval {interval}");
        }
    }

    #[test]
    fn hash_index_footer() {
        let mut block = build_block(&[(b"a", b"1"), (b"b", b"2")], 16);
        // Insert 3 hash buckets + u16 count before the footer, set top bit.
        let n = block.len();
        let footer = u32::from_le_bytes(block[n - 4..].try_into().unwrap());
        block.truncate(n - 4);
        block.extend_from_slice(&[0xff, 0, 0xff]);
        block.extend_from_slice(&3u16.to_le_bytes());
        block.extend_from_slice(&(footer | (1 << 31)).to_le_bytes());
        let got = decode_entries(&block).unwrap();
        assert_eq!(
            got,
            vec![
                (b"a".to_vec(), b"1".to_vec()),
                (b"b".to_vec(), b"2".to_vec())
            ]
        );
    }

    #[test]
    fn corrupt_blocks_do_not_panic() {
        let block = build_block(&[(b"abc", b"1"), (b"abd", b"2")], 16);
        for cut in 0..block.len() {
            let _ = decode_entries(&block[..cut]);
            let _ = decode_index(&block[..cut], true);
        }
        let mut bad = block.clone();
        let n = bad.len();
        bad[n - 4..].copy_from_slice(&1000u32.to_le_bytes());
        assert!(decode_entries(&bad).is_err());
        let mut bad = block.clone();
        bad[0] = 5; // shared > prev key length
        assert!(decode_entries(&bad).is_err());
        for i in 0..block.len() {
            let mut b = block.clone();
            b[i] ^= 0xff;
            let _ = decode_entries(&b);
        }
    }

    #[test]
    fn delta_encoded_index() {
        // restart interval 2: second entry shares a prefix and stores a size delta.
        let mut buf = Vec::new();
        // entry 0: shared 0, non_shared 2, key "k1", handle (0, 100)
        buf.extend_from_slice(&[0, 2]);
        buf.extend_from_slice(b"k1");
        put_varint64(&mut buf, 0);
        put_varint64(&mut buf, 100);
        // entry 1: shared 1, non_shared 1, key "k2", delta -10 (zigzag 19)
        buf.extend_from_slice(&[1, 1]);
        buf.extend_from_slice(b"2");
        put_varint64(&mut buf, 19);
        buf.extend_from_slice(&0u32.to_le_bytes());
        buf.extend_from_slice(&1u32.to_le_bytes());
        let got = decode_index(&buf, true).unwrap();
        assert_eq!(
            got[0],
            (
                b"k1".to_vec(),
                BlockHandle {
                    offset: 0,
                    size: 100
                }
            )
        );
        assert_eq!(
            got[1],
            (
                b"k2".to_vec(),
                BlockHandle {
                    offset: 105,
                    size: 90
                }
            )
        );
    }

    #[test]
    fn trailer_checks() {
        let body = build_block(&[(b"a", b"1")], 16);
        assert_eq!(unwrap_block(&with_trailer(&body, 0), 1, 0).unwrap(), body);
        let compressed = snap::raw::Encoder::new().compress_vec(&body).unwrap();
        assert_eq!(
            unwrap_block(&with_trailer(&compressed, 1), 1, 0).unwrap(),
            body
        );
        let mut bad = with_trailer(&body, 0);
        bad[0] ^= 1;
        let err = unwrap_block(&bad, 1, 4096).unwrap_err();
        assert_eq!(err, Bad::corrupt("block checksum mismatch at offset 4096"));
        assert!(unwrap_block(&bad, 0, 0).is_ok());
        assert!(matches!(
            unwrap_block(&with_trailer(&body, 7), 1, 0),
            Err(Bad::Unsupported(_))
        ));
        assert!(unwrap_block(&[1, 2], 1, 0).is_err());
    }

    #[test]
    fn whole_key_entries_agree_with_the_general_walk_or_give_up() {
        let raw = |data: &[u8]| {
            let mut out = Vec::new();
            walk_entries_raw(data, |k, v| {
                let EntryKey::InBlock(k) = k else {
                    return Err(Bad::corrupt("rebuilt"));
                };
                out.push((k, v));
                Ok(())
            })
            .map(|()| out)
        };
        let fast = |data: &[u8]| {
            let mut out = Vec::new();
            whole_key_entries(data, |k, v| {
                out.push((k, v));
                true
            })
            .map(|()| out)
        };
        let long_key = vec![b'k'; 200]; // a two-byte length
        let long_value = vec![b'v'; 20_000]; // a three-byte length: given up
        let entries: Vec<(&[u8], &[u8])> = vec![
            (b"alpha", b"1"),
            (b"alphabet", b""),
            (&long_key, b"end"),
            (b"zz", b"last"),
        ];
        // every key whole: the same ranges as the general walk
        let whole = build_block(&entries, 1);
        assert_eq!(fast(&whole), raw(&whole).ok());
        assert_eq!(fast(&whole).map(|e| e.len()), Some(4));
        assert_eq!(fast(&build_block(&[], 1)), Some(Vec::new()));
        // a key sharing bytes with the one before: given up
        assert_eq!(fast(&build_block(&entries, 16)), None);
        // a length of three bytes: given up, though the block is sound
        let big = build_block(&[(b"a", &long_value)], 1);
        assert!(raw(&big).is_ok());
        assert_eq!(fast(&big), None);
        // an entry running past the entry area, a bad restart array: given up
        let mut cut = whole.clone();
        cut[2] = 0x7f; // the first value length
        assert!(raw(&cut).is_err());
        assert_eq!(fast(&cut), None);
        assert_eq!(fast(&whole[..3]), None);
        // the callback gives up
        assert_eq!(whole_key_entries(&whole, |_, _| false), None);
    }
}
