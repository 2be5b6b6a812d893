#!/usr/bin/env bash
# What a page of ds-net costs next to the JSON call it is built from, on one server: Debian's wrk
# (closed loop, -t2 -c32, 10 s each) against /healthz (the ceiling), the home page of a user who
# follows one author with 20 posts (each with a mention and a URL), the same page of posts as
# JSON from home-timeline-read-frontend, and the author's profile (4 function calls).
#
# Usage: scripts/pages-bench.sh [path of a release `deathstar` binary]
# Needs wrk and curl. Starts its own server on a free port with a throwaway data dir.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin="${1:-target/release/deathstar}"
dir="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
DS_PASSWORD_COST=minimal RUST_LOG=warn "$bin" --listen "127.0.0.1:$port" --data-dir "$dir/data" &
server=$!
trap 'kill $server; rm -rf "$dir"' EXIT
until curl -sf "$base/healthz" >/dev/null; do sleep 0.1; done

# Two users; ann follows bob; bob posts 20 times (the home page's one page).
signup() {
    curl -s -o /dev/null -c "$dir/$1.jar" -H "Origin: $base" \
        --data "first_name=F&last_name=L&username=$1&password=pw" "$base/signup"
}
signup ann
signup bob
token() { curl -s -b "$dir/$1.jar" "$base/contacts" | sed -nE 's/.*name="form_token" value="([0-9a-f]+)".*/\1/p' | head -n1; }
curl -s -o /dev/null -b "$dir/ann.jar" -H "Origin: $base" \
    --data "username=bob&form_token=$(token ann)" "$base/follow"
for i in $(seq 1 20); do
    curl -s -o /dev/null -b "$dir/bob.jar" -H "Origin: $base" -F "form_token=$(token bob)" \
        -F "text=post $i for @ann, see https://example.com/post/$i" "$base/compose"
done
cookie="$(sed -nE 's/.*\tlogin_token\t(.*)$/\1/p' "$dir/ann.jar")"
ann_id="$(curl -s "$base/function/get-user-id" -d '{"username":"ann"}' | sed -E 's/.*"user_id":"([0-9a-f]+)".*/\1/')"
cat >"$dir/home.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"user_id":"$ann_id","start":0,"stop":20}'
wrk.headers["Authorization"] = "Bearer $cookie"
LUA
[[ "$(curl -s -b "login_token=$cookie" "$base/" | grep -o '<article class="post">' | wc -l)" == 20 ]] ||
    { echo "the home page does not show 20 posts" >&2; exit 1; }

run() {
    local what="$1"
    shift
    printf '== %s\n' "$what"
    wrk -t2 -c32 -d10s --latency "$@" | grep -E 'Requests/sec|Latency +[0-9]|^ +(50|99)%|Non-2xx'
}
run "/healthz (ceiling)" "$base/healthz"
run "home page, 20 posts (HTML)" -H "Cookie: login_token=$cookie" "$base/"
run "home timeline, 20 posts (JSON, home-timeline-read-frontend)" -s "$dir/home.lua" "$base/function/home-timeline-read-frontend"
run "bob's profile (HTML, anonymous)" "$base/profile/bob"
run "login page (HTML)" "$base/login"
