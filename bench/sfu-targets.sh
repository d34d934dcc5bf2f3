#!/usr/bin/env bash
# Issue 15's targets in one run: 10 and 25 bots with every video forwarded by both servers (ruang
# `--sfu-last-n 100`, so ruang and Janus carry the same streams: the CPU-per-stream comparison), then a room
# of 50 on ruang's defaults (last-N 9 video, all audio), on the defaults plus `--sfu-audio-last-n 3`, and
# Janus at 50 (which forwards everything). Every run is bounded (setup 60 s, window SECONDS, timeout).
#
# Usage: bench/sfu-targets.sh [seconds per run, default 5]   (BUILD=0: use the release binaries as built)
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
target=${CARGO_TARGET_DIR:-target}
[[ ${BUILD:-1} == 0 ]] || cargo build --release -q -p ruang -p ruang-bench || exit 1
bench=$target/release/ruang-bench
ruang=$target/release/ruang
load() { echo "# load $(cut -d' ' -f1-3 /proc/loadavg) at $(date -u +%H:%M:%S)"; }
load
BUILD=0 RUANG_ARGS="--sfu-last-n 100" timeout 900 bench/sfu.sh "$seconds" "10 25"
run() {
  echo "## $*"
  timeout 300 "$bench" sfu --bots 50 --seconds "$seconds" --room "$RANDOM" "$@" 2>&1 | grep -E '^(setup|sfu|forwarded|delay|server|bots|bots_failed)' || echo "(run failed)"
  load
}
run --server ruang --ruang "$ruang" --expect-video 9
run --server ruang --ruang "$ruang" --expect-video 9 --expect-audio 3 --ruang-arg=--sfu-audio-last-n --ruang-arg=3
run --server janus
