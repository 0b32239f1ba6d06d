#!/usr/bin/env bash
# wuxia against PyTorch on the CPU, one markdown table (docs/PERF.md explains
# the rows). Each row runs `wuxia bench --json` and scripts/bench_peer.py with
# the same model, data, batches and thread count, alternately, ROUNDS times,
# and keeps each side's best tokens/s: on a shared machine other work only
# ever slows a run down, so the best run is the least disturbed one.
#
#   scripts/bench.sh [WUXIA_BINARY]        (default: build/wuxia)
#   scripts/bench.sh --gpu [WUXIA_BINARY]  the GPU rows instead: against
#       PyTorch/cuDNN on this machine's GPU (scripts/bench_gpu.py says which;
#       scripts/gpu_check.sh runs them on a device machine)
#
# Environment: ROUNDS (2), SMALL_STEPS (100), MEDIUM_STEPS (12), BUSY_STEPS (300), SAMPLE_N
# (10000), THREADS_ALL (nproc), OUT (a scratch folder, default a temp dir),
# PYTHON (the interpreter with torch; default /usr/bin/python3, where
# scripts/setup.sh installs Debian's python3-torch, else python3).
# When OPENBLAS_CORETYPE is set (it pins OpenBLAS's kernels), wuxia also runs
# with it unset, in its own column: OpenBLAS's own choice for this CPU.
# OpenMP settings (OMP_WAIT_POLICY, ...) apply to both sides alike; unset,
# wuxia's threads wait passively (src/platform/omp_env.cpp) and PyTorch's spin.
# The busy-machine rows run wuxia alone (no peer) while this script keeps one
# core busy with a process of its own: 1 and THREADS_ALL threads, with
# wuxia's default waits and with spinning ones (OMP_WAIT_POLICY=active).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ "${1:-}" = "--gpu" ]; then
  shift
  exec "${PYTHON:-python3}" "$root/scripts/bench_gpu.py" "${1:-$root/build/wuxia}" ${OUT:+--out "$OUT"}
fi
wuxia="${1:-$root/build/wuxia}"
peer="$root/scripts/bench_peer.py"
rounds="${ROUNDS:-2}"
small_steps="${SMALL_STEPS:-100}"
medium_steps="${MEDIUM_STEPS:-12}"
sample_n="${SAMPLE_N:-10000}"
threads_all="${THREADS_ALL:-$(nproc)}"
out="${OUT:-$(mktemp -d)}"
small_data="$root/data/jinyong.txt"
medium_data="$root/../shared/data/ancient_names.txt"

[ -x "$wuxia" ] || { echo "bench.sh: no wuxia binary at $wuxia (build it, or pass its path)" >&2; exit 2; }
py=${PYTHON:-}
if [ -z "$py" ]; then
  py=python3
  /usr/bin/python3 -c "import torch" 2>/dev/null && py=/usr/bin/python3
fi
"$py" -c "import torch" 2>/dev/null || { echo "bench.sh: PyTorch is not installed for $py (scripts/setup.sh installs it)" >&2; exit 2; }
mkdir -p "$out"
start=$(date +%s)

# Runs "$@" and appends its JSON line to file $1 (the rest is the command).
record() {
  local file="$1"; shift
  "$@" 2>>"$out/stderr.log" | tail -n 1 >>"$file"
}

# One training row: name, data, wuxia bench flags, threads.
rows=()
train_row() {
  local name="$1" data="$2" flags="$3" threads="$4"
  local tag="${name// /_}_t${threads}"
  : >"$out/$tag.wuxia"; : >"$out/$tag.peer"; : >"$out/$tag.auto"
  for _ in $(seq "$rounds"); do
    record "$out/$tag.wuxia" "$wuxia" bench --data "$data" $flags --threads "$threads" --json
    if [ -n "${OPENBLAS_CORETYPE:-}" ]; then
      record "$out/$tag.auto" env -u OPENBLAS_CORETYPE "$wuxia" bench --data "$data" $flags --threads "$threads" --json
    fi
    record "$out/$tag.peer" "$py" "$peer" train --data "$data" $flags --threads "$threads" --json
  done
  rows+=("$name|$threads|$tag")
}

small="--batch 64 --hidden 128 --embed 64 --layers 1 --steps $small_steps --warmup 10"
busy_small="--batch 64 --hidden 128 --embed 64 --layers 1 --steps ${BUSY_STEPS:-300} --warmup 10"
medium="--batch 256 --hidden 256 --embed 64 --layers 2 --steps $medium_steps --warmup 3"
notes=()
for t in 1 "$threads_all"; do
  train_row "small" "$small_data" "$small" "$t"
done
if [ -f "$medium_data" ]; then
  for t in 1 "$threads_all"; do
    train_row "medium" "$medium_data" "$medium" "$t"
  done
else
  notes+=("medium rows skipped: $medium_data is absent")
fi

# Busy machine: one process of this script's own keeps a core busy while the
# small row runs on 1 and THREADS_ALL threads, with wuxia's default waits and
# with spinning ones, alternately.
busy_pid=""
stop_busy() { [ -n "$busy_pid" ] && kill "$busy_pid" 2>/dev/null; busy_pid=""; }
trap stop_busy EXIT
busy_rows=()
if ((threads_all > 1)); then
  sh -c 'while :; do :; done' &
  busy_pid=$!
  sleep 1
  for t in 1 "$threads_all"; do : >"$out/busy_t$t.default"; : >"$out/busy_t$t.active"; done
  for _ in $(seq "$rounds"); do
    for t in 1 "$threads_all"; do
      record "$out/busy_t$t.default" "$wuxia" bench --data "$small_data" $busy_small --threads "$t" --json
      record "$out/busy_t$t.active" env OMP_WAIT_POLICY=active "$wuxia" bench --data "$small_data" $busy_small --threads "$t" --json
    done
  done
  stop_busy
  busy_rows=("busy|$threads_all")
fi

# Sampling: names/s for SAMPLE_N distinct names from the same H=256 weights,
# one thread. wuxia is timed as a whole process (start, checkpoint load,
# sampling, printing); the peer's figure excludes torch's import and the load.
ckpt="$out/sample/best.safetensors"
if [ ! -f "$ckpt" ]; then
  "$wuxia" train --data "$small_data" --out "$out/sample" --hidden 256 --embed 64 --layers 2 --steps 600 \
    --eval-every 600 --device cpu --threads "$threads_all" --quiet >/dev/null
fi
time_sample() {  # prints {"names_per_sec": ...} for one `wuxia sample` run: wall and CPU seconds
  python3 - "$@" <<'EOF'
import json, resource, subprocess, sys, time
def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime
t0, c0 = time.perf_counter(), cpu()
out = subprocess.run(sys.argv[1:], check=True, capture_output=True, text=True).stdout
s, c = time.perf_counter() - t0, cpu() - c0
n = len(out.splitlines())
print(json.dumps({"names": n, "seconds": s, "names_per_sec": n / s, "cpu_seconds": c}))
EOF
}
: >"$out/sample.wuxia"; : >"$out/sample.peer"; : >"$out/sample.auto"
for _ in $(seq "$rounds"); do
  time_sample "$wuxia" sample --checkpoint "$ckpt" -n "$sample_n" --threads 1 --seed 1 >>"$out/sample.wuxia"
  if [ -n "${OPENBLAS_CORETYPE:-}" ]; then
    time_sample env -u OPENBLAS_CORETYPE "$wuxia" sample --checkpoint "$ckpt" -n "$sample_n" --threads 1 --seed 1 >>"$out/sample.auto"
  fi
  record "$out/sample.peer" "$py" "$peer" sample --checkpoint "$ckpt" -n "$sample_n" --threads 1 --json
done

"$py" - "$root" "$out" "$(( $(date +%s) - start ))" "${OPENBLAS_CORETYPE:-}" "${rows[@]}" "${busy_rows[@]+"${busy_rows[@]}"}" "${notes[@]+"${notes[@]}"}" <<'EOF'
import json, os, subprocess, sys
root, out, elapsed, pinned, items = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
rows = [i for i in items if i.count("|") == 2]
busy = [i for i in items if i.startswith("busy|")]
notes = [i for i in items if i.count("|") == 0]

def runs(path):
    if not os.path.exists(path):
        return []
    return [json.loads(l) for l in open(path) if l.strip().startswith("{")]

def best(path, key):
    r = runs(path)
    return max(r, key=lambda j: j[key]) if r else None

cpu = subprocess.run(["sh", "-c", "lscpu | sed -n 's/^Model name: *//p'"], capture_output=True, text=True).stdout.strip()
git = lambda *a: subprocess.run(["git", "-C", root, *a], capture_output=True, text=True).stdout.strip()
commit = git("rev-parse", "--short", "HEAD") or "?"
if git("status", "--porcelain"):
    commit += " with uncommitted changes"
first = runs(f"{out}/{rows[0].split('|')[2]}.peer") if rows else []
wx = runs(f"{out}/{rows[0].split('|')[2]}.wuxia") if rows else []
print(f"date: {subprocess.run(['date', '-u', '+%Y-%m-%d %H:%M UTC'], capture_output=True, text=True).stdout.strip()}; "
      f"machine: {cpu}, {os.cpu_count()} cores; commit {commit}")
flags = set()
if os.path.exists("/proc/cpuinfo"):
    for line in open("/proc/cpuinfo"):
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            break
# The vector extensions that decide which GEMM kernels OpenBLAS and the peer pick.
print("CPU flags: " + ", ".join(f"{f} {'yes' if f in flags else 'no'}" for f in ("avx", "avx2", "fma", "avx512f", "avx512_bf16")))
if wx:
    print(f"wuxia BLAS: {wx[0]['runtime']}")
if first:
    print(f"PyTorch: {first[0]['runtime']}")
print(f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(unset: wuxia waits passively, PyTorch spins first)')}; "
      f"load average at the end: {open('/proc/loadavg').read().split()[0:3] if os.path.exists('/proc/loadavg') else '?'}")
auto_col = bool(pinned)
if auto_col:
    print(f"OPENBLAS_CORETYPE={pinned} is set; the last columns run wuxia without it (OpenBLAS picks its kernels)")
print()
head = "| row | threads | PyTorch tok/s | wuxia tok/s | wuxia/PyTorch | wuxia step ms median (p10-p90) | PyTorch step ms median (p10-p90) | wuxia peak RSS MiB |"
sep = "|---|---|---|---|---|---|---|---|"
if auto_col:
    head += " wuxia tok/s, OpenBLAS's choice | ratio |"
    sep += "---|---|"
print(head)
print(sep)
for item in rows:
    name, threads, tag = item.split("|")
    w, p, a = best(f"{out}/{tag}.wuxia", "tokens_per_sec"), best(f"{out}/{tag}.peer", "tokens_per_sec"), best(f"{out}/{tag}.auto", "tokens_per_sec")
    if not w or not p:
        print(f"| {name} | {threads} | failed (see {out}/stderr.log) |")
        continue
    if w["tokens"] != p["tokens"] or abs(w["first_loss"] - p["first_loss"]) > 1e-3 * abs(p["first_loss"]):
        notes.append(f"{name}/{threads}: the two sides did not run the same batches (tokens {w['tokens']} vs {p['tokens']})")
    line = (f"| {name} (B={w['batch']}, H={w['hidden']}, L={w['layers']}, V={w['vocab']}) | {threads} | "
            f"{p['tokens_per_sec']:,.0f} | {w['tokens_per_sec']:,.0f} | **{w['tokens_per_sec'] / p['tokens_per_sec']:.2f}x** | "
            f"{w['step_ms_median']:.2f} ({w['step_ms_p10']:.2f}-{w['step_ms_p90']:.2f}) | "
            f"{p['step_ms_median']:.2f} ({p['step_ms_p10']:.2f}-{p['step_ms_p90']:.2f}) | {w['peak_rss_mib']:.0f} |")
    if auto_col:
        line += f" {a['tokens_per_sec']:,.0f} | {a['tokens_per_sec'] / p['tokens_per_sec']:.2f}x |" if a else " - | - |"
    print(line)
w, p, a = best(f"{out}/sample.wuxia", "names_per_sec"), best(f"{out}/sample.peer", "names_per_sec"), best(f"{out}/sample.auto", "names_per_sec")
if w and p:
    line = (f"| sampling {p['names']} names (H={p['hidden']}, L={p['layers']}, V={p['vocab']}), names/s | 1 | "
            f"{p['names_per_sec']:,.0f} | {w['names_per_sec']:,.0f} | **{w['names_per_sec'] / p['names_per_sec']:.2f}x** | "
            f"{w['seconds']:.2f} s whole process | {p['seconds']:.2f} s sampling only | - |")
    if auto_col:
        line += f" {a['names_per_sec']:,.0f} | {a['names_per_sec'] / p['names_per_sec']:.2f}x |" if a else " - | - |"
    print(line)
    # The same runs by CPU time (each side's least): on a shared machine the
    # wall time is the scheduler's share of it, which changes from run to run.
    wc = min((r for r in runs(f"{out}/sample.wuxia") if "cpu_seconds" in r), key=lambda r: r["cpu_seconds"], default=None)
    pc = min((r for r in runs(f"{out}/sample.peer") if "cpu_seconds" in r), key=lambda r: r["cpu_seconds"], default=None)
    if wc and pc and wc["cpu_seconds"] > 0 and pc["cpu_seconds"] > 0:
        wr, pr = wc["names"] / wc["cpu_seconds"], pc["names"] / pc["cpu_seconds"]
        notes.append(f"sampling by CPU time: wuxia {wr:,.0f} names per CPU second ({wc['cpu_seconds']:.2f} s, whole process), "
                     f"PyTorch {pr:,.0f} ({pc['cpu_seconds']:.2f} s, sampling only): {wr / pr:.2f}x")
if busy:
    threads_all = busy[0].split("|")[1]
    print()
    print("Busy machine: one other process keeps a core busy (started and stopped by bench.sh); wuxia alone, small row:")
    print()
    print("| waits | tok/s, 1 thread | tok/s, " + threads_all + " threads | " + threads_all + " threads / 1 thread |")
    print("|---|---|---|---|")
    for policy, label in (("default", "wuxia's default (passive)"), ("active", "spinning (OMP_WAIT_POLICY=active)")):
        one, many = best(f"{out}/busy_t1.{policy}", "tokens_per_sec"), best(f"{out}/busy_t{threads_all}.{policy}", "tokens_per_sec")
        if not one or not many:
            print(f"| {label} | failed (see {out}/stderr.log) |")
            continue
        print(f"| {label} | {one['tokens_per_sec']:,.0f} | {many['tokens_per_sec']:,.0f} | **{many['tokens_per_sec'] / one['tokens_per_sec']:.2f}x** |")
print()
print(f"best of {len(runs(f'{out}/sample.peer'))} alternating runs per side; total {elapsed} s; raw JSON in {out}")
for n in notes:
    print(f"note: {n}")
EOF
