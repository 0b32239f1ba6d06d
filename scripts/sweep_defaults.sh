#!/usr/bin/env bash
# Re-runs the last round of the search for `wuxia train`'s defaults
# (docs/defaults-sweep.md has all rounds): trains each configuration on the
# bundled Jin Yong list and prints its best validation loss, best first.
# Usage: scripts/sweep_defaults.sh [BUILD_DIR=build] [THREADS=1]
set -euo pipefail
build=${1:-build}
threads=${2:-1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for hidden in 64 96; do
  for embed in 64 128; do
    for dropout in 0.6 0.7; do
      line=$("$build/wuxia" train --data data/jinyong.txt --out "$tmp/run" --overwrite --hidden "$hidden" --embed "$embed" \
        --layers 1 --dropout "$dropout" --weight-decay 0.1 --steps 1500 --eval-every 250 --threads "$threads" \
        --device cpu --quiet)
      echo "$(echo "$line" | awk '{print $6}') hidden=$hidden embed=$embed layers=1 dropout=$dropout wd=0.1"
    done
  done
done | sort -n
