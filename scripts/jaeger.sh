#!/usr/bin/env bash
# Build Jaeger v1.76.0 (= Jaeger v2.13.0, the OpenTelemetry-Collector-based `cmd/jaeger` binary)
# once, cache the binary, and print its path on stdout.
#
# Used by tests that need a trace backend: OTLP in, Jaeger query API out, memory storage.
# Cache: ${DS_CACHE_DIR:-$HOME/.cache/deathstar}/jaeger-v1.76.0
# All progress output goes to stderr; stdout carries only the binary path.
#
# Why not `go install github.com/jaegertracing/jaeger/cmd/jaeger@v1.76.0`? Jaeger's go.mod has a
# `replace` directive, and `go install pkg@version` refuses modules with one. So we copy the
# module source to a temp dir and `go build` from there (where the replace simply applies).
#
# Cost of the first build: ~5.5-7 minutes on 2 cores (longer if other builds share the CPU), a
# ~120 MB binary, and ~2.7 GB added to the Go caches: ~1.25 GB module cache (`go env GOMODCACHE`)
# plus ~1.45 GB build cache (`go env GOCACHE`); peak RSS of the compiler ~2 GB. Set
# DS_JAEGER_THROWAWAY_GOCACHE=1 to compile with a private build cache inside the temp build dir,
# which is deleted afterwards (the shared build cache is left alone; a rebuild then starts cold).
# The module cache is never cleaned here: it is shared with other builds (e.g. scripts/ferretdb.sh).
#
# The binary has no web UI (the UI assets are git-ignored, so absent from the module zip; it
# serves a placeholder page at /), but the query HTTP/gRPC APIs work.
#
# Usage (verified with this build): deploy/jaeger-loopback.yaml binds every listener to the
# address given in these variables (all required; each host:port except JAEGER_METRICS_PORT):
#
#   jaeger="$(scripts/jaeger.sh)"
#   export JAEGER_OTLP_GRPC=127.0.0.1:4317 JAEGER_OTLP_HTTP=127.0.0.1:4318 \
#       JAEGER_QUERY_HTTP=127.0.0.1:16686 JAEGER_QUERY_GRPC=127.0.0.1:16685 \
#       JAEGER_HEALTH_HTTP=127.0.0.1:13133 JAEGER_METRICS_PORT=8888  # or free ports
#   "$jaeger" --config deploy/jaeger-loopback.yaml &  # `--config file:PATH` works too
#   until curl -fsS "http://$JAEGER_HEALTH_HTTP/status" >/dev/null; do sleep 0.05; done
#
#   curl -X POST -H 'Content-Type: application/json' --data @trace.json \
#       "http://$JAEGER_OTLP_HTTP/v1/traces"       # OTLP/JSON ExportTraceServiceRequest
#   curl "http://$JAEGER_QUERY_HTTP/api/services"  # {"data":["ds-check"],...}
#   curl "http://$JAEGER_QUERY_HTTP/api/traces?service=ds-check"  # search; by default: spans
#       # that started in the last 2 days, up to 100 traces (params start/end in µs, limit)
#   curl "http://$JAEGER_QUERY_HTTP/api/traces/$trace_id"         # 32 hex digits; 404 if absent
#   curl "http://$JAEGER_QUERY_HTTP/api/services/ds-check/operations"
#
# Those return Jaeger's JSON ({"data":[{"traceID","spans":[{"spanID","operationName",
# "references":[{"refType":"CHILD_OF","spanID":<parent>}],...}],"processes":{...}}]}); a span's
# service is processes[span.processID].serviceName. Observed on a 2-core machine: ready (health
# /status 200) ~60-90 ms after exec, ~55 MB RSS, exactly the 6 listeners above on 127.0.0.1 and
# nothing else (no UDP); a trace is readable as soon as the OTLP POST has returned (the config
# has no batch processor), checked 20 times in a row; SIGTERM exits 0 within ~2 s.
# OTLP/gRPC (for SDK exporters) is on $JAEGER_OTLP_GRPC, the query gRPC API (api_v2, api_v3) on
# $JAEGER_QUERY_GRPC, Jaeger's own Prometheus metrics on http://127.0.0.1:$JAEGER_METRICS_PORT/metrics.
set -euo pipefail
# shellcheck source=scripts/go-build.sh
. "$(dirname "${BASH_SOURCE[0]}")/go-build.sh"

JAEGER_VERSION=v1.76.0 # Go module version; the v2 binary of this release reports v2.13.0
JAEGER_V2_VERSION=v2.13.0
JAEGER_MODULE=github.com/jaegertracing/jaeger

go_build_begin jaeger "$JAEGER_VERSION" 1.24.6 # Jaeger's go.mod says `go 1.24.6`
if [[ "${DS_JAEGER_THROWAWAY_GOCACHE:-0}" == 1 ]]; then
    export GOCACHE="$work/gocache" # removed with $work by the EXIT trap
    log "using a throwaway build cache ($GOCACHE)"
fi
log "building Jaeger $JAEGER_VERSION ($JAEGER_V2_VERSION) with $go_version" \
    "(first run only; takes ~7+ minutes and ~2.7 GB of Go caches)"
go_module_source "$JAEGER_MODULE"

# Upstream's Makefile (scripts/makefiles/BuildInfo.mk) injects version info with -X; without it
# `jaeger version` / `--version` report an empty version. Same variables here: the v2 tag as
# latestVersion, and as date the tag's commit time, which the module's .info file records (the
# Makefile uses the commit date too, so the build stays reproducible). commitSHA is left unset:
# the module zip does not say which commit it came from.
info_file="$(sed -nE 's/^[[:space:]]*"Info": "(.*)",?$/\1/p' <<<"$mod_json")"
build_date="$(sed -nE 's/.*"Time":"([^"]+)".*/\1/p' "$info_file" 2>/dev/null || true)"
version_pkg="$JAEGER_MODULE/internal/version"
ldflags="-X $version_pkg.latestVersion=$JAEGER_V2_VERSION"
[[ -n "$build_date" ]] && ldflags+=" -X $version_pkg.date=$build_date"

log "compiling ./cmd/jaeger"
(cd "$work/src" && go build -trimpath -ldflags "$ldflags" -o "$work/jaeger" ./cmd/jaeger) >&2

# Refuse to cache a binary that does not run (or reports some other version).
version_out="$("$work/jaeger" --version 2>&1)" || die "built binary does not run: $version_out"
log "built: $version_out"
[[ "$version_out" == *"$JAEGER_V2_VERSION"* ]] || die "built binary reports an unexpected version"

go_build_install "$work/jaeger"
