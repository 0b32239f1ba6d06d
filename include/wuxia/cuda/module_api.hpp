#pragma once
// The CUDA module's binary interface (DESIGN "Backends"): what
// libwuxia_cuda.so exports (src/cuda/module.cpp) and what the program that
// opens it with dlopen expects (src/platform/cuda_module.cpp). Apart from
// cuda_backend.hpp so that the backend itself depends on nothing above it:
// only this contract needs the version, to refuse a module of another build.
#include <string>

#include "wuxia/cuda/cuda_backend.hpp"
#include "wuxia/platform/version.hpp"

namespace wuxia::cuda {

// The module's entry point for a program that opens it with dlopen
// (src/cuda/module.cpp): the functions of cuda_backend.hpp, and a tag that must equal the
// program's own kModuleTag, so that a module from another build or version
// is refused rather than called with a different ABI.
struct ModuleApi {
  const char* tag;
  bool (*device_usable)(std::string* why_not);
  std::string (*device_description)();
  std::unique_ptr<Backend<float>> (*make_backend)(const Options& opts);
};
inline constexpr const char* kModuleTag = "wuxia " WUXIA_VERSION " cuda module, " __VERSION__;
inline constexpr const char* kModuleEntry = "wuxia_cuda_module_api";

}  // namespace wuxia::cuda

// kModuleEntry: what dlsym looks up.
extern "C" WUXIA_CUDA_API const wuxia::cuda::ModuleApi* wuxia_cuda_module_api();
