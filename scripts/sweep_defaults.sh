#!/usr/bin/env bash
# Chooses `wuxia train`'s defaults: trains a grid of configurations on the
# bundled Jin Yong list and prints the best validation loss of each, sorted.
# Usage: scripts/sweep_defaults.sh [BUILD_DIR] [THREADS]   (results: docs/defaults-sweep.txt)
set -euo pipefail
build=${1:-build}
threads=${2:-1}
data=data/jinyong.txt
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
results=()
for hidden in 128 256; do
  for layers in 1 2; do
    for dropout in 0.0 0.2 0.4; do
      for steps in 1500 3000; do
        out="$tmp/h${hidden}-l${layers}-d${dropout}-s${steps}"
        line=$("$build/wuxia" train --data "$data" --out "$out" --hidden "$hidden" --layers "$layers" \
          --dropout "$dropout" --steps "$steps" --eval-every 250 --threads "$threads" --device cpu --quiet)
        best=$(echo "$line" | awk '{print $6}')
        results+=("$best hidden=$hidden layers=$layers dropout=$dropout steps=$steps")
        echo "$best hidden=$hidden layers=$layers dropout=$dropout steps=$steps" >&2
      done
    done
  done
done
printf '%s\n' "${results[@]}" | sort -n
