"""Shared machinery of the tests of `tcbench_rs.runs()` and `tcbench_rs.metrics()`.

The reference is the real Aim SDK, run as a subprocess (`sdk_reference.py`) under the Python
environments that scripts/test.sh creates: `TCBENCH_AIM_PYTHON` (aim 3.29.1) for every
repository, `TCBENCH_AIM317_PYTHON` (aim 3.17.4) for the `aim317-*` fixtures, which aim 3.17.4
wrote. Each repository is read by the SDK once per session (in parallel, in the background,
from the first test that needs one), from a temporary copy: the SDK never opens a fixture.

The repositories compared: every fixture under testdata/repos (each has been read by the SDK
when it was generated: `expected.json`), examples/campaign, and `specials`, written during the
session by real Aim (testdata/interop/write_specials.py: NaN/±inf metric values, one param
name with several types across runs, `__system_params`, a `__system__` metric).

The test environment has no Aim: the module under test, pytest, pyarrow, pandas, duckdb and
polars. A missing `tcbench_rs` or an unset Aim variable makes the tests fail, never skip.
"""
from __future__ import annotations

import concurrent.futures
import hashlib
import json
import math
import os
import pathlib
import shutil
import struct
import subprocess
import sys
import threading

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "testdata" / "repos"
EXAMPLE = ROOT / "examples" / "campaign"
SDK_REFERENCE = pathlib.Path(__file__).resolve().with_name("sdk_reference.py")
AIM_QUERY = ROOT / "testdata" / "interop" / "aim_query.py"
WRITE_SPECIALS = ROOT / "testdata" / "interop" / "write_specials.py"

AIM_329 = "TCBENCH_AIM_PYTHON"
AIM_317 = "TCBENCH_AIM317_PYTHON"

PROPERTIES = ["hash", "name", "description", "archived", "creation_time", "end_time",
              "active", "experiment", "tags"]
METRIC_HEAD = ["run.hash", "metric.name"]
METRIC_TAIL = ["step", "value", "epoch", "time"]
VALUES = ["last", "max", "min", "all"]

# the test modules import their helpers from here, whatever pytest's import mode
if str(pathlib.Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

try:
    import tcbench_rs as _tcbench_rs
    _IMPORT_ERROR = None
except Exception as e:  # noqa: BLE001 - reported by every test
    _tcbench_rs = None
    _IMPORT_ERROR = e


def _fixture_names() -> list[str]:
    return sorted(p.name for p in FIXTURES.iterdir() if (p / ".aim").is_dir())


#: every repository the SDK comparison covers: name -> Aim variable
REPOSITORIES = {name: (AIM_317 if name.startswith("aim317-") else AIM_329)
                for name in _fixture_names()}
REPOSITORIES["examples-campaign"] = AIM_329
REPOSITORIES["specials"] = AIM_329


def aim_python(var: str) -> str:
    py = os.environ.get(var)
    if not py:
        pytest.fail(f"{var} is not set: it names the Python with real Aim "
                    f"({'3.17.4' if var == AIM_317 else '3.29.1'}) that these tests compare "
                    "with; scripts/test.sh creates that environment (under "
                    "~/.cache/tcbench/venvs) and sets the variable", pytrace=False)
    if not os.path.exists(py):
        pytest.fail(f"{var}={py} does not exist (scripts/test.sh creates it)", pytrace=False)
    return py


@pytest.fixture(scope="session")
def tr():
    """The module under test; a test fails (not skips) when it cannot be imported."""
    if _IMPORT_ERROR is not None:
        pytest.fail(f"cannot import tcbench_rs: {_IMPORT_ERROR!r} (install the wheel into "
                    "this environment)", pytrace=False)
    return _tcbench_rs


# ------------------------------------------------------------------------ the SDK side

class Other:
    """A value the SDK gave that is neither None, bool, int, float nor str."""

    def __init__(self, d):
        self.repr = d["$other"]
        self.type = d["$type"]

    def __repr__(self):
        return self.repr


def dec(v):
    if isinstance(v, dict):
        if "$float" in v:
            return float(v["$float"].replace("Infinity", "inf"))
        if "$other" in v:
            return Other(v)
    return v


def is_object_flag(v) -> bool:
    return isinstance(v, Other) and v.type == "ObjectFlagType"


def run_py(py: str, args: list, cwd=None) -> str:
    p = subprocess.run([py, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                       env={**os.environ, "TZ": "UTC"})
    if p.returncode != 0:
        raise RuntimeError(f"{py} {' '.join(map(str, args))} failed ({p.returncode}):\n"
                           f"{p.stderr[-4000:]}")
    return p.stdout


class Sdk:
    """What the Aim SDK reads, per repository, once per session."""

    def __init__(self, tmp: pathlib.Path):
        self.tmp = tmp
        self._lock = threading.Lock()
        self._pool = None
        self._futures: dict[str, concurrent.futures.Future] = {}
        self._queries: dict[tuple, concurrent.futures.Future] = {}

    # -- repositories
    def path(self, name: str) -> pathlib.Path:
        if name == "examples-campaign":
            return EXAMPLE
        if name == "specials":
            return self._get("@specials")
        return FIXTURES / name

    def _write_specials(self, py) -> pathlib.Path:
        where = self.tmp / "specials"
        where.mkdir()
        run_py(py, [WRITE_SPECIALS, "repo"], cwd=where)
        return where / "repo"

    def _reference(self, name, py) -> dict:
        path = self._get("@specials") if name == "specials" else self.path(name)
        return json.loads(run_py(py, [SDK_REFERENCE, path]))

    def _start(self):
        """Every repository's SDK reading, in the background (a few seconds each)."""
        pys = {var: aim_python(var) for var in set(REPOSITORIES.values())}
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2)
        self._futures["@specials"] = self._pool.submit(self._write_specials, pys[AIM_329])
        for name, var in REPOSITORIES.items():
            self._futures[name] = self._pool.submit(self._reference, name, pys[var])

    def _get(self, key):
        with self._lock:
            if self._pool is None:
                self._start()
        try:
            return self._futures[key].result()
        except RuntimeError as e:
            pytest.fail(f"the Aim SDK could not read {key}: {e}", pytrace=False)

    def reference(self, name: str) -> dict:
        return self._get(name)

    def query(self, name: str, queries: tuple) -> dict:
        """{query: set of hashes} that Aim 3.29.1's Repo.query_runs keeps
        (testdata/interop/aim_query.py)."""
        key = (name, queries)
        with self._lock:
            if key not in self._queries:
                py = aim_python(AIM_329)
                fut = concurrent.futures.Future()
                try:
                    out = json.loads(run_py(py, [AIM_QUERY, self.path(name), *queries]))
                    fut.set_result({q: set(h) for q, h in out.items()})
                except Exception as e:  # noqa: BLE001
                    fut.set_exception(e)
                self._queries[key] = fut
        return self._queries[key].result()

    def close(self):
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="session")
def sdk(tmp_path_factory):
    s = Sdk(tmp_path_factory.mktemp("sdk"))
    yield s
    s.close()


# ------------------------------------------------------------------ typing of columns

def kind_of(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "str"
    return "other"


def column_kind(values) -> str | None:
    """The contract's rule: all int -> int, ints and floats -> float, all bool, all str;
    any other mix -> json. None (no value) takes no part; None if no run has a value."""
    k = None
    for v in values:
        t = kind_of(v)
        if t is None:
            continue
        if k is None or k == t:
            k = t
        elif {k, t} <= {"int", "float"}:
            k = "float"
        else:
            k = "json"
    return "json" if k == "other" else k


def typed(kind: str | None, v):
    """The cell the contract expects in a column of `kind` for Aim's value `v`."""
    if v is None:
        return None
    if kind == "float":
        return float(v)
    if kind == "json":
        return json.dumps(v)
    return v


def arrow_kind_ok(kind: str | None, t) -> bool:
    import pyarrow as pa
    if kind is None:  # every cell null: any type
        return True
    return {
        "int": pa.types.is_int64,
        "float": pa.types.is_float64,
        "bool": pa.types.is_boolean,
        "str": lambda x: pa.types.is_string(x) or pa.types.is_large_string(x),
        "json": lambda x: pa.types.is_string(x) or pa.types.is_large_string(x),
    }[kind](t)


def aim_cell(v):
    """Aim's value as a table can hold it: a Python object that is none of None, bool, int,
    float, str is its str(). The one such value in Aim's frames is the ObjectFlag that
    unfold_tree yields for an empty dict (not a dict, so Run.dataframe() does not json.dumps
    it): "<ObjectFlag>", as pandas shows it. (The root flag of a run without params, in a
    column named '', is dropped: it names no param.)"""
    return v.repr if isinstance(v, Other) else v


# ------------------------------------------------------------------ exact comparison

def same(a, b) -> bool:
    """Equal values of the same Python type; floats bit for bit (-0.0 is not 0.0), any NaN
    equals any NaN."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return struct.pack("<d", a) == struct.pack("<d", b)
    return type(a) is type(b) and a == b


def fail_with(problems: list[str], what: str, limit: int = 40):
    if problems:
        more = f"\n… and {len(problems) - limit} more" if len(problems) > limit else ""
        pytest.fail(f"{what}: {len(problems)} difference(s) from the Aim SDK:\n  "
                    + "\n  ".join(problems[:limit]) + more, pytrace=False)


# ------------------------------------------------------------------ expected tables

def expected_runs(ref: dict, keep) -> tuple[dict, dict]:
    """(rows, kinds): rows = {hash: {column: cell}} for the runs `keep(run_columns)` keeps,
    kinds = {param column: kind}; the properties typed by the contract."""
    aim_rows = {}
    for r in ref["runs"]:
        cols = {k: dec(v) for k, v in r["columns"]}
        if not keep(cols):
            continue
        end = cols["end_time"]
        if end is None:  # the end time that only the index holds (aim < 3.20's `runs close`)
            end = dec(r["index_end_time"])
        cols["end_time"] = None if end is None else float(end)
        cols["active"] = not end
        cols["creation_time"] = float(cols["creation_time"])
        cols["archived"] = bool(cols["archived"])
        cols.pop("", None)  # the root ObjectFlag of a run without params
        aim_rows[r["hash"]] = {k: aim_cell(v) for k, v in cols.items()}
    params = []
    for cols in aim_rows.values():
        params += [k for k in cols if k not in PROPERTIES and k not in params]
    kinds = {p: column_kind(c.get(p) for c in aim_rows.values()) for p in params}
    rows = {h: {**{k: cols[k] for k in PROPERTIES},
                **{p: typed(kinds[p], cols.get(p)) for p in params}}
            for h, cols in aim_rows.items()}
    return rows, kinds


def trace_context(trace: dict) -> dict:
    cols = {}
    for k, v in trace["context_columns"]:
        v = dec(v)
        if k == "metric.context" and is_object_flag(v):
            continue  # the empty context: no path
        cols[k] = aim_cell(v)
    return cols


def has_nan(points) -> bool:
    return any(isinstance(p[1], float) and math.isnan(p[1]) for p in points)


def pick(points: list, value: str) -> list:
    """The points a `value` mode keeps of one trace (points sorted by step). max/min of a
    trace holding NaN is not in the contract: see test_metrics.py (NaN and max/min)."""
    if value == "all" or not points:
        return points
    if value == "last":
        return [points[-1]]
    vals = [p for p in points if not (isinstance(p[1], float) and math.isnan(p[1]))]
    if not vals:
        return [points[0]]
    best = (max if value == "max" else min)(p[1] for p in vals)
    return [next(p for p in vals if p[1] == best)]  # ties: lowest step


def expected_metrics(ref: dict, keep_run, value: str, names=None, contexts=None):
    """(rows, kinds, nan_keys): rows keyed by metric_key(), each a dict of the columns; the
    kinds of the context columns; the keys of traces holding NaN (their max/min is an
    assumption, compared apart)."""
    traces = []
    for r in ref["runs"]:
        cols = {k: dec(v) for k, v in r["columns"]}
        if not keep_run(cols):
            continue
        for t in r["traces"]:
            if names is not None and t["name"] not in names:
                continue
            if contexts is not None and t["context"].get("subset") not in contexts:
                continue
            traces.append((r["hash"], t, trace_context(t)))
    ctx_cols = []
    for _, _, c in traces:
        ctx_cols += [k for k in c if k not in ctx_cols]
    kinds = {k: column_kind(c.get(k) for _, _, c in traces) for k in ctx_cols}
    rows, nan_keys = {}, set()
    for h, t, c in traces:
        ctx = {k: typed(kinds[k], c.get(k)) for k in ctx_cols}
        pts = [[p[0], dec(p[1]), p[2], dec(p[3])] for p in t["points"]]
        for step, val, epoch, time in pick(pts, value):
            row = {"run.hash": h, "metric.name": t["name"], **ctx, "step": step,
                   "value": float(val), "epoch": epoch, "time": time}
            key = metric_key(row, ctx_cols, value)
            rows[key] = row
            if value in ("max", "min") and has_nan(pts):
                nan_keys.add(key)
    return rows, kinds, nan_keys


def metric_key(row: dict, ctx_cols, value: str) -> tuple:
    # str(): a context cell of the wrong type still finds its row (and is reported there)
    ctx = tuple(sorted((k, str(row.get(k))) for k in ctx_cols if row.get(k) is not None))
    key = (row["run.hash"], row["metric.name"], ctx)
    return key + (row["step"],) if value == "all" else key


# ------------------------------------------------------------------ Aim's query

# The expressions on which `--filter` and Aim's query agree, shared with tests/filter.rs.
QUERIES = {
    name: tuple(exprs)
    for name, exprs in json.loads(
        (ROOT / "testdata" / "interop" / "filter_queries.json").read_text(encoding="utf-8")
    ).items()
}
ALL_RUNS = " and (run.archived or not run.archived)"  # names run.archived: no default clause


def plain_queries(name: str) -> list[str]:
    """The queries that do not name `archived` (Aim then adds `run.archived == False`)."""
    return [q for q in QUERIES[name] if "archived" not in q]


def aim_queries(sdk: Sdk, name: str) -> dict:
    """{query: hashes} Aim keeps for every QUERIES[name], and for each plain query q also
    for `(q) and (run.archived or not run.archived)`: q over every run, archived ones too."""
    return sdk.query(name, QUERIES[name] + tuple(f"({q}){ALL_RUNS}" for q in plain_queries(name)))


# ------------------------------------------------------------------ misc

def tree_state(root: pathlib.Path) -> list:
    """Every path under root with its size, mtime, mode and content hash."""
    out = []
    for p in sorted(root.rglob("*")):
        st = p.lstat()
        digest = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else None
        out.append((str(p.relative_to(root)), st.st_size, st.st_mtime_ns, st.st_mode, digest))
    return out


def copy_repo(src: pathlib.Path, dst: pathlib.Path) -> pathlib.Path:
    shutil.copytree(src, dst, symlinks=True)
    return dst
