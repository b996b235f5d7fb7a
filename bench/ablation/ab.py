#!/usr/bin/env python3
"""Interleaved timing of shell commands (an A/B harness for one-off measurements).

    python3 bench/ablation/ab.py N LABEL=COMMAND [LABEL=COMMAND ...]

Runs every COMMAND once per round, N rounds, in order (so that slow drifts of the machine
hit every contender alike), and prints per label the median and minimum wall time
(spawn..reap) and the median CPU time (the child's user + system, from os.wait4).
Stdout and stderr of the commands are discarded. Example (bench/RESULTS.md, 2026-11-26, git b7819e1):

    R=bench/cache/campaign-315; B=/tmp/abl-target/release/tcbench
    python3 bench/ablation/ab.py 9 "exact=$B aimrepo report --aim-repo $R --output-folder /tmp/o1" \\
        "noread=ABL=noread $B aimrepo report --aim-repo $R --output-folder /tmp/o2"
"""
import os
import statistics
import subprocess
import sys
import time


def main(argv):
    if len(argv) < 3 or not argv[1].isdigit():
        sys.exit(__doc__)
    n = int(argv[1])
    cands = [a.split("=", 1) for a in argv[2:]]
    wall = {label: [] for label, _ in cands}
    cpu = {label: [] for label, _ in cands}
    for _ in range(n):
        for label, cmd in cands:
            t = time.perf_counter()
            p = subprocess.Popen(cmd, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _, _, ru = os.wait4(p.pid, 0)
            wall[label].append((time.perf_counter() - t) * 1000)
            cpu[label].append((ru.ru_utime + ru.ru_stime) * 1000)
    for label, _ in cands:
        print(f"{label:12s} wall med {statistics.median(wall[label]):8.1f} ms  "
              f"min {min(wall[label]):8.1f}  cpu med {statistics.median(cpu[label]):8.1f} ms")


if __name__ == "__main__":
    main(sys.argv)
