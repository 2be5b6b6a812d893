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

FERRETDB_VERSION=v1.24.2
FERRETDB_MODULE=github.com/FerretDB/FerretDB
MIN_GO_MINOR=24 # FerretDB's go.mod says `go 1.24`

log() { printf 'ferretdb.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

cache_dir="${DS_CACHE_DIR:-$HOME/.cache/deathstar}"
bin="$cache_dir/ferretdb-$FERRETDB_VERSION"

# A cached binary that can still report its version is good enough; anything else is rebuilt.
binary_ok() { [[ -x "$bin" ]] && "$bin" --version >/dev/null 2>&1; }

if binary_ok; then
    printf '%s\n' "$bin"
    exit 0
fi

command -v go >/dev/null 2>&1 || die "go is not installed (need Go >= 1.$MIN_GO_MINOR)"
mkdir -p "$cache_dir"

# Serialize concurrent callers (e.g. parallel test jobs) so only one of them builds.
exec 9>"$cache_dir/.ferretdb-$FERRETDB_VERSION.lock"
if command -v flock >/dev/null 2>&1; then
    flock 9
fi
if binary_ok; then # another process finished the build while we waited for the lock
    printf '%s\n' "$bin"
    exit 0
fi

# Use the installed toolchain if it is new enough; otherwise let Go fetch the one go.mod asks for.
go_version="$(GOTOOLCHAIN=local go env GOVERSION)" # e.g. go1.26.8
go_minor="$(sed -E 's/^go1\.([0-9]+).*/\1/' <<<"$go_version")"
if [[ "$go_minor" =~ ^[0-9]+$ ]] && ((go_minor >= MIN_GO_MINOR)); then
    export GOTOOLCHAIN=local
else
    log "installed $go_version is older than go1.$MIN_GO_MINOR; letting Go download the toolchain"
    export GOTOOLCHAIN=auto
fi
# Pin these here (not via inherited env) so the build does not depend on the caller's GOFLAGS.
export GOFLAGS="-mod=mod -buildvcs=false"
export CGO_ENABLED=0 # SQLite backend is pure Go (modernc.org/sqlite); static binary, no gcc needed

work="$(mktemp -d "${TMPDIR:-/tmp}/ferretdb-build.XXXXXX")"
trap 'chmod -R u+w "$work" 2>/dev/null || true; rm -rf "$work"' EXIT
# Without these, SIGTERM would kill bash before the EXIT trap removes the build dir.
trap 'exit 130' INT
trap 'exit 143' TERM

log "building FerretDB $FERRETDB_VERSION with $go_version (first run only; takes a few minutes)"

# Module cache files are read-only, so work on a writable copy of the source.
log "downloading module source"
mod_dir="$(cd "$work" && go mod download -json "$FERRETDB_MODULE@$FERRETDB_VERSION" |
    sed -nE 's/^[[:space:]]*"Dir": "(.*)",?$/\1/p')"
[[ -n "$mod_dir" && -d "$mod_dir" ]] || die "go mod download did not report a source dir"
cp -R "$mod_dir" "$work/src"
chmod -R u+w "$work/src"

# The generated files version.go reads; only version.txt is mandatory (must start with "v").
# commit.txt/branch.txt are left out: version.go then reports "unknown", and a made-up commit
# could contradict vcs.revision. package.txt just labels how this binary was produced.
printf '%s\n' "$FERRETDB_VERSION" >"$work/src/build/version/version.txt"
printf '%s\n' "deathstar-source" >"$work/src/build/version/package.txt"

log "compiling ./cmd/ferretdb"
(cd "$work/src" && go build -trimpath -o "$work/ferretdb" ./cmd/ferretdb) >&2

# Refuse to cache a binary that panics at start (the trap described above).
"$work/ferretdb" --version >&2 || die "built binary does not run"

# Atomic replace so readers never see a half-written binary.
mv -f "$work/ferretdb" "$bin.tmp.$$"
mv -f "$bin.tmp.$$" "$bin"
log "cached $bin"
printf '%s\n' "$bin"
