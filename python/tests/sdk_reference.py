#!/usr/bin/env python3
"""What the real Aim SDK reads from a repository, as JSON: the reference that the tests of
`tcbench_rs.runs()` and `tcbench_rs.metrics()` compare with.

    python python/tests/sdk_reference.py REPO

Run with a Python that has Aim (3.29.1 or 3.17.4; stdlib + aim, pandas not needed). REPO is
a repository root (the folder holding `.aim/`) or the `.aim` folder itself.

The repository itself is never opened (Aim's SDK writes into what it reads: it flushes WAL
files into SSTs, which would destroy the WAL-only chunks of a killed run). As
testdata/interop/sdk_read.py does, `.aim/` is copied to a temporary folder and the copy's
`meta/index` deleted (aim 3.29 otherwise reads run metadata from the index only, which is
empty in a repository never reindexed); a second copy keeps its index, for the one thing
only the index holds: the end time that Aim < 3.20's `aim runs close` writes there.

Output:

    {"aim_version": "3.29.1",
     "runs": [                                         # sorted by hash
       {"hash",
        "columns": [[name, value], ...],               # Run.dataframe(): its one row, in order
        "chunk_end_time": float | null,                # the run's meta chunk's end_time
        "index_end_time": float | null,                # what Aim shows through meta/index
        "traces": [                                    # every numeric sequence (Metric's dtypes)
          {"name", "dtype",
           "context": {...},                           # Context.to_dict()
           "context_columns": [[name, value], ...],    # Metric.dataframe(include_context=True)
           "points": [[step, value, epoch, time], ...] # every tracked point, by step
          }, ...]}, ...]}

`columns` is what `Run.dataframe()` puts in its DataFrame, captured before pandas sees it
(the dict Aim builds: `hash`, the props, then `treeutils.unfold_tree(run[...],
unfold_array=False, depth=3)` with lists/dicts json.dumps'd and names already present
skipped), so each value is the Python value Aim computed, not a numpy cast of it. Points are
read from the sequence's columns keyed by step hash (as sdk_read.py does): values and epochs
as tracked (`items_list()` would turn ints into floats and a None epoch into NaN).

JSON encoding of values: None, bool, int, str as JSON; a finite float as a JSON number with a
fraction or exponent (Python's json keeps int and float apart); NaN/inf/-inf as
{"$float": "NaN" | "Infinity" | "-Infinity"}; anything else (Aim's ObjectFlag for an empty
dict, BLOBs, custom objects) as {"$other": repr, "$type": type name}.
"""
import importlib.metadata
import json
import math
import os
import sys
import types

import aim
from aim.sdk.sequences.metric import Metric
from aim.storage import treeutils

# the copy the SDK may read, shared with the Rust tests' interop scripts
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "testdata", "interop"))
from sdk_read import readable_copy  # noqa: E402

AIM_VERSION = importlib.metadata.version("aim")
METRIC_DTYPES = tuple(Metric.allowed_dtypes())


def enc(v):
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        if math.isnan(v):
            return {"$float": "NaN"}
        if math.isinf(v):
            return {"$float": "Infinity" if v > 0 else "-Infinity"}
        return float(v)
    return {"$other": repr(v), "$type": type(v).__name__}


class _Captured(Exception):
    pass


class _CaptureFrame:
    """Stands in for pandas.DataFrame while Run.dataframe() runs: keeps the dict Aim built."""

    def __init__(self, data, index=None, **_):
        self.data = data
        raise _Captured(self)


def dataframe_dict(run):
    """The dict `Run.dataframe()` hands to `pandas.DataFrame` (Aim's own code builds it).

    pandas is replaced for the duration of the call by a module whose DataFrame keeps its
    argument; the aim 3.17.4 environment has no pandas at all."""
    real = sys.modules.get("pandas")
    stub = types.ModuleType("pandas")
    stub.DataFrame = _CaptureFrame
    sys.modules["pandas"] = stub
    try:
        run.dataframe()
    except _Captured as c:
        return c.args[0].data
    finally:
        if real is None:
            del sys.modules["pandas"]
        else:
            sys.modules["pandas"] = real
    raise RuntimeError("Run.dataframe() did not build a DataFrame")


def context_columns(context):
    """The `metric.context…` columns of `Metric.dataframe(include_context=True)`, built as Aim
    3.29.1/3.17.4 build them (aim/sdk/sequences/metric.py)."""
    out = []
    for path, val in treeutils.unfold_tree(context, unfold_array=False, depth=3):
        s = "metric.context"
        for key in path:
            s += f".{key}" if isinstance(key, str) else f"[{key}]"
        if isinstance(val, (tuple, list)):
            val = json.dumps(val)
        out.append([s, enc(val)])
    return out


def read_points(run, name, context):
    data = Metric(name, context, run).data
    steps = dict(data.steps.items())
    vals = dict(data.arrays[0].items())
    epochs = dict(data.arrays[1].items()) if len(data.arrays) > 1 else {}
    times = dict(data.arrays[2].items()) if len(data.arrays) > 2 else {}
    pts = []
    for key, step in steps.items():
        if key not in vals:
            continue
        e = epochs.get(key)
        if isinstance(e, float) and math.isnan(e):
            e = None
        pts.append([step, enc(vals[key]), enc(e), enc(times.get(key))])
    pts.sort(key=lambda p: p[0])
    return pts


def read_repo(aim_dir, index_end):
    repo = aim.Repo(os.path.dirname(aim_dir))
    runs = []
    for run in repo.iter_runs():
        h = run.hash
        chunk = repo.request_tree("meta", h, read_only=True).subtree(("meta", "chunks", h))
        try:
            chunk_end = chunk.get("end_time", None)
        except Exception:
            chunk_end = None
        data = dataframe_dict(run)
        try:
            traces_tree = run.meta_run_tree.subtree("traces").collect()
        except KeyError:
            traces_tree = {}
        traces = []
        for ctx_idx, by_name in traces_tree.items():
            context = run.idx_to_ctx(ctx_idx)
            ctx = context.to_dict()
            for name, info in by_name.items():
                dtype = info.get("dtype", "float")
                if dtype not in METRIC_DTYPES:
                    continue
                traces.append(dict(
                    name=name, dtype=dtype, context=json.loads(json.dumps(ctx)),
                    context_columns=context_columns(ctx),
                    points=read_points(run, name, context)))
        traces.sort(key=lambda t: (t["name"], json.dumps(t["context"], sort_keys=True)))
        runs.append(dict(
            hash=h,
            columns=[[k, enc(v)] for k, v in data.items()],
            chunk_end_time=enc(chunk_end),
            index_end_time=enc((index_end or {}).get(h)),
            traces=traces))
    runs.sort(key=lambda r: r["hash"])
    return dict(aim_version=AIM_VERSION, runs=runs)


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: sdk_reference.py REPO")
    with readable_copy(argv[1], "sdk_reference-") as (dst, index_end):
        out = read_repo(dst, index_end)
    json.dump(out, sys.stdout, ensure_ascii=False, allow_nan=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
