// `wuxia --version` (include/wuxia/platform/version.hpp).
#include "wuxia/platform/version.hpp"

#include <cblas.h>

#include "wuxia/platform/cuda_module.hpp"

namespace wuxia {

std::string version_text() {
  std::string s = "wuxia " WUXIA_VERSION "\n";
#if WUXIA_BUILT_WITH_CUDA
  s += std::string("CUDA backend: ") + kCudaModuleFile;
#ifdef WUXIA_CUDA_TOOLKIT_VERSION
  s += " (built with CUDA " WUXIA_CUDA_TOOLKIT_VERSION ")";
#endif
  // Found, not loaded: loading is for runs that ask for the GPU.
  const std::string module = find_cuda_module();
  s += module.empty() ? ", not found beside this wuxia\n" : ", at " + module + "\n";
#else
  s += "CUDA backend: not built (CPU only)\n";
#endif
  const char* blas = openblas_get_config();
  s += std::string("BLAS: ") + (blas ? blas : "OpenBLAS") + "\n";
#ifdef __clang__
  s += "compiler: clang " __clang_version__;
#else
  s += "compiler: GCC " __VERSION__;
#endif
  s += ", C++" + std::to_string(__cplusplus / 100 % 100) + ", OpenMP " + std::to_string(_OPENMP) + "\n";
  s += "license: MIT (the bundled name lists keep their own: README.md beside them)\n";
  return s;
}

}  // namespace wuxia
