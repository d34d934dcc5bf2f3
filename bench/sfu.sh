#!/usr/bin/env bash
# The SFU benchmark: ruang (`--media-mode sfu`, started by the bench on loopback) and, as the baseline,
# Janus 1.1's VideoRoom (Debian's `janus`, started by the bench with a generated config), each carrying the
# same bots: one room of N participants, each publishing synthetic VP8 video (~30 fps) and Opus audio
# (50 pps) and subscribing to everyone else, from one str0m media engine (`ruang-bench sfu`). Runs are
# interleaved (ruang, Janus, ruang, Janus, ...) so they share the machine's conditions, and summed up in a
# table. The bots run on the same machine and their CPU is reported beside the server's.
#
# Usage: bench/sfu.sh [seconds per run, default 10] [room sizes, default "10 25 50"]
#   VIDEO_KBPS=300 (per publisher)  RUANG_ARGS="--sfu-last-n 100" (more flags for ruang)
#   BENCH_ARGS="--expect-video 9 --expect-audio 3" (more flags for ruang-bench, both servers)
#   BUILD=0 uses the release binaries already in the target directory
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
sizes=${2:-"10 25 50"}
kbps=${VIDEO_KBPS:-300}
target=${CARGO_TARGET_DIR:-target}
read -r -a ruang_args <<<"${RUANG_ARGS:-}"
read -r -a bench_args <<<"${BENCH_ARGS:-}"

command -v janus >/dev/null || { echo "janus is not installed (apt-get install -y janus)" >&2; exit 1; }
[[ ${BUILD:-1} == 0 ]] || cargo build --release -q -p ruang -p ruang-bench
ulimit -n 65536 2>/dev/null || true
bench=$target/release/ruang-bench
extra=()
for arg in "${ruang_args[@]}"; do extra+=("--ruang-arg=$arg"); done

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $bench sfu --bots N --seconds $seconds --video-kbps $kbps ${bench_args[*]} (ruang: --ruang $target/release/ruang ${extra[*]})"
for n in $sizes; do
  for server in ruang janus; do
    echo "## $server $n bots"
    $bench sfu --server "$server" --ruang "$target/release/ruang" "${extra[@]}" --bots "$n" --seconds "$seconds" \
      --video-kbps "$kbps" --room "$RANDOM" "${bench_args[@]}" | tee "$out/$server-$n" || echo "(run failed)"
    echo "# load $(cut -d' ' -f1-3 /proc/loadavg)"
  done
done

# One row per run: the key=value fields of its report.
field() { grep -oE "(^| )$2=[^ ]+" "$1" | head -n1 | cut -d= -f2; }
echo
printf '| %-6s | %4s | %-13s | %-13s | %9s | %9s | %7s | %8s | %8s | %8s | %11s | %12s | %9s | %9s |\n' server bots \
  "video streams" "audio streams" "frames/s" "pkts/s" loss "p50 ms" "p99 ms" "srv cores" "%core/stream" "streams/core" "RSS/part." "bot cores"
printf '|%s|\n' "--------|------|---------------|---------------|-----------|-----------|---------|----------|----------|----------|-------------|--------------|-----------|-----------"
for n in $sizes; do
  for server in ruang janus; do
    f=$out/$server-$n
    [[ -s $f ]] && grep -q '^sfu ' "$f" || { printf '| %-6s | %4s | (failed) |\n' "$server" "$n"; continue; }
    ms() { awk -v us="$1" 'BEGIN { printf "%.1f", us / 1000 }'; }
    printf '| %-6s | %4s | %-13s | %-13s | %9s | %9s | %7s | %8s | %8s | %8s | %11s | %12s | %8sK | %9s |\n' \
      "$server" "$n" "$(field "$f" video_streams)" "$(field "$f" audio_streams)" "$(field "$f" frames_per_s)" \
      "$(field "$f" packets_per_s)" "$(field "$f" loss)" \
      "$(ms "$(field "$f" p50)")" "$(ms "$(field "$f" p99)")" "$(field "$f" cpu_cores | head -n1)" \
      "$(field "$f" cpu_per_video_stream)" "$(field "$f" video_streams_per_core)" \
      "$(field "$f" rss_per_participant_kib)" "$(grep '^bots ' "$f" | grep -oE 'cpu_cores=[^ ]+' | cut -d= -f2)"
  done
done
