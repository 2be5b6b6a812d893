#!/usr/bin/env bash
# Measures every figure of docs/BENCHMARKS.md on this machine, generator on the same machine.
#
# Usage: scripts/benchmarks.sh [OUT_DIR]      (default: bench-results/<date>)
#
# Phases (each server is started fresh, loaded with socfb-Reed98 and 10 posts per user, measured,
# then stopped): the axum hello-world ceiling; the all-in-one server on the embedded store;
# then, under scripts/with-services.sh (throwaway Redis + FerretDB), the all-in-one server on
# MongoDB+Redis, one process per function, and compose fused. Closed-loop throughput comes from
# Debian's wrk (2 threads, 32 connections, 10 s, DSB's request shapes); latency at a fixed rate
# from deathstar-bench run (open loop, Poisson, corrected for coordinated omission).
# Everything printed is also kept in OUT_DIR (text, JSON, SVG plots).
# DS_BENCH_PHASES (default "ceiling embedded services") picks phases.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
out=${1:-bench-results/$(date -u +%Y-%m-%d)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
B=$root/target/release/deathstar-bench
PORT=18080
phases=" ${DS_BENCH_PHASES:-ceiling embedded services} "

log() { printf '\n=== %s\n' "$*" | tee -a "$out/summary.txt"; }

wait_up() { # URL
    for _ in $(seq 1 600); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done
    echo "$1 never came up" >&2; return 1
}

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

# wrk, closed loop, with one of the Lua request generators in scripts/wrk/.
closed_loop() { # NAME LUA URL
    local name=$1 lua=$2 url=$3 script=()
    [[ $lua == - ]] || script=(-s "$root/scripts/wrk/$lua")
    wrk -t2 -c32 -d10s "${script[@]}" "$url" >"$out/wrk-$name.txt" 2>&1
    printf '%-40s %10s req/s  (avg latency %s, non-2xx: %s)\n' "$name" \
        "$(awk '/Requests\/sec/ {print $2}' "$out/wrk-$name.txt")" \
        "$(awk '/Latency/ {print $2; exit}' "$out/wrk-$name.txt")" \
        "$(awk '/Non-2xx/ {print $5}' "$out/wrk-$name.txt" | grep . || echo 0)" | tee -a "$out/summary.txt"
}

# The measurements every deployment gets; $1 names it, $2 is its URL.
measure() {
    local name=$1 url=$2 posts=${POSTS_PER_USER:-10} dataset=${DATASET:-$root/datasets/socfb-Reed98/socfb-Reed98.edges}
    log "$name: init-graph ($(basename "$dataset"), $posts posts per user)"
    "$B" init-graph --target "$url" --dataset "$dataset" --posts-per-user "$posts" 2>&1 | tee "$out/$name-init.txt" | tee -a "$out/summary.txt"
    log "$name: closed loop (wrk)"
    closed_loop "$name-home-timeline" home-timeline.lua "$url"
    closed_loop "$name-user-timeline" user-timeline.lua "$url"
    closed_loop "$name-compose" compose.lua "$url"
    closed_loop "$name-mixed" mixed.lua "$url"
    log "$name: highest mixed rate with corrected p99 <= $3 ms (open loop)"
    "$B" sweep --target "$url" --workload mixed --start-rate "$4" --step "$4" --max-rate "$5" \
        --slo-p99-ms "$3" --duration 12s --warmup 4s --seed 7 --json "$out/$name-sweep-mixed.json" \
        2>&1 | tee "$out/$name-sweep-mixed.txt" | tail -n 4 | tee -a "$out/summary.txt"
    log "$name: highest compose rate with corrected p99 <= 10 ms (open loop)"
    "$B" sweep --target "$url" --workload compose --start-rate "$6" --step "$6" --max-rate "$7" \
        --slo-p99-ms 10 --duration 12s --warmup 4s --seed 8 --json "$out/$name-sweep-compose.json" \
        2>&1 | tee "$out/$name-sweep-compose.txt" | tail -n 4 | tee -a "$out/summary.txt"
    log "$name: mixed at $8 req/s for 30 s (10 s warm-up)"
    "$B" run --target "$url" --workload mixed --rate "$8" --duration 30s --warmup 10s --seed 1 \
        --json "$out/$name-run-mixed.json" --plot "$out/$name-run-mixed.svg" \
        2>&1 | tee "$out/$name-run-mixed.txt" | tee -a "$out/summary.txt"
}

if [[ -z "${DS_BENCH_SERVICES_PHASE:-}" ]]; then
    command -v wrk >/dev/null || { sudo=(); [[ $(id -u) -eq 0 ]] || sudo=(sudo); "${sudo[@]}" apt-get install -y wrk; }
    cargo build --release -p deathstar -p deathstar-bench -p deathstar-openfaas -p deathstar-tests --bins
    cargo build --release -p deathstar-http --example hello
    { echo "# $(date -u +%FT%TZ) on $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
      echo "# commit $(git rev-parse --short HEAD)"; } | tee "$out/summary.txt"

    if [[ $phases == *" ceiling "* ]]; then
    log "ceiling: axum hello world"
    "$root/target/release/examples/hello" 127.0.0.1:$PORT & pid=$!
    wait_up "http://127.0.0.1:$PORT/"
    closed_loop hello-world - "http://127.0.0.1:$PORT"
    kill $pid; wait $pid 2>/dev/null || true
    fi

    if [[ $phases == *" embedded "* ]]; then
    log "all-in-one, embedded store (--fsync 100ms, the default)"
    data=$(mktemp -d)
    "$root/target/release/deathstar" --listen 127.0.0.1:$PORT --data-dir "$data" >"$out/embedded-server.log" 2>&1 & pid=$!
    wait_up "http://127.0.0.1:$PORT/healthz"
    closed_loop embedded-healthz - "http://127.0.0.1:$PORT/healthz"
    measure embedded "http://127.0.0.1:$PORT" 5 2000 30000 1000 12000 8000
    echo "server RSS after the runs: $(rss_kb $pid) kB" | tee -a "$out/summary.txt"
    kill -INT $pid; wait $pid 2>/dev/null || true
    rm -rf "$data"
    fi

    [[ $phases == *" services "* ]] || exit 0
    DS_BENCH_SERVICES_PHASE=1 scripts/with-services.sh "$0" "$out"
    exit 0
fi

# --- under with-services.sh: MongoDB (FerretDB) + Redis ---------------------------------------
log "all-in-one, MongoDB (FerretDB 1.24.2, SQLite) + Redis"
"$root/target/release/deathstar" --listen 127.0.0.1:$PORT --data-dir "$(mktemp -d)" >"$out/mongo-server.log" 2>&1 & pid=$!
wait_up "http://127.0.0.1:$PORT/healthz"
# FerretDB 1.24 on SQLite is the bottleneck here: it took ~25 follows/s on this machine (about
# 150 MongoDB operations/s, FerretDB at 170 % CPU), so the whole Reed98 graph would take 25
# minutes to load. These deployments get all 962 users, every 19th edge of Reed98 (990 edges,
# 1,980 follows, spread over the graph) and 1 post per user.
sample=$(mktemp -d)
cp "$root/datasets/socfb-Reed98/socfb-Reed98.nodes" "$sample/reed98-every-19th.nodes"
awk 'NR % 19 == 1' "$root/datasets/socfb-Reed98/socfb-Reed98.edges" >"$sample/reed98-every-19th.edges"
DATASET=$sample/reed98-every-19th.edges POSTS_PER_USER=${DS_BENCH_MONGO_POSTS:-1} \
    measure mongo-redis "http://127.0.0.1:$PORT" 10 100 3000 50 2000 200
kill -INT $pid; wait $pid 2>/dev/null || true

log "function process: idle RSS and first answer after start"
start=$(date +%s%N)
DS_FUNCTIONS=get-user-id DS_LISTEN=127.0.0.1:$((PORT + 1)) RUST_LOG=warn \
    "$root/target/release/deathstar-openfaas" >/dev/null 2>&1 & pid=$!
until curl -sf -X POST -d '{"username":"username_1"}' "http://127.0.0.1:$((PORT + 1))/" >/dev/null; do sleep 0.002; done
first=$(( ($(date +%s%N) - start) / 1000000 ))
sleep 2
echo "get-user-id process: first answer ${first} ms after spawn (curl polling every 2 ms), idle RSS $(rss_kb $pid) kB" | tee -a "$out/summary.txt"
kill $pid; wait $pid 2>/dev/null || true

for layout in per-function fused; do
    flag=(); [[ $layout == fused ]] && flag=(--fused)
    log "$layout deployment (deathstar-deploy ${flag[*]:-}) on the data loaded above"
    "$root/target/release/deathstar-deploy" "${flag[@]}" --listen 127.0.0.1:$PORT >"$out/$layout.log" 2>&1 & pid=$!
    wait_up "http://127.0.0.1:$PORT/wrk2-api/user-timeline/read?user_id=1&start=0&stop=1"
    name=$layout
    log "$name: closed loop (wrk)"
    closed_loop "$name-home-timeline" home-timeline.lua "http://127.0.0.1:$PORT"
    closed_loop "$name-compose" compose.lua "http://127.0.0.1:$PORT"
    closed_loop "$name-mixed" mixed.lua "http://127.0.0.1:$PORT"
    log "$name: highest mixed rate with corrected p99 <= 10 ms (open loop)"
    "$B" sweep --target "http://127.0.0.1:$PORT" --workload mixed --start-rate 100 --step 100 --max-rate 3000 \
        --slo-p99-ms 10 --duration 12s --warmup 4s --seed 7 --json "$out/$name-sweep-mixed.json" \
        2>&1 | tee "$out/$name-sweep-mixed.txt" | tail -n 4 | tee -a "$out/summary.txt"
    log "$name: mixed at 200 req/s for 30 s (10 s warm-up)"
    "$B" run --target "http://127.0.0.1:$PORT" --workload mixed --rate 200 --duration 30s --warmup 10s --seed 1 \
        --json "$out/$name-run-mixed.json" --plot "$out/$name-run-mixed.svg" \
        2>&1 | tee "$out/$name-run-mixed.txt" | tee -a "$out/summary.txt"
    kill -INT $pid; wait $pid 2>/dev/null || true
done
