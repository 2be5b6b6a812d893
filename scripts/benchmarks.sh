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
# DS_BENCH_PHASES (default "ceiling embedded services") picks phases, DS_BENCH_SERVICES (default
# "mongo-redis functions per-function fused") the parts of the services phase.
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
    wrk -t2 -c"${WRK_CONNECTIONS:-32}" -d10s "${script[@]}" "$url" >"$out/wrk-$name.txt" 2>&1
    printf '%-40s %10s req/s  (avg latency %s, non-2xx: %s)\n' "$name" \
        "$(awk '/Requests\/sec/ {print $2}' "$out/wrk-$name.txt")" \
        "$(awk '/Latency/ {print $2; exit}' "$out/wrk-$name.txt")" \
        "$(awk '/Non-2xx/ {print $5}' "$out/wrk-$name.txt" | grep . || echo 0)" | tee -a "$out/summary.txt"
}

# The measurements every deployment gets; $1 names it, $2 is its URL.
measure() {
    local name=$1 url=$2 posts=${POSTS_PER_USER:-10} dataset=${DATASET:-$root/datasets/socfb-Reed98/socfb-Reed98.edges}
    log "$name: init-graph ($(basename "$dataset"), $posts posts per user)"
    # A failed request is reported (and the exit status says so) but does not stop the runs.
    "$B" init-graph --target "$url" --dataset "$dataset" --posts-per-user "$posts" \
        --concurrency "${INIT_CONCURRENCY:-200}" 2>&1 | tee "$out/$name-init.txt" | tee -a "$out/summary.txt" || true
    log "$name: closed loop (wrk)"
    closed_loop "$name-home-timeline" home-timeline.lua "$url"
    closed_loop "$name-user-timeline" user-timeline.lua "$url"
    closed_loop "$name-compose" compose.lua "$url"
    closed_loop "$name-mixed" mixed.lua "$url"
    log "$name: highest mixed rate with corrected p99 <= $3 ms (open loop)"
    "$B" sweep --target "$url" --workload mixed --start-rate "$4" --step "$4" --max-rate "$5" \
        --slo-p99-ms "$3" --duration 12s --warmup 4s --seed 7 --json "$out/$name-sweep-mixed.json" \
        2>&1 | tee "$out/$name-sweep-mixed.txt" | tail -n 4 | tee -a "$out/summary.txt" || true
    log "$name: highest compose rate with corrected p99 <= 10 ms (open loop)"
    "$B" sweep --target "$url" --workload compose --start-rate "$6" --step "$6" --max-rate "$7" \
        --slo-p99-ms 10 --duration 12s --warmup 4s --seed 8 --json "$out/$name-sweep-compose.json" \
        2>&1 | tee "$out/$name-sweep-compose.txt" | tail -n 4 | tee -a "$out/summary.txt" || true
    log "$name: mixed at $8 req/s for 30 s (10 s warm-up)"
    "$B" run --target "$url" --workload mixed --rate "$8" --duration 30s --warmup 10s --seed 1 \
        --json "$out/$name-run-mixed.json" --plot "$out/$name-run-mixed.svg" \
        2>&1 | tee "$out/$name-run-mixed.txt" | tee -a "$out/summary.txt" || true
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
# FerretDB 1.24 on SQLite is the bottleneck of everything here: it does not push these finds
# down to SQLite, so each one decodes and filters the whole collection in Go (perf: 88 % of its
# CPU in MsgFind's filter iterator and JSON decoding). Reed98 (962 users, 37,624 follows) loaded
# at ~25 follows/s and timed out composes with 200 in flight. So the MongoDB-backed deployments
# get a smaller graph: users 0-99 of Reed98 and the 136 edges among them (272 follows), 1 post
# per user, loaded 2 requests at a time; wrk runs with 4 connections instead of 32. FerretDB's
# cost grows with every collection, so each deployment gets collections of its own
# (DS_NAMESPACE) and loads the same graph into them.
export INIT_CONCURRENCY=2 WRK_CONNECTIONS=4 users=100
sample=$(mktemp -d)
echo 100 >"$sample/reed98-first-100.nodes"
awk '$1 < 100 && $2 < 100' "$root/datasets/socfb-Reed98/socfb-Reed98.edges" >"$sample/reed98-first-100.edges"

# $1 names the deployment; it is up on $PORT, on the namespace ${1}_.
measure_on_mongo() {
    local name=$1 url=http://127.0.0.1:$PORT
    log "$name: init-graph (users 0-99 of Reed98, 1 post per user)"
    "$B" init-graph --target "$url" --dataset "$sample/reed98-first-100.edges" --posts-per-user 1 \
        --concurrency 2 2>&1 | tee "$out/$name-init.txt" | tee -a "$out/summary.txt" || true
    log "$name: closed loop (wrk, 4 connections)"
    closed_loop "$name-home-timeline" home-timeline.lua "$url"
    closed_loop "$name-compose" compose.lua "$url"
    closed_loop "$name-mixed" mixed.lua "$url"
    closed_loop "$name-unique-id" unique-id.lua "$url/function/unique-id-service-upload-unique-id"
    log "$name: mixed at 20 req/s for 30 s (10 s warm-up)"
    "$B" run --target "$url" --workload mixed --users 100 --rate 20 --duration 30s --warmup 10s \
        --seed 1 --json "$out/$name-run-mixed.json" --plot "$out/$name-run-mixed.svg" \
        2>&1 | tee "$out/$name-run-mixed.txt" | tee -a "$out/summary.txt" || true
}

services=" ${DS_BENCH_SERVICES:-mongo-redis functions per-function fused} "
if [[ $services == *" mongo-redis "* ]]; then
log "all-in-one, MongoDB (FerretDB 1.24.2, SQLite) + Redis"
DS_NAMESPACE=mongo_redis_ "$root/target/release/deathstar" --listen 127.0.0.1:$PORT \
    --data-dir "$(mktemp -d)" >"$out/mongo-server.log" 2>&1 & pid=$!
wait_up "http://127.0.0.1:$PORT/healthz"
measure_on_mongo mongo-redis
kill -INT $pid; wait $pid 2>/dev/null || true
fi

if [[ $services == *" functions "* ]]; then
log "function processes: idle RSS and first answer after start"
for function in unique-id-service-upload-unique-id get-user-id; do
    start=$(date +%s%N)
    DS_FUNCTIONS=$function DS_LISTEN=127.0.0.1:$((PORT + 1)) RUST_LOG=warn \
        "$root/target/release/deathstar-openfaas" >/dev/null 2>&1 & pid=$!
    # Any answer counts (get-user-id's 404 for an unknown user too): the process is serving.
    until curl -s -o /dev/null -X POST -d '{"username":"username_1","post_type":0}' "http://127.0.0.1:$((PORT + 1))/"; do sleep 0.002; done
    first=$(( ($(date +%s%N) - start) / 1000000 ))
    sleep 2
    echo "$function process: first answer ${first} ms after spawn (curl polling every 2 ms), idle RSS $(rss_kb $pid) kB" | tee -a "$out/summary.txt"
    kill $pid; wait $pid 2>/dev/null || true
done
fi

for layout in per-function fused; do
    [[ $services == *" $layout "* ]] || continue
    flag=(); [[ $layout == fused ]] && flag=(--fused)
    log "$layout deployment (deathstar-deploy ${flag[*]:-})"
    DS_NAMESPACE=${layout/-/_}_ "$root/target/release/deathstar-deploy" "${flag[@]}" \
        --listen 127.0.0.1:$PORT >"$out/$layout.log" 2>&1 & pid=$!
    # It says so once every process answers its health check.
    until grep -q "gateway at" "$out/$layout.log"; do sleep 0.2; done
    measure_on_mongo $layout
    kill -INT $pid; wait $pid 2>/dev/null || true
done
