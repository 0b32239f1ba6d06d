#pragma once
// wuxia's version (the one place it is written: CMakeLists.txt reads it from
// here) and what this build was made with, for `wuxia --version`.
#include <string>

#define WUXIA_VERSION "0.1.0"

namespace wuxia {

// "wuxia 0.1.0" and one line each for the CUDA backend (a module found or
// not, or none built) and the BLAS (OpenBLAS's own configuration string).
std::string version_text();

}  // namespace wuxia
