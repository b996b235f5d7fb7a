//! `tcbench` as a library: the pipeline behind `tcbench aimrepo`, callable in-process (by the
//! CLI in `main.rs`, and by the Python package in `python/`).
//!
//! Data flows one way, one module per stage:
//!
//! ```text
//! open sources ─► runs (+ diagnostics) ─► select / filter ─► summarize ─────────► outputs
//!   runs::open_sources   runs::load         filter           report, properties     output
//! ```
//!
//! - [`runs`]: the repositories read as one; damaged runs, duplicates, merges in progress
//!   returned as [`runs::Diagnostic`]s; `--filter` and the archived-runs rule applied.
//! - [`report`]: arguments resolved against the runs ([`report::config`]), each run's metric
//!   values, groups and their statistics ([`report::stats`], also `properties`' mean/std).
//! - [`properties`]: run count, duration, metrics, contexts, hyper-parameter values.
//! - [`output`]: renderers over any [`std::io::Write`] (`console`), the report's files
//!   (`files`), the plots (`plot`), where files may go (`dest`), shared wording (`text`).
//!
//! The pipeline prints nothing. Above it sits the command layer, the only code that prints:
//! clap's arguments ([`cli`]), one thin file per subcommand and the dispatch ([`commands`],
//! whose [`commands::main`] is the whole command line) and `printer`. It is part of the
//! library so that the binary and the Python wheel's `tcbench-rs` run the same program.

// the command layer names the pipeline by the crate's name, as a dependent crate would
extern crate self as tcbench;

pub mod cli;
pub mod commands;
pub mod filter;
pub mod frame;
pub mod output;
mod printer;
pub mod properties;
pub mod pyfmt;
pub mod report;
pub mod runs;
pub mod tables;
