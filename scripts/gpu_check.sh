#!/usr/bin/env bash
# The GPU check: one command on a machine with an NVIDIA GPU.
#
#   scripts/gpu_check.sh [DATA]
#
# Builds wuxia with the CUDA backend into build-gpu/ (or just rebuilds an
# existing build-gpu/, or runs a bundle made by scripts/make_gpu_bundle.sh),
# runs the GPU parity tests, compute-sanitizer (memcheck, racecheck,
# initcheck, synccheck) over the small-size GPU tests, `wuxia verify` at two
# model sizes, on the training path and in BF16 (`--precision bf16`, issue
# 30), a short `wuxia train --device cuda` on
# DATA, and the GPU benchmarks against PyTorch/cuDNN (scripts/bench_gpu.py),
# and writes a report to docs/gpu-reports/<date>-<card>[-<steps>].md.
#
# GPU_CHECK_STEPS picks the parts (default "tests,sanitizers,verify,train,recurrence,bench";
# recurrence: issue 30's fused recurrence under racecheck/memcheck, verify and
# scripts/bench_recurrence.py)
# so that a short device lease can split them over calls (the calls that fit
# a 15-minute lease are in docs/gpu-reports/README.md). GPU_CHECK_BUDGET
# (seconds) caps the whole run: no step starts past it and none runs past
# it, so the report is written before a device call's time limit.
#
# Every step ends in one of four kinds, in the report and in the exit status:
#   PASS
#   FAIL        the code failed: a test, a tolerance, a sanitizer report, a
#               crash, a run that hung past its own time limit
#   ENVIRONMENT the machine could not run it: no usable GPU, a library not
#               found, a sanitizer that does not support the device
#   SKIPPED     not reached or not finished for want of time (the budget was
#               spent, a sanitizer too slow for its limit) or of a
#               prerequisite (no binaries, a tool not installed): says nothing
#               about the code
# Exit status: 0 every step passed; 1 some step FAILED; 4 none failed but the
# environment stopped some; 3 none failed, but some were SKIPPED; 2 could
# not start (no data file, no GPU).
#
# DATA defaults to local-data/ancient_names.txt, a git-ignored copy of the
# shared scale data set; make it with
#   mkdir -p local-data && cp ../shared/data/ancient_names.txt local-data/
#
# Environment: WUXIA_CUDA_ARCHITECTURES (default 90); WUXIA_GPU_BUILD (default
# build-gpu; a folder made by scripts/make_gpu_bundle.sh is run without
# building, for device images that lack this project's dependencies);
# GPU_BENCH_ROUNDS (default 1); GPU_BENCH_ARGS (more bench_gpu.py flags; a
# rehearsal without a GPU uses "--device cpu --quick"; "--bf16-only" measures
# only BF16's rows: the large row in FP32 and BF16 against PyTorch's AMP, and
# BF16's validation loss against FP32's); when OUT names a folder (a lent device
# machine), the report and a tarball of the logs are copied there. Building
# needs the packages of scripts/setup.sh (gtest, OpenBLAS, cxxopts,
# nlohmann-json) besides the CUDA toolkit; a bundle needs only the driver and
# cuBLAS, which it looks for in the toolkit's folders and in pip's nvidia/*/lib.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 2
data=${1:-local-data/ancient_names.txt}
build=${WUXIA_GPU_BUILD:-build-gpu}
arch=${WUXIA_CUDA_ARCHITECTURES:-90}
jobs=$(nproc 2>/dev/null || echo 4)
rounds=${GPU_BENCH_ROUNDS:-1}

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
suffix=${GPU_CHECK_STEPS:+-${GPU_CHECK_STEPS//,/-}}
report=docs/gpu-reports/$day-${slug:-gpu}$suffix.md
logs=$build/gpu-check-logs$suffix # one folder per set of steps: a later call's tarball holds its own logs only
rm -rf "$logs"
mkdir -p "$logs" docs/gpu-reports
t_start=$(date +%s)
budget=${GPU_CHECK_BUDGET:-0}
reserve=10 # seconds of the budget kept for the report and the tarball
steps=",${GPU_CHECK_STEPS:-tests,sanitizers,verify,train,recurrence,bench},"
want() { [[ $steps == *",$1,"* ]]; }

# ---- step runner -------------------------------------------------------------
names=() results=() kinds=() times=() logfiles=()
notes=() # lines for the report's environment section

note() { notes+=("$1"); echo "    $1"; }

record() { # NAME KIND TEXT SECONDS LOG
  names+=("$1") kinds+=("$2") results+=("$3") times+=("$4") logfiles+=("$5")
}
# Changes the last step's outcome.
set_last() {
  kinds[-1]=$1 results[-1]=$2
  echo "    => $2"
}

skip_step() { # NAME REASON
  record "$1" skip "SKIPPED ($2)" 0 ""
  echo "==> $1: SKIPPED ($2)"
}

budget_left() { echo $((budget - ($(date +%s) - t_start) - reserve)); }

# run_step [--slow-is-skip] NAME LOGNAME LIMIT CMD...: runs CMD with a time
# limit, its output to a log file; records the outcome and the duration.
#  - exit 0: PASS;
#  - timed out at its own limit: FAIL (hung or far too slow), or with
#    --slow-is-skip (a sanitizer: slowness is the tool's) SKIPPED;
#  - timed out at a limit the budget shortened: SKIPPED (not a failure);
#  - failed saying there is no usable GPU: ENVIRONMENT;
#  - else FAIL (exit N).
# Returns 0 on PASS.
run_step() {
  local slow=fail
  if [[ $1 == --slow-is-skip ]]; then
    slow=skip
    shift
  fi
  local name=$1 log=$logs/$2.log limit=$3 cut=0
  shift 3
  last_rc=-1
  if ((budget > 0)); then
    local left
    left=$(budget_left)
    if ((left < 10)); then
      skip_step "$name" "not reached: GPU_CHECK_BUDGET of ${budget}s spent"
      return 1
    fi
    if ((limit > left)); then
      limit=$left
      cut=1
    fi
  fi
  echo "==> $name (limit ${limit}s)"
  local t0=$SECONDS rc
  timeout --kill-after=5 "$limit" "$@" >"$log" 2>&1
  rc=$?
  last_rc=$rc
  local dt=$((SECONDS - t0)) kind res
  if ((rc == 0)); then
    kind=pass res=PASS
  elif ((rc == 124 || (rc == 137 && dt >= limit))); then
    if ((cut)); then
      kind=skip res="SKIPPED (not finished: cut off at ${limit}s by GPU_CHECK_BUDGET)"
    elif [[ $slow == skip ]]; then
      kind=skip res="SKIPPED (not finished within its ${limit}s limit: the tool is too slow here, no finding about the code)"
    else
      kind=fail res="FAIL (timed out after ${limit}s: hung or far too slow)"
    fi
  elif ((rc != 86)) && grep -qE 'no usable (GPU|CUDA device): ' "$log"; then
    kind=env res="ENVIRONMENT (no usable GPU: $(grep -m1 -oE 'no usable (GPU|CUDA device): .*' "$log" | sed -E 's/^no usable (GPU|CUDA device): *//' | cut -c1-160))"
  else
    kind=fail res="FAIL (exit $rc)"
  fi
  tail -n 5 "$log" | sed 's/^/    /'
  echo "    -> $res in ${dt}s"
  record "$name" "$kind" "$res" "$dt" "$log"
  return "$rc"
}

# After a gtest step: the GPU tests must run, not skip. On a GPU machine a
# skip means the backend found no usable GPU, which is the environment's
# failure to report (and a sanitizer run over skipped tests checks nothing).
# No test at all means the filter matched none: the check's own fault.
check_gtest_log() {
  local log=$1
  [[ ${logfiles[-1]} == "$log" ]] || return 0 # the step did not run
  [[ ${kinds[-1]} == pass || ${kinds[-1]} == fail ]] || return 0
  if grep -q '^\[  SKIPPED \]' "$log"; then
    local why
    why=$(grep -m1 -oE 'no usable CUDA device: .*|built without CUDA.*' "$log" | cut -c1-160)
    echo "    the GPU tests were SKIPPED on a GPU machine: ${why:-see $log}"
    if [[ ${kinds[-1]} == pass ]]; then
      set_last env "ENVIRONMENT (GPU tests skipped: ${why:-the backend found no usable GPU})"
    fi
  elif [[ ${kinds[-1]} == pass ]] && ! grep -qE '^\[  PASSED  \] [1-9]' "$log"; then
    set_last fail "FAIL (no test ran: the test filter matched nothing)"
  fi
}

# After a compute-sanitizer step (run with --error-exitcode 86): tells the
# tool's findings (FAIL) from a test failure under the tool (FAIL), from a
# tool that cannot run here (ENVIRONMENT).
check_sanitizer_log() {
  local log=$1 tool=$2
  [[ ${logfiles[-1]} == "$log" ]] || return 0 # the step did not run
  if [[ ${kinds[-1]} != pass ]] &&
    grep -qE 'Device not supported|Unable to find injection library|Failed to (initialize|connect)|Target application terminated before first instrumented API call' "$log" &&
    ! grep -qE 'ERROR SUMMARY: [1-9]' "$log"; then
    set_last env "ENVIRONMENT (compute-sanitizer $tool cannot run here: $(grep -m1 -oE 'Device not supported|Unable to find injection library|Failed to (initialize|connect)[^.]*|Target application terminated before first instrumented API call' "$log"))"
    return
  fi
  if ((last_rc == 86)); then
    local summary first
    summary=$(grep -m1 -oE 'ERROR SUMMARY: [0-9]+ errors?' "$log")
    first=$(grep -m1 -E '^========= +(Invalid|Uninitialized|Race|Barrier|Leaked|Error|Program hit|Warning)' "$log" | sed 's/^=* *//' | cut -c1-120)
    set_last fail "FAIL ($tool: ${summary:-errors}; first: ${first:-see log})"
  elif [[ ${kinds[-1]} == fail ]]; then
    set_last fail "${results[-1]%)}: the tests failed or crashed under $tool)"
  fi
  check_gtest_log "$log"
}

# ---- find the libraries a bundle needs from the device -------------------------
# The directory holding $1 (e.g. libcublas.so.13), searched where a CUDA 13
# machine keeps it: the loader's cache, the toolkit's folders, pip's
# nvidia/cu13/lib and nvidia/cublas/lib under python3's site-packages, and
# last a bounded search of /usr /opt. Prints "cache" when the loader finds it
# by itself.
find_lib_dir() {
  local lib=$1 d sp
  if ldconfig -p 2>/dev/null | grep -qE "^[[:space:]]+${lib//./\\.} "; then
    echo cache
    return 0
  fi
  for d in /usr/local/cuda/lib64 /usr/local/cuda/lib /usr/local/cuda/targets/x86_64-linux/lib \
    /usr/local/cuda-13*/lib64 /usr/local/cuda-13*/lib /usr/local/cuda-13*/targets/x86_64-linux/lib \
    /usr/lib/x86_64-linux-gnu; do
    [[ -e $d/$lib ]] && { echo "$d"; return 0; }
  done
  while read -r sp; do
    [[ -n $sp && -d $sp/nvidia ]] || continue
    for d in "$sp"/nvidia/cu13/lib "$sp"/nvidia/cublas/lib "$sp"/nvidia/cuda_runtime/lib "$sp"/nvidia/*/lib; do
      [[ -e $d/$lib ]] && { echo "$d"; return 0; }
    done
  done < <(timeout 30 python3 -c 'import site, sysconfig
paths = list(site.getsitepackages()) + [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], site.getusersitepackages()]
print("\n".join(dict.fromkeys(paths)))' 2>/dev/null)
  d=$(timeout 20 find /usr /opt -name "$lib" -print -quit 2>/dev/null)
  [[ -n $d ]] && { dirname "$d"; return 0; }
  return 1
}

# ---- build, or take the bundle -------------------------------------------------
built=0
if [[ -f $build/PREBUILT ]]; then
  # A bundle from scripts/make_gpu_bundle.sh: binaries built elsewhere for
  # sm_90 with the shared libraries the device image lacks beside them
  # (libwuxia_omp_env.so, libcudart, OpenBLAS, libgomp). cuBLAS comes from
  # the device.
  echo "==> using the prebuilt bundle $build (built from commit $(cat "$build/PREBUILT"))"
  libs=$root/$build/lib
  for lib in libcublas.so.13 libcublasLt.so.13 libcudart.so.13; do
    [[ $lib == libcudart.so.13 && -e $build/lib/$lib ]] && { note "$lib: the bundle's"; continue; }
    if dir=$(find_lib_dir "$lib"); then
      if [[ $dir == cache ]]; then note "$lib: found by the loader (ldconfig)"; else note "$lib: $dir"; fi
      [[ $dir == cache || :$libs: == *":$dir:"* ]] || libs=$libs:$dir
    else
      note "$lib: NOT FOUND on this machine"
    fi
  done
  export LD_LIBRARY_PATH=$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  if ! "$build/wuxia" --help >/dev/null 2>&1 && [[ -d $build/lib/fallback ]]; then
    # The device's C++ runtime is older than ours.
    export LD_LIBRARY_PATH=$root/$build/lib/fallback:$LD_LIBRARY_PATH
    note "the bundle's C++ runtime (lib/fallback) is used: the device's is older"
  fi
  ldd "$build/wuxia" "$build/tests/wuxia_tests" "$build/libwuxia_cuda.so" >"$logs/ldd.log" 2>&1
  missing=$(grep 'not found' "$logs/ldd.log" | awk '{print $1}' | sort -u | tr '\n' ' ' | sed 's/ $//')
  if run_step "prebuilt binaries start" start 30 "$build/wuxia" --help; then
    built=1
  else
    set_last env "ENVIRONMENT (the bundled binaries do not start${missing:+: not found: $missing}; see ldd.log)"
  fi
  [[ -n $missing ]] && note "libraries not found: $missing"
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
    [[ ${kinds[-1]} == fail ]] && set_last env "ENVIRONMENT (configure failed: missing packages? scripts/setup.sh lists them)"
  fi
fi

tests=$build/tests/wuxia_tests
wuxia=$build/wuxia
module=$build/libwuxia_cuda.so # the CUDA backend, kernels included (wuxia opens it; the tests link it)
small_filter='Sizes/CudaOps.*/Small:Sizes/CudaModel.*/Small'

# The sanitizers' kernel filter: the project's kernels, namespace
# wuxia::cuda::kern, whose mangled names contain "5wuxia4cuda4kern"
# (compute-sanitizer matches kns= against the mangled name). A filter that
# matches nothing would silently check nothing, so the device code is asked
# first (cuobjdump); where it has none of them, the tools run unfiltered.
kernel_filter() {
  kfilter=(--kernel-name kns=5wuxia4cuda4kern)
  local syms n
  if command -v cuobjdump >/dev/null; then
    if syms=$(timeout 30 cuobjdump -symbols "$module" 2>/dev/null); then
      # Entry points (kernels) only, where cuobjdump marks them.
      grep -q STO_ENTRY <<<"$syms" && syms=$(grep STO_ENTRY <<<"$syms")
      n=$(grep -c '5wuxia4cuda4kern' <<<"$syms")
      local others
      others=$(grep -c STO_ENTRY <<<"$syms")
      others=$((others - n))
      if ((n > 0)); then
        note "sanitizer kernel filter kns=5wuxia4cuda4kern: matches $n kernels of the test binary's device code$( ((others > 0)) && echo "; $others kernels outside the namespace are NOT checked by racecheck/initcheck/synccheck")"
      else
        kfilter=()
        note "sanitizer kernel filter: no device symbol matches kns=5wuxia4cuda4kern; racecheck, initcheck and synccheck run UNFILTERED"
      fi
    else
      note "sanitizer kernel filter kns=5wuxia4cuda4kern: cuobjdump could not read the device code; filter kept"
    fi
  else
    n='?'
    [[ -f $build/KERNELS ]] && n=$(wc -l <"$build/KERNELS")
    note "sanitizer kernel filter kns=5wuxia4cuda4kern ($n kernels by the host stubs; cuobjdump is not here to confirm it in the device code)"
  fi
}

# sanitize TOOL LIMIT FILTERED: one compute-sanitizer run over the small GPU tests.
sanitize() {
  local tool=$1 limit=$2 filtered=$3 label="compute-sanitizer $1 (small sizes" logname="sanitizer-$1"
  local extra=()
  [[ $tool == memcheck ]] && extra=(--leak-check full)
  if ((filtered)) && ((${#kfilter[@]} > 0)); then
    extra+=("${kfilter[@]}")
    label+=", project kernels only"
  elif ((!filtered)); then
    logname+=-all
  fi
  run_step --slow-is-skip "$label)" "$logname" "$limit" \
    compute-sanitizer --tool "$tool" "${extra[@]}" --error-exitcode 86 --print-limit 20 \
    "$tests" --gtest_filter="$small_filter" --gtest_color=no
  check_sanitizer_log "$logs/$logname.log" "$tool"
}

# ---- the steps -----------------------------------------------------------------
# Time limits: what each step should take on an H100/H200 with a wide margin
# (the parity tests ~10-20 s, a verify ~5 s, the training run ~10 s); they add
# up to the budgets of the calls in docs/gpu-reports/README.md, so a run
# that goes as expected reaches every step.
if ((built)); then
  if want tests; then
    run_step "GPU parity tests (*Cuda*)" gpu-tests 60 "$tests" --gtest_filter='*Cuda*' --gtest_color=no
    check_gtest_log "$logs/gpu-tests.log"
  fi

  if want sanitizers; then
    if command -v compute-sanitizer >/dev/null; then
      note "compute-sanitizer: $(compute-sanitizer --version 2>/dev/null | grep -m1 -oE '[0-9]{4}\.[0-9.]+' || echo '?')"
      kernel_filter
      # memcheck over every kernel: out-of-bounds accesses are checked against
      # the allocations whoever makes them, so cuBLAS reading our buffers with
      # a wrong leading dimension is caught too; it is the cheapest tool.
      sanitize memcheck 60 0
      # Shared-memory races and barrier misuse are internal to a kernel:
      # cuBLAS's own are no concern of ours.
      sanitize racecheck 35 1
      # initcheck under the filter does not see what the unchecked kernels
      # (cuBLAS) write, so it can report our kernels reading a GEMM's output
      # as uninitialised: its findings are confirmed by an unfiltered run.
      sanitize initcheck 35 1
      if [[ ${kinds[-1]} == fail && ${results[-1]} == *"initcheck: ERROR SUMMARY"* ]] && ((${#kfilter[@]})); then
        filtered_result=${results[-1]}
        sanitize initcheck 60 0
        case ${kinds[-1]} in
          pass) kinds[-2]=pass results[-2]="PASS (its reports were reads of memory written by unchecked kernels: the unfiltered run below is clean)" ;;
          skip) kinds[-2]=skip results[-2]="SKIPPED (unconfirmed: $(sed -E 's/^FAIL \((.*)\)$/\1/' <<<"$filtered_result"); the unfiltered run that would confirm it did not finish)" ;;
        esac
      fi
      sanitize synccheck 35 1
    else
      skip_step "compute-sanitizer" "not installed here (not on PATH)"
    fi
  fi

  if want verify; then
    run_step "wuxia verify, odd sizes (E=17 H=33 L=1 B=3)" verify-small 20 \
      "$wuxia" verify --data "$data" --steps 3 --embed 17 --hidden 33 --layers 1 --batch 3 --dropout 0.2
    run_step "wuxia verify, typical sizes (E=64 H=256 L=2 B=64)" verify-typical 25 \
      "$wuxia" verify --data "$data" --steps 3 --embed 64 --hidden 256 --layers 2 --batch 64 --dropout 0.1
    run_step "wuxia verify --free-run (the training path: CUDA Graph replays), 8 steps" verify-free-run 25 \
      "$wuxia" verify --data "$data" --steps 8 --embed 64 --hidden 256 --layers 2 --batch 64 --dropout 0.1 \
      --free-run --rtol 1e-2
    # BF16 GEMM inputs on both sides, at its own default tolerance (rtol 1e-2:
    # include/wuxia/model/compare.hpp, kBf16ModelRtol).
    run_step "wuxia verify --precision bf16, typical sizes (E=64 H=256 L=2 B=64)" verify-bf16 25 \
      "$wuxia" verify --data "$data" --steps 3 --embed 64 --hidden 256 --layers 2 --batch 64 --dropout 0.1 \
      --precision bf16
  fi

  if want train; then
    rm -rf "$build/gpu-check-run"
    run_step "wuxia train --device cuda (300 steps)" train 40 \
      "$wuxia" train --device cuda --from-scratch --data "$data" --steps 300 --eval-every 100 --log-every 50 \
      --out "$build/gpu-check-run"
  fi

  if want recurrence; then
    # Issue 30, the fused recurrence (--recurrence fused, kernels/lstm_recurrence.cu):
    # its kernels under racecheck and memcheck over its own parity tests (the
    # general sanitizer step runs only the size-parameterised suites), the
    # training path on it (CUDA Graph replays, 8 steps, errors compounding),
    # then its speed against the step loop and cuDNN.
    rec_filter='CudaBackend.FusedRecurrence*:CudaBackend.TrainingStepWithTheFusedRecurrence*'
    if command -v compute-sanitizer >/dev/null; then
      for tool in racecheck memcheck; do
        run_step --slow-is-skip "compute-sanitizer $tool (fused recurrence tests, its kernels)" \
          "sanitizer-$tool-recurrence" 60 compute-sanitizer --tool "$tool" --kernel-name kns=lstm_recurrence \
          --error-exitcode 86 --print-limit 20 "$tests" --gtest_filter="$rec_filter" --gtest_color=no
        check_sanitizer_log "$logs/sanitizer-$tool-recurrence.log" "$tool"
      done
    else
      skip_step "compute-sanitizer (fused recurrence)" "not installed here (not on PATH)"
    fi
    run_step "wuxia verify --recurrence fused --free-run (E=32 H=64 L=2 B=32), 8 steps" verify-recurrence 25 \
      "$wuxia" verify --data "$data" --steps 8 --embed 32 --hidden 64 --layers 2 --batch 32 --dropout 0.1 \
      --recurrence fused --free-run --rtol 1e-2
    run_step "fused recurrence vs step loop vs cuDNN (scripts/bench_recurrence.py)" bench-recurrence 150 \
      python3 scripts/bench_recurrence.py "$wuxia" --batches 16,64,128,256 --hidden 32,64,96,128 \
      --json-out "$logs/bench-recurrence.jsonl"
  fi

  if want bench; then
    # bench_gpu.py stops starting runs at its --budget and reports what that
    # left out as not run, exiting 0 if what ran passed; its limit leaves room
    # for the run in flight at that point.
    blimit=420
    if ((budget > 0)); then
      blimit=$(budget_left)
      ((blimit > 420)) && blimit=420
    fi
    bbudget=$((blimit - 25))
    rm -rf "$build/gpu-bench"
    ((bbudget < 10)) && bbudget=10
    run_step "benchmarks vs PyTorch/cuDNN (scripts/bench_gpu.py, $rounds round(s))" bench "$blimit" \
      python3 scripts/bench_gpu.py "$wuxia" --data-large "$data" --rounds "$rounds" --budget "$bbudget" \
      --out "$build/gpu-bench" ${GPU_BENCH_ARGS:-}
    if [[ ${kinds[-1]} == fail ]] && grep -qE 'no usable GPU: ' "$build/gpu-bench/bench_gpu.log" 2>/dev/null; then
      set_last env "ENVIRONMENT (the benchmarks found no usable GPU: $(grep -m1 -oE 'no usable GPU: .*' "$build/gpu-bench/bench_gpu.log" | sed 's/^no usable GPU: *//' | cut -c1-120))"
    elif [[ ${kinds[-1]} == pass ]] && n=$(grep -c '^NOT RUN' "$logs/bench.log") && ((n > 0)); then
      set_last skip "SKIPPED in part ($n runs not started or cut off by the time budget; the rest passed)"
    fi
  fi
else
  skip_step "GPU tests, sanitizers, verify, train, recurrence, bench" "not reached: no binaries (see above)"
fi

# ---- report ------------------------------------------------------------------
total=$(($(date +%s) - t_start))
commit=$(git rev-parse --short HEAD 2>/dev/null || echo "unknown (no git here)")
dirty=""
if git rev-parse --git-dir >/dev/null 2>&1 && [[ -n $(git status --porcelain --untracked-files=no 2>/dev/null) ]]; then
  dirty=" + uncommitted changes"
fi
n_fail=0 n_env=0 n_skip=0
for k in "${kinds[@]}"; do
  case $k in
    fail) ((n_fail++)) ;;
    env) ((n_env++)) ;;
    skip) ((n_skip++)) ;;
  esac
done
if ((n_fail)); then
  verdict="**FAIL**: $n_fail step(s) found a fault in the code" status=1
elif ((n_env)); then
  verdict="**ENVIRONMENT**: no fault found, but the machine stopped $n_env step(s)" status=4
elif ((n_skip)); then
  verdict="**INCOMPLETE**: no fault found; $n_skip step(s) not reached or not finished (time budget, missing tool)" status=3
else
  verdict="**PASS**" status=0
fi
((n_fail || n_env)) && ((n_skip)) && verdict+="; $n_skip step(s) not reached or not finished"
fence='```'
{
  echo "# GPU check: $card, $day"
  echo
  echo "- result: $verdict (exit $status)"
  echo "- steps asked for: ${GPU_CHECK_STEPS:-all}$( ((budget > 0)) && echo "; GPU_CHECK_BUDGET ${budget}s")"
  echo "- commit: $commit$dirty; binaries: $([[ -f $build/PREBUILT ]] && echo "bundle built from $(cat "$build/PREBUILT")" || echo "built here")"
  echo "- GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader | head -n 1)"
  echo "- CUDA compiler: $(nvcc --version 2>/dev/null | grep -o 'release [0-9.]*' || echo unknown); architectures: $arch"
  echo "- host: $(nproc) cores; $(uname -sr)"
  echo "- data: $data ($(wc -l <"$data") lines)"
  echo "- total time: ${total}s"
  for n in "${notes[@]}"; do echo "- $n"; done
  echo
  echo "PASS; FAIL = a fault in the code; ENVIRONMENT = the machine could not run the step; SKIPPED = not reached or not finished (no finding)."
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
      *verify-*.log) echo "$fence"; tail -n 60 "$log"; echo "$fence" ;;
      *bench.log | *bench-recurrence.log) cat "$log" ;; # markdown already
      *gpu-tests.log) echo "$fence"; grep -E '^\[ *(OK|FAILED|SKIPPED|PASSED) *\]|Failure|Skipped|^\[=+\]' "$log" | tail -n 80; echo "$fence" ;;
      *) echo "$fence"; tail -n 30 "$log"; echo "$fence" ;;
    esac
  done
} >"$report"

# On a lent device machine only what lands in $OUT comes back.
if [[ -n ${OUT:-} && -d ${OUT:-} ]]; then
  bench_dir=()
  want bench && [[ -d $build/gpu-bench ]] && bench_dir=(gpu-bench)
  cp "$report" "$OUT/" && tar -czf "$OUT/gpu-check-logs$suffix.tar.gz" \
    --exclude='*.safetensors' --exclude='*.nsys-rep' --exclude='*.sqlite' -C "$build" "gpu-check-logs$suffix" "${bench_dir[@]}"
fi

echo
echo "report: $report (logs in $logs), ${total}s"
echo "gpu_check: $(sed 's/\*\*//g' <<<"$verdict") (exit $status)"
exit "$status"
