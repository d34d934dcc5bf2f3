#!/usr/bin/env bash
# A small NAT lab in network namespaces, for the browser test in which two participants, each behind its
# own NAT, can reach each other only through ruang's TURN server.
#
#   ruang-ca (192.168.10.2) ── ruang-na (192.168.10.1 | 10.201.1.2 masquerade) ──┐
#                                                                                  ├── this namespace:
#   ruang-cb (192.168.20.2) ── ruang-nb (192.168.20.1 | 10.201.2.2 masquerade) ──┘   10.201.1.1, 10.201.2.1,
#                                                                                      198.51.100.10 (server)
# This namespace does not forward, so the two NATs cannot reach each other: direct and server-reflexive
# paths between the clients fail, and only the relay on 198.51.100.10 joins them.
#
# Usage: lab.sh up | down | check.  Needs root, iproute2 and nftables.
set -euo pipefail

SERVER_IP=198.51.100.10

up_side() {
  local side=$1 n=$2
  local client="ruang-c$side" nat="ruang-n$side"
  ip netns add "$client"
  ip netns add "$nat"
  ip -n "$client" link set lo up
  ip -n "$nat" link set lo up
  # client <-> nat (the private LAN)
  ip link add "rc$side" netns "$client" type veth peer name "rl$side" netns "$nat"
  ip -n "$client" addr add "192.168.${n}0.2/24" dev "rc$side"
  ip -n "$client" link set "rc$side" up
  ip -n "$client" route add default via "192.168.${n}0.1"
  ip -n "$nat" addr add "192.168.${n}0.1/24" dev "rl$side"
  ip -n "$nat" link set "rl$side" up
  # nat <-> this namespace (the "internet")
  ip link add "rw$side" type veth peer name "rn$side" netns "$nat"
  ip addr add "10.201.$n.1/24" dev "rw$side"
  ip link set "rw$side" up
  ip -n "$nat" addr add "10.201.$n.2/24" dev "rn$side"
  ip -n "$nat" link set "rn$side" up
  ip -n "$nat" route add default via "10.201.$n.1"
  ip netns exec "$nat" sysctl -qw net.ipv4.ip_forward=1
  ip netns exec "$nat" nft -f - <<NFT
table ip nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "rn$side" masquerade
  }
}
NFT
}

up() {
  down 2>/dev/null || true
  ip addr add "$SERVER_IP/32" dev lo
  up_side a 1
  up_side b 2
}

down() {
  for ns in ruang-ca ruang-na ruang-cb ruang-nb; do
    ip netns del "$ns" 2>/dev/null || true
  done
  ip link del rwa 2>/dev/null || true
  ip link del rwb 2>/dev/null || true
  ip addr del "$SERVER_IP/32" dev lo 2>/dev/null || true
}

# The lab is right if each client reaches the server but not the other side's NAT: a TCP connection to
# the other NAT's address must time out (nothing forwards it), not be refused.
check() {
  python3 -c "import socket,time;s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('$SERVER_IP',8099));s.listen();time.sleep(6)" &
  local listener=$!
  sleep 0.5
  for client in ruang-ca ruang-cb; do
    ip netns exec "$client" timeout 2 bash -c "</dev/tcp/$SERVER_IP/8099" || { echo "$client cannot reach the server" >&2; exit 1; }
  done
  local rc=0
  ip netns exec ruang-ca timeout 2 bash -c "</dev/tcp/10.201.2.2/9" 2>/dev/null || rc=$?
  if [ "$rc" -ne 124 ]; then
    echo "client A reaches B's NAT directly (exit $rc, not a timeout): the lab is not isolating" >&2
    exit 1
  fi
  kill "$listener" 2>/dev/null || true
  echo "nat lab ok"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  check) check ;;
  *) echo "usage: $0 up|down|check" >&2; exit 2 ;;
esac
