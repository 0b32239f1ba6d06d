#pragma once
// Error checks for CUDA runtime and cuBLAS calls. A failed call becomes a
// wuxia::Error that names the call, the file and line, and the library's own
// words for the status, so a CLI user sees which step broke instead of a
// bare status number. Header-only so the kernel files and the backend share it.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <string>

#include "wuxia/platform/error.hpp"

namespace wuxia::cuda::detail {

[[noreturn]] inline void throw_cuda(cudaError_t status, const char* call, const char* file, int line) {
  throw Error(std::string("CUDA error: ") + call + " failed at " + file + ":" + std::to_string(line) + ": " +
              cudaGetErrorName(status) + " (" + cudaGetErrorString(status) + ")");
}

[[noreturn]] inline void throw_cublas(cublasStatus_t status, const char* call, const char* file, int line) {
  throw Error(std::string("cuBLAS error: ") + call + " failed at " + file + ":" + std::to_string(line) + ": " +
              cublasGetStatusName(status) + " (" + cublasGetStatusString(status) + ")");
}

}  // namespace wuxia::cuda::detail

#define CUDA_CHECK(call)                                                           \
  do {                                                                             \
    const cudaError_t wuxia_status_ = (call);                                      \
    if (wuxia_status_ != cudaSuccess) {                                            \
      ::wuxia::cuda::detail::throw_cuda(wuxia_status_, #call, __FILE__, __LINE__); \
    }                                                                              \
  } while (0)

#define CUBLAS_CHECK(call)                                                           \
  do {                                                                               \
    const cublasStatus_t wuxia_status_ = (call);                                     \
    if (wuxia_status_ != CUBLAS_STATUS_SUCCESS) {                                    \
      ::wuxia::cuda::detail::throw_cublas(wuxia_status_, #call, __FILE__, __LINE__); \
    }                                                                                \
  } while (0)

// After a kernel launch: a bad configuration (too many threads, no kernel image
// for this GPU) is only reported through cudaGetLastError.
#define CUDA_CHECK_LAUNCH() CUDA_CHECK(cudaGetLastError())
