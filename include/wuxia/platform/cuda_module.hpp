#pragma once
// Finding and opening the CUDA backend's module, libwuxia_cuda.so
// (DESIGN "Backends"). The program links neither cudart nor cuBLAS: a run
// that asks for the GPU opens the module, and only after the NVIDIA driver
// (libcuda.so.1) is found, so a machine without one never loads cuBLAS.
#include <string>
#include <vector>

namespace wuxia {
namespace cuda {
struct ModuleApi;
}

inline constexpr const char* kCudaModuleFile = "libwuxia_cuda.so";

// Where the module is looked for, in order: $WUXIA_CUDA_MODULE alone when set
// (a path to the file); else beside the executable (a build tree, a GPU
// bundle), then the installed module folder.
std::vector<std::string> cuda_module_candidates();
// The first candidate that exists and is an ELF file (a shared library), or
// "" (nothing is loaded).
std::string find_cuda_module();

// The module's functions, opened once per process: the one already linked
// into this process when it is (the test binary), else the first candidate,
// once the driver is found. nullptr with the reason in `why_not` (may be
// null) when the module is missing, the driver is missing, or the module
// does not load or belongs to another build.
const cuda::ModuleApi* open_cuda_module(std::string* why_not);

}  // namespace wuxia
