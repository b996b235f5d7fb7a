#!/usr/bin/env bash
# The whole test suite. Creates (once, cached) the Python virtual environments with real Aim
# that the interoperability tests compare against, then runs every Rust test.
#
#   TCBENCH_VENVS   where the environments live (default: ~/.cache/tcbench/venvs)
set -euo pipefail
cd "$(dirname "$0")/.."

venvs="${TCBENCH_VENVS:-$HOME/.cache/tcbench/venvs}"
mkdir -p "$venvs"

# make_venv NAME REQUIREMENTS_FILE: a venv per requirements content, reused while it matches
make_venv() {
  local req="$2" sum dir
  sum=$(sha256sum "$req" | cut -c1-12)
  dir="$venvs/$1-$sum"
  if [ ! -f "$dir/.complete" ]; then
    echo "scripts/test.sh: creating $dir from $req" >&2
    rm -rf "$dir"
    python3 -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
    touch "$dir/.complete"
  fi
  echo "$dir/bin/python"
}

TCBENCH_AIM_PYTHON=$(make_venv aim-3.29.1 testdata/requirements-aim-3.29.1.txt)
TCBENCH_AIM317_PYTHON=$(make_venv aim-3.17.4 testdata/requirements-aim-3.17.4.txt)
export TCBENCH_AIM_PYTHON TCBENCH_AIM317_PYTHON

cargo test --workspace --locked
