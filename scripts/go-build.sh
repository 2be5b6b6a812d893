# Building a Go program of the suite (FerretDB, Jaeger) from its module's source, once, into the
# cache. Sourced by scripts/ferretdb.sh and scripts/jaeger.sh, which each:
#
#   go_build_begin NAME VERSION MIN_GO  # prints the cached binary's path and exits if it runs;
#                                       # else takes the build lock, picks the toolchain, makes $work
#   go_module_source MODULE             # the module's source, writable, in $work/src ($mod_json)
#   (cd "$work/src" && go build ... -o "$work/NAME" ./cmd/NAME) >&2
#   go_build_install "$work/NAME"       # caches it atomically and prints its path
#
# The toolchain comes from the `go` command's own mechanism: GOTOOLCHAIN=local when the installed
# Go is new enough, else GOTOOLCHAIN=go<MIN_GO>, which makes `go` fetch that release (as a
# module of the Go module proxy) and run it. That needs Go >= 1.21; scripts/test.sh bootstraps
# one where only an older Go is installed. Progress goes to stderr; stdout carries only the path.
# Cache: ${DS_CACHE_DIR:-$HOME/.cache/deathstar}/NAME-VERSION

log() { printf '%s: %s\n' "$go_build_name" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Whether version $1 (e.g. 1.24.6) is at least $2.
go_version_at_least() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]; }

go_build_begin() {
    go_build_name="$1.sh"
    local name=$1 version=$2 min_go=$3
    go_build_version=$version
    local cache_dir="${DS_CACHE_DIR:-$HOME/.cache/deathstar}"
    bin="$cache_dir/$name-$version"
    # A cached binary that can still report its version is good enough; anything else is rebuilt.
    binary_ok() { [[ -x "$bin" ]] && "$bin" --version >/dev/null 2>&1; }
    if binary_ok; then
        printf '%s\n' "$bin"
        exit 0
    fi
    command -v go >/dev/null 2>&1 || die "go is not installed (need Go >= 1.21)"
    mkdir -p "$cache_dir"
    # Serialize concurrent callers (e.g. parallel test jobs) so only one of them builds.
    exec 9>"$cache_dir/.$name-$version.lock"
    if command -v flock >/dev/null 2>&1; then
        flock 9
    fi
    if binary_ok; then # another process finished the build while we waited for the lock
        printf '%s\n' "$bin"
        exit 0
    fi

    local installed
    installed="$(GOTOOLCHAIN=local go env GOVERSION)" # e.g. go1.26.8
    installed="${installed#go}"
    if go_version_at_least "$installed" "$min_go"; then
        export GOTOOLCHAIN=local
    elif go_version_at_least "$installed" 1.21; then
        log "installed go$installed is older than go$min_go: GOTOOLCHAIN=go$min_go fetches it"
        export GOTOOLCHAIN="go$min_go"
    else
        die "go$installed predates GOTOOLCHAIN (Go 1.21); scripts/test.sh bootstraps a newer one"
    fi
    go_version="$(go env GOVERSION)" # the toolchain that builds, fetched now if need be
    # Pinned here (not inherited) so the build does not depend on the caller's GOFLAGS.
    export GOFLAGS="-mod=mod -buildvcs=false"
    export CGO_ENABLED=0 # pure Go, as upstream's release builds: a static binary, no gcc

    work="$(mktemp -d "${TMPDIR:-/tmp}/$name-build.XXXXXX")"
    trap 'chmod -R u+w "$work" 2>/dev/null || true; rm -rf "$work"' EXIT
    # Without these, SIGTERM would kill bash before the EXIT trap removes the build dir.
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

go_module_source() {
    local module=$1
    log "downloading $module@$go_build_version"
    mod_json="$(cd "$work" && go mod download -json "$module@$go_build_version")"
    local dir
    dir="$(sed -nE 's/^[[:space:]]*"Dir": "(.*)",?$/\1/p' <<<"$mod_json")"
    [[ -n "$dir" && -d "$dir" ]] || die "go mod download did not report a source dir"
    # Module cache files are read-only, so the build works on a writable copy.
    cp -R "$dir" "$work/src"
    chmod -R u+w "$work/src"
}

go_build_install() {
    # Atomic replace so readers never see a half-written binary.
    mv -f "$1" "$bin.tmp.$$"
    mv -f "$bin.tmp.$$" "$bin"
    log "cached $bin"
    printf '%s\n' "$bin"
}
