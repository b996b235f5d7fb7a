#!/usr/bin/env python3
"""Read an Aim repository with the real Aim SDK and print it as JSON on stdout.

    python testdata/interop/sdk_read.py [--as-is] REPO

REPO is a repository root (the folder holding `.aim/`) or the `.aim` folder itself.
Works with aim 3.29.1 and aim 3.17.4; stdlib + aim only.

The repository itself is never opened: `.aim/` is copied to a temporary folder, the
copy's `meta/index` is deleted (so that aim 3.29 falls back to the union of every
`meta/chunks/<H>` instead of reading only the index -- docs/aim-format.md §5.3), and the SDK
reads the copy. (Aim's SDK mutates chunks on read: it flushes WAL files into SSTs.)
With --as-is the copy keeps its `meta/index`: the SDK then sees the repository exactly as
Aim would (used to check that a merged repository needs no index work).

end_time is the meta chunk's; for a run whose chunk has none, it is the one Aim shows
through the repository's own `meta/index` (a second copy, read as is): a killed run closed
by Aim < 3.20 (`aim runs close`) has its end_time there only (docs/aim-format.md §10).

Output (also what testdata/repos/*/expected.json holds):

    {"aim_version": "3.29.1",
     "runs": [                                   # sorted by (creation_time, hash)
       {"hash", "experiment", "name", "description", "archived", "tags",
        "creation_time": float, "end_time": float | null,   # the chunk's, else the index's
        "params": {...},                          # run[...]: the whole attrs dict
        "traces": [                               # sorted by (name, json(context))
          {"name", "context": {...}, "dtype", "count",        # count = number of points
           "first_step", "last_step",                         # min / max step (null if empty)
           "last": value at the highest step (true final value),
           "last_epoch": epoch at the highest step (null when tracked without epoch),
           "values_last": Sequence.values.last() value (tcbench's "last", a hashed-order pick),
           "meta_last", "meta_last_step": the meta chunk's traces/.../last, last_step (or null)
          }, ...]}, ...]}

JSON encoding of values: NaN/inf/-inf -> "NaN"/"Infinity"/"-Infinity"; tuples -> lists;
dict keys -> strings (json's rule: an int key 1 becomes "1"); bytes -> {"bytes_sha256", "len"};
Aim objects (Text, Image, LogLine, ...) -> {"type": "aim.text", ...} with their fields,
BLOB data replaced by its length and sha256 (text data is kept as is).
"""
import contextlib
import hashlib
import importlib.metadata
import json
import math
import os
import shutil
import sys
import tempfile

import aim

AIM_VERSION = importlib.metadata.version("aim")
NUMERIC_DTYPES = ("float", "float64", "int", "number")


def enc(v):
    """Plain JSON-able form of a value read from Aim."""
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    if isinstance(v, (bytes, bytearray, memoryview)):
        b = bytes(v)
        return {"bytes_sha256": hashlib.sha256(b).hexdigest(), "len": len(b)}
    if isinstance(v, dict):
        return {str(k): enc(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [enc(x) for x in v]
    storage = getattr(v, "storage", None)
    if storage is not None:  # aim CustomObject (Text, Image, LogLine, Audio, ...)
        out = {"type": getattr(v, "AIM_NAME", type(v).__name__)}
        try:
            fields = storage[...] if not isinstance(storage, dict) else storage
        except Exception:  # pragma: no cover - defensive
            fields = {}
        for k in sorted(fields, key=str):
            x = fields[k]
            if k == "data" and isinstance(x, (bytes, bytearray)):
                out[k] = enc(bytes(x))
            elif k == "data" and hasattr(x, "load"):  # BLOB wrapper
                out[k] = enc(x.load())
            else:
                out[k] = enc(x)
        return out
    if hasattr(v, "to_dict"):
        return enc(v.to_dict())
    return repr(v)


def seq_for(run, name, ctx, dtype):
    from aim.sdk.sequence import Sequence
    from aim.storage.context import Context
    context = Context(ctx)
    for seq_cls in Sequence.registry.values():
        try:
            allowed = seq_cls.allowed_dtypes()
        except Exception:
            continue
        if dtype in allowed:
            return seq_cls(name, context, run)
    return None


def read_trace(run, ctx_idx, name, info):
    ctx = run.idx_to_ctx(ctx_idx).to_dict()
    dtype = info.get("dtype", "float")
    out = {"name": name, "context": enc(ctx), "dtype": dtype}
    seq = seq_for(run, name, ctx, dtype)
    steps, vals, epochs = [], [], []
    values_last = None
    if seq is not None:
        data = seq.data
        if getattr(data, "steps", None) is not None:
            # v2 (numeric): columns keyed by hash_auto(step); read them raw, joined on the
            # key (items_list() would cast every value to float and None epochs to NaN)
            step_by_key = dict(data.steps.items())
            val_by_key = dict(data.arrays[0].items())
            epoch_by_key = dict(data.arrays[1].items()) if len(data.arrays) > 1 else {}
            keys = [k for k in step_by_key if k in val_by_key]
            steps = [step_by_key[k] for k in keys]
            vals = [val_by_key[k] for k in keys]
            epochs = [epoch_by_key.get(k) for k in keys]
        else:  # v1 (objects): keyed by the step itself
            steps, cols = data.items_list()
            steps = list(steps)
            vals = list(cols[0])
            epochs = list(cols[1]) if len(cols) > 1 else [None] * len(steps)
        try:
            values_last = seq.values.last()[1]
        except Exception:
            values_last = None
    pts = sorted(zip(steps, vals, epochs), key=lambda p: p[0])
    out["count"] = len(pts)
    out["first_step"] = pts[0][0] if pts else None
    out["last_step"] = pts[-1][0] if pts else None
    out["last"] = enc(pts[-1][1]) if pts else None
    e = pts[-1][2] if pts else None
    if isinstance(e, float) and math.isnan(e):
        e = None  # epoch=None is stored as None; the SDK's items_list() turns it into NaN
    out["last_epoch"] = int(e) if isinstance(e, float) and e.is_integer() else enc(e)
    out["values_last"] = enc(values_last)
    out["meta_last"] = enc(info.get("last", None))
    out["meta_last_step"] = info.get("last_step", None)
    return out


def index_end_times(aim_dir):
    """{hash: end_time} as Aim shows the runs through the repository's own index."""
    repo = aim.Repo(os.path.dirname(aim_dir))
    return {run.hash: run.end_time for run in repo.iter_runs()}


def read_repo(aim_dir, index_end=None):
    repo = aim.Repo(os.path.dirname(aim_dir))
    runs = []
    for run in repo.iter_runs():
        h = run.hash
        chunk = repo.request_tree("meta", h, read_only=True).subtree(("meta", "chunks", h))
        try:
            end_time = chunk.get("end_time", None)
        except Exception:
            end_time = None
        if end_time is None and index_end:
            end_time = index_end.get(h)
        try:
            params = run[...]
        except KeyError:
            params = {}
        traces = []
        try:
            traces_tree = run.meta_run_tree.subtree("traces").collect()
        except KeyError:
            traces_tree = {}
        for ctx_idx, by_name in traces_tree.items():
            for name, info in by_name.items():
                traces.append(read_trace(run, ctx_idx, name, info))
        traces.sort(key=lambda t: (t["name"], json.dumps(t["context"], sort_keys=True, ensure_ascii=False)))
        runs.append(dict(
            hash=h, experiment=run.experiment, name=run.name, description=run.description,
            archived=bool(run.archived), tags=sorted(str(t) for t in (run.tags or [])),
            creation_time=float(run.creation_time),
            end_time=None if end_time is None else float(end_time),
            params=enc(params), traces=traces))
    runs.sort(key=lambda r: (r["creation_time"], r["hash"]))
    return dict(aim_version=AIM_VERSION, runs=runs)


@contextlib.contextmanager
def readable_copy(repo, prefix, as_is=False):
    """Yields `(aim_dir, index_end)` for the repository `repo` (its root or its `.aim`): a
    temporary copy the SDK may open, since it mutates chunks when it reads, without its
    `meta/index` (aim 3.29 would read run metadata from the index only) unless `as_is`, and
    the end times Aim shows through that index (`index_end_times` of a second copy, kept
    whole; None when there is no index or `as_is`). The copies are removed afterwards."""
    src = os.path.abspath(repo)
    if os.path.basename(src) != ".aim":
        src = os.path.join(src, ".aim")
    if not os.path.isdir(src):
        sys.exit(f"no .aim folder at {src}")
    tmp = tempfile.mkdtemp(prefix=prefix)
    try:
        dst = os.path.join(tmp, "all", ".aim")
        shutil.copytree(src, dst, symlinks=True)
        index_end = None
        if not as_is and os.path.isdir(os.path.join(src, "meta", "index")):
            with_index = os.path.join(tmp, "as-is", ".aim")
            shutil.copytree(src, with_index, symlinks=True)
            index_end = index_end_times(with_index)
            shutil.rmtree(os.path.join(dst, "meta", "index"), ignore_errors=True)
        yield dst, index_end
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv):
    as_is = "--as-is" in argv[1:]
    argv = [a for a in argv if a != "--as-is"]
    if len(argv) != 2:
        sys.exit("usage: sdk_read.py [--as-is] REPO")
    with readable_copy(argv[1], "sdk_read-", as_is) as (dst, index_end):
        data = read_repo(dst, index_end)
    json.dump(data, sys.stdout, indent=1, ensure_ascii=False, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
