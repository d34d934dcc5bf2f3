#!/usr/bin/env bash
# Runs the signaling benchmarks side by side in one script, so the results are ratios that hold on a noisy
# machine: ruang, the minimal reference relay (ruang-bench minimal-relay) and the reference PeerJS server
# (npm package `peer`), under the same load from ruang-bench.
#
# Usage: bench/run.sh [seconds per run, default 10] [scale participants, default 5000]
#
# BEFORE=/path/to/an/older/ruang adds that binary as a fourth server ("before"), run in the same loop, so a
# change is measured before and after in one run. Build it once from a worktree of the older commit, e.g.
#   git worktree add /tmp/before <commit> && (cd /tmp/before && CARGO_TARGET_DIR=/tmp/rt cargo build --release -p ruang)
#   cp /tmp/rt/release/ruang /tmp/ruang-before && BEFORE=/tmp/ruang-before CARGO_TARGET_DIR=/tmp/rt bench/run.sh 5 10000
# (one target directory for both builds: the dependencies are compiled once). Several older binaries, each
# named, are run in the same loop with BEFORE="main=/tmp/ruang-main relay=/tmp/ruang-relay" (names without
# spaces; up to ten). SCALE=0 skips the scale runs.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
participants=${2:-5000}
target=${CARGO_TARGET_DIR:-target}
before=${BEFORE:-}
scale=${SCALE:-1}

cargo build --release -q -p ruang -p ruang-bench
(cd bench/peerjs && npm ci --no-audit --no-fund --loglevel=error)
ulimit -n 200000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

bench=$target/release/ruang-bench
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; }
trap cleanup EXIT

ruang_flags=(--no-turn --messages-per-second 1000000 --message-burst 1000000 --max-rooms 200000
  --rooms-per-address-per-minute 200000 --max-connections 200000 --max-connections-per-address 200000
  --max-participants 8)
start_servers() {
  servers=()
  local port=18070 spec name path
  for spec in $before; do
    name=before path=$spec
    if [[ $spec == *=* ]]; then name=${spec%%=*} path=${spec#*=}; fi
    "$path" --listen "127.0.0.1:$port" "${ruang_flags[@]}" >/dev/null 2>&1 &
    pids+=($!); servers+=("$name $port $! ruang")
    port=$((port + 1))
  done
  "$target/release/ruang" --listen 127.0.0.1:18080 "${ruang_flags[@]}" >/dev/null 2>&1 &
  pids+=($!); ruang_pid=$!
  $bench minimal-relay --listen 127.0.0.1:18090 >/dev/null 2>&1 &
  pids+=($!); minimal_pid=$!
  (cd bench/peerjs && exec node_modules/.bin/peerjs --port 18100 --path / --concurrent_limit 200000 >/dev/null 2>&1) &
  pids+=($!)
  sleep 2
  peerjs_pid=$(pgrep -f "peerjs --port 18100" | head -n1)
  servers+=("ruang 18080 $ruang_pid ruang" "minimal 18090 $minimal_pid ruang" "peerjs 18100 $peerjs_pid peerjs")
}
stop_servers() {
  kill "${pids[@]}" "$peerjs_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  pids=()
}
start_servers

echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
for load in "--rate 10000" "--rate 30000" "--rate 0 --window 16"; do
  for payload in candidate sdp; do
    for entry in "${servers[@]}"; do
      read -r name port pid protocol <<<"$entry"
      echo "## $name $load --payload $payload"
      $bench relay --protocol "$protocol" --server "127.0.0.1:$port" --pid "$pid" --pairs 50 $load \
        --payload "$payload" --seconds "$seconds" --prefix "b$RANDOM"
    done
  done
done
[[ $scale == 0 ]] && exit 0
# Memory per participant is measured on fresh processes: after the relay runs, freed memory would be
# reused by the joins and the growth would understate it.
stop_servers
start_servers
for entry in "${servers[@]}"; do
  read -r name port pid protocol <<<"$entry"
  echo "## $name scale $participants"
  $bench scale --protocol "$protocol" --server "127.0.0.1:$port" --pid "$pid" --participants "$participants" || true
done
