//! `tcbench` as a library: the pipeline behind `tcbench aimrepo`, callable in-process (by the
//! CLI in `main.rs`, and by the Python package to come).
//!
//! Data flows one way, one module per stage:
//!
//! ```text
//! open sources ─► runs (+ diagnostics as data) ─► select / filter ─► summarize ─► outputs
//!    runs            runs::Diagnostic               filter            report        output
//! ```
//!
//! Nothing here prints: loading returns its warnings and notes as data, renderers write into
//! any [`std::io::Write`], and the binary's command layer decides what goes to stdout and
//! stderr.

pub mod filter;
pub mod frame;
pub mod output;
pub mod properties;
pub mod pyfmt;
pub mod report;
pub mod runs;
