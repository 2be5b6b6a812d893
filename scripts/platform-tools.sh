#!/usr/bin/env bash
# Install the deployment platforms' real tools once, cache them, and print where they are.
#
# Usage: eval "$(scripts/platform-tools.sh)"
# Stdout carries only lines NAME=/abs/path (shell-quoted), one per tool this machine can have:
#   DS_CARGO_LAMBDA  cargo-lambda 1.9.2 (AWS Lambda; with ziglang 0.16.0 for cross builds)
#   DS_SAM           sam, aws-sam-cli 1.170.0
#   DS_CFN_LINT      cfn-lint 1.58.0
#   DS_PLATFORM_BIN  the venv's bin dir holding the three above; put it first on PATH so that
#                    `cargo lambda ...` finds `cargo-lambda` (cargo runs `cargo-<name>` from
#                    PATH) and cargo-lambda finds zig (`python3 -m ziglang` of the venv's python)
#   DS_OF_WATCHDOG   fwatchdog, OpenFaaS of-watchdog (built from the Go module proxy)
#   DS_FAAS_CLI      faas-cli, OpenFaaS CLI (built from the Go module proxy)
# A tool that cannot be had (e.g. the Go module proxy refuses the module) is reported on
# stderr and its line is left out; the script still exits 0. Callers test `[[ -n ${DS_X:-} ]]`.
# All progress output goes to stderr.
#
# Cache: ${DS_CACHE_DIR:-$HOME/.cache/deathstar}
#   platform-venv-<hash>/          one venv (pins + Python version hashed into the name)
#   platform-go/<tool>-<version>/  GOBIN of each Go tool
#   platform-go/<tool>-<version>.unavailable  why the last attempt failed (retried after a day)
# The Python tools go into that venv only, never into the system/pyenv Python.
#
# Env knobs: DS_CACHE_DIR; DS_PYTHON (interpreter for the venv, default python3, needs >= 3.10);
#            DS_OF_WATCHDOG_VERSION, DS_FAAS_CLI_VERSION (Go module versions; upstream tags
#            have no "v", e.g. 0.10.11, so the proxy resolves them to pseudo-versions);
#            DS_PLATFORM_TOOLS_RETRY=1 retries Go tools that failed less than a day ago
#            (a failure is remembered for a day so that every eval does not ask the proxy).
#
# Notes for callers:
#   - `cargo lambda watch` needs cargo-lambda on PATH: PATH="$DS_PLATFORM_BIN:$PATH" cargo lambda
#     watch ...  (or run "$DS_CARGO_LAMBDA" lambda watch ...: cargo passes "lambda" as argv[1]).
#   - Set SAM_CLI_TELEMETRY=0 when running sam.
#   - fwatchdog always binds its Prometheus listener on :8081 (hard-wired) and writes
#     $TMPDIR/.lock unless suppress_lock=true: two watchdogs on one host collide.
set -euo pipefail

# Python tools. aws-sam-cli 1.170.0 itself requires cfn-lint>=1.52,<1.59, and its `rust-tests`
# extra pins cargo-lambda==1.9.2 with ziglang==0.16.0, so the four share one venv cleanly.
PY_PINS=(cargo-lambda==1.9.2 ziglang==0.16.0 aws-sam-cli==1.170.0 cfn-lint==1.58.0)
MIN_PY_MINOR=10 # aws-sam-cli: Requires-Python >=3.10

# Go tools: NAME VAR MODULE-PACKAGE VERSION INSTALLED-BINARY-NAME
OF_WATCHDOG_VERSION="${DS_OF_WATCHDOG_VERSION:-0.10.11}"
FAAS_CLI_VERSION="${DS_FAAS_CLI_VERSION:-0.18.12}"
GO_TOOLS=(
    "fwatchdog DS_OF_WATCHDOG github.com/openfaas/of-watchdog $OF_WATCHDOG_VERSION of-watchdog"
    "faas-cli DS_FAAS_CLI github.com/openfaas/faas-cli $FAAS_CLI_VERSION faas-cli"
)

log() { printf 'platform-tools.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
emit() { printf '%s=%q\n' "$1" "$2"; }

cache_dir="${DS_CACHE_DIR:-$HOME/.cache/deathstar}"
python="${DS_PYTHON:-python3}"

# --- where things go -------------------------------------------------------------------------

command -v "$python" >/dev/null 2>&1 || die "$python not found (need Python >= 3.$MIN_PY_MINOR)"
py_version="$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
py_minor="$(cut -d. -f2 <<<"$py_version")"
((py_minor >= MIN_PY_MINOR)) || die "$python is $py_version; need >= 3.$MIN_PY_MINOR"

py_spec="python-$py_version ${PY_PINS[*]}"
py_hash="$(printf '%s' "$py_spec" | sha256sum | cut -c1-12)"
venv="$cache_dir/platform-venv-$py_hash"
stamp="$venv/.ds-platform-tools"

# A venv counts as installed once its stamp (written last, after the tools ran) matches the
# pins and its interpreter still starts (pyenv removing the base Python breaks it).
venv_ok() {
    [[ -f "$stamp" && "$(cat "$stamp")" == "$py_spec" ]] &&
        "$venv/bin/python" -c '' >/dev/null 2>&1 &&
        [[ -x "$venv/bin/cargo-lambda" && -x "$venv/bin/sam" && -x "$venv/bin/cfn-lint" ]]
}

go_bin_path() { # NAME VERSION -> path of the cached binary
    printf '%s/platform-go/%s-%s/%s' "$cache_dir" "$1" "$2" "$1"
}

# Path of the marker that records a failed attempt; "fresh" = less than a day old.
go_fail_marker() { printf '%s/platform-go/%s-%s.unavailable' "$cache_dir" "$1" "$2"; }
go_fail_fresh() {
    local m
    m="$(go_fail_marker "$1" "$2")"
    [[ "${DS_PLATFORM_TOOLS_RETRY:-0}" != 1 && -f "$m" && -n "$(find "$m" -mmin -1440 2>/dev/null)" ]]
}

# Every Go tool is either built or known (recently) to be unavailable.
all_go_settled() {
    local t name var pkg ver built
    for t in "${GO_TOOLS[@]}"; do
        read -r name var pkg ver built <<<"$t"
        [[ -x "$(go_bin_path "$name" "$ver")" ]] || go_fail_fresh "$name" "$ver" || return 1
    done
}

print_result() {
    local t name var pkg ver built bin
    if venv_ok; then
        emit DS_CARGO_LAMBDA "$venv/bin/cargo-lambda"
        emit DS_SAM "$venv/bin/sam"
        emit DS_CFN_LINT "$venv/bin/cfn-lint"
        emit DS_PLATFORM_BIN "$venv/bin"
    fi
    for t in "${GO_TOOLS[@]}"; do
        read -r name var pkg ver built <<<"$t"
        bin="$(go_bin_path "$name" "$ver")"
        if [[ -x "$bin" ]]; then
            emit "$var" "$bin"
        elif go_fail_fresh "$name" "$ver"; then
            log "$name not available ($(cat "$(go_fail_marker "$name" "$ver")")); $var not set"
        fi
    done
}

if venv_ok && all_go_settled; then
    print_result
    exit 0
fi

mkdir -p "$cache_dir"
# Serialize concurrent callers (e.g. parallel test jobs) so only one of them installs.
exec 9>"$cache_dir/.platform-tools.lock"
if command -v flock >/dev/null 2>&1; then
    flock 9
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/platform-tools.XXXXXX")"
trap 'chmod -R u+w "$work" 2>/dev/null || true; rm -rf "$work"' EXIT
# Without these, SIGTERM would kill bash before the EXIT trap removes the temp dir.
trap 'exit 130' INT
trap 'exit 143' TERM

# --- Python tools (PyPI) ----------------------------------------------------------------------

install_python_tools() {
    local start=$SECONDS
    log "installing ${PY_PINS[*]} into $venv (first run only; about a minute)"
    rm -rf "$venv" # a venv is not relocatable, so it is built in place; the stamp goes last
    "$python" -m venv "$venv" >&2
    # Isolate from the caller's pip/Python settings that would write elsewhere.
    env -u PYTHONPATH -u PIP_USER -u PIP_TARGET -u PIP_PREFIX \
        PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 \
        "$venv/bin/python" -m pip install --progress-bar off "${PY_PINS[@]}" >&2
    # Refuse to stamp tools that do not start.
    "$venv/bin/cargo-lambda" lambda --version >&2 || return 1
    SAM_CLI_TELEMETRY=0 "$venv/bin/sam" --version >&2 || return 1
    "$venv/bin/cfn-lint" --version >&2 || return 1
    printf '%s\n' "$py_spec" >"$stamp"
    log "python tools ready in $((SECONDS - start))s"
}

if ! venv_ok; then
    install_python_tools || log "warning: python tools failed to install; leaving them out"
fi

# --- Go tools (Go module proxy) ---------------------------------------------------------------

install_go_tool() { # NAME VAR PACKAGE VERSION BUILT-NAME
    local name=$1 pkg=$3 ver=$4 built=$5 start=$SECONDS bin gobin out reason
    bin="$(go_bin_path "$name" "$ver")"
    mkdir -p "$cache_dir/platform-go"
    gobin="$work/gobin-$name"
    out="$work/go-$name.log"
    log "building $name from $pkg@$ver"
    # Run from the temp dir so no surrounding go.mod is consulted; pin flags here instead of
    # inheriting the caller's GOFLAGS. CGO off: static binaries, no C toolchain needed.
    if ! (cd "$work" && GOBIN="$gobin" GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 \
        go install -trimpath "$pkg@$ver") >"$out" 2>&1; then
        sed 's/^/  go: /' "$out" >&2
        if grep -qE '403 Forbidden|not available' "$out"; then
            reason="the Go module proxy refused $pkg@$ver with 403 Forbidden"
        else
            reason="go install $pkg@$ver failed: $(grep -m1 . "$out" | cut -c1-200)"
        fi
        printf '%s, %s\n' "$reason" "$(date -u +%FT%TZ)" >"$(go_fail_marker "$name" "$ver")"
        log "warning: $reason; leaving $name out (retried after a day, or DS_PLATFORM_TOOLS_RETRY=1)"
        return 1
    fi
    [[ -x "$gobin/$built" ]] || { log "warning: go install produced no $built"; return 1; }
    rm -f "$(go_fail_marker "$name" "$ver")"
    mkdir -p "$(dirname "$bin")"
    mv -f "$gobin/$built" "$bin.tmp.$$"
    mv -f "$bin.tmp.$$" "$bin" # atomic: readers never see a half-written binary
    log "$name ready in $((SECONDS - start))s: $bin"
}

if command -v go >/dev/null 2>&1; then
    for t in "${GO_TOOLS[@]}"; do
        read -r name var pkg ver built <<<"$t"
        [[ -x "$(go_bin_path "$name" "$ver")" ]] && continue
        go_fail_fresh "$name" "$ver" && continue
        install_go_tool "$name" "$var" "$pkg" "$ver" "$built" || true
    done
else
    log "warning: go is not installed; leaving out the OpenFaaS tools"
fi

print_result
