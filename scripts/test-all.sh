#!/usr/bin/env bash
# Runs every test of ruang on a fresh machine: installs what the tests need (Debian's chromium, the npm
# packages of the browser tests), checks formatting and lints, runs the Rust tests (protocol, rooms, server
# over real sockets), fuzzes the parsers of outside input for a minute each (scripts/fuzz.sh), then the browser
# tests in real Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use: coturn (an independent TURN client, and a real coturn to check credentials
# against) and redis-server (the cluster tests start their own on a free loopback port; no system service is
# used). The browser tests install chromium, firefox-esr, util-linux, iproute2 and nftables themselves (run.sh).
if ! command -v turnutils_uclient >/dev/null || ! command -v turnserver >/dev/null; then
  echo "== installing coturn"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq coturn >/dev/null
fi
if ! command -v redis-server >/dev/null; then
  echo "== installing redis-server"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi

# systemd-analyze checks the systemd unit in deploy/ (crates/ruang/tests/packaging.rs).
if ! command -v systemd-analyze >/dev/null; then
  echo "== installing systemd (for systemd-analyze)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd >/dev/null
fi

# nginx and caddy check the reverse-proxy examples in deploy/ (`nginx -t`, `caddy validate`; packaging.rs).
if ! command -v nginx >/dev/null || ! command -v caddy >/dev/null; then
  echo "== installing nginx and caddy (to check deploy/nginx.conf and deploy/Caddyfile)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx caddy >/dev/null
fi

# A full run is a clean build: incremental state would only take disk (CI's is limited; see Cargo.toml).
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}
disk() { echo "   disk: target $(du -sh target 2>/dev/null | cut -f1), free $(df -h --output=avail . | tail -1 | tr -d ' ')"; }

echo "== cargo fmt"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked
disk
echo "== fuzzing"
scripts/fuzz.sh 60
disk
echo "== browser tests"
tests/browser/run.sh
