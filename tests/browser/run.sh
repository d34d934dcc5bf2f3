#!/usr/bin/env bash
# Browser tests of the ruang web client: real Chromium (system package), fake camera/microphone/screen,
# against the real ruang binary; then the cross-browser tests (firefox/: a Firefox ESR page, system
# package, driven over WebDriver BiDi, in one call with a Chromium page); then (as root) the NAT traversal
# test in network namespaces (nat/).
# Before them, the unit tests of the DOM-free modules (unit/, node --test).
# Hermetic: the Chromium suite and the cross-browser tests, with the browsers and the ruang servers they
# start, run in a network namespace that has only `lo` (netns.sh): every address a call uses is loopback.
# npm ci and cargo build run before, outside it (they need the package registries).
# Usage: tests/browser/run.sh [extra playwright args: then only the main suite runs]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

# apt-get needs root; use sudo when the tests run as another user.
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

if [ ! -x /usr/bin/chromium ]; then
  echo "run.sh: installing chromium (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium
fi
if [ ! -x /usr/bin/firefox-esr ]; then
  echo "run.sh: installing firefox-esr (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends firefox-esr
fi

# The cluster test (specs/cluster.spec.js) starts its own redis-server on a free loopback port.
if ! command -v redis-server >/dev/null; then
  echo "run.sh: installing redis-server (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends redis-server
fi
# The hermetic namespace (netns.sh) needs unshare (util-linux) and ip (iproute2); terminal.spec.js drops UDP
# to a TURN port inside it with nft (nftables).
if ! command -v unshare >/dev/null || ! command -v ip >/dev/null || ! command -v nft >/dev/null; then
  echo "run.sh: installing util-linux, iproute2 and nftables (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends util-linux iproute2 nftables
fi

cd "$here"
# Unit tests of the web client's DOM-free modules (wire, reconnect, session, room, the SFU transport's
# mode tracking, track ownership and tiles report): Node's own runner,
# fake sockets and a fake clock (unit/fakes.js); no browser, no server. Seconds.
node --test unit/

# Playwright must never download a browser of its own: the system chromium is used (playwright.config.js).
# (puppeteer-core, which drives Firefox, never downloads one: firefox/firefox.js uses /usr/bin/firefox-esr.)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
npm ci --no-audit --no-fund --loglevel=error

cd "$root"
cargo build -p ruang

cd "$here"
export RUANG_BIN="${RUANG_BIN:-$root/target/debug/ruang}"
# With arguments (one spec, -g …): just the main suite, as asked, in the namespace too.
if [ "$#" -gt 0 ]; then
  exec ./netns.sh npx playwright test "$@"
fi
./netns.sh npx playwright test

# Cross-browser: Firefox ESR (puppeteer-core over WebDriver BiDi) and Chromium (Playwright) in one call.
./netns.sh npx playwright test -c firefox/playwright.firefox.config.js

# The NAT traversal test (nat/): two Chromiums in separate network namespaces behind separate NATs, joined
# only by ruang's TURN server. It builds its own namespaces, so it runs outside netns.sh's. Needs root for
# them; iproute2 and nftables are installed if missing.
if [ "$(id -u)" -ne 0 ]; then
  echo "run.sh: NAT traversal test skipped: needs root (network namespaces, nftables)"
  exit 0
fi
if ! command -v ip >/dev/null || ! command -v nft >/dev/null; then
  echo "run.sh: installing iproute2 and nftables (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends iproute2 nftables
fi
if ! ip netns add ruang-probe 2>/dev/null; then
  echo "run.sh: NAT traversal test skipped: cannot create network namespaces here (needs CAP_SYS_ADMIN and CAP_NET_ADMIN)"
  exit 0
fi
ip netns del ruang-probe
exec npx playwright test -c nat/playwright.nat.config.js
