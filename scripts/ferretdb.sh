#!/usr/bin/env bash
# Build FerretDB v1.24.2 (SQLite backend) once, cache the binary, and print its path on stdout.
#
# Used by scripts/with-services.sh to get a MongoDB-wire-compatible server for tests.
# Cache: ${DS_CACHE_DIR:-$HOME/.cache/deathstar}/ferretdb-v1.24.2
# All progress output goes to stderr; stdout carries only the binary path.
#
# Why not `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2`? That binary panics at
# start: build/version/version.go requires a generated build/version/version.txt (git-ignored,
# so absent from the module zip) whenever the main module is FerretDB itself. So we copy the
# module source to a temp dir, generate that file, and `go build` from there.
set -euo pipefail
# shellcheck source=scripts/go-build.sh
. "$(dirname "${BASH_SOURCE[0]}")/go-build.sh"

FERRETDB_VERSION=v1.24.2
FERRETDB_MODULE=github.com/FerretDB/FerretDB

go_build_begin ferretdb "$FERRETDB_VERSION" 1.24.0 # FerretDB's go.mod says `go 1.24`
log "building FerretDB $FERRETDB_VERSION with $go_version (first run only; takes a few minutes)"
go_module_source "$FERRETDB_MODULE"

# The generated files version.go reads; only version.txt is mandatory (must start with "v").
# commit.txt/branch.txt are left out: version.go then reports "unknown", and a made-up commit
# could contradict vcs.revision. package.txt just labels how this binary was produced.
printf '%s\n' "$FERRETDB_VERSION" >"$work/src/build/version/version.txt"
printf '%s\n' "deathstar-source" >"$work/src/build/version/package.txt"

log "compiling ./cmd/ferretdb"
(cd "$work/src" && go build -trimpath -o "$work/ferretdb" ./cmd/ferretdb) >&2

# Refuse to cache a binary that panics at start (the trap described above).
"$work/ferretdb" --version >&2 || die "built binary does not run"
go_build_install "$work/ferretdb"
