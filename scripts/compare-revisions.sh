#!/usr/bin/env bash
# The same benchmark on two revisions of the code, in one run on one machine, so that a change's
# effect is not mistaken for the machine's (its speed varies from run to run).
#
# Usage: scripts/compare-revisions.sh BEFORE [AFTER] [ROUNDS]   (AFTER: the working tree; ROUNDS: 3)
#
# Builds the all-in-one server (release) of each revision, then for each round and each
# revision in turn: starts it fresh on an empty embedded store, loads socfb-Reed98 with 10 posts
# per user (deathstar-bench init-graph), and runs wrk (2 threads, 32 connections, 10 s) on
# /healthz (the server's ceiling) and on DSB's mixed workload (scripts/wrk/mixed.lua). Prints
# each run and, per revision, the median req/s and the median mixed/healthz ratio. The
# generator shares the cores with the server, as in docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
before=${1:?usage: $0 BEFORE [AFTER] [ROUNDS]}
after=${2:-}
rounds=${3:-3}
PORT=18090
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; git worktree remove --force "$work/src" 2>/dev/null || true; rm -rf "$work"' EXIT
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }

# The release server of revision $1 (empty: the working tree) as $work/bin/$2.
build() {
    local rev=$1 name=$2 src=$root target=$root/target
    if [[ -n $rev ]]; then
        git worktree add --detach -f "$work/src" "$rev" >/dev/null 2>&1
        # A target dir of its own: in a shared one, cargo takes the other tree's newer
        # artifacts of the same crates for fresh.
        src=$work/src target=$root/target/compare
    fi
    (cd "$src" && CARGO_TARGET_DIR=$target cargo build -q --release -p deathstar)
    mkdir -p "$work/bin"
    cp "$target/release/deathstar" "$work/bin/$name"
    [[ -z $rev ]] || git worktree remove --force "$work/src"
}

echo "# $(date -u +%FT%TZ), $(nproc) cores: before = $before ($(git rev-parse --short "$before")), after = ${after:-working tree at $(git rev-parse --short HEAD)}"
build "$before" before
build "$after" after
cargo build -q --release -p deathstar-bench
bench=$root/target/release/deathstar-bench

wait_up() { for _ in $(seq 1 600); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done; return 1; }
rps() { awk '/Requests\/sec/ {print $2}' "$1"; }

for round in $(seq 1 "$rounds"); do
    for name in before after; do
        data=$(mktemp -d)
        "$work/bin/$name" --listen 127.0.0.1:$PORT --data-dir "$data" >"$work/$name.log" 2>&1 &
        pid=$!
        wait_up "http://127.0.0.1:$PORT/healthz"
        "$bench" init-graph --target "http://127.0.0.1:$PORT" \
            --dataset "$root/datasets/socfb-Reed98/socfb-Reed98.edges" --posts-per-user 10 \
            --concurrency 200 >"$work/init.txt" 2>&1
        wrk -t2 -c32 -d10s "http://127.0.0.1:$PORT/healthz" >"$work/healthz.txt" 2>&1
        wrk -t2 -c32 -d10s -s "$root/scripts/wrk/mixed.lua" "http://127.0.0.1:$PORT" >"$work/mixed.txt" 2>&1
        kill -INT $pid; wait $pid 2>/dev/null || true
        rm -rf "$data"
        h=$(rps "$work/healthz.txt"); m=$(rps "$work/mixed.txt")
        errors=$(awk '/Non-2xx/ {print $5}' "$work/mixed.txt" | grep . || echo 0)
        printf '%s round %d: healthz %10.0f req/s  mixed %10.0f req/s  ratio %.3f  (mixed non-2xx: %s)\n' \
            "$name" "$round" "$h" "$m" "$(awk -v m="$m" -v h="$h" 'BEGIN {print m / h}')" "$errors"
        echo "$name $h $m" >>"$work/results"
    done
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
for name in before after; do
    h=$(awk -v n=$name '$1==n {print $2}' "$work/results" | median)
    m=$(awk -v n=$name '$1==n {print $3}' "$work/results" | median)
    r=$(awk -v n=$name '$1==n {print $3/$2}' "$work/results" | median)
    printf '%-6s median: healthz %10.0f req/s  mixed %10.0f req/s  mixed/healthz %.3f\n' "$name" "$h" "$m" "$r"
done
