#!/usr/bin/env bash
# Runs every test of ruang on a fresh machine: installs what the tests need (Debian's chromium, the npm
# packages of the browser tests), checks formatting and lints, runs the Rust tests (protocol, rooms, server
# over real sockets), then the browser tests in real Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked
echo "== browser tests"
tests/browser/run.sh
