#!/usr/bin/env bash
# Run a command with throwaway Redis and FerretDB (MongoDB wire protocol) servers; FerretDB keeps
# its data in SQLite, or with DS_FERRETDB_HANDLER=postgresql in a throwaway PostgreSQL cluster.
#
# Usage: scripts/with-services.sh CMD [ARGS...]
#   e.g. scripts/with-services.sh cargo test --workspace
#
# Both servers listen on free loopback ports, keep their data and logs in a fresh temp dir,
# and are stopped (and the temp dir removed) when the command exits. The script exits with
# the command's exit status. The command sees:
#   REDIS_SERVER=127.0.0.1  REDIS_PORT=<port>  MONGO_URI=mongodb://127.0.0.1:<port>/
#   DS_REDIS_SERVER_BIN, DS_FERRETDB_BIN   server binaries, so tests can restart a server
#   DS_SERVICES_DIR                        the temp dir (logs, data, *.pid files)
#   DS_FERRETDB_HANDLER                    sqlite or postgresql, as chosen
#   DS_POSTGRESQL_URL                      (postgresql only) the URL FerretDB was given
# Layout of DS_SERVICES_DIR: redis/ (redis --dir), ferret/ (SQLite data), ferret-state/,
# redis.log, ferretdb.log, redis.pid, ferretdb.pid; with postgresql also pg/ (the cluster),
# postgres.log, postgres.pid. A test that restarts a server itself (same flags as this script
# uses, same dirs) should write the new pid to redis.pid or ferretdb.pid so that cleanup
# still stops it.
#
# Env knobs: DS_SERVICES_TIMEOUT (seconds to wait for readiness, default 30),
#            DS_CACHE_DIR (FerretDB build cache, see scripts/ferretdb.sh),
#            DS_FERRETDB_HANDLER (sqlite, the default, or postgresql: FerretDB then pushes
#              filters down to a PostgreSQL cluster made with initdb in DS_SERVICES_DIR, from
#              Debian's postgresql package, installed with apt-get if missing; much faster
#              finds than SQLite, whose filters FerretDB evaluates itself).
set -euo pipefail

log() { printf 'with-services.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [[ $# -eq 0 ]]; then
    sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}" >&2
    exit 2
fi

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
timeout_s="${DS_SERVICES_TIMEOUT:-30}"

handler="${DS_FERRETDB_HANDLER:-sqlite}"
case "$handler" in
sqlite | postgresql) ;;
*) die "DS_FERRETDB_HANDLER must be sqlite or postgresql, not '$handler'" ;;
esac

# --- prerequisites ------------------------------------------------------------------------

apt_updated=""
# Installs Debian packages; `apt-get update` once per run, before the first install.
apt_install() {
    local sudo
    if [[ "$(id -u)" -eq 0 ]]; then
        sudo=()
    elif command -v sudo >/dev/null 2>&1; then
        sudo=(sudo)
    else
        die "$* missing and we are not root and sudo is unavailable"
    fi
    # Output to stderr: stdout belongs to the wrapped command.
    if [[ -z "$apt_updated" ]]; then
        "${sudo[@]}" apt-get update >&2
        apt_updated=1
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >&2
}

if ! command -v redis-server >/dev/null 2>&1; then
    log "redis-server not found; installing it with apt-get"
    apt_install redis-server
    command -v redis-server >/dev/null 2>&1 || die "redis-server still not found after install"
fi
redis_bin="$(command -v redis-server)"

# Debian's postgresql package puts its servers outside PATH, one dir per major version.
find_pg_bin() {
    local d
    for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r); do
        if [[ -x "$d/initdb" && -x "$d/postgres" && -x "$d/pg_isready" && -x "$d/createdb" ]]; then
            echo "$d"
            return 0
        fi
    done
    return 1
}
pg_bin=""
pg_user=()
if [[ "$handler" == postgresql ]]; then
    if ! pg_bin="$(find_pg_bin)"; then
        log "PostgreSQL not found; installing Debian's postgresql package with apt-get"
        apt_install postgresql
        pg_bin="$(find_pg_bin)" || die "PostgreSQL's initdb still not found after install"
    fi
    # PostgreSQL refuses to run as root: as root, run it as the package's postgres user.
    if [[ "$(id -u)" -eq 0 ]]; then
        id postgres >/dev/null 2>&1 || die "running as root, but there is no postgres user to run PostgreSQL as"
        # setpriv execs, so a started server's pid is the server's own.
        pg_user=(setpriv --reuid=postgres --regid=postgres --init-groups --)
    fi
fi
postgres_bin="${pg_bin:+$pg_bin/postgres}"

# Built once and cached; prints only the path on stdout.
ferretdb_bin="$("$script_dir/ferretdb.sh")" || die "could not build FerretDB (see output above)"

# --- lifecycle ------------------------------------------------------------------------------

redis_pid=""
ferret_pid=""
pg_pid=""

# A still-running background job of this shell is certainly one of our servers.
is_our_child() { [[ " $(jobs -pr | tr '\n' ' ') " == *" $1 "* ]]; }

# Pids from pid files may be stale and reused: only trust them if they run the server binary.
runs_binary() {
    local exe
    exe="$(readlink "/proc/$1/exe" 2>/dev/null)" || return 1
    exe="${exe% (deleted)}" # binary replaced on disk while running (rebuild, apt upgrade)
    [[ "$(readlink -f "$exe")" == "$(readlink -f "$2")" ]]
}

# SIGTERM, up to 5 s for a graceful shutdown, then SIGKILL.
stop_pid() {
    local pid="$1" exe="$2" i
    [[ "$pid" =~ ^[0-9]+$ ]] || return 0
    if ! is_our_child "$pid" && ! runs_binary "$pid" "$exe"; then
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0 # bash reaps its children itself
        sleep 0.1
    done
    log "pid $pid did not exit after SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
}

stop_servers() {
    # Pid files first: tests that restarted a server write the new pid there.
    if [[ -f "$tmp/redis.pid" ]]; then
        stop_pid "$(cat "$tmp/redis.pid" 2>/dev/null || true)" "$redis_bin"
    fi
    if [[ -f "$tmp/ferretdb.pid" ]]; then
        stop_pid "$(cat "$tmp/ferretdb.pid" 2>/dev/null || true)" "$ferretdb_bin"
    fi
    # Then the processes we started, in case a pid file was removed or rewritten.
    if [[ -n "$redis_pid" ]]; then stop_pid "$redis_pid" "$redis_bin"; fi
    if [[ -n "$ferret_pid" ]]; then stop_pid "$ferret_pid" "$ferretdb_bin"; fi
    # PostgreSQL last, once its client (FerretDB) is gone: SIGTERM is its smart shutdown.
    if [[ -n "$postgres_bin" && -f "$tmp/postgres.pid" ]]; then
        stop_pid "$(cat "$tmp/postgres.pid" 2>/dev/null || true)" "$postgres_bin"
    fi
    if [[ -n "$pg_pid" ]]; then stop_pid "$pg_pid" "$postgres_bin"; fi
}

show_logs() {
    local f
    for f in "$tmp/redis.log" "$tmp/ferretdb.log" "$tmp/postgres.log"; do
        [[ -s "$f" ]] || continue
        log "--- last lines of $(basename "$f") ---"
        tail -n 30 "$f" >&2
    done
}

# shellcheck disable=SC2329 # invoked via the EXIT trap
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    set +e # best effort: a failing step must not skip removing the temp dir
    stop_servers
    rm -rf "$tmp"
    exit "$status"
}
tmp="$(mktemp -d "${TMPDIR:-/tmp}/ds-services.XXXXXX")"
trap cleanup EXIT
# Turn signals into an ordinary exit so the EXIT trap does the cleanup (128+signal status).
trap 'exit 130' INT
trap 'exit 143' TERM

# --- helpers ------------------------------------------------------------------------------

# Three distinct free loopback ports (Redis, FerretDB, PostgreSQL). All sockets stay bound until
# all ports are chosen so they differ; there is still a small window before the servers bind
# (handled by retrying).
pick_ports() {
    if command -v python3 >/dev/null 2>&1; then
        python3 - <<'EOF'
import socket
socks = []
for _ in range(3):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
    else
        # Fallback: random high ports that nothing answers on.
        local ports=() p
        while ((${#ports[@]} < 3)); do
            p=$((20000 + RANDOM % 40000))
            [[ " ${ports[*]-} " == *" $p "* ]] && continue
            (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
            ports+=("$p")
        done
        echo "${ports[*]}"
    fi
}

# Subshell bodies: the probe's fd 3 never leaks into the main shell.
redis_ready() (
    # Plain bash TCP: does not depend on redis-cli being installed.
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf 'PING\r\n' >&3
    reply=""
    IFS= read -r -t 2 reply <&3 || true
    [[ "$reply" == "+PONG"* ]]
)

ferret_ready() (
    # FerretDB only starts listening after its backend is set up, so accepting is enough.
    exec 3<>"/dev/tcp/127.0.0.1/$1"
)

# A fresh cluster in $1 owned by whoever runs PostgreSQL. Trust auth is safe enough: it listens
# only on 127.0.0.1 (no Unix socket) and lives as long as this run.
pg_init() {
    mkdir -p "$1"
    if ((${#pg_user[@]})); then
        chmod 711 "$tmp" # the postgres user must reach (not list) its dir inside ours
        chown postgres: "$1"
    fi
    "${pg_user[@]}" "$pg_bin/initdb" -D "$1" -U ferret --auth=trust --encoding=UTF8 \
        --no-instructions >"$tmp/initdb.log" 2>&1 || {
        tail -n 30 "$tmp/initdb.log" >&2
        die "initdb failed"
    }
}

# Starts PostgreSQL on port $1 in the background (sets pg_pid), waits until it accepts
# queries, and creates FerretDB's database. Returns 1 if it died, 2 on timeout.
pg_start() {
    local port="$1" deadline=$((SECONDS + timeout_s))
    # Throwaway data, as Redis's: no fsync, and durability traded for speed.
    "${pg_user[@]}" "$pg_bin/postgres" -D "$tmp/pg" -p "$port" -c listen_addresses=127.0.0.1 \
        -c unix_socket_directories= -c fsync=off -c synchronous_commit=off \
        -c full_page_writes=off >"$tmp/postgres.log" 2>&1 &
    pg_pid=$!
    echo "$pg_pid" >"$tmp/postgres.pid"
    until "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U ferret -d postgres; do
        if ! kill -0 "$pg_pid" 2>/dev/null; then
            log "PostgreSQL exited during startup"
            return 1
        fi
        if ((SECONDS >= deadline)); then
            log "PostgreSQL not ready on 127.0.0.1:$port after ${timeout_s}s"
            return 2
        fi
        sleep 0.1
    done
    "$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U ferret ferretdb >&2 || {
        log "createdb failed"
        return 2
    }
}

# Wait for both servers. Returns 0 when ready, 1 if a server died (e.g. port taken), 2 on timeout.
wait_ready() {
    local deadline=$((SECONDS + timeout_s)) r_ok="" f_ok=""
    while :; do
        [[ -z "$r_ok" ]] && redis_ready "$redis_port" 2>/dev/null && r_ok=1
        [[ -z "$f_ok" ]] && ferret_ready "$ferret_port" 2>/dev/null && f_ok=1
        [[ -n "$r_ok" && -n "$f_ok" ]] && return 0
        if ! kill -0 "$redis_pid" 2>/dev/null; then
            log "redis-server exited during startup"
            return 1
        fi
        if ! kill -0 "$ferret_pid" 2>/dev/null; then
            log "FerretDB exited during startup"
            return 1
        fi
        if ((SECONDS >= deadline)); then
            [[ -z "$r_ok" ]] && log "redis-server not ready on 127.0.0.1:$redis_port after ${timeout_s}s"
            [[ -z "$f_ok" ]] && log "FerretDB not ready on 127.0.0.1:$ferret_port after ${timeout_s}s"
            return 2
        fi
        sleep 0.1
    done
}

# --- start ----------------------------------------------------------------------------------

started=""
for attempt in 1 2 3; do
    redis_port="" ferret_port="" pg_port=""
    read -r redis_port ferret_port pg_port < <(pick_ports) || true
    [[ -n "$redis_port" && -n "$ferret_port" && -n "$pg_port" ]] || die "could not pick free ports"

    rm -rf "$tmp/redis" "$tmp/ferret" "$tmp/ferret-state" "$tmp/pg"
    mkdir -p "$tmp/redis" "$tmp/ferret" "$tmp/ferret-state" # sqlite-url dir must already exist

    # PostgreSQL first: FerretDB checks its backend as it starts.
    if [[ "$handler" == postgresql ]]; then
        pg_init "$tmp/pg"
        rc=0
        pg_start "$pg_port" || rc=$?
        if ((rc != 0)); then
            show_logs
            stop_servers
            pg_pid=""
            rm -f "$tmp/postgres.pid"
            ((rc == 1 && attempt < 3)) || break # only a crash (likely a port race) is worth retrying
            log "retrying with new ports (attempt $((attempt + 1))/3)"
            continue
        fi
        backend_args=(--handler=postgresql
            "--postgresql-url=postgres://ferret@127.0.0.1:$pg_port/ferretdb")
    else
        backend_args=(--handler=sqlite "--sqlite-url=file:$tmp/ferret/")
    fi

    # No persistence: tests get a clean, fast, disposable server. --dir keeps any stray
    # dump (e.g. from a SAVE command) inside the temp dir.
    redis_args=(--port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no
        --daemonize no --dir "$tmp/redis" --pidfile "$tmp/redis.pid")
    "$redis_bin" "${redis_args[@]}" >"$tmp/redis.log" 2>&1 &
    redis_pid=$!

    # --debug-addr=- disables the metrics/pprof HTTP listener (default 127.0.0.1:8088 would
    # clash between parallel runs); telemetry off since there is no outside network.
    ferret_args=("${backend_args[@]}" "--state-dir=$tmp/ferret-state"
        "--listen-addr=127.0.0.1:$ferret_port" --telemetry=disable --debug-addr=-
        --log-level=error)
    "$ferretdb_bin" "${ferret_args[@]}" >"$tmp/ferretdb.log" 2>&1 &
    ferret_pid=$!
    echo "$ferret_pid" >"$tmp/ferretdb.pid" # FerretDB has no --pidfile flag

    rc=0
    wait_ready || rc=$?
    if ((rc == 0)); then
        started=1
        break
    fi
    show_logs
    stop_servers
    redis_pid="" ferret_pid="" pg_pid=""
    rm -f "$tmp/redis.pid" "$tmp/ferretdb.pid" "$tmp/postgres.pid"
    ((rc == 1 && attempt < 3)) || break # only a crash (likely a port race) is worth retrying
    log "retrying with new ports (attempt $((attempt + 1))/3)"
done
[[ -n "$started" ]] || die "services failed to start (server log tails above)"

if [[ "$handler" == postgresql ]]; then
    export DS_POSTGRESQL_URL="postgres://ferret@127.0.0.1:$pg_port/ferretdb"
    log "redis-server on 127.0.0.1:$redis_port, FerretDB on 127.0.0.1:$ferret_port over PostgreSQL on 127.0.0.1:$pg_port (dir $tmp)"
else
    log "redis-server on 127.0.0.1:$redis_port, FerretDB on 127.0.0.1:$ferret_port (dir $tmp)"
fi

export REDIS_SERVER=127.0.0.1
export REDIS_PORT="$redis_port"
export MONGO_URI="mongodb://127.0.0.1:$ferret_port/"
export DS_REDIS_SERVER_BIN="$redis_bin"
export DS_FERRETDB_BIN="$ferretdb_bin"
export DS_SERVICES_DIR="$tmp"
export DS_FERRETDB_HANDLER="$handler"

# Foreground, so the command keeps the terminal, stdin and Ctrl-C. The servers started with
# `&` ignore SIGINT (non-interactive bash), so a Ctrl-C stops only the command; cleanup then
# stops the servers.
status=0
"$@" || status=$?
if ((status != 0)); then
    # Help diagnose whether a server misbehaved.
    kill -0 "$redis_pid" 2>/dev/null || log "note: redis-server (pid $redis_pid) is no longer running"
    kill -0 "$ferret_pid" 2>/dev/null || log "note: FerretDB (pid $ferret_pid) is no longer running"
    if [[ -n "$pg_pid" ]]; then
        kill -0 "$pg_pid" 2>/dev/null || log "note: PostgreSQL (pid $pg_pid) is no longer running"
    fi
    show_logs
fi
exit "$status"
