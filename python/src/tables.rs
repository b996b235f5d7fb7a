//! `runs()` and `metrics()`: placeholder until their bindings land; registers nothing.

use pyo3::prelude::*;

/// Adds this module's functions to `tcbench_rs._native`.
pub fn register(_m: &Bound<PyModule>) -> PyResult<()> {
    Ok(())
}
