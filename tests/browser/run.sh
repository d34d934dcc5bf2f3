#!/usr/bin/env bash
# Browser tests of the ruang web client: real Chromium (system package), fake camera/microphone/screen,
# against the real ruang binary. Usage: tests/browser/run.sh [extra playwright args]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if [ ! -x /usr/bin/chromium ]; then
  echo "run.sh: installing chromium (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends chromium
fi

cd "$here"
# Playwright must never download a browser of its own: the system chromium is used (playwright.config.js).
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
npm ci --no-audit --no-fund --loglevel=error

cd "$root"
cargo build -p ruang

cd "$here"
export RUANG_BIN="${RUANG_BIN:-$root/target/debug/ruang}"
exec npx playwright test "$@"
