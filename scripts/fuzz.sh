#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/) with clang and runs each for
# SECONDS, starting from seed files. Crashes are saved as BUILD/crash-*.
# Usage: scripts/fuzz.sh [SECONDS=60] [BUILD=build-fuzz] [WORKERS=1]
# WORKERS > 1 runs that many fuzzing processes per target on one corpus
# (libFuzzer -jobs/-workers: each picks up the others' finds), one per core;
# the executions reported are their sum.
# Exits 77 (CTest: skipped) when clang++ is not installed.
set -euo pipefail
seconds=${1:-60}
build=${2:-build-fuzz}
workers=${3:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
command -v clang++ >/dev/null || { echo "SKIP: clang++ not installed"; exit 77; }
cmake -S "$root/tests/fuzz" -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2 >/dev/null
mkdir -p "$build/corpus/checkpoint" "$build/corpus/names" "$build/seeds/checkpoint" "$build/seeds/names"
"$build/make_seeds" "$build/seeds/checkpoint" "$build/seeds/names"
# The naming tables' seeds: the head of each bundled table.
mkdir -p "$build/corpus/naming" "$build/seeds/naming"
for f in hanzi.tsv surnames.tsv classics.tsv ill_omened.txt titles.tsv word_readings.tsv name_readings.tsv surname_fixes.tsv sounds_like.tsv; do head -n 40 "$root/data/$f" >"$build/seeds/naming/$f"; done
status=0
for t in checkpoint names naming; do
  log="$build/fuzz_$t.log"
  flags=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
  if [ "$workers" -gt 1 ]; then
    # libFuzzer writes job J's output to fuzz-J.log in the working directory.
    rm -f "$build"/fuzz-*.log "$build/fuzz_$t".*.log
    flags+=(-jobs="$workers" -workers="$workers")
  fi
  # Generated corpus first (it is written to), seeds second (read only).
  ok=1
  (cd "$build" && "./fuzz_$t" "${flags[@]}" "corpus/$t" "seeds/$t" >"$log" 2>&1) || ok=0
  logs=("$log")
  if [ "$workers" -gt 1 ]; then
    logs=()
    for j in $(seq 0 $((workers - 1))); do
      if [ -f "$build/fuzz-$j.log" ]; then
        mv "$build/fuzz-$j.log" "$build/fuzz_$t.$j.log"
        logs+=("$build/fuzz_$t.$j.log")
      fi
    done
    [ ${#logs[@]} -gt 0 ] || logs=("$log")
  fi
  if [ $ok = 0 ]; then
    echo "fuzz_$t: FAILED (see ${logs[*]})"
    for l in "${logs[@]}"; do tail -30 "$l"; done
    status=1
  fi
  execs=$(cat "${logs[@]}" | awk '/stat::number_of_executed_units/ {n += $2; found = 1} END {if (found) print n}')
  echo "fuzz_$t: ${execs:-?} executions in ${seconds}s ($workers worker(s)), corpus $(ls "$build/corpus/$t" | wc -l) files"
done
exit $status
