#!/usr/bin/env python3
"""Benchmark `tcbench aimrepo merge` (this Rust re-implementation) against `aim runs cp`
of the same runs, the original tcbench's `aimrepo merge`, and the floor: `cp -r` of the
same chunk folders.

    python3 bench/merge_bench.py [--aim-python PY] [--runs 315] [--repeat 3]
                                 [--orig-tcbench EXE] [--out bench/MERGE_RESULTS.md]
                                 [--no-build] [--prepare-only]

Python 3.11 stdlib only. The two sources are the halves of one campaign of gen_campaign.py's
default shape (`--part 1/2` and `--part 2/2`, 157 + 158 runs for --runs 315), generated once
with real Aim 3.29.1 and cached under bench/cache/merge-<runs>/ (git-ignored). See
bench/README.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import pathlib
import shutil
import statistics
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bench  # noqa: E402  (the ls/properties/report harness: repo generation, run_once, facts)

ROOT = bench.ROOT
CACHE = bench.CACHE
GEN = bench.GEN
log = bench.log


def prepare_halves(runs: int, aim_python: str) -> list[pathlib.Path]:
    base = CACHE / f"merge-{runs}"
    base.mkdir(parents=True, exist_ok=True)
    out = []
    for k in (1, 2):
        repo = base / f"part-{k}-of-2"
        out.append(repo)
        if (repo / ".aim" / "VERSION").exists():
            log(f"using cached {repo}")
            continue
        tmp = base / f".building-part-{k}-of-2"
        shutil.rmtree(tmp, ignore_errors=True)
        # relative --repo from base: the artifacts' params.yml hold no absolute path
        cmd = [aim_python, str(GEN), "--repo", tmp.name, "--quiet", "--part", f"{k}/2",
               *bench.campaign_args(runs)]
        log("generating:", " ".join(cmd))
        subprocess.run(cmd, check=True, cwd=base)
        tmp.rename(repo)
    return out


def hashes_of(repo: pathlib.Path) -> list[str]:
    return sorted(os.listdir(repo / ".aim" / "meta" / "chunks"))


class Contender:
    """One way of merging: `steps(dst)` gives the argv lists run one after the other (timed
    together) to merge into the new folder `dst`; `prepare(dst)` runs untimed before. Every
    run gets a destination of its own, deleted only at the end: deleting the previous one
    right before would charge the next contender for ext4's freeing work."""

    def __init__(self, name: str, what: str, steps, scratch: pathlib.Path, prepare=None, cwd=None,
                 env=None):
        self.name, self.what, self.steps, self.prepare = name, what, steps, prepare
        self.scratch, self.cwd, self.env = scratch, cwd, env
        self.walls: list[float] = []
        self.rss: list[int] = []
        self.error: str | None = None
        self.last_dst: pathlib.Path | None = None

    def run(self, timed: bool):
        if self.error:
            return
        dst = self.scratch / f"{self.name.replace(' ', '-').replace(':', '')}-{len(self.walls)}-{int(timed)}"
        if self.prepare:
            self.prepare(dst)
        os.sync()  # no writeback of earlier files during this run
        wall, rss = 0.0, 0
        for argv in self.steps(dst):
            if self.env:
                argv = ["env", *[f"{k}={v}" for k, v in self.env.items()], *argv]
            w, r, rc, tail = bench.run_once(argv, self.cwd)
            if rc != 0:
                last = tail.strip().splitlines()[-1] if tail.strip() else ""
                self.error = f"exit {rc}: {last}"
                log(f"FAILED {self.name}: {' '.join(argv[:8])} …\n{tail}")
                return
            wall += w
            rss = max(rss, r)
        self.last_dst = dst
        if timed:
            self.walls.append(wall)
            self.rss.append(rss)

    @property
    def ok(self):
        return not self.error and bool(self.walls)

    @property
    def median_ms(self):
        return statistics.median(self.walls) * 1e3


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=315,
                    help="campaign size, a multiple of 105 (default 315 = 157 + 158 runs)")
    ap.add_argument("--repeat", type=int, default=3, help="timed repetitions per contender")
    ap.add_argument("--aim-python", help="Python with aim==3.29.1 (else $TCBENCH_AIM_PYTHON, "
                    "else ~/.cache/tcbench/venvs/aim-3.29.1-*/bin/python)")
    default_orig = "/work/venvs/tcb/bin/tcbench"
    ap.add_argument("--orig-tcbench", default=os.environ.get("TCBENCH_ORIG") or
                    (default_orig if os.path.exists(default_orig) else None),
                    help=f"the original tcbench executable (default: {default_orig} if it exists)")
    ap.add_argument("--out", default=str(bench.BENCH / "MERGE_RESULTS.md"))
    ap.add_argument("--no-build", action="store_true", help="use the existing target/release/tcbench")
    ap.add_argument("--prepare-only", action="store_true", help="only generate the cached sources")
    a = ap.parse_args(argv)

    aim_python = bench.find_aim_python(a.aim_python)
    halves = prepare_halves(a.runs, aim_python)
    if a.prepare_only:
        return 0
    notes: list[str] = []
    ours = bench.build_ours(a.no_build, notes)
    aim_exe = str(pathlib.Path(aim_python).with_name("aim"))
    scratch = CACHE / f"merge-{a.runs}" / "scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)

    # Aim's SDK writes into the repositories it reads (WAL flushes, locks): the Python
    # contenders get their own copies of the sources, made once; ours and the floor read
    # the pristine ones.
    log("copying the sources for the Python contenders")
    aim_srcs = [bench.fresh_copy(h, "aimcp") for h in halves]
    orig_srcs = [bench.fresh_copy(h, "orig") for h in halves] if a.orig_tcbench else []

    def aim_init(dst: pathlib.Path):
        dst.mkdir(parents=True)
        subprocess.run([aim_exe, "init", "--repo", str(dst)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    contenders = [
        Contender("ours", "`tcbench aimrepo merge --src A --src B --dst D` (release build): chunks, "
                  "SQLite rows, artifacts, then D re-read and checked",
                  lambda d: [[str(ours), "aimrepo", "merge", "--src", str(halves[0]), "--src",
                              str(halves[1]), "--dst", str(d)]], scratch),
        Contender("aim runs cp", f"`aim runs --repo A cp --destination D <hashes>` then the same for "
                  f"B, into an `aim init` repository (untimed), aim {bench.pkg_version(aim_python, 'aim')}; "
                  "no artifacts",
                  lambda d: [[aim_exe, "runs", "--repo", str(s), "cp", "--destination", str(d),
                              *hashes_of(s)] for s in aim_srcs], scratch, prepare=aim_init),
    ]
    if a.orig_tcbench:
        ipy = bench.interpreter_of(a.orig_tcbench)
        desc = (f"tcbench {bench.pkg_version(ipy, 'tcbench')}, aim {bench.pkg_version(ipy, 'aim')}"
                if ipy else a.orig_tcbench)
        # it runs `aim init` from PATH: its own venv's
        path = f"{pathlib.Path(a.orig_tcbench).parent}:{os.environ.get('PATH', '')}"
        contenders.append(Contender(
            "original", f"`{a.orig_tcbench} aimrepo merge --src A --src B --dst D` ({desc}): "
            "`aim init` + `Repo.copy_runs` + artifacts",
            lambda d: [[a.orig_tcbench, "aimrepo", "merge", "--src", str(orig_srcs[0]), "--src",
                        str(orig_srcs[1]), "--dst", str(d)]], scratch, cwd=scratch, env={"PATH": path}))
    else:
        notes.append("original tcbench not measured (no --orig-tcbench, $TCBENCH_ORIG or "
                     "/work/venvs/tcb/bin/tcbench).")

    def cp_steps(d: pathlib.Path, with_artifacts: bool):
        steps = []
        parts = [("meta", ".aim/meta/chunks"), ("seqs", ".aim/seqs/chunks")]
        if with_artifacts:
            parts.append(("artifacts", "artifacts"))
        for sub, rel in parts:
            srcs = [str(h / rel / x) for h in halves for x in hashes_of(h) if (h / rel / x).exists()]
            steps.append(["cp", "-r", *srcs, str(d / sub)])
        return steps

    def mkdirs(dst: pathlib.Path):
        for sub in ("meta", "seqs", "artifacts"):
            (dst / sub).mkdir(parents=True)

    contenders.append(Contender("floor: cp -r chunks", "`cp -r` of the same `meta/chunks/<H>` and "
                                "`seqs/chunks/<H>` folders (two `cp` processes)",
                                lambda d: cp_steps(d, False), scratch, prepare=mkdirs))
    contenders.append(Contender("floor: cp -r chunks + artifacts", "the same plus the runs' "
                                "`artifacts/<H>` folders (what ours copies too; a third `cp`)",
                                lambda d: cp_steps(d, True), scratch, prepare=mkdirs))

    load_before = pathlib.Path("/proc/loadavg").read_text().split()[:3]
    log("warm-up (untimed)")
    for c in contenders:
        c.run(timed=False)
    for i in range(a.repeat):
        log(f"repetition {i + 1}/{a.repeat}")
        for c in contenders:
            c.run(timed=True)
    load_after = pathlib.Path("/proc/loadavg").read_text().split()[:3]

    # check ours' result with our own ls
    summary = subprocess.run([str(ours), "aimrepo", "ls", "--aim-repo", str(contenders[0].last_dst)],
                             capture_output=True, text=True)
    n_listed = max(0, len(summary.stdout.splitlines()) - 1)
    n_runs = sum(len(hashes_of(h)) for h in halves)
    if n_listed != n_runs:
        notes.append(f"CHECK FAILED: `ls` lists {n_listed} runs in ours' destination, expected {n_runs}.")

    base_rss = bench.run_once(["true"])[1] / 1024
    notes.append(f"peak RSS floor of the method: `true` measures {base_rss:.0f} MB the same way, so "
                 f"values near {base_rss:.0f} MB only mean 'at most that much'.")
    notes.append(f"load average (1/5/15 min) before: {' '.join(load_before)}, after: {' '.join(load_after)}.")
    shutil.rmtree(scratch, ignore_errors=True)

    ours_c = contenders[0]
    floor_c = next(c for c in contenders if c.name == "floor: cp -r chunks")
    sizes = [bench.repo_facts(h) for h in halves]
    L = [f"# tcbench aimrepo merge benchmark — {n_runs} runs from 2 sources\n"]
    m = bench.machine()
    L.append(f"- date: {dt.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}")
    L.append(f"- machine: {m['nproc']} CPUs ({m['cpu']}), {m['mem']} RAM, Linux {m['kernel']}")
    L.append(f"- sources: `{os.path.relpath(halves[0], ROOT)}` ({len(hashes_of(halves[0]))} runs, "
             f"{sizes[0]['size']}, `.aim` {sizes[0]['aim_size']}) and `{os.path.relpath(halves[1], ROOT)}` "
             f"({len(hashes_of(halves[1]))} runs, {sizes[1]['size']}, `.aim` {sizes[1]['aim_size']}): "
             f"`testdata/gen_campaign.py --part 1/2` and `--part 2/2` "
             f"{' '.join(bench.campaign_args(a.runs)) or '(default shape)'}, aim 3.29.1")
    commit = bench.sh(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT) or "?"
    if bench.sh(["git", "status", "--porcelain", "--", "src", "crates", "Cargo.toml", "Cargo.lock"], cwd=ROOT):
        commit += " (+ uncommitted changes in src/crates)"
    L.append(f"- ours: git {commit}")
    L.append(f"- method: {a.repeat} timed repetitions after 1 untimed warm-up, contenders interleaved, "
             "page cache warm; each repetition starts from a fresh destination and an `os.sync()` (untimed); wall = median "
             "of the summed `time.perf_counter()` spawn..reap of the contender's processes; RSS = max "
             "`ru_maxrss` from `os.wait4`.\n")
    L.append("| contender | wall ms (median) | peak RSS MB | / ours | what |")
    L.append("|---|--:|--:|--:|---|")
    for c in contenders:
        if c.ok:
            ratio = f"{c.median_ms / ours_c.median_ms:.1f}×" if ours_c.ok else "–"
            L.append(f"| {c.name} | {c.median_ms:,.0f} | {max(c.rss) / 1024:,.0f} | {ratio} | {c.what} |")
        else:
            L.append(f"| {c.name} | {c.error or '–'} | – | – | {c.what} |")
    L.append("")
    if ours_c.ok and floor_c.ok:
        L.append(f"ours / floor (`cp -r` of the chunk folders): {ours_c.median_ms / floor_c.median_ms:.2f}×.\n")
    L.append("Per-repetition wall times (ms):\n")
    L.append("| contender | runs (ms) |")
    L.append("|---|---|")
    for c in contenders:
        vals = ", ".join(f"{w * 1e3:,.0f}" for w in c.walls) if c.walls else (c.error or "–")
        L.append(f"| {c.name} | {vals} |")
    if notes:
        L.append("\nNotes:\n")
        L.extend(f"- {n}" for n in notes)
    md = "\n".join(L) + "\n"
    print(md)
    out = pathlib.Path(a.out)
    out.write_text(md)
    log(f"wrote {out}")
    return 1 if any(c.error for c in contenders) else 0


if __name__ == "__main__":
    sys.exit(main())
