#!/usr/bin/env bash
# Builds the seed corpora of every fuzz target under fuzz/corpus/<target>/
# from the real fixture repositories (testdata/repos, examples/campaign and
# rocks-reader's test databases): whole SSTs, their footers and blocks,
# MANIFESTs, WALs and their records, keys, values and per-run meta pairs.
# Corpora are generated, never committed. Needs the fuzz build (run.sh does it).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
seed="$here/target/x86_64-unknown-linux-gnu/release/seed"
if [[ ! -x "$seed" ]]; then
    (cd "$here" && cargo +nightly fuzz build -a)
fi
"$seed" "$here/corpus" "$root/testdata/repos" "$root/examples/campaign" \
    "$root/crates/rocks-reader/tests/data"
