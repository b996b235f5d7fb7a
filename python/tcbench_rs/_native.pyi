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

def runs(
    repo: _Path | Sequence[_Path], *, filter: str | None = None, archived: bool = False
) -> bytes:
    """The runs table as an Arrow IPC stream."""

class MetricsReader:
    """A metrics read in progress, one record batch per call of ``next_batch``."""

    def schema(self) -> bytes:
        """The table's schema, as an Arrow IPC stream without batches."""
    def next_batch(self) -> bytes | None:
        """The next runs' points as an Arrow IPC stream; ``None`` at the end."""

def metrics(
    repo: _Path | Sequence[_Path],
    *,
    filter: str | None = None,
    archived: bool = False,
    names: list[str] | None = None,
    contexts: list[str] | None = None,
    value: str = "last",
) -> MetricsReader:
    """Plans the metrics table; the reader reads it."""
