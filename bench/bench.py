#!/usr/bin/env python3
"""Benchmark `tcbench aimrepo {ls,properties,report}` (this Rust re-implementation)
against the Aim SDK doing the same work in Python, the original tcbench, and the
cost of merely reading the repository's bytes.

    python3 bench/bench.py [--runs 315[,2100,20055]] [--repeat 5] [--commands ls,properties,report]
                           [--out bench/RESULTS.md] [--aim-python PY] [--orig-tcbench EXE]

Python 3.11 stdlib only. See bench/README.md.
"""
from __future__ import annotations

import argparse
import re
import datetime as dt
import glob
import os
import pathlib
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent  # the workspace
BENCH = ROOT / "bench"
CACHE = BENCH / "cache"
GEN = ROOT / "testdata" / "gen_campaign.py"
PY_PATH = BENCH / "python_path.py"
AIM_VERSION = "3.29.1"

# gen_campaign.py's default grid: seeds x dims x splits x augs = 3 x 3 x 5 x 7 = 315.
DEFAULT_SEEDS = [12345, 42, 666]
GRID_PER_SEED = 3 * 5 * 7  # dims x splits x augs = 105


def log(*a):
    print("[bench]", *a, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- setup

def campaign_args(runs: int) -> list[str]:
    """gen_campaign.py arguments giving exactly `runs` runs (a multiple of 105):
    default dims (32,64,1500), splits (5) and augs (7); only the seed list grows.
    315 -> the default seeds; 2100 -> --seeds 12345,42,666,1,2,...,17 (20 seeds)."""
    if runs % GRID_PER_SEED:
        sys.exit(f"--runs must be a multiple of {GRID_PER_SEED} (3 dims x 5 splits x 7 augs)")
    nseeds = runs // GRID_PER_SEED
    if nseeds == len(DEFAULT_SEEDS):
        return []
    seeds = (DEFAULT_SEEDS + list(range(1, nseeds + 1)))[:nseeds]
    return ["--seeds", ",".join(map(str, seeds)), "--splits", "5"]


def find_aim_python(cli: str | None) -> str:
    cands = [cli, os.environ.get("TCBENCH_AIM_PYTHON")]
    cands += sorted(glob.glob(os.path.expanduser(f"~/.cache/tcbench/venvs/aim-{AIM_VERSION}-*/bin/python")))
    for c in cands:
        if not c:
            continue
        r = subprocess.run([c, "-c", "import importlib.metadata as m; print(m.version('aim'))"],
                           capture_output=True, text=True)
        if r.returncode == 0 and r.stdout.strip() == AIM_VERSION:
            return c
        log(f"skipping aim python {c}: {(r.stdout + r.stderr).strip()[-200:]}")
    sys.exit(f"no Python with aim=={AIM_VERSION}: pass --aim-python or set TCBENCH_AIM_PYTHON "
             "(scripts/test.sh creates one under ~/.cache/tcbench/venvs/)")


def prepare_repo(runs: int, aim_python: str) -> pathlib.Path:
    repo = CACHE / f"campaign-{runs}"
    if (repo / ".aim" / "VERSION").exists():
        log(f"using cached {repo}")
        return repo
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = CACHE / f".building-campaign-{runs}"
    shutil.rmtree(tmp, ignore_errors=True)
    cmd = [aim_python, str(GEN), "--repo", str(tmp), "--quiet", *campaign_args(runs)]
    log("generating:", " ".join(cmd))
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT)
    log(f"generated in {time.perf_counter() - t0:.0f}s")
    tmp.rename(repo)  # only a complete repository lands in the cache
    return repo


def fresh_copy(src: pathlib.Path, name: str) -> pathlib.Path:
    dst = src.with_name(f"{src.name}-{name}-copy")
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst, symlinks=True)
    return dst


def build_ours(no_build: bool, notes: list[str]) -> pathlib.Path:
    exe = ROOT / "target" / "release" / "tcbench"
    if not no_build:
        log("cargo build --release")
        if subprocess.run(["cargo", "build", "--release"], cwd=ROOT).returncode != 0:
            if not exe.exists():
                sys.exit("cargo build --release failed and there is no previous binary")
            notes.append("`cargo build --release` FAILED (work in progress in src/?): measured the previous "
                         "`target/release/tcbench`, built " + time.strftime(
                             "%Y-%m-%d %H:%M", time.localtime(exe.stat().st_mtime)) +
                         " — the git commit above may not match it.")
            log("build failed: using the previous binary")
    else:
        notes.append("--no-build: measured the existing `target/release/tcbench`, built " + time.strftime(
            "%Y-%m-%d %H:%M", time.localtime(exe.stat().st_mtime)) + ".")
    if not exe.exists():
        sys.exit(f"{exe} missing")
    # Freeze the binary: others may rebuild target/ while we measure.
    frozen = CACHE / "bin" / "tcbench"
    frozen.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(exe, frozen)
    return frozen


# ----------------------------------------------------------------------------- measuring

def run_once(argv: list[str], cwd=None) -> tuple[float, int, int, str]:
    """(wall seconds, child peak RSS KiB, exit code, stderr tail). Wall = perf_counter
    around spawn..reap; RSS = ru_maxrss from os.wait4 (largest of the child and the
    descendants it waited for)."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=err, cwd=cwd)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)  # tell Popen it is reaped
        err.seek(0)
        tail = err.read().decode(errors="replace")[-600:]
    return wall, ru.ru_maxrss, p.returncode, tail


class Case:
    """One (contender, command). `steps` (for merge) replaces `argv` by several argv lists
    timed together; `prepare()` runs untimed before each run (e.g. emptying a destination)."""

    def __init__(self, contender: str, command: str, argv: list[str], cwd=None, steps=None, prepare=None):
        self.contender, self.command, self.argv, self.cwd = contender, command, argv, cwd
        self.steps, self.prepare = steps, prepare
        self.walls: list[float] = []
        self.rss: list[int] = []
        self.error: str | None = None

    def run(self, timed: bool):
        if self.error:
            return
        if self.prepare:
            self.prepare()
            os.sync()  # no writeback of earlier files during this run
        wall, rss, rc, tail = 0.0, 0, 0, ""
        for argv in (self.steps() if self.steps else [self.argv]):
            w, r, rc, tail = run_once(argv, self.cwd)
            wall, rss = wall + w, max(rss, r)
            if rc != 0:
                break
        if rc != 0:
            self.error = f"exit {rc}: {tail.strip().splitlines()[-1] if tail.strip() else ''}"
            log(f"FAILED {self.contender} {self.command}: {' '.join(self.argv)}\n{tail}")
            return
        if timed:
            self.walls.append(wall)
            self.rss.append(rss)

    @property
    def ok(self):
        return not self.error and bool(self.walls)

    @property
    def median_ms(self):
        return statistics.median(self.walls) * 1e3

    @property
    def rss_mb(self):
        return max(self.rss) / 1024


# ----------------------------------------------------------------------------- facts

def sh(argv, **kw) -> str:
    try:
        r = subprocess.run(argv, capture_output=True, text=True, **kw)
        return r.stdout.strip() if r.returncode == 0 else ""
    except OSError:
        return ""


def machine() -> dict:
    cpu = "?"
    for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = "?"
    for line in pathlib.Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return {"nproc": sh(["nproc"]) or str(os.cpu_count()), "cpu": cpu, "mem": mem,
            "kernel": platform.release()}


def repo_facts(repo: pathlib.Path) -> dict:
    du = sh(["du", "-sk", str(repo)]).split()
    aim_du = sh(["du", "-sk", str(repo / ".aim")]).split()
    nfiles = sum(len(f) for _, _, f in os.walk(repo / ".aim"))
    return {"size": f"{int(du[0]) / 1024:.0f} MiB" if du else "?",
            "aim_size": f"{int(aim_du[0]) / 1024:.0f} MiB" if aim_du else "?",
            "aim_files": nfiles}


def interpreter_of(exe: str) -> str | None:
    try:
        first = pathlib.Path(exe).read_bytes()[:256].split(b"\n", 1)[0]
    except OSError:
        return None
    if first.startswith(b"#!"):
        return first[2:].decode().strip().split()[0]
    return None


def pkg_version(python: str, pkg: str) -> str:
    return sh([python, "-c", f"import importlib.metadata as m; print(m.version('{pkg}'))"]) or "?"


# ----------------------------------------------------------------------------- report

def fmt_ratio(a: Case | None, b: Case | None) -> str:
    if a is None or b is None or not a.ok or not b.ok:
        return "–"
    return f"{a.median_ms / b.median_ms:.1f}×"


def cell(c: Case | None) -> tuple[str, str]:
    if c is None:
        return "–", "–"
    if c.error:
        return "failed", "–"
    if not c.ok:
        return "–", "–"
    return f"{c.median_ms:,.0f}", f"{c.rss_mb:,.0f}"


def render(cases: dict, commands, floor: Case, facts: dict, notes: list[str], merge_floor: Case | None = None) -> str:
    L = []
    L.append(f"## {facts['runs']:,} runs\n")
    m = facts["machine"]
    L.append(f"- date: {facts['date']}")
    L.append(f"- machine: {m['nproc']} CPUs ({m['cpu']}), {m['mem']} RAM, Linux {m['kernel']}")
    r = facts["repo"]
    L.append(f"- repository: `{facts['repo_path']}` — {facts['runs']} runs, {r['size']} on disk "
             f"(`.aim`: {r['aim_size']}, {r['aim_files']} files); generated by "
             f"{facts['gen_desc']}")
    L.append(f"- ours: `tcbench` {facts['ours_version']} at git {facts['commit']}")
    L.append(f"- Python path: `bench/python_path.py` with aim {facts['aim_version']}, "
             f"pandas {facts['pandas_version']}, Python {facts['aim_pyver']}")
    L.append(f"- original: {facts['orig_desc']}")
    L.append(f"- method: {facts['repeat']} timed repetitions after 1 untimed warm-up per "
             "command and contender (page cache warm, no cache dropping), contenders "
             "interleaved; wall = median of `time.perf_counter()` around spawn..reap; "
             "RSS = max over repetitions of the child's `ru_maxrss` from `os.wait4`.\n")
    L.append("| command | ours ms | ours MB | Python path ms | Python path MB | original ms | "
             "original MB | floor ms | Python path / ours | original / ours | ours / floor |")
    L.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for cmd in commands:
        o, p, t = cases.get(("ours", cmd)), cases.get(("python", cmd)), cases.get(("orig", cmd))
        om, orss = cell(o)
        if o is None and cmd == "report":
            om = "skipped"
        pm, prss = cell(p)
        tm, trss = cell(t)
        fl = merge_floor if cmd == "merge" else floor
        fm, _ = cell(fl)
        L.append(f"| `{cmd}` | {om} | {orss} | {pm} | {prss} | {tm} | {trss} | {fm} | "
                 f"{fmt_ratio(p, o)} | {fmt_ratio(t, o)} | {fmt_ratio(o, fl)} |")
    L.append("")
    L.append(f"Floor: `find .aim/meta/chunks .aim/seqs/chunks -type f -exec cat {{}} + > /dev/null` "
             f"— {cell(floor)[0]} ms, {cell(floor)[1]} MB peak RSS"
             + (f"; for `merge`, `cp -r` of the halves' chunk folders — {cell(merge_floor)[0]} ms" if merge_floor else "")
             + ".\n")
    L.append("Per-repetition wall times (ms):\n")
    L.append("| contender | command | runs (ms) |")
    L.append("|---|---|---|")
    for c in list(cases.values()) + [floor] + ([merge_floor] if merge_floor else []):
        vals = ", ".join(f"{w * 1e3:,.0f}" for w in c.walls) if c.walls else (c.error or "–")
        L.append(f"| {c.contender} | {c.command} | {vals} |")
    if notes:
        L.append("\nNotes:\n")
        L.extend(f"- {n}" for n in notes)
    return "\n".join(L) + "\n"


# ----------------------------------------------------------------------------- main

def merge_available(ours: pathlib.Path) -> bool:
    return subprocess.run([str(ours), "aimrepo", "merge", "--help"], capture_output=True).returncode == 0


def assemble_repo(runs: int, aim_python: str, ours: pathlib.Path) -> pathlib.Path:
    """A big campaign, still written entirely by real Aim: the grid is generated in two
    halves in parallel (`gen_campaign.py --part 1/2` and `--part 2/2`, the same values as a
    single generation, without the final reindex), then the halves are merged with our
    own `tcbench aimrepo merge` (byte copies of the chunks; no index, so Aim reads every
    chunk). Used for sizes above ASSEMBLE_ABOVE runs."""
    repo = CACHE / f"campaign-{runs}"
    if (repo / ".aim" / "VERSION").exists():
        log(f"using cached {repo}")
        return repo
    parts = CACHE / f"parts-{runs}"
    parts.mkdir(parents=True, exist_ok=True)
    procs = []
    t0 = time.perf_counter()
    for k in (1, 2):
        part = parts / f"part{k}"
        if (part / ".aim" / "VERSION").exists() and (parts / f"part{k}.done").exists():
            log(f"using cached {part}")
            continue
        shutil.rmtree(part, ignore_errors=True)
        cmd = [aim_python, str(GEN), "--repo", str(part), "--quiet", "--no-reindex",
               "--part", f"{k}/2", *campaign_args(runs)]
        log("generating:", " ".join(cmd[:8]), "…")
        procs.append((k, subprocess.Popen(cmd, cwd=ROOT)))
    for k, p in procs:
        if p.wait() != 0:
            sys.exit(f"generating part {k} of campaign-{runs} failed")
        (parts / f"part{k}.done").write_text("")
    log(f"parts generated in {time.perf_counter() - t0:.0f}s; merging")
    tmp = CACHE / f".building-campaign-{runs}"
    shutil.rmtree(tmp, ignore_errors=True)
    subprocess.run([str(ours), "aimrepo", "merge", "--src", str(parts / "part1"),
                    "--src", str(parts / "part2"), "--dst", str(tmp)], check=True)
    tmp.rename(repo)
    return repo


ASSEMBLE_ABOVE = 2100


def bench_size(runs: int, a, aim_python: str, ours: pathlib.Path, commands, notes_all) -> dict:
    notes: list[str] = []
    if runs > ASSEMBLE_ABOVE:
        if not merge_available(ours):
            sys.exit(f"--runs {runs}: repositories above {ASSEMBLE_ABOVE} runs are assembled with "
                     "`tcbench aimrepo merge`, which this build lacks")
        repo = assemble_repo(runs, aim_python, ours)
        gen_desc = (f"two halves `testdata/gen_campaign.py --no-reindex --part k/2 "
                    f"{' '.join(campaign_args(runs))}` merged with `tcbench aimrepo merge` (no index)")
    else:
        repo = prepare_repo(runs, aim_python)
        gen_desc = f"`testdata/gen_campaign.py {' '.join(campaign_args(runs)) or '(defaults)'}`"
    slow = runs > a.python_max_runs
    has_report = subprocess.run([str(ours), "aimrepo", "report", "--help"],
                                capture_output=True).returncode == 0
    py_repo = orig_repo = None
    if not slow:
        log("refreshing the Python path copy" + (" and the original's copy" if a.orig_tcbench else ""))
        py_repo = fresh_copy(repo, "python")
        orig_repo = fresh_copy(repo, "orig") if a.orig_tcbench else None
    else:
        notes.append(f"{runs} runs is above --python-max-runs {a.python_max_runs}: the Python path and the "
                     "original were not run on it (minutes per command, and a full copy of the repository "
                     "each); compare the per-run columns of the scaling table instead.")

    cases: dict[tuple[str, str], Case] = {}
    out_dir = CACHE / "report-out"
    for cmd in commands:
        if cmd != "report" or has_report:
            extra = ["--output-folder", str(out_dir)] if cmd == "report" else []
            cases[("ours", cmd)] = Case("ours", cmd, [str(ours), "aimrepo", cmd, "--aim-repo", str(repo), *extra])
        if py_repo:
            cases[("python", cmd)] = Case("python", cmd, [aim_python, str(PY_PATH), cmd, str(py_repo)])
        if orig_repo:
            cases[("orig", cmd)] = Case("orig", cmd, [a.orig_tcbench, "aimrepo", cmd, "--aim-repo", str(orig_repo)],
                                        cwd=orig_repo)
    if "report" in commands and not has_report:
        notes.append("`tcbench aimrepo report --help` fails on this build: ours was not measured "
                     "for `report` (the other contenders were).")
    merge_floor = None
    if "merge" in commands:
        merge_floor = add_merge_cases(cases, runs, repo, a, aim_python, ours, slow, notes)
    floor = Case("floor", "cat chunks", ["find", str(repo / ".aim" / "meta" / "chunks"),
                                         str(repo / ".aim" / "seqs" / "chunks"),
                                         "-type", "f", "-exec", "cat", "{}", "+"])
    order = list(cases.values()) + [floor] + ([merge_floor] if merge_floor else [])
    load_before = pathlib.Path("/proc/loadavg").read_text().split()[:3]
    big = runs > ASSEMBLE_ABOVE
    repeat = 1 if big else a.repeat
    if big:
        notes.append(f"{runs} runs: 1 timed repetition; `merge` and the floors not warmed up (each copies or "
                     "reads the whole repository, more than the page cache keeps).")
    log(f"{runs} runs: warm-up (untimed)")
    for c in order:
        if not (big and (c.command in ("merge", "cp -r chunks", "cat chunks"))):
            c.run(timed=False)
    for i in range(repeat):
        log(f"{runs} runs: repetition {i + 1}/{repeat}")
        for c in order:
            c.run(timed=True)
    load_after = pathlib.Path("/proc/loadavg").read_text().split()[:3]
    notes.append(f"load average (1/5/15 min) before: {' '.join(load_before)}, after: {' '.join(load_after)} "
                 "(other load on the machine inflates all numbers).")
    shutil.rmtree(CACHE / "merge-scratch", ignore_errors=True)  # the merge destinations
    return {"runs": runs, "repo": repo, "gen_desc": gen_desc, "cases": cases, "floor": floor,
            "merge_floor": merge_floor, "notes": notes, "facts": repo_facts(repo)}


def merge_sources(runs: int, aim_python: str) -> list[pathlib.Path]:
    """The two halves of the campaign, written by real Aim: the parts a big campaign was
    assembled from, else merge_bench.py's cached halves (generated when missing)."""
    parts = CACHE / f"parts-{runs}"
    if all((parts / f"part{k}.done").exists() for k in (1, 2)):
        return [parts / "part1", parts / "part2"]
    import merge_bench  # noqa: E402 (imports this module)
    return merge_bench.prepare_halves(runs, aim_python)


def add_merge_cases(cases, runs, repo, a, aim_python, ours, slow, notes) -> Case:
    """`merge` of the campaign's two halves into a new repository: ours, `aim runs cp` (the
    Python path), the original, and the floor `cp -r` of the same chunk folders. Each
    destination is emptied (untimed) before each run."""
    halves = merge_sources(runs, aim_python)
    scratch = CACHE / "merge-scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)

    class Dest:
        """A new destination folder for every run (`scratch/<name>-<n>`), all removed with
        `scratch` at the end: removing the previous one just before a run would charge that
        run for the file system's freeing work."""

        def __init__(self, name: str, init=None):
            self.name, self.init, self.n = name, init, 0
            self.path = scratch / f"{name}-0"

        def __call__(self):
            self.n += 1
            self.path = scratch / f"{self.name}-{self.n}"
            if self.init:
                self.init(self.path)

        def __str__(self):
            return str(self.path)

    hashes = [sorted(os.listdir(h / ".aim" / "meta" / "chunks")) for h in halves]
    dst = Dest("ours")
    cases[("ours", "merge")] = Case("ours", "merge", [], prepare=dst,
                                    steps=lambda: [[str(ours), "aimrepo", "merge", "--src", str(halves[0]),
                                                    "--src", str(halves[1]), "--dst", str(dst)]])
    if not slow:
        aim_exe = str(pathlib.Path(aim_python).with_name("aim"))
        srcs = [fresh_copy(h, "aimcp") for h in halves]  # Aim writes into what it reads

        def aim_init(d: pathlib.Path):
            d.mkdir(parents=True)
            subprocess.run([aim_exe, "init", "--repo", str(d)], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        adst = Dest("aimcp", aim_init)
        cases[("python", "merge")] = Case(
            "python", "merge", [], prepare=adst,
            steps=lambda: [[aim_exe, "runs", "--repo", str(s), "cp", "--destination", str(adst), *hs]
                           for s, hs in zip(srcs, hashes)])
        if a.orig_tcbench:
            osrcs = [fresh_copy(h, "orig") for h in halves]
            odst = Dest("orig")
            path = f"{pathlib.Path(a.orig_tcbench).parent}:{os.environ.get('PATH', '')}"
            cases[("orig", "merge")] = Case(
                "orig", "merge", [], cwd=scratch, prepare=odst,
                steps=lambda: [["env", f"PATH={path}", a.orig_tcbench, "aimrepo", "merge", "--src", str(osrcs[0]),
                                "--src", str(osrcs[1]), "--dst", str(odst)]])

    def mk_floor(d: pathlib.Path):
        for sub in ("meta", "seqs"):
            (d / sub).mkdir(parents=True)
    fdst = Dest("floor", mk_floor)
    notes.append(f"merge: the two halves of the campaign ({', '.join(str(len(h)) for h in hashes)} runs, "
                 f"`{os.path.relpath(halves[0], ROOT)}` and `…{halves[1].name}`) into a new repository; Python "
                 "path = `aim runs --repo HALF cp --destination D <hashes>` for each half into an `aim init` "
                 "repository (untimed); merge floor = `cp -r` of the same `meta/chunks/<H>` and "
                 "`seqs/chunks/<H>` folders (two `cp`).")
    return Case("floor", "cp -r chunks", [], prepare=fdst,
                steps=lambda: [["cp", "-r", *[str(h / ".aim" / sub / "chunks" / x) for h, hs in zip(halves, hashes)
                                               for x in hs], str(fdst.path / sub)] for sub in ("meta", "seqs")])


def render_scaling(results: list[dict], commands) -> str:
    L = ["## Scaling (ours)\n",
         "| runs | " + " | ".join(f"`{c}` ms | µs/run | MB" for c in commands) + " | floor ms | µs/run |",
         "|--:|" + "--:|--:|--:|" * len(commands) + "--:|--:|"]
    for r in results:
        row = [f"{r['runs']:,}"]
        for c in commands:
            case = r["cases"].get(("ours", c))
            if case is None or not case.ok:
                row += ["–", "–", "–"]
            else:
                row += [f"{case.median_ms:,.0f}", f"{case.median_ms * 1e3 / r['runs']:,.0f}",
                        f"{case.rss_mb:,.0f}"]
        f = r["floor"]
        row += ([f"{f.median_ms:,.0f}", f"{f.median_ms * 1e3 / r['runs']:,.0f}"] if f.ok else ["–", "–"])
        L.append("| " + " | ".join(row) + " |")
    return "\n".join(L) + "\n"


def steps_memory(ours: pathlib.Path, repeat: int) -> str:
    """Peak memory of `report` on a 20,000-step metric against a 9-step one, same repository
    (testdata/repos/long-metric). Measured under /usr/bin/time, whose own small footprint does
    not mask the child's the way this harness's does."""
    repo = ROOT / "testdata" / "repos" / "long-metric"
    timer = shutil.which("time") or "/usr/bin/time"
    if not pathlib.Path(timer).exists():
        return ""
    cases = [("loss", "train", "20,000"), ("acc", "val", "9")]
    heaptrack = shutil.which("heaptrack") and shutil.which("heaptrack_print")
    L = ["## Memory against the number of tracked steps\n",
         f"`report --metrics M --contexts C --value V` on `testdata/repos/long-metric` (peak RSS by "
         f"`{timer} -f %M`, max of {repeat} runs"
         + ("; peak heap by heaptrack, which counts every allocation and none of the binary's "
            "pages, so it shows what RSS noise of ±0.3 MB hides" if heaptrack else "") + "):\n",
         "| metric (context) | steps | `--value last` MB | `--value max` MB |"
         + (" `--value last` heap KB | `--value max` heap KB |" if heaptrack else ""),
         "|---|--:|--:|--:|" + ("--:|--:|" if heaptrack else "")]
    with tempfile.TemporaryDirectory() as out:
        for m, c, steps in cases:
            cells = []
            heaps = []
            for v in ("last", "max"):
                cmd = [str(ours), "aimrepo", "report", "--aim-repo", str(repo),
                       "--metrics", m, "--contexts", c, "--value", v, "--output-folder", out]
                peak = 0
                for _ in range(repeat):
                    r = subprocess.run([timer, "-f", "%M"] + cmd,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                    try:
                        peak = max(peak, int(r.stderr.strip().splitlines()[-1]))
                    except (ValueError, IndexError):
                        pass
                cells.append(f"{peak / 1024:.1f}")
                if heaptrack:
                    heaps.append(heap_peak_kb(cmd, out))
            row = f"| `{m}` ({c}) | {steps} | {cells[0]} | {cells[1]} |"
            if heaptrack:
                row += " " + " | ".join(heaps) + " |"
            L.append(row)
    return "\n".join(L) + "\n"


def heap_peak_kb(cmd: list[str], scratch: str) -> str:
    """Peak heap of one run of `cmd` under heaptrack, in KB (or "?")."""
    data = pathlib.Path(scratch) / "heap"
    subprocess.run(["heaptrack", "-o", str(data)] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    files = sorted(pathlib.Path(scratch).glob("heap*"))
    if not files:
        return "?"
    text = subprocess.run(["heaptrack_print", str(files[-1])], capture_output=True, text=True).stdout
    for f in files:
        f.unlink()
    m = re.search(r"peak heap memory consumption: ([0-9.]+)([KMG]?)", text)
    if not m:
        return "?"
    scale = {"": 1 / 1024, "K": 1, "M": 1024, "G": 1024 * 1024}[m.group(2)]
    return f"{float(m.group(1)) * scale:,.0f}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", default="315",
                    help="campaign sizes, comma-separated multiples of 105 (default 315; 2100 = 20 seeds; "
                         f"sizes above {ASSEMBLE_ABOVE} are generated in two halves and merged, e.g. 20055)")
    ap.add_argument("--repeat", type=int, default=5, help="timed repetitions per command and contender")
    ap.add_argument("--commands", default="ls,properties,report,merge")
    ap.add_argument("--python-max-runs", type=int, default=2100,
                    help="largest size on which the Python path and the original are run (default 2100)")
    ap.add_argument("--out", default=str(BENCH / "RESULTS.md"))
    ap.add_argument("--aim-python", help=f"Python with aim=={AIM_VERSION} (else $TCBENCH_AIM_PYTHON, "
                    f"else ~/.cache/tcbench/venvs/aim-{AIM_VERSION}-*/bin/python)")
    ap.add_argument("--orig-tcbench", default=os.environ.get("TCBENCH_ORIG"),
                    help="the original tcbench executable (else $TCBENCH_ORIG; none: not measured)")
    ap.add_argument("--no-build", action="store_true", help="use the existing target/release/tcbench")
    a = ap.parse_args(argv)
    commands = [c.strip() for c in a.commands.split(",") if c.strip()]
    bad = set(commands) - {"ls", "properties", "report", "merge"}
    if bad:
        sys.exit(f"unknown commands: {bad}")
    sizes = [int(x) for x in a.runs.split(",") if x.strip()]
    for n in sizes:
        if n % GRID_PER_SEED:
            sys.exit(f"--runs {n}: must be a multiple of {GRID_PER_SEED} (3 dims x 5 splits x 7 augs)")

    aim_python = find_aim_python(a.aim_python)
    notes: list[str] = []
    ours = build_ours(a.no_build, notes)
    if not a.orig_tcbench:
        notes.append("original tcbench not measured (no --orig-tcbench / $TCBENCH_ORIG).")
    results = [bench_size(n, a, aim_python, ours, commands, notes) for n in sizes]

    base_rss = run_once(["true"])[1] / 1024
    notes.append(f"peak RSS floor of the method: `true` measures {base_rss:.0f} MB the same way (Linux carries "
                 "the spawning harness's resident high-water mark into the child's `ru_maxrss` at exec), so "
                 f"RSS values near {base_rss:.0f} MB only mean 'at most that much'.")
    orig_desc = "not measured"
    if a.orig_tcbench:
        ipy = interpreter_of(a.orig_tcbench)
        if ipy:
            orig_desc = (f"`{a.orig_tcbench}` — tcbench {pkg_version(ipy, 'tcbench')}, "
                         f"aim {pkg_version(ipy, 'aim')}")
        else:
            orig_desc = f"`{a.orig_tcbench}`"
    commit = sh(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT) or "?"
    if sh(["git", "status", "--porcelain", "--", "src", "crates", "Cargo.toml", "Cargo.lock"], cwd=ROOT):
        commit += " (+ uncommitted changes in src/crates)"
    common = {
        "repeat": a.repeat,
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "machine": machine(),
        "ours_version": (sh([str(ours), "--version"]).split() or ["?", "?"])[-1],
        "commit": commit,
        "aim_version": pkg_version(aim_python, "aim"),
        "pandas_version": pkg_version(aim_python, "pandas"),
        "aim_pyver": sh([aim_python, "-c", "import platform; print(platform.python_version())"]),
        "orig_desc": orig_desc,
    }
    parts = [f"# tcbench aimrepo benchmark — {', '.join(f'{n:,}' for n in sizes)} runs\n"]
    if len(results) > 1:
        parts.append(render_scaling(results, commands))
    for r in results:
        facts = dict(common, runs=r["runs"], repo=r["facts"], repo_path=os.path.relpath(r["repo"], ROOT),
                     gen_desc=r["gen_desc"])
        parts.append(render(r["cases"], commands, r["floor"], facts, r["notes"] + notes, r["merge_floor"]))
    if "report" in commands:
        parts.append(steps_memory(ours, max(a.repeat, 3)))
    md = "\n".join(parts)
    print(md)
    out = pathlib.Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(md)
    log(f"wrote {out}")
    failed = any(c.error for r in results for c in list(r["cases"].values()) + [r["floor"]])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
