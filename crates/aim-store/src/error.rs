//! Errors of the Aim layer: every one names the path it is about.

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
    #[error("`{}`: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// `run_metadata.sqlite` cannot be read.
    #[error("`{}`: cannot read Aim's run database: {reason}", path.display())]
    Sqlite {
        /// The SQLite file.
        path: PathBuf,
        /// What SQLite said.
        reason: String,
    },
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
