#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo-fuzz, libFuzzer) of the code that reads untrusted bytes: the
# targets in fuzz/fuzz_targets/ (post text, /function/<name> bodies, DSB forms and query
# strings, the embedded store's log). Builds them with the nightly toolchain into fuzz/target
# and runs each for SECONDS (default 30), one after the other.
#
# Each target starts from its committed seeds, fuzz/corpus/<target>/, which stay unchanged:
# what the fuzzer adds goes to fuzz/target/corpus/<target>/ (git-ignored) and is picked up
# again by the next run. A crash stops that target, leaves its input in
# fuzz/artifacts/<target>/ and makes the script exit non-zero once every target has run; turn
# the input into a #[test] in the crate that owns the code.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (default: every target)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"

log() { printf 'fuzz.sh: %s\n' "$*" >&2; }

seconds="${1:-30}"
shift || true
[[ "$seconds" =~ ^[0-9]+$ && "$seconds" -gt 0 ]] || { log "SECONDS must be a positive integer, not '$seconds'"; exit 2; }

# libFuzzer's instrumentation (-Zsanitizer) needs nightly.
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    log "installing the nightly toolchain (cargo-fuzz needs it)"
    rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    log "installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    mapfile -t targets < <(cargo +nightly fuzz list)
fi

log "building ${targets[*]}"
cargo +nightly fuzz build

failed=()
for target in "${targets[@]}"; do
    corpus="$root/fuzz/target/corpus/$target"
    seeds="$root/fuzz/corpus/$target"
    mkdir -p "$corpus" "$seeds"
    output="$root/fuzz/target/$target.log"
    log "$target: ${seconds}s (libFuzzer output in ${output#"$root"/})"
    # -timeout: an input that takes a second is a finding (every parser here is linear).
    if cargo +nightly fuzz run "$target" "$corpus" "$seeds" -- \
        -max_total_time="$seconds" -timeout=1 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$output" 2>&1; then
        # The closing status line and the figures: executions, speed, coverage, corpus.
        grep -E '^#[0-9]+[[:space:]]+DONE' "$output" | tail -1 >&2 || true
        grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "$output" >&2 || true
    else
        log "$target FAILED: last lines of its output:"
        tail -40 "$output" >&2
        failed+=("$target")
    fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
    log "crashed: ${failed[*]} (inputs in fuzz/artifacts/)"
    exit 1
fi
log "${#targets[@]} targets ran ${seconds}s each without a crash"
