#!/usr/bin/env bash
# What tracing costs: DeathStarBench's mixed workload (wrk, closed loop, 2 threads, 32
# connections, scripts/wrk/mixed.lua) against the all-in-one server on the embedded store with
# no exporter, exporting every span of 10 % of the traces (OTEL_TRACES_SAMPLER_ARG=0.1,
# DeathStarBench's own setting) and of all of them (1.0), to a real Jaeger on loopback.
#
# Usage: scripts/tracing-bench.sh [OUT_DIR]     (default: bench-results/<date>-tracing)
#
# One data dir is loaded once (socfb-Reed98, POSTS_PER_USER posts per user, default 10); each
# measurement starts a fresh server on a copy of it, so every case sees the same data. The
# cases are interleaved for ROUNDS rounds (default 3), so a drift of the machine's speed hits
# them alike; the table gives each case's median throughput and p99 and its throughput relative
# to "none" in the same round, and the CPU time the server and Jaeger spent per request.
# Generator, server and Jaeger share the machine's cores.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
out=${1:-bench-results/$(date -u +%Y-%m-%d)-tracing}
mkdir -p "$out"
out=$(cd "$out" && pwd)
rounds=${ROUNDS:-3}
port=18090

source scripts/bench-common.sh # wait_up
# CPU time (user + system) of process $1 so far, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

command -v wrk >/dev/null || { sudo=(); [[ $(id -u) -eq 0 ]] || sudo=(sudo); "${sudo[@]}" apt-get install -y wrk; }
[[ ${DS_BENCH_NO_BUILD:-0} == 1 ]] || cargo build --release -p deathstar -p deathstar-bench
jaeger=$(scripts/jaeger.sh)
export JAEGER_OTLP_GRPC=127.0.0.1:$(free_port) JAEGER_OTLP_HTTP=127.0.0.1:$(free_port) \
    JAEGER_QUERY_HTTP=127.0.0.1:$(free_port) JAEGER_QUERY_GRPC=127.0.0.1:$(free_port) \
    JAEGER_HEALTH_HTTP=127.0.0.1:$(free_port) JAEGER_METRICS_PORT=$(free_port)
"$jaeger" --config deploy/jaeger-loopback.yaml >"$out/jaeger.log" 2>&1 &
jaeger_pid=$!
work=$(mktemp -d)
trap 'kill $jaeger_pid 2>/dev/null || true; rm -rf "$work"' EXIT
wait_up "http://$JAEGER_HEALTH_HTTP/status"

# CASE DATA_DIR: a server as that case runs it, in the background; $server is its pid.
start_server() {
    local case=$1 data=$2 env=()
    case $case in
    none) ;;
    *) env=(OTEL_EXPORTER_OTLP_ENDPOINT="http://$JAEGER_OTLP_GRPC"
        OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG="$case") ;;
    esac
    env "${env[@]}" "$root/target/release/deathstar" --listen 127.0.0.1:$port --data-dir "$data" \
        >>"$out/server-$case.log" 2>&1 &
    server=$!
    wait_up "http://127.0.0.1:$port/healthz"
}
stop_server() { kill -INT "$server"; wait "$server" 2>/dev/null || true; }

echo "loading socfb-Reed98 with ${POSTS_PER_USER:-10} posts per user" >&2
start_server none "$work/loaded"
target/release/deathstar-bench init-graph --target "http://127.0.0.1:$port" \
    --dataset datasets/socfb-Reed98/socfb-Reed98.edges --posts-per-user "${POSTS_PER_USER:-10}" \
    --concurrency 200 >"$out/init.txt" 2>&1
stop_server

: >"$out/runs.tsv"
for round in $(seq 1 "$rounds"); do
    for case in none 0.1 1.0; do
        rm -rf "$work/run" && cp -a "$work/loaded" "$work/run"
        start_server "$case" "$work/run"
        server_before=$(cpu_ticks "$server") jaeger_before=$(cpu_ticks "$jaeger_pid")
        wrk -t2 -c32 -d10s --latency -s scripts/wrk/mixed.lua "http://127.0.0.1:$port" \
            >"$out/wrk-$case-$round.txt" 2>&1
        sleep 1 # the exporter's last batch
        server_cpu=$(($(cpu_ticks "$server") - server_before))
        jaeger_cpu=$(($(cpu_ticks "$jaeger_pid") - jaeger_before))
        stop_server
        rps=$(awk '/Requests\/sec/ {print $2}' "$out/wrk-$case-$round.txt")
        requests=$(awk '/requests in/ {print $1}' "$out/wrk-$case-$round.txt")
        p99=$(awk '$1 == "99%" {print $2}' "$out/wrk-$case-$round.txt")
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$case" "$rps" "$p99" "$requests" \
            "$server_cpu" "$jaeger_cpu" | tee -a "$out/runs.tsv" >&2
    done
done
spans=$(curl -s "http://$JAEGER_QUERY_HTTP/api/services" | tr -d '\n')

python3 - "$out/runs.tsv" <<'EOF' | tee "$out/summary.txt"
import os, statistics, sys
runs = [line.split('\t') for line in open(sys.argv[1]).read().split('\n') if line]
tick_us = 1e6 / os.sysconf('SC_CLK_TCK')
def ms(text):
    for unit, scale in (('ms', 1), ('us', 1e-3), ('s', 1e3)):
        if text.endswith(unit):
            return float(text[:-len(unit)]) * scale
by = {}
for round_, case, rps, p99, requests, server, jaeger in runs:
    n = int(requests)
    by.setdefault(case, {})[round_] = (float(rps), ms(p99), int(server) * tick_us / n,
                                       int(jaeger) * tick_us / n)
print(f"{'exporter':<18}{'req/s':>9}{'vs none':>9}{'p99 ms':>8}"
      f"{'server CPU/req':>16}{'Jaeger CPU/req':>16}   (medians of the rounds; CPU in µs)")
for case, label in (('none', 'none'), ('0.1', 'OTLP, ratio 0.1'), ('1.0', 'OTLP, ratio 1.0')):
    rows = by[case]
    ratios = [rows[r][0] / by['none'][r][0] for r in rows]
    median = lambda i: statistics.median(v[i] for v in rows.values())
    print(f"{label:<18}{median(0):>9,.0f}{statistics.median(ratios):>9.3f}{median(1):>8.2f}"
          f"{median(2):>16.1f}{median(3):>16.1f}")
EOF
echo "Jaeger's services after the runs: $spans" | tee -a "$out/summary.txt"
