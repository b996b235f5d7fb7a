"""`tcbench_rs.metrics()` against the real Aim SDK: for every repository the SDK reads
(conftest.REPOSITORIES) and every `value` mode, every row (run, metric, context, step,
value, epoch, time) equals the point Aim's SDK reads for that trace: `all` = every tracked
point, `last` = the point at the highest step, `max`/`min` = the best value, ties at the
lowest step. `names=`, `contexts=` and `filter=` keep what they should."""
from __future__ import annotations

import math

import pyarrow as pa
import pytest

from conftest import (ALL_RUNS, METRIC_HEAD, METRIC_TAIL, QUERIES, REPOSITORIES, VALUES,
                      aim_queries, arrow_kind_ok, expected_metrics, fail_with, metric_key,
                      same)

TIME_TYPE = pa.timestamp("us", tz="UTC")


def our_rows(tbl: pa.Table) -> tuple[list[str], list[dict]]:
    """(context columns, rows); `time` as integer microseconds since the epoch."""
    cols = tbl.column_names
    ctx_cols = cols[len(METRIC_HEAD):len(cols) - len(METRIC_TAIL)]
    data = {c: tbl.column(c).to_pylist() for c in cols if c != "time"}
    data["time"] = tbl.column("time").cast(pa.int64()).to_pylist() \
        if pa.types.is_timestamp(tbl.schema.field("time").type) else tbl.column("time").to_pylist()
    rows = [{c: data[c][i] for c in cols} for i in range(tbl.num_rows)]
    return ctx_cols, rows


def compare_metrics(where: str, tbl, want: dict, kinds: dict, value: str, ignore=()):
    """Columns, types and every row of `tbl` against the expected rows (keys in `ignore`
    are left out of the comparison, on both sides)."""
    assert isinstance(tbl, pa.Table), f"{where}: metrics() returned {type(tbl)}"
    cols = tbl.column_names
    assert cols[:2] == METRIC_HEAD and cols[-4:] == METRIC_TAIL, f"{where}: columns {cols}"
    assert len(set(cols)) == len(cols), f"{where}: duplicate columns {cols}"
    ctx_cols, rows = our_rows(tbl)
    bad_names = [c for c in ctx_cols if not c.startswith("metric.context")]
    assert not bad_names, f"{where}: columns {bad_names} between metric.name and step"
    missing = [k for k in kinds if k not in ctx_cols]
    extra = [k for k in ctx_cols if k not in kinds]
    assert not missing and not extra, \
        f"{where}: context columns missing {missing}, not in Aim's contexts {extra}"
    problems = []
    schema = tbl.schema
    for c, k in [("run.hash", "str"), ("metric.name", "str"), ("step", "int"),
                 ("value", "float"), ("epoch", "int")] + list(kinds.items()):
        if not arrow_kind_ok(k, schema.field(c).type):
            problems.append(f"column {c!r}: type {schema.field(c).type}, want {k}")
    if schema.field("time").type != TIME_TYPE:
        problems.append(f"column 'time': type {schema.field('time').type}, want {TIME_TYPE}")
    got = {}
    for r in rows:
        key = metric_key(r, ctx_cols, value)
        if key in got:
            problems.append(f"two rows for {key}")
        got[key] = r
    for key in sorted(set(got) - set(want) - set(ignore)):
        problems.append(f"row not in Aim: {got[key]}")
    for key in sorted(set(want) - set(got) - set(ignore)):
        problems.append(f"row missing: {want[key]}")
    for key in sorted((set(want) & set(got)) - set(ignore)):
        o, w = got[key], want[key]
        for c in ["step", "value", "epoch", *kinds]:
            if not same(o[c], w[c]):
                problems.append(f"{key[:3]} step {w['step']} column {c!r}: ours {o[c]!r}, "
                                f"Aim {w[c]!r}")
        t = w["time"]
        if not (isinstance(o["time"], int) and abs(o["time"] - t * 1e6) < 1.0):
            problems.append(f"{key[:3]} step {w['step']} time: ours {o['time']!r} µs, Aim "
                            f"{t!r} s")
    fail_with(problems, where)


def not_archived(cols):
    return not cols["archived"]


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("name", sorted(REPOSITORIES))
def test_every_trace_and_point_equals_the_sdks(tr, sdk, name, value):
    ref = sdk.reference(name)
    want, kinds, nan_keys = expected_metrics(ref, not_archived, value)
    tbl = tr.metrics(str(sdk.path(name)), value=value)
    compare_metrics(f"{name} (Aim {ref['aim_version']}) value={value!r}", tbl, want, kinds,
                    value, ignore=nan_keys)


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("name", ["campaign-quirks", "edge-params"])
def test_a_filter_naming_archived_reads_archived_runs(tr, sdk, name, value):
    ref = sdk.reference(name)
    assert any(dict(r["columns"])["archived"] for r in ref["runs"])
    want, kinds, nan_keys = expected_metrics(ref, lambda c: True, value)
    tbl = tr.metrics(sdk.path(name), value=value, filter="run.archived or not run.archived")
    compare_metrics(f"{name} every run, value={value!r}", tbl, want, kinds, value, nan_keys)
    only = expected_metrics(ref, lambda c: c["archived"], value)
    tbl = tr.metrics(sdk.path(name), value=value, filter="run.archived")
    compare_metrics(f"{name} archived runs, value={value!r}", tbl, *only[:2], value, only[2])


def test_the_default_value_is_last(tr, sdk):
    repo = sdk.path("long-metric")
    assert tr.metrics(repo).equals(tr.metrics(repo, value="last"))


def test_last_is_the_highest_step_not_the_last_tracked(tr, sdk):
    # `ooo` was tracked at steps 5 (1.0), 3 (2.0), 5 again (3.0), 1 (4.0): Aim's
    # values.last() and the meta chunk's `last` say otherwise (testdata/README.md)
    tbl = tr.metrics(sdk.path("long-metric"), names=["ooo"], value="last")
    assert tbl.num_rows == 1
    row = tbl.to_pylist()[0]
    assert (row["step"], row["value"]) == (5, 3.0)
    tbl = tr.metrics(sdk.path("long-metric"), names=["neg_only"], value="last")
    assert tbl.column("step").to_pylist() == [-1]


def test_max_and_min_ties_go_to_the_lowest_step(tr, sdk):
    ref = sdk.reference("campaign")
    ties = 0
    for value in ("max", "min"):
        for row in tr.metrics(sdk.path("campaign"), value=value).to_pylist():
            run = next(r for r in ref["runs"] if r["hash"] == row["run.hash"])
            t = next(t for t in run["traces"] if t["name"] == row["metric.name"]
                     and t["context"].get("subset") == row["metric.context.subset"])
            at = [p[0] for p in t["points"] if p[1] == row["value"]]
            ties += len(at) > 1
            assert row["step"] == min(at), (value, row, t["points"])
    assert ties > 0  # the fixture has ties (e.g. best_epoch repeated)


# ------------------------------------------------------------------ NaN and max/min

def test_max_and_min_skip_nan(tr, sdk):
    """Not in the contract: the best value is taken as the best of the non-NaN values
    (pandas' idxmax/idxmin): NaN never wins."""
    repo = sdk.path("specials")
    for value, step, want in (("max", 1, math.inf), ("min", 2, -math.inf)):
        rows = tr.metrics(repo, names=["special"], value=value,
                          filter="run.name == 'specials a'").to_pylist()
        assert [(r["step"], r["value"]) for r in rows] == [(step, want)], (value, rows)


def test_max_and_min_of_a_trace_of_nan_only(tr, sdk):
    """Not in the contract (a question, not a rule): a trace whose every value is NaN has no
    best value; taken here as one row, its first point (NaN), so that max/min have one row
    per trace as last does."""
    repo = sdk.path("specials")
    for value in ("max", "min"):
        rows = tr.metrics(repo, names=["nan_only"], value=value).to_pylist()
        assert len(rows) == 1, (value, rows)
        assert rows[0]["step"] == 0 and math.isnan(rows[0]["value"]), (value, rows)


# ------------------------------------------------------------------ names= and contexts=

SELECTIONS = [
    dict(names=["acc"]),
    dict(names=["acc", "f1"]),
    dict(names=["no such metric"]),
    dict(contexts=["test-script"]),
    dict(contexts=["train", "val"]),
    dict(names=["acc", "loss"], contexts=["test-human", "val"]),
    dict(names=[], contexts=None),
    dict(contexts=[]),
]


@pytest.mark.parametrize("value", ["last", "all"])
@pytest.mark.parametrize("sel", SELECTIONS, ids=lambda s: repr(s))
@pytest.mark.parametrize("name", ["campaign-quirks", "edge-params", "specials"])
def test_names_and_contexts_keep_those_traces(tr, sdk, name, sel, value):
    ref = sdk.reference(name)
    want, kinds, nan_keys = expected_metrics(ref, not_archived, value, **sel)
    tbl = tr.metrics(sdk.path(name), value=value, **sel)
    compare_metrics(f"{name} {sel} value={value!r}", tbl, want, kinds, value, nan_keys)


def test_a_metric_missing_in_some_runs(tr, sdk):
    # campaign-quirks exp_idx 4 lacks acc and f1 in test-script
    tbl = tr.metrics(sdk.path("campaign-quirks"), names=["acc"], contexts=["test-script"])
    assert tbl.num_rows == 10  # 12 runs, one archived, one without it


# ------------------------------------------------------------------ filter=

@pytest.mark.parametrize("name", sorted(QUERIES))
def test_filter_keeps_the_metrics_of_the_runs_aims_query_keeps(tr, sdk, name):
    ref = sdk.reference(name)
    aim = aim_queries(sdk, name)
    for q in QUERIES[name]:
        keep = aim[q]
        want, kinds, nan_keys = expected_metrics(ref, lambda c: c["hash"] in keep, "last")
        tbl = tr.metrics(sdk.path(name), filter=q)
        compare_metrics(f"{name} filter={q!r}", tbl, want, kinds, "last", nan_keys)
    for q in QUERIES[name]:
        if "archived" in q:
            continue
        keep = aim[f"({q}){ALL_RUNS}"]
        want, kinds, nan_keys = expected_metrics(ref, lambda c: c["hash"] in keep, "last")
        # metrics() has no archived=: a filter naming archived brings them in
        tbl = tr.metrics(sdk.path(name), filter=f"({q}){ALL_RUNS}")
        compare_metrics(f"{name} filter={q!r} + archived", tbl, want, kinds, "last", nan_keys)


def test_runs_and_metrics_agree_on_the_runs_a_filter_keeps(tr, sdk):
    repo = sdk.path("examples-campaign")
    q = "hparams.flowpic_dim == 64 and hparams.aug_name != 'noaug'"
    runs = set(tr.runs(repo, filter=q).column("hash").to_pylist())
    metrics = set(tr.metrics(repo, filter=q).column("run.hash").to_pylist())
    assert len(runs) == 6 and metrics == runs


# ------------------------------------------------------------------ arguments

def test_a_list_of_repositories_reads_as_one(tr, sdk):
    a, b = sdk.path("campaign"), sdk.path("long-metric")
    both = tr.metrics([a, b], value="all")
    ta, tb = tr.metrics(a, value="all"), tr.metrics(b, value="all")
    assert both.num_rows == ta.num_rows + tb.num_rows
    assert set(both.column("run.hash").to_pylist()) == \
        set(ta.column("run.hash").to_pylist()) | set(tb.column("run.hash").to_pylist())


@pytest.mark.parametrize("bad", ["median", "LAST", "", "first"])
def test_an_unknown_value_is_an_invalid_argument(tr, sdk, bad):
    with pytest.raises(tr.InvalidArgumentError) as e:
        tr.metrics(sdk.path("campaign"), value=bad)
    assert isinstance(e.value, ValueError)


def test_a_damaged_seqs_chunk_is_a_warning_naming_the_run(tr, tmp_path):
    import warnings

    from conftest import FIXTURES, copy_repo
    repo = copy_repo(FIXTURES / "campaign", tmp_path / "campaign")
    victim = sorted((repo / ".aim" / "seqs" / "chunks").iterdir())[0]
    (victim / "CURRENT").write_text("MANIFEST-999999\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tbl = tr.metrics(repo, value="all")
    damaged = [w for w in caught if issubclass(w.category, tr.DamagedRunWarning)]
    assert len(damaged) == 1, [str(w.message) for w in caught]
    assert victim.name in str(damaged[0].message)
    hashes = tbl.column("run.hash").to_pylist()
    assert victim.name not in hashes
    assert tbl.num_rows == 636 - 53  # tests/export.rs: the other runs' points
