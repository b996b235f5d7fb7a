"""The tables of `runs()` and `metrics()` read directly by DuckDB (a pyarrow Table in a
query) and Polars (`pl.from_arrow`), with the queries a user writes: each answer checked
against the same computation done in plain Python over the pyarrow table."""
from __future__ import annotations

import collections
import datetime as dt
import math

import pyarrow as pa
import pytest

from conftest import FIXTURES

DIM = "hparams.flowpic_dim"
AUG = "hparams.aug_name"
SUBSET = "metric.context.subset"


@pytest.fixture(scope="module")
def tables(tr, sdk):
    repo = sdk.path("examples-campaign")
    return dict(runs=tr.runs(repo), last=tr.metrics(repo), all=tr.metrics(repo, value="all"),
                best=tr.metrics(repo, value="max", names=["acc"]))


def python_mean_by(runs: pa.Table, metrics: pa.Table, keys, metric, subset):
    """{key tuple: (count, mean)} of the metric's value in that context, runs joined on hash."""
    params = {r["hash"]: tuple(r[k] for k in keys) for r in runs.to_pylist()}
    vals = collections.defaultdict(list)
    for m in metrics.to_pylist():
        if m["metric.name"] == metric and m[SUBSET] == subset and m["run.hash"] in params:
            vals[params[m["run.hash"]]].append(m["value"])
    return {k: (len(v), math.fsum(v) / len(v)) for k, v in vals.items()}


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0)


# ------------------------------------------------------------------ DuckDB

def test_duckdb_mean_final_accuracy_per_flowpic_dim(tables):
    import duckdb
    runs_t, metrics_t = tables["runs"], tables["last"]
    got = duckdb.sql(f"""
        select r."{DIM}" as dim, count(*) as n, avg(m.value) as mean_acc
        from runs_t r join metrics_t m on r.hash = m."run.hash"
        where m."metric.name" = 'acc' and m."{SUBSET}" = 'test-script'
        group by dim order by dim""").fetchall()
    want = python_mean_by(runs_t, metrics_t, [DIM], "acc", "test-script")
    assert [g[0] for g in got] == sorted(k[0] for k in want) == [32, 64, 1500]
    for dim, n, mean in got:
        assert n == want[(dim,)][0] == 9
        assert close(mean, want[(dim,)][1]), (dim, mean, want[(dim,)])


def test_duckdb_last_point_of_all_equals_value_last(tables):
    import duckdb
    all_t, last_t = tables["all"], tables["last"]
    cols = f'"run.hash", "metric.name", "{SUBSET}", step, value, epoch, time'
    got = duckdb.sql(f"""
        select {cols} from all_t
        qualify row_number() over (
            partition by "run.hash", "metric.name", "{SUBSET}" order by step desc) = 1
        """).fetchall()
    want = duckdb.sql(f"select {cols} from last_t").fetchall()
    assert len(got) == last_t.num_rows == 27 * 21
    assert sorted(got, key=repr) == sorted(want, key=repr)


def test_duckdb_sees_the_column_types(tables):
    import duckdb
    runs_t, all_t = tables["runs"], tables["all"]
    rel = duckdb.sql("select * from runs_t")
    types = dict(zip(rel.columns, map(str, rel.types)))
    assert types["hash"] == "VARCHAR" and types["archived"] == "BOOLEAN"
    assert types["creation_time"] == "DOUBLE" and types[DIM] == "BIGINT"
    rel = duckdb.sql("select * from all_t")
    types = dict(zip(rel.columns, map(str, rel.types)))
    assert types["step"] == "BIGINT" and types["value"] == "DOUBLE"
    assert types["epoch"] == "BIGINT" and types["time"] == "TIMESTAMP WITH TIME ZONE"


def test_duckdb_time_is_the_same_instant(tables):
    import duckdb
    all_t = tables["all"]
    lo, hi = duckdb.sql("select min(time), max(time) from all_t").fetchall()[0]
    us = all_t.column("time").cast(pa.int64()).to_pylist()
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    assert lo == epoch + dt.timedelta(microseconds=min(us))
    assert hi == epoch + dt.timedelta(microseconds=max(us))
    # and every run's points lie between its creation and end times
    runs_t = tables["runs"]
    bad = duckdb.sql("""
        select count(*) from all_t m join runs_t r on r.hash = m."run.hash"
        where epoch(m.time) < r.creation_time or epoch(m.time) > r.end_time""").fetchall()[0][0]
    assert bad == 0


# ------------------------------------------------------------------ Polars

def test_polars_mean_final_accuracy_per_dim_and_augmentation(tables):
    import polars as pl
    runs = pl.from_arrow(tables["runs"])
    metrics = pl.from_arrow(tables["last"])
    got = (metrics.filter((pl.col("metric.name") == "acc") & (pl.col(SUBSET) == "test-human"))
           .join(runs, left_on="run.hash", right_on="hash")
           .group_by([DIM, AUG])
           .agg(pl.len().alias("n"), pl.col("value").mean().alias("mean"))
           .sort([DIM, AUG]))
    want = python_mean_by(tables["runs"], tables["last"], [DIM, AUG], "acc", "test-human")
    assert got.height == len(want) == 9
    for row in got.iter_rows(named=True):
        n, mean = want[(row[DIM], row[AUG])]
        assert row["n"] == n == 3
        assert close(row["mean"], mean), (row, mean)


def test_polars_dtypes(tables):
    import polars as pl
    runs = pl.from_arrow(tables["runs"])
    metrics = pl.from_arrow(tables["all"])
    assert runs.schema["hash"] == pl.String and runs.schema["archived"] == pl.Boolean
    assert runs.schema["creation_time"] == pl.Float64 and runs.schema[DIM] == pl.Int64
    assert metrics.schema["step"] == pl.Int64 and metrics.schema["value"] == pl.Float64
    assert metrics.schema["epoch"] == pl.Int64
    assert metrics.schema["time"] == pl.Datetime("us", "UTC")


def test_polars_best_validation_accuracy_and_its_step(tables):
    import polars as pl
    all_pts = pl.from_arrow(tables["all"]).filter(
        (pl.col("metric.name") == "acc") & (pl.col(SUBSET) == "val"))
    # the best value of each run, at its lowest step: what value="max" gives
    got = (all_pts.sort(["run.hash", "value", "step"], descending=[False, True, False])
           .group_by("run.hash", maintain_order=True).first()
           .select("run.hash", "step", "value").sort("run.hash"))
    best = [r for r in tables["best"].to_pylist() if r[SUBSET] == "val"]
    want = sorted(((r["run.hash"], r["step"], r["value"]) for r in best))
    assert [tuple(r) for r in got.iter_rows()] == want
    assert len(want) == 27


def test_polars_points_per_trace_equal_pyarrows(tables):
    import polars as pl
    got = (pl.from_arrow(tables["all"]).group_by(["run.hash", "metric.name", SUBSET])
           .agg(pl.len().alias("n"), pl.col("step").max().alias("last_step")))
    want = collections.Counter((r["run.hash"], r["metric.name"], r[SUBSET])
                               for r in tables["all"].to_pylist())
    assert got.height == len(want)
    for r in got.iter_rows(named=True):
        assert r["n"] == want[(r["run.hash"], r["metric.name"], r[SUBSET])]


# ------------------------------------------------------------------ pandas

def test_to_pandas_keeps_nan_null_and_utc(tr, sdk):
    runs = tr.runs(FIXTURES / "edge-params").to_pandas()
    row = runs[runs["name"] == "edge: all param types"].iloc[0]
    assert math.isnan(row["hparams.nan"]) and row["hparams.inf"] == math.inf
    other = runs[runs["name"] != "edge: all param types"]
    assert other["hparams.int"].isna().all()  # runs lacking the param: null
    metrics = tr.metrics(sdk.path("specials"), value="all").to_pandas()
    assert str(metrics["time"].dt.tz) == "UTC"
    assert metrics["value"].isna().sum() == 3  # special at step 0, nan_only twice


def test_a_hive_export_of_two_repositories_reads_as_one_table(tr, tmp_path):
    """`tcbench-rs aimrepo export --hive`, once per repository into one dataset folder: DuckDB
    and Polars read `*/metrics.parquet` as one table whose `repo` partitions hold exactly
    the rows `metrics(value="all")` gives for each repository."""
    import shutil
    import subprocess

    import duckdb
    import polars as pl

    from _support import EXAMPLE, REPOS

    exe = shutil.which("tcbench-rs")
    assert exe, "tcbench-rs is not on PATH: install the wheel"
    servers = {"a": EXAMPLE, "b": REPOS / "aim317-campaign"}
    for name, repo in servers.items():
        shutil.copytree(repo / ".aim", tmp_path / "servers" / name / ".aim")
        done = subprocess.run(
            [exe, "aimrepo", "export", "--hive", "--aim-repo", f"servers/{name}",
             "--output", "dataset"],
            cwd=tmp_path, capture_output=True, text=True, check=False,
        )
        assert done.returncode == 0, done.stderr
    want = {
        f"servers_{name}": tr.metrics(str(tmp_path / "servers" / name), value="all").num_rows
        for name in servers
    }
    assert all(n > 0 for n in want.values()), want
    glob = str(tmp_path / "dataset" / "*" / "metrics.parquet")
    got = dict(
        duckdb.sql(
            f"SELECT repo, count(*) FROM read_parquet('{glob}', hive_partitioning = true, "
            "union_by_name = true) GROUP BY repo"
        ).fetchall()
    )
    assert got == want
    frame = pl.scan_parquet(glob, hive_partitioning=True).group_by("repo").len().collect()
    assert dict(zip(frame["repo"].to_list(), frame["len"].to_list())) == want
