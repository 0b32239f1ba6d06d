#!/usr/bin/env bash
# Builds, here, what scripts/gpu_check.sh runs on a lent GPU machine, whose
# image has the CUDA toolkit but not this project's other dependencies
# (gtest, OpenBLAS, cxxopts, nlohmann-json): the two sm_90 binaries and the
# shared libraries they need beyond glibc, the driver and cuBLAS, in
# gpu-bundle/ (git-ignored). The runner that uploads the working tree,
# gpu-bundle/ and local-data/ to the GPU machine takes 64 MiB at most, the
# three together: the build leaves out
# `wuxia serve` (-DWUXIA_SERVE=OFF: cpp-httplib, libssl, libcrypto, brotli
# and libz are ~7 MB the check never uses), and the script fails if the
# total would not fit.
#
#   scripts/make_gpu_bundle.sh            # then, on the device machine:
#   WUXIA_GPU_BUILD=gpu-bundle scripts/gpu_check.sh   (carry: gpu-bundle, local-data)
#
# Layout: gpu-bundle/wuxia, gpu-bundle/libwuxia_cuda.so (the CUDA backend,
# which wuxia opens from beside itself and the tests link through $ORIGIN/..),
# gpu-bundle/tests/wuxia_tests, gpu-bundle/lib/
# (libwuxia_omp_env.so, libcudart.so.13, OpenBLAS, libgomp, ...),
# gpu-bundle/lib/fallback/ (our C++ runtime, used only where the device's is
# older), PREBUILT (the commit), KERNELS (the project's kernels, mangled: what
# gpu_check's compute-sanitizer filter must match).
#
# The binaries look for their libraries next to themselves ($ORIGIN/lib,
# $ORIGIN/../lib), not in this machine's build folder, so the bundle works
# wherever the device puts the working tree. cuBLAS (~600 MB with cuBLASLt)
# does not fit in the upload's 64 MiB: it comes from the GPU machine (gpu_check.sh
# searches the toolkit's folders and pip's nvidia/*/lib). libcudart is small
# and is carried, so the runtime is the one the binaries were built against.
#
# Environment: WUXIA_BUNDLE_BUILD (build folder, default build-gpu),
# WUXIA_BUNDLE_JOBS (default 2), WUXIA_BUNDLE_SOURCE: "tree" (default: the
# working tree, uncommitted changes included) or "head" (the last commit,
# exported with git archive into the build folder: in a checkout shared with
# others, their unfinished changes neither enter nor break the bundle).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=${WUXIA_BUNDLE_BUILD:-build-gpu}
jobs=${WUXIA_BUNDLE_JOBS:-2}
bundle=$root/gpu-bundle

# $ORIGIN-relative search paths (single quotes: the loader expands $ORIGIN),
# then the CUDA toolkit's folder the build linked against.
src=.
version=$(git rev-parse --short HEAD)
case ${WUXIA_BUNDLE_SOURCE:-tree} in
  head)
    mkdir -p "$build"
    src=$(cd "$build" && pwd)/src-head
    rm -rf "$src" && mkdir -p "$src"
    git archive HEAD | tar -x -C "$src"
    ;;
  tree)
    [[ -n $(git status --porcelain --untracked-files=no -- CMakeLists.txt include src kernels tests) ]] &&
      version="$version + uncommitted changes"
    ;;
  *) echo "make_gpu_bundle: WUXIA_BUNDLE_SOURCE is 'tree' or 'head'" >&2; exit 2 ;;
esac
# A build folder configured from the other source (tree vs head) starts afresh.
if [[ -f $build/CMakeCache.txt ]] &&
  ! grep -qx "CMAKE_HOME_DIRECTORY:INTERNAL=$(cd "$src" && pwd)" "$build/CMakeCache.txt"; then
  rm -rf "$build/CMakeCache.txt" "$build/CMakeFiles"
fi
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DWUXIA_CUDA=ON -DWUXIA_CUDA_ARCHITECTURES=90 -DWUXIA_SERVE=OFF \
  -DCMAKE_BUILD_WITH_INSTALL_RPATH=ON -DCMAKE_INSTALL_RPATH_USE_LINK_PATH=ON \
  '-DCMAKE_INSTALL_RPATH=$ORIGIN/lib;$ORIGIN/../lib;$ORIGIN;$ORIGIN/..' >/dev/null
cmake --build "$build" -j "$jobs" --target wuxia wuxia_cuda wuxia_tests

rm -rf "$bundle"
mkdir -p "$bundle/tests" "$bundle/lib/fallback"
cp "$build/wuxia" "$build/libwuxia_cuda.so" "$bundle/"
cp "$build/tests/wuxia_tests" "$bundle/tests/"
# The OpenMP wait-policy library (src/platform/omp_env.cpp) is a shared library of the
# project's own: it must travel with the binaries.
cp "$build/libwuxia_omp_env.so" "$bundle/lib/"

# Everything else the dynamic linker resolves here except glibc, the driver
# and cuBLAS (which must come from the device).
ldd "$bundle/wuxia" "$bundle/libwuxia_cuda.so" "$bundle/tests/wuxia_tests" | awk '/=> \// {print $3}' | sort -u | while read -r lib; do
  case $(basename "$lib") in
    libc.so* | libm.so* | libpthread.so* | libdl.so* | librt.so* | ld-linux* | libcuda.so* | libcublas*) ;;
    libwuxia_omp_env.so | libwuxia_cuda.so) ;;  # copied above
    # The C++ runtime only as a fallback: a newer one on the device serves
    # too, and ours needs glibc 2.36.
    libstdc++.so* | libgcc_s.so*) cp -L "$lib" "$bundle/lib/fallback/" ;;
    *) cp -L "$lib" "$bundle/lib/" ;;
  esac
done
[[ -f $bundle/lib/libcudart.so.13 ]] || { echo "make_gpu_bundle: libcudart.so.13 was not found by ldd" >&2; exit 1; }

# The commit the binaries were built from, for the report.
echo "$version" >"$bundle/PREBUILT"
# The project's kernels as compute-sanitizer sees them: the mangled names of
# the device code's entry points (cuobjdump), which for namespace
# wuxia::cuda::kern contain "5wuxia4cuda4kern", the substring gpu_check's
# sanitizer filter matches (kns=). Every kernel must be in that namespace,
# or the filtered tools would not check it. Without cuobjdump here, the host
# symbols of the namespace stand in (gpu_check asks cuobjdump on the device).
cuobjdump=$(command -v cuobjdump || true)
[[ -z $cuobjdump && -x /usr/local/cuda/bin/cuobjdump ]] && cuobjdump=/usr/local/cuda/bin/cuobjdump
if [[ -n $cuobjdump ]]; then
  "$cuobjdump" -symbols "$bundle/libwuxia_cuda.so" | awk '/STO_ENTRY/ {print $NF}' | sort -u >"$bundle/KERNELS"
  others=$(grep -vc '5wuxia4cuda4kern' "$bundle/KERNELS" || true)
  if ((others > 0)); then
    echo "make_gpu_bundle: $others kernel(s) outside namespace wuxia::cuda::kern; the sanitizer filter would not check them:" >&2
    grep -v '5wuxia4cuda4kern' "$bundle/KERNELS" >&2
    exit 1
  fi
else
  echo "make_gpu_bundle: no cuobjdump here: KERNELS lists the namespace's host symbols instead"
  nm "$bundle/libwuxia_cuda.so" | awk '{print $NF}' | grep -E '^_ZN5wuxia4cuda4kern' | grep -v '\.cold$' \
    | sort -u >"$bundle/KERNELS" || true
fi
if [[ ! -s $bundle/KERNELS ]]; then
  echo "make_gpu_bundle: no kernel of namespace wuxia::cuda::kern in libwuxia_cuda.so;" \
    "gpu_check's sanitizer filter (kns=5wuxia4cuda4kern) would check nothing" >&2
  exit 1
fi

# ---- check the bundle as the device will see it ------------------------------
# A copy in a fresh folder, so that nothing resolves through this build folder,
# in a clean environment: (1) without LD_LIBRARY_PATH the binaries find
# libwuxia_omp_env.so, libcudart, OpenBLAS and libgomp in the bundle through
# their runpath alone; (2) with LD_LIBRARY_PATH=lib (what gpu_check.sh sets)
# every library resolves from the bundle except glibc, the C++ runtime, the
# driver and cuBLAS, which the device has; (3) the bundled wuxia runs (a CPU
# training run of a few steps).
check=$(mktemp -d /tmp/gpu-bundle-check.XXXXXX)
trap 'rm -rf "$check"' EXIT
cp -a "$bundle" "$check/gpu-bundle"
cb=$check/gpu-bundle
status=0
for bin in "$cb/wuxia" "$cb/libwuxia_cuda.so" "$cb/tests/wuxia_tests"; do
  out=$(env -i PATH=/usr/bin:/bin ldd "$bin")
  # What each needs from the bundle: wuxia links no CUDA library (it opens
  # the module at run time); the module links cudart; the tests link all.
  case $bin in
    */wuxia) need=(libwuxia_omp_env.so libopenblas.so.0 libgomp.so.1) ;;
    */libwuxia_cuda.so) need=(libcudart.so.13) ;;
    *) need=(libwuxia_omp_env.so libcudart.so.13 libopenblas.so.0 libgomp.so.1) ;;
  esac
  if [[ $bin == */wuxia_tests ]] && ! grep -qE "libwuxia_cuda.so => $cb/(tests/\.\./)?libwuxia_cuda.so" <<<"$out"; then
    echo "make_gpu_bundle: $bin does not find libwuxia_cuda.so in the bundle through its runpath" >&2
    status=1
  fi
  for lib in "${need[@]}"; do
    if ! grep -qE "$lib => $cb/(tests/\.\./)?lib/" <<<"$out"; then
      echo "make_gpu_bundle: $bin does not find $lib in the bundle through its runpath:" >&2
      grep "$lib" <<<"$out" >&2 || echo "  ($lib not listed)" >&2
      status=1
    fi
  done
  out=$(env -i PATH=/usr/bin:/bin LD_LIBRARY_PATH="$cb/lib" ldd "$bin")
  while read -r name path; do
    case $name in
      libc.so* | libm.so* | libpthread.so* | libdl.so* | librt.so* | ld-linux* | libcuda.so* | libcublas* | \
        libstdc++.so* | libgcc_s.so* | linux-vdso*) continue ;;
    esac
    if [[ $path != "$cb/"* ]]; then
      echo "make_gpu_bundle: $(basename "$bin") resolves $name outside the bundle ($path): the device may lack it" >&2
      status=1
    fi
  done < <(awk '/=>/ {print $1, $3}' <<<"$out")
  if grep -v 'libcuda\.so' <<<"$out" | grep -q 'not found'; then
    echo "make_gpu_bundle: unresolved libraries of $bin:" >&2
    grep 'not found' <<<"$out" >&2
    status=1
  fi
done
echo "ldd gpu-bundle/wuxia (clean environment, LD_LIBRARY_PATH=gpu-bundle/lib):"
env -i PATH=/usr/bin:/bin LD_LIBRARY_PATH="$cb/lib" ldd "$cb/wuxia" | sed "s|$check/||; s/^/  /"
if ! (cd "$check" && env -i PATH=/usr/bin:/bin HOME="$check" LD_LIBRARY_PATH="$cb/lib" "$cb/wuxia" train --device cpu --from-scratch \
  --data "$root/data/jinyong.txt" --steps 3 --out "$check/run" >"$check/train.log" 2>&1); then
  echo "make_gpu_bundle: the bundled wuxia did not run in a clean environment:" >&2
  cat "$check/train.log" >&2
  status=1
fi
version=$(cd "$check" && env -i PATH=/usr/bin:/bin LD_LIBRARY_PATH="$cb/lib" "$cb/wuxia" --version 2>&1)
if ! grep -qF "at $cb/libwuxia_cuda.so" <<<"$version"; then
  echo "make_gpu_bundle: the bundled wuxia does not find its CUDA module beside itself:" >&2
  echo "$version" >&2
  status=1
fi
((status == 0)) || exit 1
echo "bundle checked: libraries resolve from the bundle in a clean environment, wuxia runs;" \
  "$(wc -l <"$bundle/KERNELS") project kernels for the sanitizer filter"
ls -R "$bundle/lib"

# ---- what the upload to the GPU machine would carry: at most 64 MiB --------------
# The working tree's files (tracked, and untracked ones git does not ignore),
# gpu-bundle/ and local-data/ (the benchmark's and the training run's data)
# travel together.
limit=$((64 * 1024 * 1024))
tree_bytes=$( (git ls-files -z; git ls-files -z --others --exclude-standard) |
  { xargs -0 -r stat -c %s -- 2>/dev/null || true; } | awk '{s += $1} END {print s + 0}')
bundle_bytes=$(du -sb "$bundle" | cut -f1)
mib() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b / 1048576}'; }
data_bytes=0
data_desc="local-data/ absent here, not counted: add its size if the call carries it"
if [[ -d local-data ]]; then
  data_bytes=$(du -sb local-data | cut -f1)
  data_desc="local-data $(mib "$data_bytes")"
fi
carry=$((tree_bytes + bundle_bytes + data_bytes))
echo "the upload to the GPU machine carries $(mib "$carry") of 64 MiB: tree $(mib "$tree_bytes")," \
  "gpu-bundle $(mib "$bundle_bytes") ($bundle_bytes bytes), $data_desc"
if ((carry > limit)); then
  echo "make_gpu_bundle: tree + gpu-bundle + local-data come to $carry bytes, over the upload's 64 MiB" \
    "($limit bytes): the upload would be refused. Find what grew (du -sb gpu-bundle/lib/* | sort -n);" \
    "leave out of the build what the GPU check does not run (as -DWUXIA_SERVE=OFF leaves out cpp-httplib" \
    "and its TLS libraries), or carry a smaller local-data/ (the large benchmark rows read" \
    "ancient_names.txt)." >&2
  exit 1
fi
