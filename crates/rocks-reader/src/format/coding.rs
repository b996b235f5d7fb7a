//! Little-endian fixed integers, varints and length-prefixed slices
//! (RocksDB `util/coding.h`).

use super::{Bad, DResult};

/// A bounds-checked cursor over a byte slice.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// Bytes consumed so far.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn bytes(&mut self, n: usize, what: &str) -> DResult<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| Bad::corrupt(format!("truncated {what}")))?;
        let out = self.buf.get(self.pos..end).unwrap_or(&[]);
        self.pos = end;
        Ok(out)
    }

    pub(crate) fn u8(&mut self, what: &str) -> DResult<u8> {
        Ok(self.bytes(1, what)?.first().copied().unwrap_or(0))
    }

    pub(crate) fn fixed32(&mut self, what: &str) -> DResult<u32> {
        let b = self.bytes(4, what)?;
        Ok(decode_fixed32(b).unwrap_or(0))
    }

    pub(crate) fn fixed64(&mut self, what: &str) -> DResult<u64> {
        let b = self.bytes(8, what)?;
        Ok(decode_fixed64(b).unwrap_or(0))
    }

    pub(crate) fn varint64(&mut self, what: &str) -> DResult<u64> {
        let mut result: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.u8(what)?;
            result |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(result);
            }
        }
        Err(Bad::corrupt(format!("overlong varint in {what}")))
    }

    #[inline]
    pub(crate) fn varint32(&mut self, what: &str) -> DResult<u32> {
        // one-byte values (most lengths in a block) without the loop
        if let Some(&b) = self.buf.get(self.pos) {
            if b & 0x80 == 0 {
                self.pos += 1;
                return Ok(u32::from(b));
            }
        }
        self.varint32_slow(what)
    }

    fn varint32_slow(&mut self, what: &str) -> DResult<u32> {
        let mut result: u32 = 0;
        for shift in (0..32).step_by(7) {
            let b = self.u8(what)?;
            result |= u32::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                if shift == 28 && b > 0x0f {
                    return Err(Bad::corrupt(format!("varint32 overflow in {what}")));
                }
                return Ok(result);
            }
        }
        Err(Bad::corrupt(format!("overlong varint32 in {what}")))
    }

    /// Zig-zag encoded signed varint (`GetVarsignedint64`).
    pub(crate) fn varsigned64(&mut self, what: &str) -> DResult<i64> {
        let u = self.varint64(what)?;
        Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
    }

    /// varint32 length followed by that many bytes.
    pub(crate) fn varstring(&mut self, what: &str) -> DResult<&'a [u8]> {
        let n = self.varint32(what)?;
        let n = usize::try_from(n).map_err(|_| Bad::corrupt(format!("bad length in {what}")))?;
        self.bytes(n, what)
    }
}

pub(crate) fn decode_fixed32(b: &[u8]) -> Option<u32> {
    let a: [u8; 4] = b.get(..4)?.try_into().ok()?;
    Some(u32::from_le_bytes(a))
}

pub(crate) fn decode_fixed64(b: &[u8]) -> Option<u64> {
    let a: [u8; 8] = b.get(..8)?.try_into().ok()?;
    Some(u64::from_le_bytes(a))
}

/// RocksDB's masked crc32c (`crc32c::Unmask`).
pub(crate) fn unmask_crc(masked: u32) -> u32 {
    let rot = masked.wrapping_sub(0xa282_ead8);
    rot.rotate_left(15)
}

/// RocksDB's masked crc32c (`crc32c::Mask`).
#[cfg(test)]
pub(crate) fn mask_crc(crc: u32) -> u32 {
    crc.rotate_right(15).wrapping_add(0xa282_ead8)
}

#[cfg(test)]
pub(crate) fn put_varint64(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

#[cfg(test)]
pub(crate) fn put_varstring(out: &mut Vec<u8>, s: &[u8]) {
    put_varint64(out, s.len() as u64);
    out.extend_from_slice(s);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_roundtrip() {
        for v in [
            0u64,
            1,
            127,
            128,
            300,
            16383,
            16384,
            u32::MAX as u64,
            u64::MAX,
        ] {
            let mut b = Vec::new();
            put_varint64(&mut b, v);
            let mut r = Reader::new(&b);
            assert_eq!(r.varint64("t").unwrap(), v);
            assert!(r.is_empty());
        }
    }

    #[test]
    fn varint32_limits() {
        let mut b = Vec::new();
        put_varint64(&mut b, u32::MAX as u64);
        assert_eq!(Reader::new(&b).varint32("t").unwrap(), u32::MAX);
        let mut b = Vec::new();
        put_varint64(&mut b, u32::MAX as u64 + 1);
        assert!(Reader::new(&b).varint32("t").is_err());
        // truncated
        assert!(Reader::new(&[0x80, 0x80]).varint64("t").is_err());
        // overlong
        assert!(Reader::new(&[0xff; 11]).varint64("t").is_err());
        assert_eq!(Reader::new(&[0xac, 0x02]).varint32("t").unwrap(), 300);
    }

    #[test]
    fn varsigned() {
        // zigzag: 0->0, 1->-1, 2->1, 3->-2
        for (enc, dec) in [(0u8, 0i64), (1, -1), (2, 1), (3, -2)] {
            assert_eq!(Reader::new(&[enc]).varsigned64("t").unwrap(), dec);
        }
    }

    #[test]
    fn fixed_and_strings() {
        let mut r = Reader::new(&[1, 0, 0, 0, 2, b'h', b'i', 9]);
        assert_eq!(r.fixed32("a").unwrap(), 1);
        assert_eq!(r.varstring("b").unwrap(), b"hi");
        assert!(r.fixed32("c").is_err());
        let mut r = Reader::new(&[200, 1, b'x']);
        assert!(r.varstring("big").is_err());
    }

    #[test]
    fn crc_mask() {
        for c in [0u32, 1, 0xdead_beef, u32::MAX] {
            assert_eq!(unmask_crc(mask_crc(c)), c);
        }
    }
}
