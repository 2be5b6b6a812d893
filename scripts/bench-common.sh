# Helpers the benchmark scripts share; sourced, not run:
#   source "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"

# Waits up to 60 s for URL to answer 2xx.
wait_up() { # URL
    for _ in $(seq 1 1200); do curl -sf "$1" >/dev/null && return 0; sleep 0.05; done
    echo "$1 never came up" >&2; return 1
}

# Resident memory of process PID, in kB.
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

# The p99 of a `wrk --latency` report, in ms (wrk prints it in us, ms or s).
wrk_p99_ms() { # FILE
    awk '$1 == "99%" {v = $2; if (v ~ /us$/) x = v / 1000; else if (v ~ /ms$/) x = v + 0; else x = v * 1000; print x}' "$1"
}

# Seconds since START (a `date +%s.%N`), with DECIMALS (1) decimals.
seconds_since() { # START [DECIMALS]
    awk -v b="$1" -v e="$(date +%s.%N)" "BEGIN {printf \"%.${2:-1}f\", e - b}"
}
