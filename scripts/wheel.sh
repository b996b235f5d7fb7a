#!/usr/bin/env bash
# Builds the Python wheel `tcbench-rs` (python/): one abi3 wheel for CPython 3.9 and later
# (cp39-abi3), manylinux2014 (glibc 2.17), into target/wheels; prints its path on stdout.
# Zig links it against glibc 2.17 whatever this machine's glibc, and `auditwheel show`
# must confirm the manylinux_2_17 tag or this fails. maturin, zig and auditwheel come from
# a cached virtual environment made from python/requirements-build.txt.
#
#   scripts/wheel.sh && pip install target/wheels/tcbench_rs-*.whl
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh

python=$(make_venv wheel-build python/requirements-build.txt)
bin=$(dirname "$python")
out=target/wheels
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' python/Cargo.toml | head -n 1)
# only the wheel built now may match below
rm -f "$out"/tcbench_rs-"$version"-*.whl

# the venv first on PATH: maturin finds zig (the ziglang package) through its python
PATH="$bin:$PATH" "$bin/maturin" build --release --locked --zig --compatibility manylinux2014 \
  -m python/Cargo.toml --out "$out" >&2

wheels=("$out"/tcbench_rs-"$version"-cp39-abi3-*.whl)
if [ "${#wheels[@]}" -ne 1 ] || [ ! -f "${wheels[0]}" ]; then
  echo "scripts/wheel.sh: expected one cp39-abi3 wheel in $out, found: ${wheels[*]}" >&2
  exit 1
fi
wheel=${wheels[0]}
show=$("$bin/auditwheel" show "$wheel")
echo "$show" >&2
if ! grep -q '"manylinux_2_17_x86_64"' <<<"$show"; then
  echo "scripts/wheel.sh: auditwheel does not report manylinux_2_17 (manylinux2014) for $wheel" >&2
  exit 1
fi
echo "$wheel"
