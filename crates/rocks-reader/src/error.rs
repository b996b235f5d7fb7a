//! The crate's error type: every variant names the file it is about.
//!
//! Each message is whole: it names the file and what went wrong, the cause included
//! (`<path>: I/O error: <the I/O error>`), so that it reads well alone as a one-line error.
//! [`std::error::Error::source`] is therefore `None` for every variant — a cause is given
//! once, in the text, never again as a source (an error chain printed with anyhow's `{:#}`
//! repeats nothing). The I/O error itself stays reachable as the `source` field of
//! [`Error::Io`] (for its [`std::io::ErrorKind`]).

use std::fmt;
use std::path::{Path, PathBuf};

/// Errors from opening or reading a database. Every variant names the file.
#[derive(Debug)]
pub enum Error {
    /// I/O error on a named file.
    Io {
        /// The file (or directory) being read.
        path: PathBuf,
        /// The underlying error (named in the message; not returned by `source()`).
        source: std::io::Error,
    },
    /// Bytes that do not parse, checksum mismatch, truncated file.
    Corruption {
        /// The damaged file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Valid RocksDB data outside the supported subset.
    Unsupported {
        /// The file using the feature.
        path: PathBuf,
        /// Which feature.
        reason: String,
    },
    /// Not a RocksDB directory (no CURRENT file).
    NotADatabase {
        /// The directory.
        path: PathBuf,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => write!(f, "{}: I/O error: {source}", path.display()),
            Error::Corruption { path, reason } => {
                write!(f, "{}: corruption: {reason}", path.display())
            }
            Error::Unsupported { path, reason } => {
                write!(f, "{}: unsupported: {reason}", path.display())
            }
            Error::NotADatabase { path } => write!(
                f,
                "{}: not a RocksDB directory (no CURRENT file)",
                path.display()
            ),
        }
    }
}

/// No `source()`: every message already holds its cause (see the module docs).
impl std::error::Error for Error {}

/// An [`Error::Io`] on `path`.
pub(crate) fn io_err(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_hold_their_cause_and_give_no_source() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        let e = io_err(Path::new("db/CURRENT"), io);
        assert_eq!(e.to_string(), "db/CURRENT: I/O error: gone");
        assert!(std::error::Error::source(&e).is_none());
        let e = Error::NotADatabase {
            path: PathBuf::from("db"),
        };
        assert_eq!(
            e.to_string(),
            "db: not a RocksDB directory (no CURRENT file)"
        );
    }
}
