"""``doctor()``: the repository health check of ``tcbench aimrepo doctor``."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from . import _native

__all__ = ["Finding", "doctor"]


@dataclass(frozen=True)
class Finding:
    """One finding of :func:`doctor`, with the fields of ``doctor --format json``.

    Attributes:
        severity: ``"problem"`` (the repository is not healthy) or ``"note"`` (harmless).
        kind: what was found, e.g. ``"unfinished-run"``, ``"index-empty"``,
            ``"corrupt-chunk"``.
        runs: the hashes of the runs concerned (empty when it is about no run).
        path: the file or folder concerned.
        detail: what is wrong, one line.
        fix: the shell command that fixes it, or None.
    """

    severity: str
    kind: str
    runs: tuple[str, ...]
    path: str
    detail: str
    fix: str | None


def doctor(repo: str | os.PathLike[str]) -> list[Finding]:
    """Checks the health of the Aim repository at ``repo``, writing nothing.

    Returns the findings, in the order their fixes are to be applied. The repository is
    healthy when none of them is a problem; notes are harmless leftovers.

    Raises:
        RepositoryNotFoundError: ``repo`` does not exist or holds no repository.
        RepositoryError: the repository cannot be read.
    """
    report = json.loads(_native.doctor_json(repo))
    return [
        Finding(
            severity=f["severity"],
            kind=f["kind"],
            runs=tuple(f["runs"]),
            path=f["path"],
            detail=f["detail"],
            fix=f["fix"],
        )
        for f in report["findings"]
    ]
