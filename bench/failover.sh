#!/usr/bin/env bash
# Failover time of a 3-node cluster (issue 17): the time from a kill -9 of a room's owner node to every
# surviving member having resumed (members on all three nodes, the dead node's member reconnecting through a
# live one). It runs crates/ruang/tests/failover.rs's owner-kill test (real ruang processes, a real
# redis-server on a loopback port) once per kill delay, each delay moving the kill to another moment of the
# owner's 1 s lease-renewal period, and prints what the test measured (`--nocapture`).
# Needs redis-server (Debian: redis-server).
#
# Usage: bench/failover.sh [delays in ms, default "0 100 200 300 400 500 600 700 800 900"]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test -q -p ruang --test failover --no-run
for delay in ${1:-0 100 200 300 400 500 600 700 800 900}; do
  out=$(RUANG_FAILOVER_KILL_DELAY_MS=$delay cargo test -q -p ruang --test failover killing_the_owner -- --nocapture 2>&1)
  echo "kill delay ${delay} ms: $(grep -o 'resumed in [0-9]* ms' <<<"$out" || echo "FAILED: $(tail -5 <<<"$out")")"
done
