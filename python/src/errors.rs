//! What every binding shares at the boundary with Python: errors raised as the package's
//! exception classes, diagnostics issued as warnings, the repository argument, and the
//! waiting for Rust work with the GIL released (Ctrl-C still interrupting it).
//!
//! The exception and warning classes are defined in Python (`tcbench_rs/_errors.py`), where
//! they can inherit from the built-in classes, be documented and be caught like any other;
//! this side raises them by name.

use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use aim_store::RepoError;
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple, PyType};
use tcbench::runs::{Diagnostic, NoRepository};

/// The module defining the classes.
const CLASSES: &str = "tcbench_rs._errors";

/// How often a waiting call looks for a pending signal (Ctrl-C).
const TICK: Duration = Duration::from_millis(50);

fn class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyType>> {
    Ok(py.import(CLASSES)?.getattr(name)?.cast_into::<PyType>()?)
}

/// An error in the arguments of a call (an unknown metric, context, group-by name or
/// campaign, an empty list): [`to_py_err`] raises it as `InvalidArgumentError`. Made by
/// [`invalid`]; its message is the wrapped error's.
#[derive(Debug)]
pub struct InvalidArgument(anyhow::Error);

impl std::fmt::Display for InvalidArgument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

impl std::error::Error for InvalidArgument {}

/// Marks `err` as caused by the caller's arguments (for stages whose every error is one,
/// such as resolving a report's metric names): `.map_err(invalid)?`.
pub fn invalid(err: impl Into<anyhow::Error>) -> anyhow::Error {
    anyhow::Error::new(InvalidArgument(err.into()))
}

/// The class an error is raised as: `InvalidArgumentError` for an [`invalid`] error or a
/// filter that does not parse, `RepositoryNotFoundError` when a path does not exist or
/// holds no repository, `RepositoryError` for anything else (a repository that cannot be
/// read).
fn class_name(err: &anyhow::Error) -> &'static str {
    for cause in err.chain() {
        if cause.is::<InvalidArgument>() || cause.is::<tcbench::filter::ParseError>() {
            return "InvalidArgumentError";
        }
        if cause.is::<NoRepository>()
            || matches!(
                cause.downcast_ref::<RepoError>(),
                Some(RepoError::NotFound(_) | RepoError::NotARepo(_))
            )
        {
            return "RepositoryNotFoundError";
        }
    }
    "RepositoryError"
}

/// `err` as the Python exception to raise, with the command line's one-line error text
/// (the error and its causes, `: `-separated) as its message.
pub fn to_py_err(py: Python<'_>, err: anyhow::Error) -> PyErr {
    match class(py, class_name(&err)) {
        Ok(ty) => PyErr::from_type(ty, format!("{err:#}")),
        Err(e) => e,
    }
}

/// An `InvalidArgumentError` with `message`, for arguments checked on this side.
pub fn invalid_argument(py: Python<'_>, message: String) -> PyErr {
    to_py_err(py, invalid(anyhow::Error::msg(message)))
}

/// True for the warnings about one run that could not be read and is left out of the
/// result: `run <hash>: <reason>`, the form of a damaged run's diagnostic.
fn names_damaged_run(text: &str) -> bool {
    text.strip_prefix("run ")
        .and_then(|rest| rest.split_once(": "))
        .is_some_and(|(hash, _)| !hash.is_empty() && !hash.contains(char::is_whitespace))
}

/// Issues the diagnostics of a call as Python warnings, in order: a damaged run's as
/// `DamagedRunWarning`, every other warning as `TcbenchWarning`. Notes (how many runs a
/// filter kept, that archived runs are hidden, that a run is being created) are dropped:
/// they describe what the returned data shows, and a warning on every ordinary call would
/// teach users to silence the warnings that matter. `stacklevel=2`: the warning points at
/// the code that called the package's Python function wrapping the native one.
pub fn warn_all(py: Python<'_>, said: &[Diagnostic]) -> PyResult<()> {
    let warn = py.import("warnings")?.getattr("warn")?;
    for d in said {
        let Diagnostic::Warning(text) = d else {
            continue;
        };
        let category = if names_damaged_run(text) {
            "DamagedRunWarning"
        } else {
            "TcbenchWarning"
        };
        warn.call1((text, class(py, category)?, 2))?;
    }
    Ok(())
}

/// The `repo` argument: one path (`str` or `os.PathLike`) or a list or tuple of them, read
/// as one (the command line's repeated `--aim-repo`).
pub fn repo_paths(obj: &Bound<'_, PyAny>) -> PyResult<Vec<PathBuf>> {
    let py = obj.py();
    let one = |item: Bound<'_, PyAny>| {
        item.extract::<PathBuf>().map_err(|_| {
            let ty = item
                .get_type()
                .name()
                .map_or_else(|_| "?".to_owned(), |n| n.to_string());
            PyTypeError::new_err(format!(
                "repo: expected a path (str or os.PathLike) or a list of them, not {ty}"
            ))
        })
    };
    let paths = if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        obj.try_iter()?
            .map(|item| one(item?))
            .collect::<PyResult<Vec<_>>>()?
    } else {
        vec![one(obj.clone())?]
    };
    if paths.is_empty() {
        return Err(invalid_argument(
            py,
            "repo: the list of repositories is empty".into(),
        ));
    }
    Ok(paths)
}

/// Runs `f` on a worker thread while this thread waits with the GIL released, waking every
/// 50 ms to run Python's signal handlers: Ctrl-C raises `KeyboardInterrupt` at once (the
/// worker is left to finish, its result dropped). A panic in `f` is raised here, as pyo3's
/// `PanicException`.
pub fn detached<T, F>(py: Python<'_>, f: F) -> PyResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (tx, mut rx) = mpsc::channel();
    let worker = std::thread::Builder::new()
        .name("tcbench_rs".into())
        .spawn(move || {
            // the receiver is gone when the caller was interrupted: nobody wants the result
            let _ = tx.send(f());
        })
        .map_err(|e| PyRuntimeError::new_err(format!("starting a worker thread: {e}")))?;
    loop {
        let (back, got) = py.detach(move || {
            let got = rx.recv_timeout(TICK);
            (rx, got)
        });
        rx = back;
        match got {
            Ok(value) => return Ok(value),
            Err(RecvTimeoutError::Timeout) => py.check_signals()?,
            Err(RecvTimeoutError::Disconnected) => {
                return match worker.join() {
                    Err(panic) => std::panic::resume_unwind(panic),
                    Ok(()) => Err(PyRuntimeError::new_err(
                        "the worker thread ended without a result",
                    )),
                };
            }
        }
    }
}
