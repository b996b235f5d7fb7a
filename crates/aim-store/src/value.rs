//! Aim's stored values: one type byte, then a little-endian payload (docs/aim-format.md §2.2).

/// A decoded stored value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `00`, and any unknown type byte (Aim's own behaviour).
    None,
    /// `01`
    Bool(bool),
    /// `02`
    Int(i64),
    /// `03`
    Float(f64),
    /// `04`
    Str(String),
    /// `05`
    Bytes(Vec<u8>),
    /// `06`: a list starts here.
    ArrayMarker,
    /// `07`: a dict starts here.
    ObjectMarker,
    /// `0F` + type name: a custom object (`aim.image`, `aim.text`, …) starts here.
    Custom(String),
    /// An empty stored value: a BLOB placeholder, the data lives under `BLOBS FE <key>`.
    Blob,
}

/// A value whose payload does not match its type byte.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed value: {0}")]
pub struct ValueError(pub &'static str);

fn eight(payload: &[u8]) -> Result<[u8; 8], ValueError> {
    payload
        .try_into()
        .map_err(|_| ValueError("numeric payload is not 8 bytes"))
}

/// Decodes a stored value.
pub fn decode(bytes: &[u8]) -> Result<Value, ValueError> {
    let Some((&tag, payload)) = bytes.split_first() else {
        return Ok(Value::Blob);
    };
    Ok(match tag {
        0x00 => Value::None,
        0x01 => Value::Bool(payload.first().is_some_and(|&b| b != 0)),
        0x02 => Value::Int(i64::from_le_bytes(eight(payload)?)),
        0x03 => Value::Float(f64::from_le_bytes(eight(payload)?)),
        0x04 => Value::Str(String::from_utf8_lossy(payload).into_owned()),
        0x05 => Value::Bytes(payload.to_vec()),
        0x06 => Value::ArrayMarker,
        0x07 => Value::ObjectMarker,
        0x0F => Value::Custom(String::from_utf8_lossy(payload).into_owned()),
        _ => Value::None,
    })
}

impl Value {
    /// The value as a float, for numeric values.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            _ => None,
        }
    }
    /// The value as an integer, for int values.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_worked_examples() {
        // docs/aim-format.md §2.4
        let lr = [0x03, 0xfc, 0xa9, 0xf1, 0xd2, 0x4d, 0x62, 0x50, 0x3f];
        assert_eq!(decode(&lr).unwrap(), Value::Float(0.001));
        let i = [0x02, 0x20, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(decode(&i).unwrap(), Value::Int(32));
        assert_eq!(decode(&[0x01, 0x01]).unwrap(), Value::Bool(true));
        assert_eq!(decode(b"\x04adam").unwrap(), Value::Str("adam".into()));
        assert_eq!(decode(&[0x00]).unwrap(), Value::None);
        assert_eq!(decode(&[0x07]).unwrap(), Value::ObjectMarker);
        assert_eq!(decode(&[0x06]).unwrap(), Value::ArrayMarker);
        assert_eq!(
            decode(b"\x0faim.image").unwrap(),
            Value::Custom("aim.image".into())
        );
        assert_eq!(decode(&[]).unwrap(), Value::Blob);
        assert_eq!(decode(&[0x42, 1, 2]).unwrap(), Value::None);
    }

    #[test]
    fn short_numeric_payload_is_an_error() {
        assert_eq!(
            decode(&[0x03, 1, 2, 3]).unwrap_err(),
            ValueError("numeric payload is not 8 bytes")
        );
        assert!(decode(&[0x02]).is_err());
    }
}
