//! Errors of the Aim layer: every one names the path it is about.
//!
//! One convention for every error of the crate: the message holds the cause's text, so
//! [`std::error::Error::source`] does not return a cause already in the text (a chain
//! printed `: `-separated, as anyhow's `{:#}` does, says each thing once). Causes are kept
//! typed in the variants (an [`std::io::Error`], a [`SqliteError`]) for callers that match
//! on them.

use std::path::PathBuf;

/// An error that makes the whole repository unreadable.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// The path does not exist.
    #[error("`{}` does not exist", .0.display())]
    NotFound(PathBuf),
    /// The path exists but holds no Aim repository.
    #[error("`{}` is not an Aim repository (no `.aim` folder with `run_metadata.sqlite`); point --aim-repo at the folder that contains `.aim`", .0.display())]
    NotARepo(PathBuf),
    /// Listing or reading a file failed.
    #[error("`{}`: {error}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error (in the message, not a [`source`](std::error::Error::source)).
        error: std::io::Error,
    },
    /// `run_metadata.sqlite` cannot be read.
    #[error("`{}`: cannot read Aim's run database: {cause}", path.display())]
    Sqlite {
        /// The SQLite file.
        path: PathBuf,
        /// Why (in the message, not a [`source`](std::error::Error::source)).
        cause: SqliteError,
    },
}

/// Why a SQLite database could not be read or written: refused before SQLite opens it (a
/// FIFO there would block the open forever, a device be read endlessly), or what SQLite
/// said. Its message is the reason alone; the error holding it names the file.
#[derive(Debug, thiserror::Error)]
pub enum SqliteError {
    /// The database file does not exist.
    #[error("file is missing")]
    Missing,
    /// The database file is not a regular file, or cannot be opened.
    #[error("{0}")]
    File(std::io::Error),
    /// A companion SQLite opens along with the database (`-journal`, `-wal`, `-shm`) is
    /// not a regular file, or cannot be opened.
    #[error("`{}`: {error}", path.display())]
    Companion {
        /// The companion file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// What SQLite said.
    #[error("{0}")]
    Sqlite(rusqlite::Error),
}

impl From<rusqlite::Error> for SqliteError {
    fn from(e: rusqlite::Error) -> Self {
        SqliteError::Sqlite(e)
    }
}

/// An error confined to one run: the run is reported and skipped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The chunk's RocksDB directory cannot be read.
    #[error(transparent)]
    Rocks(#[from] rocks_reader::Error),
    /// A key or value inside a chunk does not decode.
    #[error("`{}`: {reason}", path.display())]
    Decode {
        /// The chunk directory.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A run's sequence data is missing or cannot be reached (see
    /// [`crate::Seqs::presence`]).
    #[error("`{}`: {reason}", path.display())]
    SeqsMissing {
        /// The seqs chunk directory.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;
    use crate::write::merge::MergeError;

    /// The message holds the cause once; `source()` does not give it again.
    #[test]
    fn messages_hold_their_cause_and_no_source_repeats_it() {
        let io = || std::io::Error::other("boom");
        let e = RepoError::Io {
            path: "p".into(),
            error: io(),
        };
        assert_eq!(e.to_string(), "`p`: boom");
        assert!(e.source().is_none());
        let e = RepoError::Sqlite {
            path: "db".into(),
            cause: SqliteError::Companion {
                path: "db-wal".into(),
                error: io(),
            },
        };
        assert_eq!(
            e.to_string(),
            "`db`: cannot read Aim's run database: `db-wal`: boom"
        );
        assert!(e.source().is_none());
        let e = RepoError::Sqlite {
            path: "db".into(),
            cause: SqliteError::Missing,
        };
        assert_eq!(
            e.to_string(),
            "`db`: cannot read Aim's run database: file is missing"
        );
        let sqlite = SqliteError::from(rusqlite::Error::InvalidQuery);
        assert_eq!(
            sqlite.to_string(),
            rusqlite::Error::InvalidQuery.to_string()
        );
        assert!(sqlite.source().is_none());
        let e = MergeError::Sqlite {
            path: "db".into(),
            cause: sqlite,
        };
        assert!(e.to_string().starts_with("`db`: SQLite: "));
        assert!(e.source().is_none());
        let e = MergeError::Io {
            path: "p".into(),
            error: io(),
        };
        assert_eq!(e.to_string(), "`p`: boom");
        assert!(e.source().is_none());
    }
}
