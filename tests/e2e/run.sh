#!/usr/bin/env bash
# Real-browser end-to-end tests: Debian's Chromium, driven by playwright-core, against a real
# turnserver. The one entry point CI calls; ends with node's test runner summary and its exit code.
#   tests/e2e/run.sh                      uses build/bin/turnserver
#   FERRY_TURNSERVER=/path/turnserver tests/e2e/run.sh
#   FERRY_SCREENSHOT=/tmp/page.png tests/e2e/run.sh     also saves a screenshot of the page
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"

log() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }
die() { printf 'tests/e2e: %s\n' "$*" >&2; exit 2; }

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  log "installing nodejs and npm"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "node $(node --version) is too old: playwright-core and these tests need Node.js 20 or newer"

[ -x /usr/bin/chromium ] || die "/usr/bin/chromium not found: run tools/dev setup (it apt-get installs Debian's chromium)"

export FERRY_TURNSERVER=${FERRY_TURNSERVER:-$ROOT/build/bin/turnserver}
[ -x "$FERRY_TURNSERVER" ] || die "$FERRY_TURNSERVER not found: build first (tools/dev build) or set FERRY_TURNSERVER"

# playwright-core never downloads a browser by itself; this makes sure nothing tries.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
locked=$(node -p 'require(process.argv[1]).packages["node_modules/playwright-core"].version' "$HERE/package-lock.json")
installed=$(node -p 'try { require(process.argv[1]).version } catch { "" }' "$HERE/node_modules/playwright-core/package.json" 2>/dev/null || true)
if [ "$installed" != "$locked" ]; then
  log "installing node modules (npm ci in tests/e2e)"
  (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error)
fi

log "browser tests: $(/usr/bin/chromium --version 2>/dev/null), playwright-core $locked, node $(node --version)"
# One file at a time: each starts its own server and browser, and the machine has 2 cores.
exec node --test --test-concurrency=1 --test-timeout=150000 "$HERE"/*.test.mjs
