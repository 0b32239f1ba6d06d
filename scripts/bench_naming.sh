#!/usr/bin/env bash
# The naming helper's benchmark rows (issue 19; docs/NAMING.md), each run a
# fresh process (a cold start), ROUNDS times:
# - `wuxia name -n N` (50) with the filters (below): tables, checkpoint and
#   search;
# - `wuxia explain` of four names: tables, then each name's readings, the
#   classics' lines and its namesakes in the four bundled lists (read, not
#   parsed into a set: 253k names decoded and hashed would take about half a
#   second on their own).
# Prints a markdown row each with the best and worst wall and CPU (user +
# sys) seconds, the peak memory, the load average, and for `name` the names
# outside the level asked (must be 0) and their distinct characters. The
# target: under a second each.
#
#   scripts/bench_naming.sh [WUXIA_BINARY] [CHECKPOINT]
#       (defaults: build/wuxia, runs/base/best.safetensors; ROUNDS=5, N=50)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
wuxia="${1:-$root/build/wuxia}"
ckpt="${2:-runs/base/best.safetensors}"
rounds="${ROUNDS:-5}"
n="${N:-50}"
[ -x "$wuxia" ] || { echo "bench_naming.sh: no wuxia binary at $wuxia (build it, or pass its path)" >&2; exit 2; }
[ -f "$ckpt" ] || { echo "bench_naming.sh: no checkpoint at $ckpt (wuxia train makes runs/base on first use)" >&2; exit 2; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

level=2
# Every filter but --with: with --with 淑 as well, the base finds only 19
# names that a line of the classics credits (since 83ce59c a line credits a
# name only as a word or facing in a couplet, and 28 lines hold 淑), and a
# benchmark that cannot fill its list measures a failure.
name_args=(name --checkpoint "$ckpt" --surname 张 -n "$n" --gender girl --level "$level" --tones '??仄'
           --exclude 芳 --avoid 张秀英,张国华 --source any --json)
explain_args=(explain --json 张绍曾 张思德 欧阳修 令狐冲)
run() {  # run NAME ARGS...: ROUNDS cold runs, times in $out/NAME.time.I, the last output in $out/NAME.out
  local what="$1"
  shift
  for ((i = 0; i < rounds; i++)); do
    if ! /usr/bin/time -o "$out/$what.time.$i" -f "%e %U %S %M" "$wuxia" "$@" >"$out/$what.out" 2>"$out/$what.err"; then
      echo "bench_naming.sh: wuxia $* failed:" >&2
      cat "$out/$what.err" >&2
      exit 1
    fi
  done
}
run name "${name_args[@]}"
run explain "${explain_args[@]}"
load="$(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$out" "$rounds" "$level" "$load" "$n" <<'PY'
import json, sys
out, rounds, level, load, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]

def times(what):
    wall, cpu, mem = [], [], []
    for i in range(rounds):
        e, u, s, m = open(f"{out}/{what}.time.{i}").read().split()
        wall.append(float(e)); cpu.append(float(u) + float(s)); mem.append(int(m))
    return f"{min(wall):.2f}-{max(wall):.2f} | {min(cpu):.2f}-{max(cpu):.2f} | {max(mem) / 1024:.0f} | {load}"

names = [json.loads(l) for l in open(f"{out}/name.out")]
outside = sum(1 for x in names if any(v == 0 or v > level for v in x["levels"][len(x["surname"]):]))
chars = {c for x in names for c in x["given"]}
explained = [json.loads(l) for l in open(f"{out}/explain.out")]
print("| run | names | wall s (best-worst) | CPU s (best-worst) | peak MB | load average | outside level | distinct characters |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
print(f"| name -n {n}, the filters, cold | {len(names)} | {times('name')} | {outside} | {len(chars)} |")
print(f"| explain, four names with namesakes, cold | {len(explained)} | {times('explain')} | - | - |")
PY
