#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls exactly this).
#
# On a fresh Debian machine with Rust installed, it installs what the tests need (curl,
# redis-server, Go to build FerretDB and Jaeger (the toolchains their go.mod files name, through
# GOTOOLCHAIN), cargo-lambda,
# aws-sam-cli and cfn-lint from PyPI, Debian's chromium and node with playwright-core from npm),
# checks formatting and lints, then runs every test of
# the workspace against the embedded store and against real servers: a redis-server and FerretDB v1.24.2 (MongoDB wire
# protocol, SQLite backend), started on loopback ports of their own by
# scripts/with-services.sh and stopped at the end, and Jaeger v1.76.0 (DS_JAEGER), which the
# trace tests start themselves. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf 'test.sh: %s\n' "$*" >&2; }

apt_install() {
    local sudo=()
    [[ "$(id -u)" -eq 0 ]] || sudo=(sudo)
    "${sudo[@]}" apt-get update >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >&2
}

command -v cargo >/dev/null || { log "Rust is needed: https://rustup.rs"; exit 1; }
command -v curl >/dev/null || apt_install curl ca-certificates

# FerretDB and Jaeger are built with the `go` command, which fetches the toolchain their go.mod
# asks for itself (GOTOOLCHAIN, scripts/go-build.sh) from Go 1.21 on. Debian 12's golang-go is
# 1.19: then it fetches once, by hand, the module GOTOOLCHAIN itself would (golang.org/toolchain
# of the Go module proxy), and the rest goes through GOTOOLCHAIN.
go_version() { go env GOVERSION 2>/dev/null | sed -E 's/^go//'; }
command -v go >/dev/null || apt_install golang-go
if [[ "$(printf '%s\n1.21\n' "$(go_version)" | sort -V | head -n1)" != 1.21 ]]; then
    toolchain="$(GOFLAGS=-modcacherw go mod download -json golang.org/toolchain@v0.0.1-go1.24.6.linux-amd64 |
        sed -nE 's/^\t"Dir": "(.*)",$/\1/p')"
    # Module zips keep no file modes; `go` sets them the same way when it switches toolchains.
    chmod +x "$toolchain"/bin/* "$toolchain"/pkg/tool/*/*
    export PATH="$toolchain/bin:$PATH"
fi

# FerretDB (for scripts/with-services.sh) and Jaeger v1.76.0 (for the trace tests), built in the
# background while the lints run (cold: ~3 and ~7 min, ~3 GB of Go caches; cached after).
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT # a failed lint stops them too
scripts/ferretdb.sh >/dev/null &
ferretdb_build=$!
jaeger_path="$(mktemp)"
scripts/jaeger.sh >"$jaeger_path" &
jaeger_build=$!

# cargo-lambda, aws-sam-cli and cfn-lint (PyPI, cached): for the cargo lambda watch test and
# the SAM template checks.
eval "$(scripts/platform-tools.sh)"
export DS_PLATFORM_BIN DS_CARGO_LAMBDA DS_SAM DS_CFN_LINT

# Debian's chromium (with a colour emoji font), node and playwright-core (npm, cached): the
# browser tests of the web pages (tests/browser, run by adapters/{local,openfaas}/tests).
eval "$(scripts/browser-tools.sh)"
export DS_CHROMIUM DS_PLAYWRIGHT

# A one-off build: incremental caches would only add disk (~1.3 GB) on a clean checkout.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

log "formatting and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
log "each crate on its own"
# Without the features its neighbours turn on: a crate that builds only inside the workspace
# fails for whoever builds it alone (deathstar-bench did, missing tokio's io-util).
for package in $(cargo metadata --no-deps --format-version 1 |
    python3 -c 'import json, sys; print(*(p["name"] for p in json.load(sys.stdin)["packages"]))'); do
    cargo check -q -p "$package"
done

wait "$ferretdb_build" || { log "building FerretDB failed"; exit 1; }
wait "$jaeger_build" || { log "building Jaeger failed"; exit 1; }
DS_JAEGER="$(cat "$jaeger_path")"
export DS_JAEGER

log "tests, embedded and MongoDB (FerretDB) + Redis"
# The MongoDB + Redis tests fail, rather than skip, if the servers are missing.
export DS_REQUIRE_BACKENDS=1
scripts/with-services.sh cargo test --workspace
scripts/fuzz.sh 20 # every cargo-fuzz target for 20 s (nightly; fails on a crash)

log "schemathesis against the local server's /openapi.json"
scripts/schemathesis.sh
