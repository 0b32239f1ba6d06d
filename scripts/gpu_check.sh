#!/usr/bin/env bash
# The GPU check: one command on a machine with an NVIDIA GPU.
#
#   scripts/gpu_check.sh [DATA]
#
# Builds wuxia with the CUDA backend into build-gpu/ (or just rebuilds an
# existing build-gpu/), runs the GPU parity tests, runs compute-sanitizer
# (memcheck, racecheck, initcheck, synccheck) over the small-size GPU tests,
# runs `wuxia verify` at two model sizes, a short `wuxia train --device cuda`
# on DATA, and the GPU benchmarks against PyTorch/cuDNN (`scripts/bench.sh
# --gpu`, i.e. scripts/bench_gpu.py), and writes a report to
# docs/gpu-reports/<date>-<card>.md. GPU_CHECK_STEPS picks the parts (default
# "tests,sanitizers,verify,train,bench"), so that a short device lease can
# split them over two calls; GPU_CHECK_BUDGET (seconds) caps the whole run so
# that the report is written before a device call's time limit.
#
# DATA defaults to local-data/ancient_names.txt, a git-ignored copy of the
# shared scale data set; make it with
#   mkdir -p local-data && cp ../shared/data/ancient_names.txt local-data/
#
# Environment: WUXIA_CUDA_ARCHITECTURES (default 90), WUXIA_GPU_BUILD (default
# build-gpu; a folder made by scripts/make_gpu_bundle.sh is run without
# building, for device images that lack this project's dependencies); when OUT names a folder (a lent device machine), the report and
# a tarball of the logs are copied there. Meant to take about 5 minutes on an
# H100 with 16 cores, most of it the build; every step has a time limit.
# Needs the packages of scripts/setup.sh (gtest, OpenBLAS, cxxopts,
# nlohmann-json) besides the CUDA toolkit. Exit status 0 when every step
# passed, 1 otherwise, 2 when it could not start (no data file, no GPU).
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 2
data=${1:-local-data/ancient_names.txt}
build=${WUXIA_GPU_BUILD:-build-gpu}
arch=${WUXIA_CUDA_ARCHITECTURES:-90}
jobs=$(nproc 2>/dev/null || echo 4)

if [[ ! -f $data ]]; then
  echo "gpu_check: no data file '$data'." >&2
  if [[ $data == local-data/ancient_names.txt ]]; then
    echo "  make the local copy first: mkdir -p local-data && cp ../shared/data/ancient_names.txt local-data/" >&2
    echo "  (local-data/ is git-ignored: on a lent device machine, name it in the run's 'carry')" >&2
  fi
  echo "  or pass a name file: scripts/gpu_check.sh FILE" >&2
  exit 2
fi
if ! command -v nvidia-smi >/dev/null || ! nvidia-smi -L >/dev/null 2>&1; then
  echo "gpu_check: nvidia-smi finds no GPU here; this script is for a machine with one." >&2
  exit 2
fi

card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -n 1)
slug=$(printf '%s' "$card" | tr '[:upper:]' '[:lower:]' | sed -E 's/[^a-z0-9]+/-/g; s/^-+//; s/-+$//')
day=$(date +%F)
report=docs/gpu-reports/$day-${slug:-gpu}${GPU_CHECK_STEPS:+-${GPU_CHECK_STEPS//,/-}}.md
logs=$build/gpu-check-logs
mkdir -p "$logs" docs/gpu-reports
t_start=$(date +%s)
budget=${GPU_CHECK_BUDGET:-0}

# ---- step runner -------------------------------------------------------------
names=() results=() times=() logfiles=()
failed=0

# run_step NAME LOGNAME LIMIT_SECONDS CMD...: runs CMD with a time limit, its
# output to a log file and to the terminal; records pass/fail and duration.
run_step() {
  local name=$1 log=$logs/$2.log limit=$3
  shift 3
  # GPU_CHECK_BUDGET: past it no step starts, and none runs past it, so the
  # report is always written inside a device call's time limit.
  if ((budget > 0)); then
    local left=$((budget - ($(date +%s) - t_start)))
    if ((left < 15)); then
      skip_step "$name" "GPU_CHECK_BUDGET of ${budget}s spent"
      return 1
    fi
    ((limit > left)) && limit=$left
  fi
  echo "==> $name"
  local t0=$SECONDS rc
  timeout --kill-after=10 "$limit" "$@" >"$log" 2>&1
  rc=$?
  local dt=$((SECONDS - t0)) res
  if ((rc == 0)); then
    res=PASS
  elif ((rc == 124 || rc == 137)); then
    res="FAIL (timed out after ${limit}s)"
  else
    res="FAIL (exit $rc)"
  fi
  ((rc == 0)) || failed=1
  tail -n 5 "$log" | sed 's/^/    /'
  echo "    -> $res in ${dt}s"
  names+=("$name") results+=("$res") times+=("$dt") logfiles+=("$log")
  return "$rc"
}

skip_step() {
  names+=("$1") results+=("SKIPPED ($2)") times+=("0") logfiles+=("")
  failed=1
  echo "==> $1: skipped ($2)"
}

# After a gtest step: the GPU tests must run, not skip. On a GPU machine a
# skip means the backend found no usable GPU, itself the failure to report
# (and a sanitizer run over skipped tests checks nothing).
fail_if_skipped() {
  if [[ ${results[-1]} == PASS ]] && grep -q '^\[  SKIPPED \]' "$1"; then
    echo "    GPU tests were SKIPPED on a GPU machine; see $1"
    results[-1]="FAIL (tests skipped: no usable GPU?)"
    failed=1
  fi
}

# ---- build -------------------------------------------------------------------
built=0
if [[ -f $build/PREBUILT ]]; then
  # A bundle from scripts/make_gpu_bundle.sh: binaries built elsewhere for
  # sm_90 with the shared libraries the device image lacks beside them. cuBLAS
  # comes from the device: the toolkit's, or else the one PyTorch's wheels ship.
  echo "==> using the prebuilt bundle $build (built from commit $(cat "$build/PREBUILT"))"
  libs=$root/$build/lib
  if ! ldconfig -p 2>/dev/null | grep -q 'libcublas\.so\.13'; then
    pylibs=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null || true)
    [[ -n $pylibs ]] && libs=$libs:$pylibs
  fi
  export LD_LIBRARY_PATH=$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  if ! "$build/wuxia" --help >/dev/null 2>&1; then  # the device's C++ runtime is older than ours
    export LD_LIBRARY_PATH=$root/$build/lib/fallback:$LD_LIBRARY_PATH
  fi
  run_step "prebuilt binaries start" build 60 "$build/wuxia" --help && built=1
elif [[ -f $build/CMakeCache.txt ]]; then
  echo "==> reusing $build (cmake --build re-runs configure if CMakeLists changed)"
  run_step "build (incremental)" build 480 cmake --build "$build" -j "$jobs" && built=1
else
  gen=()
  command -v ninja >/dev/null && gen=(-G Ninja)
  if run_step "configure (CUDA arch $arch)" configure 120 cmake -S . -B "$build" "${gen[@]}" \
    -DCMAKE_BUILD_TYPE=Release -DWUXIA_CUDA=ON -DWUXIA_CUDA_ARCHITECTURES="$arch"; then
    run_step "build" build 480 cmake --build "$build" -j "$jobs" && built=1
  else
    echo "    configure failed: missing packages? scripts/setup.sh lists them (gtest, OpenBLAS, cxxopts, nlohmann-json)" >&2
  fi
fi

tests=$build/tests/wuxia_tests
wuxia=$build/wuxia
small_filter='Sizes/CudaOps.*/Small:Sizes/CudaModel.*/Small'

steps=",${GPU_CHECK_STEPS:-tests,sanitizers,verify,train,bench},"
want() { [[ $steps == *",$1,"* ]]; }

if ((built)); then
  if want tests; then
    run_step "GPU parity tests (*Cuda*)" gpu-tests 240 "$tests" --gtest_filter='*Cuda*' --gtest_color=no
    fail_if_skipped "$logs/gpu-tests.log"
  fi

  if ! want sanitizers; then
    :
  elif command -v compute-sanitizer >/dev/null; then
    for tool in memcheck racecheck initcheck synccheck; do
      extra=()
      [[ $tool == memcheck ]] && extra=(--leak-check full)
      run_step "compute-sanitizer $tool (small sizes)" "sanitizer-$tool" 120 \
        compute-sanitizer --tool "$tool" "${extra[@]}" --error-exitcode 1 --print-limit 20 \
        "$tests" --gtest_filter="$small_filter" --gtest_color=no
      fail_if_skipped "$logs/sanitizer-$tool.log"
    done
  else
    skip_step "compute-sanitizer" "not on PATH"
  fi

  if want verify; then
    run_step "wuxia verify, odd sizes (E=17 H=33 L=1 B=3)" verify-small 120 \
      "$wuxia" verify --data "$data" --steps 3 --embed 17 --hidden 33 --layers 1 --batch 3 --dropout 0.2
    run_step "wuxia verify, typical sizes (E=64 H=256 L=2 B=64)" verify-typical 180 \
      "$wuxia" verify --data "$data" --steps 3 --embed 64 --hidden 256 --layers 2 --batch 64 --dropout 0.1
    run_step "wuxia verify --free-run (the training path: CUDA Graph replays), 8 steps" verify-free-run 180 \
      "$wuxia" verify --data "$data" --steps 8 --embed 64 --hidden 256 --layers 2 --batch 64 --dropout 0.1 \
      --free-run --rtol 1e-2
  fi

  if want train; then
    rm -rf "$build/gpu-check-run"
    run_step "wuxia train --device cuda (300 steps)" train 240 \
      "$wuxia" train --device cuda --data "$data" --steps 300 --eval-every 100 --log-every 50 \
      --out "$build/gpu-check-run"
  fi

  if want bench; then
    if python3 -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then
      run_step "benchmarks vs PyTorch/cuDNN (scripts/bench.sh --gpu)" bench 330 \
        python3 scripts/bench_gpu.py "$wuxia" --data-large "$data" --budget 270 --out "$build/gpu-bench"
    else
      run_step "benchmarks, wuxia only (no PyTorch with CUDA here)" bench 330 \
        python3 scripts/bench_gpu.py "$wuxia" --data-large "$data" --rounds 1 --budget 270 --out "$build/gpu-bench"
    fi
  fi
else
  skip_step "GPU tests, sanitizers, verify, train" "the build failed"
fi

# ---- report ------------------------------------------------------------------
total=$(($(date +%s) - t_start))
commit=$(git rev-parse --short HEAD 2>/dev/null || echo "unknown (no git here)")
dirty=""
if git rev-parse --git-dir >/dev/null 2>&1 && [[ -n $(git status --porcelain --untracked-files=no 2>/dev/null) ]]; then
  dirty=" + uncommitted changes"
fi
fence='```'
{
  echo "# GPU check: $card, $day"
  echo
  echo "- result: $( ((failed)) && echo "**FAIL**" || echo "**PASS**")"
  echo "- commit: $commit$dirty"
  echo "- GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader | head -n 1)"
  echo "- CUDA compiler: $(nvcc --version 2>/dev/null | grep -o 'release [0-9.]*' || echo unknown); architectures: $arch"
  echo "- host: $(nproc) cores; $(uname -sr)"
  echo "- data: $data ($(wc -l <"$data") lines)"
  echo "- total time: ${total}s"
  echo
  echo "| step | result | time |"
  echo "| --- | --- | --- |"
  for i in "${!names[@]}"; do
    echo "| ${names[$i]} | ${results[$i]} | ${times[$i]}s |"
  done
  for i in "${!names[@]}"; do
    log=${logfiles[$i]}
    [[ -n $log && -f $log ]] || continue
    echo
    echo "## ${names[$i]}: ${results[$i]}"
    echo
    case $log in
      *verify-*.log) echo "$fence"; cat "$log"; echo "$fence" ;;
      *bench.log) cat "$log" ;;  # markdown already
      *gpu-tests.log) echo "$fence"; grep -E '^\[ *(OK|FAILED|SKIPPED|PASSED) *\]|Failure|Skipped|^\[=+\]' "$log" | tail -n 80; echo "$fence" ;;
      *) echo "$fence"; tail -n 30 "$log"; echo "$fence" ;;
    esac
  done
} >"$report"

# On a lent device machine only what lands in $OUT comes back.
if [[ -n ${OUT:-} && -d ${OUT:-} ]]; then
  bench_dir=()
  [[ -d $build/gpu-bench ]] && bench_dir=(gpu-bench)
  cp "$report" "$OUT/" && tar -czf "$OUT/gpu-check-logs.tar.gz" --exclude='*.safetensors' --exclude='*.nsys-rep' \
    --exclude='*.sqlite' -C "$build" gpu-check-logs "${bench_dir[@]}"
fi

echo
echo "report: $report (logs in $logs), ${total}s"
((failed)) && { echo "gpu_check: FAIL"; exit 1; }
echo "gpu_check: PASS"
exit 0
