"""``report()``: the summary of ``tcbench aimrepo report``, as data frames."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

from . import _native

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["RepoPath", "Report", "report"]

RepoPath = Union[str, os.PathLike[str], Sequence[Union[str, os.PathLike[str]]]]
"""One repository path, or a list of them read as one."""


@dataclass(frozen=True, eq=False, repr=False)
class Report:
    """One campaign's report, as :func:`report` returns it.

    Attributes:
        summary: per test split and group, the runs count and the mean, std and 95%
            confidence interval of each metric, then the run duration's mean, std and
            ci95. The index is the group keys (``test_split_name``, then the group-by
            hyper-parameters); the columns have two levels, e.g. ``("acc", "mean")``.
            The numbers are those of the ``summary_*.csv`` files the command line
            writes, which split this table by ``flowpic_dim``.
        runsinfo: one row per test split and run: the run's attributes, hyper-parameters,
            metric values and duration, as in the ``runsinfo_*.parquet`` files (here for
            the whole campaign).
    """

    summary: pd.DataFrame
    runsinfo: pd.DataFrame

    def __repr__(self) -> str:
        def shape(df: pd.DataFrame) -> str:
            return f"<{df.shape[0]} rows x {df.shape[1]} columns>"

        return f"Report(summary={shape(self.summary)}, runsinfo={shape(self.runsinfo)})"


def _names(arg: str | Iterable[str] | None, what: str) -> list[str] | None:
    """A list argument: a list of names, or one comma-separated string as on the command line."""
    if arg is None:
        return None
    if isinstance(arg, str):
        return arg.split(",")
    names = list(arg)
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"{what}: expected names (str), not {type(name).__name__}")
    return names


# pandas and pyarrow are imported by the first report(), not by `import tcbench_rs`: the
# tcbench-rs command starts without them


def _summary(text: str, index_columns: int) -> pd.DataFrame:
    """The summary CSV text, parsed: empty cells (and only they) are missing values."""
    import pandas as pd

    # pandas 3 parses floats exactly by default; before it, only "round_trip" does
    exact = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}
    df = pd.read_csv(
        io.StringIO(text),
        header=[0, 1],
        index_col=list(range(index_columns)),
        keep_default_na=False,
        na_values=[""],
        **exact,
    )
    df.index.names = next(csv.reader(io.StringIO(text)))[:index_columns]
    df.columns.names = [None, None]
    return df


def _runsinfo(stream: bytes) -> pd.DataFrame:
    import pyarrow.ipc

    with pyarrow.ipc.open_stream(stream) as reader:
        return reader.read_all().to_pandas()


def report(
    repo: RepoPath,
    *,
    campaign_id: str | int | None = None,
    metrics: str | Sequence[str] | None = None,
    contexts: str | Sequence[str] | None = None,
    groupby: str | Sequence[str] | None = None,
    value: str = "last",
    filter: str | None = None,
    archived: bool = False,
) -> dict[str, Report]:
    """Summarizes the campaigns of Aim repositories, as ``tcbench aimrepo report`` does.

    Per campaign (``hparams.campaign_id``), test split and hyper-parameter group: the
    runs count, and the mean, standard deviation and 95% confidence interval of each
    metric's value and of the run duration. Nothing is written.

    Args:
        repo: the repository (the folder holding ``.aim``, or ``.aim`` itself), a folder
            whose subfolders are repositories, or a list of these read as one.
        campaign_id: only this campaign; by default every campaign.
        metrics: the metrics, a list or a comma-separated string; default ``"acc"``.
        contexts: the test splits (context ``subset``); default those starting with
            ``test``.
        groupby: the hyper-parameters to group by, with or without ``hparams.``; default
            those with several values in the campaign (but seed, split_index and
            campaign_exp_idx).
        value: which value of a metric a run contributes: ``"last"`` (at the highest
            step), ``"max"`` or ``"min"``.
        filter: only the runs matching this expression, e.g.
            ``"hparams.flowpic_dim == 32"`` (the command line's ``--filter``).
        archived: include archived runs (hidden by default, as in Aim).

    Returns:
        The campaigns by id, as the command line prints it (``"None"`` for runs without
        one), in the command line's order; no runs, an empty dict. Should two ids print
        alike (``1`` and ``"1"``), the later is keyed by its report folder name.

    Raises:
        RepositoryNotFoundError: a path does not exist or holds no repository.
        RepositoryError: a repository cannot be read.
        InvalidArgumentError: an unknown metric, context, group-by name or campaign, a bad
            ``value`` or a filter that does not parse.

    Warns:
        DamagedRunWarning: a run could not be read and is left out.
        TcbenchWarning: anything else the command line warns about, e.g. a metric missing
            from some runs (left out of its statistics).
    """
    found = _native.report(
        repo,
        campaign_id=None if campaign_id is None else str(campaign_id),
        metrics=_names(metrics, "metrics"),
        contexts=_names(contexts, "contexts"),
        groupby=_names(groupby, "groupby"),
        value=value,
        filter=filter,
        archived=archived,
    )
    out: dict[str, Report] = {}
    for cid, folder, summary_csv, index_columns, runsinfo in found:
        key = folder if cid in out else cid
        out[key] = Report(
            summary=_summary(summary_csv, index_columns), runsinfo=_runsinfo(runsinfo)
        )
    return out
