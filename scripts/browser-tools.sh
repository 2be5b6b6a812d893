#!/usr/bin/env bash
# Install what the browser tests (tests/browser/*.mjs) need once, cache it, and print where it is.
#
# Usage: eval "$(scripts/browser-tools.sh)"
# Stdout carries only these lines (values shell-quoted):
#   export DS_CHROMIUM=/usr/bin/chromium   Debian's chromium (whatever `command -v chromium`
#                                          finds), used as Playwright's executablePath
#   export DS_PLAYWRIGHT=<dir>             npm prefix holding node_modules/playwright-core
#                                          1.65.1; the .mjs files resolve it from there with
#                                          createRequire(DS_PLAYWRIGHT + "/"), so no NODE_PATH
#                                          and no package.json in the repository are needed
# All progress output goes to stderr. Exits non-zero if something cannot be had: unlike the
# platform tools, there is nothing useful a browser test can do without these.
#
# Only playwright-core is installed, never the `playwright` package: the latter downloads its
# own browser builds on install, while we drive the distribution's chromium, which apt keeps
# patched and which needs no extra shared libraries.
#
# Cache: ${DS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/deathstar}
#   playwright-1.65.1/   npm prefix (node_modules/playwright-core, package.json, lock file)
#
# Env knobs: DS_CACHE_DIR.
set -euo pipefail

PLAYWRIGHT_VERSION=1.65.1
MIN_NODE_MAJOR=20 # playwright-core 1.65.1 declares engines.node >=20

log() { printf 'browser-tools.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
emit() { printf 'export %s=%q\n' "$1" "$2"; }

cache_dir="${DS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/deathstar}"
pw_dir="$cache_dir/playwright-$PLAYWRIGHT_VERSION"

apt_updated=0
apt_install() {
    local sudo=()
    [[ "$(id -u)" -eq 0 ]] || sudo=(sudo)
    if ((apt_updated == 0)); then
        "${sudo[@]}" apt-get update >&2
        apt_updated=1
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >&2
}

# The installed version, read from its package.json; empty if absent or unreadable. Reading the
# file (not `npm ls`) keeps a second run to a few milliseconds.
pw_installed_version() {
    local pkg="$pw_dir/node_modules/playwright-core/package.json"
    [[ -f "$pkg" ]] || return 0
    sed -nE 's/^  "version": "([^"]+)".*/\1/p' "$pkg" | head -n1
}

# --- chromium ---------------------------------------------------------------------------------

# Debian's chromium package ships /usr/bin/chromium, a shell wrapper that sources
# /etc/chromium.d/* (default flags) and execs /usr/lib/chromium/chromium.
if ! command -v chromium >/dev/null 2>&1; then
    log "installing Debian's chromium (first run only)"
    apt_install chromium
fi
chromium_bin="$(command -v chromium)" || die "chromium is still not on PATH after apt-get install"
# Posts hold emoji: without a colour emoji font they render as boxes in the README's screenshots.
if ! dpkg-query -W -f='${Status}' fonts-noto-color-emoji 2>/dev/null | grep -q 'ok installed'; then
    log "installing Debian's fonts-noto-color-emoji (first run only)"
    apt_install fonts-noto-color-emoji
fi

# --- node and npm -----------------------------------------------------------------------------

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    log "installing Debian's nodejs and npm"
    apt_install nodejs npm
fi
(($(node_major) >= MIN_NODE_MAJOR)) ||
    die "node $(node --version 2>/dev/null || echo '?') is too old; playwright-core $PLAYWRIGHT_VERSION needs >= $MIN_NODE_MAJOR"

# --- playwright-core (npm) --------------------------------------------------------------------

if [[ "$(pw_installed_version)" != "$PLAYWRIGHT_VERSION" ]]; then
    mkdir -p "$cache_dir"
    # Serialize concurrent callers (e.g. parallel test jobs) so only one of them installs.
    exec 9>"$cache_dir/.browser-tools.lock"
    if command -v flock >/dev/null 2>&1; then
        flock 9
    fi
    # Another caller may have finished the install while we waited for the lock.
    if [[ "$(pw_installed_version)" != "$PLAYWRIGHT_VERSION" ]]; then
        start=$SECONDS
        log "installing playwright-core@$PLAYWRIGHT_VERSION into $pw_dir (first run only)"
        # Build in a sibling temp dir and rename it into place, so that an interrupted install
        # never leaves a half-filled prefix that a later run would take as installed.
        tmp="$(mktemp -d "$cache_dir/.playwright-install.XXXXXX")"
        trap 'rm -rf "$tmp"' EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
        # An empty package.json stops npm from walking up to some package.json above the cache.
        printf '{"private": true}\n' >"$tmp/package.json"
        # --ignore-scripts: playwright-core has no install scripts today; this keeps it that way.
        # The caller's npm settings that would write elsewhere are left out.
        env -u NPM_CONFIG_PREFIX -u npm_config_prefix -u NPM_CONFIG_GLOBAL -u npm_config_global \
            npm install --no-audit --no-fund --no-update-notifier --ignore-scripts \
            --prefix "$tmp" "playwright-core@$PLAYWRIGHT_VERSION" >&2
        got="$(sed -nE 's/^  "version": "([^"]+)".*/\1/p' \
            "$tmp/node_modules/playwright-core/package.json" 2>/dev/null | head -n1)"
        [[ "$got" == "$PLAYWRIGHT_VERSION" ]] ||
            die "npm installed playwright-core '${got:-nothing}', expected $PLAYWRIGHT_VERSION"
        rm -rf "$pw_dir"
        mv "$tmp" "$pw_dir"
        log "playwright-core ready in $((SECONDS - start))s"
    fi
fi

emit DS_CHROMIUM "$chromium_bin"
emit DS_PLAYWRIGHT "$pw_dir"
