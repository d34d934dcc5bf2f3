#!/usr/bin/env bash
# Coverage-guided fuzzing of what an outsider can send (see fuzz/): builds every cargo-fuzz target of fuzz/
# with libFuzzer and AddressSanitizer, then runs each for SECONDS (default 60) from a temporary copy of its
# seed corpus in fuzz/corpus/<target>/, so that nothing is written into the repository. Exits non-zero if any
# target crashes, panics, times out or runs out of memory, and prints the input and how to reproduce it.
#
# Usage: scripts/fuzz.sh [SECONDS]      FUZZ_JOBS=n runs n targets at once (default: the number of cores).
# Installs what it needs on a fresh Debian machine: a C++ compiler (libfuzzer-sys builds libFuzzer from its
# C++ sources) and cargo-fuzz. The sanitizer flag is unstable; RUSTC_BOOTSTRAP=1 allows it on stable Rust.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECONDS_PER_TARGET=${1:-60}
JOBS=${FUZZ_JOBS:-$(nproc)}
export RUSTC_BOOTSTRAP=1
# The instrumented build is kept apart from the ordinary one, inside the ignored target/.
TARGET_DIR=$ROOT/target/fuzz

if ! command -v c++ >/dev/null; then
  echo "== installing a C++ compiler (g++) for libFuzzer"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++ >/dev/null
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install --locked cargo-fuzz
fi

echo "== building the fuzz targets"
build_start=$(date +%s)
# Release build with debug assertions, so that arithmetic overflow panics as it does in the tests.
cargo fuzz build --fuzz-dir fuzz --target-dir "$TARGET_DIR" --debug-assertions
echo "   built in $(($(date +%s) - build_start)) s"

triple=$(rustc -vV | sed -n 's/^host: //p')
bin_dir=$TARGET_DIR/$triple/release
mapfile -t targets < <(cargo fuzz list --fuzz-dir fuzz)
work=$(mktemp -d "${TMPDIR:-/tmp}/ruang-fuzz.XXXXXX")

# Runs one target from a copy of its seeds; its log and any crash input stay in $work.
fuzz_one() {
  local target=$1
  mkdir -p "$work/corpus/$target" "$work/artifacts/$target"
  if [ -d "fuzz/corpus/$target" ]; then cp -R "fuzz/corpus/$target/." "$work/corpus/$target/"; fi
  "$bin_dir/$target" "$work/corpus/$target" \
    -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/$target/" >"$work/$target.log" 2>&1
}

echo "== fuzzing ${targets[*]} for $SECONDS_PER_TARGET s each, $JOBS at a time"
run_start=$(date +%s)
declare -A pids
for target in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
  fuzz_one "$target" &
  pids[$target]=$!
done

failed=0
for target in "${targets[@]}"; do
  if wait "${pids[$target]}"; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$target.log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$target.log")
    echo "   $target: ok, $runs runs, $rate exec/s, corpus $(ls "$work/corpus/$target" | wc -l) inputs"
  else
    failed=1
    echo "!! $target FAILED; its log is $work/$target.log. The failure:"
    # The panic message, or libFuzzer's own report (timeout, out of memory) without the stack traces.
    if grep -q 'panicked at' "$work/$target.log"; then
      sed -n '/panicked at/,/^stack backtrace:\|^note:\|^==[0-9]*==/p' "$work/$target.log" | head -n 20 | sed 's/^/   /'
    else
      grep -E '^(==[0-9]+== ERROR|SUMMARY|ERROR): ' "$work/$target.log" | head -n 5 | sed 's/^/   /'
    fi
    for input in "$work/artifacts/$target"/*; do
      [ -e "$input" ] || continue
      echo "   input: $input"
      echo "   reproduce: $bin_dir/$target $input"
      echo "          or: RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir fuzz --target-dir target/fuzz -a $target $input"
      echo "   then fix the parser, add a unit test in its crate, and copy the input into fuzz/corpus/$target/"
    done
  fi
done
echo "   fuzzed in $(($(date +%s) - run_start)) s"

if [ "$failed" -ne 0 ]; then
  echo "!! fuzzing found a failure; the logs and inputs are kept in $work"
  exit 1
fi
rm -rf "$work"
