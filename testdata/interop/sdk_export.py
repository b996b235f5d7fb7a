#!/usr/bin/env python3
"""What `tcbench aimrepo export` must write, read with the real Aim SDK -- and what it did
write, read back with pyarrow -- as the same JSON, so that a test compares the two.

    python testdata/interop/sdk_export.py sdk [--final-only] [--archived] REPO
    python testdata/interop/sdk_export.py parquet DIR

`sdk` reads REPO (a repository root, or its `.aim` folder) with the Aim SDK, from a
temporary copy whose `meta/index` is deleted (as sdk_read.py: the SDK mutates chunks when it
reads, and aim 3.29 would read run metadata from the index only); end_time as sdk_read.py
takes it (the chunk's, else the one Aim shows through the index). Archived runs are left out
unless --archived; Aim's own `__system*` params and metrics are left out. `parquet` reads
DIR/runs.parquet and DIR/metrics.parquet with pyarrow.

Output, both modes:

    {"runs": [                        # sorted by hash
       {"hash", "name", "description", "archived", "creation_time", "end_time", "active",
        "experiment", "tags",         # tags: json.dumps(tags), as Run.dataframe() has it
        "params": {column: value}}],  # non-null params, typed as export types its columns
     "metrics": [[run.hash, metric.name, context, step, value, epoch, time_us], ...]}
                                      # (hash, metric, context, step) order; --final-only:
                                      # the point at the highest step of each trace;
                                      # context: the metric.context.* cells as JSON

The export's rules, restated here from docs/commands.md: the columns are Aim's own, as its
`Run.dataframe()` and `query_metrics().dataframe()` name them. Params are `run[...]` unfolded
to depth 3 as Aim unfolds them (`hparams.lr`, int keys as `hparams.d[1]`, lists and deeper
dicts as `json.dumps` text, an empty dict as `<ObjectFlag>`; a name equal to a property
column is left out); a column whose values are all ints is int64, ints and floats float64,
all bools bool, all strings string, any other mix `json.dumps` of each value; None is null.
Contexts are unfolded the same way into `metric.context.<path>` columns; only numeric
sequences (dtype float, int, number) are exported; int values become floats; epoch None
stays null; `time` is a UTC timestamp in microseconds (rounded as `datetime.fromtimestamp`).

JSON encoding of floats: NaN/inf/-inf -> "NaN"/"Infinity"/"-Infinity".
"""
import datetime
import json
import math
import os
import sys

PROPERTIES = ("hash", "name", "description", "archived", "creation_time", "end_time", "active",
              "experiment", "tags")
NUMERIC_DTYPES = ("float", "float64", "int", "number")


def num(x):
    if x is None:
        return None
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def jtext(v):
    return json.dumps(v, sort_keys=True, ensure_ascii=False)


# ---------------------------------------------------------------------------- SDK side

def unfold(obj, name="", depth=3):
    """Aim's `treeutils.unfold_tree(obj, unfold_array=False, depth=3)` with its dataframe
    naming, lists/tuples/dicts as `json.dumps` text (run.py `Run.dataframe()`)."""
    if depth == 0 or not isinstance(obj, dict):
        yield name, (json.dumps(obj) if isinstance(obj, (list, tuple, dict)) else obj)
        return
    if obj == {}:
        yield name, "<ObjectFlag>"
    for k, v in obj.items():
        sub = f"{name}[{k}]" if isinstance(k, int) else (f"{name}.{k}" if name else k)
        yield from unfold(v, sub, depth - 1)


def time_us(t):
    """A UNIX time as microseconds, as `datetime.fromtimestamp` rounds it."""
    if t is None or (isinstance(t, float) and not math.isfinite(t)):
        return None
    d = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    return (d - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)) // \
        datetime.timedelta(microseconds=1)


def context_text(context):
    """The metric.context.* cells of a context, as JSON."""
    cells = {} if context == {} else {f"metric.context.{k}": v for k, v in unfold(context)}
    return json.dumps(cells, sort_keys=True)


def kind(values):
    k = None
    for v in values:
        if v is None:
            continue
        t = ("bool" if isinstance(v, bool) else "int" if isinstance(v, int)
             else "float" if isinstance(v, float) else "str" if isinstance(v, str) else "json")
        if k is None or k == t:
            k = t
        elif {k, t} <= {"int", "float"}:
            k = "float"
        else:
            k = "json"
    return k


def cell(k, v):
    if v is None:
        return None
    if k == "float":
        return num(v)
    if k == "json":
        return json.dumps(v)
    return v


def read_sdk(aim_dir, final_only, archived, index_end=None):
    import aim
    from aim.sdk.sequences.metric import Metric
    repo = aim.Repo(os.path.dirname(aim_dir))
    runs, metrics, params = [], [], []
    for run in repo.iter_runs():
        if run.archived and not archived:
            continue
        h = run.hash
        chunk = repo.request_tree("meta", h, read_only=True).subtree(("meta", "chunks", h))
        try:
            end_time = chunk.get("end_time", None)
        except Exception:
            end_time = None
        if end_time is None and index_end:
            end_time = index_end.get(h)
        try:
            attrs = run[...]
        except KeyError:
            attrs = {}
        attrs = {k: v for k, v in attrs.items() if not str(k).startswith("__system")}
        flat = {}
        for k, v in (unfold(attrs) if attrs else ()):
            if k not in PROPERTIES:
                flat.setdefault(k, v)
        params.append(flat)
        runs.append(dict(
            hash=h, name=run.name, description=run.description,
            archived=bool(run.archived), creation_time=num(run.creation_time),
            end_time=num(end_time), active=end_time is None, experiment=run.experiment,
            tags=json.dumps(list(run.tags or []))))
        # every numeric trace of the meta chunk (run.metrics() hides an archived run's)
        try:
            traces = run.meta_run_tree.subtree("traces").collect()
        except KeyError:
            traces = {}
        for ctx_idx, by_name in traces.items():
            for name, info in by_name.items():
                if name.startswith("__system") or info.get("dtype", "float") not in NUMERIC_DTYPES:
                    continue
                context = run.idx_to_ctx(ctx_idx)
                order = jtext(context.to_dict())
                ctx = context_text(context.to_dict())
                data = Metric(name, context, run).data
                steps = dict(data.steps.items())
                vals = dict(data.arrays[0].items())
                epochs = dict(data.arrays[1].items())
                times = dict(data.arrays[2].items())
                pts = []
                for key, step in steps.items():
                    if key not in vals:
                        continue
                    e = epochs.get(key)
                    if isinstance(e, float):
                        e = None if math.isnan(e) else int(e)
                    pts.append([h, name, ctx, step, num(vals[key]), e, time_us(times.get(key)),
                                order])
                pts.sort(key=lambda p: p[3])
                if final_only:
                    pts = pts[-1:]
                metrics.extend(pts)
    names = sorted({n for p in params for n in p})
    for n in names:
        k = kind(p.get(n) for p in params)
        for r, p in zip(runs, params):
            if p.get(n) is not None:
                r.setdefault("params", {})[n] = cell(k, p[n])
    for r in runs:
        r.setdefault("params", {})
    runs.sort(key=lambda r: r["hash"])
    metrics.sort(key=lambda p: (p[0], p[1], p[7], p[3]))
    return dict(runs=runs, metrics=[p[:7] for p in metrics])


# ------------------------------------------------------------------------- pyarrow side

def read_parquet(folder):
    import pyarrow.parquet as pq
    runs_t = pq.read_table(os.path.join(folder, "runs.parquet"))
    runs = []
    for row in runs_t.to_pylist():
        r = {k: row[k] for k in PROPERTIES}
        r["creation_time"] = num(r["creation_time"])
        r["end_time"] = num(r["end_time"])
        r["params"] = {k: (num(v) if isinstance(v, float) else v)
                       for k, v in row.items() if k not in PROPERTIES and v is not None}
        runs.append(r)
    runs.sort(key=lambda r: r["hash"])
    pf = pq.ParquetFile(os.path.join(folder, "metrics.parquet"))
    metrics = []
    for batch in pf.iter_batches():
        for row in batch.to_pylist():
            ctx = json.dumps({k: v for k, v in row.items()
                              if k.startswith("metric.context.") and v is not None},
                             sort_keys=True)
            t = row["time"]
            if t is not None:
                t = (t - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)) \
                    // datetime.timedelta(microseconds=1)
            metrics.append([row["run.hash"], row["metric.name"], ctx, row["step"],
                            num(row["value"]), row["epoch"], t])
    return dict(runs=runs, metrics=metrics,
                row_groups=pf.metadata.num_row_groups)


def main(argv):
    args = argv[1:]
    if args[:1] == ["parquet"] and len(args) == 2:
        data = read_parquet(args[1])
    elif args[:1] == ["sdk"] and len(args) >= 2:
        final_only = "--final-only" in args
        archived = "--archived" in args
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from sdk_read import readable_copy
        with readable_copy(args[-1], "sdk_export-") as (dst, index_end):
            data = read_sdk(dst, final_only, archived, index_end)
    else:
        sys.exit(__doc__)
    json.dump(data, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
