#!/usr/bin/env bash
# Capture the outputs of the ORIGINAL Python `tcbench aimrepo` (tcbench 0.0.22, aim 3.17.4)
# on the fixture repositories, as golden files for the Rust port.
#
# Usage:  testdata/golden/make_golden.sh [fixture ...]
#   default: every folder under $REPOS_DIR that holds a .aim/ directory.
#
# The original's environment is built first when missing, by make_env.sh (tcbench 0.0.22
# and its pins from the package index, requirements-tcbench-0.0.22.txt): this one command
# goes from nothing to the goldens. VERSIONS.txt is rewritten from that environment
# (python version, `pip freeze` of the packages that shape the output); never edit it.
#
# Environment overrides:
#   REPOS_DIR  fixture repositories        (default: <script>/../repos)
#   OUT_DIR    where goldens are written   (default: <script dir>)
#   TCBENCH_ORIGINAL_VENV  the original's venv (default: the one make_env.sh builds,
#                          ~/.cache/tcbench/venvs/tcbench-0.0.22)
#   TCBENCH    the original CLI            (default: $TCBENCH_ORIGINAL_VENV/bin/tcbench)
#   PYTHON     python of the same venv     (default: $TCBENCH_ORIGINAL_VENV/bin/python)
#
# Aim's SDK mutates a repository when reading it (WAL flush, locks, index), so every
# command runs on a FRESH `cp -a` copy of the fixture in a temp dir; the fixture itself
# is never opened. The copy is named like the fixture and the command runs from its
# parent, so `--aim-repo <fixture>` is a short relative path and printed paths are stable.
#
# Per fixture, under $OUT_DIR/<fixture>/:
#   <cmd>.stdout  <cmd>.stderr  <cmd>.exit        for cmd in
#       ls, properties, properties.cols120, report-default, report-custom,
#       report-default.cols200, report-custom.cols200   (suffix = COLUMNS, else 80)
#   report-default/files/<path as printed by "saving: ..."> (CSV, Parquet)
#   report-custom/files/<path as printed by "saving: ...">
#   every *.parquet also gets <file>.parquet.json (pandas split JSON + dtypes)
set -u -o pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPOS_DIR="${REPOS_DIR:-$(cd "$HERE/.." && pwd)/repos}"
OUT_DIR="${OUT_DIR:-$HERE}"
if [ -z "${TCBENCH:-}" ] || [ -z "${PYTHON:-}" ]; then
    VENV="$("$HERE/make_env.sh")" || exit 1
    TCBENCH="${TCBENCH:-$VENV/bin/tcbench}"
    PYTHON="${PYTHON:-$VENV/bin/python}"
fi
VENV_BIN="$(dirname "$TCBENCH")"
TIMEOUT="${TIMEOUT:-900}"

if [ "$#" -gt 0 ]; then
    FIXTURES=("$@")
else
    FIXTURES=()
    for d in "$REPOS_DIR"/*/; do
        [ -d "$d/.aim" ] && FIXTURES+=("$(basename "$d")")
    done
fi
if [ "${#FIXTURES[@]}" -eq 0 ]; then
    echo "no fixtures found under $REPOS_DIR" >&2
    exit 1
fi

WORK_ROOT="$(mktemp -d "${TMPDIR:-/tmp}/tcb-golden.XXXXXX")"
trap 'rm -rf "$WORK_ROOT"' EXIT

# Fixed environment: no TTY (stdout/stderr go to files), fixed width, no colour.
# HOME is the caller's (unchanged) so that library caches do not add first-run noise.
run_original() {  # run_original <columns> <cwd> <stdout> <stderr> args...
    local cols="$1" cwd="$2" out="$3" err="$4"; shift 4
    ( cd "$cwd" && env -i \
        PATH="$VENV_BIN:/usr/local/bin:/usr/bin:/bin" \
        HOME="$HOME" \
        LANG=C.UTF-8 LC_ALL=C.UTF-8 PYTHONIOENCODING=utf-8 \
        TZ=UTC \
        COLUMNS="$cols" \
        TERM=dumb NO_COLOR=1 PYTHONHASHSEED=0 \
        timeout "$TIMEOUT" "$TCBENCH" aimrepo "$@" </dev/null >"$out" 2>"$err" )
}

# run_case <fixture> <cmd-name> <columns> args...   (args use the fixture name as repo path)
run_case() {
    local fx="$1" name="$2" cols="$3"; shift 3
    local dst="$OUT_DIR/$fx"
    local wd; wd="$(mktemp -d "$WORK_ROOT/$fx.$name.XXXXXX")"
    cp -a "$REPOS_DIR/$fx" "$wd/$fx"
    (cd "$wd" && find . -type f -not -path '*/.aim/*' | sort) >"$wd.before"
    run_original "$cols" "$wd" "$dst/$name.stdout" "$dst/$name.stderr" "$@"
    echo "$?" >"$dst/$name.exit"
    echo "  $fx $name -> exit $(cat "$dst/$name.exit")"
    # files written by the command (outside .aim/), kept at their path relative to cwd
    (cd "$wd" && find . -type f -not -path '*/.aim/*' | sort) >"$wd.after"
    local f
    comm -13 "$wd.before" "$wd.after" | while IFS= read -r f; do
        f="${f#./}"
        mkdir -p "$dst/$name/files/$(dirname "$f")"
        cp -p "$wd/$f" "$dst/$name/files/$f"
    done
    rm -rf "$wd" "$wd.before" "$wd.after"
}

# Parquet -> readable JSON next to each file:
#   {"dtypes": [[col, dtype], ...],
#    "frame":  <pandas df.to_json(orient='split', double_precision=15), verbatim>,
#    "rows_exact": [[cell, ...], ...]}
# "frame" floats are ujson-formatted (not round-trip exact). "rows_exact" gives every float
# as the string Python str(float) prints (shortest round-trip repr; "nan", "inf"), other
# cells as plain JSON (None -> null, numpy arrays -> lists).
parquet_to_json() {
find "$OUT_DIR" -name '*.parquet' -print0 | PYTHONHASHSEED=0 "$PYTHON" -c '
import sys, json
import numpy as np
import pandas as pd
def cell(v):
    if isinstance(v, (float, np.floating)):
        return str(float(v))
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, np.ndarray):
        return [cell(x) for x in v.tolist()]
    if isinstance(v, (list, tuple)):
        return [cell(x) for x in v]
    if isinstance(v, dict):
        return {str(k): cell(x) for k, x in v.items()}
    if v is None or isinstance(v, str):
        return v
    return repr(v)
for p in sys.stdin.buffer.read().split(b"\0"):
    if not p:
        continue
    p = p.decode()
    df = pd.read_parquet(p)
    dtypes = json.dumps([[str(c), str(t)] for c, t in df.dtypes.items()], ensure_ascii=False)
    frame = df.to_json(orient="split", double_precision=15, force_ascii=False)
    rows = [[cell(v) for v in row] for row in df.astype(object).itertuples(index=False, name=None)]
    with open(p + ".json", "w", encoding="utf-8") as fh:
        fh.write("{\"dtypes\": " + dtypes + ",\n \"frame\": " + frame + ",\n \"rows_exact\": [\n")
        fh.write(",\n".join("  " + json.dumps(r, ensure_ascii=False) for r in rows))
        fh.write("\n]}\n")
'
}
if [ "${JSON_ONLY:-0}" = 1 ]; then parquet_to_json; exit 0; fi

for fx in "${FIXTURES[@]}"; do
    if [ ! -d "$REPOS_DIR/$fx/.aim" ]; then
        echo "skip $fx: $REPOS_DIR/$fx/.aim missing" >&2
        continue
    fi
    echo "fixture $fx"
    rm -rf "${OUT_DIR:?}/$fx"
    mkdir -p "$OUT_DIR/$fx"
    run_case "$fx" ls                 80  ls         --aim-repo "$fx"
    run_case "$fx" properties         80  properties --aim-repo "$fx"
    run_case "$fx" properties.cols120 120 properties --aim-repo "$fx"
    run_case "$fx" report-default     80  report     --aim-repo "$fx"
    run_case "$fx" report-custom      80  report     --aim-repo "$fx" \
        --groupby flowpic_dim,aug_name --contexts test-human --metrics acc,f1 \
        --precision 3 --output-folder out
    # the same two reports on a 200-column console: at 80 columns rich elides most
    # numbers with "…", so these show the full values (extra, not part of the brief's list)
    run_case "$fx" report-default.cols200 200 report --aim-repo "$fx"
    run_case "$fx" report-custom.cols200  200 report --aim-repo "$fx" \
        --groupby flowpic_dim,aug_name --contexts test-human --metrics acc,f1 \
        --precision 3 --output-folder out
done

parquet_to_json

# the lines of fixtures not captured this time are kept (a subset was asked for)
KEPT="$( [ -f "$OUT_DIR/VERSIONS.txt" ] && grep '^fixture ' "$OUT_DIR/VERSIONS.txt" | while read -r _ name _; do
    case " ${FIXTURES[*]} " in *" $name "*) ;; *) grep "^fixture $name " "$OUT_DIR/VERSIONS.txt" ;; esac
done )"
NOW="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
{
    echo "# versions of the original used for these goldens"
    echo "# written by make_golden.sh from the environment it ran (do not edit)"
    echo "date: $NOW (the last capture)"
    echo "python: $("$PYTHON" -c 'import sys; print(sys.version.split()[0])')"
    # pip freeze of the packages that shape the output (names as pip prints them)
    "$PYTHON" -m pip freeze --disable-pip-version-check 2>/dev/null |
        grep -iE '^(tcbench|aim[a-z-]*|pandas|numpy|pyarrow|rich|rich-click|click|click-plugins|statsmodels|scipy|torch)==' ||
        { echo "make_golden.sh: pip freeze of $PYTHON gave nothing" >&2; exit 1; }
    echo "# fixtures captured (sha256 of <fixture>/expected.json, to spot stale goldens; capture date when not the first)"
    [ -n "$KEPT" ] && echo "$KEPT"
    for fx in "${FIXTURES[@]}"; do
        if [ -f "$REPOS_DIR/$fx/expected.json" ]; then
            echo "fixture $fx $(sha256sum "$REPOS_DIR/$fx/expected.json" | cut -d' ' -f1) $NOW"
        else
            echo "fixture $fx (no expected.json) $NOW"
        fi
    done
} >"$OUT_DIR/VERSIONS.txt"
