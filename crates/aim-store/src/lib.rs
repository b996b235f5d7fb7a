//! Reads Aim repositories (`.aim/`) natively: key paths, typed values, trees, runs, traces,
//! sequence values and the SQLite join, as documented in `docs/aim-format.md`.
//!
//! It exists so that the `tcbench` CLI can inspect Aim repositories without Python and
//! without ever writing into them: RocksDB chunks are read through the read-only
//! `rocks-reader`, SQLite is opened read-only. It knows nothing of the CLI.

#![deny(missing_docs)]

pub mod error;
pub mod fuzz;
pub mod health;
pub mod key;
pub mod merge;
pub mod repo;
pub mod run;
pub mod seqs;
pub mod sqlite;
pub mod staging;
pub mod tree;
pub mod value;
mod writer;

pub use error::{RepoError, RunError};
pub use key::Seg;
pub use repo::{par_map, Detail, Problem, Repo, Scan};
pub use run::{EndTime, Run, RunMeta, Trace};
pub use seqs::{Point, Row, Seqs};
pub use sqlite::RunProps;
pub use tree::Node;
pub use value::Value;
