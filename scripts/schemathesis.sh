#!/usr/bin/env bash
# schemathesis against the local server: a second, independent sweep of every function,
# generated from the OpenAPI document the server serves (GET /openapi.json).
#
# Usage: scripts/schemathesis.sh [extra schemathesis run args...]
#
# Installs schemathesis (PyPI, pinned) once into a cached venv, builds and starts the local
# server (`deathstar`, adapters/local) on a free loopback port with a fresh data dir (embedded
# store), runs `schemathesis run <base>/openapi.json` with every check but the `Allow`
# header's, positive and negative data and a bounded number of examples per operation
# (scripts/schemathesis.toml says which checks are loosened, and why), stops the server and
# exits non-zero on any failure. A server that panics fails the run too: its log is searched
# for panics afterwards.
#
# Cache: ${DS_CACHE_DIR:-$HOME/.cache/deathstar}/schemathesis-venv-<hash> (pin + Python version).
# Env knobs: DS_CACHE_DIR; DS_PYTHON (default python3, needs >= 3.10);
#            DS_SCHEMATHESIS_EXAMPLES (max examples per operation, default 25);
#            DS_SCHEMATHESIS_SEED (default 1: the same cases every run, so a failure is
#            reproducible; set another to explore).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SCHEMATHESIS_PIN="schemathesis==4.32.5"

log() { printf 'schemathesis.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

cache_dir="${DS_CACHE_DIR:-$HOME/.cache/deathstar}"
python="${DS_PYTHON:-python3}"
examples="${DS_SCHEMATHESIS_EXAMPLES:-25}"
seed="${DS_SCHEMATHESIS_SEED:-1}"

command -v "$python" >/dev/null 2>&1 || die "$python not found"
py_version="$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
py_spec="python-$py_version $SCHEMATHESIS_PIN"
venv="$cache_dir/schemathesis-venv-$(printf '%s' "$py_spec" | sha256sum | cut -c1-12)"
stamp="$venv/.ds-schemathesis"

# --- install (once) ---------------------------------------------------------------------------

venv_ok() {
    [[ -f "$stamp" && "$(cat "$stamp")" == "$py_spec" ]] &&
        "$venv/bin/python" -c '' >/dev/null 2>&1 && [[ -x "$venv/bin/schemathesis" ]]
}

if ! venv_ok; then
    mkdir -p "$cache_dir"
    # Serialize concurrent callers so only one of them installs.
    exec 9>"$cache_dir/.schemathesis.lock"
    command -v flock >/dev/null 2>&1 && flock 9
    if ! venv_ok; then
        log "installing $SCHEMATHESIS_PIN into $venv (first run only)"
        rm -rf "$venv" # a venv is not relocatable: built in place, the stamp goes last
        "$python" -m venv "$venv" >&2
        env -u PYTHONPATH -u PIP_USER -u PIP_TARGET -u PIP_PREFIX \
            PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 \
            "$venv/bin/python" -m pip install --progress-bar off "$SCHEMATHESIS_PIN" >&2
        "$venv/bin/schemathesis" --version >&2 || die "schemathesis does not start"
        printf '%s\n' "$py_spec" >"$stamp"
    fi
fi

# --- server -----------------------------------------------------------------------------------

log "building the local server"
cargo build -q -p deathstar
server_bin="$(cargo metadata --format-version 1 --no-deps |
    "$python" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/debug/deathstar"
[[ -x "$server_bin" ]] || die "no server binary at $server_bin"

work="$(mktemp -d "${TMPDIR:-/tmp}/ds-schemathesis.XXXXXX")"
server_pid=""
# shellcheck disable=SC2329 # invoked via the EXIT trap
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    set +e
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$server_pid" 2>/dev/null
    fi
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
# --auth open: every function's body is reached (with the default `required`, a generated call of
# an internal function is a 403 before its input is read); tests/tests/access.rs checks `required`.
RUST_LOG=warn "$server_bin" --listen "127.0.0.1:$port" --data-dir "$work/data" --auth open \
    --auth-secret schemathesis-secret-schemathesis-secret >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
    curl -fsS "$base/healthz" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; die "the server exited"; }
    sleep 0.1
done
curl -fsS "$base/healthz" >/dev/null || die "the server did not come up on $base"
log "server on $base (data in $work/data)"

# --- run --------------------------------------------------------------------------------------

start=$SECONDS
status=0
(cd "$work" && SCHEMATHESIS_TELEMETRY=false "$venv/bin/schemathesis" \
    --config-file "$OLDPWD/scripts/schemathesis.toml" --no-color run "$base/openapi.json" \
    --checks all --exclude-checks allow_header_conformance --mode all --max-examples "$examples" --seed "$seed" \
    --generation-database none --suppress-health-check all --workers 2 "$@") || status=$?
log "schemathesis finished in $((SECONDS - start))s with status $status"

if ! kill -0 "$server_pid" 2>/dev/null; then
    log "the server died during the run"
    status=1
fi
if grep -q "panicked" "$work/server.log"; then
    log "the server panicked:"
    grep -A3 "panicked" "$work/server.log" | head -40 >&2
    status=1
fi
exit "$status"
