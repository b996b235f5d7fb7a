#!/usr/bin/env bash
# The whole test suite. Creates (once, cached) the Python virtual environments with real Aim
# that the interoperability tests compare against, then runs every Rust test; then builds the
# Python wheel (scripts/wheel.sh), installs it in a fresh virtual environment and runs the
# Python tests (python/tests) against it.
#
#   TCBENCH_VENVS   where the environments live (default: ~/.cache/tcbench/venvs)
#
# A test that cannot run here fails; the opt-outs TCBENCH_SKIP_INTEROP=1 (no real Aim) and
# TCBENCH_SKIP_MOUNT=1 (no mount namespace) mark those tests ignored instead (build.rs), and
# this script then names how many were left out. Under CI (CI set) the opt-outs are refused.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh

TCBENCH_AIM_PYTHON=$(make_venv aim-3.29.1 testdata/requirements-aim-3.29.1.txt)
TCBENCH_AIM317_PYTHON=$(make_venv aim-3.17.4 testdata/requirements-aim-3.17.4.txt)
export TCBENCH_AIM_PYTHON TCBENCH_AIM317_PYTHON

if [ -n "${CI:-}" ]; then
  for v in TCBENCH_SKIP_INTEROP TCBENCH_SKIP_MOUNT; do
    if [ -n "${!v:-}" ]; then echo "scripts/test.sh: $v is ignored under CI: every test runs" >&2; fi
    unset "$v"
  done
fi

log=$(mktemp)
pyenv=$(mktemp -d)
trap 'rm -rf "$log" "$pyenv"' EXIT
# the Python extension module (python/) is a cdylib for an interpreter to load, not a test
# binary: the Python tests below exercise it
cargo test --workspace --exclude tcbench-py --locked "$@" 2>&1 | tee "$log"
# libtest's per-binary "N ignored" lines, summed: tests left out by an opt-out are not passes
ignored=$(sed -n 's/^test result: .* \([0-9][0-9]*\) ignored.*/\1/p' "$log" | awk '{s += $1} END {print s + 0}')
if [ "$ignored" -gt 0 ]; then
  echo "scripts/test.sh: $ignored test(s) IGNORED, not run (listed above as 'ignored, <reason>')" >&2
else
  echo "scripts/test.sh: every test ran (none ignored)" >&2
fi

# The Python package, as a user gets it: the wheel, in a new virtual environment
py_start=$SECONDS
wheel=$(bash scripts/wheel.sh)
python3 -m venv "$pyenv"
"$pyenv/bin/pip" install --quiet --disable-pip-version-check "$wheel" -r python/requirements-test.txt
if [ ! -x "$pyenv/bin/tcbench-rs" ] || [ -e "$pyenv/bin/tcbench" ]; then
  echo "scripts/test.sh: the wheel must install the command tcbench-rs, and no tcbench" >&2
  exit 1
fi
# pytest's exit code stops the script under set -e, 5 (no test collected) included;
# TCBENCH_BIN: the native binary the CLI tests compare with (built by cargo test above)
PATH="$pyenv/bin:$PATH" TCBENCH_BIN="$PWD/target/debug/tcbench" \
  "$pyenv/bin/python" -m pytest python/tests -q -p no:cacheprovider
echo "scripts/test.sh: the Python part (wheel, environment, tests) took $((SECONDS - py_start)) s" >&2
