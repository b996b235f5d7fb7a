//! Reads Aim repositories (`.aim/`) natively: key paths, typed values, trees, runs, traces,
//! sequence values and the SQLite join, as documented in `docs/aim-format.md`.
//!
//! It exists so that the `tcbench` CLI can inspect Aim repositories without Python and
//! without ever writing into them: RocksDB chunks are read through the read-only
//! `rocks-reader`, SQLite is opened read-only. It knows nothing of the CLI.
//!
//! The crate has two sides. The read side (every module but [`write`](mod@write)) never writes a
//! file, takes no lock and opens SQLite read-only. The writing side, [`write`](mod@write), holds every
//! writer: [`write::merge`] (a new or appended repository, assembled by byte copy, its
//! SQLite file written read-write) and [`write::staging`] (the hidden folders `merge` and
//! `export` assemble their output in, and a destination's lock). It only writes into
//! destinations tcbench creates or appends to, never into the repositories it reads.

#![deny(missing_docs)]

pub mod error;
pub mod fuzz;
pub mod health;
pub mod key;
mod liveness;
pub mod pick;
pub mod repo;
pub mod run;
pub mod seqs;
pub mod sqlite;
pub mod staging;
pub mod tree;
pub mod value;
pub mod write;

pub use error::{RepoError, RunError, SqliteError};
pub use key::Seg;
pub use pick::Best;
pub use repo::{par_map, Detail, Problem, Repo, Scan};
pub use run::{EndTime, Run, RunMeta, Trace, TraceKey};
pub use seqs::{Point, Row, Seqs};
pub use sqlite::RunProps;
pub use tree::Node;
pub use value::Value;
