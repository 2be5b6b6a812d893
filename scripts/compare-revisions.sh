#!/usr/bin/env bash
# The same benchmark on several revisions of the code, in one run on one machine, so that a
# change's effect is not mistaken for the machine's (its speed varies from run to run).
#
# Usage: scripts/compare-revisions.sh REV [REV...]
#   One REV: it against the working tree. More: those revisions, in the order given ("." names
#   the working tree). DS_ROUNDS rounds (3); in each round every revision runs once, in turn.
#   DS_COMPARE picks the benchmark:
#   mixed   (default) a fresh server on an empty embedded store, socfb-Reed98 with 10 posts per
#           user (deathstar-bench init-graph), then wrk (2 threads, 32 connections, 10 s) on
#           /healthz (the server's ceiling) and on DSB's mixed workload (scripts/wrk/mixed.lua):
#           req/s of each, the mixed/healthz ratio and mixed's p99 (wrk --latency)
#   memory  a fresh server, the Reed98 graph, then DS_POSTS_PER_USER (312: 300,144) posts per
#           user: the RSS they added per post, then a restart on the same data: the replay's
#           time (spawn to first answer) and the RSS after it; also how long SIGINT took to
#           stop the loaded server
# Prints each run and the per-revision medians. The generator shares the cores with the server,
# as in docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
(($#)) || { echo "usage: $0 REV [REV...]" >&2; exit 2; }
revisions=("$@")
((${#revisions[@]} > 1)) || revisions+=(.)
rounds=${DS_ROUNDS:-3}
mode=${DS_COMPARE:-mixed}
[[ $mode == mixed || $mode == memory ]] || { echo "DS_COMPARE: mixed or memory, not $mode" >&2; exit 2; }
PORT=18090
URL=http://127.0.0.1:$PORT
DATASET=$root/datasets/socfb-Reed98/socfb-Reed98.edges
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; git worktree remove --force "$work/src" 2>/dev/null || true; rm -rf "$work"' EXIT
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }

# The release server of revision $1 ("." the working tree) as $work/bin/$2. A commit's server is
# kept in target/compare/bin under its hash: built once, whatever the later runs compare it with.
build() {
    local rev=$1 name=$2 src=$root target=$root/target kept
    mkdir -p "$work/bin" "$root/target/compare/bin"
    if [[ $rev != . ]]; then
        kept=$root/target/compare/bin/$(git rev-parse "$rev^{commit}")
        [[ -x $kept ]] && { cp "$kept" "$work/bin/$name"; return; }
        git worktree add --detach -f "$work/src" "$rev" >/dev/null 2>&1
        # A target dir of its own: in a shared one, cargo takes the other tree's newer
        # artifacts of the same crates for fresh.
        src=$work/src target=$root/target/compare
    fi
    (cd "$src" && CARGO_TARGET_DIR=$target cargo build -q --release -p deathstar)
    cp "$target/release/deathstar" "$work/bin/$name"
    [[ $rev == . ]] || { cp "$target/release/deathstar" "$kept"; git worktree remove --force "$work/src"; }
}

names=()
for rev in "${revisions[@]}"; do
    name=$([[ $rev == . ]] && echo tree || git rev-parse --short "$rev")
    names+=("$name")
    build "$rev" "$name"
done
echo "# $(date -u +%FT%TZ), $(nproc) cores, $mode: ${names[*]} (tree: the working tree at $(git rev-parse --short HEAD))"
cargo build -q --release -p deathstar-bench
bench=$root/target/release/deathstar-bench

source scripts/bench-common.sh # wait_up, rss_kb, wrk_p99_ms, seconds_since
rps() { awk '/Requests\/sec/ {print $2}' "$1"; }
start() { # NAME DATA
    "$work/bin/$1" --listen 127.0.0.1:$PORT --data-dir "$2" >>"$work/$1.log" 2>&1 &
    pid=$!
    wait_up "$URL/healthz"
}
init_graph() { # POSTS_PER_USER [ARGS...]
    local posts=$1; shift
    "$bench" init-graph --target "$URL" --dataset "$DATASET" --posts-per-user "$posts" "$@" >"$work/init.txt" 2>&1
}

# One round of the mixed benchmark; prints the figures "healthz mixed ratio mixed_p99_ms".
mixed() { # NAME
    local data; data=$(mktemp -d)
    start "$1" "$data"
    init_graph 10 --concurrency 200
    wrk -t2 -c32 -d10s "$URL/healthz" >"$work/healthz.txt" 2>&1
    wrk -t2 -c32 -d10s --latency -s "$root/scripts/wrk/mixed.lua" "$URL" >"$work/mixed.txt" 2>&1
    kill -INT $pid; wait $pid 2>/dev/null || true
    rm -rf "$data"
    local h m ratio p99 errors
    h=$(rps "$work/healthz.txt"); m=$(rps "$work/mixed.txt"); p99=$(wrk_p99_ms "$work/mixed.txt")
    ratio=$(awk -v m="$m" -v h="$h" 'BEGIN {print m / h}')
    errors=$(awk '/Non-2xx/ {print $5}' "$work/mixed.txt" | grep . || echo 0)
    printf '%s round %d: healthz %10.0f req/s  mixed %10.0f req/s  ratio %.3f  mixed p99 %s ms  (mixed non-2xx: %s)\n' \
        "$1" "$round" "$h" "$m" "$ratio" "$p99" "$errors" >&2
    echo "$h $m $ratio $p99"
}

# One round of the memory benchmark; prints "bytes_per_post load_s replay_s rss_after_replay_kb".
memory() { # NAME
    local data graph_kb loaded_kb began loaded stopped replayed posts
    data=$(mktemp -d)
    start "$1" "$data"
    init_graph 0 --concurrency 64
    graph_kb=$(rss_kb $pid)
    began=$(date +%s.%N)
    init_graph "${DS_POSTS_PER_USER:-312}" --posts-only --concurrency 32
    loaded=$(seconds_since "$began")
    loaded_kb=$(rss_kb $pid)
    posts=$(( ${DS_POSTS_PER_USER:-312} * 962 ))
    began=$(date +%s.%N)
    kill -INT $pid; wait $pid 2>/dev/null || true
    stopped=$(seconds_since "$began")
    began=$(date +%s.%N)
    start "$1" "$data"
    replayed=$(seconds_since "$began")
    local after_kb; after_kb=$(rss_kb $pid)
    kill -INT $pid; wait $pid 2>/dev/null || true
    rm -rf "$data"
    local per_post=$(( (loaded_kb - graph_kb) * 1024 / posts ))
    printf '%s round %d: %d posts, %d B per post (RSS %d kB, %d kB before the posts), loaded in %s s, stopped in %s s, replay %s s, RSS after it %d kB\n' \
        "$1" "$round" "$posts" "$per_post" "$loaded_kb" "$graph_kb" "$loaded" "$stopped" "$replayed" "$after_kb" >&2
    echo "$per_post $loaded $replayed $after_kb"
}

for round in $(seq 1 "$rounds"); do
    for name in "${names[@]}"; do
        echo "$name $($mode "$name")" >>"$work/results"
    done
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
column() { awk -v n="$1" -v c="$2" '$1 == n {print $c}' "$work/results" | median; }
for name in "${names[@]}"; do
    if [[ $mode == mixed ]]; then
        printf '%-8s median: healthz %10.0f req/s  mixed %10.0f req/s  mixed/healthz %.3f  mixed p99 %s ms\n' \
            "$name" "$(column "$name" 2)" "$(column "$name" 3)" "$(column "$name" 4)" "$(column "$name" 5)"
    else
        printf '%-8s median: %s B per post, loaded in %s s, replay %s s, RSS after it %s kB\n' \
            "$name" "$(column "$name" 2)" "$(column "$name" 3)" "$(column "$name" 4)" "$(column "$name" 5)"
    fi
done
