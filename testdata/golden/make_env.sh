#!/usr/bin/env bash
# Builds the environment of the ORIGINAL Python tcbench 0.0.22 that make_golden.sh runs:
# a virtual environment from the package index with requirements-tcbench-0.0.22.txt
# (tcbench 0.0.22 with its pins; large: torch). Not run by the test suite or CI.
#
# Usage:  testdata/golden/make_env.sh [VENV]
#   VENV     default: $TCBENCH_ORIGINAL_VENV, else ~/.cache/tcbench/venvs/tcbench-0.0.22
#   PYTHON3  the interpreter to build it from (default: python3.11, the goldens' 3.11.7)
# Prints the venv's path on stdout. Reused while its .complete marker matches the
# requirements file (sha256); rebuilt from scratch otherwise.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REQ="$HERE/requirements-tcbench-0.0.22.txt"
VENV="${1:-${TCBENCH_ORIGINAL_VENV:-$HOME/.cache/tcbench/venvs/tcbench-0.0.22}}"
PY="${PYTHON3:-python3.11}"
sum="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [ "$(cat "$VENV/.complete" 2>/dev/null)" != "$sum" ]; then
    echo "make_env.sh: creating $VENV from $REQ (this downloads torch)" >&2
    rm -rf "$VENV"
    "$PY" -m venv "$VENV"
    "$VENV/bin/pip" install --disable-pip-version-check -r "$REQ" >&2
    "$VENV/bin/tcbench" --help >/dev/null  # the CLI imports (B1: click-plugins)
    echo "$sum" >"$VENV/.complete"
fi
echo "$VENV"
