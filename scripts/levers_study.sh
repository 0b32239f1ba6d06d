#!/usr/bin/env bash
# The levers study (docs/QUALITY.md, "Levers" and "Regularisers"): fine-tuning
# levers over five held-out splits of each cast on the default route (both
# casts: each cast's fine-tunes learn the other cast too, as its own style),
# ensembles of fine-tunes, wider bases, and the English names with and without
# weight averaging, schedules and ensembles. One command:
#
#   scripts/levers_study.sh [OUTDIR]          (default runs/levers)
#
# Two sizes (PROFILE):
#   cpu  (the default where no GPU answers): issue 29's levers (weight drop,
#        locked and embedding dropout, EMA, a schedule ending where the best
#        validation lies, more dropout, no balance, the checkpoint of step
#        300 instead of the best validation's) and one more fine-tune seed
#        for an ensemble of two, on both casts' five splits; the English
#        recipe with averaging, to step 12,000 and with a cosine ending at
#        4,500. The casts took 21.5 minutes on the 2-core machine (the
#        route's base 4.7 of them); an English run at H=256 trains at about
#        13k tokens/s a core, some minutes each.
#   gpu  (the default where nvidia-smi lists a GPU): every arm, the wider
#        bases and every English run (2-3 minutes of an H200 for issue 23's
#        part; docs/gpu-reports/README.md).
#
# Environment:
#   WUXIA     the binary (default build/wuxia, else gpu-bundle/wuxia)
#   DEVICE    where models train (cuda where nvidia-smi lists a GPU, else cpu);
#             evaluations and samples run on the CPU
#   PROFILE   cpu or gpu, as above
#   JOBS      models at once (default: cores)
#   DEADLINE  seconds after which every step still running is stopped (0 = none);
#             what finished is kept and reported
#   ROUTE     both (default: each cast's fine-tunes learn the other cast too, as
#             the default route does) or one (the cast alone)
#   ARMS      fine-tune arms to run, by name (default: the profile's; set but
#             empty: none; a name not in the table is refused)
#   ENSEMBLES ensembles of arms to score, by name (default: all whose arms run)
#   BASES     extra bases to pretrain (default: the profile's)
#   ENGLISH_RUNS  English-names runs, by name (default: the profile's); ENGLISH
#             the names file (local-data/names.txt, makemore's list; skipped
#             when absent)
#   SPLITS (5), CASTS ("jinyong gulong"), QUICK (1: a smoke test of this
#   script with tiny step counts)
#
# Results: OUTDIR/<cast>.md (quality.py's tables), OUTDIR/english.md,
# OUTDIR/bases.md, OUTDIR/timeline.log; with $OUT set (a device run), those
# and a tarball of all but the checkpoints land there. A step that fails is
# said in the timeline and the rest run on; the exit status is then 1.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/levers}
wuxia=${WUXIA:-}
if [[ -z $wuxia ]]; then
  if [[ -x build/wuxia ]]; then wuxia=build/wuxia; else wuxia=gpu-bundle/wuxia; fi
fi
[[ -x $wuxia ]] || { echo "levers_study.sh: $wuxia: no such program (build it: cmake --build build; or set WUXIA)" >&2; exit 2; }
device=${DEVICE:-}
if [[ -z $device ]]; then
  if nvidia-smi -L >/dev/null 2>&1; then device=cuda; else device=cpu; fi
fi
profile=${PROFILE:-$([[ $device == cuda ]] && echo gpu || echo cpu)}
[[ $profile == cpu || $profile == gpu ]] || { echo "levers_study.sh: PROFILE: '$profile' is neither cpu nor gpu" >&2; exit 2; }
route=${ROUTE:-both}
[[ $route == both || $route == one ]] || { echo "levers_study.sh: ROUTE: '$route' is neither both nor one" >&2; exit 2; }
jobs=${JOBS:-$(nproc)}
deadline=${DEADLINE:-0}
english=${ENGLISH:-local-data/names.txt}
splits=${SPLITS:-5}
casts=${CASTS-jinyong gulong}
quick=${QUICK:-0}
t0=$SECONDS

# The arms: fine-tunes of the route's base on each split, each against the
# default fine-tune ("fine-tuned", always run). BASE_<name> is an extra base.
declare -A ARM=(
  [ema90]="--ema 0.9" [ema98]="--ema 0.98" [l2sp1]="--l2sp 1" [l2sp10]="--l2sp 10"
  [both]="--ema 0.98 --l2sp 10" [seed2]="--seed 2" [seed3]="--seed 3" [seed4]="--seed 4"
  [baselr03]="--base-rows-lr 0.3" [baselr01]="--base-rows-lr 0.1"
  [h512]="--init $out/bases/h512/best.safetensors" [h512-6k]="--init $out/bases/h512-6k/best.safetensors"
  [wd03]="--weight-drop 0.3" [ld03]="--locked-dropout 0.3" [ed01]="--embed-dropout 0.1"
  [dec120]="--decay-steps 120" [dec120ema]="--decay-steps 120 --ema 0.95" [drop65]="--dropout 0.65"
  [nobal]="--balance-styles=false"
  [fix200]="--steps 200 --eval-every 200" [fix300]="--eval-every 300" [fix300nb]="--eval-every 300 --balance-styles=false"
  [before]="--balance-patience 0 --keep-last=false" [pat5]="--balance-patience 5"
)
all_arms="ema90 ema98 l2sp1 l2sp10 both seed2 seed3 seed4 baselr03 baselr01 h512 h512-6k
          wd03 ld03 ed01 dec120 dec120ema drop65 nobal fix200 fix300 fix300nb before pat5"
declare -A ENS=([ens2]="fine-tuned+seed2" [ens4]="fine-tuned+seed2+seed3+seed4")
declare -A BASE=([h512]="--hidden 512 --steps 3000" [h512-6k]="--hidden 512 --steps 6000")
# The English names: the recipe for a large list (E64 H256 L2, dropout 0.1,
# 12,000 steps) and variations; ens-* rows are ensembles of runs. The best
# validation comes near step 4,000 at every setting tried, so the *-dec4500
# runs end their cosine there (--decay-steps) and stop at 6,000.
declare -A EN=(
  [plain]="" [seed2]="--seed 2" [ema999]="--ema 0.999" [ema9995]="--ema 0.9995"
  [drop02-ema999]="--dropout 0.2 --ema 0.999" [drop03-ema999]="--dropout 0.3 --ema 0.999"
  [ema999-s2]="--ema 0.999 --seed 2" [ema999-s3]="--ema 0.999 --seed 3" [ema999-s4]="--ema 0.999 --seed 4"
  [b256-ema999]="--batch 256 --ema 0.999" [steps4k-ema999]="--steps 4000 --ema 0.999"
  [ema999-dec4500]="--ema 0.999 --decay-steps 4500 --steps 6000"
  [h512-drop03-ema999]="--hidden 512 --dropout 0.3 --ema 0.999"
  [h512-drop03-ema999-s2]="--hidden 512 --dropout 0.3 --ema 0.999 --seed 2"
  [h512-drop03-ema999-s3]="--hidden 512 --dropout 0.3 --ema 0.999 --seed 3"
  [h512-drop03-ema999-s4]="--hidden 512 --dropout 0.3 --ema 0.999 --seed 4"
  [h512-drop04-ema999]="--hidden 512 --dropout 0.4 --ema 0.999"
  [h512-drop03-ema999-dec4500]="--hidden 512 --dropout 0.3 --ema 0.999 --decay-steps 4500 --steps 6000"
)
all_en="plain seed2 ema999 ema9995 drop02-ema999 drop03-ema999 ema999-s2 ema999-s3 ema999-s4 b256-ema999
        steps4k-ema999 ema999-dec4500 h512-drop03-ema999 h512-drop03-ema999-s2 h512-drop03-ema999-s3
        h512-drop03-ema999-s4 h512-drop04-ema999 h512-drop03-ema999-dec4500"
declare -A EN_ENS=([ens2-ema999]="ema999 ema999-s2" [ens4-ema999]="ema999 ema999-s2 ema999-s3 ema999-s4"
  [ens2-h512]="h512-drop03-ema999 h512-drop03-ema999-s2"
  [ens4-h512]="h512-drop03-ema999 h512-drop03-ema999-s2 h512-drop03-ema999-s3 h512-drop03-ema999-s4")
if [[ $profile == gpu ]]; then
  arm_order=$all_arms; base_order="h512 h512-6k"; en_order=$all_en
else
  arm_order="wd03 ld03 ed01 ema90 dec120 drop65 nobal fix300 seed2 before"; base_order=""
  en_order="ema999 ema999-dec4500"
fi
arms_run=${ARMS-$arm_order}
bases_run=${BASES-$base_order}
en_run=${ENGLISH_RUNS-$en_order}
for n in $arms_run; do [[ -v ARM[$n] ]] || { echo "levers_study.sh: ARMS: no arm '$n' (the table: $(echo $all_arms))" >&2; exit 2; }; done
for n in $en_run; do [[ -v EN[$n] ]] || { echo "levers_study.sh: ENGLISH_RUNS: no run '$n' (the table: $(echo $all_en))" >&2; exit 2; }; done
for n in $bases_run; do [[ -v BASE[$n] ]] || { echo "levers_study.sh: BASES: no base '$n' (the table: ${!BASE[*]})" >&2; exit 2; }; done
mkdir -p "$out"

steps() { if [[ $quick == 1 ]]; then echo 30; else echo "$1"; fi; }
# What is left before DEADLINE, as a `timeout` for a step (none without one).
limit() {
  if [[ $deadline -gt 0 ]]; then local left=$((deadline - (SECONDS - t0))); echo "timeout $(( left > 1 ? left : 1 ))"; fi
}
log() { echo "[$((SECONDS - t0))s] $*" | tee -a "$out/timeline.log"; }
# A step that fails is said in the log and makes the exit status 1; the rest run on.
failed() { log "$* FAILED"; touch "$out/.failed"; }
rm -f "$out/.failed"
pack() {
  [[ -n ${OUT:-} ]] || return 0
  tar -czf "$OUT/levers-results.tar.gz" --exclude='*.safetensors' "$out" && log "packed $OUT/levers-results.tar.gz"
  cp "$out"/*.md "$out/timeline.log" "$OUT"/ 2>/dev/null
}
trap pack EXIT
log "$($wuxia --version 2>&1 | head -1); device $device; profile $profile; route $route; jobs $jobs; deadline ${deadline}s"
[[ $device == cuda ]] && { nvidia-smi -L 2>&1 | tee -a "$out/timeline.log"; }

# 1. The bases: the route's own (made by the route itself, as a first run
#    makes it), and wider ones, which only a GPU makes cheaply.
mkdir -p "$out/bases"
s=$SECONDS
if [[ -n ${casts// } ]]; then
  $(limit) $wuxia train --base-dir "$out/bases/route" --base-steps "$(steps 3000)" --data jinyong=data/jinyong.txt \
    --out "$out/bases/route-fine-tune" --overwrite --device "$device" >"$out/bases/route.log" 2>&1 ||
    { failed "the route (see $out/bases/route.log)"; exit 1; }
  log "the route's base and its first fine-tune: $((SECONDS - s))s; $(grep -m1 '^done:' "$out/bases/route.log")"
fi
base_run() {  # NAME
  local name=$1 s=$SECONDS flags
  read -ra flags <<<"${BASE[$name]}"
  [[ $quick == 1 ]] && flags+=(--steps 30)
  $(limit) $wuxia train --data ancient=data/ancient.txt --data poets=data/poets.txt --embed 128 --layers 1 \
    --dropout 0.1 --batch 256 --eval-every 500 --lr 1e-2 "${flags[@]}" --out "$out/bases/$name" --overwrite \
    --device "$device" >"$out/bases/$name.log" 2>&1 || { failed "base $name (see $out/bases/$name.log)"; return 1; }
  log "base $name: $(grep '^done:' "$out/bases/$name.log") ($((SECONDS - s))s)"
}
for b in $bases_run; do base_run "$b" & done
wait
grep -sH '^done:' "$out"/bases/*.log >"$out/bases.md"

# 2. The English names, 1,000 held out by a seeded draw; every run and
#    ensemble scored on them.
en_eval() {  # ROW-NAME FLAGS-TEXT RUN...
  local name=$1 flags=$2; shift 2
  local ck=() r
  for r in "$@"; do ck+=(--checkpoint "$out/english/$r/best.safetensors"); done
  local test
  test=$($wuxia eval "${ck[@]}" --style en --device cpu --json "$out/english/test.txt") || { failed "english $name: eval"; return 1; }
  local done_line=""
  [[ $# == 1 ]] && done_line=$(grep -m1 '^done:' "$out/english/$1.log" | sed 's/^done: //')
  echo "| $name | \`$flags\` | $(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print("%.4f | %d" % (d["loss"], d["names"]))' "$test") | $done_line |" \
    >"$out/english/$name.row"
}
english_run() {  # NAME
  local name=$1 flags
  read -ra flags <<<"${EN[$name]}"
  [[ $quick == 1 ]] && flags+=(--steps 30)
  $(limit) $wuxia train --data en="$out/english/train.txt" --from-scratch --embed 64 --hidden 256 --layers 2 \
    --dropout 0.1 --steps 12000 "${flags[@]}" --out "$out/english/$name" --overwrite --device "$device" \
    >"$out/english/$name.log" 2>&1 || { failed "english $name (see $out/english/$name.log)"; return 1; }
  en_eval "$name" "${EN[$name]}" "$name" && log "english $name done"
}
english_all() {
  local pids=() n members m ok
  for n in $en_run; do english_run "$n" & pids+=($!); done
  wait "${pids[@]}"
  for n in "${!EN_ENS[@]}"; do
    members=(${EN_ENS[$n]}); ok=1
    for m in "${members[@]}"; do [[ -f $out/english/$m/best.safetensors ]] || ok=0; done
    [[ $ok == 1 ]] && en_eval "$n" "ensemble of ${members[*]}" "${members[@]}" && log "english $n done"
  done
}
if [[ -f $english && -n $en_run ]]; then
  mkdir -p "$out/english"
  if python3 - "$english" "$out/english" <<'PY'
import random, sys
names = [l.strip() for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
names = list(dict.fromkeys(names))
test = set(random.Random(3407).sample(names, 1000))
open(sys.argv[2] + "/test.txt", "w").write("\n".join(n for n in names if n in test) + "\n")
open(sys.argv[2] + "/train.txt", "w").write("\n".join(n for n in names if n not in test) + "\n")
PY
  then english_all &
  else failed "english: holding 1,000 names out of $english"
  fi
fi

# 3. The levers over the splits of each cast, against the route's base.
base="$out/bases/route/best.safetensors"
arms=()
for n in $arms_run; do
  flags=${ARM[$n]}
  [[ $quick == 1 ]] && flags+=" --steps 30"
  arms+=(--arm "$n=$flags")
done
for n in ${ENSEMBLES-${!ENS[@]}}; do
  ok=1
  for m in $(tr + ' ' <<<"${ENS[$n]}"); do [[ $m == fine-tuned || " $arms_run " == *" $m "* ]] || ok=0; done
  [[ $ok == 1 ]] && arms+=(--ensemble "$n=${ENS[$n]}")
done
quick_flags=()
[[ $quick == 1 ]] && quick_flags=(--train-flags "--steps 30" --tune-flags "--steps 30" --samples 50)
n_casts=$(wc -w <<<"$casts")
for cast in $casts; do
  with=()
  if [[ $route == both ]]; then  # the other bundled cast beside it, as the default route trains
    for other in jinyong gulong; do [[ $other != "$cast" ]] && with+=(--with "$other=data/$other.txt"); done
  fi
  $(limit) python3 scripts/quality.py --wuxia "$wuxia" --cast "$cast=data/$cast.txt" --base "$base" --splits "$splits" \
    --out "$out/quality" --device "$device" --jobs $(( jobs / n_casts > 1 ? jobs / n_casts : 1 )) \
    "${with[@]}" "${quick_flags[@]}" "${arms[@]}" >"$out/$cast.md" 2>"$out/$cast.err" || failed "cast $cast (see $out/$cast.err)" &
done
wait
log "levers done"
if [[ -d $out/english ]]; then
  { echo "| run | flags | test NLL | test names | training |"; echo "|---|---|---|---|---|"; cat "$out"/english/*.row 2>/dev/null; } \
    >"$out/english.md"
fi
for f in "$out"/*.md; do echo "== $f"; cat "$f"; done
for f in "$out"/*.err; do [[ -s $f ]] && { echo "== $f"; tail -5 "$f"; }; done
log "done"
[[ ! -f $out/.failed ]]
