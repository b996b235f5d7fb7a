//! `tcbench_rs._native`: the Rust side of the Python package `tcbench_rs` (python/tcbench_rs),
//! a thin layer over the `tcbench` library. Each function does the work off the GIL and
//! returns plain data (text, Arrow IPC bytes) that the package's Python code turns into
//! data frames and typed objects; errors and diagnostics cross over as the package's
//! exceptions and warnings (`errors`).

mod errors;
mod report;
mod tables;

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use pyo3::prelude::*;

use crate::errors::{detached, to_py_err};

/// Runs the `tcbench` command line with `argv` (the program name first) and returns its
/// exit code, the GIL released meanwhile: the `tcbench-rs` command.
#[pyfunction]
fn main(py: Python<'_>, argv: Vec<OsString>) -> u8 {
    let code = py.detach(move || tcbench::commands::main(argv));
    // this process goes on (into Python's exit): what the command line printed is out now
    let _ = std::io::stdout().flush();
    code
}

/// What `tcbench aimrepo doctor --aim-repo REPO --format json` prints: see
/// `tcbench_rs.doctor`, which parses it.
#[pyfunction]
fn doctor_json(py: Python<'_>, repo: PathBuf) -> PyResult<String> {
    detached(py, move || {
        tcbench::commands::aimrepo::doctor::json_text(&repo)
    })?
    .map_err(|e| to_py_err(py, e))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(main, m)?)?;
    m.add_function(wrap_pyfunction!(report::report, m)?)?;
    m.add_function(wrap_pyfunction!(doctor_json, m)?)?;
    // runs() and metrics(): python/src/tables.rs registers them
    tables::register(m)?;
    Ok(())
}
