#!/usr/bin/env bash
# Run a command (the browser tests: Playwright, the browsers and the ruang servers they start) in a network
# namespace of its own whose only interface is the loopback `lo`, so every WebRTC candidate, TURN relay and
# SFU address a test sees is 127.0.0.1 or ::1: media never uses the machine's own interface addresses, no
# packet of a test leaves the machine, and a test cannot pass thanks to (or fail because of) the host's
# network. The namespace ends with the command.
# As root: `unshare --net`. As another user: `unshare --map-root-user --net` (a user namespace in which the
# user is root, for the right to bring lo up; needs unprivileged user namespaces, as most distributions allow).
# Needs unshare (util-linux) and ip (iproute2); run.sh installs them.
# Usage: tests/browser/netns.sh <command> [args...]
set -euo pipefail
if [ "$#" -eq 0 ]; then
  echo "usage: $0 <command> [args...]" >&2
  exit 2
fi
if [ "$(id -u)" -eq 0 ]; then
  ns=(unshare --net)
else
  ns=(unshare --map-root-user --net)
fi
if ! "${ns[@]}" true 2>/dev/null; then
  echo "netns.sh: cannot create a network namespace with: ${ns[*]} (the browser tests run in one; as root it" \
    "needs CAP_SYS_ADMIN, otherwise unprivileged user namespaces, e.g. sysctl kernel.unprivileged_userns_clone=1)" >&2
  exit 1
fi
# Inside: bring lo up (it starts down), check that it is the only interface, then become the command.
# shellcheck disable=SC2016 # expanded by the inner shell
exec "${ns[@]}" -- bash -c '
  set -euo pipefail
  ip link set lo up
  others="$(ip -o link show | awk -F": " "\$2 != \"lo\" { print \$2 }")"
  if [ -n "$others" ]; then
    echo "netns.sh: the namespace has interfaces other than lo: $others" >&2
    exit 1
  fi
  exec "$@"
' netns.sh "$@"
