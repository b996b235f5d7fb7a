#!/usr/bin/env python3
"""Run Aim's own run queries on a repository and print the matching run hashes as JSON.

    python testdata/interop/aim_query.py REPO QUERY [QUERY ...]

Prints {QUERY: [hash, ...] (sorted), ...}: what `aim.Repo.query_runs(QUERY)` selects, with
Aim's default rule (archived runs left out unless the query names `run.archived`). Used by
tests/filter.rs to check that `--filter` selects what Aim selects for the same expression.

Like sdk_read.py, the repository itself is never opened: `.aim/` is copied to a temporary
folder and the copy's `meta/index` deleted (aim 3.29 then reads every run's own chunks).
Works with aim 3.29.1; stdlib + aim only.
"""
import json
import logging
import os
import shutil
import sys
import tempfile

import aim
from aim.sdk.types import QueryReportMode


def main(argv):
    if len(argv) < 3:
        sys.exit("usage: aim_query.py REPO QUERY [QUERY ...]")
    src = os.path.abspath(argv[1])
    if os.path.basename(src) != ".aim":
        src = os.path.join(src, ".aim")
    if not os.path.isdir(src):
        sys.exit(f"no .aim folder at {src}")
    # a query that raises counts as False for that run; Aim logs a warning we do not need
    logging.disable(logging.WARNING)
    tmp = tempfile.mkdtemp(prefix="aim_query-")
    out = {}
    try:
        dst = os.path.join(tmp, ".aim")
        shutil.copytree(src, dst, symlinks=True)
        shutil.rmtree(os.path.join(dst, "meta", "index"), ignore_errors=True)
        repo = aim.Repo(tmp)
        for q in argv[2:]:
            runs = repo.query_runs(q, report_mode=QueryReportMode.DISABLED)
            out[q] = sorted(r.run.hash for r in runs.iter_runs())
        repo.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
