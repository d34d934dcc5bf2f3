#!/usr/bin/env bash
# Relay latency and CPU per message across the nodes of a cluster, beside one node alone and one node of
# the cluster with both members local, in one run (issue 17): a redis-server on a loopback port, two ruang
# nodes sharing it and a third alone; ruang-bench relay pairs whose sender joins node 1 (the rooms' owner)
# and whose receiver joins node 1 or node 2, so each signal stays on node 1 or crosses to node 2 through
# Redis. CPU per message counts both nodes and redis-server. Needs redis-server (Debian: redis-server).
#
# Usage: bench/cluster-relay.sh [rounds, default 2]   (TARGET=release for a release build's binaries)
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${TARGET:-debug}
[ "$profile" = release ] && cargo build --release -q -p ruang -p ruang-bench || cargo build -q -p ruang -p ruang-bench
R=${CARGO_TARGET_DIR:-target}/$profile/ruang; B=${CARGO_TARGET_DIR:-target}/$profile/ruang-bench
logs=$(mktemp -d)
redis-server --port 16399 --bind 127.0.0.1 --save '' --appendonly no >"$logs/redis.log" 2>&1 & RP=$!
sleep 0.5
flags="--no-turn --media-mode mesh --messages-per-second 1000000 --message-burst 1000000 --max-rooms 200000 --rooms-per-address-per-minute 200000 --max-connections 200000 --max-connections-per-address 200000 --max-participants 8"
RUANG_LOG=warn RUANG_SECRET=xnode-secret-xnode-secret-xnode-secret $R --listen 127.0.0.1:18101 --sfu-listen 127.0.0.1:0 --redis redis://127.0.0.1:16399 $flags >"$logs/node1.log" 2>&1 & P1=$!
RUANG_LOG=warn RUANG_SECRET=xnode-secret-xnode-secret-xnode-secret $R --listen 127.0.0.1:18102 --sfu-listen 127.0.0.1:0 --redis redis://127.0.0.1:16399 $flags >"$logs/node2.log" 2>&1 & P2=$!
RUANG_LOG=warn $R --listen 127.0.0.1:18103 --sfu-listen 127.0.0.1:0 $flags >"$logs/alone.log" 2>&1 & P3=$!
sleep 2
trap 'kill $P1 $P2 $P3 $RP 2>/dev/null || true' EXIT
for round in $(seq 1 "${1:-2}"); do
  for payload in candidate sdp; do
    echo "== round $round, $payload: one node, no cluster"
    $B relay --server 127.0.0.1:18103 --pid $P3 --pairs 20 --rate 2000 --seconds 8 --payload $payload --prefix single$round$payload
    echo "== round $round, $payload: one node of a cluster (both members on node 1)"
    $B relay --server 127.0.0.1:18101 --pid $P1 --also-pid $P2 --also-pid $RP --pairs 20 --rate 2000 --seconds 8 --payload $payload --prefix local$round$payload
    echo "== round $round, $payload: across nodes (sender on the owner, node 1; receiver on node 2)"
    $B relay --server 127.0.0.1:18101 --receiver-server 127.0.0.1:18102 --pid $P1 --also-pid $P2 --also-pid $RP --pairs 20 --rate 2000 --seconds 8 --payload $payload --prefix cross$round$payload
  done
done
