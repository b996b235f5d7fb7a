//! On-disk format decoders. Every function here works on byte slices that
//! came from disk and therefore never panics: all reads are bounds-checked
//! and all lengths are validated against the bytes actually available.

pub(crate) mod block;
pub(crate) mod coding;
pub(crate) mod footer;
pub(crate) mod internal_key;
pub(crate) mod log;
pub(crate) mod version_edit;
pub(crate) mod write_batch;

/// Why a decoder rejected its input, without the file path (the caller
/// knows the file and turns this into a [`crate::Error`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Bad {
    /// Bytes that do not parse.
    Corrupt(String),
    /// Valid RocksDB data outside the supported subset.
    Unsupported(String),
}

impl Bad {
    pub(crate) fn corrupt(reason: impl Into<String>) -> Bad {
        Bad::Corrupt(reason.into())
    }

    pub(crate) fn unsupported(reason: impl Into<String>) -> Bad {
        Bad::Unsupported(reason.into())
    }

    /// Attach the file path.
    pub(crate) fn at(self, path: &std::path::Path) -> crate::Error {
        match self {
            Bad::Corrupt(reason) => crate::Error::Corruption {
                path: path.to_path_buf(),
                reason,
            },
            Bad::Unsupported(reason) => crate::Error::Unsupported {
                path: path.to_path_buf(),
                reason,
            },
        }
    }
}

/// Result of a decoder.
pub(crate) type DResult<T> = Result<T, Bad>;
