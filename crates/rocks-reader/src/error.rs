//! The crate's error type: every variant names the file it is about.

use std::path::{Path, PathBuf};

/// Errors from opening or reading a database. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// I/O error on a named file.
    #[error("{}: I/O error: {source}", path.display())]
    Io {
        /// The file (or directory) being read.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Bytes that do not parse, checksum mismatch, truncated file.
    #[error("{}: corruption: {reason}", path.display())]
    Corruption {
        /// The damaged file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Valid RocksDB data outside the supported subset.
    #[error("{}: unsupported: {reason}", path.display())]
    Unsupported {
        /// The file using the feature.
        path: PathBuf,
        /// Which feature.
        reason: String,
    },
    /// Not a RocksDB directory (no CURRENT file).
    #[error("{}: not a RocksDB directory (no CURRENT file)", path.display())]
    NotADatabase {
        /// The directory.
        path: PathBuf,
    },
}

/// An [`Error::Io`] on `path`.
pub(crate) fn io_err(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source,
    }
}
