#!/usr/bin/env bash
# Fuzzes rtlink for a bounded time per target (fuzz/fuzz_targets, one file each):
#   inspect          every `rtlink inspect` view over arbitrary bytes
#   build_inputs     the checks `rtlink build` runs on each input file (kind, machine, symbols)
#   rsp              response files (GNU quoting, nesting) and the link-line split
#   runtime_parsers  the runtime's GODEBUG, GOMAXPROCS, cgroup and auxv parsers, built for the host
# Each starts from its checked-in seeds in fuzz/seeds/<target> (real objects, archives,
# binaries, response files, /proc and cgroup files, auxv) and from fuzz/corpus/<target>.
# Usage: bash scripts/fuzz.sh [SECONDS [TARGET...]]   (SECONDS per target, default 15; all
# targets by default; scripts/test.sh runs it, so CI does)
# Uses cargo-fuzz on the stable toolchain with `-s none` (no sanitizer; Rust's own checks,
# overflow checks included, catch the bugs). Installs cargo-fuzz if it is missing. A crash,
# hang or blow-up stops the script with the crashing input's path (under fuzz/artifacts/);
# otherwise each target prints how many inputs it ran.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds=${1:-15}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(inspect build_inputs rsp runtime_parsers)
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet
cargo fuzz build -s none >/dev/null
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  status=0
  cargo fuzz run "$t" -s none "corpus/$t" "seeds/$t" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  if [ "$status" -ne 0 ]; then
    grep -E 'panicked|ERROR|SUMMARY|Test unit' "$log" >&2 || tail -20 "$log" >&2
    input=$(sed -n 's/.*Test unit written to //p' "$log")
    echo "fuzz: $t FAILED after ${runs:-?} inputs${input:+; the crashing input: fuzz/${input#"$PWD/"}}" >&2
    exit "$status"
  fi
  echo "fuzz: $t: ${runs:-?} inputs in ${seconds}s, no crash"
done
