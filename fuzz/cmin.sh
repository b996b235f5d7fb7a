#!/usr/bin/env bash
# Rebuilds the committed corpus minimum of every fuzz target: the seed corpora
# (fuzz/seed.sh: real files and parts of real databases and repositories, never
# mutated inputs) minimized by `cargo fuzz cmin` (libFuzzer -merge=1: the smallest
# set keeping the seeds' coverage), installed where `cargo test` replays it:
#   crates/rocks-reader/tests/fuzz_corpus/{sst,block,footer,manifest,wal}/
#   crates/aim-store/tests/fuzz_corpus/{key,value,tree}/
# Needs nightly and cargo-fuzz, like run.sh. Usage: fuzz/cmin.sh [TARGET...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
cd "$here"
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    targets=(sst block footer manifest wal key value tree)
fi
cargo +nightly fuzz build -a
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# seeds only (fuzz/corpus may hold what earlier fuzzing runs added: mutated inputs)
"$here/target/x86_64-unknown-linux-gnu/release/seed" "$work/seeds" "$root/testdata/repos" \
    "$root/examples/campaign" "$root/crates/rocks-reader/tests/data" >/dev/null
for t in "${targets[@]}"; do
    case "$t" in
        key | value | tree) crate=aim-store ;;
        *) crate=rocks-reader ;;
    esac
    dst="$root/crates/$crate/tests/fuzz_corpus/$t"
    nice cargo +nightly fuzz cmin -a "$t" "$work/seeds/$t" -- -rss_limit_mb=2048 -timeout=10 \
        >"$work/$t.log" 2>&1 || { cat "$work/$t.log" >&2; exit 1; }
    rm -rf "$dst"
    mkdir -p "$dst"
    cp "$work/seeds/$t"/* "$dst/"
    echo "$t: $(ls "$dst" | wc -l) inputs, $(du -sk "$dst" | cut -f1) KiB -> ${dst#"$root"/}"
done
