#!/usr/bin/env bash
# Builds, here, what scripts/gpu_check.sh runs on a lent GPU machine, whose
# image has the CUDA toolkit but not this project's other dependencies
# (gtest, OpenBLAS, cxxopts, nlohmann-json): the two sm_90 binaries and the
# shared libraries they need beyond glibc and CUDA, in gpu-bundle/ (git-ignored).
#
#   scripts/make_gpu_bundle.sh            # then, on the device machine:
#   WUXIA_GPU_BUILD=gpu-bundle scripts/gpu_check.sh   (carry: gpu-bundle, local-data)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DWUXIA_CUDA=ON -DWUXIA_CUDA_ARCHITECTURES=90 >/dev/null
cmake --build build-gpu -j2 --target wuxia wuxia_tests
rm -rf gpu-bundle
mkdir -p gpu-bundle/tests gpu-bundle/lib
cp build-gpu/wuxia gpu-bundle/
cp build-gpu/tests/wuxia_tests gpu-bundle/tests/
# Everything the dynamic linker resolves here except glibc itself and the
# CUDA libraries, which must come from the device's own driver and toolkit.
ldd gpu-bundle/wuxia gpu-bundle/tests/wuxia_tests | awk '/=> \// {print $3}' | sort -u | while read -r lib; do
  case $(basename "$lib") in
    libc.so* | libm.so* | libpthread.so* | libdl.so* | librt.so* | ld-linux* | libcuda.so* | libcudart.so* | libcublas*) ;;
    # The C++ runtime only as a fallback: a newer one on the device serves
    # too, and ours needs glibc 2.36.
    libstdc++.so* | libgcc_s.so*) mkdir -p gpu-bundle/lib/fallback && cp -L "$lib" gpu-bundle/lib/fallback/ ;;
    *) cp -L "$lib" gpu-bundle/lib/ ;;
  esac
done
# The commit the binaries were built from, for the report.
git rev-parse --short HEAD >gpu-bundle/PREBUILT
du -sh gpu-bundle
ls -R gpu-bundle/lib
