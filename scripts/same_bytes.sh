#!/usr/bin/env bash
# Usage: scripts/same_bytes.sh WUXIA_BIN OUTDIR
# The outputs a restructuring must leave byte for byte (issue 31): a default-route
# run (a 40-step base, then 50 fine-tune steps) and a 50-step from-scratch run,
# their checkpoints; sample, name, explain (table and --json), score, eval and
# classify with fixed seeds. Writes OUTDIR/sums; run it with the build before
# and after a change and `diff` the two sums files. One thread, so the figures
# are the same on any core count (DESIGN "Reproducibility").
set -uo pipefail
W=$(realpath "$1"); O=$2; rm -rf "$O"; mkdir -p "$O"; cd "$O"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
$W train --base-dir base --base-steps 40 --steps 50 --out route --eval-every 25 -q --threads 1 > route.log 2>&1
$W train --from-scratch --steps 50 --out scratch --eval-every 25 -q --threads 1 > scratch.log 2>&1
$W sample --checkpoint route/best.safetensors -n 20 --seed 7 > sample.txt 2>&1 || echo "rc=$?" >> sample.txt
$W sample --checkpoint scratch/last.safetensors -n 20 --seed 7 --temperature 0.8 --novel > sample2.txt 2>&1 || echo "rc=$?" >> sample2.txt
$W name --checkpoint route/best.safetensors --surname 林 --gender girl -n 20 --style ancient > name.txt 2>&1 || echo "rc=$?" >> name.txt
$W name --checkpoint route/best.safetensors --surname 欧阳 --gender boy --source 诗经 -n 5 --json --style ancient --era history > name2.txt 2>&1 || echo "rc=$?" >> name2.txt
$W explain --checkpoint route/best.safetensors 林青霞 张三丰 --json > explain.json 2>&1 || echo "rc=$?" >> explain.json
$W score --checkpoint route/best.safetensors 林青霞 令狐冲 > score.txt 2>&1 || echo "rc=$?" >> score.txt
$W eval --checkpoint route/best.safetensors "$(dirname "$W")/../data/jinyong.txt" > eval.txt 2>&1 || echo "rc=$?" >> eval.txt
$W explain 单田芳 尉迟恭 > explain.txt 2>&1 || echo "rc=$?" >> explain.txt
$W classify --checkpoint route/best.safetensors 令狐冲 > classify.txt 2>&1 || echo "rc=$?" >> classify.txt
sha256sum base/last.safetensors route/*.safetensors scratch/*.safetensors *.txt *.json > sums
