#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 600), seeded from the
# real fixture repositories. Unbounded allocations (>512 MB in one malloc,
# >2 GB RSS) and hangs (>10 s on one input) count as findings, like panics.
#
#   fuzz/run.sh [SECONDS] [TARGET...]        (JOBS=2 fuzz/run.sh: two targets at once)
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz --locked`).
# Findings land in fuzz/artifacts/<target>/; see fuzz/README.md for turning
# them into regression tests. Exit status: 0 when no target found anything.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
secs="${1:-600}"
shift || true
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    targets=(sst block footer manifest wal key value tree)
fi
jobs="${JOBS:-1}"
cargo +nightly fuzz build -a || exit 1
./seed.sh || exit 1
mkdir -p logs

run_one() {
    local t="$1"
    local log="logs/$t.log"
    local start end rc
    start=$(date +%s)
    nice cargo +nightly fuzz run -a "$t" "corpus/$t" -- \
        -max_total_time="$secs" -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10 \
        -print_final_stats=1 >"$log" 2>&1
    rc=$?
    end=$(date +%s)
    local execs fuzzed
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    fuzzed=$(grep -oE 'Done [0-9]+ runs in [0-9]+ second' "$log" | grep -oE '[0-9]+ second' | grep -oE '[0-9]+')
    local result="no finding"
    if [[ $rc -ne 0 ]]; then
        result="FINDING (exit $rc, see $log and artifacts/$t/)"
    fi
    printf '%s\t%s s fuzzing (%s s with build)\t%s execs\t%s\t%s\n' "$t" "${fuzzed:-?}" \
        "$((end - start))" "${execs:-?}" "$result" \
        "$(date -u +%Y-%m-%d)" | tee -a logs/summary.tsv
    return $rc
}

status=0
running=0
for t in "${targets[@]}"; do
    run_one "$t" &
    running=$((running + 1))
    if [[ $running -ge $jobs ]]; then
        wait -n || status=1
        running=$((running - 1))
    fi
done
while [[ $running -gt 0 ]]; do
    wait -n || status=1
    running=$((running - 1))
done
exit $status
