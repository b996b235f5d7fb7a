"""`report()` against the command line's files: the same campaigns, every summary number and
every runsinfo cell equal to those of the `summary_*.csv` and `runsinfo_*.parquet` that
`tcbench aimrepo report` writes (split there by flowpic_dim, whole here)."""

from __future__ import annotations

import csv
import math
import re
import warnings
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from _support import EXAMPLE, REPOS, fixture_copy, native_bin, run

import tcbench_rs

CASES = {
    "example": ([EXAMPLE], {}),
    "campaign": ([REPOS / "campaign"], {}),
    "aim317": ([REPOS / "aim317-campaign"], {}),
    # missing metrics, an archived run, an unfinished run, a non-ASCII campaign id
    "quirks-archived-max": (
        [REPOS / "campaign-quirks"],
        {"archived": True, "value": "max", "metrics": ["acc", "f1"]},
    ),
    "quirks-groupby-contexts": (
        [REPOS / "campaign-quirks"],
        {
            "groupby": ["aug_name"],
            "contexts": ["test-script", "val"],
            "value": "min",
            "metrics": "f1,loss",
        },
    ),
    "filter": ([EXAMPLE], {"filter": "hparams.flowpic_dim != 64 and hparams.seed == 42"}),
    "two-repositories": ([EXAMPLE, REPOS / "campaign-quirks"], {"metrics": ["acc"]}),
}


def cli_args(repos: list[Path], kw: dict) -> list[str]:
    args: list[str] = []
    for r in repos:
        args += ["--aim-repo", str(r)]
    for key, value in kw.items():
        if key == "archived":
            args.append("--archived")
        else:
            text = value if isinstance(value, str) else ",".join(value)
            args += [f"--{key}", text]
    return args


def same(a: object, b: object) -> bool:
    """Equal cell values: both missing, or equal (an int equals the same float)."""
    a_na, b_na = pd.isna(a), pd.isna(b)
    if a_na or b_na:
        return bool(a_na and b_na)
    return bool(a == b)


def split_value(parquet: Path):
    """The flowpic_dim value of a runsinfo file (every row has the same)."""
    values = set(pq.read_table(parquet).column("flowpic_dim").to_pylist())
    assert len(values) == 1, values
    return values.pop()


def check_summary_file(csv_path: Path, summary: pd.DataFrame, value) -> int:
    """Every cell of one summary file equals the report's; returns its number of rows."""
    with open(csv_path, newline="") as f:
        rows = list(csv.reader(f))
    top, bottom, body = rows[0], rows[1], rows[2:]
    keyed = "flowpic_dim" in summary.index.names
    part = summary.xs(value, level="flowpic_dim") if keyed else summary
    n_index = part.index.nlevels
    assert top[:n_index] == list(part.index.names)
    assert list(zip(top[n_index:], bottom[n_index:])) == list(part.columns)
    assert len(body) == len(part) > 0
    for cells, (keys, numbers) in zip(body, part.iterrows()):
        keys = keys if isinstance(keys, tuple) else (keys,)
        assert cells[:n_index] == ["" if pd.isna(k) else str(k) for k in keys]
        for cell, (column, number) in zip(cells[n_index:], numbers.items()):
            if cell == "":
                assert math.isnan(number), (csv_path.name, keys, column)
            elif column[1] == "count":
                assert int(cell) == number, (csv_path.name, keys, column)
            else:
                # exactly: the report's numbers are the file's, not close to them
                assert float(cell) == number, (csv_path.name, keys, column, cell, number)
    return len(body)


def check_runsinfo_file(parquet: Path, runsinfo: pd.DataFrame) -> int:
    """Every cell of one runsinfo file equals the report's row for the same run and split;
    the report's other columns are empty there. Returns its number of rows."""
    part = pq.read_table(parquet).to_pandas()
    assert len(part) > 0
    whole = runsinfo.set_index(["hash", "test_split_name"], drop=False)
    mine = whole.loc[list(zip(part["hash"], part["test_split_name"]))]
    assert set(part.columns) <= set(runsinfo.columns)
    for column in runsinfo.columns:
        if column not in part.columns:
            assert mine[column].isna().all(), column
            continue
        for i, (a, b) in enumerate(zip(part[column], mine[column])):
            assert same(a, b), (parquet.name, column, i, a, b)
    return len(part)


@pytest.mark.parametrize("case", list(CASES))
def test_report_equals_the_files_of_the_command_line(case: str, tmp_path: Path):
    repos, kw = CASES[case]
    out = tmp_path / "out"
    done = run([native_bin(), "aimrepo", "report", "--output-folder", out, *cli_args(repos, kw)])
    assert done.returncode in (0, 3), done.stderr
    folders = sorted((out / "campaign_summary").iterdir())
    assert folders

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = tcbench_rs.report(repos if len(repos) > 1 else repos[0], **kw)
    # the command line's warnings, in order, as warnings (its notes are not)
    said = [
        line[len("tcbench: warning: ") :]
        for line in done.stderr.decode().splitlines()
        if line.startswith("tcbench: warning: ")
    ]
    assert [str(w.message) for w in caught] == said
    assert all(issubclass(w.category, tcbench_rs.TcbenchWarning) for w in caught)

    assert sorted(got) == sorted(f.name for f in folders)
    for folder in folders:
        rep = got[folder.name]
        assert isinstance(rep, tcbench_rs.Report)
        assert rep.summary.index.names[0] == "test_split_name"
        summary_rows = runsinfo_rows = 0
        for csv_path in sorted(folder.glob("summary*.csv")):
            parquet = folder / re.sub(r"^summary", "runsinfo", csv_path.name).replace(
                ".csv", ".parquet"
            )
            summary_rows += check_summary_file(csv_path, rep.summary, split_value(parquet))
            runsinfo_rows += check_runsinfo_file(parquet, rep.runsinfo)
        # the files split the report: nothing more, nothing less
        assert runsinfo_rows == len(rep.runsinfo)
        if "flowpic_dim" in rep.summary.index.names:
            assert summary_rows == len(rep.summary)


def test_report_writes_nothing(tmp_path: Path):
    repo = fixture_copy("campaign", tmp_path)
    before = sorted(
        (p.relative_to(repo), p.stat().st_mtime_ns, p.stat().st_size) for p in repo.rglob("*")
    )
    got = tcbench_rs.report(repo)
    assert got
    after = sorted(
        (p.relative_to(repo), p.stat().st_mtime_ns, p.stat().st_size) for p in repo.rglob("*")
    )
    assert after == before
    assert not (repo / "campaign_summary").exists()


def test_report_frames_and_arguments():
    got = tcbench_rs.report(EXAMPLE)
    assert list(got) == ["1684447037"]
    rep = got["1684447037"]
    assert list(rep.summary.index.names) == ["test_split_name", "aug_name", "flowpic_dim"]
    assert ("acc", "mean") in rep.summary.columns and (
        "run_duration",
        "ci95",
    ) in rep.summary.columns
    assert rep.summary[("acc", "count")].sum() == 27 * 3  # 27 runs, 3 test splits
    assert len(rep.runsinfo) == 27 * 3
    assert rep.runsinfo["hash"].nunique() == 27
    assert repr(rep) == "Report(summary=<27 rows x 7 columns>, runsinfo=<81 rows x 25 columns>)"
    # a comma-separated string is the command line's list; an int campaign id its text
    by_list = tcbench_rs.report(EXAMPLE, metrics=["acc", "f1"], campaign_id=1684447037)
    by_text = tcbench_rs.report(str(EXAMPLE), metrics="acc,f1", campaign_id="1684447037")
    pd.testing.assert_frame_equal(by_list["1684447037"].summary, by_text["1684447037"].summary)
    assert ("f1", "mean") in by_list["1684447037"].summary.columns


def test_no_runs_is_an_empty_dict():
    assert tcbench_rs.report(REPOS / "empty") == {}
    assert tcbench_rs.report(EXAMPLE, filter="hparams.seed == -1") == {}
