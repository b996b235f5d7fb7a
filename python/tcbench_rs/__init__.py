"""tcbench_rs: read Aim experiment repositories from Python, with tcbench's Rust reader.

Aim's SDK is not needed: the repositories are read directly, damaged runs left out and
named in a warning.

Functions:
    runs(repo, ...)    one row per run, Aim's ``Run.dataframe()`` columns (a pyarrow Table).
    metrics(repo, ...) one row per trace (its final, max or min value) or per tracked point,
                       Aim's ``query_metrics().dataframe()`` columns (a pyarrow Table).
    report(repo, ...)  the summary of ``tcbench aimrepo report`` per campaign, as data
                       frames (:class:`Report`); no file is written.
    doctor(repo)       the health findings of ``tcbench aimrepo doctor`` (:class:`Finding`).

Errors derive from :class:`TcbenchError`: :class:`RepositoryNotFoundError` (also a
``FileNotFoundError``), :class:`RepositoryError` and :class:`InvalidArgumentError` (also a
``ValueError``). Warnings derive from :class:`TcbenchWarning`; a run left out because it is
damaged is a :class:`DamagedRunWarning`.

The wheel also installs the ``tcbench-rs`` command: the ``tcbench`` command line.
"""

from __future__ import annotations

from ._doctor import Finding, doctor
from ._errors import (
    DamagedRunWarning,
    InvalidArgumentError,
    RepositoryError,
    RepositoryNotFoundError,
    TcbenchError,
    TcbenchWarning,
)
from ._report import RepoPath, Report, report
from ._tables import metrics, runs

__all__ = [
    "DamagedRunWarning",
    "Finding",
    "InvalidArgumentError",
    "RepoPath",
    "Report",
    "RepositoryError",
    "RepositoryNotFoundError",
    "TcbenchError",
    "TcbenchWarning",
    "doctor",
    "metrics",
    "report",
    "runs",
]
