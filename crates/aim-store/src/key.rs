//! Aim's key paths: tuples of `str`/`int` segments, each ending with the sentinel byte `0xFE`
//! (docs/aim-format.md §2.1). Decoding never panics: malformed keys are errors.

use std::fmt;

/// The byte that ends every segment (never present in valid UTF-8).
pub const SENTINEL: u8 = 0xFE;

/// One segment of a key path.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Seg {
    /// A string segment.
    Str(String),
    /// A signed 64-bit integer segment (list index, context id, hashed step).
    Int(i64),
}

impl Seg {
    /// The string, if this is a string segment.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Seg::Str(s) => Some(s),
            Seg::Int(_) => None,
        }
    }
    /// The integer, if this is an integer segment.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Seg::Int(i) => Some(*i),
            Seg::Str(_) => None,
        }
    }
}

impl fmt::Display for Seg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Seg::Str(s) => f.write_str(s),
            Seg::Int(i) => write!(f, "{i}"),
        }
    }
}

impl From<&str> for Seg {
    fn from(s: &str) -> Self {
        Seg::Str(s.to_owned())
    }
}

impl From<i64> for Seg {
    fn from(i: i64) -> Self {
        Seg::Int(i)
    }
}

/// A key that does not decode as an Aim path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed key at byte {offset}: {reason}")]
pub struct KeyError {
    /// Byte offset in the key where decoding failed.
    pub offset: usize,
    /// What is wrong.
    pub reason: &'static str,
}

/// Appends the encoding of one segment to `out`.
pub fn encode_seg(out: &mut Vec<u8>, seg: &Seg) {
    match seg {
        Seg::Str(s) => {
            out.extend_from_slice(s.as_bytes());
            out.push(SENTINEL);
        }
        Seg::Int(i) => {
            out.push(SENTINEL);
            out.extend_from_slice(&i.to_be_bytes());
            out.push(SENTINEL);
        }
    }
}

/// Encodes a path.
pub fn encode(path: &[Seg]) -> Vec<u8> {
    let mut out = Vec::new();
    for seg in path {
        encode_seg(&mut out, seg);
    }
    out
}

/// Encodes a path made of string segments only.
pub fn encode_strs(path: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for s in path {
        out.extend_from_slice(s.as_bytes());
        out.push(SENTINEL);
    }
    out
}

/// A segment borrowed from the key bytes (no allocation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SegRef<'a> {
    /// A string segment.
    Str(&'a str),
    /// An integer segment.
    Int(i64),
}

impl SegRef<'_> {
    /// The owned segment.
    pub fn to_seg(self) -> Seg {
        match self {
            SegRef::Str(s) => Seg::Str(s.to_owned()),
            SegRef::Int(i) => Seg::Int(i),
        }
    }
}

/// The segments of a key, decoded one by one without allocating.
#[derive(Clone, Debug)]
pub struct Segments<'a> {
    key: &'a [u8],
    pos: usize,
}

/// Iterates over the segments of `key`; a malformed segment yields an error and ends it.
pub fn segments(key: &[u8]) -> Segments<'_> {
    Segments { key, pos: 0 }
}

impl<'a> Segments<'a> {
    /// How many bytes of the key the segments yielded so far span.
    pub fn position(&self) -> usize {
        self.pos
    }

    fn decode_next(&mut self) -> Result<SegRef<'a>, KeyError> {
        let key = self.key;
        let pos = self.pos;
        let rest = key.get(pos..).unwrap_or_default();
        if rest.first() == Some(&SENTINEL) {
            // int segment: FE, 8 bytes big-endian, FE
            let body: [u8; 8] = rest
                .get(1..9)
                .and_then(|b| b.try_into().ok())
                .ok_or(KeyError {
                    offset: pos,
                    reason: "integer segment is truncated",
                })?;
            if rest.get(9) != Some(&SENTINEL) {
                return Err(KeyError {
                    offset: pos + 9,
                    reason: "integer segment does not end with 0xFE",
                });
            }
            self.pos = pos + 10;
            Ok(SegRef::Int(i64::from_be_bytes(body)))
        } else {
            let end = rest.iter().position(|&b| b == SENTINEL).ok_or(KeyError {
                offset: pos,
                reason: "string segment does not end with 0xFE",
            })?;
            let s =
                std::str::from_utf8(rest.get(..end).unwrap_or_default()).map_err(|_| KeyError {
                    offset: pos,
                    reason: "string segment is not UTF-8",
                })?;
            self.pos = pos + end + 1;
            Ok(SegRef::Str(s))
        }
    }
}

impl<'a> Iterator for Segments<'a> {
    type Item = Result<SegRef<'a>, KeyError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.key.len() {
            return None;
        }
        let r = self.decode_next();
        if r.is_err() {
            self.pos = self.key.len();
        }
        Some(r)
    }
}

/// Decodes a whole key into its segments.
pub fn decode(key: &[u8]) -> Result<Vec<Seg>, KeyError> {
    segments(key).map(|s| s.map(SegRef::to_seg)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_worked_example() {
        // docs/aim-format.md §2.4: ('meta','chunks',H,'attrs','hparams','layers', 1)
        let path = vec![
            Seg::from("meta"),
            Seg::from("chunks"),
            Seg::from("e8a747796cd54c688c4ab6de"),
            Seg::from("attrs"),
            Seg::from("hparams"),
            Seg::from("layers"),
            Seg::Int(1),
        ];
        let enc = encode(&path);
        assert!(enc.ends_with(&[
            0x6c, 0x61, 0x79, 0x65, 0x72, 0x73, 0xfe, 0xfe, 0, 0, 0, 0, 0, 0, 0, 1, 0xfe
        ]));
        assert_eq!(decode(&enc).unwrap(), path);
    }

    #[test]
    fn int_segment_may_contain_sentinel_bytes() {
        let ctx = -8686149688933388395i64; // 877498e10d416f95
        let path = vec![Seg::from("contexts"), Seg::Int(ctx), Seg::from("subset")];
        assert_eq!(decode(&encode(&path)).unwrap(), path);
        let fe = i64::from_be_bytes([0xfe; 8]);
        let path = vec![Seg::Int(fe), Seg::from("x")];
        assert_eq!(decode(&encode(&path)).unwrap(), path);
    }

    #[test]
    fn malformed_keys_are_errors() {
        assert_eq!(
            decode(b"meta").unwrap_err().reason,
            "string segment does not end with 0xFE"
        );
        assert_eq!(
            decode(&[0xfe, 1, 2]).unwrap_err().reason,
            "integer segment is truncated"
        );
        assert_eq!(
            decode(&[0xfe, 0, 0, 0, 0, 0, 0, 0, 1, 0x00])
                .unwrap_err()
                .reason,
            "integer segment does not end with 0xFE"
        );
        assert_eq!(
            decode(&[0xff, 0xfe]).unwrap_err().reason,
            "string segment is not UTF-8"
        );
    }
}
