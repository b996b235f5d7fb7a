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
DIR/runs.parquet and DIR/metrics.parquet with pyarrow (and checks that every
`context.<key>` column equals that key of the row's `context` JSON).

Output, both modes:

    {"runs": [                        # sorted by hash
       {"hash", "name", "experiment", "description", "archived", "active",
        "creation_time", "end_time", "tags": [sorted],
        "params": {column: value}}],  # non-null params, typed as export types its columns
     "metrics": [[run_hash, metric, context, step, value, epoch, time], ...]}
                                      # (hash, metric, context, step) order; --final-only:
                                      # the point at the highest step of each trace

The export's rules, restated here from docs/commands.md: params are `run[...]` with every non-empty
dict flattened (`hparams.lr`, int keys as `hparams.d[1]`; a name equal to a property column
gets the prefix `attrs.`); a column whose values are all ints is int64, ints and floats
float64, all bools bool, all strings string, anything else JSON text
(`json.dumps(v, sort_keys=True, ensure_ascii=False)`); None is null. `context` is
`json.dumps(context, sort_keys=True, ensure_ascii=False)`; only numeric sequences (dtype
float, int, number) are exported; int values become floats; epoch None stays null.

JSON encoding of floats: NaN/inf/-inf -> "NaN"/"Infinity"/"-Infinity".
"""
import json
import math
import os
import shutil
import sys
import tempfile

PROPERTIES = ("hash", "name", "experiment", "description", "archived", "active",
              "creation_time", "end_time", "tags")
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

def flatten(d, prefix, out):
    for k, v in d.items():
        name = (f"{prefix}[{k}]" if prefix else f"[{k}]") if isinstance(k, int) else \
            (f"{prefix}.{k}" if prefix else k)
        if isinstance(v, dict) and v:
            flatten(v, name, out)
        else:
            out.setdefault(name, v)


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
        return jtext(v)
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
        flatten(attrs, "", flat)
        flat = {("attrs." + k if k in PROPERTIES else k): v for k, v in flat.items()}
        params.append(flat)
        runs.append(dict(
            hash=h, name=run.name, experiment=run.experiment, description=run.description,
            archived=bool(run.archived), active=end_time is None,
            creation_time=num(run.creation_time), end_time=num(end_time),
            tags=sorted(str(t) for t in (run.tags or []))))
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
                ctx = jtext(context.to_dict())
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
                    pts.append([h, name, ctx, step, num(vals[key]), e, num(times.get(key))])
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
    metrics.sort(key=lambda p: (p[0], p[1], p[2], p[3]))
    return dict(runs=runs, metrics=metrics)


# ------------------------------------------------------------------------- pyarrow side

def read_parquet(folder):
    import pyarrow.parquet as pq
    runs_t = pq.read_table(os.path.join(folder, "runs.parquet"))
    runs = []
    for row in runs_t.to_pylist():
        r = {k: row[k] for k in PROPERTIES}
        r["creation_time"] = num(r["creation_time"])
        r["end_time"] = num(r["end_time"])
        r["tags"] = sorted(r["tags"])
        r["params"] = {k: (num(v) if isinstance(v, float) else v)
                       for k, v in row.items() if k not in PROPERTIES and v is not None}
        runs.append(r)
    runs.sort(key=lambda r: r["hash"])
    pf = pq.ParquetFile(os.path.join(folder, "metrics.parquet"))
    metrics = []
    for batch in pf.iter_batches():
        for row in batch.to_pylist():
            ctx = json.loads(row["context"])
            for k, v in row.items():
                if k.startswith("context."):
                    want = ctx.get(k[len("context."):])
                    if isinstance(want, (list, dict)):
                        want = jtext(want)
                    if v != want and not (isinstance(v, float) and want == v):
                        sys.exit(f"row {row}: column {k} = {v!r}, context has {want!r}")
            metrics.append([row["run_hash"], row["metric"], row["context"], row["step"],
                            num(row["value"]), row["epoch"], num(row["time"])])
    return dict(runs=runs, metrics=metrics,
                row_groups=pf.metadata.num_row_groups)


def main(argv):
    args = argv[1:]
    if args[:1] == ["parquet"] and len(args) == 2:
        data = read_parquet(args[1])
    elif args[:1] == ["sdk"] and len(args) >= 2:
        final_only = "--final-only" in args
        archived = "--archived" in args
        src = os.path.abspath(args[-1])
        if os.path.basename(src) != ".aim":
            src = os.path.join(src, ".aim")
        tmp = tempfile.mkdtemp(prefix="sdk_export-")
        try:
            dst = os.path.join(tmp, "all", ".aim")
            shutil.copytree(src, dst, symlinks=True)
            index_end = None
            if os.path.isdir(os.path.join(src, "meta", "index")):
                sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
                from sdk_read import index_end_times
                with_index = os.path.join(tmp, "as-is", ".aim")
                shutil.copytree(src, with_index, symlinks=True)
                index_end = index_end_times(with_index)
                shutil.rmtree(os.path.join(dst, "meta", "index"), ignore_errors=True)
            data = read_sdk(dst, final_only, archived, index_end)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    else:
        sys.exit(__doc__)
    json.dump(data, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
