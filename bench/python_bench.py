#!/usr/bin/env python3
"""Benchmark the Python module `tcbench_rs` against the Aim SDK doing the same work in
Python: a campaign's runs table and the final value of every metric trace, in pandas.

    python3 bench/python_bench.py --ours-python PY --aim-python PY [--campaign DIR] [--repeat 5]
    python3 bench/python_bench.py --ours-python PY --repo PATH [--repeat 3]
    python3 bench/python_bench.py --ours-python PY --streaming [--repo PATH] [--small-metric NAME]

Python 3.11 stdlib only (this process); each measured call runs in a fresh child process of
the contender's interpreter (this same file, `--child …`). See bench/README.md.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
CAMPAIGNS = [pathlib.Path("/work/bench-cache/campaign-315"), ROOT / "bench" / "cache" / "campaign-315"]


def log(*a):
    print("[python_bench]", *a, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- children
# Run under the contender's interpreter. Each prints one JSON line: import and work seconds
# (perf_counter, inside the child), row counts and Arrow sizes.

def child_ours(repo: str, mode: str, small: str | None) -> dict:
    t0 = time.perf_counter()
    import pandas  # noqa: F401  (to_pandas() needs it; imported here so that it is import time)
    import pyarrow  # noqa: F401
    import tcbench_rs
    t1 = time.perf_counter()
    out = {"import_s": t1 - t0}
    if mode == "import":
        pass
    elif mode == "pandas":  # the comparison with the SDK
        runs = tcbench_rs.runs(repo).to_pandas()
        last = tcbench_rs.metrics(repo, value="last").to_pandas()
        out.update(runs=len(runs), traces=len(last), params=len(runs.columns) - 9)
    elif mode == "tables":  # a big repository: the Arrow tables, and their size
        r = tcbench_rs.runs(repo)
        t2 = time.perf_counter()
        m = tcbench_rs.metrics(repo, value="last")
        t3 = time.perf_counter()
        out.update(runs=r.num_rows, traces=m.num_rows, runs_s=t2 - t1, metrics_s=t3 - t2,
                   runs_nbytes=r.nbytes, metrics_nbytes=m.nbytes)
    elif mode == "runs-only":
        r = tcbench_rs.runs(repo)
        out.update(runs=r.num_rows, nbytes=r.nbytes)
    elif mode == "last-only":
        m = tcbench_rs.metrics(repo, value="last")
        out.update(traces=m.num_rows, nbytes=m.nbytes)
    elif mode in ("all", "all-small"):
        names = [small] if mode == "all-small" else None
        m = tcbench_rs.metrics(repo, value="all", names=names)
        out.update(points=m.num_rows, nbytes=m.nbytes)
    else:
        raise SystemExit(f"unknown mode {mode}")
    out["work_s"] = time.perf_counter() - t1
    return out


def child_aim(repo: str, mode: str, small: str | None) -> dict:
    t0 = time.perf_counter()
    import datetime

    import aim
    import pandas as pd
    t1 = time.perf_counter()
    out = {"import_s": t1 - t0}
    if mode == "pandas":
        r = aim.Repo(repo)
        frames, rows = [], []
        for run in r.iter_runs():
            if run.archived:  # runs() leaves archived runs out
                continue
            frames.append(run.dataframe())
            for metric in run.metrics():
                steps, (values, epochs, times) = metric.data.items_list()  # sorted by step
                if not steps:
                    continue
                row = {"run.hash": run.hash, "metric.name": metric.name}
                for k, v in metric.context.to_dict().items():
                    row[f"metric.context.{k}"] = v
                row.update(step=steps[-1], value=values[-1], epoch=epochs[-1],
                           time=datetime.datetime.fromtimestamp(times[-1]))
                rows.append(row)
        runs = pd.concat(frames, ignore_index=True)
        last = pd.DataFrame(rows)
        out.update(runs=len(runs), traces=len(last), params=len(runs.columns) - 9)
    elif mode != "import":
        raise SystemExit(f"unknown mode {mode}")
    out["work_s"] = time.perf_counter() - t1
    return out


# ----------------------------------------------------------------------------- measuring

def run_child(python: str, contender: str, repo, mode: str, small=None) -> dict:
    """Spawn `python this-file --child …`; wall = perf_counter around spawn..reap, rss =
    ru_maxrss (KiB) from os.wait4; plus what the child printed."""
    argv = [python, str(pathlib.Path(__file__).resolve()), "--child", contender, str(repo), mode]
    if small:
        argv.append(small)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text, tail = out.read().decode(), err.read().decode(errors="replace")[-2000:]
    if p.returncode != 0:
        raise SystemExit(f"{contender} {mode} failed (exit {p.returncode}):\n{tail}")
    res = json.loads(text.strip().splitlines()[-1])
    res.update(wall_s=wall, rss_kib=ru.ru_maxrss)
    return res


def fresh_copy(src: pathlib.Path, dst: pathlib.Path) -> pathlib.Path:
    """A copy of the repository for the SDK (it writes into what it reads), untimed."""
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src / ".aim", dst / ".aim", symlinks=True)
    return dst


def med(rs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in rs)


def mb(kib: float) -> str:
    return f"{kib / 1024:.0f}"


def version(python: str, module: str) -> str:
    p = subprocess.run([python, "-c", f"import importlib.metadata as m; print(m.version({module!r}))"],
                       capture_output=True, text=True)
    return p.stdout.strip() or "?"


def loadavg() -> str:
    return " ".join(pathlib.Path("/proc/loadavg").read_text().split()[:3])


def header(args, extra: list[str]) -> list[str]:
    lines = [f"- machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
             f"{platform.python_version()} (harness); load average {args.load_start} at "
             f"start, {loadavg()} at end",
             f"- ours: `{args.ours_python}` (tcbench_rs {version(args.ours_python, 'tcbench_rs')}, "
             f"pyarrow {version(args.ours_python, 'pyarrow')}, pandas "
             f"{version(args.ours_python, 'pandas')})"]
    return lines + extra


# ----------------------------------------------------------------------------- modes

def compare(args):
    repo = pathlib.Path(args.campaign) if args.campaign else next((c for c in CAMPAIGNS if (c / ".aim").is_dir()), None)
    if repo is None:
        raise SystemExit(f"no campaign at {' or '.join(map(str, CAMPAIGNS))}: pass --campaign "
                         "(bench/bench.py --runs 315 builds bench/cache/campaign-315)")
    if not args.aim_python:
        raise SystemExit("--aim-python (a Python with aim 3.29.1) is needed for the comparison")
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="python_bench-"))
    copy = tmp / "copy"
    res = {"ours": [], "aim": []}
    floor = {"ours": [], "aim": []}
    try:
        for rep in range(args.repeat + 1):  # round 0: warm-up, not timed
            for name, py in (("ours", args.ours_python), ("aim", args.aim_python)):
                target = repo if name == "ours" else fresh_copy(repo, copy)
                r = run_child(py, name, target, "pandas")
                f = run_child(py, name, target, "import")
                log(f"round {rep} {name}: wall {r['wall_s'] * 1e3:.0f} ms, work "
                    f"{r['work_s'] * 1e3:.0f} ms, import {r['import_s'] * 1e3:.0f} ms, "
                    f"{r['runs']} runs, {r['traces']} traces")
                if rep:
                    res[name].append(r)
                    floor[name].append(f)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    o, a = res["ours"], res["aim"]
    same = {k: (o[0][k], a[0][k]) for k in ("runs", "traces", "params")}
    notes = [f"- repository: `{repo}` ({same['runs'][0]} runs); the SDK reads a fresh copy "
             "each time (untimed), ours the repository itself",
             f"- Aim SDK: `{args.aim_python}` (aim {version(args.aim_python, 'aim')}, pandas "
             f"{version(args.aim_python, 'pandas')})",
             f"- rows, ours / SDK: runs {same['runs'][0]} / {same['runs'][1]}, traces "
             f"{same['traces'][0]} / {same['traces'][1]}, param columns {same['params'][0]} / "
             f"{same['params'][1]}"]
    out = ["## tcbench_rs vs the Aim SDK: runs table + final value of every trace, in pandas", ""]
    out += header(args, notes)
    out += ["",
            f"{args.repeat} timed rounds after one warm-up, contenders interleaved, each call in "
            "a fresh process. *process* = wall time from spawn to exit (interpreter start, "
            "imports and work: what a script waits for); *work* = the calls alone, imports "
            "excluded (perf_counter inside the child); *import* = `import tcbench_rs, pyarrow, "
            "pandas` / `import aim, pandas`; medians. RSS = largest `ru_maxrss` of the child.",
            "",
            "| | ours | Aim SDK | SDK / ours |",
            "|---|---:|---:|---:|"]
    for label, key in (("process ms (incl. imports)", "wall_s"), ("work ms (excl. imports)", "work_s"),
                       ("import ms", "import_s")):
        mo, ma = med(o, key) * 1e3, med(a, key) * 1e3
        out.append(f"| {label} | {mo:.0f} | {ma:.0f} | {ma / mo:.1f}× |")
    ro, ra = max(r["rss_kib"] for r in o), max(r["rss_kib"] for r in a)
    fo, fa = max(r["rss_kib"] for r in floor["ours"]), max(r["rss_kib"] for r in floor["aim"])
    out.append(f"| peak RSS MB | {mb(ro)} | {mb(ra)} | {ra / ro:.1f}× |")
    out.append(f"| RSS after imports only, MB | {mb(fo)} | {mb(fa)} | |")
    out += ["", "| round | ours process ms | ours work ms | SDK process ms | SDK work ms |",
            "|---:|---:|---:|---:|---:|"]
    for i, (x, y) in enumerate(zip(o, a), 1):
        out.append(f"| {i} | {x['wall_s'] * 1e3:.0f} | {x['work_s'] * 1e3:.0f} | "
                   f"{y['wall_s'] * 1e3:.0f} | {y['work_s'] * 1e3:.0f} |")
    return out


def big(args):
    repo = pathlib.Path(args.repo)
    rs = []
    base = run_child(args.ours_python, "ours", repo, "import")
    alone = {"runs-only": [], "last-only": []}
    for rep in range(args.repeat + 1):
        r = run_child(args.ours_python, "ours", repo, "tables")
        log(f"round {rep}: wall {r['wall_s']:.2f} s, runs() {r['runs_s']:.2f} s, metrics() "
            f"{r['metrics_s']:.2f} s, peak RSS {mb(r['rss_kib'])} MB")
        for mode in alone:
            a = run_child(args.ours_python, "ours", repo, mode)
            log(f"round {rep} {mode}: peak RSS {mb(a['rss_kib'])} MB, {a['wall_s']:.2f} s")
            if rep:
                alone[mode].append(a)
        if rep:
            rs.append(r)
    r0 = rs[0]
    nbytes = r0["runs_nbytes"] + r0["metrics_nbytes"]
    rss = max(r["rss_kib"] for r in rs)
    floor = base["rss_kib"]
    out = [f"## tcbench_rs on a big repository: `{repo}`", ""]
    out += header(args, [f"- {r0['runs']} runs, {r0['traces']} traces"])
    out += ["",
            f"`runs(repo)` then `metrics(repo, value=\"last\")` (Arrow tables, no pandas) in "
            f"one fresh process, and each call alone in a process of its own; {args.repeat} "
            "timed rounds after a warm-up; medians, RSS = max. *imports only*: the peak RSS of "
            "a process that only imports (the floor every row includes).",
            "",
            "| process | wall s | peak RSS MB | RSS − imports MB | table nbytes MB |",
            "|---|---:|---:|---:|---:|",
            f"| runs() + metrics(last) | {med(rs, 'wall_s'):.2f} (runs() {med(rs, 'runs_s'):.2f}, "
            f"metrics() {med(rs, 'metrics_s'):.2f}) | {mb(rss)} | {mb(rss - floor)} | "
            f"{nbytes / 2**20:.1f} |"]
    for mode, label in (("runs-only", "runs() alone"), ("last-only", "metrics(last) alone")):
        a = alone[mode]
        m = max(x["rss_kib"] for x in a)
        out.append(f"| {label} | {med(a, 'wall_s'):.2f} | {mb(m)} | {mb(m - floor)} | "
                   f"{a[0]['nbytes'] / 2**20:.1f} |")
    out.append(f"| imports only | {base['wall_s']:.2f} | {mb(floor)} | | |")
    return out


def streaming(args):
    repo = pathlib.Path(args.repo) if args.repo else next((c for c in CAMPAIGNS if (c / ".aim").is_dir()), None)
    if repo is None:
        raise SystemExit("no repository: pass --repo")
    base = run_child(args.ours_python, "ours", repo, "import")
    res = {"all-small": [], "all": []}
    for rep in range(args.repeat + 1):
        for mode in res:
            r = run_child(args.ours_python, "ours", repo, mode, args.small_metric)
            log(f"round {rep} {mode}: {r['points']} points, {r['nbytes'] / 2**20:.1f} MB, "
                f"peak RSS {mb(r['rss_kib'])} MB, {r['wall_s']:.2f} s")
            if rep:
                res[mode].append(r)
    out = [f"## tcbench_rs: memory follows the output (`metrics(value=\"all\")` on `{repo}`)", ""]
    out += header(args, [])
    out += ["",
            f"The same repository read twice: every point of one metric (`names=[\"{args.small_metric}\"]`) "
            f"and every point of every metric. If the reader held the repository in memory, "
            f"both would peak alike; {args.repeat} rounds after a warm-up, medians, RSS = max.",
            "",
            "| call | points | table nbytes MB | peak RSS MB | RSS − imports MB | process s |",
            "|---|---:|---:|---:|---:|---:|"]
    for mode, label in (("all-small", f"metrics(value=\"all\", names=[\"{args.small_metric}\"])"),
                        ("all", "metrics(value=\"all\")")):
        rs = res[mode]
        rss = max(r["rss_kib"] for r in rs)
        out.append(f"| `{label}` | {rs[0]['points']} | {rs[0]['nbytes'] / 2**20:.1f} | {mb(rss)} | "
                   f"{mb(rss - base['rss_kib'])} | {med(rs, 'wall_s'):.2f} |")
    out.append(f"| imports only | | | {mb(base['rss_kib'])} | | |")
    return out


def main():
    if sys.argv[1:2] == ["--child"]:
        who, repo, mode = sys.argv[2:5]
        small = sys.argv[5] if len(sys.argv) > 5 else None
        res = (child_ours if who == "ours" else child_aim)(repo, mode, small)
        print(json.dumps(res))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ours-python", required=True, help="a Python with the tcbench_rs wheel, pyarrow and pandas")
    ap.add_argument("--aim-python", help="a Python with aim 3.29.1 and pandas (the comparison)")
    ap.add_argument("--campaign", help="the 315-run campaign (default: /work/bench-cache/campaign-315 "
                    "or bench/cache/campaign-315)")
    ap.add_argument("--repo", help="a big repository: time ours only, peak RSS vs the tables' size")
    ap.add_argument("--streaming", action="store_true",
                    help="peak RSS of metrics(value='all') with one small metric vs every metric")
    ap.add_argument("--small-metric", default="best_epoch", help="the metric of --streaming's small call")
    ap.add_argument("--repeat", type=int, default=None, help="timed rounds (default 5; 3 with --repo)")
    args = ap.parse_args()
    args.load_start = loadavg()
    if args.repeat is None:
        args.repeat = 3 if (args.repo or args.streaming) else 5
    if args.streaming:
        out = streaming(args)
    elif args.repo:
        out = big(args)
    else:
        out = compare(args)
    print("\n".join(out))


if __name__ == "__main__":
    main()
