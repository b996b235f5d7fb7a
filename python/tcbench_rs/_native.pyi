"""Type stubs of the native module (python/src): plain data that the package's Python
modules turn into data frames and typed objects."""

import os
from collections.abc import Sequence

from typing_extensions import TypeAlias

_Path: TypeAlias = str | os.PathLike[str]

def main(argv: list[str]) -> int:
    """Runs the tcbench command line (program name first); returns its exit code."""

def report(
    repo: _Path | Sequence[_Path],
    *,
    campaign_id: str | None = None,
    metrics: list[str] | None = None,
    contexts: list[str] | None = None,
    groupby: list[str] | None = None,
    value: str = "last",
    filter: str | None = None,
    archived: bool = False,
) -> list[tuple[str, str, str, int, bytes]]:
    """Per campaign: (id, report folder name, summary CSV text, number of index columns,
    runsinfo as an Arrow IPC stream)."""

def doctor_json(repo: _Path) -> str:
    """What ``tcbench aimrepo doctor --format json`` prints."""

# runs() and metrics(): python/src/tables.rs
