"""`runs()` and `metrics()`: an Aim repository as Arrow tables with Aim's own column names."""

from __future__ import annotations

from typing import Iterator, Literal, Optional, Sequence

import pyarrow as pa
import pyarrow.ipc

from . import _native

from ._report import RepoPath as Repo


def _read(stream: bytes) -> pa.RecordBatchStreamReader:
    return pa.ipc.open_stream(pa.py_buffer(stream))


def runs(repo: Repo, *, filter: Optional[str] = None, archived: bool = False) -> pa.Table:
    """One row per run, with the columns of Aim's ``Run.dataframe()``.

    Columns: ``hash``, ``name``, ``description``, ``archived``, ``creation_time``,
    ``end_time``, ``active``, ``experiment``, ``tags`` (``json.dumps(tags)``, as Aim gives
    it), then every param flattened as Aim flattens it (``hparams.flowpic_dim``; lists and
    dicts deeper than three levels as JSON text). A column whose values are all ints is
    ``int64``, ints and floats ``float64``, bools ``bool``, strings ``string``; any other mix
    is a ``string`` column of ``json.dumps`` of each value. Rows are in hash order.

    Args:
        repo: a repository path, a folder of repositories, or a list of them.
        filter: keep only the runs this expression keeps, in the syntax of
            ``tcbench aimrepo --filter`` (Aim's query language; ``run.`` is optional),
            e.g. ``"hparams.flowpic_dim == 32"``.
        archived: include archived runs (left out by default, as Aim's UI does).

    Returns:
        A ``pyarrow.Table``; ``.to_pandas()`` gives the frame Aim's SDK would.

    Raises:
        RepositoryNotFoundError: a path does not exist or holds no repository.
        InvalidArgumentError: the filter does not parse.
        RepositoryError: a repository cannot be read.

    Damaged runs are skipped with a ``DamagedRunWarning`` naming them.
    """
    return _read(_native.runs(repo, filter=filter, archived=archived)).read_all()


def metrics(
    repo: Repo,
    *,
    filter: Optional[str] = None,
    names: Optional[Sequence[str]] = None,
    contexts: Optional[Sequence[str]] = None,
    value: Literal["last", "max", "min", "all"] = "last",
    archived: bool = False,
) -> pa.Table:
    """The metrics of every run, with the columns of Aim's ``query_metrics().dataframe()``.

    Columns: ``run.hash``, ``metric.name``, one ``metric.context.<path>`` column per path of
    any trace's context, unfolded as Aim unfolds it (``metric.context.subset``), ``step`` (int64), ``value`` (float64), ``epoch``
    (int64, null when tracked without one) and ``time`` (a UTC timestamp; Aim shows it as
    a naive local datetime). Join with :func:`runs` on ``run.hash`` = ``hash`` for params.

    Args:
        repo: a repository path, a folder of repositories, or a list of them.
        filter: keep only the runs this expression keeps (``--filter`` syntax).
        names: keep only these metric names (``["acc", "loss"]``).
        contexts: keep only traces whose context ``subset`` is one of these.
        value: ``"last"`` (default): one row per trace, the point at its highest step
            (its true final value). ``"max"`` / ``"min"``: one row per trace, the best
            value and the step it was reached at (the first such step; NaN loses to any
            number). ``"all"``: one row per tracked point, read run by run so that memory
            follows the output.
        archived: include archived runs.

    Returns:
        A ``pyarrow.Table``, rows in (run hash, metric, context, step) order.

    Raises:
        RepositoryNotFoundError, InvalidArgumentError, RepositoryError: as :func:`runs`.

    A run whose metric data cannot be read is skipped (or cut where the damage starts) with
    a ``DamagedRunWarning`` naming it.
    """
    if isinstance(names, str):
        names = [names]
    if isinstance(contexts, str):
        contexts = [contexts]
    reader = _native.metrics(
        repo,
        filter=filter,
        archived=archived,
        names=None if names is None else list(names),
        contexts=None if contexts is None else list(contexts),
        value=value,
    )
    schema = _read(reader.schema()).schema

    def batches() -> Iterator[pa.RecordBatch]:
        while True:
            stream = reader.next_batch()
            if stream is None:
                return
            yield from _read(stream)

    return pa.Table.from_batches(batches(), schema=schema)
