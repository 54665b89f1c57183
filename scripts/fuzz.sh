#!/usr/bin/env bash
# Fuzzes the whole `rtlink inspect` path (every view over arbitrary bytes) for a bounded time,
# starting from the checked-in seeds in fuzz/seeds/inspect (real ELF files of every kind).
# Usage: bash scripts/fuzz.sh [SECONDS]   (default 60; scripts/test.sh runs it, so CI does)
# Uses cargo-fuzz on the stable toolchain with `-s none` (no sanitizer; Rust's own checks,
# overflow checks included, catch the bugs). Installs cargo-fuzz if it is missing. A crash
# leaves its input in fuzz/artifacts/inspect/ and fails the script; the summary line says how
# many inputs ran.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds=${1:-60}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet
mkdir -p corpus/inspect
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo fuzz run inspect -s none corpus/inspect seeds/inspect -- \
  -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 >"$log" 2>&1 || status=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
if [ "$status" -ne 0 ]; then
  grep -E 'panicked|ERROR|SUMMARY|artifact|Test unit' "$log" >&2 || tail -20 "$log" >&2
  echo "fuzz: FAILED after ${runs:-?} inputs (the crashing input is in fuzz/artifacts/inspect/)" >&2
  exit "$status"
fi
echo "fuzz: ${runs:-?} inputs in ${seconds}s, no crash"
