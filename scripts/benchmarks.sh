#!/usr/bin/env bash
# Measures every figure of docs/BENCHMARKS.md on this machine, generator on the same machine,
# and writes the tables (OUT_DIR/targets.md, with each target and whether it was met).
#
# Usage: scripts/benchmarks.sh [OUT_DIR]      (default: bench-results/<date>)
#
# Every ratio is taken in the same run as its ceiling (the machine's speed varies). Phases, each
# on a fresh server (DS_BENCH_PHASES picks them; default all, in this order):
#   ceiling   axum's hello world and the all-in-one server's /healthz under wrk (-t2 -c32 10 s);
#             deathstar-bench against /healthz at half wrk's rate: what the lean open-loop driver
#             sustains, its corrected p99, and the CPU per request of wrk, the driver and server
#   embedded  the all-in-one server on the embedded store, socfb-Reed98 with 10 posts per user:
#             wrk closed loop per request type (p99 from wrk --latency), the open-loop mixed
#             workload at 0.25 x wrk's /healthz rate, and sweeps for the knee
#   soak      DS_SOAK (default 600s) open loop at 70 % of the mixed knee, p99.9 / max / server
#             RSS per 10 s window; then the same schedule of health checks against hello world
#             (a no-op server: what the machine itself does to a tail)
#   memory    DS_MEMORY_POSTS (default 1,000,000) posts loaded into the embedded store: RSS per
#             post, replay time on restart and RSS after it, read speed before and after
#   gateway   under scripts/with-services.sh (FerretDB on PostgreSQL, DS_FERRETDB_HANDLER;
#             Redis): unique-id through one process per function vs all in one, no storage
#   mongo     the same services: the MongoDB-backed all-in-one server after a warm-up that
#             builds every timeline, on the first MONGO_USERS (300) users of Reed98
# Everything printed is also kept in OUT_DIR (text, JSON, SVG plots).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
out=${1:-bench-results/$(date -u +%Y-%m-%d)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
B=$root/target/release/deathstar-bench
PORT=18080
URL=http://127.0.0.1:$PORT
phases=" ${DS_BENCH_PHASES:-ceiling embedded soak memory gateway mongo} "
DATASET=$root/datasets/socfb-Reed98/socfb-Reed98.edges
figures=$out/figures.env # name=value lines, read back for the targets table
# Connections of the open-loop driver. A scheduled request waits for a free connection, and
# that wait counts in its corrected latency: at 30,000 req/s and ~0.5 ms per request, 32
# connections are ~17 in flight on average, so a 1 ms hiccup of either process fills them
# all and the driver's own queue becomes the tail (run 2026-12-03: corrected p99 26 ms against
# an uncorrected 2.4 ms). wrk2's users size -c the same way: enough for the bursts.
OPEN_CONNECTIONS=${DS_OPEN_CONNECTIONS:-128}

log() { printf '\n=== %s\n' "$*" | tee -a "$out/summary.txt"; }
say() { echo "$*" | tee -a "$out/summary.txt"; }
figure() { echo "$1=$2" >>"$figures"; say "  $1 = $2"; }
get() { awk -F= -v k="$1" '$1 == k {v = $2} END {print v}' "$figures"; }
calc() { awk "BEGIN {printf \"%.${2:-3}f\", $1}"; }

source scripts/bench-common.sh # wait_up, rss_kb, wrk_p99_ms, seconds_since
# CPU seconds (user + system) a running process has used so far.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
stop() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# wrk closed loop (2 threads, 32 connections, 10 s) with one of scripts/wrk/*.lua ("-": none).
# Figures: <name>_rps, <name>_p99_ms, and with SERVER_PID set <name>_server_us (CPU per request).
closed_loop() { # NAME LUA URL
    local name=$1 lua=$2 url=$3 script=() before
    [[ $lua == - ]] || script=(-s "$root/scripts/wrk/$lua")
    [[ -z ${SERVER_PID:-} ]] || before=$(cpu_s "$SERVER_PID")
    /usr/bin/time -f '%U %S' -o "$out/wrk-$name.cpu" \
        wrk -t2 -c"${WRK_CONNECTIONS:-32}" -d10s --latency "${script[@]}" "$url" >"$out/wrk-$name.txt" 2>&1
    local rps p99 requests
    rps=$(awk '/Requests\/sec/ {print $2}' "$out/wrk-$name.txt")
    p99=$(wrk_p99_ms "$out/wrk-$name.txt")
    requests=$(awk '/requests in/ {print $1}' "$out/wrk-$name.txt")
    printf '%-34s %10s req/s  p99 %8s ms  non-2xx: %s\n' "$name" "$rps" "$p99" \
        "$(awk '/Non-2xx/ {print $5}' "$out/wrk-$name.txt" | grep . || echo 0)" | tee -a "$out/summary.txt"
    figure "${name//-/_}_rps" "$rps"
    figure "${name//-/_}_p99_ms" "$p99"
    figure "${name//-/_}_non2xx" "$(awk '/Non-2xx/ {print $5}' "$out/wrk-$name.txt" | grep . || echo 0)"
    figure "${name//-/_}_wrk_us" "$(awk -v n="$requests" '{printf "%.1f", ($1 + $2) * 1e6 / n}' "$out/wrk-$name.cpu")"
    if [[ -n ${SERVER_PID:-} ]]; then
        figure "${name//-/_}_server_us" "$(calc "($(cpu_s "$SERVER_PID") - $before) * 1e6 / $requests" 1)"
    fi
}

# deathstar-bench run (open loop); figures <name>_achieved, <name>_p99_ms (corrected), <name>_driver_us.
open_loop() { # NAME RATE DURATION ARGS...
    local name=$1 rate=$2 duration=$3; shift 3
    /usr/bin/time -f '%U %S' -o "$out/$name.cpu" \
        "$B" run --target "$URL" --rate "$rate" --duration "$duration" --connections "$OPEN_CONNECTIONS" --seed 1 \
        --json "$out/$name.json" "$@" >"$out/$name.txt" 2>"$out/$name.err" || true
    sed -n '1,12p' "$out/$name.txt" | tee -a "$out/summary.txt"
    local answered
    answered=$(jq '.counts.requests - .counts.unsent' "$out/$name.json")
    figure "${name//-/_}_achieved" "$(jq '.achieved_rps | floor' "$out/$name.json")"
    figure "${name//-/_}_p99_ms" "$(jq '.latency_ms.corrected.p99' "$out/$name.json")"
    figure "${name//-/_}_errors" "$(jq '.counts.errors' "$out/$name.json")"
    # Warm-up requests count too: the driver's CPU covers the whole run.
    figure "${name//-/_}_driver_us" "$(awk -v n="$((answered + $(jq '.warmup_counts.requests' "$out/$name.json")))" \
        '{printf "%.1f", ($1 + $2) * 1e6 / n}' "$out/$name.cpu")"
}

# Bytes the kernel's DAMON schemes have paged out since boot (a virtual machine's host may run
# one to reclaim its guests' cold memory: page cache, and the server's own cold pages), or
# nothing where there is no DAMON or no root.
damon_paged_out() {
    local kdamonds=/sys/kernel/mm/damon/admin/kdamonds
    [[ -w $kdamonds/0/state && $(cat $kdamonds/0/state) == on ]] || return 0
    echo update_schemes_stats >$kdamonds/0/state
    cat $kdamonds/*/contexts/*/schemes/*/stats/sz_applied | awk '{s += $1} END {printf "%.0f\n", s}'
}

start_embedded() { # DATA_DIR LOG
    "$root/target/release/deathstar" --listen 127.0.0.1:$PORT --data-dir "$1" >"$2" 2>&1 &
    pid=$!
    wait_up "$URL/healthz"
}

init_graph() { # NAME POSTS_PER_USER [ARGS...]
    local name=$1 posts=$2; shift 2
    "$B" init-graph --target "$URL" --dataset "$DATASET" --posts-per-user "$posts" \
        --concurrency "${INIT_CONCURRENCY:-64}" "$@" 2>&1 | tee "$out/$name-init.txt" | tail -n 8 | tee -a "$out/summary.txt" || true
}

# The targets of issue 14, each against its ceiling from this run; "-" where a phase did not run.
targets_table() {
    row() { # TARGET MEASURED MET(awk condition on the figures, as 0/1)
        printf '| %s | %s | %s |\n' "$1" "$2" "$( [[ $3 == 1 ]] && echo met || { [[ $3 == - ]] && echo - || echo '**missed**'; })"
    }
    have() { for k in "$@"; do [[ -n $(get "$k") ]] || return 1; done; }
    test_of() { awk "BEGIN {print ($1) ? 1 : 0}"; }
    echo "| target | measured (same run) | |"
    echo "|---|---|---|"
    if have healthz_rps embedded_mixed_rps; then
        r=$(calc "$(get embedded_mixed_rps) / $(get healthz_rps)" 2)
        row "mixed, closed loop >= 0.5 x /healthz" "$(get embedded_mixed_rps) vs $(get healthz_rps) req/s = $r" "$(test_of "$r >= 0.5")"
    fi
    if have healthz_rps embedded_compose_rps; then
        r=$(calc "$(get embedded_compose_rps) / $(get healthz_rps)" 2)
        row "compose, closed loop >= 0.25 x /healthz" "$(get embedded_compose_rps) req/s = $r" "$(test_of "$r >= 0.25")"
        row "compose p99 <= 10 ms at 32 connections (wrk)" "$(get embedded_compose_p99_ms) ms" "$(test_of "$(get embedded_compose_p99_ms) <= 10")"
    fi
    if have healthz_rps embedded_mixed_quarter_p99_ms; then
        row "mixed, open loop: corrected p99 <= 5 ms at 0.25 x wrk /healthz ($(calc "$(get healthz_rps) / 4" 0) req/s)" \
            "achieved $(get embedded_mixed_quarter_achieved) req/s, p99 $(get embedded_mixed_quarter_p99_ms) ms, $(get embedded_mixed_quarter_errors) errors" \
            "$(test_of "$(get embedded_mixed_quarter_p99_ms) <= 5 && $(get embedded_mixed_quarter_achieved) >= 0.95 * $(get healthz_rps) / 4")"
    fi
    if have soak_server_worst_max_ms; then
        row "soak: no 10 s window with max > 50 ms" "$(get soak_server_windows_over_50ms) windows over; worst max $(get soak_server_worst_max_ms) ms (no-op server: $(get soak_noop_windows_over_50ms) over, worst $(get soak_noop_worst_max_ms) ms; log writes over 25.6 ms: $(get soak_log_writes_over_25ms)$([[ -z $(get soak_damon_paged_out_mb) ]] || echo "; DAMON paged out $(get soak_damon_paged_out_mb) MB"))" \
            "$(test_of "$(get soak_server_windows_over_50ms) == 0")"
    fi
    if have healthz_rps driver_healthz_achieved; then
        row "driver: >= 0.5 x wrk's /healthz rate, corrected p99 <= 2 ms" \
            "$(get driver_healthz_achieved) req/s, p99 $(get driver_healthz_p99_ms) ms; CPU per request: driver $(get driver_healthz_driver_us) µs, wrk $(get healthz_wrk_us) µs" \
            "$(test_of "$(get driver_healthz_achieved) >= 0.5 * $(get healthz_rps) * 0.98 && $(get driver_healthz_p99_ms) <= 2")"
    fi
    if have gateway_unique_id_rps allinone_unique_id_rps; then
        r=$(calc "$(get gateway_unique_id_rps) / $(get allinone_unique_id_rps)" 2)
        row "one process per function >= 0.6 x all-in-one (unique-id, no storage)" "$(get gateway_unique_id_rps) vs $(get allinone_unique_id_rps) req/s = $r" "$(test_of "$r >= 0.6")"
    fi
    if have memory_bytes_per_post; then
        row "embedded: <= 1.5 KB RSS per post at $(get memory_posts) posts" "$(get memory_bytes_per_post) B per post ($(get memory_rss_loaded_kb) kB loaded, $(get memory_rss_graph_kb) kB before the posts)" \
            "$(test_of "$(get memory_bytes_per_post) <= 1536")"
        row "embedded: replay <= 10 s" "$(get memory_replay_s) s for a $(get memory_log_mb) MB log" "$(test_of "$(get memory_replay_s) <= 10")"
    fi
    if have mongo_mixed_rps; then # no target: what the MongoDB-backed deployment does, warm
        for kind in home_timeline user_timeline compose mixed; do
            row "MongoDB-backed (FerretDB on $(get mongo_ferretdb_handler)), $kind, closed loop" \
                "$(get mongo_${kind}_rps) req/s, p99 $(get mongo_${kind}_p99_ms) ms, $(get mongo_${kind}_non2xx) non-2xx$( [[ -z $(get mongo_warmup_${kind}_s) ]] || echo "; warm-up $(get mongo_warmup_${kind}_s) s, $(get mongo_warmup_${kind}_failed) failed")" -
        done
    fi
}

if [[ -z "${DS_BENCH_SERVICES_PHASE:-}" ]]; then
    missing=()
    for tool in wrk jq curl; do command -v $tool >/dev/null || missing+=("$tool"); done
    [[ -x /usr/bin/time ]] || missing+=(time)
    if ((${#missing[@]})); then
        sudo=(); [[ $(id -u) -eq 0 ]] || sudo=(sudo)
        "${sudo[@]}" apt-get update && "${sudo[@]}" apt-get install -y "${missing[@]}"
    fi
    cargo build --release -p deathstar -p deathstar-bench -p deathstar-openfaas -p deathstar-tests --bins
    cargo build --release -p deathstar-http --example hello
    : >"$figures"
    { echo "# $(date -u +%FT%TZ) on $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
      echo "# commit $(git rev-parse --short HEAD)"; } | tee "$out/summary.txt"

    if [[ $phases == *" ceiling "* ]]; then
        log "ceiling: axum hello world, and the all-in-one server's /healthz"
        "$root/target/release/examples/hello" 127.0.0.1:$PORT & pid=$!
        wait_up "$URL/"
        SERVER_PID=$pid closed_loop hello-world - "$URL/"
        stop $pid
        data=$(mktemp -d)
        start_embedded "$data" "$out/ceiling-server.log"
        SERVER_PID=$pid closed_loop healthz - "$URL/healthz"
        log "the open-loop driver against /healthz at half wrk's rate"
        before=$(cpu_s $pid)
        open_loop driver-healthz "$(calc "$(get healthz_rps) / 2" 0)" 25s --warmup 5s --workload healthz
        say "server CPU per request under the driver: $(calc "($(cpu_s $pid) - $before) * 1e6 / ($(jq '.counts.requests + .warmup_counts.requests' "$out/driver-healthz.json"))" 1) µs"
        stop $pid; rm -rf "$data"
    fi

    if [[ $phases == *" embedded "* || $phases == *" soak "* ]]; then
        log "all-in-one, embedded store (--fsync 100ms, the default): socfb-Reed98, 10 posts per user"
        data=$(mktemp -d)
        start_embedded "$data" "$out/embedded-server.log"
        init_graph embedded 10
        [[ -n $(get healthz_rps) ]] || SERVER_PID=$pid closed_loop healthz - "$URL/healthz"
        if [[ $phases == *" embedded "* ]]; then
            log "embedded: closed loop (wrk -t2 -c32, 10 s)"
            for lua in home-timeline user-timeline compose mixed; do
                SERVER_PID=$pid closed_loop "embedded-$lua" "$lua.lua" "$URL"
            done
            log "embedded: open loop, mixed at 0.25 x wrk's /healthz rate, 30 s"
            open_loop embedded-mixed-quarter "$(calc "$(get healthz_rps) / 4" 0)" 40s --warmup 10s \
                --workload mixed --plot "$out/embedded-mixed-quarter.svg"
            for workload in mixed compose; do
                slo=5; [[ $workload == compose ]] && slo=10
                log "embedded: highest $workload rate with corrected p99 <= $slo ms (open loop)"
                # Fine steps from 1/64 of the ceiling: the sweep stops at the first rate that
                # fails, and a knee at 1/16 or below (compose, mixed) needs steps finer than that.
                step=$(calc "$(get healthz_rps) / 64" 0)
                "$B" sweep --target "$URL" --workload $workload --start-rate "$step" --step "$step" \
                    --max-rate "$(calc "$(get healthz_rps) / 2" 0)" --slo-p99-ms $slo --duration 12s --warmup 4s \
                    --connections "$OPEN_CONNECTIONS" --seed 7 --json "$out/embedded-sweep-$workload.json" \
                    >"$out/embedded-sweep-$workload.txt" 2>&1 || true
                tail -n 4 "$out/embedded-sweep-$workload.txt" | tee -a "$out/summary.txt"
                figure "embedded_knee_${workload}" "$(jq '.highest_sustained_rps // 0' "$out/embedded-sweep-$workload.json")"
            done
        fi
        if [[ $phases == *" soak "* ]]; then
            knee=$(get embedded_knee_mixed)
            if [[ -n $knee && $knee != 0 ]]; then
                rate=$(calc "$knee * 0.7" 0); why="70 % of the knee, $knee"
            else
                # No rate met the SLO (or the sweep did not run): half the sweep's first step,
                # a rate the server sustains, so the soak shows stalls and not a backlog.
                rate=$(calc "$(get healthz_rps) / 128" 0); why="no knee found: 1/128 of /healthz"
            fi
            figure soak_rate "$rate"
            log "soak: mixed at $rate req/s ($why) for ${DS_SOAK:-600s}, 10 s windows"
            # Where the server waits in the kernel, to tell a window's stall there (writeback,
            # page faults) from one in the process; root only.
            waits=; [[ $(id -u) -ne 0 ]] || { scripts/kernel-waits.py $pid >"$out/soak-server.kernel-waits" & waits=$!; }
            soak_start=$(date +%s.%N) paged_before=$(damon_paged_out)
            open_loop soak-server "$rate" "${DS_SOAK:-600s}" --workload mixed --window 10s --server-pid $pid
            [[ -z $waits ]] || kill $waits 2>/dev/null || true
            curl -s "$URL/metrics" >"$out/soak-server.metrics"
            [[ -z $paged_before ]] || figure soak_damon_paged_out_mb $(( ($(damon_paged_out) - paged_before) >> 20 ))
            # write(2)s of the log (every compose waits for its record's) over 25.6 ms, of all.
            figure soak_log_writes_over_25ms "$(awk '/^deathstar_embedded_log_write_duration_seconds_bucket/ {
                if ($1 ~ /le="0.0256"/) under = $2; if ($1 ~ /le="\+Inf"/) all = $2 } END {print all - under " of " all}' "$out/soak-server.metrics")"
            if [[ -n $waits ]]; then
                jq -r '.windows[] | select(.max_ms > 50) | .start_s' "$out/soak-server.json" | while read -r s; do
                    say "  kernel waits in the window from $s s (samples of 10 ms, by thread and innermost frames):"
                    awk -v from="$(calc "$soak_start + $s")" -v to="$(calc "$soak_start + $s + 10")" \
                        '$1 >= from && $1 < to {print "   ", $2, $3, $5, $7}' "$out/soak-server.kernel-waits" |
                        sort | uniq -c | sort -rn | head -n 5 | tee -a "$out/summary.txt"
                done
            fi
            jq -r '.windows[] | "\(.start_s) \(.p999_ms) \(.max_ms) \(.server_rss_kb)"' "$out/soak-server.json" >"$out/soak-server.windows"
            awk '/from s/,0' "$out/soak-server.txt" >>"$out/summary.txt"
            figure soak_server_worst_max_ms "$(jq '[.windows[].max_ms] | max' "$out/soak-server.json")"
            figure soak_server_windows_over_50ms "$(jq '[.windows[] | select(.max_ms > 50)] | length' "$out/soak-server.json")"
        fi
        say "server RSS after the runs: $(rss_kb $pid) kB"
        stop $pid; rm -rf "$data"
        if [[ $phases == *" soak "* ]]; then
            log "soak: the same schedule of health checks against hello world (a no-op server)"
            "$root/target/release/examples/hello" 127.0.0.1:$PORT & pid=$!
            wait_up "$URL/"
            open_loop soak-noop "$rate" "${DS_SOAK:-600s}" --workload healthz --window 10s --server-pid $pid
            awk '/from s/,0' "$out/soak-noop.txt" >>"$out/summary.txt"
            figure soak_noop_worst_max_ms "$(jq '[.windows[].max_ms] | max' "$out/soak-noop.json")"
            figure soak_noop_windows_over_50ms "$(jq '[.windows[] | select(.max_ms > 50)] | length' "$out/soak-noop.json")"
            stop $pid
        fi
    fi

    if [[ $phases == *" memory "* ]]; then
        posts=${DS_MEMORY_POSTS:-1000000}
        per_user=$(( (posts + 961) / 962 ))
        log "memory: $((per_user * 962)) posts ($per_user per user of socfb-Reed98) in the embedded store"
        data=$(mktemp -d)
        start_embedded "$data" "$out/memory-server.log"
        init_graph memory-graph 0
        graph_kb=$(rss_kb $pid)
        start_s=$(date +%s.%N)
        INIT_CONCURRENCY=32 init_graph memory-posts "$per_user" --posts-only
        figure memory_load_s "$(seconds_since "$start_s")"
        loaded_kb=$(rss_kb $pid)
        figure memory_posts "$((per_user * 962))"
        figure memory_rss_graph_kb "$graph_kb"
        figure memory_rss_loaded_kb "$loaded_kb"
        figure memory_bytes_per_post "$(calc "($loaded_kb - $graph_kb) * 1024 / $((per_user * 962))" 0)"
        SERVER_PID=$pid closed_loop memory-home-timeline home-timeline.lua "$URL"
        stop $pid
        figure memory_log_mb "$(du -m "$data/deathstar.log" | cut -f1)"
        # Replay: from spawn to the first answer, and the store's own figure from its log.
        start_s=$(date +%s.%N)
        start_embedded "$data" "$out/memory-replay.log"
        figure memory_replay_s "$(seconds_since "$start_s" 2)"
        figure memory_rss_replayed_kb "$(rss_kb $pid)"
        SERVER_PID=$pid closed_loop memory-replayed-home-timeline home-timeline.lua "$URL"
        stop $pid; rm -rf "$data"
    fi

    if [[ $phases == *" gateway "* || $phases == *" mongo "* ]]; then
        DS_FERRETDB_HANDLER=${DS_FERRETDB_HANDLER:-postgresql} DS_BENCH_SERVICES_PHASE=1 \
            scripts/with-services.sh "$0" "$out"
    fi
    targets_table | tee "$out/targets.md"
    exit 0
fi

# --- under with-services.sh: MongoDB (FerretDB) + Redis ---------------------------------------
log "services: FerretDB 1.24.2 on ${DS_FERRETDB_HANDLER:-sqlite}, Redis"
# The gateway path, without storage: the same function through one HTTP hop (the all-in-one
# server's /function/ route) and through two (gateway, then the function's own process).
if [[ $phases == *" gateway "* ]]; then
log "gateway path: unique-id in the all-in-one server, then one process per function"
# Open auth: wrk is a client, and unique-id answers only functions otherwise.
DS_AUTH=open DS_NAMESPACE=allinone_ "$root/target/release/deathstar" --listen 127.0.0.1:$PORT \
    --data-dir "$(mktemp -d)" >"$out/allinone-server.log" 2>&1 & pid=$!
wait_up "$URL/healthz"
SERVER_PID=$pid closed_loop allinone-unique-id unique-id.lua "$URL/function/unique-id-service-upload-unique-id"
stop $pid
# The all-in-one server's namespace: its collections exist, so the ~30 processes do not all
# create the same ones at once (FerretDB on PostgreSQL took over 3 s to answer them then).
DS_AUTH=open DS_NAMESPACE=allinone_ "$root/target/release/deathstar-deploy" --auth open --listen 127.0.0.1:$PORT \
    >"$out/per-function.log" 2>&1 & pid=$!
for _ in $(seq 1 600); do
    grep -q "gateway at" "$out/per-function.log" && break
    kill -0 $pid 2>/dev/null || { echo "deathstar-deploy stopped; see $out/per-function.log" >&2; exit 1; }
    sleep 0.1
done
grep -q "gateway at" "$out/per-function.log" || { echo "deathstar-deploy not up in 60 s" >&2; exit 1; }
closed_loop gateway-unique-id unique-id.lua "$URL/function/unique-id-service-upload-unique-id"
stop $pid
fi

# MongoDB-backed, all in one process, Redis in front, warm (below). On the first MONGO_USERS users
# of Reed98 (the graph among them): the whole graph with 10 posts per user took 22 minutes to load
# on FerretDB over PostgreSQL, and then every post read ran past the 3 s storage deadline: it is
# one `$in` find, and `$in` is not among the operators FerretDB 1.24 pushes down to PostgreSQL,
# so each one reads the whole collection (2026-12-03).
[[ $phases == *" mongo "* ]] || exit 0
mongo_users=${MONGO_USERS:-300}
figure mongo_ferretdb_handler "${DS_FERRETDB_HANDLER:-sqlite}"
log "all-in-one, MongoDB (FerretDB on ${DS_FERRETDB_HANDLER:-sqlite}) + Redis: the first $mongo_users users of socfb-Reed98, ${MONGO_POSTS_PER_USER:-3} posts per user"
graph=$out/reed98-first-$mongo_users.edges
awk -v n="$mongo_users" '$1 < n && $2 < n' "$DATASET" >"$graph"
echo "$mongo_users" >"${graph%.edges}.nodes"
DS_NAMESPACE=mongo_redis_ "$root/target/release/deathstar" --listen 127.0.0.1:$PORT \
    --data-dir "$(mktemp -d)" >"$out/mongo-server.log" 2>&1 & pid=$!
wait_up "$URL/healthz"
start_s=$(date +%s.%N)
DATASET=$graph init_graph mongo "${MONGO_POSTS_PER_USER:-3}"
figure mongo_load_s "$(seconds_since "$start_s")"
export users=$mongo_users # read by scripts/wrk/common.lua
# Warm = every post a page of wrk's can name is in Redis: each timeline read whole (wrk's pages
# start in [0, 100]) right before the row that reads it, since the post cache keeps a post 60 s
# (DSB's expiry) and a cold read on FerretDB takes seconds.
warm() { # ROW KIND... (home-timeline, user-timeline)
    local row=$1 start_s; shift; start_s=$(date +%s.%N)
    for user in $(seq 0 $((mongo_users - 1))); do
        for kind in "$@"; do echo "$URL/wrk2-api/$kind/read?user_id=$user&start=0&stop=111"; done
    done | xargs -P 8 -n 1 curl -s -o /dev/null -w '%{http_code}\n' >"$out/mongo-warmup-codes.txt" || true
    figure "mongo_warmup_${row//-/_}_s" "$(seconds_since "$start_s")"
    figure "mongo_warmup_${row//-/_}_failed" "$(grep -vc '^200$' "$out/mongo-warmup-codes.txt" || true)"
}
for lua in home-timeline user-timeline compose mixed; do
    case $lua in
        home-timeline | user-timeline) warm "$lua" "$lua" ;;
        mixed) warm mixed home-timeline user-timeline ;;
    esac
    SERVER_PID=$pid closed_loop "mongo-$lua" "$lua.lua" "$URL"
done
stop $pid
