//! Log file framing shared by WAL files and the MANIFEST
//! (RocksDB `db/log_format.h`, `db/log_reader.cc`).
//!
//! The file is a sequence of 32 KiB blocks. Each physical record has a
//! header `masked crc32c (u32) | length (u16) | type (u8)` (recyclable
//! types 5..=8 add a u32 log number) followed by `length` payload bytes. A
//! logical record is either one FULL record or FIRST, MIDDLE*, LAST. Fewer
//! than 7 bytes left in a block are zero padding.

use super::coding::{decode_fixed32, unmask_crc};
use super::{Bad, DResult};

pub(crate) const BLOCK_SIZE: usize = 32 * 1024;
const HEADER: usize = 7;
const RECYCLABLE_HEADER: usize = 11;

/// Split a whole log file into its logical records.
///
/// A torn tail (incomplete header, payload running past the end of file,
/// checksum mismatch in the very last physical record, or an unfinished
/// FIRST/MIDDLE sequence at end of file) ends the log silently, as RocksDB
/// does for a process that died mid-write. Damage before the tail is
/// reported as corruption. `file_number` is checked against recyclable
/// records (a mismatch means stale data from a recycled file: end of log).
pub(crate) fn read_records(data: &[u8], file_number: Option<u64>) -> DResult<Vec<Vec<u8>>> {
    read_log(data, file_number).map(|(records, _)| records)
}

/// [`read_records`] for a file that is never torn unless damaged: the MANIFEST, which
/// RocksDB syncs after every record before it deletes the files the record retires. A
/// torn tail there is corruption (RocksDB itself would silently drop the record, and
/// with it the table files it adds: verified with aimrocks on a truncated MANIFEST,
/// which then reads as an empty database).
pub(crate) fn read_records_whole(data: &[u8]) -> DResult<Vec<Vec<u8>>> {
    match read_log(data, None)? {
        (records, None) => Ok(records),
        (_, Some(torn)) => Err(Bad::corrupt(format!(
            "{torn} (the file was cut short: truncated or partly written)"
        ))),
    }
}

/// The records, and what tore the tail when it is torn.
fn read_log(data: &[u8], file_number: Option<u64>) -> DResult<(Vec<Vec<u8>>, Option<String>)> {
    let len = data.len();
    let mut pos = 0usize;
    let mut records = Vec::new();
    let mut partial: Option<Vec<u8>> = None;
    while pos < len {
        let block_left = BLOCK_SIZE - pos % BLOCK_SIZE;
        if block_left < HEADER {
            pos += block_left;
            continue;
        }
        let Some(&[c0, c1, c2, c3, l0, l1, rtype]) = data.get(pos..pos + HEADER) else {
            // torn header at end of file
            return Ok((records, Some(format!("torn record header at offset {pos}"))));
        };
        let length = usize::from(u16::from_le_bytes([l0, l1]));
        if rtype == 0 && length == 0 {
            // Zero-filled (preallocated / padded) space: skip rest of block.
            pos += block_left;
            continue;
        }
        let recyclable = (5..=8).contains(&rtype);
        let hdr = if recyclable {
            RECYCLABLE_HEADER
        } else {
            HEADER
        };
        let end = pos + hdr + length;
        if end > len {
            let torn = format!("record at offset {pos} runs past the end of file ({len} bytes)");
            return Ok((records, Some(torn)));
        }
        if hdr + length > block_left {
            return Err(Bad::corrupt(format!(
                "log record at offset {pos} crosses a block boundary"
            )));
        }
        let stored = u32::from_le_bytes([c0, c1, c2, c3]);
        let actual = crc32c::crc32c(data.get(pos + 6..end).unwrap_or(&[]));
        if unmask_crc(stored) != actual {
            if end == len {
                let torn = format!("checksum mismatch in the last record, at offset {pos}");
                return Ok((records, Some(torn)));
            }
            return Err(Bad::corrupt(format!(
                "log record checksum mismatch at offset {pos}"
            )));
        }
        if recyclable {
            let num = data
                .get(pos + 7..pos + 11)
                .and_then(decode_fixed32)
                .unwrap_or(0);
            if let Some(f) = file_number {
                if u64::from(num) != f & 0xffff_ffff {
                    return Ok((records, None)); // stale record of a recycled log
                }
            }
        }
        let payload = data.get(pos + hdr..end).unwrap_or(&[]);
        match rtype {
            1 | 5 => {
                if partial.is_some() {
                    return Err(Bad::corrupt(format!(
                        "partial log record without end before offset {pos}"
                    )));
                }
                records.push(payload.to_vec());
            }
            2 | 6 => {
                if partial.is_some() {
                    return Err(Bad::corrupt(format!(
                        "partial log record without end before offset {pos}"
                    )));
                }
                partial = Some(payload.to_vec());
            }
            3 | 7 => match partial.as_mut() {
                Some(p) => p.extend_from_slice(payload),
                None => {
                    return Err(Bad::corrupt(format!(
                        "MIDDLE log record without FIRST at offset {pos}"
                    )))
                }
            },
            4 | 8 => match partial.take() {
                Some(mut p) => {
                    p.extend_from_slice(payload);
                    records.push(p);
                }
                None => {
                    return Err(Bad::corrupt(format!(
                        "LAST log record without FIRST at offset {pos}"
                    )))
                }
            },
            other => {
                return Err(Bad::corrupt(format!(
                    "unknown log record type {other} at offset {pos}"
                )));
            }
        }
        pos = end;
    }
    let torn = partial.map(|_| "the last record is unfinished at end of file".to_string());
    Ok((records, torn))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::format::coding::mask_crc;

    /// Minimal log writer (same framing as RocksDB's log::Writer).
    pub(crate) fn write_log(records: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for rec in records {
            let mut left: &[u8] = rec;
            let mut begin = true;
            loop {
                let block_left = BLOCK_SIZE - out.len() % BLOCK_SIZE;
                if block_left < HEADER {
                    out.resize(out.len() + block_left, 0);
                    continue;
                }
                let avail = block_left - HEADER;
                let n = left.len().min(avail);
                let end = n == left.len();
                let t = match (begin, end) {
                    (true, true) => 1u8,
                    (true, false) => 2,
                    (false, false) => 3,
                    (false, true) => 4,
                };
                let mut crc_in = vec![t];
                crc_in.extend_from_slice(&left[..n]);
                out.extend_from_slice(&mask_crc(crc32c::crc32c(&crc_in)).to_le_bytes());
                out.extend_from_slice(&(n as u16).to_le_bytes());
                out.push(t);
                out.extend_from_slice(&left[..n]);
                left = &left[n..];
                begin = false;
                if end {
                    break;
                }
            }
        }
        out
    }

    #[test]
    fn small_and_fragmented_records() {
        let big = vec![0xabu8; 100_000];
        let recs: Vec<&[u8]> = vec![b"one", &big, b"", b"three"];
        let log = write_log(&recs);
        let got = read_records(&log, None).unwrap();
        assert_eq!(got.len(), 4);
        assert_eq!(got[0], b"one");
        assert_eq!(got[1], big);
        assert_eq!(got[2], b"");
        assert_eq!(got[3], b"three");
    }

    #[test]
    fn block_padding() {
        // A record that leaves exactly 3 bytes in the first block forces padding.
        let first = vec![1u8; BLOCK_SIZE - HEADER - 3];
        let log = write_log(&[&first, b"next"]);
        assert_eq!(&log[BLOCK_SIZE - 3..BLOCK_SIZE], &[0, 0, 0]);
        let got = read_records(&log, None).unwrap();
        assert_eq!(got, vec![first, b"next".to_vec()]);
    }

    #[test]
    fn torn_tail_is_end_of_log() {
        let big = vec![7u8; 50_000];
        let log = write_log(&[b"a", b"bb", &big]);
        // every truncation point yields a prefix of the records, never an error
        for cut in 0..log.len() {
            let got = read_records(&log[..cut], None).unwrap();
            assert!(got.len() <= 3);
            if got.len() == 3 {
                assert_eq!(cut, log.len());
            }
        }
        // garbled last record: end of log
        let mut bad = write_log(&[b"a", b"bb"]);
        let n = bad.len();
        bad[n - 1] ^= 0xff;
        assert_eq!(read_records(&bad, None).unwrap(), vec![b"a".to_vec()]);
        // zero-filled preallocated tail
        let mut z = write_log(&[b"a"]);
        z.resize(z.len() + 100, 0);
        assert_eq!(read_records(&z, None).unwrap(), vec![b"a".to_vec()]);
    }

    #[test]
    fn a_torn_manifest_is_corruption() {
        let big = vec![7u8; 50_000];
        let log = write_log(&[b"a", b"bb", &big]);
        assert_eq!(read_records_whole(&log).unwrap().len(), 3);
        for cut in [1, 10, 20, 40_000, log.len() - 1] {
            let err = read_records_whole(&log[..cut]).unwrap_err();
            assert!(
                matches!(err, Bad::Corrupt(ref r) if r.contains("cut short")),
                "{cut}: {err:?}"
            );
        }
        // cut at a record boundary: nothing tells (as for RocksDB)
        assert_eq!(read_records_whole(&log[..8]).unwrap(), vec![b"a".to_vec()]);
    }

    #[test]
    fn checksum_mismatch_in_the_middle_is_corruption() {
        let mut log = write_log(&[b"aaaa", b"bbbb", b"cccc"]);
        log[HEADER] ^= 0xff; // payload byte of first record
        let err = read_records(&log, None).unwrap_err();
        assert_eq!(
            err,
            Bad::corrupt("log record checksum mismatch at offset 0")
        );
    }

    #[test]
    fn garbage_does_not_panic() {
        let log = write_log(&[b"hello world", &[9u8; 40_000]]);
        for i in (0..log.len()).step_by(97) {
            let mut b = log.clone();
            b[i] = b[i].wrapping_add(1);
            let _ = read_records(&b, Some(3));
        }
    }
}
