#!/usr/bin/env bash
# Puts the soak's residual stalls at a known store size and says where the process waited:
# the all-in-one server on the embedded store with its data under DATA_PARENT (a disk or a
# tmpfs: the A/B that tells the file system's part), Reed98 with PER_USER posts each, then the
# soak's open-loop mixed schedule with 1 s windows while
#   - /metrics is saved every second (the log's write and fdatasync histograms among it),
#   - scripts/kernel-waits.py records the kernel stack of every thread in state D (root only).
#
# Usage: scripts/stall-probe.sh DATA_PARENT OUT_DIR    (built by scripts/benchmarks.sh first)
# Settings: PER_USER (600), RATE (5634, run 4's soak), DURATION (180s).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
parent=$1 out=$2
mkdir -p "$out"
PORT=18090 URL=http://127.0.0.1:18090
B=$root/target/release/deathstar-bench
source scripts/bench-common.sh # wait_up, rss_kb
data=$(mktemp -d "$parent/stall-probe.XXXXXX")
trap 'kill $pid $sampler $stacks 2>/dev/null || true; wait 2>/dev/null; rm -rf "$data"' EXIT

"$root/target/release/deathstar" --listen 127.0.0.1:$PORT --data-dir "$data" >"$out/server.log" 2>&1 &
pid=$!
wait_up "$URL/healthz"
"$B" init-graph --target "$URL" --dataset datasets/socfb-Reed98/socfb-Reed98.edges \
    --posts-per-user "${PER_USER:-600}" --concurrency 32 >"$out/init.txt" 2>&1
echo "loaded: $(tail -n 1 "$out/init.txt"); RSS $(rss_kb $pid) kB;" \
    "log $(du -m "$data" | cut -f1) MB on $(df --output=fstype "$data" | tail -n 1)" | tee "$out/summary.txt"

mkdir -p "$out/metrics"
(while :; do curl -s -m 2 "$URL/metrics" >"$out/metrics/$(date +%s)" || true; sleep 1; done) &
sampler=$!
scripts/kernel-waits.py "$pid" >"$out/stacks.txt" &
stacks=$!

"$B" run --target "$URL" --workload mixed --rate "${RATE:-5634}" --duration "${DURATION:-180s}" \
    --connections 128 --seed 1 --window 1s --server-pid $pid --json "$out/run.json" >"$out/run.txt" 2>&1 || true
jq -r '.windows[] | select(.max_ms > 50) | "\(.start_s) s: p99 \(.p99_ms) ms, max \(.max_ms) ms"' \
    "$out/run.json" | tee -a "$out/summary.txt"
echo "windows over 50 ms: $(jq '[.windows[] | select(.max_ms > 50)] | length' "$out/run.json") of $(jq '.windows | length' "$out/run.json")" | tee -a "$out/summary.txt"
last=$(ls "$out/metrics" | sort -n | tail -n 1)
grep -E '^deathstar_embedded_log_(write|flush)_duration_seconds_(bucket\{le="(0.0032|0.0256|0.1024|\+Inf)"|sum)' \
    "$out/metrics/$last" | tee -a "$out/summary.txt" || true
echo "threads seen in state D (samples): " | tee -a "$out/summary.txt"
awk '{print $2, $3, $5, $7}' "$out/stacks.txt" | sort | uniq -c | sort -rn | head -n 12 | tee -a "$out/summary.txt"
