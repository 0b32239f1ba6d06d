#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/) with clang and runs each for
# SECONDS, starting from seed files. Crashes are saved as BUILD/crash-*.
# Usage: scripts/fuzz.sh [SECONDS=60] [BUILD=build-fuzz]
# Exits 77 (CTest: skipped) when clang++ is not installed.
set -euo pipefail
seconds=${1:-60}
build=${2:-build-fuzz}
root=$(cd "$(dirname "$0")/.." && pwd)
command -v clang++ >/dev/null || { echo "SKIP: clang++ not installed"; exit 77; }
cmake -S "$root/tests/fuzz" -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2 >/dev/null
mkdir -p "$build/corpus/checkpoint" "$build/corpus/names" "$build/seeds/checkpoint" "$build/seeds/names"
"$build/make_seeds" "$build/seeds/checkpoint" "$build/seeds/names"
status=0
for t in checkpoint names; do
  log="$build/fuzz_$t.log"
  # Generated corpus first (it is written to), seeds second (read only).
  if ! (cd "$build" && "./fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        "corpus/$t" "seeds/$t" >"$log" 2>&1); then
    echo "fuzz_$t: FAILED (see $log)"; tail -30 "$log"; status=1
  fi
  execs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
  echo "fuzz_$t: ${execs:-?} executions in ${seconds}s, corpus $(ls "$build/corpus/$t" | wc -l) files"
done
exit $status
