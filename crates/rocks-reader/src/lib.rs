//! A pure-Rust, **read-only** reader for the subset of RocksDB that Aim
//! (aimrocks / RocksDB 6.29.5 and older 6.x) writes.
//!
//! Why it exists: `tcbench` must inspect Aim repositories without linking
//! the C++ RocksDB library and, above all, without ever modifying the
//! user's repository. Opening a RocksDB with RocksDB itself (even Aim's own
//! SDK) can flush, compact, rename or lock files; this crate only ever
//! opens files for reading (through [`file::open_regular`]: regular files
//! only, never read past their size) and never writes, creates, locks or
//! renames anything.
//!
//! Supported subset: the `default` column family, `leveldb.BytewiseComparator`,
//! block-based tables with format_version 0..=5, crc32c (or no) checksums,
//! binary-search indexes (with or without value delta encoding and user-key
//! index keys), uncompressed or Snappy blocks, range tombstones, and
//! replay of the WAL (`*.log`) on top of the live SST files listed in the
//! MANIFEST. Everything else (merge operands, other compressions or
//! comparators, blob files, data in other column families, partitioned
//! indexes, two-phase commit markers...) yields [`Error::Unsupported`].

#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod bytes;
mod db;
mod error;
pub mod file;
mod format;
mod iter;
#[cfg(test)]
mod live_tests;
mod options;
mod pool;
mod range_del;
mod table;

pub use db::Db;
pub use error::Error;
pub use iter::DbIter;
pub use options::{OpenOptions, DEFAULT_HOLD_LIMIT};
