//! `tcbench` as a library: the pipeline behind `tcbench aimrepo`, callable in-process (by the
//! CLI in `main.rs`, and by the Python package to come).
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
//! Nothing here prints: the binary's command layer decides what goes to stdout and stderr.

pub mod filter;
pub mod frame;
pub mod output;
pub mod properties;
pub mod pyfmt;
pub mod report;
pub mod runs;
