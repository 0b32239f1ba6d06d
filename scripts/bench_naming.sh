#!/usr/bin/env bash
# The naming helper's benchmark row (issue 19; docs/NAMING.md):
# `wuxia name -n 50` with every filter, each run a fresh process (a cold
# start: tables, checkpoint and search), ROUNDS times; prints one markdown
# row with the best and worst wall and CPU (user + sys) seconds, the peak
# memory, the load average, the names outside the level asked (must be 0)
# and the distinct characters of the 50 names. The target: under a second.
#
#   scripts/bench_naming.sh [WUXIA_BINARY] [CHECKPOINT]
#       (defaults: build/wuxia, runs/base/best.safetensors; ROUNDS=5)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
wuxia="${1:-$root/build/wuxia}"
ckpt="${2:-runs/base/best.safetensors}"
rounds="${ROUNDS:-5}"
[ -x "$wuxia" ] || { echo "bench_naming.sh: no wuxia binary at $wuxia (build it, or pass its path)" >&2; exit 2; }
[ -f "$ckpt" ] || { echo "bench_naming.sh: no checkpoint at $ckpt (wuxia train makes runs/base on first use)" >&2; exit 2; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

level=2
args=(name --checkpoint "$ckpt" --surname 张 -n 50 --gender girl --level "$level" --tones '??仄' --with 淑
      --exclude 芳 --avoid 张秀英,张国华 --source any --json)
for ((i = 0; i < rounds; i++)); do
  /usr/bin/time -o "$out/time.$i" -f "%e %U %S %M" "$wuxia" "${args[@]}" >"$out/names.jsonl" 2>"$out/stderr"
done
load="$(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$out" "$rounds" "$level" "$load" <<'PY'
import json, sys
out, rounds, level, load = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
wall, cpu, mem = [], [], []
for i in range(rounds):
    e, u, s, m = open(f"{out}/time.{i}").read().split()
    wall.append(float(e)); cpu.append(float(u) + float(s)); mem.append(int(m))
names = [json.loads(l) for l in open(f"{out}/names.jsonl")]
outside = sum(1 for n in names if any(v == 0 or v > level for v in n["levels"][len(n["surname"]):]))
chars = {c for n in names for c in n["given"]}
print("| run | names | wall s (best-worst) | CPU s (best-worst) | peak MB | load average | outside level | distinct characters |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
print(f"| name -n 50, every filter, cold | {len(names)} | {min(wall):.2f}-{max(wall):.2f} | {min(cpu):.2f}-{max(cpu):.2f} "
      f"| {max(mem) / 1024:.0f} | {load} | {outside} | {len(chars)} |")
PY
