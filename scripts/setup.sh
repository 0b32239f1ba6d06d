#!/usr/bin/env bash
# Installs every build and test dependency of wuxia from Debian packages.
# Safe to run twice. The Python packages are Debian's, for /usr/bin/python3
# (the tests use that interpreter: a python3 earlier on PATH may lack them). The CUDA toolkit (nvcc, cuBLAS) is not a Debian package
# here: it is used when present (WUXIA_CUDA=AUTO) and skipped otherwise.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libcxxopts-dev          # command line
  nlohmann-json3-dev      # checkpoint metadata, --json output
  libgtest-dev            # tests
  libopenblas-openmp-dev  # CBLAS for CPU GEMMs; the OpenMP build shares our thread pool
  libopencc-dev opencc    # --convert t2s|s2t (OpenCC's C API); the corpus script's conversion
  python3
  python3-torch           # tests/pytorch_interop.py: a checkpoint loads into nn.LSTM by name
  python3-numpy python3-matplotlib  # scripts/plot_metrics.py and its test; bench_peer.py
  clang libclang-rt-14-dev  # libFuzzer targets (tests/fuzz/)
  unicode-data            # Unihan: readings, levels, strokes, glosses (scripts/make_hanzi.py)
  libcpp-httplib-dev      # wuxia serve (HTTP server and the API tests' client)
  chromium chromium-driver python3-selenium  # the page's real-browser test
  fonts-noto-cjk          # Chinese glyphs for headless chromium (docs/img/serve.png; without it, empty boxes)
  time                    # /usr/bin/time: scripts/bench_naming.sh's wall, CPU and peak memory, and its test
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "setup: all dependencies installed"
